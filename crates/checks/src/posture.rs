//! The posture pipeline shared by `palisade audit`, `palisade scan` and the operator: an
//! evaluation (findings of the checks a baseline enables) becomes a [`Posture`] through the
//! baseline's exceptions, the score, the severity summary, the compliance verdict and the next
//! instant at which the result can change by time alone; [`Posture::drift`] adds the drift
//! state against the previous report.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use palisade_crds::{CheckMode, Drift, Summary};

use crate::baseline::ResolvedBaseline;
use crate::drift::{self, FailureDigests, FindingKey, finding_key};
use crate::engine::{Evaluation, Finding, earliest, evaluate_cluster, evaluate_cross_namespace, evaluate_namespace};
use crate::exceptions::{Excepted, apply};
use crate::inventory::Inventory;
use crate::score::{noncompliance, score, summarize};

/// What a report says about its scope, before drift.
#[derive(Clone, Debug, PartialEq)]
pub struct Posture {
    /// Findings no exception covers, sorted.
    pub failing: Vec<Finding>,
    /// Findings an exception or exemption covers, sorted by finding.
    pub excepted: Vec<Excepted>,
    /// Indices of the baseline's exceptions that expired (they cover nothing any more).
    pub expired_exceptions: Vec<usize>,
    pub summary: Summary,
    pub score: i32,
    /// Why the scope does not comply with the baseline; empty when it does.
    pub noncompliance: Vec<String>,
    /// The next instant at which the result can change by time alone: an exception expiring,
    /// a secret crossing its rotation age. Re-evaluate then.
    pub changes_at: Option<Timestamp>,
}

/// Which findings of an inventory a report holds.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// One namespace: its workloads, objects and RoleBindings, and the cross-namespace findings
    /// about it (a secret value reused elsewhere).
    Namespace(&'a str),
    /// Cluster-scoped findings: ClusterRoleBindings and their roles.
    Cluster,
}

/// Evaluates one scope of the inventory with the checks the baseline enables, at `now`.
pub fn evaluate(
    inventory: &Inventory,
    scope: Scope,
    baseline: &ResolvedBaseline,
    content_checks: bool,
    now: Timestamp,
) -> Evaluation {
    let params = baseline.params(content_checks, Some(now));
    let checks = baseline.enabled_checks();
    match scope {
        Scope::Namespace(name) => {
            let mut evaluation = inventory
                .namespaces
                .get(name)
                .map(|namespace| evaluate_namespace(namespace, &inventory.cluster, &params, checks))
                .unwrap_or_default();
            let cross_namespace = evaluate_cross_namespace(inventory, name, &params, checks);
            evaluation.findings.extend(cross_namespace);
            evaluation
        }
        Scope::Cluster => {
            let mut evaluation = evaluate_cluster(inventory, &params, checks);
            evaluation
                .findings
                .retain(|finding| finding.resource.namespace.is_none());
            evaluation
        }
    }
}

/// Applies the baseline to an evaluation at `now`: exceptions, summary, score and verdict.
pub fn assess(evaluation: Evaluation, baseline: &ResolvedBaseline, content_checks: bool, now: Timestamp) -> Posture {
    let mut findings = evaluation.findings;
    // In place: a stable sort would copy every finding into a scratch buffer (7 MB for an
    // audit's 72k findings, its peak), and findings that compare equal are equal in every field.
    crate::engine::sort_findings(&mut findings);
    findings.dedup();
    let applied = apply(findings, baseline, now);
    let summary = summarize(
        &applied.failing,
        applied.excepted.len(),
        evaluation.resources_evaluated,
        baseline,
    );
    let evaluated = baseline
        .enabled_checks()
        .iter()
        .filter(|check| content_checks || !check.reads_secret_data)
        .map(|check| check.id);
    let score = score(evaluated, &applied.failing, baseline);
    let noncompliance = noncompliance(&applied.failing, score, &summary, baseline);
    let next_expiry = baseline
        .exceptions
        .iter()
        .map(|exception| exception.expires.0)
        .filter(|expires| *expires > now)
        .min();
    Posture {
        failing: applied.failing,
        excepted: applied.excepted,
        expired_exceptions: applied.expired,
        summary,
        score,
        noncompliance,
        changes_at: earliest(evaluation.changes_at, next_expiry),
    }
}

