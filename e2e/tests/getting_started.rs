//! docs/getting-started.md on the local control plane, step by step: every shell command of the
//! guide is either run as written (kubectl, and curl against the operator) with what the guide
//! promises checked on its output, or named here with what covers it instead (the harness
//! installs the chart's CRDs and RBAC and runs the operator as its ServiceAccount). A command this
//! test does not know fails it, so the guide and the test cannot drift apart.

use std::collections::BTreeMap;
use std::process::Command;

use palisade_e2e::{Operator, kubectl, operator_kubeconfig, repo_root, wait_for};

const GUIDE: &str = "docs/getting-started.md";
/// The operator's address in the guide, replaced by the test's own port.
const GUIDE_ADDRESS: &str = "127.0.0.1:8080";

/// Commands of the guide this test does not run, by prefix (as [`shell_words`] joins them:
/// quotes removed), and what covers them.
const COVERED_ELSEWHERE: [(&str, &str); 14] = [
    ("cargo build -p palisade", "e2e/run.sh builds the binary"),
    ("alias palisade=", "offline audit: crates/operator/tests/examples.rs"),
    ("palisade ", "offline audit: crates/operator/tests/examples.rs"),
    (
        "helm install palisade charts/palisade",
        "needs nodes for the Deployment's pod",
    ),
    ("kubectl -n palisade rollout status", "needs a running pod"),
    ("kubectl -n palisade port-forward", "needs a running pod"),
    ("bash e2e/controlplane.sh start", "e2e/run.sh starts the control plane"),
    ("export KUBECONFIG=", "e2e/run.sh sets KUBECONFIG"),
    ("helm=$(bash e2e/helm.sh path)", "helm_template runs e2e/helm.sh"),
    (
        "$helm install palisade charts/palisade",
        "operator_kubeconfig applies the CRDs and RBAC helm renders",
    ),
    (
        "kubectl config view --minify --raw > palisade.kubeconfig",
        "operator_kubeconfig",
    ),
    ("KUBECONFIG=palisade.kubeconfig kubectl config", "operator_kubeconfig"),
    (
        "KUBECONFIG=palisade.kubeconfig target/debug/palisade operator",
        "Operator::start",
    ),
    (
        "helm upgrade palisade charts/palisade",
        "chart_metrics.rs applies the monitoring objects",
    ),
];

/// What the guide tells the reader, quoted: the checks below verify exactly these claims.
const CLAIMS: [&str; 6] = [
    "every namespace has a `PostureReport` named `posture`",
    "`checkout` is `InSync` with score 100, `storefront` is `Drifted`",
    "the operator emits a `Drifted` Event on its report",
    "on the\nlocal control plane, which runs no pods, the old ones stay `Pending`",
    "Both stay listed in every report as excepted",
    "kubectl get hardeningbaselines            # Matched, Drifted, Ready",
];

/// One command of a ```sh block: its section heading and its words, as the shell splits them.
struct Step {
    section: String,
    line: String,
    words: Vec<String>,
}

#[test]
fn the_guide_runs_as_written() {
    let guide = std::fs::read_to_string(repo_root().join(GUIDE)).expect("the guide is read");
    for claim in CLAIMS {
        assert!(guide.contains(claim), "{GUIDE} no longer says: {claim}");
    }
    let steps = shell_steps(&guide);
    let operator_line = steps
        .iter()
        .find(|step| step.line.contains("palisade operator"))
        .expect("the guide runs the operator");
    assert!(
        operator_line.line.contains(&format!("--listen {GUIDE_ADDRESS}")),
        "the guide's curl commands expect the operator on {GUIDE_ADDRESS}: {}",
        operator_line.line
    );

    let applied = Applied::default();
    let kubeconfig = operator_kubeconfig();
    let base: u16 = std::env::var("PALISADE_E2E_PORT_BASE")
        .ok()
        .and_then(|base| base.parse().ok())
        .unwrap_or(18100);
    let operator = Operator::start(&kubeconfig, "getting-started", base + 60, &[]);
    operator.wait_leading(60);

    let mut ran = 0;
    for step in &steps {
        if let Some((_, covered_by)) = COVERED_ELSEWHERE
            .iter()
            .find(|(prefix, _)| step.line.starts_with(prefix))
        {
            eprintln!("not run ({covered_by}): {}", step.line);
        } else if step.words.first().map(String::as_str) == Some("kubectl") {
            applied.record(&step.words);
            run_kubectl(step);
            ran += 1;
        } else if step.words.first().map(String::as_str) == Some("curl") {
            check_curl(step, &operator);
            ran += 1;
        } else {
            panic!("{GUIDE} has a command this test neither runs nor covers: {}", step.line);
        }
    }
    assert!(
        ran >= 20,
        "only {ran} commands of the guide ran: is its parsing broken?"
    );
    refuses_the_invalid_baseline(&guide);
    exports_the_named_series(&guide, &operator);

    // SIGTERM releases the Lease, so the next test's operator leads at once.
    operator.stop();
    drop(applied);
}

