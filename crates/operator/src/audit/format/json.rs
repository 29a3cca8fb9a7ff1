//! `-o json`: `{"findings": [...], "excepted": [...], "summary": {...}}`.

use std::collections::BTreeMap;

use palisade_checks::ResourceRef;
use palisade_checks::exceptions::Cover;
use palisade_crds::{CheckMode, Severity};
use serde::Serialize;

use crate::audit::report::{Report, Row, Summary};

#[derive(Serialize)]
struct Output<'a> {
    findings: Vec<FindingJson<'a>>,
    excepted: Vec<FindingJson<'a>>,
    summary: SummaryJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingJson<'a> {
    check: &'a str,
    title: &'a str,
    severity: Severity,
    mode: CheckMode,
    resource: &'a ResourceRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    /// `{"type": "exception", "index": N, "owner"?: …}` or `{"type": "annotation"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    cover: Option<&'a Cover>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryJson<'a> {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
    failing: usize,
    required: usize,
    advisory: usize,
    excepted: usize,
    resources_evaluated: usize,
    objects: usize,
    files: usize,
    skipped: &'a BTreeMap<String, usize>,
    input_errors: usize,
    expired_exceptions: usize,
    score: i32,
    baseline: &'a str,
}

fn finding(row: &Row) -> FindingJson<'_> {
    let exception = row.exception.as_ref();
    FindingJson {
        check: row.finding.check,
        title: row.title,
        severity: row.severity,
        mode: row.mode,
        resource: &row.finding.resource,
        container: row.finding.container.as_deref(),
        message: &row.finding.message,
        file: row.file.as_deref(),
        reason: exception.map(|exception| exception.reason.as_str()),
        expires: exception
            .and_then(|exception| exception.expires)
            .map(|expires| expires.to_string()),
        cover: exception.map(|exception| &exception.cover),
    }
}

fn summary(summary: &Summary) -> SummaryJson<'_> {
    SummaryJson {
        critical: summary.critical,
        high: summary.high,
        medium: summary.medium,
        low: summary.low,
        info: summary.info,
        failing: summary.failing,
        required: summary.required,
        advisory: summary.advisory,
        excepted: summary.excepted,
        resources_evaluated: summary.resources_evaluated,
        objects: summary.objects,
        files: summary.files,
        skipped: &summary.skipped,
        input_errors: summary.input_errors,
        expired_exceptions: summary.expired_exceptions,
        score: summary.score,
        baseline: &summary.baseline,
    }
}

pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let output = Output {
        findings: report.failing.iter().map(finding).collect(),
        excepted: report.excepted.iter().map(finding).collect(),
        summary: summary(&report.summary),
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    out.write_all(b"\n")
}
