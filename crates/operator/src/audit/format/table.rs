//! `-o table`: SEVERITY, CHECK, RESOURCE, CONTAINER, MESSAGE, then a one-line summary.

use crate::audit::report::{Report, Summary};
use crate::catalog::severity_name;

use super::resource_path;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if !report.failing.is_empty() {
        let rows: Vec<Vec<String>> = report
            .failing
            .iter()
            .map(|row| {
                vec![
                    severity_name(row.severity).to_string(),
                    row.finding.check.to_string(),
                    resource_path(&row.finding.resource),
                    row.finding.container.clone().unwrap_or_else(|| "-".to_string()),
                    row.finding.message.clone(),
                ]
            })
            .collect();
        out.push_str(&crate::table::render(
            &["SEVERITY", "CHECK", "RESOURCE", "CONTAINER", "MESSAGE"],
            &rows,
        ));
        out.push('\n');
    }
    out.push_str(&summary_line(&report.summary));
    out.push('\n');
    out
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
