//! The chart with every option (charts/palisade/ci/all-options-values.yaml) against the real
//! thing: its render applies server-side to the control plane, validated by the Prometheus
//! Operator's own ServiceMonitor and PrometheusRule CRDs, and every metric and label its alerts
//! name is one the operator exports on /metrics. So is every one the Grafana dashboard and the
//! README's PromQL name, and kube-state-metrics' custom-resource-state configuration reads fields
//! the operator's PostureReports and HardeningBaselines have.

#[path = "chart_metrics/ksm.rs"]
mod ksm;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use palisade_e2e::{
    Operator, apply, get_json, go_module_dir, helm_template, install_crds, kubectl, operator_kubeconfig, repo_root,
    wait_for,
};
use serde_json::Value;

/// The Prometheus Operator release whose CRDs validate the chart's monitoring objects.
const PROMETHEUS_OPERATOR: &str = "github.com/prometheus-operator/prometheus-operator@v0.94.0";
const RELEASE: &str = "chart-e2e";
const RELEASE_NAMESPACE: &str = "palisade-chart-e2e";
/// Labels a ServiceMonitor's scrape adds to every series besides the operator's own.
const TARGET_LABELS: [&str; 3] = ["job", "instance", "namespace"];
const ALERTS: [&str; 6] = [
    "PalisadeNamespaceDrifted",
    "PalisadeScoreBelowThreshold",
    "PalisadeBaselineInvalid",
    "PalisadeOperatorDown",
    "PalisadeNoLeader",
    "PalisadeReportWritesFailing",
];

#[test]
fn all_options_render_applies_and_its_alerts_use_exported_metrics() {
    install_prometheus_operator_crds();
    let installed = Installed::apply(&render_all_options());

    let rule = get_json(&[
        "prometheusrule",
        "-n",
        RELEASE_NAMESPACE,
        &format!("{RELEASE}-palisade"),
    ])
    .expect("the API server holds the PrometheusRule");
    let monitor = get_json(&[
        "servicemonitor",
        "-n",
        RELEASE_NAMESPACE,
        &format!("{RELEASE}-palisade"),
    ])
    .expect("the API server holds the ServiceMonitor");
    assert_eq!(
        monitor["spec"]["endpoints"][0]["honorLabels"], true,
        "the alerts group by the operator's own namespace label: {monitor}"
    );
    assert!(
        get_json(&["hardeningbaseline", "default"]).is_some(),
        "the default HardeningBaseline is applied"
    );
    refuses_malformed_rules();

    let alerts = alert_exprs(&rule);
    let names: Vec<&str> = alerts.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ALERTS, "the chart's alerts");

    let scrape = scrape_settled_operator();
    let exported = Exported::parse(&scrape);
    exported.assert_satisfies("alerts", &alerts);

    let dashboard = dashboard_exprs(&installed_dashboard());
    exported.assert_satisfies("dashboard panels", &dashboard);
    let unshown: Vec<&str> = scrape
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE ")?.split_whitespace().next())
        .filter(|family| !dashboard.iter().any(|(_, expr)| expr.contains(family)))
        .collect();
    assert!(unshown.is_empty(), "families the dashboard does not show: {unshown:?}");
    let readme = std::fs::read_to_string(repo_root().join("charts/palisade/README.md")).expect("README read");
    exported.assert_satisfies("the chart's README", &promql_blocks(&readme));

    ksm_config_reads_written_status();

    // The check itself catches what it is for: a counter without `_total`, a misspelled family,
    // labels the family does not have.
    let wrong = exported.problems(
        "sum(palisade_report_writes{result=\"error\"}) + palisade_namespace_scores \
         + max by (severity) (palisade_namespace_score{kind=\"x\"})",
    );
    assert_eq!(
        wrong,
        [
            "palisade_report_writes is not a series the operator exports",
            "palisade_namespace_scores is not a series the operator exports",
            "palisade_namespace_score has no label kind",
            "no series of the expression has the label severity",
        ],
    );
    drop(installed);
}

/// The dashboard as the chart's ConfigMap holds it on the API server.
fn installed_dashboard() -> Value {
    let configmap = get_json(&[
        "configmap",
        "-n",
        RELEASE_NAMESPACE,
        &format!("{RELEASE}-palisade-dashboard"),
    ])
    .expect("the API server holds the dashboard ConfigMap");
    assert_eq!(
        configmap["metadata"]["labels"]["grafana_dashboard"], "1",
        "the sidecar's label: {configmap}"
    );
    let json = configmap["data"]["palisade.json"].as_str().unwrap_or_default();
    serde_json::from_str(json).unwrap_or_else(|error| panic!("the dashboard is no JSON ({error}): {json}"))
}