impl Posture {
    /// Keys of the failing findings of Required checks: what drift regressions are made of.
    pub fn required_failures(&self, baseline: &ResolvedBaseline) -> BTreeSet<FindingKey> {
        self.failing
            .iter()
            .filter(|finding| baseline.treatment(finding.check).mode == CheckMode::Required)
            .map(|finding| {
                finding_key(
                    finding.check,
                    &finding.resource.kind,
                    &finding.resource.name,
                    finding.container.as_deref(),
                )
            })
            .collect()
    }

    /// The drift against the previous report's drift and Required failures (`has_baseline`:
    /// whether a HardeningBaseline governs the scope at all; `required_failures`: this posture's,
    /// from [`Posture::required_failures`], which the caller also remembers for the next one).
    pub fn drift(
        &self,
        has_baseline: bool,
        required_failures: &BTreeSet<FindingKey>,
        previous: Option<&Drift>,
        previous_failures: &FailureDigests,
        now: &Time,
    ) -> Drift {
        drift::compute(
            previous,
            previous_failures,
            &drift::Current {
                has_baseline,
                noncompliance: &self.noncompliance,
                required_failures,
            },
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AddOptions;
    use serde_json::json;

    fn inventory(objects: &[serde_json::Value]) -> Inventory {
        let mut inventory = Inventory::default();
        for object in objects {
            inventory
                .add_object(object.clone(), &AddOptions::default())
                .expect("valid");
        }
        inventory
    }

    fn time(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn exceptions_expire_on_time_and_say_when() {
        let baseline = crate::baseline::resolve(
            Some("prod"),
            &serde_json::from_value(json!({"namespaces": ["shop"], "profile": "baseline", "exceptions": [
                {"checks": ["pod.privileged"], "reason": "CNI", "expires": "2026-06-02T00:00:00Z"}]}))
            .expect("spec"),
        )
        .expect("valid");
        let inventory = inventory(&[
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}}),
        ]);
        let at = |now: &str| {
            let now = time(now);
            assess(
                evaluate(&inventory, Scope::Namespace("shop"), &baseline, false, now),
                &baseline,
                false,
                now,
            )
        };
        let before = at("2026-06-01T00:00:00Z");
        assert!(before.noncompliance.is_empty(), "{:?}", before.noncompliance);
        assert_eq!(before.excepted.len(), 1);
        assert_eq!(before.changes_at, Some(time("2026-06-02T00:00:00Z")));
        let after = at("2026-06-02T00:00:00Z");
        assert_eq!(after.noncompliance, ["Required check pod.privileged fails"]);
        assert_eq!(
            (after.expired_exceptions.as_slice(), after.changes_at),
            ([0].as_slice(), None)
        );
    }

