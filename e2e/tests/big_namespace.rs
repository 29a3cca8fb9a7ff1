//! A namespace of 5,000 Deployments that each fail most checks: its report stays far below the
//! API server's request limit (etcd's 1.5 MiB), says what it left out, and the operator's memory
//! stays bounded.

use palisade_e2e::{
    Operator, apply, create_in_parallel, kubectl_ok, operator_kubeconfig, port, wait_namespace_gone, wait_report,
};
use serde_json::Value;

const NAMESPACE: &str = "e2e-big";
const WORKLOADS: usize = 5000;
/// Far below etcd's default request limit of 1.5 MiB.
const REPORT_LIMIT: usize = 512 * 1024;
/// Peak resident memory allowed to the operator holding these workloads.
const MEMORY_LIMIT_KIB: u64 = 256 * 1024;

/// A Deployment that fails as many checks as one pod template can.
fn insecure(index: usize) -> String {
    format!(
        r#"{{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {{"name": "bad-{index:04}", "namespace": "{NAMESPACE}"}},
  "spec": {{"replicas": 0, "selector": {{"matchLabels": {{"app": "bad-{index:04}"}}}},
    "template": {{"metadata": {{"labels": {{"app": "bad-{index:04}"}}}},
      "spec": {{"hostNetwork": true, "hostPID": true, "hostIPC": true,
        "volumes": [{{"name": "root", "hostPath": {{"path": "/"}}}}, {{"name": "sock", "hostPath": {{"path": "/var/run/docker.sock"}}}}],
        "containers": [{{"name": "app", "image": "registry.example/app:latest",
          "ports": [{{"containerPort": 8080, "hostPort": 8080}}],
          "env": [{{"name": "PASSWORD", "value": "not-a-real-one"}}],
          "volumeMounts": [{{"name": "root", "mountPath": "/host"}}, {{"name": "sock", "mountPath": "/var/run/docker.sock"}}],
          "securityContext": {{"privileged": true, "allowPrivilegeEscalation": true, "runAsUser": 0,
            "capabilities": {{"add": ["SYS_ADMIN", "NET_RAW"]}},
            "seccompProfile": {{"type": "Unconfined"}}}}}}]}}}}}}}}"#
    )
}

fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_namespace_of_five_thousand_failing_workloads_gets_a_bounded_report() {
    let kubeconfig = operator_kubeconfig();
    apply(&format!(
        r#"{{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": "{NAMESPACE}"}}}}"#
    ));
    create_in_parallel(&(0..WORKLOADS).map(insecure).collect::<Vec<_>>());
    let operator = Operator::start(&kubeconfig, "e2e-big", port(95), &[]);
    operator.wait_leading(120);
    let report = wait_report(NAMESPACE, "every workload in the report's counts", |report| {
        counted(report, "pod.privileged") == Some(WORKLOADS as u64)
    });
    let stored = kubectl_ok(&["get", "posturereport", "posture", "-n", NAMESPACE, "-o", "json"]);
    assert!(stored.len() < REPORT_LIMIT, "the report takes {} bytes", stored.len());
    let checks = report["status"]["checks"].as_array().cloned().unwrap_or_default();
    let failing = checks.iter().filter(|check| check["result"] == "Fail").count();
    assert!(failing >= 15, "only {failing} checks fail: {}", report["status"]);
    for check in checks
        .iter()
        .filter(|check| check["count"].as_u64() == Some(WORKLOADS as u64))
    {
        assert_eq!(check["truncated"], true, "{check}");
        let listed = check["resources"].as_array().map_or(0, Vec::len);
        assert!(listed < WORKLOADS, "{} lists {listed} resources", check["id"]);
    }
    let peak = peak_memory_kib(operator.pid());
    eprintln!(
        "{WORKLOADS} failing workloads: report {} bytes, {failing} failing checks, operator peak {} MiB",
        stored.len(),
        peak / 1024
    );
    assert!(peak < MEMORY_LIMIT_KIB, "the operator peaked at {} MiB", peak / 1024);
    // Gone before the next test starts: a namespace being deleted keeps the report of its last
    // evaluation, which the operator no longer updates, and later tests read every report.
    kubectl_ok(&["delete", "namespace", NAMESPACE, "--wait=false"]);
    wait_namespace_gone(NAMESPACE, 300);
}

fn counted(report: &Value, check: &str) -> Option<u64> {
    report["status"]["checks"]
        .as_array()?
        .iter()
        .find(|entry| entry["id"] == check)?["count"]
        .as_u64()
}
