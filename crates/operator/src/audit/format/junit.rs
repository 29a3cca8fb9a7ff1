//! `-o junit`: JUnit XML for CI test reports (GitLab's test reports, Jenkins' JUnit plugin).
//!
//! One `<testsuite>` per evaluated check, named by its id, so a CI page lists the checks and what
//! fails each. In it, every failing finding is a `<testcase>` with a `<failure>` (its message,
//! severity, mode, location, the remediation's first sentence and the check's documentation),
//! every excepted finding a `<testcase>` with `<skipped>` (what excepts it and why), and a check
//! with neither has one passing testcase, so every evaluated check counts as a test. A testcase's
//! `classname` is the check id (Jenkins shows `pod.privileged` as class `privileged` of package
//! `pod`), its name the resource (`namespace/Kind/name`, the container in brackets), its `file`
//! the manifest. Input errors are one more suite, `palisade.input`, with an `<error>` each.
//!
//! Text is XML-escaped; characters XML 1.0 cannot carry (control characters) appear escaped as
//! `\u{1b}`. Findings never hold a secret's or a literal env var's value.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::{covered_by, location, mode_name, qualified_name, remediation_hint, subject};
use crate::audit::problem::InputError;
use crate::audit::report::{Report, Row};
use crate::catalog::markdown::help_uri;
use crate::catalog::severity_name;
use crate::table::visible;

const INPUT_SUITE: &str = "palisade.input";

/// A check's findings.
#[derive(Default)]
struct Suite<'a> {
    failing: Vec<&'a Row>,
    excepted: Vec<&'a Row>,
}

impl Suite<'_> {
    /// Testcases: one per finding, or the one passing case.
    fn tests(&self) -> usize {
        (self.failing.len() + self.excepted.len()).max(1)
    }
}

/// Writes the report; `errors` are the input problems of the run (the rest was evaluated).
pub fn write(report: &Report, errors: &[InputError], out: &mut dyn Write) -> io::Result<()> {
    let mut suites: BTreeMap<&str, Suite<'_>> = BTreeMap::new();
    for row in &report.failing {
        suites.entry(row.check).or_default().failing.push(row);
    }
    for row in &report.excepted {
        suites.entry(row.check).or_default().excepted.push(row);
    }
    // Evaluated checks in catalog order, then any check a finding names besides.
    let evaluated: BTreeSet<&str> = report.checks.iter().copied().collect();
    let extra: Vec<&str> = suites.keys().copied().filter(|id| !evaluated.contains(id)).collect();
    let order: Vec<&str> = report.checks.iter().copied().chain(extra).collect();
    let empty = Suite::default();
    let suite = |id: &str| suites.get(id).unwrap_or(&empty);

    let tests = order.iter().map(|id| suite(id).tests()).sum::<usize>() + errors.len();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="palisade" tests="{tests}" failures="{}" errors="{}" skipped="{}" time="0">"#,
        report.failing.len(),
        errors.len(),
        report.excepted.len(),
    )?;
    for id in order {
        write_suite(out, id, suite(id))?;
    }
    if !errors.is_empty() {
        write_errors(out, errors)?;
    }
    writeln!(out, "</testsuites>")
}

