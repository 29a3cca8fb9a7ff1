//! The operator against the local control plane, running as the chart's ServiceAccount with
//! exactly the RBAC `helm template` renders. Tests run one at a time: two operators of one
//! cluster would share (and fight for) the same reports.

use std::sync::{Mutex, MutexGuard};

use palisade_e2e::{
    Operator, apply, deployment, failing, get_json, kubectl, kubectl_ok, leave_orphan, operator_kubeconfig,
    palisade_writes, port, report, wait_for, wait_namespace_gone, wait_no_namespace_terminating, wait_report,
    written_by,
};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn drift_state(report: &Value) -> String {
    report["status"]["drift"]["state"].as_str().unwrap_or("").to_string()
}

/// Waits until the operator deleted the orphaned report of `namespace`.
fn wait_orphan_deleted(operator: &Operator, namespace: &str) {
    wait_for(
        30,
        &format!("the orphaned report in {namespace} to be deleted"),
        || match get_json(&["posturereport", "posture", "-n", namespace]) {
            None => Ok(()),
            Some(_) => Err(operator.log_text()),
        },
    );
}

fn condition<'a>(object: &'a Value, type_: &str) -> Option<&'a Value> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|condition| condition["type"] == type_)
}

/// The test namespaces carry no Pod Security label (privileged pods must be admitted), so the
/// baselines make that check Advisory.
const ADVISORY_LABEL: &str = "  checks:\n  - id: ns.pod-security-label\n    mode: Advisory\n";

fn namespace(name: &str, tier: &str) {
    apply(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    palisade.dev/e2e-tier: {tier}\n"
    ));
    palisade_e2e::wait_for_default_service_account(name);
}

fn pod_count(namespace: &str) -> usize {
    kubectl_ok(&["get", "pods", "-n", namespace, "--no-headers", "-o", "name"])
        .lines()
        .count()
}

