//! Evaluates a loaded inventory against a baseline and shapes the result for the formats:
//! failing and excepted findings with their check's title, effective severity and mode, and the
//! file they come from, in a deterministic order, plus the summary.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::jiff::Timestamp;
use palisade_checks::exceptions::Cover;
use palisade_checks::posture::{self, Scope};
use palisade_checks::{Finding, find};
use palisade_crds::{CheckMode, Severity};

use super::baseline_file::AuditBaseline;
use super::load::Loaded;

/// A finding as reported.
#[derive(Clone, Debug)]
pub struct Row {
    pub finding: Finding,
    pub title: &'static str,
    /// The baseline's effective severity for the check.
    pub severity: Severity,
    pub mode: CheckMode,
    /// The source file of the resource, when known.
    pub file: Option<String>,
    /// What excepts the finding (`None` for failing findings).
    pub exception: Option<Exception>,
}

/// Why a finding is excepted.
#[derive(Clone, Debug)]
pub struct Exception {
    pub reason: String,
    pub expires: Option<Timestamp>,
    pub cover: Cover,
}

/// Counts over the whole audit.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Failing findings by effective severity.
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub failing: usize,
    /// Failing findings of Required checks.
    pub required: usize,
    pub advisory: usize,
    pub excepted: usize,
    pub resources_evaluated: usize,
    pub objects: usize,
    pub files: usize,
    /// Skipped objects by `apiVersion/Kind`.
    pub skipped: BTreeMap<String, usize>,
    pub input_errors: usize,
    /// Baseline exceptions that expired and cover nothing any more.
    pub expired_exceptions: usize,
    /// The posture score over every evaluated check (see `palisade_checks::score`).
    pub score: i32,
    pub baseline: String,
}

/// The result of an audit.
#[derive(Clone, Debug)]
pub struct Report {
    pub failing: Vec<Row>,
    pub excepted: Vec<Row>,
    /// What to tell about each expired baseline exception.
    pub expired: Vec<String>,
    pub summary: Summary,
}

/// Evaluates every namespace of the inventory but the `excluded` ones and the cluster scope with
/// the checks the baseline enables (namespaces in parallel), then applies the baseline at `now`
/// through the posture pipeline the operator uses too. Objects of excluded namespaces still
/// count where other scopes look at them (a secret value reused elsewhere), as in the operator.
pub fn build(
    loaded: &Loaded,
    files: usize,
    baseline: &AuditBaseline,
    content_checks: bool,
    excluded: &BTreeSet<String>,
    now: Timestamp,
) -> Report {
    let resolved = &baseline.resolved;
    let inventory = &loaded.inventory;
    let namespaces: Vec<&str> = inventory
        .namespaces
        .keys()
        .filter(|namespace| !excluded.contains(*namespace))
        .map(String::as_str)
        .collect();
    let evaluations = crate::parallel::by_share(&namespaces, |share| {
        let evaluate =
            |namespace: &&str| posture::evaluate(inventory, Scope::Namespace(namespace), resolved, content_checks, now);
        share.iter().map(evaluate).collect::<Vec<_>>()
    });
    let mut evaluation = posture::evaluate(inventory, Scope::Cluster, resolved, content_checks, now);
    evaluations
        .into_iter()
        .flatten()
        .for_each(|part| evaluation.absorb(part));
    let resources_evaluated = evaluation.resources_evaluated;
    let posture = posture::assess(evaluation, resolved, content_checks, now);
    let expired: Vec<String> = posture
        .expired_exceptions
        .iter()
        .filter_map(|index| resolved.exceptions.get(*index).map(|exception| (index, exception)))
        .map(|(index, exception)| {
            format!(
                "exceptions[{index}] ({}) expired at {}; the findings it covered fail again",
                exception.checks.join(", "),
                exception.expires.0
            )
        })
        .collect();
    let counts = &posture.summary;
    let score = posture.score;

    let row = |finding: Finding, exception: Option<Exception>| {
        let treatment = resolved.treatment(finding.check);
        Row {
            title: find(finding.check).map_or("", |check| check.title),
            severity: treatment.severity,
            mode: treatment.mode,
            file: loaded.origins.origin_of(&finding.resource).map(|origin| origin.file.to_string()),
            finding,
            exception,
        }
    };
    let mut failing: Vec<Row> = posture.failing.into_iter().map(|finding| row(finding, None)).collect();
    let mut excepted: Vec<Row> = posture
        .excepted
        .into_iter()
        .map(|excepted| {
            let exception = Exception {
                reason: excepted.reason,
                expires: excepted.expires,
                cover: excepted.cover,
            };
            row(excepted.finding, Some(exception))
        })
        .collect();
    failing.sort_unstable_by(order);
    excepted.sort_unstable_by(order);

    let required = failing.iter().filter(|row| row.mode == CheckMode::Required).count();
    let summary = Summary {
        critical: count(counts.critical),
        high: count(counts.high),
        medium: count(counts.medium),
        low: count(counts.low),
        info: count(counts.info),
        failing: failing.len(),
        required,
        advisory: failing.len() - required,
        excepted: excepted.len(),
        resources_evaluated,
        objects: loaded.objects,
        files,
        skipped: loaded.skipped.clone(),
        input_errors: loaded.errors.len(),
        expired_exceptions: expired.len(),
        score,
        baseline: baseline.name.clone(),
    };
    Report {
        failing,
        excepted,
        expired,
        summary,
    }
}

/// Most severe first, then by check, resource, container and message.
fn order(a: &Row, b: &Row) -> std::cmp::Ordering {
    (a.severity, &a.finding).cmp(&(b.severity, &b.finding))
}

fn count(value: i32) -> usize {
    usize::try_from(value).unwrap_or(0)
}

impl Report {
    /// Whether a failing finding of a Required check has a severity at or above `threshold`.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        // Severity orders most severe first.
        self.failing
            .iter()
            .any(|row| row.mode == CheckMode::Required && row.severity <= threshold)
    }
}
