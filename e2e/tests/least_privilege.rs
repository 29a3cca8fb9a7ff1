//! Least privilege, tested. The operator runs as a ServiceAccount of its own bound to a copy of
//! the RBAC the chart renders (OpenReports on, so every optional rule too) with one grant removed
//! (one verb on one resource), and the feature that grant serves breaks as [`Breaks`] says: the
//! API server refuses exactly that grant and the operator shows it in its metrics, its readiness,
//! its leadership or the objects it leaves unwritten. With every grant, every feature works. A
//! grant of the chart that names no feature fails the test, and so does one whose removal
//! breaks nothing. docs/rbac.md is the table.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use palisade_e2e::{
    OPERATOR_NAMESPACE, Operator, apply, get_json, helm_template, install_crds, install_openreports_crds, kubectl,
    kubectl_ok, port, service_account_kubeconfig, wait_for,
};
use serde_json::{Value, json};

/// The ServiceAccount the operator runs as here, and the name of its roles and bindings.
const SUBJECT: &str = "palisade-least-privilege";
/// A namespace with a privileged pod and a baseline that makes it drift.
const NAMESPACE: &str = "e2e-least-privilege";
/// A namespace the operator runs with excluded, holding reports it must delete.
const EXCLUDED: &str = "e2e-least-privilege-excluded";
const BASELINE: &str = "e2e-least-privilege";
/// The Lease `Operator::start` elects on, which the chart's Role names for release `palisade`.
const LEASE: &str = "palisade-leader";
const RBAC_API: &str = "rbac.authorization.k8s.io/v1";

/// The metrics port of every run here (one operator at a time).
const PORT_OFFSET: u16 = 70;

/// One verb on one resource, as a rule of the chart's ClusterRole or of its leader-election Role
/// (`in_role`) grants it.
#[derive(Clone, Debug, PartialEq)]
struct Grant {
    in_role: bool,
    group: String,
    resource: String,
    verb: String,
    resource_names: Vec<String>,
}

impl fmt::Display for Grant {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}", self.verb, self.resource)?;
        if !self.group.is_empty() {
            write!(formatter, ".{}", self.group)?;
        }
        match self.resource_names.as_slice() {
            [] => Ok(()),
            names => write!(formatter, " named {}", names.join(",")),
        }
    }
}

impl Grant {
    fn rule(&self) -> Value {
        let mut rule = json!({"apiGroups": [self.group], "resources": [self.resource], "verbs": [self.verb]});
        if !self.resource_names.is_empty() {
            rule["resourceNames"] = json!(self.resource_names);
        }
        rule
    }

    /// How the API server words its refusal of this grant (in errors the operator logs).
    fn refusal(&self) -> String {
        format!(
            "cannot {} resource \"{}\" in API group \"{}\"",
            self.verb, self.resource, self.group
        )
    }

    /// Whether the API server currently authorizes this grant for [`SUBJECT`].
    fn authorized(&self) -> bool {
        let (resource, subresource) = match self.resource.split_once('/') {
            Some((resource, subresource)) => (resource, Some(subresource)),
            None => (self.resource.as_str(), None),
        };
        let mut target = match self.group.as_str() {
            "" => resource.to_string(),
            group => format!("{resource}.{group}"),
        };
        if let Some(name) = self.resource_names.first() {
            target = format!("{target}/{name}");
        }
        let subject = format!("--as=system:serviceaccount:{OPERATOR_NAMESPACE}:{SUBJECT}");
        let mut args = vec!["auth", "can-i", &self.verb, &target, "-n", OPERATOR_NAMESPACE, &subject];
        if let Some(subresource) = subresource {
            args.extend(["--subresource", subresource]);
        }
        kubectl(&args).status.success()
    }
}