/// (where, expr) of every query of the dashboard: panels' targets (rows' panels included) and
/// template variables.
fn dashboard_exprs(dashboard: &Value) -> Vec<(String, String)> {
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    let panels = list(&dashboard["panels"])
        .into_iter()
        .flat_map(|panel| [vec![panel.clone()], list(&panel["panels"])].concat());
    let mut exprs: Vec<(String, String)> = panels
        .flat_map(|panel| {
            let title = panel["title"].as_str().unwrap_or_default().to_string();
            list(&panel["targets"])
                .into_iter()
                .filter_map(move |target| Some((format!("panel {title}"), target["expr"].as_str()?.to_string())))
        })
        .collect();
    exprs.extend(
        list(&dashboard["templating"]["list"])
            .into_iter()
            .filter_map(|variable| {
                let query = variable["query"]["query"].as_str()?;
                Some((format!("variable {}", variable["name"]), query.to_string()))
            }),
    );
    assert!(exprs.len() > 10, "the dashboard has queries: {dashboard}");
    exprs
}

/// (where, line) of every line of the ```promql blocks of a Markdown document.
fn promql_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut exprs = Vec::new();
    let mut in_block = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block && line.trim() == "```promql";
        } else if in_block && !line.trim().is_empty() {
            exprs.push(("promql block".to_string(), line.to_string()));
        }
    }
    exprs
}