fn write_suite(out: &mut dyn Write, id: &str, suite: &Suite<'_>) -> io::Result<()> {
    let id = escape(id);
    writeln!(
        out,
        r#"  <testsuite name="{id}" tests="{}" failures="{}" errors="0" skipped="{}" time="0">"#,
        suite.tests(),
        suite.failing.len(),
        suite.excepted.len(),
    )?;
    if suite.failing.is_empty() && suite.excepted.is_empty() {
        writeln!(
            out,
            r#"    <testcase classname="{id}" name="no failing resource" time="0"/>"#
        )?;
    }
    for row in &suite.failing {
        open_case(out, &id, row)?;
        let mut details = vec![
            subject(row),
            format!("Severity: {} ({})", severity_name(row.severity), mode_name(row.mode)),
        ];
        details.extend(location(row).map(|location| format!("Location: {location}")));
        details.push(format!("Fix: {}", remediation_hint(row.check)));
        details.push(format!("Docs: {}", help_uri(row.check)));
        let details: Vec<String> = details.iter().map(|line| escape(line)).collect();
        writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            escape(&row.message),
            severity_name(row.severity),
            details.join("\n"),
        )?;
        writeln!(out, "    </testcase>")?;
    }
    for row in &suite.excepted {
        open_case(out, &id, row)?;
        let message = match &row.exception {
            Some(exception) => {
                let until = exception
                    .expires
                    .map(|expires| format!(" until {expires}"))
                    .unwrap_or_default();
                format!(
                    "excepted by {}{until}: {}",
                    covered_by(&exception.cover),
                    exception.reason
                )
            }
            None => "excepted".to_string(),
        };
        writeln!(
            out,
            r#"      <skipped message="{}">{}</skipped>"#,
            escape(&message),
            escape(&subject(row))
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")
}

fn open_case(out: &mut dyn Write, classname: &str, row: &Row) -> io::Result<()> {
    let mut name = qualified_name(&row.resource);
    if let Some(container) = &row.container {
        name.push_str(&format!(" [{container}]"));
    }
    let file = row
        .file
        .as_deref()
        .map(|file| format!(r#" file="{}""#, escape(file)))
        .unwrap_or_default();
    writeln!(
        out,
        r#"    <testcase classname="{classname}" name="{}"{file} time="0">"#,
        escape(&name)
    )
}

fn write_errors(out: &mut dyn Write, errors: &[InputError]) -> io::Result<()> {
    writeln!(
        out,
        r#"  <testsuite name="{INPUT_SUITE}" tests="{0}" failures="0" errors="{0}" skipped="0" time="0">"#,
        errors.len()
    )?;
    for error in errors {
        let mut name = error.file.clone();
        if let Some(document) = error.document {
            name.push_str(&format!(" document {document}"));
        }
        if let Some(item) = &error.item {
            name.push_str(&format!(" {item}"));
        }
        writeln!(
            out,
            r#"    <testcase classname="{INPUT_SUITE}" name="{}" time="0">"#,
            escape(&name)
        )?;
        writeln!(
            out,
            r#"      <error message="{}" type="input">{}</error>"#,
            escape(&error.message),
            escape(&error.to_string())
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")
}

/// Text for an XML attribute or element: markup characters as entities, characters XML 1.0
/// cannot carry (control characters, U+FFFE, U+FFFF) in their visible escaped form.
fn escape(text: &str) -> String {
    let text = visible(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{fffe}' | '\u{ffff}' => out.extend(c.escape_debug()),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::format::fixtures;

    fn render(report: &Report, errors: &[InputError]) -> String {
        let mut out = Vec::new();
        write(report, errors, &mut out).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
        assert_eq!(escape("bell\u{7}\u{1b}[2J\u{ffff}"), "bell\\u{7}\\u{1b}[2J\\u{ffff}");
    }

    #[test]
    fn one_suite_per_evaluated_check_with_failures_skips_and_passing_cases() {
        let report = fixtures::report();
        let xml = render(&report, &[]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"palisade\""));
        // pod.privileged fails twice, pod.host-path and pod.runtime-socket are excepted once each,
        // pod.host-ports passes.
        assert!(
            xml.contains(r#"<testsuites name="palisade" tests="5" failures="2" errors="0" skipped="2" time="0">"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testsuite name="pod.privileged" tests="2" failures="2" errors="0" skipped="0" time="0">"#)
        );
        assert!(xml.contains(
            r#"<testcase classname="pod.privileged" name="shop/Deployment/web [nginx]" file="deploy.yaml" time="0">"#
        ), "{xml}");
        assert!(xml.contains(r#"<failure message="container &quot;nginx&quot; \u{1b}[31m is privileged" type="critical">Deployment/shop/web (container nginx): "#), "{xml}");
        assert!(
            xml.contains("Severity: critical (Required)\nLocation: deploy.yaml:12\nFix: "),
            "{xml}"
        );
        assert!(xml.contains(
            "Docs: https://github.com/palisade-dev/palisade/blob/main/docs/checks.md#pod.privileged</failure>"
        ));
        assert!(
            xml.contains(r#"<skipped message="excepted by annotation: node agent &lt;needs&gt; the socket">"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<skipped message="excepted by exceptions[0] (team-shop) until 2099-12-31T00:00:00Z: SHOP-481"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<testcase classname="pod.host-ports" name="no failing resource" time="0"/>"#));
        assert!(xml.contains(r#"<testcase classname="pod.privileged" name="pay/Deployment/api" time="0">"#));
        assert_eq!(xml.matches("<testsuite ").count(), 4);
        assert_eq!(xml.matches("<testsuite ").count(), xml.matches("</testsuite>").count());
        assert_eq!(xml.matches("<testcase ").count(), 5);
        assert!(!xml.contains('\u{1b}'), "raw control character in {xml}");
    }

    #[test]
    fn input_errors_are_an_errored_suite() {
        let error = InputError {
            file: "bad.yaml".to_string(),
            document: Some(3),
            item: None,
            message: "mapping values are not allowed <here>".to_string(),
        };
        let xml = render(&fixtures::report(), &[error]);
        assert!(
            xml.contains(r#"tests="6" failures="2" errors="1" skipped="2""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testsuite name="palisade.input" tests="1" failures="0" errors="1" skipped="0" time="0">"#)
        );
        assert!(xml.contains(r#"<testcase classname="palisade.input" name="bad.yaml document 3" time="0">"#));
        assert!(xml.contains(
            r#"<error message="mapping values are not allowed &lt;here&gt;" type="input">bad.yaml: document 3: mapping"#
        ), "{xml}");
    }
}