#[test]
fn workloads_drift_fix_and_churn_without_report_churn() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-shop", "prod");
    apply(&format!(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-prod\nspec:\n  \
         namespaceSelector:\n    matchLabels:\n      palisade.dev/e2e-tier: prod\n  profile: baseline\n{ADVISORY_LABEL}",
    ));
    apply(&deployment("e2e-shop", "web", 5, true, "1"));
    wait_for(60, "5 pods of web", || match pod_count("e2e-shop") {
        5 => Ok(()),
        count => Err(count.to_string()),
    });
    let operator = Operator::start(&kubeconfig, "e2e-a", port(1), &[]);
    operator.wait_leading(60);

    // Five replicas make one finding on the Deployment; the Required failure drifts the namespace.
    let drifted = wait_report("e2e-shop", "web to be reported privileged", |report| {
        failing(report, "pod.privileged") == ["Deployment/web"] && drift_state(report) == "Drifted"
    });
    let entry = drifted["status"]["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|check| check["id"] == "pod.privileged"))
        .cloned()
        .expect("listed");
    assert_eq!(entry["count"], 1, "replicas are one finding: {entry}");
    assert_eq!(drifted["status"]["baseline"], "e2e-prod");
    assert_eq!(
        condition(&drifted, "Compliant").map(|c| c["status"].clone()),
        Some("False".into())
    );
    let baseline = wait_for(30, "the baseline to list e2e-shop as drifted", || {
        let baseline = get_json(&["hardeningbaseline", "e2e-prod"]).ok_or("no baseline")?;
        let drifted = baseline["status"]["drifted"].as_array().cloned().unwrap_or_default();
        if drifted.contains(&Value::from("e2e-shop")) {
            Ok(baseline)
        } else {
            Err(baseline["status"].to_string())
        }
    });
    assert_eq!(
        condition(&baseline, "Compliant").map(|c| c["status"].clone()),
        Some("False".into())
    );
    assert_eq!(
        condition(&baseline, "Ready").map(|c| c["status"].clone()),
        Some("True".into())
    );
    assert_eq!(
        baseline["status"]["observedGeneration"],
        baseline["metadata"]["generation"]
    );

    // A rollout (new template hash, all pods replaced) changes nothing in the report.
    let before = report("e2e-shop").expect("report");
    apply(&deployment("e2e-shop", "web", 5, true, "2"));
    wait_for(60, "the rollout to replace the pods", || {
        let pods = kubectl_ok(&[
            "get",
            "pods",
            "-n",
            "e2e-shop",
            "-o",
            "jsonpath={.items[*].spec.containers[0].env[0].value}",
        ]);
        let values: Vec<&str> = pods.split_whitespace().collect();
        if values.len() == 5 && values.iter().all(|value| *value == "2") {
            Ok(())
        } else {
            Err(pods)
        }
    });
    // Scaled to zero, the template still speaks for the workload.
    kubectl_ok(&["scale", "deployment", "web", "-n", "e2e-shop", "--replicas", "0"]);
    wait_for(60, "no pods", || match pod_count("e2e-shop") {
        0 => Ok(()),
        count => Err(count.to_string()),
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    let after = report("e2e-shop").expect("report");
    assert_eq!(
        before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"],
        "pod churn wrote the report:\nbefore {}\nafter {}",
        before["status"], after["status"]
    );

    // Fixing the workload clears the finding and brings the namespace back in sync.
    kubectl_ok(&["scale", "deployment", "web", "-n", "e2e-shop", "--replicas", "2"]);
    apply(&deployment("e2e-shop", "web", 2, false, "3"));
    let fixed = wait_report("e2e-shop", "the fix to clear pod.privileged", |report| {
        failing(report, "pod.privileged").is_empty() && drift_state(report) == "InSync"
    });
    assert_eq!(
        condition(&fixed, "Compliant").map(|c| c["status"].clone()),
        Some("True".into())
    );
    let events = kubectl_ok(&["get", "events.events.k8s.io", "-n", "e2e-shop", "-o", "json"]);
    assert!(
        events.contains("\"reason\": \"Drifted\"") || events.contains("\"reason\":\"Drifted\""),
        "{events}"
    );
    assert!(events.contains("InSync"), "{events}");

    // Restarting the operator writes nothing when nothing changed, and keeps firstSeen. The fix's
    // rollout may still be moving pods (and the report with them) when it first shows, and
    // namespaces earlier tests deleted may still be going (the cluster report counts them).
    wait_no_namespace_terminating(180);
    operator.wait_settled(60, 3);
    let settled = report("e2e-shop").expect("report");
    let cluster_before = get_json(&["clusterposturereport", "cluster"]).expect("cluster report");
    assert_eq!(operator.stop().code(), Some(0), "graceful shutdown");
    // A report left behind in a namespace that is gone is deleted, and counts for nothing: the
    // cluster report stays as it was.
    leave_orphan("palisade.dev/posturereports", "e2e-gone-before-restart", &settled);
    let restarted = Operator::start(&kubeconfig, "e2e-b", port(2), &[]);
    restarted.wait_leading(60);
    wait_orphan_deleted(&restarted, "e2e-gone-before-restart");
    wait_for(
        60,
        "the restarted operator to evaluate every namespace",
        || match restarted.metric("palisade_pending_namespaces ") {
            Some(value)
                if value == 0.0
                    && restarted
                        .metrics()
                        .contains("palisade_evaluation_duration_seconds_count") =>
            {
                Ok(())
            }
            other => Err(format!("{other:?}")),
        },
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    let writes = restarted.metrics();
    for kind in ["PostureReport", "ClusterPostureReport"] {
        assert!(
            !writes.contains(&format!(
                "palisade_report_writes_total{{kind=\"{kind}\",result=\"applied\"}}"
            )),
            "{writes}"
        );
    }
    // One left behind while the operator runs goes too.
    leave_orphan("palisade.dev/posturereports", "e2e-gone-while-running", &settled);
    wait_orphan_deleted(&restarted, "e2e-gone-while-running");
    assert_eq!(
        report("e2e-shop").expect("report")["metadata"]["resourceVersion"],
        settled["metadata"]["resourceVersion"]
    );
    assert_eq!(
        get_json(&["clusterposturereport", "cluster"]).expect("cluster")["metadata"]["resourceVersion"],
        cluster_before["metadata"]["resourceVersion"]
    );
}

#[test]
fn cluster_role_changes_reach_the_namespaces_that_bind_it() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-rbac", "dev");
    apply(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: e2e-reader\nrules:\n\
         - apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: readers\n  namespace: e2e-rbac\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-reader}\n\
         subjects: [{kind: Group, name: e2e-readers, apiGroup: rbac.authorization.k8s.io}]\n",
    );
    let operator = Operator::start(&kubeconfig, "e2e-rbac", port(3), &[]);
    operator.wait_leading(60);
    wait_report("e2e-rbac", "a report without rbac.secrets-read", |report| {
        report["status"]["lastEvaluated"].is_string() && failing(report, "rbac.secrets-read").is_empty()
    });
    apply(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: e2e-reader\nrules:\n\
         - apiGroups: [\"\"]\n  resources: [configmaps, secrets]\n  verbs: [get]\n",
    );
    wait_report("e2e-rbac", "the ClusterRole change to show", |report| {
        failing(report, "rbac.secrets-read") == ["RoleBinding/readers"]
    });
}

#[test]
fn invalid_baselines_say_why_and_expiring_exceptions_stop_on_time() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-expiry", "expiry");
    apply(&deployment("e2e-expiry", "agent", 1, true, "1"));
    let in_seconds = |seconds: i64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        let output = std::process::Command::new("date")
            .args(["-u", "-d", &format!("@{}", now + seconds), "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .expect("date runs");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    apply(&format!(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-expiry\nspec:\n  \
         namespaces: [e2e-expiry]\n  profile: baseline\n  exceptions:\n  - checks: [pod.privileged]\n    \
         reason: node agent until the rewrite\n    expires: \"{}\"\n{ADVISORY_LABEL}",
        in_seconds(40)
    ));
    apply(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-broken\nspec:\n  \
         namespaces: [e2e-expiry]\n  priority: 100\n  profile: baseline\n  checks:\n  - id: pod.no-such-check\n    mode: Disabled\n",
    );
    let operator = Operator::start(&kubeconfig, "e2e-expiry", port(4), &[]);
    operator.wait_leading(60);
    let broken = wait_for(60, "the invalid baseline to be Ready=False", || {
        let baseline = get_json(&["hardeningbaseline", "e2e-broken"]).ok_or("none")?;
        match condition(&baseline, "Ready") {
            Some(ready) if ready["status"] == "False" => Ok(baseline.clone()),
            _ => Err(baseline["status"].to_string()),
        }
    });
    let ready = condition(&broken, "Ready").expect("Ready");
    assert_eq!(ready["reason"], "InvalidSpec");
    assert!(
        ready["message"]
            .as_str()
            .unwrap_or("")
            .contains("checks[0].id \"pod.no-such-check\""),
        "{ready}"
    );
    // The invalid baseline governs nothing: the valid one keeps serving the namespace, and its
    // unexpired exception covers the privileged agent.
    let excepted = wait_report("e2e-expiry", "the exception to cover the agent", |report| {
        report["status"]["baseline"] == "e2e-expiry" && drift_state(report) == "InSync"
    });
    assert!(
        excepted["status"]["checks"].to_string().contains("Excepted"),
        "{}",
        excepted["status"]
    );
    let events = kubectl_ok(&["get", "events.events.k8s.io", "-A", "-o", "json"]);
    assert!(
        events.contains("InvalidSpec"),
        "an Event tells the baseline became invalid"
    );
    // Nothing in the cluster changes; the exception expires and the namespace drifts on time.
    let drifted = wait_for(60, "the exception to expire", || match report("e2e-expiry") {
        Some(report) if drift_state(&report) == "Drifted" => Ok(report),
        other => Err(other
            .map(|report| report["status"]["drift"].to_string())
            .unwrap_or_default()),
    });
    assert_eq!(failing(&drifted, "pod.privileged"), ["Deployment/agent"]);
    let baseline = get_json(&["hardeningbaseline", "e2e-expiry"]).expect("baseline");
    assert!(
        baseline["status"]["expiredExceptions"]
            .to_string()
            .contains("node agent"),
        "{}",
        baseline["status"]
    );
}

/// The operator's create, update and patch requests into a namespace so far, refused ones
/// included (deletes do not count: removing a report of a namespace being deleted is allowed).
fn writes_into(namespace: &str, identity: &str) -> Vec<String> {
    palisade_writes()
        .into_iter()
        .filter(|event| written_by(event, identity) && event["objectRef"]["namespace"] == namespace)
        .filter(|event| event["verb"] != "delete")
        .map(|event| {
            format!(
                "{} {} → {}",
                event["verb"], event["requestURI"], event["responseStatus"]["code"]
            )
        })
        .collect()
}

/// Merge-patches the ConfigMap that holds e2e-doomed in deletion.
fn patch_held(patch: &str) {
    kubectl_ok(&[
        "patch",
        "configmap",
        "hold",
        "-n",
        "e2e-doomed",
        "--type",
        "merge",
        "-p",
        patch,
    ]);
}

#[test]
fn a_namespace_being_deleted_gets_no_report_writes() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-doomed", "dev");
    // A finalizer nobody removes keeps the namespace terminating once its deletion starts, with
    // an object left in it whose changes the operator watches.
    apply(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hold\n  namespace: e2e-doomed\n  \
         finalizers: [palisade.dev/e2e-hold]\ndata:\n  round: \"0\"\n",
    );
    apply(&deployment("e2e-doomed", "web", 1, true, "1"));
    let identity = "e2e-doomed";
    let operator = Operator::start(&kubeconfig, identity, port(8), &[]);
    operator.wait_leading(60);
    wait_report("e2e-doomed", "web to be reported", |report| {
        failing(report, "pod.privileged") == ["Deployment/web"]
    });
    let before = writes_into("e2e-doomed", identity);
    assert!(!before.is_empty(), "the report's writes are in the audit log");

    kubectl_ok(&["delete", "namespace", "e2e-doomed", "--wait=false"]);
    // The namespace controller removes the workloads and the report; the ConfigMap stays,
    // marked for deletion, and so does the namespace.
    wait_for(60, "the namespace to be emptied but for the held ConfigMap", || {
        let report_gone = report("e2e-doomed").is_none();
        let pods = kubectl_ok(&["get", "pods", "-n", "e2e-doomed", "--no-headers", "-o", "name"]);
        match (report_gone, pods.trim().is_empty()) {
            (true, true) => Ok(()),
            state => Err(format!("report gone, pods gone: {state:?}")),
        }
    });
    let emptied = writes_into("e2e-doomed", identity);
    // Changes keep arriving while it terminates: each would be due for evaluation, and a report
    // written now would be refused (the API server creates nothing in a terminating namespace).
    for round in 1..=3 {
        patch_held(&format!(r#"{{"data": {{"round": "{round}"}}}}"#));
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let during = writes_into("e2e-doomed", identity);
    // Writes racing the start of the deletion may pass (the operator learns of it from its own
    // watch); none may be refused, and none may come once the namespace is emptied.
    let refused: Vec<&String> = during[before.len()..]
        .iter()
        .filter(|write| !write.ends_with("→ 200") && !write.ends_with("→ 201"))
        .collect();
    assert!(
        refused.is_empty(),
        "writes into the namespace being deleted were refused: {refused:?}"
    );
    assert_eq!(
        during[emptied.len()..],
        [] as [String; 0],
        "the operator wrote into the namespace being deleted"
    );
    assert!(
        get_json(&["namespace", "e2e-doomed"])
            .is_some_and(|namespace| namespace["metadata"]["deletionTimestamp"].is_string()),
        "the namespace was still terminating while it changed"
    );

    patch_held(r#"{"metadata": {"finalizers": null}}"#);
    wait_namespace_gone("e2e-doomed", 60);
    assert!(
        operator.ready(),
        "the operator is still ready once the namespace is gone"
    );
}

#[test]
fn two_replicas_only_the_leader_writes_and_a_standby_takes_over() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-ha", "ha");
    let first = Operator::start(&kubeconfig, "e2e-ha-1", port(5), &[]);
    first.wait_leading(60);
    let second = Operator::start(&kubeconfig, "e2e-ha-2", port(6), &[]);
    wait_for(60, "the standby's caches to sync", || {
        match kubectl(&["get", "--raw", "/"]).status.success() {
            true if second.metrics().contains("palisade_cache_objects") => Ok(()),
            _ => Err("not yet".to_string()),
        }
    });
    wait_report("e2e-ha", "a report", |report| {
        report["status"]["lastEvaluated"].is_string()
    });
    assert_eq!(second.metric("palisade_leader "), Some(0.0));
    let standby_writes = second.metrics();
    assert!(
        !standby_writes.contains("palisade_report_writes_total{"),
        "a standby wrote:\n{standby_writes}"
    );

    // The leader dies without releasing its lease; the standby takes over within the lease.
    first.kill();
    second.wait_leading(40);
    apply(&deployment("e2e-ha", "api", 1, true, "1"));
    wait_report("e2e-ha", "the new leader to report the change", |report| {
        failing(report, "pod.privileged") == ["Deployment/api"]
    });
}

#[test]
fn no_secret_or_literal_env_value_leaves_the_cluster_objects() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-secrets", "secrets");
    const SECRET_VALUE: &str = "e2e-planted-secret-value-7f3a";
    const LITERAL_VALUE: &str = "e2e-planted-literal-value-91c2";
    apply(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: e2e-secrets\nstringData:\n  password: {SECRET_VALUE}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: e2e-secrets\nspec:\n  containers:\n  - name: app\n    \
         image: nginx\n    env:\n    - name: DB_PASSWORD\n      value: {LITERAL_VALUE}\n    - name: FROM_SECRET\n      \
         valueFrom: {{secretKeyRef: {{name: db, key: password}}}}\n"
    ));
    // A client-side apply keeps a last-applied copy (with the data) in an annotation.
    let path = std::env::temp_dir().join("palisade-e2e-secret.yaml");
    std::fs::write(
        &path,
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: legacy\n  namespace: e2e-secrets\nstringData:\n  token: {SECRET_VALUE}\n"),
    )
    .expect("written");
    kubectl_ok(&["apply", "-f", &path.to_string_lossy()]);
    let operator = Operator::start(&kubeconfig, "e2e-secrets", port(7), &["--log-level", "debug"]);
    operator.wait_leading(60);
    wait_report("e2e-secrets", "the literal credential finding", |report| {
        failing(report, "pod.literal-credential-env") == ["Pod/app"] && failing(report, "pod.secret-env") == ["Pod/app"]
    });
    let everything = [
        kubectl_ok(&["get", "posturereports", "-A", "-o", "json"]),
        kubectl_ok(&["get", "clusterposturereports", "-o", "json"]),
        kubectl_ok(&["get", "hardeningbaselines", "-o", "json"]),
        kubectl_ok(&["get", "events", "-A", "-o", "json"]),
        kubectl_ok(&["get", "events.events.k8s.io", "-A", "-o", "json"]),
        operator.metrics(),
        operator.log_text(),
    ];
    for (index, text) in everything.iter().enumerate() {
        assert!(
            !text.contains(SECRET_VALUE) && !text.contains(LITERAL_VALUE),
            "source {index} leaks a value"
        );
        assert!(!text.contains("ZTJlLXBsYW50ZWQ"), "source {index} leaks a base64 value");
    }
}

/// Ready=False of a baseline, once the operator gave it, with its message.
fn invalid_message(name: &str) -> String {
    wait_for(60, &format!("{name} to be Ready=False"), || {
        let baseline = get_json(&["hardeningbaseline", name]).ok_or("none")?;
        match condition(&baseline, "Ready") {
            Some(ready) if ready["status"] == "False" => Ok(ready["message"].as_str().unwrap_or("").to_string()),
            _ => Err(baseline["status"].to_string()),
        }
    })
}

#[test]
fn baselines_the_operator_cannot_use_say_why_by_field_while_the_others_keep_serving() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-unusable", "unusable");
    apply(&deployment("e2e-unusable", "web", 0, true, "1"));
    // A looser CRD (an older or hand-edited one) stores what the operator's types cannot read.
    kubectl_ok(&[
        "patch",
        "crd",
        "hardeningbaselines.palisade.dev",
        "--type",
        "json",
        "-p",
        r#"[{"op": "replace", "path": "/spec/versions/0/schema/openAPIV3Schema/properties/spec",
             "value": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}]"#,
    ]);
    let unreadable = r#"{"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline",
        "metadata": {"name": "e2e-unreadable"}, "spec": {"namespaces": ["e2e-unusable"], "priority": 100, "profile": 7}}"#;
    wait_for(
        30,
        "the looser schema to admit a baseline the types cannot read",
        || palisade_e2e::try_apply(unreadable),
    );
    // Valid to admission, wrong to the operator: an unknown check, an exception that matches no
    // check and a Pod Security version that does not exist.
    apply(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-unusable\nspec:\n  \
         namespaces: [e2e-unusable]\n  priority: 50\n  profile: baseline\n  checks:\n  - id: pod.nope\n    mode: Disabled\n  \
         exceptions:\n  - checks: [\"net.nothing-*\"]\n    reason: none\n    expires: \"2030-01-01T00:00:00Z\"\n  \
         parameters:\n    podSecurityVersion: v9.99\n",
    );
    apply(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-usable\nspec:\n  \
         namespaces: [e2e-unusable]\n  profile: baseline\n",
    );
    let operator = Operator::start(&kubeconfig, "e2e-unusable", port(7), &[]);
    operator.wait_leading(60);
    let unreadable_message = invalid_message("e2e-unreadable");
    assert!(unreadable_message.starts_with("spec.profile: "), "{unreadable_message}");
    let unusable_message = invalid_message("e2e-unusable");
    for field in [
        "spec.checks[0].id \"pod.nope\"",
        "spec.exceptions[0].checks \"net.nothing-*\"",
        "spec.parameters.podSecurityVersion",
    ] {
        assert!(
            unusable_message.contains(field),
            "{field} is not named: {unusable_message}"
        );
    }
    wait_report("e2e-unusable", "the usable baseline to govern", |report| {
        report["status"]["baseline"] == "e2e-usable" && failing(report, "pod.privileged") == ["Deployment/web"]
    });
    operator.wait_ready(true, 30);
    for name in ["e2e-unreadable", "e2e-unusable", "e2e-usable"] {
        kubectl_ok(&["delete", "hardeningbaseline", name]);
    }
    palisade_e2e::install_crds("charts/palisade/crds/");
}
