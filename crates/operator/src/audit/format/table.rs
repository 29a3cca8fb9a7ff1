//! `-o table`: the failing findings (SEVERITY, MODE, CHECK, RESOURCE, CONTAINER, LOCATION when
//! objects came from files, MESSAGE), the excepted ones, a remediation hint per failing check,
//! the namespaces with findings, then a one-line summary. Everything that came from input is
//! printed with its control characters escaped; on a terminal, lines fit its width and
//! severities are colored.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{self, Write};

use palisade_crds::{CheckMode, Severity};

use crate::audit::report::{Exception, NamespaceSummary, Report, Row, Summary};
use crate::catalog::severity_name;
use crate::table::{Layout, Style, fit_line, render_fitted, visible, write_rows};

use super::{covered_by, location, mode_name, remediation_hint, resource_path};

/// Writes the report's tables and summary to `out`; the findings' tables a line at a time.
pub fn write(report: &Report, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    if !report.failing.is_empty() {
        failing(&report.failing, layout, out)?;
        out.write_all(b"\n")?;
    }
    if !report.excepted.is_empty() {
        section_title(out, &format!("Excepted ({}):", report.excepted.len()), layout)?;
        excepted(&report.excepted, layout, out)?;
        out.write_all(b"\n")?;
    }
    if !report.failing.is_empty() {
        section_title(
            out,
            "How to fix (in full: docs/checks.md, palisade checks -o json):",
            layout,
        )?;
        out.write_all(remediation(&report.failing, layout).as_bytes())?;
        out.write_all(b"\n")?;
    }
    let namespaces: Vec<&NamespaceSummary> = report
        .namespaces
        .iter()
        .filter(|namespace| namespace.failing + namespace.excepted > 0)
        .collect();
    if !namespaces.is_empty() {
        section_title(out, "Namespaces with findings:", layout)?;
        out.write_all(by_namespace(namespaces, layout).as_bytes())?;
        out.write_all(b"\n")?;
    }
    if let Some(governed) = governed_line(&report.summary) {
        writeln!(out, "{}", visible(&governed))?;
    }
    writeln!(out, "{}", fit_line(&summary_line(&report.summary), layout))
}

/// Which baseline or profile governed what, when the `--baseline` did not govern everything:
/// `governed: prod (score 80): payments, shop; restricted (built-in) (score 60): blog,
/// cluster-scoped objects`.
fn governed_line(summary: &Summary) -> Option<String> {
    if let [only] = summary.governed.as_slice()
        && only.baseline == summary.baseline
    {
        return None;
    }
    let parts: Vec<String> = summary
        .governed
        .iter()
        .map(|part| {
            let mut scopes = part.namespaces.clone();
            if part.cluster_scoped {
                scopes.push("cluster-scoped objects".to_string());
            }
            format!("{} (score {}): {}", part.baseline, part.score, scopes.join(", "))
        })
        .collect();
    Some(format!("governed: {}", parts.join("; ")))
}

fn section_title(out: &mut dyn Write, title: &str, layout: Layout) -> io::Result<()> {
    writeln!(out, "{}", Style::Bold.paint(title, layout.color))
}

fn failing(rows: &[Row], layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let with_files = rows.iter().any(|row| row.file.is_some());
    let header: &[&str] = if with_files {
        &[
            "SEVERITY",
            "MODE",
            "CHECK",
            "RESOURCE",
            "CONTAINER",
            "LOCATION",
            "MESSAGE",
        ]
    } else {
        &["SEVERITY", "MODE", "CHECK", "RESOURCE", "CONTAINER", "MESSAGE"]
    };
    let cells = |row| failing_cells(row, with_files);
    write_rows(out, header, rows, cells, layout, |column, text| match column {
        0 => severity_style(text),
        1 => (text == mode_name(CheckMode::Required)).then_some(Style::Bold),
        _ => None,
    })
}

fn failing_cells(row: &Row, with_files: bool) -> Vec<Cow<'_, str>> {
    let mut cells = vec![
        Cow::Borrowed(severity_name(row.severity)),
        Cow::Borrowed(mode_name(row.mode)),
        Cow::Borrowed(row.check),
        Cow::Owned(resource_path(&row.resource)),
        container(row),
    ];
    if with_files {
        cells.push(location(row).map_or(Cow::Borrowed("-"), Cow::Owned));
    }
    cells.push(Cow::Borrowed(&row.message));
    cells
}