/// The commands of the ```sh blocks, continuation lines joined, comments and blank lines dropped.
fn shell_steps(markdown: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut section = String::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block && line.trim() == "```sh";
        } else if in_block {
            pending.push_str(line.trim());
            if let Some(continued) = pending.strip_suffix('\\') {
                pending = format!("{} ", continued.trim_end());
                continue;
            }
            let words = shell_words(&pending);
            if !words.is_empty() {
                let line = words.join(" ");
                steps.push(Step {
                    section: section.clone(),
                    line,
                    words,
                });
            }
            pending.clear();
        } else if let Some(heading) = line.strip_prefix("## ") {
            section = heading.to_string();
        }
    }
    steps
}

/// A line split as the shell splits it (quotes removed, a `#` word starts a comment); the guide
/// uses no escapes inside quotes.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for character in line.chars() {
        match (quote, character) {
            (Some(open), close) if open == close => quote = None,
            (Some(_), other) => word.get_or_insert_default().push(other),
            (None, '\'' | '"') => {
                quote = Some(character);
                word.get_or_insert_default();
            }
            (None, '#') if word.is_none() => break,
            (None, space) if space.is_whitespace() => words.extend(word.take()),
            (None, other) => word.get_or_insert_default().push(other),
        }
    }
    words.extend(word);
    words
}

/// Runs a kubectl step until it succeeds and what the guide says of its output holds.
fn run_kubectl(step: &Step) {
    let args: Vec<&str> = step.words[1..].iter().map(String::as_str).collect();
    wait_for(90, &step.line, || {
        let output = kubectl(&args);
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        promise(step, &String::from_utf8_lossy(&output.stdout))
    });
}

/// What the guide tells the reader a command shows.
fn promise(step: &Step, output: &str) -> Result<(), String> {
    let section = step.section.split('.').next().unwrap_or_default();
    let line = step.line.as_str();
    let failed = |what: &str| Err(format!("{what}: {output}"));
    match (section, line) {
        ("1", "kubectl get posturereports -A") => {
            let namespaces: Vec<String> = table(output).iter().map(|row| row["NAMESPACE"].clone()).collect();
            if ["default", "kube-system"]
                .iter()
                .all(|ns| namespaces.iter().any(|seen| seen == ns))
            {
                Ok(())
            } else {
                failed("every namespace has a report")
            }
        }
        ("1", "kubectl get clusterposturereports") => {
            if table(output).is_empty() {
                failed("a ClusterPostureReport")
            } else {
                Ok(())
            }
        }
        ("3", "kubectl get posturereports -A") => {
            let rows = table(output);
            let row = |namespace: &str| rows.iter().find(|row| row["NAMESPACE"] == namespace).cloned();
            match (row("checkout"), row("storefront")) {
                (Some(checkout), Some(storefront))
                    if checkout["DRIFT"] == "InSync"
                        && checkout["SCORE"] == "100"
                        && checkout["COMPLIANT"] == "True"
                        && storefront["DRIFT"] == "Drifted"
                        && storefront["COMPLIANT"] == "False" =>
                {
                    Ok(())
                }
                _ => failed("checkout InSync, Compliant, score 100; storefront Drifted"),
            }
        }
        (_, drift) if drift.ends_with("jsonpath={.status.drift}") => {
            if output.contains("\"state\":\"Drifted\"") {
                Ok(())
            } else {
                failed("storefront drifted")
            }
        }
        (_, checks) if checks.contains("{range .status.checks[*]}{.result}{\"\\t\"}{.severity}") => {
            if output
                .lines()
                .any(|row| row.contains("pod.privileged") && row.contains("Deployment/web"))
            {
                Ok(())
            } else {
                failed("the privileged Deployment web is listed")
            }
        }
        (_, events) if events.starts_with("kubectl get events -n storefront") => {
            if output.contains("Drifted") && output.contains("posturereport/posture") {
                Ok(())
            } else {
                failed("a Drifted Event on the report")
            }
        }
        // The guide's promise for the fix needs the rollout to run new pods; what it says of the
        // local control plane is checked instead.
        (_, ids) if ids.ends_with("jsonpath={.status.checks[*].id}") => {
            if output.contains("pod.privileged") {
                Ok(())
            } else {
                failed("the Pending old pods keep pod.privileged")
            }
        }
        ("5", "kubectl get hardeningbaselines") => {
            let rows = table(output);
            match rows.iter().find(|row| row["NAME"] == "production") {
                Some(production)
                    if production["MATCHED"] == "2"
                        && production["DRIFTED"] == "1"
                        && production["READY"] == "True" =>
                {
                    Ok(())
                }
                _ => failed("production matches 2 namespaces, 1 drifted, Ready"),
            }
        }
        ("2", "kubectl get hardeningbaselines") => {
            let names: Vec<String> = table(output).iter().map(|row| row["NAME"].clone()).collect();
            if names.contains(&"production".to_string()) && names.contains(&"development".to_string()) {
                Ok(())
            } else {
                failed("both baselines")
            }
        }
        (_, conditions) if conditions.ends_with("jsonpath={.status.conditions}") => {
            if output.contains("\"type\":\"Ready\"") {
                Ok(())
            } else {
                failed("a Ready condition")
            }
        }
        (_, cluster) if cluster.starts_with("kubectl get clusterposturereport -o yaml") => {
            if output.contains("storefront") {
                Ok(())
            } else {
                failed("storefront among the drifted namespaces")
            }
        }
        ("7", excepted) if excepted.starts_with("kubectl get posturereport posture -n reports") => {
            if output.lines().filter(|row| row.starts_with("Excepted")).count() >= 2 {
                Ok(())
            } else {
                failed("the exception and the exemption listed as excepted")
            }
        }
        _ => Ok(()),
    }
}

