//! `metav1.Condition` lists as Kubernetes API conventions want them: one per type, and a
//! condition's `lastTransitionTime` moves only when its status does.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// A condition as computed, before it meets the previous list.
pub struct Desired<'a> {
    pub type_: &'a str,
    pub status: bool,
    pub reason: &'a str,
    pub message: String,
    pub observed_generation: Option<i64>,
}

/// The new list: each desired condition keeps the previous `lastTransitionTime` of its type
/// when its status did not change.
pub fn merge(previous: &[Condition], desired: Vec<Desired>, now: &Time) -> Vec<Condition> {
    desired
        .into_iter()
        .map(|desired| {
            let status = if desired.status { "True" } else { "False" }.to_string();
            let last_transition_time = previous
                .iter()
                .find(|condition| condition.type_ == desired.type_ && condition.status == status)
                .map_or_else(|| now.clone(), |condition| condition.last_transition_time.clone());
            Condition {
                type_: desired.type_.to_string(),
                status,
                reason: desired.reason.to_string(),
                message: desired.message,
                observed_generation: desired.observed_generation,
                last_transition_time,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> Time {
        Time(text.parse().expect("time"))
    }

    fn ready(status: bool) -> Desired<'static> {
        Desired {
            type_: "Ready",
            status,
            reason: "R",
            message: String::new(),
            observed_generation: Some(2),
        }
    }

    #[test]
    fn transition_time_moves_only_with_the_status() {
        let first = merge(&[], vec![ready(true)], &time("2026-01-01T00:00:00Z"));
        let same = merge(&first, vec![ready(true)], &time("2026-01-02T00:00:00Z"));
        assert_eq!(same[0].last_transition_time, time("2026-01-01T00:00:00Z"));
        let flipped = merge(&same, vec![ready(false)], &time("2026-01-03T00:00:00Z"));
        assert_eq!(
            (flipped[0].status.as_str(), flipped[0].last_transition_time.clone()),
            ("False", time("2026-01-03T00:00:00Z"))
        );
    }
}