fn excepted(rows: &[Row], layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    write_rows(
        out,
        &[
            "SEVERITY",
            "CHECK",
            "RESOURCE",
            "CONTAINER",
            "EXCEPTED BY",
            "EXPIRES",
            "REASON",
        ],
        rows,
        excepted_cells,
        layout,
        |column, text| if column == 0 { severity_style(text) } else { None },
    )
}

fn excepted_cells(row: &Row) -> Vec<Cow<'_, str>> {
    let (by, expires, reason) = row.exception.as_ref().map_or_else(
        || (Cow::Borrowed("-"), Cow::Borrowed("-"), Cow::Borrowed("")),
        |exception| {
            (
                Cow::Owned(covered_by(&exception.cover)),
                Cow::Owned(expires(exception)),
                Cow::Borrowed(exception.reason.as_str()),
            )
        },
    );
    vec![
        Cow::Borrowed(severity_name(row.severity)),
        Cow::Borrowed(row.check),
        Cow::Owned(resource_path(&row.resource)),
        container(row),
        by,
        expires,
        reason,
    ]
}

/// One line per failing check, most severe first, with the first sentence of its remediation.
fn remediation(rows: &[Row], layout: Layout) -> String {
    let mut seen = BTreeSet::new();
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .filter(|row| seen.insert(row.check))
        .map(|row| vec![row.check, remediation_hint(row.check)])
        .collect();
    render_fitted(&["CHECK", "FIX"], &cells, layout, |_, _| None)
}

/// The namespaces with findings, lowest score first.
fn by_namespace(mut namespaces: Vec<&NamespaceSummary>, layout: Layout) -> String {
    namespaces.sort_by(|a, b| (a.score, &a.namespace).cmp(&(b.score, &b.namespace)));
    let cells: Vec<Vec<String>> = namespaces
        .iter()
        .map(|namespace| {
            vec![
                namespace.namespace.clone(),
                namespace.failing.to_string(),
                namespace.required.to_string(),
                namespace.critical.to_string(),
                namespace.high.to_string(),
                namespace.excepted.to_string(),
                namespace.score.to_string(),
            ]
        })
        .collect();
    render_fitted(
        &[
            "NAMESPACE",
            "FAILING",
            "REQUIRED",
            "CRITICAL",
            "HIGH",
            "EXCEPTED",
            "SCORE",
        ],
        &cells,
        layout,
        |_, _| None,
    )
}

fn container(row: &Row) -> Cow<'_, str> {
    Cow::Borrowed(row.container.as_deref().unwrap_or("-"))
}

fn expires(exception: &Exception) -> String {
    exception
        .expires
        .map_or_else(|| "-".to_string(), |expires| expires.to_string())
}

fn severity_style(name: &str) -> Option<Style> {
    [
        (Severity::Critical, Style::BoldRed),
        (Severity::High, Style::Red),
        (Severity::Medium, Style::Yellow),
        (Severity::Low, Style::Cyan),
        (Severity::Info, Style::Dim),
    ]
    .into_iter()
    .find(|(severity, _)| severity_name(*severity) == name)
    .map(|(_, style)| style)
}

