//! The posture score and the compliance verdict.
//!
//! Score: every evaluated check carries its effective severity's weight (critical 10, high 5,
//! medium 3, low 1, info 0); a check that fails anywhere in the report (after exceptions)
//! loses its whole weight. `score = floor(100 × passing weight / evaluated weight)`, and 100
//! when nothing weighs anything. It depends on which checks fail, not on how many replicas or
//! objects fail them, so a score moves only when the posture does.

use std::collections::BTreeSet;

use palisade_crds::{CheckMode, Severity, Summary};

use crate::baseline::ResolvedBaseline;
use crate::engine::Finding;

/// Weight of a severity in the score.
pub fn weight(severity: Severity) -> u64 {
    match severity {
        Severity::Critical => 10,
        Severity::High => 5,
        Severity::Medium => 3,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

/// The score of a report over `evaluated` check ids, given its failing findings.
pub fn score<'a>(
    evaluated: impl IntoIterator<Item = &'a str>,
    failing: &[Finding],
    baseline: &ResolvedBaseline,
) -> i32 {
    let failed: BTreeSet<&str> = failing.iter().map(|finding| finding.check).collect();
    score_of_failed_checks(evaluated, &failed, baseline)
}

/// The score over `evaluated` check ids, given the ids of the checks that fail: it depends on
/// which checks fail, not on how often.
pub fn score_of_failed_checks<'a>(
    evaluated: impl IntoIterator<Item = &'a str>,
    failed: &BTreeSet<&str>,
    baseline: &ResolvedBaseline,
) -> i32 {
    let (mut total, mut lost) = (0u64, 0u64);
    for id in evaluated {
        let check_weight = weight(baseline.treatment(id).severity);
        total += check_weight;
        if failed.contains(id) {
            lost += check_weight;
        }
    }
    if total == 0 {
        return 100;
    }
    i32::try_from((total - lost) * 100 / total).unwrap_or(0)
}

/// Failing findings by effective severity.
pub fn summarize(
    failing: &[Finding],
    excepted: usize,
    resources_evaluated: usize,
    baseline: &ResolvedBaseline,
) -> Summary {
    let mut summary = Summary {
        resources_evaluated: saturating_i32(resources_evaluated),
        excepted: saturating_i32(excepted),
        ..Summary::default()
    };
    for finding in failing {
        let counter = match baseline.treatment(finding.check).severity {
            Severity::Critical => &mut summary.critical,
            Severity::High => &mut summary.high,
            Severity::Medium => &mut summary.medium,
            Severity::Low => &mut summary.low,
            Severity::Info => &mut summary.info,
        };
        *counter = counter.saturating_add(1);
    }
    summary
}

fn saturating_i32(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Why a report does not comply with its baseline; empty when it complies. A Required check
/// that fails, a score under `minScore`, or more critical/high findings than allowed.
pub fn noncompliance(failing: &[Finding], score: i32, summary: &Summary, baseline: &ResolvedBaseline) -> Vec<String> {
    let mut reasons: Vec<String> = failing
        .iter()
        .filter(|finding| baseline.treatment(finding.check).mode == CheckMode::Required)
        .map(|finding| finding.check)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|check| format!("Required check {check} fails"))
        .collect();
    let thresholds = &baseline.thresholds;
    if let Some(min) = thresholds.min_score.filter(|min| score < *min) {
        reasons.push(format!("score {score} is below minScore {min}"));
    }
    if let Some(max) = thresholds.max_critical.filter(|max| summary.critical > *max) {
        reasons.push(format!(
            "{} critical findings exceed maxCritical {max}",
            summary.critical
        ));
    }
    if let Some(max) = thresholds.max_high.filter(|max| summary.high > *max) {
        reasons.push(format!("{} high findings exceed maxHigh {max}", summary.high));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ResourceRef;
    use palisade_crds::Profile;
    use serde_json::json;

    fn failing(check: &'static str, name: &str) -> Finding {
        Finding::new(check, ResourceRef::new("Pod", Some("ns"), name), "m")
    }

    #[test]
    fn score_weighs_failing_checks_not_replicas() {
        let baseline = ResolvedBaseline::profile(Profile::Restricted);
        // critical 10 + medium 3 + low 1 = 14; pod.privileged (critical) fails.
        let evaluated = ["pod.privileged", "pod.host-ports", "pod.read-only-root-fs"];
        let one = [failing("pod.privileged", "a")];
        let many = [failing("pod.privileged", "a"), failing("pod.privileged", "b")];
        assert_eq!(score(evaluated, &one, &baseline), 28);
        assert_eq!(score(evaluated, &many, &baseline), 28);
        assert_eq!(score(evaluated, &[], &baseline), 100);
        assert_eq!(score([], &one, &baseline), 100);
    }

    #[test]
    fn thresholds_and_required_checks_decide_compliance() {
        let spec = json!({"namespaces": ["ns"], "profile": "baseline",
            "thresholds": {"minScore": 90, "maxCritical": 0, "maxHigh": 1}});
        let baseline = crate::baseline::resolve(None, &serde_json::from_value(spec).expect("spec")).expect("valid");
        let findings = [failing("pod.privileged", "a"), failing("pod.read-only-root-fs", "a")];
        let summary = summarize(&findings, 0, 1, &baseline);
        assert_eq!((summary.critical, summary.low), (1, 1));
        assert_eq!(
            noncompliance(&findings, 50, &summary, &baseline),
            vec![
                "Required check pod.privileged fails".to_string(),
                "score 50 is below minScore 90".to_string(),
                "1 critical findings exceed maxCritical 0".to_string(),
            ]
        );
        let advisory_only = [failing("pod.read-only-root-fs", "a")];
        let summary = summarize(&advisory_only, 0, 1, &baseline);
        assert!(noncompliance(&advisory_only, 95, &summary, &baseline).is_empty());
    }
}
