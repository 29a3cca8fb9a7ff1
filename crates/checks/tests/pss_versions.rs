//! Every version boundary of the Pod Security Standards: for each control whose rules changed,
//! a pod whose verdict flips exactly between the two minors, with the control that decides it;
//! and the version's selection (namespace label, baseline parameter, newest) through the engine.

use k8s_openapi::api::core::v1::Pod;
use palisade_checks::baseline::resolve;
use palisade_checks::pss::{PssVersion, violations_at};
use palisade_checks::{AddOptions, Inventory, PssLevel, catalog, evaluate_namespace};
use palisade_crds::HardeningBaselineSpec;
use serde_json::{Value, json};

/// A pod that satisfies the restricted level at every version, changed by `patch` (a JSON
/// merge patch: objects merge, everything else replaces).
fn restricted_pod(patch: Value) -> Value {
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "apps"},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "c",
                "image": "registry.example.com/app:1",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
            }],
        },
    });
    merge(&mut pod, patch);
    pod
}

fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(target.entry(key).or_insert(Value::Null), value);
            }
        }
        (target, patch) => *target = patch,
    }
}

/// The checks that deny the pod at the level and version (empty: admitted).
fn denying(pod: &Value, level: PssLevel, version: PssVersion) -> Vec<&'static str> {
    let pod: Pod = serde_json::from_value(pod.clone()).expect("test pods deserialize");
    let mut checks: Vec<&str> = violations_at(&pod, level, version)
        .into_iter()
        .map(|violation| violation.check)
        .collect();
    checks.dedup();
    checks
}

/// The pod is judged by `before` up to `v1.<minor - 1>` and by `after` from `v1.<minor>` on.
fn assert_boundary(what: &str, pod: Value, level: PssLevel, minor: u16, before: &[&str], after: &[&str]) {
    let older = PssVersion::v1(minor - 1);
    let newer = PssVersion::v1(minor);
    assert_eq!(denying(&pod, level, older), before, "{what} at {older}");
    assert_eq!(denying(&pod, level, newer), after, "{what} at {newer}");
    assert_eq!(
        denying(&pod, level, PssVersion::NEWEST),
        after,
        "{what} at the newest version"
    );
}

fn sysctl(name: &str) -> Value {
    restricted_pod(json!({"spec": {"securityContext": {"sysctls": [{"name": name, "value": "1"}]}}}))
}

#[test]
fn safe_sysctls_grow_with_the_version() {
    for (name, minor) in [
        ("net.ipv4.ip_local_reserved_ports", 27),
        ("net.ipv4.tcp_keepalive_time", 29),
        ("net.ipv4.tcp_fin_timeout", 29),
        ("net.ipv4.tcp_keepalive_intvl", 29),
        ("net.ipv4.tcp_keepalive_probes", 29),
        ("net.ipv4.tcp_rmem", 32),
        ("net.ipv4.tcp_wmem", 32),
        ("net.ipv4.tcp_slow_start_after_idle", 37),
        ("net.ipv4.tcp_notsent_lowat", 37),
    ] {
        assert_boundary(name, sysctl(name), PssLevel::Baseline, minor, &["pod.sysctls"], &[]);
    }
    let oldest = PssVersion::OLDEST;
    assert!(denying(&sysctl("net.ipv4.ping_group_range"), PssLevel::Baseline, oldest).is_empty());
    assert_eq!(
        denying(&sysctl("kernel.msgmax"), PssLevel::Baseline, PssVersion::NEWEST),
        ["pod.sysctls"]
    );
}

