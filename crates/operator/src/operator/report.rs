//! Builds the statuses Palisade writes from the posture pipeline's results: a namespace's
//! PostureReport, the ClusterPostureReport and each HardeningBaseline's status. Pure; every
//! list is bounded so no object comes near etcd's request limit, and `firstSeen`, drift
//! `since` and condition transition times carry over from the previous status.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hasher;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use palisade_checks::Finding;
use palisade_checks::baseline::ResolvedBaseline;
use palisade_checks::drift::{FailureDigests, FindingKey, finding_key, key_digest};
use palisade_checks::posture::Posture;
use palisade_crds::{
    AffectedResource, CheckMode, CheckOutcome, CheckResult, ClusterPostureReportStatus, Drift, DriftState,
    ExpiredException, HardeningBaselineStatus, NamespaceRollup, NamespaceScore, PostureReportStatus,
};

use super::conditions::{Desired, merge};
use super::world::BaselineEntry;

/// How much a report lists.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Affected resources listed per check entry.
    pub per_check: usize,
    /// Affected resources listed in one report, all entries together.
    pub per_report: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_check: 50,
            per_report: 1000,
        }
    }
}

/// Longest message kept per affected resource, in bytes.
const MAX_MESSAGE_BYTES: usize = 512;
/// Namespaces listed among the worst in the cluster report, and drifted ones in a baseline.
const MAX_LISTED_NAMESPACES: usize = 20;

/// A PostureReport's status, without `lastEvaluated`: the caller sets it, to the evaluation time
/// only when something else changed, so an unchanged posture writes nothing.
pub fn namespace_status(
    posture: &Posture,
    baseline: &ResolvedBaseline,
    drift: Drift,
    previous: Option<&Remembered>,
    now: &Time,
    limits: Limits,
) -> PostureReportStatus {
    let compliant = drift.state != DriftState::Drifted;
    let (reason, message) = match drift.state {
        DriftState::InSync => (
            "InSync",
            "every Required check passes and no threshold is breached".to_string(),
        ),
        DriftState::Drifted => ("Drifted", drift.items.join("; ")),
        DriftState::NoBaseline => ("NoBaseline", "no HardeningBaseline selects this namespace".to_string()),
    };
    let conditions = merge(
        previous
            .map(|previous| previous.conditions.as_slice())
            .unwrap_or_default(),
        vec![
            evaluated("namespace"),
            Desired {
                type_: "Compliant",
                status: compliant,
                reason,
                message,
                observed_generation: None,
            },
        ],
        now,
    );
    PostureReportStatus {
        baseline: baseline.name.clone(),
        profile: Some(baseline.profile),
        score: Some(posture.score),
        summary: posture.summary.clone(),
        last_evaluated: None,
        drift: Some(drift),
        checks: check_results(posture, baseline, &|key| previous?.first_seen(key), now, limits),
        conditions,
    }
}

/// What is remembered of a written report: enough to carry firstSeen, drift and condition
/// transition times forward and to tell whether a new report differs, without holding the
/// report (at 10k pods the reports themselves would be most of the operator's memory).
#[derive(Clone, Debug, PartialEq)]
pub struct Remembered {
    /// Digest of the report without `lastEvaluated`.
    pub digest: u64,
    pub last_evaluated: Option<Time>,
    pub drift: Option<Drift>,
    pub conditions: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    /// When each listed finding was first seen, by the digest of its key.
    first_seen: HashMap<u64, Time>,
    /// The failing Required findings (all when computed here; the listed ones when read back
    /// after a restart): what drift regressions compare against.
    pub required_failures: FailureDigests,
    pub summary: NamespaceSummary,
}

impl Remembered {
    /// Remembers a report; `status.last_evaluated` does not count in its digest.
    pub fn of(status: &PostureReportStatus, required_failures: FailureDigests) -> Remembered {
        let first_seen = listed_first_seen(&status.checks)
            .map(|(key, time)| (key_digest(&key), time.clone()))
            .collect();
        Remembered {
            digest: digest(status),
            last_evaluated: status.last_evaluated.clone(),
            drift: status.drift.clone(),
            conditions: status.conditions.clone(),
            first_seen,
            required_failures,
            summary: NamespaceSummary {
                state: status
                    .drift
                    .as_ref()
                    .map_or(DriftState::NoBaseline, |drift| drift.state),
                score: status.score.unwrap_or(100),
                baseline: status.baseline.clone(),
            },
        }
    }

    /// A report read back from the API server.
    pub fn read_back(status: &PostureReportStatus) -> Remembered {
        Remembered::of(status, listed_required_failures(status))
    }

