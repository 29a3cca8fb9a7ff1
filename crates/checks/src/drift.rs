//! Drift: whether a namespace matches its declared baseline, since when, and what regressed.
//! The previous drift and findings come from the namespace's last report, so the state survives
//! operator restarts.

use std::collections::BTreeSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use palisade_crds::{Drift, DriftState};

/// How many reasons and regressions a report lists.
pub const MAX_DRIFT_ITEMS: usize = 20;

/// A finding's identity across evaluations: check, resource kind and name, container.
pub type FindingKey = String;

/// The key of a finding, e.g. `pod.privileged Deployment/web container=app`.
pub fn finding_key(check: &str, kind: &str, name: &str, container: Option<&str>) -> FindingKey {
    match container {
        Some(container) => format!("{check} {kind}/{name} container={container}"),
        None => format!("{check} {kind}/{name}"),
    }
}

/// A 64-bit digest of a finding's key: what is remembered of a finding between evaluations.
/// Deterministic within a process (SipHash with fixed keys); never written anywhere.
pub fn key_digest(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// The Required failures of a namespace's last report, each by its [`key_digest`]: what the next
/// evaluation's failures are compared against to find regressions. The operator keeps one per
/// namespace for as long as it runs, so it holds 8 bytes per failure instead of the key's text.
/// A new failure whose digest equals a previous failure's would not be listed as a regression;
/// among a namespace's thousands of keys the chance of that is below one in 10^11.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureDigests(Box<[u64]>);

impl FailureDigests {
    pub fn of(keys: impl IntoIterator<Item = impl AsRef<str>>) -> FailureDigests {
        let mut digests: Vec<u64> = keys.into_iter().map(|key| key_digest(key.as_ref())).collect();
        digests.sort_unstable();
        digests.dedup();
        FailureDigests(digests.into_boxed_slice())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.binary_search(&key_digest(key)).is_ok()
    }
}

/// What the current evaluation says.
pub struct Current<'a> {
    /// Whether a baseline governs the namespace.
    pub has_baseline: bool,
    /// Why the namespace does not comply (empty when it complies).
    pub noncompliance: &'a [String],
    /// Keys of the failing findings of Required checks.
    pub required_failures: &'a BTreeSet<FindingKey>,
}

/// The new drift. `since` moves only when the state changes. Regressions are the Required
/// failures first seen while drifted, accumulated until the namespace is back in sync.
pub fn compute(previous: Option<&Drift>, previous_failures: &FailureDigests, current: &Current, now: &Time) -> Drift {
    let state = match (current.has_baseline, current.noncompliance.is_empty()) {
        (false, _) => DriftState::NoBaseline,
        (true, true) => DriftState::InSync,
        (true, false) => DriftState::Drifted,
    };
    let unchanged = previous.filter(|previous| previous.state == state);
    let since = unchanged
        .and_then(|previous| previous.since.clone())
        .unwrap_or_else(|| now.clone());
    let regressions = if state == DriftState::Drifted {
        let mut regressions: Vec<String> = unchanged
            .map(|previous| previous.regressions.clone())
            .unwrap_or_default();
        for key in current
            .required_failures
            .iter()
            .filter(|key| !previous_failures.contains(key))
        {
            if regressions.len() >= MAX_DRIFT_ITEMS {
                break;
            }
            if !regressions.contains(key) {
                regressions.push(key.clone());
            }
        }
        regressions
    } else {
        Vec::new()
    };
    Drift {
        state,
        since: Some(since),
        items: current.noncompliance.iter().take(MAX_DRIFT_ITEMS).cloned().collect(),
        regressions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> Time {
        Time(text.parse().expect("time"))
    }

    #[test]
    fn since_moves_only_on_state_changes_and_regressions_accumulate() {
        let keys = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<BTreeSet<_>>();
        let digests = |keys: &BTreeSet<String>| FailureDigests::of(keys);
        let none = BTreeSet::new();
        let no_failures = FailureDigests::default();
        let in_sync = compute(
            None,
            &no_failures,
            &Current {
                has_baseline: true,
                noncompliance: &[],
                required_failures: &none,
            },
            &time("2026-01-01T00:00:00Z"),
        );
        assert_eq!(
            (in_sync.state, in_sync.since.clone()),
            (DriftState::InSync, Some(time("2026-01-01T00:00:00Z")))
        );

        let reasons = vec!["Required check pod.privileged fails".to_string()];
        let first = keys(&["pod.privileged Pod/a"]);
        let drifted = compute(
            Some(&in_sync),
            &no_failures,
            &Current {
                has_baseline: true,
                noncompliance: &reasons,
                required_failures: &first,
            },
            &time("2026-01-02T00:00:00Z"),
        );
        assert_eq!(drifted.state, DriftState::Drifted);
        assert_eq!(drifted.since, Some(time("2026-01-02T00:00:00Z")));
        assert_eq!(drifted.regressions, vec!["pod.privileged Pod/a"]);
        assert_eq!(drifted.items, reasons);

        let second = keys(&["pod.privileged Pod/a", "pod.privileged Pod/b"]);
        let still = compute(
            Some(&drifted),
            &digests(&first),
            &Current {
                has_baseline: true,
                noncompliance: &reasons,
                required_failures: &second,
            },
            &time("2026-01-03T00:00:00Z"),
        );
        assert_eq!(still.since, Some(time("2026-01-02T00:00:00Z")));
        assert_eq!(still.regressions, vec!["pod.privileged Pod/a", "pod.privileged Pod/b"]);

        let back = compute(
            Some(&still),
            &digests(&second),
            &Current {
                has_baseline: true,
                noncompliance: &[],
                required_failures: &none,
            },
            &time("2026-01-04T00:00:00Z"),
        );
        assert_eq!((back.state, back.regressions.len()), (DriftState::InSync, 0));
        let orphan = compute(
            Some(&back),
            &no_failures,
            &Current {
                has_baseline: false,
                noncompliance: &[],
                required_failures: &none,
            },
            &time("2026-01-05T00:00:00Z"),
        );
        assert_eq!(orphan.state, DriftState::NoBaseline);

        // Failures the previous report already had are not regressions when drift begins.
        let governed_again = compute(
            Some(&orphan),
            &digests(&first),
            &Current {
                has_baseline: true,
                noncompliance: &reasons,
                required_failures: &second,
            },
            &time("2026-01-06T00:00:00Z"),
        );
        assert_eq!(governed_again.regressions, vec!["pod.privileged Pod/b"]);
    }

    #[test]
    fn failure_digests_hold_exactly_the_keys_they_were_made_of() {
        let keys = [
            "pod.privileged Pod/a",
            "pod.privileged Pod/a container=app",
            "rbac.wildcard Role/b",
        ];
        let digests = FailureDigests::of(keys.into_iter().chain(["pod.privileged Pod/a"]));
        assert!(keys.iter().all(|key| digests.contains(key)));
        for other in [
            "pod.privileged Pod/b",
            "pod.privileged Pod/a container=ap",
            "",
            "rbac.wildcard Role/b ",
        ] {
            assert!(!digests.contains(other), "{other:?}");
        }
        assert!(!FailureDigests::default().contains("pod.privileged Pod/a"));
    }

    #[test]
    fn keys_name_the_container_when_there_is_one() {
        assert_eq!(
            finding_key("pod.privileged", "Deployment", "web", Some("app")),
            "pod.privileged Deployment/web container=app"
        );
        assert_eq!(
            finding_key("net.default-deny-ingress", "Namespace", "shop", None),
            "net.default-deny-ingress Namespace/shop"
        );
    }
}
