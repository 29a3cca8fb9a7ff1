//! Leader failover under load: two replicas over 5,000 pods in 50 namespaces; the leader is
//! killed (`kill -9`, its lease not released) as soon as it starts writing a change every report
//! must show. The standby leads within the lease's duration and finishes the job, and the API
//! server's audit log (each write with the replica in its User-Agent) shows that no write of the
//! standby came before the dead leader's last.

use std::time::{Duration, Instant};

use palisade_e2e::{
    Operator, apply, create_in_parallel, kubectl_ok, operator_kubeconfig, palisade_writes, port, reports_of_namespaces,
    wait_for, wait_for_default_service_account, written_by,
};
use serde_json::Value;

const NAMESPACES: usize = 50;
const PODS_PER_NAMESPACE: usize = 100;
/// The operator's lease lasts 15 s; the standby looks at it every few seconds.
const TAKEOVER_LIMIT: Duration = Duration::from_secs(25);

fn namespace(index: usize) -> String {
    format!("e2e-failover-{index:02}")
}

fn pod(namespace: &str, index: usize) -> String {
    let privileged = index.is_multiple_of(2);
    format!(
        r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "pod-{index:03}", "namespace": "{namespace}"}},
  "spec": {{"containers": [{{"name": "app", "image": "nginx:1.27", "securityContext": {{"privileged": {privileged}}}}}]}}}}"#
    )
}

/// How many test namespaces' reports satisfy `accept`, read in one request.
fn reports_where(accept: impl Fn(&Value) -> bool) -> usize {
    reports_of_namespaces("e2e-failover-")
        .iter()
        .filter(|report| accept(report))
        .count()
}

fn wait_reports(what: &str, accept: impl Fn(&Value) -> bool) {
    wait_for(180, what, || match reports_where(&accept) {
        NAMESPACES => Ok(()),
        count => Err(format!("{count} of {NAMESPACES}")),
    });
}

/// The (received, completed) timestamps of every write to Palisade's objects by a replica, from
/// the API server's audit log (RFC 3339 in UTC with microseconds: they compare as text).
fn writes_by(replica: &str) -> Vec<(String, String)> {
    palisade_writes()
        .into_iter()
        .filter(|event| written_by(event, replica))
        .map(|event| {
            let text = |field: &str| event[field].as_str().unwrap_or_default().to_string();
            (text("requestReceivedTimestamp"), text("stageTimestamp"))
        })
        .collect()
}

#[test]
fn the_standby_takes_over_a_killed_leader_within_the_lease_and_never_writes_beside_it() {
    let kubeconfig = operator_kubeconfig();
    let namespaces: Vec<String> = (0..NAMESPACES)
        .map(|index| {
            format!(
                r#"{{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": "{}",
                  "labels": {{"palisade.dev/e2e-failover": "yes"}}}}}}"#,
                namespace(index)
            )
        })
        .collect();
    apply(&format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [{}]}}"#,
        namespaces.join(",")
    ));
    for index in 0..NAMESPACES {
        wait_for_default_service_account(&namespace(index));
    }
    let pods: Vec<String> = (0..NAMESPACES)
        .flat_map(|index| (0..PODS_PER_NAMESPACE).map(move |pod_index| pod(&namespace(index), pod_index)))
        .collect();
    create_in_parallel(&pods);

    let leader = Operator::start(&kubeconfig, "e2e-failover-a", port(96), &[]);
    leader.wait_leading(60);
    wait_reports("every namespace's report", |report| {
        report["status"]["checks"].to_string().contains("pod.privileged")
    });
    let standby = Operator::start(&kubeconfig, "e2e-failover-b", port(97), &[]);
    standby.wait_ready(true, 120);
    assert_eq!(standby.metric("palisade_leader "), Some(0.0));

    // A baseline over every namespace: each report must change.
    let writes = |operator: &Operator| operator.metric_sum("palisade_report_writes_total{kind=\"PostureReport\"");
    let before = writes(&leader);
    apply(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-failover\nspec:\n  \
         namespaceSelector:\n    matchLabels:\n      palisade.dev/e2e-failover: \"yes\"\n  profile: baseline\n",
    );
    wait_for(60, "the leader to write the change", || {
        match writes(&leader) > before {
            true => Ok(()),
            false => Err("no write yet".to_string()),
        }
    });
    leader.kill();
    let killed = Instant::now();
    standby.wait_leading(TAKEOVER_LIMIT.as_secs());
    let takeover = killed.elapsed();
    wait_reports("every report governed by the baseline", |report| {
        report["status"]["baseline"] == "e2e-failover"
    });
    eprintln!(
        "{} pods: the standby led {takeover:?} after the leader was killed",
        NAMESPACES * PODS_PER_NAMESPACE
    );

    let first = writes_by("e2e-failover-a");
    let second = writes_by("e2e-failover-b");
    assert!(!first.is_empty() && !second.is_empty(), "both replicas wrote");
    let last_of_first = first.iter().map(|(_, completed)| completed).max().expect("a write");
    let first_of_second = second.iter().map(|(received, _)| received).min().expect("a write");
    assert!(
        last_of_first < first_of_second,
        "the standby wrote at {first_of_second}, before the dead leader's last write ended at {last_of_first}"
    );

    kubectl_ok(&["delete", "hardeningbaseline", "e2e-failover"]);
    for index in 0..NAMESPACES {
        kubectl_ok(&["delete", "namespace", &namespace(index), "--wait=false"]);
    }
}
