//! The middle of the pipeline, pure: world + previous report → the report that should exist.
//! (Gathering is the watches' job, applying the writer's.)

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use palisade_checks::drift::FailureDigests;
use palisade_checks::posture::{self, Scope as PostureScope};
use palisade_crds::{ClusterPostureReportStatus, PostureReportStatus};

use super::report::{Limits, NamespaceSummary, Remembered, cluster_status, digest, namespace_status};
use super::world::{Scope, World};

/// A report that should exist, and what is remembered of it once written.
#[derive(Clone, Debug)]
pub struct Report {
    pub status: PostureReportStatus,
    pub remembered: Remembered,
}

/// What evaluating a namespace decided.
#[derive(Clone, Debug)]
pub struct NamespaceOutcome {
    pub namespace: String,
    /// The report that should exist; `None` when the namespace is gone or excluded.
    pub report: Option<Report>,
    /// Whether the namespace itself is gone: its reports went with it (the API server removes a
    /// Namespace only once everything in it is deleted), so there is nothing left to delete.
    pub namespace_gone: bool,
    /// Whether `report` differs from the previous one (a write is due).
    pub changed: bool,
    /// When to evaluate again although nothing changes in the cluster.
    pub changes_at: Option<Timestamp>,
}

/// Evaluates one namespace against the baseline that governs it (or the default profile).
pub fn namespace(
    world: &World,
    scope: &Scope,
    name: &str,
    previous: Option<&Remembered>,
    limits: Limits,
    now: Timestamp,
) -> NamespaceOutcome {
    let namespace_gone = !world.namespace_exists(name);
    if scope.excluded.contains(name) || namespace_gone {
        return NamespaceOutcome {
            namespace: name.to_string(),
            changed: previous.is_some(),
            report: None,
            namespace_gone,
            changes_at: None,
        };
    }
    let governing = world.governing(name);
    let baseline = governing.unwrap_or(&scope.default_profile);
    let evaluation = posture::evaluate(
        &world.inventory,
        PostureScope::Namespace(name),
        baseline,
        scope.content_checks,
        now,
    );
    let assessed = posture::assess(evaluation, baseline, scope.content_checks, now);
    let time = Time(now);
    let required_failures = assessed.required_failures(baseline);
    let drift = assessed.drift(
        governing.is_some(),
        &required_failures,
        previous.and_then(|previous| previous.drift.as_ref()),
        previous
            .map(|previous| &previous.required_failures)
            .unwrap_or(&FailureDigests::default()),
        &time,
    );
    let mut status = namespace_status(&assessed, baseline, drift, previous, &time, limits);
    let changed = previous.is_none_or(|previous| previous.digest != digest(&status));
    status.last_evaluated = if changed {
        Some(time)
    } else {
        previous.and_then(|previous| previous.last_evaluated.clone())
    };
    let remembered = Remembered::of(&status, FailureDigests::of(&required_failures));
    NamespaceOutcome {
        namespace: name.to_string(),
        report: Some(Report { status, remembered }),
        namespace_gone: false,
        changed,
        changes_at: assessed.changes_at,
    }
}

