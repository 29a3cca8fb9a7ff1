//! Evaluates a loaded inventory against a baseline and shapes the result for the formats:
//! failing and excepted findings with their check's title, effective severity and mode, and the
//! file and line they come from, in a deterministic order, plus the summary, each namespace's
//! counts and score, and the checks evaluated.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::num::NonZeroU32;
use std::sync::Arc;

use foldhash::fast::RandomState;
use k8s_openapi::jiff::Timestamp;
use palisade_checks::baseline::ResolvedBaseline;
use palisade_checks::exceptions::Cover;
use palisade_checks::posture::{self, Scope};
use palisade_checks::{Evaluation, Finding, ResourceRef, find};
use palisade_crds::{CheckMode, Severity};

use super::baseline_file::AuditBaseline;
use super::governance::Governed;
use super::load::Loaded;
use super::origins::Origin;

/// A finding as reported: its fields (less the annotation's exemption reason, which the posture
/// has turned into `exception`) and how the baseline treats it. No larger than a finding, so the
/// rows are made in the memory the findings held (72k findings: 21 MB less at the peak).
#[derive(Clone, Debug)]
pub struct Row {
    pub check: &'static str,
    pub resource: Arc<ResourceRef>,
    pub container: Option<Arc<str>>,
    /// Never contains a secret's or a literal env var's value.
    pub message: Cow<'static, str>,
    /// The baseline's effective severity for the check.
    pub severity: Severity,
    pub mode: CheckMode,
    /// The source file of the resource, when known (shared by its findings).
    pub file: Option<Arc<String>>,
    /// The 1-based line of that file where the resource's document starts.
    pub line: Option<NonZeroU32>,
    /// What excepts the finding (`None` for failing findings).
    pub exception: Option<Box<Exception>>,
}

const _: () = assert!(std::mem::size_of::<Row>() <= std::mem::size_of::<Finding>());

impl Row {
    pub fn title(&self) -> &'static str {
        find(self.check).map_or("", |check| check.title)
    }
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
    /// What each baseline or profile governed (see [`super::governance`]).
    pub governed: Vec<Governed>,
}

/// The result of an audit.
#[derive(Clone, Debug)]
pub struct Report {
    pub failing: Vec<Row>,
    pub excepted: Vec<Row>,
    /// What to tell about each expired baseline exception.
    pub expired: Vec<String>,
    pub summary: Summary,
    /// Every evaluated namespace, by name.
    pub namespaces: Vec<NamespaceSummary>,
    /// The ids of the checks evaluated, in catalog order.
    pub checks: Vec<&'static str>,
}

/// One namespace's findings: what its own PostureReport would count.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct NamespaceSummary {
    pub namespace: String,
    pub failing: usize,
    /// Failing findings of Required checks.
    pub required: usize,
    /// Failing findings by effective severity.
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub excepted: usize,
    /// The score over the evaluated checks and this namespace's failing findings.
    pub score: i32,
}