/// Every grant of the chart rendered with OpenReports on, rule by rule.
fn chart_grants() -> Vec<Grant> {
    let rendered = helm_template("palisade", OPERATOR_NAMESPACE, &["--set", "openReports.enabled=true"]);
    let documents: Vec<Value> = serde_saphyr::from_multiple(&rendered).expect("the chart renders YAML");
    let rules_of = |kind: &str| {
        let document = documents.iter().find(|document| document["kind"] == kind);
        document.unwrap_or_else(|| panic!("the chart renders a {kind}"))["rules"].clone()
    };
    let mut grants = expand(&rules_of("ClusterRole"), false);
    grants.extend(expand(&rules_of("Role"), true));
    grants
}

fn expand(rules: &Value, in_role: bool) -> Vec<Grant> {
    let strings = |value: &Value| -> Vec<String> {
        let items = value.as_array().into_iter().flatten();
        items.filter_map(|item| Some(item.as_str()?.to_string())).collect()
    };
    let mut grants = Vec::new();
    for rule in rules.as_array().expect("rules") {
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                for verb in strings(&rule["verbs"]) {
                    grants.push(Grant {
                        in_role,
                        group: group.clone(),
                        resource: resource.clone(),
                        verb,
                        resource_names: strings(&rule["resourceNames"]),
                    });
                }
            }
        }
    }
    grants
}