/// The rows of a kubectl table, by column header (kubectl prints `<none>` for empty cells).
/// The rows of a `kubectl get` table by column. Every row has every column: a cell kubectl left
/// blank (a status not written yet) reads as empty, so a check retries instead of panicking.
fn table(output: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = output.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split_whitespace().collect();
    lines
        .map(|line| {
            let values: Vec<&str> = line.split_whitespace().collect();
            header
                .iter()
                .enumerate()
                .map(|(index, column)| {
                    (
                        column.to_string(),
                        values.get(index).copied().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

/// Runs a curl step (the part before any pipe) against the test's operator; a `grep -E
/// '^palisade_(a|b)'` after the pipe names series that must be served.
fn check_curl(step: &Step, operator: &Operator) {
    let address = format!("127.0.0.1:{}", operator.metrics_port);
    let mut parts = step.words.split(|word| word == "|");
    let curl: Vec<String> = parts
        .next()
        .unwrap_or_default()
        .iter()
        .map(|word| word.replace(GUIDE_ADDRESS, &address))
        .collect();
    assert!(
        curl.iter().any(|word| word.contains(&address)),
        "{} asks the operator",
        step.line
    );
    let served = wait_for(60, &step.line, || {
        let output = Command::new(&curl[0])
            .args(&curl[1..])
            .arg("-f")
            .output()
            .expect("curl runs");
        let body = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() { Ok(body) } else { Err(body) }
    });
    if let Some(grep) = parts.next() {
        let pattern = grep.last().expect("grep has a pattern");
        let names = pattern
            .strip_prefix("^palisade_(")
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("an unexpected grep pattern: {pattern}"));
        for name in names.split('|') {
            let series = format!("palisade_{name}");
            assert!(
                served
                    .lines()
                    .any(|line| line.starts_with(&series) && !line.starts_with('#')),
                "{series} is not served:\n{served}"
            );
        }
    }
}

/// The metrics section's series report the namespaces the guide applies, and every series the
/// guide names is one the operator exports.
fn exports_the_named_series(guide: &str, operator: &Operator) {
    wait_for(60, "the dashboard's series for both namespaces", || {
        let score = operator.metric("palisade_namespace_score{namespace=\"checkout\"}");
        let drifted = operator.metric("palisade_namespace_drifted{namespace=\"storefront\"}");
        match (score, drifted) {
            (Some(100.0), Some(1.0)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let metrics = operator.metrics();
    let named: Vec<&str> = guide
        .match_indices("palisade_")
        .map(|(start, _)| {
            let rest = &guide[start..];
            let end = rest
                .find(|character: char| !(character.is_ascii_lowercase() || character == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        // The grep pattern's `palisade_(` prefix: its names are checked with the curl command.
        .filter(|name| !name.ends_with('_'))
        .collect();
    assert!(named.len() >= 5, "the guide names the metrics: {named:?}");
    for name in named {
        assert!(
            metrics.lines().any(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
            }),
            "{GUIDE} names {name}, which the operator does not export"
        );
    }
}

/// The guide's inline dry run of an invalid baseline is refused at admission.
fn refuses_the_invalid_baseline(guide: &str) {
    let command = guide
        .split('`')
        .find(|span| span.starts_with("kubectl apply --server-side --dry-run=server"))
        .expect("the guide shows a refused baseline");
    let words = shell_words(command);
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let output = kubectl(&args);
    assert!(!output.status.success(), "{command} was accepted");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("expires"),
        "{command} was refused for another reason: {stderr}"
    );
}

/// The files the guide's `kubectl apply` commands applied, deleted again (namespaces, baselines
/// and the insecure app's Deployment in `default`) when dropped, even when the test fails; the
/// deletion is awaited so the next test of the suite starts without them.
#[derive(Default)]
struct Applied {
    files: std::cell::RefCell<Vec<String>>,
}

impl Applied {
    fn record(&self, words: &[String]) {
        if words.get(1).map(String::as_str) != Some("apply") || words.iter().any(|word| word.starts_with("--dry-run")) {
            return;
        }
        let files = words
            .windows(2)
            .filter(|pair| pair[0] == "-f")
            .map(|pair| pair[1].clone());
        self.files.borrow_mut().extend(files);
    }
}

impl Drop for Applied {
    fn drop(&mut self) {
        for file in self.files.borrow().iter().rev() {
            let _ = kubectl(&["delete", "--ignore-not-found", "--timeout=60s", "-f", file]);
        }
    }
}
