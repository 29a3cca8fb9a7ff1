//! `-o json`: `{"findings": [...], "excepted": [...], "summary": {...}, "namespaces": [...]}`.
//! A finding names the file and the 1-based `line` its resource's document starts at; each
//! evaluated namespace has its counts and score (cluster-scoped findings count in none).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::num::NonZeroU32;

use palisade_checks::ResourceRef;
use palisade_checks::exceptions::Cover;
use palisade_crds::{CheckMode, Severity};
use serde::Serialize;
use serde_json::Serializer;
use serde_json::ser::Formatter;

use crate::audit::governance::Governed;
use crate::audit::report::{Report, Row, Summary};

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

/// Writes the report as serde_json's pretty printer lays it out. The findings (31 MB of JSON for
/// 72k of them, the largest serial step of an audit) are rendered on every core, a batch at a time
/// so only a batch's text is held.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{\n  \"findings\": ")?;
    write_findings(&report.failing, out)?;
    out.write_all(b",\n  \"excepted\": ")?;
    write_findings(&report.excepted, out)?;
    out.write_all(b",\n  \"summary\": ")?;
    summary(&report.summary).serialize(&mut Serializer::with_formatter(&mut *out, PrettyAt::depth(1)))?;
    out.write_all(b",\n  \"namespaces\": ")?;
    report
        .namespaces
        .serialize(&mut Serializer::with_formatter(&mut *out, PrettyAt::depth(1)))?;
    out.write_all(b"\n}\n")
}

/// Rows rendered per batch: about 1 MB of text.
const BATCH: usize = 2048;

/// The rows as the value of a top-level key: `[`, each row on its own lines, `]`.
fn write_findings(rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
    if rows.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    // Every row is rendered after a separator, `,` and a new line; the first has no comma.
    let mut skip = 1;
    for batch in rows.chunks(BATCH) {
        for rendered in crate::parallel::by_share(batch, render_findings) {
            out.write_all(&rendered?[skip..])?;
            skip = 0;
        }
    }
    out.write_all(b"\n  ]")
}

fn render_findings(rows: &[Row]) -> Result<Vec<u8>, serde_json::Error> {
    let mut text = Vec::with_capacity(rows.len() * 512);
    for row in rows {
        text.extend_from_slice(b",\n    ");
        finding(row).serialize(&mut Serializer::with_formatter(&mut text, PrettyAt::depth(2)))?;
    }
    Ok(text)
}

/// serde_json's pretty layout (two spaces an indent) for a value `depth` levels into a document,
/// so that parts of one document can be rendered apart.
struct PrettyAt {
    depth: usize,
    has_value: bool,
}

impl PrettyAt {
    fn depth(depth: usize) -> PrettyAt {
        PrettyAt {
            depth,
            has_value: false,
        }
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(writer)?;
        }
        writer.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn new_line<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\n")?;
        self.indent(writer)
    }

    fn indent<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        (0..self.depth).try_for_each(|_| writer.write_all(b"  "))
    }
}

impl Formatter for PrettyAt {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::format::fixtures;
    use crate::audit::report::NamespaceSummary;

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
        let mut long = fixtures::report();
        // Batches, and the shares of each, end inside the list.
        long.failing = long.failing.iter().cycle().take(2 * BATCH + 3).cloned().collect();
        let mut empty = fixtures::report();
        empty.failing.clear();
        empty.excepted.clear();
        empty.namespaces.clear();
        for report in [fixtures::report(), long, empty] {
            let whole = Whole {
                findings: report.failing.iter().map(finding).collect(),
                excepted: report.excepted.iter().map(finding).collect(),
                summary: summary(&report.summary),
                namespaces: &report.namespaces,
            };
            let mut expected = serde_json::to_vec_pretty(&whole).expect("serializes");
            expected.push(b'\n');
            let mut out = Vec::new();
            write(&report, &mut out).expect("writes to memory");
            assert!(
                out == expected,
                "{}",
                String::from_utf8_lossy(&out[..out.len().min(4000)])
            );
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