    #[test]
    fn each_scope_gets_exactly_its_share_of_the_cross_namespace_findings() {
        let role = |namespace: &str| {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "exec", "namespace": namespace},
                "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]})
        };
        let secret = |namespace: &str| {
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": namespace},
                "stringData": {"password": "shared-between-namespaces"}})
        };
        let mut inventory = Inventory::default();
        let options = AddOptions {
            keep_secret_data: true,
            ..AddOptions::default()
        };
        for object in [role("shop"), role("bank"), secret("shop"), secret("bank")] {
            inventory.add_object(object, &options).expect("valid");
        }
        inventory
            .add_object(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "god"},
                    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
                &options,
            )
            .expect("valid");
        let baseline = crate::baseline::ResolvedBaseline::profile(palisade_crds::Profile::Restricted);
        let now = time("2026-06-01T00:00:00Z");
        let cross = |scope| -> Vec<String> {
            evaluate(&inventory, scope, &baseline, true, now)
                .findings
                .into_iter()
                .filter(|finding| ["rbac.unbound-role", "secret.reused-value"].contains(&finding.check))
                .map(|finding| {
                    let resource = &finding.resource;
                    let namespace = resource.namespace.as_deref().map(|namespace| format!("{namespace}/"));
                    format!(
                        "{} {} {}{}",
                        finding.check,
                        resource.kind,
                        namespace.unwrap_or_default(),
                        resource.name
                    )
                })
                .collect()
        };
        assert_eq!(
            cross(Scope::Namespace("shop")),
            ["rbac.unbound-role Role shop/exec", "secret.reused-value Secret shop/db"]
        );
        assert_eq!(
            cross(Scope::Namespace("bank")),
            ["rbac.unbound-role Role bank/exec", "secret.reused-value Secret bank/db"]
        );
        assert_eq!(cross(Scope::Cluster), ["rbac.unbound-role ClusterRole god"]);
    }

    #[test]
    fn findings_are_the_template_s_and_stay_put_as_pods_come_and_go() {
        let privileged = json!({"privileged": true});
        let mut inventory = inventory(&[
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "app", "image": "x", "securityContext": privileged}]}}}}),
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "shop",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u", "controller": true}]}}),
        ]);
        let baseline = crate::baseline::ResolvedBaseline::profile(palisade_crds::Profile::Baseline);
        let now = time("2026-06-01T00:00:00Z");
        let privileged_findings = |inventory: &Inventory| -> Vec<(String, Option<String>)> {
            evaluate(inventory, Scope::Namespace("shop"), &baseline, false, now)
                .findings
                .into_iter()
                .filter(|finding| finding.check == "pod.privileged")
                .map(|finding| {
                    (
                        format!("{}/{}", finding.resource.kind, finding.resource.name),
                        finding.container.as_deref().map(str::to_string),
                    )
                })
                .collect()
        };
        let template_only = privileged_findings(&inventory);
        assert_eq!(template_only, [("Deployment/web".to_string(), Some("app".to_string()))]);
        for replica in 0..3 {
            // Replicas as admission leaves them: an injected privileged sidecar.
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("web-1-{replica}"), "namespace": "shop",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u", "controller": true}]},
                "spec": {"containers": [{"name": "app", "image": "x", "securityContext": privileged},
                    {"name": "mesh-proxy", "image": "y", "securityContext": privileged}]}});
            inventory.add_object(pod, &AddOptions::default()).expect("valid");
        }
        let with_pods = privileged_findings(&inventory);
        assert_eq!(with_pods.len(), 2, "{with_pods:?}");
        assert!(with_pods.contains(&("Deployment/web".to_string(), Some("mesh-proxy".to_string()))));
        for replica in 0..3 {
            let pod = crate::ObjectRef {
                kind: crate::Kind::Pod,
                namespace: Some("shop".into()),
                name: format!("web-1-{replica}"),
            };
            inventory.delete(&pod);
        }
        assert_eq!(
            privileged_findings(&inventory),
            template_only,
            "scaled to zero: the template still speaks"
        );
    }

    #[test]
    fn a_secret_is_re_evaluated_when_it_crosses_its_rotation_age() {
        let baseline = crate::baseline::ResolvedBaseline::profile(palisade_crds::Profile::Restricted);
        let inventory = inventory(&[json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "shop", "creationTimestamp": "2026-01-01T00:00:00Z"}})]);
        let now = time("2026-02-01T00:00:00Z");
        let evaluation = evaluate(&inventory, Scope::Namespace("shop"), &baseline, false, now);
        // 90 days allowed: whole days of age exceed 90 from day 91 on.
        assert_eq!(evaluation.changes_at, Some(time("2026-04-02T00:00:00Z")));
        let due = time("2026-04-02T00:00:00Z");
        let later = evaluate(&inventory, Scope::Namespace("shop"), &baseline, false, due);
        assert!(
            later
                .findings
                .iter()
                .any(|finding| finding.check == "secret.rotation-age")
        );
        let just_before = time("2026-04-01T23:59:59Z");
        let earlier = evaluate(&inventory, Scope::Namespace("shop"), &baseline, false, just_before);
        assert!(
            !earlier
                .findings
                .iter()
                .any(|finding| finding.check == "secret.rotation-age")
        );
    }
}