/// Evaluates every namespace of the inventory but the `excluded` ones and (when `cluster`) the
/// cluster scope with the checks the baseline enables (namespaces in parallel), then applies the
/// baseline at `now` through the posture pipeline the operator uses too. Objects of excluded
/// namespaces still count where other scopes look at them (a secret value reused elsewhere), as
/// in the operator.
pub fn build(
    loaded: &Loaded,
    files: usize,
    baseline: &AuditBaseline,
    content_checks: bool,
    excluded: &BTreeSet<String>,
    cluster: bool,
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
    // Each share's namespaces are added to one list as they are evaluated, and the shares to the
    // first share's list: a list that grows is moved by `realloc`, which for lists this large
    // remaps its pages rather than holding the findings twice (as a list made anew would).
    let shares = crate::parallel::by_share(&namespaces, |share| {
        share.iter().fold(Evaluation::default(), |mut evaluation, namespace| {
            evaluation.absorb(posture::evaluate(
                inventory,
                Scope::Namespace(namespace),
                resolved,
                content_checks,
                now,
            ));
            evaluation
        })
    });
    let mut shares = shares.into_iter();
    let mut evaluation = shares.next().unwrap_or_default();
    let rest: Vec<Evaluation> = shares.collect();
    evaluation
        .findings
        .reserve_exact(rest.iter().map(|share| share.findings.len()).sum());
    rest.into_iter().for_each(|share| evaluation.absorb(share));
    if cluster {
        evaluation.absorb(posture::evaluate(
            inventory,
            Scope::Cluster,
            resolved,
            content_checks,
            now,
        ));
    }
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

    // A resource's findings share its `Arc`: its origin is looked up once, by that address.
    let mut origins: HashMap<*const ResourceRef, Option<&Origin>, RandomState> = HashMap::default();
    let mut row = |finding: Finding, exception: Option<Box<Exception>>| {
        let treatment = resolved.treatment(finding.check);
        let origin = *origins
            .entry(Arc::as_ptr(&finding.resource))
            .or_insert_with(|| loaded.origins.origin_of(&finding.resource));
        Row {
            check: finding.check,
            resource: finding.resource,
            container: finding.container,
            message: finding.message,
            severity: treatment.severity,
            mode: treatment.mode,
            file: origin.map(|origin| Arc::clone(&origin.file)),
            line: origin.and_then(|origin| NonZeroU32::try_from(u32::try_from(origin.line?).ok()?).ok()),
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
            row(excepted.finding, Some(Box::new(exception)))
        })
        .collect();
    // The posture lists findings sorted: a stable sort by severity alone makes `order`. Sorting
    // (severity, index) pairs and moving the rows in place needs 16 bytes a row; `sort_by_key`
    // would copy every row into a scratch buffer (7 MB for 72k findings, the audit's peak).
    failing.sort_by_cached_key(|row| row.severity);
    excepted.sort_by_cached_key(|row| row.severity);
    debug_assert!(
        [&failing, &excepted]
            .iter()
            .all(|rows| rows.is_sorted_by(|a, b| order(a, b).is_le()))
    );

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
        governed: vec![Governed {
            baseline: baseline.name.clone(),
            namespaces: namespaces.iter().map(|namespace| (*namespace).to_string()).collect(),
            cluster_scoped: cluster,
            score,
        }],
    };
    let checks = evaluated_checks(resolved, content_checks);
    let namespaces = namespace_summaries(&namespaces, &failing, &excepted, &checks, resolved);
    Report {
        failing,
        excepted,
        expired,
        summary,
        namespaces,
        checks,
    }
}

/// The checks an evaluation runs: the enabled ones, less those that read secret values unless
/// content checks are on.
fn evaluated_checks(resolved: &ResolvedBaseline, content_checks: bool) -> Vec<&'static str> {
    resolved
        .enabled_checks()
        .iter()
        .filter(|check| content_checks || !check.reads_secret_data)
        .map(|check| check.id)
        .collect()
}

