//! Faults while the operator runs, on the control plane `e2e/run.sh` started: the API server
//! stopped and started with etcd's history compacted, etcd restarted, the API server frozen for
//! longer than a request may take, and the operator killed in the middle of its writes. Each
//! fault is undone when its test ends, passed or not (see `Outage`). Tests run one at a time:
//! each takes a component down, and two operators of one cluster would fight over the reports.

use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use palisade_e2e::{
    Operator, Outage, apply, control_plane, deployment, failing, kubectl_fed, kubectl_ok, operator_kubeconfig, port,
    report, reports_of_namespaces, wait_for, wait_report,
};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn namespace(name: &str, labels: &str) {
    apply(&format!(
        r#"{{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": "{name}", "labels": {{{labels}}}}}}}"#
    ));
}

fn signal(operator: &Operator, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &operator.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} failed");
}

/// The listed resources of a check's entry, `firstSeen` included.
fn resources(report: &Value, check: &str) -> Value {
    report["status"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| entry["id"] == check)
        .map_or(Value::Null, |entry| entry["resources"].clone())
}

#[test]
fn an_api_server_restart_with_expired_watches_loses_and_repeats_nothing() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-fault-keep", "");
    namespace("e2e-fault-churn", "");
    apply(&deployment("e2e-fault-keep", "web", 0, true, "1"));
    apply(&deployment("e2e-fault-churn", "old", 0, true, "1"));
    let mut operator = Operator::start(&kubeconfig, "e2e-fault-restart", port(80), &[]);
    operator.wait_leading(60);
    let kept = wait_report("e2e-fault-keep", "web reported", |report| {
        failing(report, "pod.privileged") == ["Deployment/web"]
    });
    wait_report("e2e-fault-churn", "old reported", |report| {
        failing(report, "pod.privileged") == ["Deployment/old"]
    });
    operator.wait_ready(true, 30);

    // Frozen, the operator misses changes that only a relist can tell it: when it wakes, the API
    // server is down, and when that is back, etcd's compacted history makes the watches'
    // resourceVersions too old (410 Gone).
    signal(&operator, "STOP");
    kubectl_ok(&["delete", "deployment", "old", "-n", "e2e-fault-churn"]);
    apply(&deployment("e2e-fault-churn", "new", 0, true, "1"));
    namespace("e2e-fault-late", "");
    apply(&deployment("e2e-fault-late", "late", 0, true, "1"));
    control_plane(&["compact"]);
    let outage = Outage::stop("kube-apiserver");
    signal(&operator, "CONT");
    operator.wait_ready(false, 20);
    assert!(operator.running(), "the operator exited during the outage");
    outage.end();
    operator.wait_ready(true, 60);

    wait_report("e2e-fault-churn", "the deleted and the new deployment", |report| {
        failing(report, "pod.privileged") == ["Deployment/new"]
    });
    wait_report("e2e-fault-late", "the namespace created meanwhile", |report| {
        failing(report, "pod.privileged") == ["Deployment/late"]
    });
    let after = report("e2e-fault-keep").expect("the report stays");
    assert_eq!(
        after["status"]["checks"], kept["status"]["checks"],
        "an unchanged namespace's report changed across the outage"
    );
    assert!(operator.running(), "the operator exited");
    let log = operator.log_text();
    assert!(
        log.contains("410") || log.contains("too old resource version"),
        "no watch resumed through 410 Gone; log:\n{log}"
    );
    assert!(operator.metric_sum("palisade_watch_errors_total{") > 0.0);
    assert!(operator.metric_sum("palisade_api_responses_total{method=\"GET\",code=\"error\"}") > 0.0);
    for namespace in ["e2e-fault-keep", "e2e-fault-churn", "e2e-fault-late"] {
        kubectl_ok(&["delete", "namespace", namespace, "--wait=false"]);
    }
}

#[test]
fn etcd_restarts_and_a_frozen_api_server_are_outages_the_operator_rides_out() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    namespace("e2e-fault-stall", "");
    apply(&deployment("e2e-fault-stall", "web", 0, false, "1"));
    let mut operator = Operator::start(&kubeconfig, "e2e-fault-stall", port(81), &[]);
    operator.wait_leading(60);
    wait_report("e2e-fault-stall", "a report", |report| {
        failing(report, "pod.privileged").is_empty() && report["status"]["lastEvaluated"].is_string()
    });
    operator.wait_ready(true, 30);

    let outage = Outage::stop("etcd");
    operator.wait_ready(false, 20);
    outage.end();
    operator.wait_ready(true, 60);
    apply(&deployment("e2e-fault-stall", "web", 0, true, "2"));
    wait_report("e2e-fault-stall", "a change after etcd's restart", |report| {
        failing(report, "pod.privileged") == ["Deployment/web"]
    });

    // The change reaches the frozen operator's socket before the API server freezes; the
    // operator then writes to a server that accepts connections and answers nothing, for longer
    // than a request may wait (30 s).
    signal(&operator, "STOP");
    apply(&deployment("e2e-fault-stall", "web", 0, false, "3"));
    std::thread::sleep(Duration::from_secs(1));
    let outage = Outage::pause("kube-apiserver");
    signal(&operator, "CONT");
    operator.wait_ready(false, 20);
    // Writes are made one at a time and each gives up after 30 s: a cluster report write already
    // due when the server froze may go first, so the namespace's write has given up within 60 s.
    wait_for(75, "a report write to give up on the frozen server", || {
        let timed_out = operator.metric_sum("palisade_report_writes_total{kind=\"PostureReport\",result=\"error\"}");
        match timed_out >= 1.0 {
            true => Ok(()),
            false => Err(operator.metrics()),
        }
    });
    assert!(
        operator.running(),
        "the operator exited while the API server was frozen"
    );
    outage.end();
    operator.wait_ready(true, 60);
    wait_report("e2e-fault-stall", "the change made before the freeze", |report| {
        failing(report, "pod.privileged").is_empty()
    });
    kubectl_ok(&["delete", "namespace", "e2e-fault-stall", "--wait=false"]);
}