#[test]
fn container_engine_t_is_allowed_from_v1_31() {
    let pod = restricted_pod(json!({"spec": {"securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}}));
    assert_boundary("container_engine_t", pod, PssLevel::Baseline, 31, &["pod.selinux"], &[]);
}

#[test]
fn probe_and_lifecycle_hosts_are_judged_from_v1_34() {
    let probe = restricted_pod(json!({"spec": {"containers": [{
        "name": "c", "image": "x",
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
        "livenessProbe": {"tcpSocket": {"port": 80, "host": "10.0.0.1"}},
    }]}}));
    assert_boundary("probe host", probe, PssLevel::Baseline, 34, &[], &["pod.probe-host"]);
}

#[test]
fn user_namespaces_relax_proc_mount_and_the_user_controls_from_v1_35() {
    let unmasked = restricted_pod(json!({"spec": {"hostUsers": false, "containers": [{
        "name": "c", "image": "x",
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "procMount": "Unmasked"},
    }]}}));
    assert_boundary(
        "Unmasked /proc in a user namespace, baseline",
        unmasked.clone(),
        PssLevel::Baseline,
        35,
        &["pod.proc-mount"],
        &[],
    );
    assert_boundary(
        "Unmasked /proc in a user namespace, restricted",
        unmasked,
        PssLevel::Restricted,
        35,
        &["pod.proc-mount"],
        &["pod.proc-mount-restricted"],
    );
    let root = restricted_pod(
        json!({"spec": {"hostUsers": false, "securityContext": {"runAsNonRoot": false, "runAsUser": 0}}}),
    );
    assert_boundary(
        "root in a user namespace",
        root.clone(),
        PssLevel::Restricted,
        35,
        &["pod.run-as-non-root", "pod.run-as-user"],
        &[],
    );
    let host_users = restricted_pod(json!({"spec": {"securityContext": {"runAsNonRoot": false, "runAsUser": 0}}}));
    assert_eq!(
        denying(&host_users, PssLevel::Restricted, PssVersion::NEWEST),
        ["pod.run-as-non-root", "pod.run-as-user"]
    );
}

#[test]
fn restricted_controls_start_at_their_versions() {
    let escalation = restricted_pod(json!({"spec": {"containers": [{
        "name": "c", "image": "x", "securityContext": {"capabilities": {"drop": ["ALL"]}},
    }]}}));
    assert_boundary(
        "allowPrivilegeEscalation unset",
        escalation,
        PssLevel::Restricted,
        8,
        &[],
        &["pod.privilege-escalation"],
    );
    let no_seccomp = restricted_pod(json!({"spec": {"securityContext": {"seccompProfile": null}}}));
    assert_boundary(
        "no seccomp profile",
        no_seccomp,
        PssLevel::Restricted,
        19,
        &[],
        &["pod.seccomp-restricted"],
    );
    let keeps_capabilities = restricted_pod(json!({"spec": {"containers": [{
        "name": "c", "image": "x", "securityContext": {"allowPrivilegeEscalation": false},
    }]}}));
    assert_boundary(
        "capabilities not dropped",
        keeps_capabilities,
        PssLevel::Restricted,
        22,
        &[],
        &["pod.capabilities-restricted"],
    );
    let root_user = restricted_pod(json!({"spec": {"securityContext": {"runAsUser": 0}}}));
    assert_boundary(
        "runAsUser 0",
        root_user,
        PssLevel::Restricted,
        23,
        &[],
        &["pod.run-as-user"],
    );
}

#[test]
fn windows_pods_are_exempt_from_linux_only_restricted_controls_from_v1_25() {
    let windows = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"},
        "spec": {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
                 "containers": [{"name": "c", "image": "x"}]},
    });
    assert_boundary(
        "Windows pod without Linux fields",
        windows,
        PssLevel::Restricted,
        25,
        &[
            "pod.capabilities-restricted",
            "pod.privilege-escalation",
            "pod.seccomp-restricted",
        ],
        &[],
    );
}

#[test]
fn seccomp_is_read_from_annotations_up_to_v1_18_and_from_fields_after() {
    let annotated = restricted_pod(json!({
        "metadata": {"annotations": {"container.seccomp.security.alpha.kubernetes.io/c": "unconfined"}},
    }));
    assert_boundary(
        "unconfined annotation",
        annotated,
        PssLevel::Baseline,
        19,
        &["pod.seccomp-baseline"],
        &[],
    );
    let allowed = restricted_pod(json!({
        "metadata": {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "docker/default"}},
    }));
    assert!(denying(&allowed, PssLevel::Baseline, PssVersion::v1(18)).is_empty());
    let unconfined_field =
        restricted_pod(json!({"spec": {"securityContext": {"seccompProfile": {"type": "Unconfined"}}}}));
    assert_boundary(
        "Unconfined field",
        unconfined_field,
        PssLevel::Baseline,
        19,
        &[],
        &["pod.seccomp-baseline"],
    );
}

/// The PSS findings of the catalog over a Namespace (with `labels`) and a pod that sets a probe
/// host (a violation from v1.34 on), evaluated with the baseline `spec`.
fn probe_host_findings(labels: Value, spec: Value) -> usize {
    let mut inventory = Inventory::default();
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": labels}});
    let pod = restricted_pod(json!({"spec": {"containers": [{
        "name": "c", "image": "x",
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
        "readinessProbe": {"httpGet": {"port": 80, "host": "example.com"}},
    }]}}));
    for object in [namespace, pod] {
        inventory
            .add_object(object, &AddOptions::default())
            .expect("test objects are valid");
    }
    let spec: HardeningBaselineSpec = serde_json::from_value(spec).expect("test baselines deserialize");
    let params = resolve(None, &spec)
        .expect("test baselines are valid")
        .params(false, None);
    let apps = inventory.namespaces.get("apps").expect("the apps namespace");
    evaluate_namespace(apps, &inventory.cluster, &params, catalog())
        .findings
        .iter()
        .filter(|finding| finding.check == "pod.probe-host")
        .count()
}

#[test]
fn the_namespace_label_wins_over_the_baseline_parameter_which_wins_over_the_newest() {
    let label = |version: &str| json!({"pod-security.kubernetes.io/enforce-version": version});
    let pinned = |version: &str| json!({"profile": "baseline", "namespaces": ["apps"], "parameters": {"podSecurityVersion": version}});
    let unpinned = json!({"profile": "baseline", "namespaces": ["apps"]});
    assert_eq!(probe_host_findings(json!({}), unpinned.clone()), 1, "newest by default");
    assert_eq!(
        probe_host_findings(json!({}), pinned("v1.33")),
        0,
        "the baseline's version"
    );
    assert_eq!(
        probe_host_findings(json!({}), pinned("v1.34")),
        1,
        "the baseline's version"
    );
    assert_eq!(
        probe_host_findings(label("v1.33"), unpinned.clone()),
        0,
        "the label's version"
    );
    assert_eq!(
        probe_host_findings(label("v1.34"), pinned("v1.33")),
        1,
        "the label over the baseline"
    );
    assert_eq!(
        probe_host_findings(label("v1.33"), pinned("latest")),
        0,
        "the label over the baseline"
    );
    assert_eq!(
        probe_host_findings(label("1.33"), pinned("v1.33")),
        1,
        "an invalid label means latest"
    );
}

#[test]
fn a_baseline_with_an_invalid_version_is_rejected_with_the_field() {
    let spec: HardeningBaselineSpec = serde_json::from_value(
        json!({"profile": "baseline", "namespaces": ["apps"], "parameters": {"podSecurityVersion": "1.30"}}),
    )
    .expect("the spec deserializes");
    let problems = resolve(Some("b"), &spec).expect_err("an invalid version is rejected");
    assert_eq!(
        problems,
        [
            "parameters.podSecurityVersion: \"1.30\" is not a Pod Security Standards version: use \"latest\" or \"v1.<minor>\", e.g. \"v1.30\""
        ]
    );
}