/// E.g. `3 failing (1 critical, 2 high; 2 required, 1 advisory), 1 excepted; 12 resources
/// evaluated from 15 objects in 2 files; 1 skipped (v1/ConfigMap: 1); score 40; baseline …`.
fn summary_line(summary: &Summary) -> String {
    let by_severity: Vec<String> = [
        (summary.critical, "critical"),
        (summary.high, "high"),
        (summary.medium, "medium"),
        (summary.low, "low"),
        (summary.info, "info"),
    ]
    .iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, name)| format!("{count} {name}"))
    .collect();
    let mut line = format!("{} failing", summary.failing);
    if summary.failing > 0 {
        line.push_str(&format!(
            " ({}; {} required, {} advisory)",
            by_severity.join(", "),
            summary.required,
            summary.advisory
        ));
    }
    line.push_str(&format!(
        ", {} excepted; {} evaluated from {}",
        summary.excepted,
        plural(summary.resources_evaluated, "resource"),
        plural(summary.objects, "object"),
    ));
    // Objects listed from a cluster come from no file.
    if summary.files > 0 {
        line.push_str(&format!(" in {}", plural(summary.files, "file")));
    }
    let skipped: usize = summary.skipped.values().sum();
    if skipped > 0 {
        let kinds: Vec<String> = summary
            .skipped
            .iter()
            .map(|(kind, count)| format!("{kind}: {count}"))
            .collect();
        line.push_str(&format!("; {skipped} skipped ({})", kinds.join(", ")));
    }
    if summary.input_errors > 0 {
        line.push_str(&format!("; {}", plural(summary.input_errors, "input error")));
    }
    line.push_str(&format!("; score {}; baseline {}", summary.score, summary.baseline));
    line
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::format::fixtures;

    fn render(report: &Report, layout: Layout) -> String {
        let mut out = Vec::new();
        write(report, layout, &mut out).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn findings_carry_mode_and_location_then_excepted_fixes_namespaces_and_the_summary() {
        let table = render(&fixtures::report(), Layout::default());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "SEVERITY   MODE       CHECK            RESOURCE              CONTAINER   LOCATION         MESSAGE"
        );
        assert_eq!(
            lines[1],
            "critical   Required   pod.privileged   Deployment/shop/web   nginx       deploy.yaml:12   \
             container \"nginx\" \\u{1b}[31m is privileged"
        );
        assert_eq!(
            lines[2],
            "critical   Required   pod.privileged   Deployment/pay/api    -           -                privileged"
        );
        assert_eq!(lines[4], "Excepted (2):");
        assert!(
            lines[5].starts_with("SEVERITY   CHECK")
                && lines[5].ends_with("EXCEPTED BY                 EXPIRES                REASON")
        );
        assert!(
            table.contains("exceptions[0] (team-shop)   2099-12-31T00:00:00Z   SHOP-481 until the log shipper moves"),
            "{table}"
        );
        assert!(
            table.contains("annotation                  -                      node agent <needs> the socket"),
            "{table}"
        );
        let fixes = lines
            .iter()
            .position(|line| line.starts_with("How to fix"))
            .expect("a remediation section");
        assert_eq!(lines[fixes + 1], "CHECK            FIX");
        assert!(lines[fixes + 2].starts_with("pod.privileged   "), "{table}");
        assert!(lines[fixes + 2].ends_with(remediation_hint("pod.privileged")));
        assert_eq!(lines[fixes + 3], "");
        let namespaces = lines
            .iter()
            .position(|line| *line == "Namespaces with findings:")
            .expect("namespaces");
        assert_eq!(
            lines[namespaces + 1],
            "NAMESPACE   FAILING   REQUIRED   CRITICAL   HIGH   EXCEPTED   SCORE"
        );
        assert_eq!(
            lines[namespaces + 2],
            "pay         1         1          1          0      0          64"
        );
        assert_eq!(
            lines[namespaces + 3],
            "shop        1         1          1          0      2          64"
        );
        assert!(
            lines
                .last()
                .is_some_and(|line| line.starts_with("2 failing (2 critical; 2 required, 0 advisory), 2 excepted"))
        );
        assert!(!table.contains('\u{1b}'), "raw escape in:\n{table}");
    }

    #[test]
    fn objects_from_no_file_have_no_location_column_and_a_clean_run_prints_the_summary_alone() {
        let mut report = fixtures::report();
        for row in report.failing.iter_mut() {
            row.file = None;
            row.line = None;
        }
        let table = render(&report, Layout::default());
        assert!(
            !table.lines().next().unwrap_or_default().contains("LOCATION"),
            "{table}"
        );

        // Namespaces without findings are not listed.
        let clean = crate::audit::report::Report {
            failing: Vec::new(),
            excepted: Vec::new(),
            namespaces: vec![NamespaceSummary {
                namespace: "quiet".to_string(),
                score: 100,
                ..NamespaceSummary::default()
            }],
            ..report
        };
        assert_eq!(
            render(&clean, Layout::default()),
            format!("{}\n", summary_line(&clean.summary))
        );
    }

    #[test]
    fn a_terminal_gets_colored_severities_and_lines_within_its_width() {
        let layout = Layout {
            width: Some(100),
            color: true,
        };
        let table = render(&fixtures::report(), layout);
        assert!(
            table.contains("\u{1b}[1;31mcritical\u{1b}[0m   \u{1b}[1mRequired\u{1b}[0m"),
            "{table}"
        );
        assert!(table.contains("\u{1b}[31mhigh\u{1b}[0m   "), "{table}");
        let plain = |line: &str| {
            let mut text = line.to_string();
            for code in ["\u{1b}[1;31m", "\u{1b}[31m", "\u{1b}[1m", "\u{1b}[0m"] {
                text = text.replace(code, "");
            }
            text.chars().count()
        };
        // Every line but the summary fits; the input's own escape is still shown escaped.
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[..lines.len() - 1].iter().all(|line| plain(line) <= 100),
            "{table}"
        );
        assert!(table.contains("\\u{1b}[31m"), "{table}");
    }
}
