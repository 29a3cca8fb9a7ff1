//! Drift: whether a namespace matches its declared baseline, since when, and what regressed.
//! The previous drift and findings come from the namespace's last report, so the state survives
//! operator restarts.

use std::collections::BTreeSet;

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
pub fn compute(
    previous: Option<&Drift>,
    previous_failures: &BTreeSet<FindingKey>,
    current: &Current,
    now: &Time,
) -> Drift {
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
            .filter(|key| !previous_failures.contains(*key))
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
        let none = BTreeSet::new();
        let in_sync = compute(
            None,
            &none,
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
            &none,
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
            &first,
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
            &second,
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
            &none,
            &Current {
                has_baseline: false,
                noncompliance: &[],
                required_failures: &none,
            },
            &time("2026-01-05T00:00:00Z"),
        );
        assert_eq!(orphan.state, DriftState::NoBaseline);
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
