//! Namespace hygiene: Pod Security admission labels and workloads in the `default` namespace.

use palisade_crds::{Profile, Severity};

use super::network::namespace_finding;
use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture, PssLevel};
use crate::engine::{Finding, NamespaceCtx, Violation, WorkloadCtx};

const POD_SECURITY_LABEL: &str = "ns.pod-security-label";

/// The label that makes Pod Security admission reject pods violating a level.
const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: POD_SECURITY_LABEL,
        title: "Pod Security admission enforces a restricting level",
        severity: Severity::Medium,
        category: Category::Admission,
        required_in: Some(Profile::Baseline),
        pss: None,
        cis: &["5.2.1"],
        nsa: &["Pod security: pod security enforcement"],
        fails_when: "the Namespace's `pod-security.kubernetes.io/enforce` label is missing, `privileged`, not a known level, or `baseline` under a restricted-profile baseline (judged only when the Namespace object is known)",
        remediation: "Label the namespace `pod-security.kubernetes.io/enforce: baseline` (or `restricted`), after checking with `kubectl label --dry-run=server` which running pods would violate it.",
        reads_secret_data: false,
        eval: Eval::Namespace(pod_security_label),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default, labels: {pod-security.kubernetes.io/enforce: privileged, pod-security.kubernetes.io/warn: restricted}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default, labels: {pod-security.kubernetes.io/enforce: Restricted}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default, labels: {pod-security.kubernetes.io/enforce: baseline}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: palisade.dev/v1alpha1, kind: HardeningBaseline, metadata: {name: b}, spec: {profile: restricted, namespaces: [default]}}\n---\n{apiVersion: v1, kind: Namespace, metadata: {name: default, labels: {pod-security.kubernetes.io/enforce: baseline}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default, labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: latest}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "ns.default-namespace-workloads",
        title: "Workloads do not run in the default namespace",
        severity: Severity::Low,
        category: Category::Admission,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.7.4"],
        nsa: &["Network separation and hardening: namespaces"],
        fails_when: "a workload runs in the `default` namespace",
        remediation: "Move the workload to a dedicated namespace with its own RBAC, NetworkPolicies and Pod Security labels.",
        reads_secret_data: false,
        eval: Eval::Workload(default_namespace_workloads),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}, spec: {selector: {}, template: {spec: {containers: [{name: c, image: x}]}}}}",
            },
        ],
    },
];

fn pod_security_label(ctx: &NamespaceCtx) -> Vec<Finding> {
    // Without the Namespace object its labels are unknown; judging them would blame manifests.
    let Some(namespace) = ctx.namespace.namespace.as_ref() else {
        return Vec::new();
    };
    let level = namespace
        .metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(ENFORCE_LABEL));
    let required = ctx.params.pod_security_level;
    let message = match level.map(String::as_str) {
        Some("restricted") => return Vec::new(),
        Some("baseline") if required == PssLevel::Baseline => return Vec::new(),
        Some("baseline") => format!("label {ENFORCE_LABEL} is baseline, weaker than the baseline's restricted profile"),
        None => format!("label {ENFORCE_LABEL} is not set, so Pod Security admission rejects no pod"),
        Some("privileged") => format!("label {ENFORCE_LABEL} is privileged, so Pod Security admission rejects no pod"),
        // Levels are case-sensitive: Pod Security admission does not recognise e.g. "Restricted".
        Some(unknown) => format!("label {ENFORCE_LABEL} has the unknown level {unknown:?}"),
    };
    vec![namespace_finding(POD_SECURITY_LABEL, ctx.namespace, message)]
}

fn default_namespace_workloads(ctx: &WorkloadCtx) -> Vec<Violation> {
    if ctx.namespace.name != "default" {
        return Vec::new();
    }
    vec![Violation::pod("runs in the default namespace")]
}
