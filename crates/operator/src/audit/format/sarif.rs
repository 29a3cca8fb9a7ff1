//! `-o sarif`: SARIF 2.1.0 for code-scanning tools. One rule per check that produced a result;
//! excepted findings are results with an external suppression.

use std::collections::BTreeMap;

use palisade_checks::find;
use palisade_crds::{CheckMode, Severity};
use serde_json::{Value, json};

use super::{qualified_name, resource_path};
use crate::audit::report::{Report, Row};
use crate::catalog::severity_name;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://palisade.dev";

/// The `security-severity` property code-scanning tools rank results by.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.0",
        Severity::High => "7.0",
        Severity::Medium => "5.0",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn mode_name(mode: CheckMode) -> &'static str {
    match mode {
        CheckMode::Required => "Required",
        CheckMode::Advisory => "Advisory",
        CheckMode::Disabled => "Disabled",
    }
}

/// A relative path as a URI reference: `/` separators, reserved characters percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn rule(id: &str, severity: Severity) -> Value {
    let check = find(id);
    let title = check.map_or(id, |check| check.title);
    let mut tags = vec!["security".to_string()];
    if let Some(check) = check {
        tags.push(check.category.as_str().to_string());
        if let Some(level) = check.pss_level() {
            tags.push(format!("pss-{}", level.as_str()));
        }
    }
    json!({
        "id": id,
        "name": id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": check.map_or("", |check| check.fails_when)},
        "help": {"text": check.map_or("", |check| check.remediation)},
        "defaultConfiguration": {"level": level(severity)},
        "properties": {
            "security-severity": security_severity(severity),
            "tags": tags,
        },
    })
}

fn result(row: &Row, rule_index: usize) -> Value {
    let finding = &row.finding;
    let resource = &finding.resource;
    let qualified = qualified_name(resource);
    let text = match &finding.container {
        Some(container) => format!(
            "{} (container {container}): {}",
            resource_path(resource),
            finding.message
        ),
        None => format!("{}: {}", resource_path(resource), finding.message),
    };
    let mut location = json!({
        "logicalLocations": [{
            "name": resource.name,
            "fullyQualifiedName": qualified,
            "kind": "resource",
        }],
    });
    if let (Some(file), Some(fields)) = (&row.file, location.as_object_mut()) {
        fields.insert(
            "physicalLocation".to_string(),
            json!({"artifactLocation": {"uri": uri(file)}}),
        );
    }
    let fingerprint = match &finding.container {
        Some(container) => format!("{}|{qualified}|{container}", finding.check),
        None => format!("{}|{qualified}", finding.check),
    };
    let mut properties = json!({
        "severity": severity_name(row.severity),
        "mode": mode_name(row.mode),
    });
    if let (Some(container), Some(fields)) = (&finding.container, properties.as_object_mut()) {
        fields.insert("container".to_string(), json!(container));
    }
    let mut value = json!({
        "ruleId": finding.check,
        "ruleIndex": rule_index,
        "level": level(row.severity),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"palisadeFinding/v1": fingerprint},
        "properties": properties,
    });
    if let (Some(exception), Some(fields)) = (&row.exception, value.as_object_mut()) {
        fields.insert(
            "suppressions".to_string(),
            json!([{"kind": "external", "status": "accepted", "justification": exception.reason}]),
        );
    }
    value
}

pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    let rows = report.failing.iter().chain(&report.excepted);
    // Rules sorted by id; the severity is the baseline's effective one for the check.
    let rules: BTreeMap<&str, Severity> = rows.clone().map(|row| (row.finding.check, row.severity)).collect();
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(index, id)| (*id, index)).collect();
    let results: Vec<Value> = rows
        .map(|row| result(row, index.get(row.finding.check).copied().unwrap_or_default()))
        .collect();
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "palisade",
                "informationUri": INFORMATION_URI,
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|(id, severity)| rule(id, *severity)).collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("examples/audit/insecure.yaml"), "examples/audit/insecure.yaml");
        assert_eq!(uri("my dir\\a#b.yaml"), "my%20dir/a%23b.yaml");
    }
}