/// The cluster report, with the namespaces' roll-up, and whether it differs from the previous one.
pub fn cluster(
    world: &World,
    scope: &Scope,
    namespaces: &BTreeMap<String, NamespaceSummary>,
    failing_writes: &[String],
    previous: Option<&ClusterPostureReportStatus>,
    limits: Limits,
    now: Timestamp,
) -> (ClusterPostureReportStatus, bool) {
    let baseline = &scope.default_profile;
    let evaluation = posture::evaluate(
        &world.inventory,
        PostureScope::Cluster,
        baseline,
        scope.content_checks,
        now,
    );
    let assessed = posture::assess(evaluation, baseline, scope.content_checks, now);
    let time = Time(now);
    let mut status = cluster_status(&assessed, baseline, namespaces, failing_writes, previous, &time, limits);
    let changed = previous.is_none_or(|previous| *previous != status);
    if changed {
        status.last_evaluated = Some(time);
    }
    (status, changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_checks::{AddOptions, Kind, ObjectRef};
    use palisade_crds::{CheckOutcome, DriftState, HardeningBaseline, Profile};
    use serde_json::json;
    use std::collections::BTreeSet;

    fn world(objects: &[serde_json::Value]) -> World {
        let mut world = World::default();
        for object in objects {
            if object["kind"] == "HardeningBaseline" {
                world.apply_baseline(serde_json::from_value::<HardeningBaseline>(object.clone()).expect("baseline"));
            } else {
                world
                    .inventory
                    .add_object(object.clone(), &AddOptions::default())
                    .expect("valid");
            }
        }
        world
    }

    fn time(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    fn scope() -> Scope {
        Scope::new(BTreeSet::from(["kube-system".to_string()]), Profile::Restricted, false)
    }

    const PRIVILEGED_POD: &str = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}}"#;

    fn shop() -> Vec<serde_json::Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
            serde_json::from_str(PRIVILEGED_POD).expect("pod"),
            json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline", "metadata": {"name": "prod", "generation": 1},
                "spec": {"namespaces": ["shop"], "profile": "baseline"}}),
        ]
    }

    fn first_report(world: &World) -> NamespaceOutcome {
        namespace(
            world,
            &scope(),
            "shop",
            None,
            Limits::default(),
            time("2026-06-01T00:00:00Z"),
        )
    }

    #[test]
    fn an_unchanged_posture_is_no_write_and_keeps_first_seen_and_since() {
        let world = world(&shop());
        let first = first_report(&world);
        let report = first.report.expect("a report");
        assert!(first.changed);
        let drift = report.status.drift.clone().expect("drift");
        let remembered = report.remembered.clone();
        assert_eq!(
            (drift.state, report.status.baseline.as_deref()),
            (DriftState::Drifted, Some("prod"))
        );
        let later = namespace(
            &world,
            &scope(),
            "shop",
            Some(&remembered),
            Limits::default(),
            time("2026-06-02T00:00:00Z"),
        );
        assert!(!later.changed, "nothing changed: no write");
        assert_eq!(
            later.report.as_ref().map(|written| &written.status),
            Some(&report.status)
        );

        // After a restart only what the report lists is known; it is enough.
        let restarted = Remembered::read_back(&report.status);
        let after_restart = namespace(
            &world,
            &scope(),
            "shop",
            Some(&restarted),
            Limits::default(),
            time("2026-06-03T00:00:00Z"),
        );
        assert!(!after_restart.changed);
    }

    #[test]
    fn exemptions_follow_the_governing_baseline_and_malformed_ones_are_reported() {
        let pod = |name: &str, annotations: serde_json::Value| {
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "annotations": annotations},
                "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}})
        };
        let mut objects = shop();
        objects.push(pod(
            "exempt",
            json!({"palisade.dev/exempt": "pod.privileged", "palisade.dev/exempt-reason": "CNI"}),
        ));
        objects.push(pod(
            "everything",
            json!({"palisade.dev/exempt": "*", "palisade.dev/exempt-reason": "CNI"}),
        ));
        let status = first_report(&world(&objects)).report.expect("a report").status;
        let check = |id: &str| {
            let check = status.checks.iter().find(|check| check.id == id);
            check.map(|check| {
                let names = check.resources.iter().map(|resource| resource.name.clone());
                (check.result, names.collect::<Vec<_>>())
            })
        };
        // The baseline lets annotations exempt Advisory checks only: pod.privileged is Required.
        assert_eq!(
            check("pod.privileged"),
            Some((
                CheckOutcome::Fail,
                vec!["everything".to_string(), "exempt".to_string(), "p".to_string()]
            ))
        );
        assert_eq!(
            check("meta.invalid-exemption"),
            Some((CheckOutcome::Fail, vec!["everything".to_string()]))
        );
    }

    #[test]
    fn gone_and_excluded_namespaces_have_no_report() {
        let world = world(&shop());
        let previous = first_report(&world).report.map(|report| report.remembered);
        let excluded = Scope::new(BTreeSet::from(["shop".to_string()]), Profile::Restricted, false);
        let outcome = namespace(
            &world,
            &excluded,
            "shop",
            previous.as_ref(),
            Limits::default(),
            time("2026-06-01T00:00:00Z"),
        );
        assert!(
            outcome.report.is_none() && outcome.changed && !outcome.namespace_gone,
            "the existing report of a namespace that stays is removed"
        );
        let never_seen = namespace(
            &world,
            &scope(),
            "nowhere",
            None,
            Limits::default(),
            time("2026-06-01T00:00:00Z"),
        );
        assert!(never_seen.report.is_none() && !never_seen.changed);
        let mut deleted = world;
        deleted.delete(&ObjectRef {
            kind: Kind::Namespace,
            namespace: None,
            name: "shop".to_string(),
        });
        let gone = namespace(
            &deleted,
            &scope(),
            "shop",
            previous.as_ref(),
            Limits::default(),
            time("2026-06-01T00:00:00Z"),
        );
        assert!(
            gone.report.is_none() && gone.changed && gone.namespace_gone,
            "a deleted namespace's report is forgotten, not deleted: it went with the namespace"
        );
    }

    #[test]
    fn reports_stay_bounded_and_say_they_truncated() {
        let mut objects = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})];
        for index in 0..300 {
            let mut pod: serde_json::Value = serde_json::from_str(PRIVILEGED_POD).expect("pod");
            pod["metadata"]["name"] = json!(format!("p-{index}"));
            objects.push(pod);
        }
        let world = world(&objects);
        let limits = Limits {
            per_check: 50,
            per_report: 120,
        };
        let outcome = namespace(&world, &scope(), "shop", None, limits, time("2026-06-01T00:00:00Z"));
        let status = outcome.report.expect("report").status;
        let listed: usize = status.checks.iter().map(|check| check.resources.len()).sum();
        assert_eq!(listed, 120);
        let privileged = status
            .checks
            .iter()
            .find(|check| check.id == "pod.privileged")
            .expect("listed");
        assert_eq!(
            (privileged.count, privileged.resources.len(), privileged.truncated),
            (300, 50, true)
        );
        assert!(serde_json::to_vec(&status).expect("serializes").len() < 200_000);
    }
}
