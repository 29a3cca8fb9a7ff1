//! Which baseline governs which part of an audit, decided as the operator decides it: a
//! `--baseline` file governs the namespaces it selects (`namespaces`, `namespaceSelector`
//! against the labels of the Namespace objects among the inputs); every other namespace, and the
//! cluster-scoped objects, are evaluated at the built-in `restricted` profile, as the operator's
//! default profile evaluates them. Each part is evaluated on its own and the reports are merged;
//! the summary lists what each governed.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::jiff::Timestamp;
use palisade_checks::Inventory;
use serde::Serialize;

use super::Baselines;
use super::baseline_file;
use super::load::Loaded;
use super::report::{self, Report};

/// What one baseline or profile governed in an audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Governed {
    pub baseline: String,
    /// The namespaces it evaluated, by name.
    pub namespaces: Vec<String>,
    /// Whether it evaluated the cluster-scoped objects (ClusterRoles, ClusterRoleBindings).
    pub cluster_scoped: bool,
    /// The score of its part alone.
    pub score: i32,
}

/// Evaluates every namespace but the `excluded` ones, and the cluster scope, each with the
/// baseline that governs it, and merges the reports.
pub fn build(
    loaded: &Loaded,
    files: usize,
    baselines: &Baselines,
    content_checks: bool,
    excluded: &BTreeSet<String>,
    now: Timestamp,
) -> Report {
    let baseline = &baselines.chosen;
    if !baseline.is_file() {
        return report::build(loaded, files, baseline, content_checks, excluded, true, now);
    }
    let inventory = &loaded.inventory;
    let (governed, defaulted): (BTreeSet<&str>, BTreeSet<&str>) = inventory
        .namespaces
        .keys()
        .map(String::as_str)
        .filter(|namespace| !excluded.contains(*namespace))
        .partition(|namespace| baseline.governs(namespace, labels(inventory, namespace)));
    let has_cluster_scoped =
        !inventory.cluster.cluster_roles.is_empty() || !inventory.cluster.cluster_role_bindings.is_empty();
    let others = |part: &BTreeSet<&str>| -> BTreeSet<String> {
        let outside = inventory
            .namespaces
            .keys()
            .filter(|namespace| !part.contains(namespace.as_str()));
        outside.cloned().chain(excluded.iter().cloned()).collect()
    };
    let mut report = report::build(loaded, files, baseline, content_checks, &others(&governed), false, now);
    if !defaulted.is_empty() || has_cluster_scoped {
        let rest = report::build(
            loaded,
            files,
            &baselines.default,
            content_checks,
            &others(&defaulted),
            has_cluster_scoped,
            now,
        );
        merge(&mut report, rest);
    }
    report
        .summary
        .governed
        .retain(|part| !part.namespaces.is_empty() || part.cluster_scoped);
    report
}

/// Adds another part's findings and counts to a report; the overall score is the lowest part's.
fn merge(report: &mut Report, part: Report) {
    report.failing.extend(part.failing);
    report.failing.sort_unstable_by(report::order);
    report.excepted.extend(part.excepted);
    report.excepted.sort_unstable_by(report::order);
    report.expired.extend(part.expired);
    report.namespaces.extend(part.namespaces);
    report.namespaces.sort_unstable_by(|a, b| a.namespace.cmp(&b.namespace));
    let checks: BTreeSet<&'static str> = report.checks.iter().chain(&part.checks).copied().collect();
    report.checks = palisade_checks::catalog()
        .iter()
        .map(|check| check.id)
        .filter(|id| checks.contains(id))
        .collect();
    let (total, more) = (&mut report.summary, part.summary);
    for (count, add) in [
        (&mut total.critical, more.critical),
        (&mut total.high, more.high),
        (&mut total.medium, more.medium),
        (&mut total.low, more.low),
        (&mut total.info, more.info),
        (&mut total.failing, more.failing),
        (&mut total.required, more.required),
        (&mut total.advisory, more.advisory),
        (&mut total.excepted, more.excepted),
        (&mut total.resources_evaluated, more.resources_evaluated),
        (&mut total.expired_exceptions, more.expired_exceptions),
    ] {
        *count += add;
    }
    let scored = |governed: &[Governed]| {
        governed
            .iter()
            .any(|part| !part.namespaces.is_empty() || part.cluster_scoped)
    };
    total.score = match (scored(&total.governed), scored(&more.governed)) {
        (true, true) => total.score.min(more.score),
        (false, true) => more.score,
        _ => total.score,
    };
    total.governed.extend(more.governed);
}

fn labels<'a>(inventory: &'a Inventory, namespace: &str) -> Option<&'a BTreeMap<String, String>> {
    let object = inventory.namespaces.get(namespace)?.namespace.as_ref()?;
    object.metadata.labels.as_ref()
}

/// A warning when a `--baseline` file governed nothing the audit read: everything was then
/// judged by the built-in profile, which is rarely what was meant.
pub fn ungoverned_warning(report: &Report) -> Option<String> {
    let summary = &report.summary;
    let used = summary.governed.iter().any(|part| part.baseline == summary.baseline);
    (!used).then(|| {
        format!(
            "--baseline {:?} selects none of the audited namespaces (a namespace's labels are known only \
             when its Namespace object is among the inputs); everything was evaluated at {}",
            summary.baseline,
            baseline_file::builtin().name
        )
    })
}
