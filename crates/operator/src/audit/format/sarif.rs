//! `-o sarif`: SARIF 2.1.0 for code-scanning tools. One rule per check that produced a result,
//! linking its section of docs/checks.md; results point at the file and the line of the
//! resource's document. Excepted findings are suppressed results (`inSource` for a
//! `palisade.dev/exempt` annotation, `external` for a baseline exception); input errors are
//! tool execution notifications of a run that was not successful.

use std::collections::BTreeMap;

use palisade_checks::find;
use palisade_crds::Severity;
use serde::Serialize;

use super::{mode_name, pretty, qualified_name, subject};
use crate::audit::problem::InputError;
use crate::audit::report::{Report, Row};
use crate::catalog::markdown::help_uri;
use crate::catalog::severity_name;
use palisade_checks::exceptions::Cover;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://palisade.dev";

/// The `security-severity` property code-scanning tools rank results by. GitHub calls a score
/// above 9.0 critical, 7.0 to 8.9 high, 4.0 to 6.9 medium and 0.1 to 3.9 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text<String>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    information_uri: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text<&'static str>,
    full_description: Text<&'static str>,
    help: Text<&'static str>,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text<T> {
    text: T,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text<String>,
    locations: [Location<'a>; 1],
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    logical_locations: [LogicalLocation<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    name: &'a str,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "palisadeFinding/v1")]
    finding: String,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: &'static str,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: &'a str,
}

fn rule(id: &'static str, severity: Severity) -> Rule {
    let check = find(id);
    let mut tags = vec!["security".to_string()];
    if let Some(check) = check {
        tags.push(check.category.as_str().to_string());
        if let Some(level) = check.pss_level() {
            tags.push(format!("pss-{}", level.as_str()));
        }
    }
    Rule {
        id,
        name: id,
        short_description: Text {
            text: check.map_or(id, |check| check.title),
        },
        full_description: Text {
            text: check.map_or("", |check| check.fails_when),
        },
        help: Text {
            text: check.map_or("", |check| check.remediation),
        },
        help_uri: help_uri(id),
        default_configuration: Configuration { level: level(severity) },
        properties: RuleProperties {
            security_severity: security_severity(severity),
            tags,
        },
    }
}

fn result(row: &Row, rule_index: usize) -> SarifResult<'_> {
    let resource = &row.resource;
    let qualified = qualified_name(resource);
    let text = subject(row);
    let fingerprint = match &row.container {
        Some(container) => format!("{}|{qualified}|{container}", row.check),
        None => format!("{}|{qualified}", row.check),
    };
    SarifResult {
        rule_id: row.check,
        rule_index,
        level: level(row.severity),
        message: Text { text },
        locations: [Location {
            physical_location: row.file.as_deref().map(|file| PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(file) },
                region: row.line.map(|line| Region { start_line: line.get() }),
            }),
            logical_locations: [LogicalLocation {
                name: &resource.name,
                fully_qualified_name: qualified,
                kind: "resource",
            }],
        }],
        partial_fingerprints: Fingerprints { finding: fingerprint },
        properties: ResultProperties {
            severity: severity_name(row.severity),
            mode: mode_name(row.mode),
            container: row.container.as_deref(),
        },
        suppressions: row
            .exception
            .iter()
            .map(|exception| Suppression {
                kind: match exception.cover {
                    Cover::Annotation => "inSource",
                    Cover::Exception { .. } => "external",
                },
                status: "accepted",
                justification: &exception.reason,
            })
            .collect(),
    }
}

/// Writes the report; `errors` are the input problems of the run (the rest was evaluated). The
/// document is `{"$schema", "version", "runs": [{"tool", "invocations", "results"}]}` as serde_json's
/// pretty printer lays it out, the results (77 MB for 72k findings) rendered on every core.
pub fn write(report: &Report, errors: &[InputError], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let (tool, invocations, rule_index) = run_parts(report, errors);
    let result = |row| result(row, rule_index(row));
    write!(
        out,
        "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": "
    )?;
    pretty::write_value(&tool, 3, out)?;
    out.write_all(b",\n      \"invocations\": ")?;
    pretty::write_value(&invocations, 3, out)?;
    out.write_all(b",\n      \"results\": ")?;
    pretty::write_array(
        &[&report.failing, &report.excepted],
        3,
        |row, depth, out| pretty::write_value(&result(row), depth, out),
        out,
    )?;
    out.write_all(b"\n    }\n  ]\n}\n")
}