/// Every path of the custom-resource-state configuration leads to a value in the PostureReports
/// and HardeningBaselines the operator wrote, and the configuration has only fields
/// kube-state-metrics' config types have.
fn ksm_config_reads_written_status() {
    let text =
        std::fs::read_to_string(repo_root().join("charts/palisade/kube-state-metrics/custom-resource-state.yaml"))
            .expect("the custom-resource-state configuration is read");
    let config = ksm::Config::parse(&text).unwrap_or_else(|error| panic!("custom-resource-state.yaml: {error}"));
    let kinds: Vec<&str> = config
        .spec
        .resources
        .iter()
        .map(|resource| resource.group_version_kind.kind.as_str())
        .collect();
    assert_eq!(kinds, ["PostureReport", "HardeningBaseline"]);
    for resource in &config.spec.resources {
        let gvk = &resource.group_version_kind;
        assert_eq!((gvk.group.as_str(), gvk.version.as_str()), ("palisade.dev", "v1alpha1"));
        let objects = get_json(&[&format!("{}.{}", gvk.kind.to_lowercase(), gvk.group), "-A"]).expect("listed");
        let written: Vec<&Value> = objects["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|object| object["status"]["conditions"].is_array())
            .collect();
        assert!(
            !written.is_empty(),
            "the operator wrote no {} status: {objects}",
            gvk.kind
        );
        let problems: Vec<String> = written
            .iter()
            .flat_map(|object| {
                let at = format!(
                    "{}/{}",
                    object["metadata"]["namespace"].as_str().unwrap_or_default(),
                    object["metadata"]["name"].as_str().unwrap_or_default()
                );
                resource
                    .problems(object)
                    .into_iter()
                    .map(move |problem| format!("{at}: {problem}"))
            })
            .collect();
        assert!(problems.is_empty(), "{}: {}\n{objects}", gvk.kind, problems.join("\n"));
    }

    // The checks catch what they are for: a field kube-state-metrics does not have, a path the
    // status does not have, a state outside the StateSet's list.
    let unknown = text.replacen("nilIsZero: true", "nilIsZero: true\n              zeroIsNil: true", 1);
    assert!(ksm::Config::parse(&unknown).is_err(), "zeroIsNil was accepted");
    let wrong = ksm::Config::parse(&text.replacen("[status, score]", "[status, scores]", 1).replacen(
        "list: [InSync, Drifted, NoBaseline]",
        "list: [Unknown]",
        1,
    ))
    .expect("still a valid configuration");
    let report = written_report();
    let problems = wrong.spec.resources[0].problems(&report);
    assert_eq!(problems.len(), 2, "{problems:?}");
}

fn written_report() -> Value {
    let reports = get_json(&["posturereports.palisade.dev", "-A"]).expect("listed");
    reports["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|report| report["status"]["drift"]["state"].is_string())
        .cloned()
        .expect("a report with a drift state")
}

/// Downloads the Prometheus Operator's Go module and applies its ServiceMonitor and
/// PrometheusRule CRDs.
fn install_prometheus_operator_crds() {
    let dir = go_module_dir(PROMETHEUS_OPERATOR);
    for crd in ["servicemonitors", "prometheusrules"] {
        let file = dir.join(format!(
            "example/prometheus-operator-crd/monitoring.coreos.com_{crd}.yaml"
        ));
        install_crds(file.to_str().expect("a UTF-8 module path"));
    }
    install_crds("charts/palisade/crds/");
}

fn render_all_options() -> String {
    helm_template(
        RELEASE,
        RELEASE_NAMESPACE,
        &["-f", "charts/palisade/ci/all-options-values.yaml"],
    )
}

/// The render applied to the control plane, deleted again when dropped (its cluster-wide
/// HardeningBaseline would otherwise judge the namespaces of later tests).
struct Installed {
    manifest: PathBuf,
}

impl Installed {
    fn apply(rendered: &str) -> Installed {
        let manifest = std::env::temp_dir().join(format!("palisade-chart-e2e-{}.yaml", std::process::id()));
        std::fs::write(&manifest, rendered).expect("render written");
        let _ = kubectl(&["create", "namespace", RELEASE_NAMESPACE]);
        apply(rendered);
        Installed { manifest }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if let Some(manifest) = self.manifest.to_str() {
            let _ = kubectl(&["delete", "--ignore-not-found", "--wait=false", "-f", manifest]);
        }
        let _ = kubectl(&[
            "delete",
            "namespace",
            RELEASE_NAMESPACE,
            "--ignore-not-found",
            "--wait=false",
        ]);
        let _ = std::fs::remove_file(&self.manifest);
    }
}

/// The apply above proves something only if the CRDs validate: a rule whose `for` is no
/// duration is refused.
fn refuses_malformed_rules() {
    let manifest = std::env::temp_dir().join(format!("palisade-chart-e2e-bad-rule-{}.yaml", std::process::id()));
    std::fs::write(
        &manifest,
        format!(
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {{name: malformed, namespace: {RELEASE_NAMESPACE}}}\n\
             spec: {{groups: [{{name: g, rules: [{{alert: A, expr: up == 0, for: half an hour}}]}}]}}\n"
        ),
    )
    .expect("manifest written");
    let refused = kubectl(&[
        "apply",
        "--server-side",
        "--dry-run=server",
        "-f",
        manifest.to_str().expect("UTF-8"),
    ]);
    let _ = std::fs::remove_file(&manifest);
    assert!(
        !refused.status.success(),
        "the PrometheusRule CRD accepted `for: half an hour`"
    );
}

/// (alert name, expr) of every alerting rule, in order.
fn alert_exprs(rule: &Value) -> Vec<(String, String)> {
    rule["spec"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|group| group["rules"].as_array().cloned().unwrap_or_default())
        .filter_map(|rule| Some((rule["alert"].as_str()?.to_string(), rule["expr"].as_str()?.to_string())))
        .collect()
}

/// /metrics of an operator that leads and has evaluated and written every report, so that every
/// labelled family has samples to show its labels.
fn scrape_settled_operator() -> String {
    let kubeconfig = operator_kubeconfig();
    let base = std::env::var("PALISADE_E2E_PORT_BASE")
        .ok()
        .and_then(|base| base.parse().ok());
    let operator = Operator::start(&kubeconfig, "chart-metrics", base.unwrap_or(18100u16) + 50, &[]);
    operator.wait_leading(60);
    let metrics = wait_for(60, "reports evaluated and written", || {
        let metrics = operator.metrics();
        let settled = [
            "palisade_namespace_score{",
            "palisade_report_writes_total{",
            "palisade_failing_findings{",
        ]
        .iter()
        .all(|series| metrics.contains(series));
        if settled { Ok(metrics) } else { Err(metrics) }
    });
    // Its first write shows the series, but the reports earlier tests' operators wrote without the
    // chart's baseline are only all rewritten once nothing is pending; the kube-state-metrics
    // check reads them.
    operator.wait_settled(60, 2);
    // SIGTERM releases the Lease, so the next operator of these tests leads at once.
    operator.stop();
    metrics
}

/// The series names the operator exports and the label names each shows.
struct Exported {
    series: BTreeMap<String, BTreeSet<String>>,
}

impl Exported {
    /// Reads the text format: `# TYPE` lines name the families (a counter's series end in
    /// `_total`, a histogram's in `_bucket`, `_sum` and `_count`), samples show the labels.
    fn parse(metrics: &str) -> Exported {
        let mut series: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in metrics.lines() {
            if let Some(declared) = line.strip_prefix("# TYPE ") {
                let mut words = declared.split_whitespace();
                let (Some(family), Some(kind)) = (words.next(), words.next()) else {
                    continue;
                };
                let suffixes: &[&str] = match kind {
                    "counter" => &["_total"],
                    "histogram" => &["_bucket", "_sum", "_count"],
                    _ => &[""],
                };
                for suffix in suffixes {
                    series.entry(format!("{family}{suffix}")).or_default();
                }
            } else if !line.starts_with('#') {
                let name_end = line.find(['{', ' ']).unwrap_or(line.len());
                let labels = line[name_end..].strip_prefix('{').map(|rest| label_names(rest, '}'));
                if let Some(known) = series.get_mut(&line[..name_end]) {
                    known.extend(labels.unwrap_or_default());
                }
            }
        }
        Exported { series }
    }

    /// Panics naming every expression of `exprs` (where, expr) the operator's metrics cannot satisfy.
    fn assert_satisfies(&self, what: &str, exprs: &[(String, String)]) {
        let problems: Vec<String> = exprs
            .iter()
            .flat_map(|(at, expr)| {
                self.problems(expr)
                    .into_iter()
                    .map(move |problem| format!("{at}: {problem}"))
            })
            .collect();
        assert!(
            problems.is_empty(),
            "{what} the operator's metrics cannot satisfy:\n{}",
            problems.join("\n")
        );
    }

    /// What in a PromQL expression names a `palisade_` series the operator does not export, or
    /// a label that neither the series it names nor the scrape target carry.
    fn problems(&self, expr: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let mut referenced = BTreeSet::new();
        let mut grouping = Vec::new();
        let mut rest = expr;
        while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '"') {
            rest = &rest[start..];
            if let Some(quoted) = rest.strip_prefix('"') {
                rest = skip_past(quoted, '"');
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let (word, after) = rest.split_at(end);
            rest = after;
            let opens_list = after.trim_start().starts_with('(');
            if ["by", "without", "on", "ignoring", "group_left", "group_right"].contains(&word) && opens_list {
                let list = &after.trim_start()[1..];
                grouping.extend(label_names(list, ')'));
                rest = list.find(')').map_or("", |close| &list[close + 1..]);
            } else if word.starts_with("palisade_") {
                let Some(labels) = self.series.get(word) else {
                    problems.push(format!("{word} is not a series the operator exports"));
                    continue;
                };
                referenced.insert(word);
                if let Some(matchers) = after.strip_prefix('{') {
                    for label in label_names(matchers, '}') {
                        if !labels.contains(&label) && !TARGET_LABELS.contains(&label.as_str()) {
                            problems.push(format!("{word} has no label {label}"));
                        }
                    }
                    rest = skip_past(matchers, '}');
                }
            }
        }
        for label in grouping {
            let carried = referenced.iter().any(|series| self.series[*series].contains(&label));
            if !carried && !TARGET_LABELS.contains(&label.as_str()) {
                problems.push(format!("no series of the expression has the label {label}"));
            }
        }
        problems
    }
}

/// The label names of a `{...}` matcher or label set, or of a `(...)` grouping list, up to `close`.
fn label_names(text: &str, close: char) -> Vec<String> {
    let body = &text[..text.len() - skip_past(text, close).len()];
    let mut names = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '"') {
        rest = &rest[start..];
        if let Some(quoted) = rest.strip_prefix('"') {
            rest = skip_past(quoted, '"');
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        names.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    names
}

/// The text after the first `close` outside double quotes ("" when there is none); with `"` as
/// `close`, the text after the end of a string whose opening quote is already consumed.
fn skip_past(text: &str, close: char) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            _ if c == close && !quoted => return &text[at + c.len_utf8()..],
            '"' => quoted = !quoted,
            _ => {}
        }
    }
    ""
}
