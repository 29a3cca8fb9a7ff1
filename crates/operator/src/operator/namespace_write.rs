//! A namespace's report written by a task of its own, so the controller's loop goes on
//! evaluating namespaces that come due while reports are being written. A semaphore bounds the
//! writes in flight.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::evaluate::NamespaceOutcome;
use super::openreports::{self, Applied};
use super::writer::Writer;

pub struct NamespaceWrite {
    pub outcome: NamespaceOutcome,
    /// Whether the PostureReport is written: its content changed, or someone else changed it.
    pub report: bool,
    /// Whether the report may exist already (it is applied without being created first, and
    /// deleted even when its namespace is gone).
    pub exists: bool,
    /// The OpenReports Report's digest as written, when OpenReports are written.
    pub openreport: Option<Option<String>>,
}

pub struct NamespaceWritten {
    pub outcome: NamespaceOutcome,
    /// `None`: the PostureReport was not written.
    pub report: Option<Result<(), kube::Error>>,
    /// `None`: the OpenReports Report was not written (or the PostureReport's write failed).
    pub openreport: Option<Result<Applied, kube::Error>>,
}

/// Writes the PostureReport (or deletes it, when the namespace has none any more), then the
/// OpenReports Report unless the PostureReport's write failed.
pub async fn write(writer: Writer, permits: Arc<Semaphore>, write: NamespaceWrite) -> NamespaceWritten {
    // The semaphore is never closed; were it, writing unbounded beats not writing.
    let _permit = permits.acquire_owned().await.ok();
    let NamespaceWrite {
        outcome,
        report,
        exists,
        openreport,
    } = write;
    let namespace = outcome.namespace.as_str();
    let report = match (report, &outcome.report) {
        (false, _) => None,
        (true, Some(report)) => Some(writer.namespace_report(namespace, &report.status, exists).await),
        // A namespace's report goes with it, unless it was left behind as an orphan.
        (true, None) if outcome.namespace_gone && !exists => Some(Ok(())),
        (true, None) => Some(writer.delete_namespace_report(namespace).await),
    };
    let openreport = match (openreport, &report) {
        (Some(digest), None | Some(Ok(()))) => {
            let checks = outcome.report.as_ref().map(|report| report.status.checks.as_slice());
            Some(openreports::apply_report(&writer, Some(namespace), checks, digest.as_deref()).await)
        }
        _ => None,
    };
    NamespaceWritten {
        outcome,
        report,
        openreport,
    }
}