/// The run's tool (its rules sorted by id, each with the baseline's effective severity for the
/// check), its invocation, and each row's rule index.
fn run_parts(report: &Report, errors: &[InputError]) -> (Tool, [Invocation; 1], impl Fn(&Row) -> usize + Sync) {
    let rules: BTreeMap<&'static str, Severity> = report
        .failing
        .iter()
        .chain(&report.excepted)
        .map(|row| (row.check, row.severity))
        .collect();
    let index: BTreeMap<&'static str, usize> = rules.keys().enumerate().map(|(index, id)| (*id, index)).collect();
    let tool = Tool {
        driver: Driver {
            name: "palisade",
            information_uri: INFORMATION_URI,
            version: env!("CARGO_PKG_VERSION"),
            rules: rules.iter().map(|(id, severity)| rule(id, *severity)).collect(),
        },
    };
    let invocations = [Invocation {
        execution_successful: errors.is_empty(),
        tool_execution_notifications: errors
            .iter()
            .map(|error| Notification {
                level: "error",
                message: Text {
                    text: error.to_string(),
                },
            })
            .collect(),
    }];
    let rule_index = move |row: &Row| index.get(row.check).copied().unwrap_or_default();
    (tool, invocations, rule_index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::format::fixtures;

    /// The document as one value that serde_json's own pretty printer writes.
    #[derive(Serialize)]
    struct Whole<'a> {
        #[serde(rename = "$schema")]
        schema: &'static str,
        version: &'static str,
        runs: [WholeRun<'a>; 1],
    }

    #[derive(Serialize)]
    struct WholeRun<'a> {
        tool: Tool,
        invocations: [Invocation; 1],
        results: Vec<SarifResult<'a>>,
    }

    #[test]
    fn the_layout_is_serde_jsons_pretty_printers() {
        // Batches, and the shares of each, end inside the results; failing and excepted meet.
        let long = fixtures::report_with_failing(crate::parallel::BATCH + 3);
        let empty = fixtures::report_without_findings();
        let error = InputError::file("bad.yaml", "document 2: invalid Deployment");
        for (report, errors) in [(fixtures::report(), vec![]), (long, vec![error]), (empty, vec![])] {
            let (tool, invocations, rule_index) = run_parts(&report, &errors);
            let results = report.failing.iter().chain(&report.excepted);
            let whole = Whole {
                schema: SCHEMA,
                version: "2.1.0",
                runs: [WholeRun {
                    tool,
                    invocations,
                    results: results.map(|row| result(row, rule_index(row))).collect(),
                }],
            };
            let mut out = Vec::new();
            write(&report, &errors, &mut out).expect("writes to memory");
            fixtures::assert_pretty_json(&out, &whole);
        }
    }

    fn sarif(errors: &[InputError]) -> serde_json::Value {
        let mut out = Vec::new();
        write(&fixtures::report(), errors, &mut out).expect("writes to memory");
        serde_json::from_slice(&out).expect("JSON")
    }

    #[test]
    fn rules_link_their_docs_and_rank_critical_above_nine() {
        let sarif = sarif(&[]);
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
        let privileged = rules.iter().find(|rule| rule["id"] == "pod.privileged").expect("rule");
        assert_eq!(
            privileged["helpUri"],
            "https://github.com/palisade-dev/palisade/blob/main/docs/checks.md#pod.privileged"
        );
        assert_eq!(privileged["properties"]["security-severity"], "9.5");
        let host_path = rules.iter().find(|rule| rule["id"] == "pod.host-path").expect("rule");
        assert_eq!(host_path["properties"]["security-severity"], "8.0");
        for (severity, score) in [
            (Severity::Critical, 9.5),
            (Severity::High, 8.0),
            (Severity::Medium, 5.5),
            (Severity::Low, 3.0),
            (Severity::Info, 0.0),
        ] {
            assert_eq!(security_severity(severity).parse::<f64>().ok(), Some(score));
        }
    }

    #[test]
    fn results_point_at_the_line_and_exceptions_are_suppressions_by_kind() {
        let sarif = sarif(&[]);
        let results = sarif["runs"][0]["results"].as_array().expect("results");
        assert_eq!(results.len(), 4, "failing and excepted findings are all results");
        let physical = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "deploy.yaml");
        assert_eq!(physical["region"]["startLine"], 12);
        assert!(results[1]["locations"][0].get("physicalLocation").is_none());
        let suppression = |rule: &str| {
            let result = results
                .iter()
                .find(|result| result["ruleId"] == rule)
                .expect("a result");
            result["suppressions"][0].clone()
        };
        assert_eq!(suppression("pod.runtime-socket")["kind"], "inSource");
        assert_eq!(
            suppression("pod.runtime-socket")["justification"],
            "node agent <needs> the socket"
        );
        assert_eq!(suppression("pod.host-path")["kind"], "external");
        assert!(results[0].get("suppressions").is_none());
        let invocation = &sarif["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], true);
        assert!(invocation.get("toolExecutionNotifications").is_none());
    }

    #[test]
    fn input_errors_are_notifications_of_an_unsuccessful_run() {
        let error = InputError {
            file: "bad.yaml".to_string(),
            document: Some(2),
            item: None,
            message: "invalid Deployment".to_string(),
        };
        let sarif = sarif(&[error]);
        let invocation = &sarif["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(
            invocation["toolExecutionNotifications"],
            serde_json::json!([{"level": "error", "message": {"text": "bad.yaml: document 2: invalid Deployment"}}])
        );
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("examples/audit/insecure.yaml"), "examples/audit/insecure.yaml");
        assert_eq!(uri("my dir\\a#b.yaml"), "my%20dir/a%23b.yaml");
    }
}
