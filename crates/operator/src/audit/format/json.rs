//! `-o json`: `{"findings": [...], "excepted": [...], "summary": {...}, "namespaces": [...]}`.
//! A finding names the file and the 1-based `line` its resource's document starts at; each
//! evaluated namespace has its counts and score (cluster-scoped findings count in none).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::audit::governance::Governed;
use crate::audit::report::{Report, Row, Summary};

use super::{mode_name, pretty};
use crate::catalog::severity_name;

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

/// A finding: `check`, `title`, `severity`, `mode`, `resource` (`kind`, `namespace` unless
/// cluster-scoped, `name`), `container`, `message`, `file`, `line`, and for excepted findings
/// `reason`, `expires` and `cover`; fields without a value are left out. The tests hold the same
/// record as serde_json writes it.
fn write_finding(row: &Row, depth: usize, out: &mut Vec<u8>) -> io::Result<()> {
    let mut object = pretty::Object::open(out, depth);
    object.string("check", row.check);
    object.string("title", row.title());
    object.string("severity", severity_name(row.severity));
    object.string("mode", mode_name(row.mode));
    let mut resource = object.object("resource");
    resource.string("kind", &row.resource.kind);
    resource.optional_string("namespace", row.resource.namespace.as_deref());
    resource.string("name", &row.resource.name);
    resource.close();
    object.optional_string("container", row.container.as_deref());
    object.string("message", &row.message);
    object.optional_string("file", row.file.as_deref().map(String::as_str));
    if let Some(line) = row.line {
        object.number("line", line.get().into());
    }
    if let Some(exception) = &row.exception {
        object.string("reason", &exception.reason);
        object.optional_string(
            "expires",
            exception.expires.map(|expires| expires.to_string()).as_deref(),
        );
        object.value("cover", &exception.cover)?;
    }
    object.close();
    Ok(())
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

/// Writes the report as serde_json's pretty printer lays it out; the findings (31 MB of JSON for
/// 72k of them) on every core.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{\n  \"findings\": ")?;
    pretty::write_array(&[&report.failing], 1, write_finding, out)?;
    out.write_all(b",\n  \"excepted\": ")?;
    pretty::write_array(&[&report.excepted], 1, write_finding, out)?;
    out.write_all(b",\n  \"summary\": ")?;
    pretty::write_value(&summary(&report.summary), 1, out)?;
    out.write_all(b",\n  \"namespaces\": ")?;
    pretty::write_value(&report.namespaces, 1, out)?;
    out.write_all(b"\n}\n")
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use palisade_checks::ResourceRef;
    use palisade_checks::exceptions::Cover;
    use palisade_crds::{CheckMode, Severity};

    use super::*;
    use crate::audit::format::fixtures;
    use crate::audit::report::NamespaceSummary;

    /// A finding as serde_json writes it: what [`write_finding`] must write.
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

    /// The report as one value that serde_json's own pretty printer writes.
    #[derive(Serialize)]
    struct Whole<'a> {
        findings: Vec<FindingJson<'a>>,
        excepted: Vec<FindingJson<'a>>,
        summary: SummaryJson<'a>,
        namespaces: &'a [NamespaceSummary],
    }

    #[test]
    fn the_layout_is_serde_jsons_pretty_printers() {
        // Batches, and the shares of each, end inside the list.
        let long = fixtures::report_with_failing(2 * crate::parallel::BATCH + 3);
        let mut empty = fixtures::report_without_findings();
        empty.namespaces.clear();
        // A cluster-scoped resource, no container, text beyond ASCII and every escape.
        let mut varied = fixtures::report();
        let mut cluster_scoped = varied.failing[1].clone();
        cluster_scoped.resource = ResourceRef::new("ClusterRole", None, "édition").into();
        cluster_scoped.message = "\u{0}\t\r\n\"\\ \u{7f} \u{2028} ünïcode ✓".into();
        varied.failing.push(cluster_scoped);
        // Strings with one kind of escape each.
        varied.failing[0].container = Some("say \"hi\"".into());
        varied.failing[0].file = Some(std::sync::Arc::new("C:\\manifests\\web.yaml".to_string()));
        for report in [fixtures::report(), long, empty, varied] {
            let whole = Whole {
                findings: report.failing.iter().map(finding).collect(),
                excepted: report.excepted.iter().map(finding).collect(),
                summary: summary(&report.summary),
                namespaces: &report.namespaces,
            };
            let mut out = Vec::new();
            write(&report, &mut out).expect("writes to memory");
            fixtures::assert_pretty_json(&out, &whole);
        }
    }

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