/// What stops working without a grant, as the test observes it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Breaks {
    /// The watch is refused: the caches never sync, so the operator is never ready and writes
    /// nothing.
    Sync,
    /// The new leader cannot read back the reports on the server, so it writes nothing.
    ReadBack,
    /// Writes of this kind are refused: `palisade_report_writes_total{result="forbidden"}`.
    Writes(&'static str),
    /// The OpenReports of this kind are not read back, so a restart rewrites the unchanged ones.
    Rewrites(&'static str),
    /// A drift transition publishes no Event.
    Events,
    /// A drift transition that repeats within minutes is not counted in its first Event's series.
    EventSeries,
    /// Leader election cannot set up its Lease: the operator exits as it starts.
    Start,
    /// The Lease cannot be taken: the operator never leads, so it writes nothing.
    Lead,
}

/// The feature each grant serves. `None`: a grant no feature needs.
fn breaks(grant: &Grant) -> Option<Breaks> {
    let breaks = match (grant.group.as_str(), grant.resource.as_str(), grant.verb.as_str()) {
        (_, _, "watch") => Breaks::Sync,
        ("palisade.dev", "posturereports", "list") | ("palisade.dev", "clusterposturereports", "get") => {
            Breaks::ReadBack
        }
        ("palisade.dev", "posturereports" | "posturereports/status", "create" | "patch" | "delete") => {
            Breaks::Writes("PostureReport")
        }
        ("palisade.dev", "clusterposturereports" | "clusterposturereports/status", "create" | "patch") => {
            Breaks::Writes("ClusterPostureReport")
        }
        ("palisade.dev", "hardeningbaselines/status", "patch") => Breaks::Writes("HardeningBaseline"),
        ("openreports.io", "reports", "list") => Breaks::Rewrites("Report"),
        ("openreports.io", "clusterreports", "get") => Breaks::Rewrites("ClusterReport"),
        ("openreports.io", "reports", "create" | "patch" | "delete") => Breaks::Writes("Report"),
        ("openreports.io", "clusterreports", "create" | "patch") => Breaks::Writes("ClusterReport"),
        ("events.k8s.io", "events", "create") => Breaks::Events,
        ("events.k8s.io", "events", "patch") => Breaks::EventSeries,
        ("coordination.k8s.io", "leases", "create" | "get") => Breaks::Start,
        ("coordination.k8s.io", "leases", "patch") => Breaks::Lead,
        _ => return None,
    };
    Some(breaks)
}

/// What the cluster holds before a run.
#[derive(Clone, Copy, PartialEq)]
enum Before {
    /// What complete runs of the operator left: a restart rewrites no OpenReports.
    Settled,
    /// Everything the operator creates is gone (its reports, Events, the Lease, the baseline's
    /// status), and the excluded namespace holds reports to delete: every write happens.
    Fresh,
}

impl Breaks {
    fn before(self) -> Before {
        match self {
            Breaks::Rewrites(_) => Before::Settled,
            _ => Before::Fresh,
        }
    }

    /// Makes the operator use the grant, then checks that the API server refused it and that
    /// the feature broke.
    fn observe(self, operator: &mut Operator, grant: &Grant) {
        if self == Breaks::EventSeries {
            drift_away_and_back();
        }
        // What the operator retries (a watch, reading back) is refused twice: by the retry, a
        // run with every grant would long have synced and written.
        let refusals = match self {
            Breaks::Sync | Breaks::ReadBack => 2,
            _ => 1,
        };
        let refusal = grant.refusal();
        wait_for(30, &format!("the operator to log the refusal of {grant}"), || {
            match log(operator).lines().filter(|line| line.contains(&refusal)).count() >= refusals {
                true => Ok(()),
                false => Err(tail(operator)),
            }
        });
        match self {
            Breaks::Sync => {
                assert!(!operator.ready(), "ready without the grant to {grant}");
                assert_wrote_nothing(operator, grant);
            }
            Breaks::ReadBack => {
                assert!(
                    log(operator).contains("reading back reports failed"),
                    "{}",
                    tail(operator)
                );
                assert_wrote_nothing(operator, grant);
            }
            Breaks::Writes(kind) => {
                wait_for(
                    30,
                    &format!("a forbidden {kind} write without {grant}"),
                    || match writes(operator, kind, "forbidden") {
                        0.0 => Err(operator.metrics()),
                        _ => Ok(()),
                    },
                );
            }
            Breaks::Rewrites(kind) => {
                wait_for(
                    30,
                    &format!("unchanged {kind}s rewritten without {grant}"),
                    || match writes(operator, kind, "applied") {
                        0.0 => Err(operator.metrics()),
                        _ => Ok(()),
                    },
                );
            }
            Breaks::Events => assert_eq!(drifted_event(), None, "an Event published without {grant}"),
            Breaks::EventSeries => {
                let event = drifted_event().expect("the first Drifted Event");
                assert_eq!(event["series"], Value::Null, "the repeat counted without {grant}");
            }
            Breaks::Start => {
                wait_for(30, "the operator to exit", || match operator.running() {
                    true => Err(tail(operator)),
                    false => Ok(()),
                });
                assert!(
                    log(operator).contains("error: setting up leader election"),
                    "{}",
                    tail(operator)
                );
            }
            Breaks::Lead => {
                wait_for(30, "the operator to be ready", || match operator.ready() {
                    true => Ok(()),
                    false => Err(tail(operator)),
                });
                assert_eq!(
                    operator.metric("palisade_leader "),
                    Some(0.0),
                    "leading without {grant}"
                );
                assert_wrote_nothing(operator, grant);
            }
        }
    }
}

/// The operator's log, with JSON's escaped quotes unescaped (errors quote resource names).
fn log(operator: &Operator) -> String {
    operator.log_text().replace("\\\"", "\"")
}

fn tail(operator: &Operator) -> String {
    let log = log(operator);
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// How many writes of this kind had this result.
fn writes(operator: &Operator, kind: &str, result: &str) -> f64 {
    let series = format!("palisade_report_writes_total{{kind=\"{kind}\",result=\"{result}\"}}");
    operator.metric(&series).unwrap_or(0.0)
}

fn assert_wrote_nothing(operator: &Operator, grant: &Grant) {
    let metrics = operator.metrics();
    assert!(
        !metrics.contains("palisade_report_writes_total"),
        "wrote without {grant}:\n{metrics}"
    );
}

/// The binding of [`SUBJECT`] to these grants, and to nothing else.
fn bind(grants: &[Grant]) {
    let rules = |in_role: bool| -> Vec<Value> {
        let granted = grants.iter().filter(|grant| grant.in_role == in_role);
        granted.map(Grant::rule).collect()
    };
    let metadata = json!({"name": SUBJECT, "namespace": OPERATOR_NAMESPACE});
    let subjects = json!([{"kind": "ServiceAccount", "name": SUBJECT, "namespace": OPERATOR_NAMESPACE}]);
    let role_ref = |kind: &str| json!({"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": SUBJECT});
    apply_all(json!([
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata},
        {"apiVersion": RBAC_API, "kind": "ClusterRole", "metadata": {"name": SUBJECT}, "rules": rules(false)},
        {"apiVersion": RBAC_API, "kind": "ClusterRoleBinding", "metadata": {"name": SUBJECT},
            "roleRef": role_ref("ClusterRole"), "subjects": subjects},
        {"apiVersion": RBAC_API, "kind": "Role", "metadata": metadata, "rules": rules(true)},
        {"apiVersion": RBAC_API, "kind": "RoleBinding", "metadata": metadata,
            "roleRef": role_ref("Role"), "subjects": subjects},
    ]));
}

fn apply_all(objects: Value) {
    apply(&json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string());
}

fn privileged_pod() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root", "namespace": NAMESPACE},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": {"privileged": true}}]}})
}

