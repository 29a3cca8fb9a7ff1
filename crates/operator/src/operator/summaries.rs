//! The cluster report and the baselines' statuses sum up every namespace. They are evaluated and
//! written by a task of their own, at most one at a time, beside the namespaces' reports: awaited
//! in the controller's loop, their writes (the cluster report is 90 KB at 1,000 namespaces) held
//! back the namespaces that came due meanwhile.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use k8s_openapi::jiff::Timestamp;
use palisade_crds::{ClusterPostureReportStatus, HardeningBaselineStatus};

use super::controller::Settings;
use super::evaluate;
use super::openreports::{self, Applied};
use super::report::NamespaceSummary;
use super::world::World;
use super::writer::{self, Writer};

/// What the cluster report is evaluated from, taken from the controller when it is due.
pub struct ClusterInputs {
    pub namespaces: BTreeMap<String, NamespaceSummary>,
    pub stalled: Vec<String>,
    pub previous: Option<ClusterPostureReportStatus>,
    /// Someone else edited (`Some(true)`) or deleted (`Some(false)`) the report.
    pub restore: Option<bool>,
    /// The digest of the OpenReports ClusterReport as written, when OpenReports are written.
    pub openreport: Option<Option<String>>,
}

/// The cluster report as evaluated and what writing it came to.
pub struct ClusterWritten {
    pub status: ClusterPostureReportStatus,
    pub changed: bool,
    pub restore: Option<bool>,
    /// `None`: nothing to write.
    pub report: Option<Result<(), kube::Error>>,
    /// What became of the OpenReports ClusterReport; `None` when not written.
    pub openreport: Option<Result<Applied, kube::Error>>,
}

/// A baseline status that differs from the one written.
pub struct BaselineWrite {
    pub name: String,
    pub status: HardeningBaselineStatus,
    /// Whether the baseline has just become invalid (an Event says so).
    pub became_invalid: bool,
    /// Whether someone else had edited the status.
    pub restore: bool,
    /// `None` until written.
    pub result: Option<Result<(), kube::Error>>,
}

pub struct Written {
    /// `Err`: the evaluation failed (a bug: it is pure code over the index).
    pub cluster: Option<Result<ClusterWritten, tokio::task::JoinError>>,
    pub baselines: Vec<BaselineWrite>,
}

/// Evaluates the cluster report (off the runtime's threads) when `cluster` is given, and writes
/// what changed of it and of `baselines`.
pub async fn write(
    writer: Writer,
    world: Arc<RwLock<World>>,
    settings: Arc<Settings>,
    cluster: Option<ClusterInputs>,
    mut baselines: Vec<BaselineWrite>,
    now: Timestamp,
) -> Written {
    let cluster = match cluster {
        Some(inputs) => Some(write_cluster(&writer, world, settings, inputs, now).await),
        None => None,
    };
    for baseline in &mut baselines {
        let result = writer.baseline_status(&baseline.name, &baseline.status).await;
        if result.is_ok() && baseline.became_invalid {
            let message = baseline
                .status
                .conditions
                .iter()
                .find(|condition| condition.type_ == "Ready")
                .map(|condition| condition.message.clone())
                .unwrap_or_default();
            writer
                .event(writer::baseline_reference(&baseline.name), true, "InvalidSpec", message)
                .await;
        }
        baseline.result = Some(result);
    }
    Written { cluster, baselines }
}

async fn write_cluster(
    writer: &Writer,
    world: Arc<RwLock<World>>,
    settings: Arc<Settings>,
    inputs: ClusterInputs,
    now: Timestamp,
) -> Result<ClusterWritten, tokio::task::JoinError> {
    let ClusterInputs {
        namespaces,
        stalled,
        previous,
        restore,
        openreport,
    } = inputs;
    let exists = previous.is_some() && restore != Some(false);
    let (status, changed) = tokio::task::spawn_blocking(move || {
        let world = world.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (status, changed) = evaluate::cluster(
            &world,
            &settings.scope,
            &namespaces,
            &stalled,
            previous.as_ref(),
            settings.limits,
            now,
        );
        if changed {
            tracing::info!(parts = ?changed_parts(previous.as_ref(), &status), "the cluster report changed");
        }
        (status, changed)
    })
    .await?;
    let mut written = ClusterWritten {
        status,
        changed,
        restore,
        report: None,
        openreport: None,
    };
    if changed || restore.is_some() {
        let result = writer.cluster_report(&written.status, exists).await;
        let failed = result.is_err();
        written.report = Some(result);
        if failed {
            return Ok(written);
        }
    }
    if let Some(digest) = openreport {
        written.openreport =
            Some(openreports::apply_report(writer, None, Some(&written.status.checks), digest.as_deref()).await);
    }
    Ok(written)
}

/// Which parts of the cluster report differ from the one written (for the log: a cluster report
/// written when nothing changed is otherwise hard to explain).
fn changed_parts(
    previous: Option<&ClusterPostureReportStatus>,
    status: &ClusterPostureReportStatus,
) -> Vec<&'static str> {
    let Some(previous) = previous else {
        return vec!["everything (none written)"];
    };
    [
        ("score", previous.score != status.score),
        ("summary", previous.summary != status.summary),
        ("namespaces", previous.namespaces != status.namespaces),
        ("worstNamespaces", previous.worst_namespaces != status.worst_namespaces),
        ("checks", previous.checks != status.checks),
        ("conditions", previous.conditions != status.conditions),
    ]
    .into_iter()
    .filter_map(|(part, differs)| differs.then_some(part))
    .collect()
}