    fn first_seen(&self, key: &str) -> Option<Time> {
        self.first_seen.get(&key_digest(key)).cloned()
    }
}

/// When each finding a report lists was first seen, by its key.
fn listed_first_seen(checks: &[CheckResult]) -> impl Iterator<Item = (FindingKey, &Time)> {
    checks.iter().flat_map(|check| {
        check.resources.iter().filter_map(|resource| {
            let key = finding_key(&check.id, &resource.kind, &resource.name, resource.container.as_deref());
            Some((key, resource.first_seen.as_ref()?))
        })
    })
}

/// Digest of a report's content: its JSON without `lastEvaluated`, hashed as it is written out.
pub fn digest(status: &PostureReportStatus) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(DefaultHasher::new());
    // Every field but lastEvaluated, so the report need not be cloned.
    let parts = (
        &status.baseline,
        &status.profile,
        &status.score,
        &status.summary,
        &status.drift,
        &status.checks,
        &status.conditions,
    );
    // Serializing plain data into a hasher cannot fail.
    let _ = serde_json::to_writer(&mut writer, &parts);
    writer.0.finish()
}

/// The failing Required findings a report lists: what drift regressions compare against after a
/// restart.
fn listed_required_failures(status: &PostureReportStatus) -> FailureDigests {
    FailureDigests::of(
        status
            .checks
            .iter()
            .filter(|check| check.mode == CheckMode::Required && check.result == CheckOutcome::Fail)
            .flat_map(|check| {
                check.resources.iter().map(|resource| {
                    finding_key(&check.id, &resource.kind, &resource.name, resource.container.as_deref())
                })
            }),
    )
}

/// One entry per check and outcome (failing, excepted), most severe first, each listing its
/// resources up to the limits with when each finding was first seen.
fn check_results(
    posture: &Posture,
    baseline: &ResolvedBaseline,
    first_seen: &dyn Fn(&str) -> Option<Time>,
    now: &Time,
    limits: Limits,
) -> Vec<CheckResult> {
    let mut groups: BTreeMap<(palisade_crds::Severity, &str, u8), Vec<&Finding>> = BTreeMap::new();
    let outcomes = posture
        .failing
        .iter()
        .map(|finding| (finding, 0))
        .chain(posture.excepted.iter().map(|excepted| (&excepted.finding, 1)));
    for (finding, outcome) in outcomes {
        let severity = baseline.treatment(finding.check).severity;
        groups
            .entry((severity, finding.check, outcome))
            .or_default()
            .push(finding);
    }
    let mut budget = limits.per_report;
    groups
        .into_iter()
        .map(|((severity, id, outcome), findings)| {
            let listed = findings.len().min(limits.per_check).min(budget);
            budget -= listed;
            let resources = findings
                .iter()
                .take(listed)
                .map(|finding| {
                    let resource = &finding.resource;
                    let key = finding_key(id, &resource.kind, &resource.name, finding.container.as_deref());
                    AffectedResource {
                        kind: resource.kind.clone(),
                        name: resource.name.clone(),
                        container: finding.container.as_deref().map(str::to_string),
                        message: bounded(&finding.message),
                        first_seen: Some(first_seen(&key).unwrap_or_else(|| now.clone())),
                    }
                })
                .collect();
            CheckResult {
                id: id.to_string(),
                title: palisade_checks::find(id).map_or_else(String::new, |check| check.title.to_string()),
                severity,
                mode: baseline.treatment(id).mode,
                result: if outcome == 0 {
                    CheckOutcome::Fail
                } else {
                    CheckOutcome::Excepted
                },
                count: i32::try_from(findings.len()).unwrap_or(i32::MAX),
                truncated: listed < findings.len(),
                resources,
            }
        })
        .collect()
}

fn bounded(message: &str) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message.to_string();
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

/// What the cluster report rolls up of one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceSummary {
    pub state: DriftState,
    pub score: i32,
    pub baseline: Option<String>,
}

/// `Ready`: the scope was evaluated.
fn evaluated(scope: &str) -> Desired<'static> {
    Desired {
        type_: "Ready",
        status: true,
        reason: "Evaluated",
        message: format!("the {scope} was evaluated"),
        observed_generation: None,
    }
}

