//! Every check's fixtures, and the catalog's own invariants.

use std::collections::BTreeSet;

use palisade_checks::{Expect, catalog};

#[test]
fn every_fixture_fails_or_passes_as_declared() {
    let mut wrong = Vec::new();
    for check in catalog() {
        for (index, fixture) in check.fixtures.iter().enumerate() {
            let findings = fixture
                .findings(check)
                .unwrap_or_else(|error| panic!("{} fixture {index} is broken: {error}", check.id));
            assert!(findings.iter().all(|finding| finding.check == check.id));
            let failed = !findings.is_empty();
            if failed != (fixture.expect == Expect::Fail) {
                wrong.push(format!("{} fixture {index}: expected {:?}", check.id, fixture.expect));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "fixtures disagree with their checks:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_check_has_a_failing_and_a_passing_fixture() {
    for check in catalog() {
        for expect in [Expect::Fail, Expect::Pass] {
            assert!(
                check.fixtures.iter().any(|fixture| fixture.expect == expect),
                "{} has no {expect:?} fixture",
                check.id
            );
        }
    }
}

#[test]
fn ids_are_unique_and_well_formed() {
    let mut seen = BTreeSet::new();
    for check in catalog() {
        assert!(seen.insert(check.id), "duplicate id {}", check.id);
        let (area, name) = check.id.split_once('.').expect("area.name");
        assert!(!area.is_empty() && !name.is_empty(), "{}", check.id);
        assert!(
            check.id.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '-'),
            "{}",
            check.id
        );
        assert!(!check.title.is_empty() && !check.remediation.is_empty() && !check.fails_when.is_empty());
    }
}

/// The catalog table of DESIGN.md §3: these ids are public API and must never disappear.
#[test]
fn the_designed_catalog_is_complete() {
    let designed = [
        "pod.host-process",
        "pod.host-namespaces",
        "pod.privileged",
        "pod.capabilities-baseline",
        "pod.host-path",
        "pod.host-ports",
        "pod.apparmor",
        "pod.selinux",
        "pod.proc-mount",
        "pod.seccomp-baseline",
        "pod.sysctls",
        "pod.volume-types",
        "pod.privilege-escalation",
        "pod.run-as-non-root",
        "pod.run-as-user",
        "pod.seccomp-restricted",
        "pod.capabilities-restricted",
        "pod.read-only-root-fs",
        "pod.runtime-socket",
        "pod.default-service-account",
        "pod.automount-token",
        "pod.secret-env",
        "pod.literal-credential-env",
        "pod.resource-limits",
        "image.mutable-tag",
        "image.digest-unpinned",
        "image.registry-not-allowed",
        "net.default-deny-ingress",
        "net.default-deny-egress",
        "net.pod-unprotected",
        "net.egress-any",
        "net.ingress-any",
        "net.dns-blocked",
        "svc.public-load-balancer",
        "svc.node-port",
        "rbac.cluster-admin-binding",
        "rbac.wildcard",
        "rbac.secrets-read",
        "rbac.escalation-verbs",
        "rbac.pod-exec",
        "rbac.node-proxy",
        "rbac.workload-create",
        "rbac.anonymous-grant",
        "rbac.authenticated-grant",
        "rbac.default-sa-bound",
        "rbac.webhook-admin",
        "secret.legacy-sa-token",
        "secret.unreferenced",
        "secret.rotation-age",
        "secret.cloud-credentials",
        "secret.reused-value",
        "ns.pod-security-label",
        "ns.default-namespace-workloads",
    ];
    let missing: Vec<&str> = designed
        .into_iter()
        .filter(|id| palisade_checks::find(id).is_none())
        .collect();
    assert!(missing.is_empty(), "catalog lacks {missing:?}");
}