const KILLED_NAMESPACES: usize = 60;

fn killed_namespace(index: usize) -> String {
    format!("e2e-kill-{index:02}")
}

/// Every test namespace's Deployment `web`, privileged, and with the host's network when `host`.
fn killed_workloads(host: bool) -> String {
    let items: Vec<String> = (0..KILLED_NAMESPACES)
        .map(|index| {
            let namespace = killed_namespace(index);
            let mut web: Value = serde_json::from_str(&deployment(&namespace, "web", 0, true, "1")).expect("JSON");
            web["spec"]["template"]["spec"]["hostNetwork"] = Value::Bool(host);
            web.to_string()
        })
        .collect();
    format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [{}]}}"#,
        items.join(",")
    )
}

/// Per namespace: the resources (with firstSeen) of pod.privileged and the drift's `since`.
fn memory_of(reports: &[Value]) -> Vec<(Value, Value)> {
    reports
        .iter()
        .map(|report| {
            (
                resources(report, "pod.privileged"),
                report["status"]["drift"]["since"].clone(),
            )
        })
        .collect()
}

/// Every test namespace's report once each satisfies `accept`.
fn killed_reports(what: &str, accept: impl Fn(&Value) -> bool) -> Vec<Value> {
    wait_for(90, what, || {
        let reports = reports_of_namespaces("e2e-kill-");
        match reports.iter().filter(|report| accept(report)).count() {
            KILLED_NAMESPACES => Ok(reports),
            count => Err(format!("{count} of {KILLED_NAMESPACES}")),
        }
    })
}

fn host_namespaces_fail(report: &Value) -> bool {
    failing(report, "pod.host-namespaces") == ["Deployment/web"]
}

#[test]
fn an_operator_killed_mid_write_leaves_nothing_stale_after_its_restart() {
    let _serial = serial();
    let kubeconfig = operator_kubeconfig();
    apply(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-kill\nspec:\n  \
         namespaceSelector:\n    matchLabels:\n      palisade.dev/e2e-kill: \"yes\"\n  profile: baseline\n  \
         checks:\n  - id: ns.pod-security-label\n    mode: Advisory\n",
    );
    for index in 0..KILLED_NAMESPACES {
        namespace(&killed_namespace(index), r#""palisade.dev/e2e-kill": "yes""#);
    }
    apply(&killed_workloads(false));
    let first = Operator::start(&kubeconfig, "e2e-kill", port(82), &[]);
    first.wait_leading(60);
    let before = killed_reports("every namespace drifted on pod.privileged", |report| {
        failing(report, "pod.privileged") == ["Deployment/web"] && report["status"]["drift"]["state"] == "Drifted"
    });

    // Every namespace changes; the operator dies as soon as its first writes of the change land.
    let written = first.metric_sum("palisade_report_writes_total{kind=\"PostureReport\"");
    let mut change = kubectl_fed(&["apply", "--server-side", "-f", "-"], &killed_workloads(true));
    wait_for(60, "the operator to write the change", || {
        match first.metric_sum("palisade_report_writes_total{kind=\"PostureReport\"") > written {
            true => Ok(()),
            false => Err("no write yet".to_string()),
        }
    });
    first.kill();
    assert!(
        change.wait().expect("kubectl ends").success(),
        "applying the change failed"
    );
    let stale = reports_of_namespaces("e2e-kill-")
        .iter()
        .filter(|report| !host_namespaces_fail(report))
        .count();
    assert!(
        stale > 0,
        "the operator wrote every report before it was killed; the test proves nothing"
    );

    // The same identity, as when the container restarts in its pod: the lease it held is its own.
    let second = Operator::start(&kubeconfig, "e2e-kill", port(83), &[]);
    second.wait_ready(true, 60);
    let restarted = Instant::now();
    let after = killed_reports("every namespace to report the host network", |report| {
        host_namespaces_fail(report) && report["status"]["checks"].is_array()
    });
    let caught_up = restarted.elapsed();
    assert!(
        caught_up < Duration::from_secs(5),
        "{stale} stale reports took {caught_up:?} after the restart to be written"
    );
    assert_eq!(
        memory_of(&after),
        memory_of(&before),
        "firstSeen or the drift's since changed across the kill"
    );
    for index in 0..KILLED_NAMESPACES {
        kubectl_ok(&["delete", "namespace", &killed_namespace(index), "--wait=false"]);
    }
    kubectl_ok(&["delete", "hardeningbaseline", "e2e-kill"]);
}