/// `Stalled`: True (with a reason) when something keeps failing, so kstatus and Flux report the
/// object as failed; False otherwise.
fn stalled(failure: Option<(&'static str, String)>) -> Desired<'static> {
    let (status, reason, message) = match failure {
        Some((reason, message)) => (true, reason, message),
        None => (false, "Progressing", "nothing keeps failing".to_string()),
    };
    Desired {
        type_: "Stalled",
        status,
        reason,
        message,
        observed_generation: None,
    }
}

/// Namespaces whose reports could not be written several times in a row, as a Stalled reason.
fn writes_failing(namespaces: &[String]) -> Option<(&'static str, String)> {
    if namespaces.is_empty() {
        return None;
    }
    let listed: Vec<&str> = namespaces
        .iter()
        .take(MAX_LISTED_NAMESPACES)
        .map(String::as_str)
        .collect();
    Some((
        "ReportWritesFailing",
        format!(
            "reports of {} namespaces cannot be written: {}",
            namespaces.len(),
            listed.join(", ")
        ),
    ))
}

/// The ClusterPostureReport's status: cluster-scoped findings and the namespaces' roll-up.
pub fn cluster_status(
    posture: &Posture,
    baseline: &ResolvedBaseline,
    namespaces: &BTreeMap<String, NamespaceSummary>,
    failing_writes: &[String],
    previous: Option<&ClusterPostureReportStatus>,
    now: &Time,
    limits: Limits,
) -> ClusterPostureReportStatus {
    let mut rollup = NamespaceRollup::default();
    for summary in namespaces.values() {
        rollup.total += 1;
        match summary.state {
            DriftState::InSync => rollup.in_sync += 1,
            DriftState::Drifted => rollup.drifted += 1,
            DriftState::NoBaseline => rollup.no_baseline += 1,
        }
    }
    let mut worst: Vec<NamespaceScore> = namespaces
        .iter()
        .map(|(namespace, summary)| NamespaceScore {
            namespace: namespace.clone(),
            score: summary.score,
        })
        .collect();
    worst.sort_by(|a, b| a.score.cmp(&b.score).then_with(|| a.namespace.cmp(&b.namespace)));
    worst.truncate(MAX_LISTED_NAMESPACES);
    let first_seen: HashMap<FindingKey, &Time> = previous
        .map(|previous| listed_first_seen(&previous.checks).collect())
        .unwrap_or_default();
    let conditions = merge(
        previous
            .map(|previous| previous.conditions.as_slice())
            .unwrap_or_default(),
        vec![
            evaluated("cluster"),
            Desired {
                type_: "Compliant",
                status: rollup.drifted == 0,
                reason: if rollup.drifted == 0 {
                    "NoNamespaceDrifted"
                } else {
                    "NamespacesDrifted"
                },
                message: format!("{} of {} namespaces drifted", rollup.drifted, rollup.total),
                observed_generation: None,
            },
            stalled(writes_failing(failing_writes)),
        ],
        now,
    );
    ClusterPostureReportStatus {
        score: Some(posture.score),
        summary: posture.summary.clone(),
        namespaces: rollup,
        worst_namespaces: worst,
        checks: check_results(
            posture,
            baseline,
            &|key| first_seen.get(key).map(|time| (*time).clone()),
            now,
            limits,
        ),
        last_evaluated: previous.and_then(|previous| previous.last_evaluated.clone()),
        conditions,
    }
}

/// A HardeningBaseline's status: whether its spec is accepted, which namespaces it governs and
/// which of them drifted, and its expired exceptions.
pub fn baseline_status(
    entry: &BaselineEntry,
    governed: &BTreeMap<String, DriftState>,
    failing_writes: &[String],
    now: &Time,
) -> HardeningBaselineStatus {
    let previous = entry
        .status
        .as_ref()
        .map(|status| status.conditions.as_slice())
        .unwrap_or_default();
    let drifted: Vec<String> = governed
        .iter()
        .filter(|(_, state)| **state == DriftState::Drifted)
        .map(|(namespace, _)| namespace.clone())
        .collect();
    let count = |value: usize| i32::try_from(value).unwrap_or(i32::MAX);
    let (ready, compliant) = match &entry.resolved {
        Ok(_) => (
            Desired {
                type_: "Ready",
                status: true,
                reason: "Accepted",
                message: "the spec is valid".to_string(),
                observed_generation: entry.generation,
            },
            Desired {
                type_: "Compliant",
                status: drifted.is_empty(),
                reason: if drifted.is_empty() {
                    "NoNamespaceDrifted"
                } else {
                    "NamespacesDrifted"
                },
                message: format!("{} of {} namespaces drifted", drifted.len(), governed.len()),
                observed_generation: entry.generation,
            },
        ),
        Err(problems) => (
            Desired {
                type_: "Ready",
                status: false,
                reason: "InvalidSpec",
                message: format!("spec.{}", problems.join("; spec.")),
                observed_generation: entry.generation,
            },
            Desired {
                type_: "Compliant",
                status: false,
                reason: "InvalidSpec",
                message: "the baseline is not applied until its spec is fixed".to_string(),
                observed_generation: entry.generation,
            },
        ),
    };
    let expired_exceptions = entry
        .spec
        .exceptions
        .iter()
        .filter(|exception| exception.expires.0 <= now.0)
        .map(|exception| ExpiredException {
            checks: exception.checks.clone(),
            reason: exception.reason.clone(),
            expired: exception.expires.clone(),
        })
        .collect();
    let stalled = match &entry.resolved {
        Err(problems) => stalled(Some(("InvalidSpec", format!("spec.{}", problems.join("; spec."))))),
        Ok(_) => stalled(writes_failing(failing_writes)),
    };
    let stalled = Desired {
        observed_generation: entry.generation,
        ..stalled
    };
    HardeningBaselineStatus {
        observed_generation: entry.generation,
        conditions: merge(previous, vec![ready, compliant, stalled], now),
        matched_namespaces: count(governed.len()),
        compliant_namespaces: count(governed.len() - drifted.len()),
        drifted_namespaces: count(drifted.len()),
        drifted: drifted.into_iter().take(MAX_LISTED_NAMESPACES).collect(),
        expired_exceptions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::world::World;
    use palisade_crds::HardeningBaseline;
    use serde_json::json;

    fn entry(spec: serde_json::Value) -> BaselineEntry {
        let mut world = World::default();
        let baseline: HardeningBaseline = serde_json::from_value(json!({"apiVersion": "palisade.dev/v1alpha1",
            "kind": "HardeningBaseline", "metadata": {"name": "b", "generation": 3}, "spec": spec}))
        .expect("baseline");
        world.apply_baseline(baseline);
        world.baselines.remove("b").expect("stored")
    }

    fn condition<'a>(status: &'a HardeningBaselineStatus, type_: &str) -> (&'a str, &'a str, &'a str) {
        let condition = status
            .conditions
            .iter()
            .find(|condition| condition.type_ == type_)
            .expect("condition");
        (
            condition.status.as_str(),
            condition.reason.as_str(),
            condition.message.as_str(),
        )
    }

    #[test]
    fn an_invalid_baseline_is_not_ready_and_stalled_naming_the_field() {
        let now = Time("2026-06-01T00:00:00Z".parse().expect("time"));
        let invalid = entry(
            json!({"namespaces": ["a"], "profile": "baseline", "checks": [{"id": "pod.privilegd", "mode": "Disabled"}]}),
        );
        let status = baseline_status(&invalid, &BTreeMap::new(), &[], &now);
        let (ready, reason, message) = condition(&status, "Ready");
        assert_eq!((ready, reason), ("False", "InvalidSpec"));
        assert_eq!(message, "spec.checks[0].id \"pod.privilegd\" matches no check");
        assert_eq!(condition(&status, "Stalled").0, "True");
        assert_eq!(status.observed_generation, Some(3));
        assert!(
            status
                .conditions
                .iter()
                .all(|condition| condition.observed_generation == Some(3))
        );
    }

    #[test]
    fn a_valid_baseline_counts_its_namespaces_and_stalls_only_when_writes_keep_failing() {
        let now = Time("2026-06-01T00:00:00Z".parse().expect("time"));
        let valid = entry(json!({"namespaces": ["a", "b"], "profile": "baseline", "exceptions": [
            {"checks": ["pod.privileged"], "reason": "agent", "expires": "2026-05-01T00:00:00Z"}]}));
        let governed = BTreeMap::from([
            ("a".to_string(), DriftState::Drifted),
            ("b".to_string(), DriftState::InSync),
        ]);
        let status = baseline_status(&valid, &governed, &[], &now);
        assert_eq!(
            (
                status.matched_namespaces,
                status.drifted_namespaces,
                status.compliant_namespaces
            ),
            (2, 1, 1)
        );
        assert_eq!(status.drifted, ["a"]);
        assert_eq!(condition(&status, "Compliant").0, "False");
        assert_eq!(condition(&status, "Stalled").0, "False");
        assert_eq!(status.expired_exceptions.len(), 1);
        let stalled = baseline_status(&valid, &governed, &["b".to_string()], &now);
        assert_eq!(condition(&stalled, "Stalled").1, "ReportWritesFailing");
    }
}