/// The namespaces, the baseline and the CRDs, once; removed again when dropped.
struct Scene;

impl Scene {
    fn set_up() -> Scene {
        install_crds("charts/palisade/crds/");
        install_openreports_crds();
        let _ = kubectl(&["create", "namespace", OPERATOR_NAMESPACE]);
        // Namespaces that other tests (or an earlier run of this one) deleted change what the
        // operator writes while they go, which would unsettle what a restart finds.
        wait_for(120, "no namespace to be terminating", || {
            let namespaces = get_json(&["namespaces"]).ok_or("no namespaces")?;
            let terminating: Vec<&str> = namespaces["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|namespace| namespace["status"]["phase"] == "Terminating")
                .filter_map(|namespace| namespace["metadata"]["name"].as_str())
                .collect();
            match terminating.is_empty() {
                true => Ok(()),
                false => Err(terminating.join(", ")),
            }
        });
        for namespace in [NAMESPACE, EXCLUDED] {
            apply(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels:\n    \
                 palisade.dev/e2e-tier: least-privilege\n"
            ));
            palisade_e2e::wait_for_default_service_account(namespace);
        }
        Scene
    }

    /// Deletes what the operator creates and stores what it must delete, so that a run makes
    /// every write the chart grants.
    fn freshen(&self) {
        kubectl_ok(&[
            "delete",
            "-n",
            NAMESPACE,
            "posturereports.palisade.dev/posture",
            "reports.openreports.io/palisade",
            "clusterposturereports.palisade.dev/cluster",
            "clusterreports.openreports.io/palisade",
            &format!("hardeningbaselines.palisade.dev/{BASELINE}"),
            "--ignore-not-found",
        ]);
        kubectl_ok(&["delete", "events.events.k8s.io", "--all", "-n", NAMESPACE]);
        kubectl_ok(&["delete", "lease", LEASE, "-n", OPERATOR_NAMESPACE, "--ignore-not-found"]);
        let baseline = json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline",
            "metadata": {"name": BASELINE},
            "spec": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}},
                "profile": "baseline", "checks": [{"id": "ns.pod-security-label", "mode": "Advisory"}]}});
        let stored_report = json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "PostureReport",
            "metadata": {"name": "posture", "namespace": EXCLUDED}, "spec": {}});
        let stored_open_report = json!({"apiVersion": "openreports.io/v1alpha1", "kind": "Report",
            "metadata": {"name": "palisade", "namespace": EXCLUDED,
                "labels": {"app.kubernetes.io/managed-by": "palisade"},
                "annotations": {"palisade.dev/openreports-digest": "stale"}}});
        apply_all(json!([baseline, privileged_pod(), stored_report, stored_open_report]));
        // The operator reads back (and so deletes) only a report with a status.
        kubectl_ok(&[
            "patch",
            "posturereports.palisade.dev/posture",
            "-n",
            EXCLUDED,
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status": {"score": 100}}"#,
        ]);
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let rbac = ["clusterrole", "clusterrolebinding"].map(|kind| format!("{kind}/{SUBJECT}"));
        let _ = kubectl(&["delete", &rbac[0], &rbac[1], "--ignore-not-found"]);
        let namespaced = ["serviceaccount", "role", "rolebinding"].map(|kind| format!("{kind}/{SUBJECT}"));
        let _ = kubectl(&[
            "delete",
            "-n",
            OPERATOR_NAMESPACE,
            &namespaced[0],
            &namespaced[1],
            &namespaced[2],
            "--ignore-not-found",
        ]);
        let _ = kubectl(&[
            "delete",
            &format!("hardeningbaselines.palisade.dev/{BASELINE}"),
            "--ignore-not-found",
        ]);
        let _ = kubectl(&["delete", "namespace", NAMESPACE, EXCLUDED, "--wait=false"]);
    }
}