/// Counts and scores each of `namespaces` (sorted, each once) from the rows (cluster-scoped
/// findings belong to none), in one pass over them, in the order of `namespaces`. The score
/// depends on which checks fail, not how often: only their ids are kept.
fn namespace_summaries(
    namespaces: &[&str],
    failing: &[Row],
    excepted: &[Row],
    checks: &[&'static str],
    resolved: &ResolvedBaseline,
) -> Vec<NamespaceSummary> {
    let position: HashMap<&str, usize, RandomState> = namespaces
        .iter()
        .enumerate()
        .map(|(index, namespace)| (*namespace, index))
        .collect();
    let mut tallies: Vec<Tally> = namespaces
        .iter()
        .map(|namespace| Tally {
            summary: NamespaceSummary {
                namespace: (*namespace).to_string(),
                ..NamespaceSummary::default()
            },
            failed: BTreeSet::new(),
            last_failed: None,
        })
        .collect();
    let index_of = |row: &Row| position.get(namespace_of(row)?).copied();
    for row in failing {
        let Some(tally) = index_of(row).and_then(|index| tallies.get_mut(index)) else {
            continue;
        };
        let summary = &mut tally.summary;
        summary.failing += 1;
        summary.required += usize::from(row.mode == CheckMode::Required);
        *match row.severity {
            Severity::Critical => &mut summary.critical,
            Severity::High => &mut summary.high,
            Severity::Medium => &mut summary.medium,
            Severity::Low => &mut summary.low,
            Severity::Info => &mut summary.info,
        } += 1;
        // Rows come by check within a severity: a namespace's rows of one check mostly follow
        // each other, and the check is recorded once for them.
        if tally.last_failed.is_none_or(|last| !std::ptr::eq(last, row.check)) {
            tally.failed.insert(row.check);
            tally.last_failed = Some(row.check);
        }
    }
    for row in excepted {
        if let Some(tally) = index_of(row).and_then(|index| tallies.get_mut(index)) {
            tally.summary.excepted += 1;
        }
    }
    tallies
        .into_iter()
        .map(|mut tally| {
            tally.summary.score =
                palisade_checks::score::score_of_failed_checks(checks.iter().copied(), &tally.failed, resolved);
            tally.summary
        })
        .collect()
}

/// One namespace's counts while the rows are counted.
struct Tally {
    summary: NamespaceSummary,
    failed: BTreeSet<&'static str>,
    /// The check of the namespace's latest failing row.
    last_failed: Option<&'static str>,
}

fn namespace_of(row: &Row) -> Option<&str> {
    row.resource.namespace.as_deref()
}

/// Most severe first, then by check, resource, container and message (as findings are sorted).
pub(super) fn order(a: &Row, b: &Row) -> std::cmp::Ordering {
    (a.severity, a.check, &a.resource, &a.container, &a.message).cmp(&(
        b.severity,
        b.check,
        &b.resource,
        &b.container,
        &b.message,
    ))
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

#[cfg(test)]
mod namespace_tests {
    use super::*;
    use palisade_checks::ResourceRef;
    use palisade_crds::Profile;

    fn row(check: &'static str, kind: &str, namespace: Option<&str>, severity: Severity, mode: CheckMode) -> Row {
        Row {
            check,
            resource: ResourceRef::new(kind, namespace, "x").into(),
            container: None,
            message: "fails".into(),
            severity,
            mode,
            file: None,
            line: None,
            exception: None,
        }
    }

    #[test]
    fn each_namespace_is_counted_and_scored_over_its_own_failing_checks() {
        let resolved = ResolvedBaseline::profile(Profile::Restricted);
        // Weights: pod.privileged 10 (critical), pod.host-path 5 (high).
        let checks = ["pod.privileged", "pod.host-path"];
        let privileged = |namespace| {
            row(
                "pod.privileged",
                "Pod",
                Some(namespace),
                Severity::Critical,
                CheckMode::Required,
            )
        };
        let failing = vec![
            privileged("shop"),
            privileged("shop"),
            row(
                "pod.host-path",
                "Pod",
                Some("shop"),
                Severity::High,
                CheckMode::Advisory,
            ),
            privileged("blog"),
            // Cluster-scoped, and of a namespace not evaluated: counted nowhere.
            row(
                "pod.privileged",
                "ClusterRoleBinding",
                None,
                Severity::Critical,
                CheckMode::Required,
            ),
            privileged("excluded"),
        ];
        let excepted = vec![row(
            "pod.host-path",
            "Pod",
            Some("blog"),
            Severity::High,
            CheckMode::Required,
        )];
        let summaries = namespace_summaries(&["blog", "quiet", "shop"], &failing, &excepted, &checks, &resolved);
        let expected = |namespace: &str, failing, required, critical, high, excepted, score| NamespaceSummary {
            namespace: namespace.to_string(),
            failing,
            required,
            critical,
            high,
            excepted,
            score,
            ..NamespaceSummary::default()
        };
        assert_eq!(
            summaries,
            [
                expected("blog", 1, 1, 1, 0, 1, 33),
                expected("quiet", 0, 0, 0, 0, 0, 100),
                // Two findings of one check lose its weight once.
                expected("shop", 3, 2, 2, 1, 0, 0),
            ]
        );
    }

    #[test]
    fn the_evaluated_checks_leave_out_secret_readers_without_content_checks() {
        let resolved = ResolvedBaseline::profile(Profile::Restricted);
        let without = evaluated_checks(&resolved, false);
        let with = evaluated_checks(&resolved, true);
        let reads_secrets = |id: &&str| find(id).is_some_and(|check| check.reads_secret_data);
        assert!(!without.iter().any(reads_secrets));
        assert!(with.iter().any(reads_secrets));
        assert!(without.iter().all(|id| with.contains(id)));
    }
}
