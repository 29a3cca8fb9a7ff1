//! `-o json`: `{"findings": [...], "excepted": [...], "summary": {...}, "namespaces": [...]}`.
//! A finding names the file and the 1-based `line` its resource's document starts at; each
//! evaluated namespace has its counts and score (cluster-scoped findings count in none).

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use palisade_checks::ResourceRef;
use palisade_checks::exceptions::Cover;
use palisade_crds::{CheckMode, Severity};
use serde::Serialize;

use crate::audit::governance::Governed;
use crate::audit::report::{NamespaceSummary, Report, Row, Summary};

#[derive(Serialize)]
struct Output<'a> {
    findings: Findings<'a>,
    excepted: Findings<'a>,
    summary: SummaryJson<'a>,
    namespaces: &'a [NamespaceSummary],
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
    line: Option<u32>,
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
    /// What each baseline or profile governed.
    governed: &'a [Governed],
}

/// Rows serialized one by one as they are written: a list of them all (72k findings, 11 MB)
/// would only be a copy.
struct Findings<'a>(&'a [Row]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(finding))
    }
}

fn finding(row: &Row) -> FindingJson<'_> {
    let exception = row.exception.as_ref();
    FindingJson {
        check: row.check,
        title: row.title(),
        severity: row.severity,
        mode: row.mode,
        resource: &row.resource,
        container: row.container.as_deref(),
        message: &row.message,
        file: row.file.as_deref().map(String::as_str),
        line: row.line.map(NonZeroU32::get),
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
        governed: &summary.governed,
    }
}

pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let output = Output {
        findings: Findings(&report.failing),
        excepted: Findings(&report.excepted),
        summary: summary(&report.summary),
        namespaces: &report.namespaces,
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::format::fixtures;

    #[test]
    fn findings_carry_their_line_and_namespaces_their_counts_and_score() {
        let mut out = Vec::new();
        write(&fixtures::report(), &mut out).expect("writes to memory");
        let json: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
        let findings = json["findings"].as_array().expect("findings");
        assert_eq!(findings[0]["file"], "deploy.yaml");
        assert_eq!(findings[0]["line"], 12);
        // Objects from no file have neither.
        assert!(findings[1].get("file").is_none() && findings[1].get("line").is_none());
        let excepted = json["excepted"].as_array().expect("excepted");
        assert_eq!(excepted.len(), 2);
        assert_eq!(excepted[1]["line"], 40);
        assert_eq!(excepted[1]["cover"]["type"], "annotation");
        assert_eq!(
            json["namespaces"],
            serde_json::json!([
                {"namespace": "pay", "failing": 1, "required": 1, "critical": 1, "high": 0, "medium": 0,
                 "low": 0, "info": 0, "excepted": 0, "score": 64},
                {"namespace": "shop", "failing": 1, "required": 1, "critical": 1, "high": 0, "medium": 0,
                 "low": 0, "info": 0, "excepted": 2, "score": 64},
            ])
        );
    }
}