/// The namespace's Drifted Event about its report, if published.
fn drifted_event() -> Option<Value> {
    event("Drifted")
}

fn event(reason: &str) -> Option<Value> {
    let events = get_json(&["events.events.k8s.io", "-n", NAMESPACE])?;
    let items = events["items"].as_array()?;
    items
        .iter()
        .find(|event| event["reason"] == reason && event["regarding"]["name"] == "posture")
        .cloned()
}

fn wait_event(reason: &str) -> Value {
    wait_for(30, &format!("a {reason} Event"), || {
        event(reason).ok_or_else(|| "none".to_string())
    })
}

/// Fixes the namespace's drift and brings it back: the second Drifted Event of its report
/// repeats the first.
fn drift_away_and_back() {
    wait_event("Drifted");
    kubectl_ok(&["delete", "pod", "root", "-n", NAMESPACE, "--wait=true"]);
    wait_event("InSync");
    apply(&privileged_pod().to_string());
}

fn wait_object(what: &str, args: &[&str], accept: impl Fn(&Value) -> bool) -> Value {
    wait_for(30, what, || match get_json(args) {
        Some(object) if accept(&object) => Ok(object),
        other => Err(other.map_or_else(|| "absent".to_string(), |object| object["status"].to_string())),
    })
}

fn wait_absent(what: &str, args: &[&str]) {
    wait_for(30, what, || match get_json(args) {
        None => Ok(()),
        Some(_) => Err("still there".to_string()),
    });
}

/// Every feature a grant serves works: the reports, the baseline's status, deletions, the
/// OpenReports, Events and their series, restoring a deleted report, leadership.
fn every_feature_works(operator: &Operator, identity: &str) {
    operator.wait_leading(30);
    let report = ["posturereport", "posture", "-n", NAMESPACE];
    wait_object("the namespace's report, drifted", &report, |report| {
        report["status"]["drift"]["state"] == "Drifted"
    });
    wait_object("the cluster report", &["clusterposturereport", "cluster"], |report| {
        report["status"]["score"].is_number()
    });
    wait_object("the baseline's status", &["hardeningbaseline", BASELINE], |baseline| {
        baseline["status"]["drifted"] == json!([NAMESPACE])
    });
    wait_absent(
        "the excluded namespace's report to be deleted",
        &["posturereport", "posture", "-n", EXCLUDED],
    );
    wait_absent(
        "the excluded namespace's Report to be deleted",
        &["reports.openreports.io", "palisade", "-n", EXCLUDED],
    );
    wait_object(
        "the namespace's Report",
        &["reports.openreports.io", "palisade", "-n", NAMESPACE],
        |report| report["summary"]["fail"].as_u64() > Some(0),
    );
    wait_object(
        "the ClusterReport",
        &["clusterreports.openreports.io", "palisade"],
        |_| true,
    );
    drift_away_and_back();
    wait_for(
        30,
        "the repeated Drifted Event counted in the first one's series",
        || {
            let event = drifted_event().ok_or("no Drifted Event")?;
            match event["series"]["count"].as_u64() {
                Some(2) => Ok(()),
                _ => Err(event.to_string()),
            }
        },
    );
    kubectl_ok(&["delete", "posturereport", "posture", "-n", NAMESPACE]);
    wait_object("the deleted report to be written again", &report, |report| {
        report["status"]["drift"]["state"] == "Drifted"
    });
    let lease = get_json(&["lease", LEASE, "-n", OPERATOR_NAMESPACE]).expect("the Lease");
    assert_eq!(lease["spec"]["holderIdentity"], identity);
    assert!(operator.ready());
    assert!(!log(operator).contains("forbidden"), "{}", log(operator));
}

/// Starts the operator and waits until, leading, it has read back the reports and written what
/// differed from them.
fn start_caught_up(kubeconfig: &Path, identity: &str, flags: &[&str]) -> Operator {
    let operator = Operator::start(kubeconfig, identity, port(PORT_OFFSET), flags);
    operator.wait_leading(30);
    wait_for(30, "the operator to read back and evaluate", || {
        let evaluated = log(&operator).contains("read back existing reports")
            && operator.metric("palisade_pending_namespaces ") == Some(0.0);
        match evaluated {
            true => Ok(()),
            false => Err(tail(&operator)),
        }
    });
    operator
}

#[test]
fn each_grant_of_the_chart_serves_a_feature_that_breaks_without_it() {
    let started = Instant::now();
    let scene = Scene::set_up();
    let grants = chart_grants();
    let mut cases: Vec<(Grant, Breaks)> = grants
        .iter()
        .map(|grant| {
            let breaks = breaks(grant).unwrap_or_else(|| panic!("the chart grants {grant}, which no feature needs"));
            (grant.clone(), breaks)
        })
        .collect();
    // Those that need a settled cluster run right after the runs that settle it.
    cases.sort_by_key(|(_, breaks)| breaks.before() != Before::Settled);
    bind(&grants);
    let kubeconfig = service_account_kubeconfig(OPERATOR_NAMESPACE, SUBJECT);
    let flags = ["--openreports", "--exclude-namespaces", EXCLUDED];

    scene.freshen();
    let operator = Operator::start(&kubeconfig, "lp-every-grant", port(PORT_OFFSET), &flags);
    every_feature_works(&operator, "lp-every-grant");
    operator.stop();
    // A restart writes what the stop interrupted (a debounced write, say); the next one rewrites
    // no OpenReports, which is what a restart without reading them back would do.
    start_caught_up(&kubeconfig, "lp-catch-up", &flags).stop();
    let operator = start_caught_up(&kubeconfig, "lp-restart", &flags);
    for kind in ["Report", "ClusterReport"] {
        let rewritten = writes(&operator, kind, "applied");
        assert_eq!(
            rewritten,
            0.0,
            "a settled restart rewrote {kind}s:\n{}",
            operator.metrics()
        );
    }
    operator.stop();

    // The grant the previous run went without, which must be back.
    let mut previously_removed: Option<&Grant> = None;
    let mut observed = Vec::new();
    for (removed, breaks) in &cases {
        let case_started = Instant::now();
        let without: Vec<Grant> = grants.iter().filter(|grant| *grant != removed).cloned().collect();
        bind(&without);
        wait_for(10, &format!("RBAC to refuse {removed} only"), || {
            match (removed.authorized(), previously_removed.is_none_or(Grant::authorized)) {
                (false, true) => Ok(()),
                state => Err(format!("{state:?}")),
            }
        });
        previously_removed = Some(removed);
        if breaks.before() == Before::Fresh {
            scene.freshen();
        }
        let identity = format!("lp-{}-{}", removed.verb, removed.resource.replace('/', "-"));
        let mut operator = Operator::start(&kubeconfig, &identity, port(PORT_OFFSET), &flags);
        breaks.observe(&mut operator, removed);
        if operator.running() {
            operator.stop();
        }
        observed.push(format!(
            "{removed}: {breaks:?} ({} ms)",
            case_started.elapsed().as_millis()
        ));
    }
    eprintln!(
        "{} grants, each needed ({} s):\n{}",
        cases.len(),
        started.elapsed().as_secs(),
        observed.join("\n")
    );
}
