//! OpenReports output against the local control plane: with the OpenReports CRDs installed
//! (from the `github.com/openreports/reports-api` Go module), the operator writes no Report
//! without `--openreports`; with it (and the RBAC `openReports.enabled` renders) it writes a
//! Report per namespace listing exactly the failing (check, resource) pairs of the PostureReport,
//! and a ClusterReport, and a fixed finding leaves the Report.

use palisade_e2e::{
    Operator, apply, get_json, install_openreports_crds, kubectl, kubectl_ok, leave_orphan, operator_kubeconfig,
    operator_kubeconfig_with, port, wait_for,
};
use serde_json::Value;

const NAMESPACE: &str = "e2e-openreports";

fn pod(name: &str, privileged: bool) -> String {
    format!(
        r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{name}", "namespace": "{NAMESPACE}"}},
  "spec": {{"containers": [{{"name": "app", "image": "nginx:1.27", "securityContext": {{"privileged": {privileged}}}}}]}}}}"#
    )
}

fn open_report() -> Option<Value> {
    get_json(&["reports.openreports.io", "palisade", "-n", NAMESPACE])
}

fn results(report: &Value) -> Vec<Value> {
    report["results"].as_array().cloned().unwrap_or_default()
}

/// The PostureReport's failing (check, resource) pairs, with the check's severity.
fn posture_failures(posture: &Value) -> Vec<(String, String, String)> {
    let mut pairs: Vec<(String, String, String)> = posture["status"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|check| check["result"] == "Fail")
        .flat_map(|check| {
            let resources = check["resources"].as_array().cloned().unwrap_or_default();
            resources.into_iter().map(move |resource| {
                (
                    check["id"].as_str().unwrap_or("").to_string(),
                    resource["name"].as_str().unwrap_or("").to_string(),
                    check["severity"].as_str().unwrap_or("").to_string(),
                )
            })
        })
        .collect();
    pairs.sort();
    pairs
}

fn report_failures(report: &Value) -> Vec<(String, String, String)> {
    let mut pairs: Vec<(String, String, String)> = results(report)
        .iter()
        .map(|result| {
            (
                result["policy"].as_str().unwrap_or("").to_string(),
                result["resources"][0]["name"].as_str().unwrap_or("").to_string(),
                result["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn has_privileged(report: &Value) -> bool {
    results(report)
        .iter()
        .any(|result| result["policy"] == "pod.privileged" && result["resources"][0]["name"] == "root")
}

#[test]
fn reports_follow_posture_only_with_the_flag() {
    install_openreports_crds();
    let _ = kubectl(&[
        "delete",
        "reports.openreports.io",
        "palisade",
        "-n",
        NAMESPACE,
        "--ignore-not-found",
    ]);
    let _ = kubectl(&[
        "delete",
        "clusterreports.openreports.io",
        "palisade",
        "--ignore-not-found",
    ]);
    let kubeconfig = operator_kubeconfig();
    apply(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n  labels:\n    palisade.dev/e2e-tier: openreports\n"
    ));
    palisade_e2e::wait_for_default_service_account(NAMESPACE);
    apply(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-openreports\nspec:\n  \
         namespaceSelector:\n    matchLabels:\n      palisade.dev/e2e-tier: openreports\n  profile: baseline\n  \
         checks:\n  - id: ns.pod-security-label\n    mode: Advisory\n",
    );
    let _ = kubectl(&[
        "delete",
        "pod",
        "root",
        "-n",
        NAMESPACE,
        "--ignore-not-found",
        "--wait=true",
    ]);
    apply(&pod("root", true));

    // Without the flag: the PostureReport is written, no Report or ClusterReport is.
    let operator = Operator::start(&kubeconfig, "e2e-or-off", port(40), &[]);
    operator.wait_leading(60);
    wait_for(60, "the PostureReport to list the privileged pod", || {
        let posture = get_json(&["posturereport", "posture", "-n", NAMESPACE]).ok_or("no report")?;
        let failures = posture_failures(&posture);
        if failures
            .iter()
            .any(|(check, name, _)| check == "pod.privileged" && name == "root")
        {
            Ok(())
        } else {
            Err(format!("{failures:?}"))
        }
    });
    wait_for(30, "the cluster report", || {
        get_json(&["clusterposturereport", "cluster"]).ok_or("none".to_string())
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(open_report().is_none(), "no Report without --openreports");
    assert!(get_json(&["clusterreports.openreports.io", "palisade"]).is_none());
    assert!(operator.stop().success());

    // With the flag and the RBAC the chart renders for it.
    let kubeconfig = operator_kubeconfig_with(&["--set", "openReports.enabled=true"]);
    let operator = Operator::start(&kubeconfig, "e2e-or-on", port(41), &["--openreports"]);
    operator.wait_leading(60);
    let report = wait_for(60, "the Report to list the privileged pod", || {
        let report = open_report().ok_or("no Report")?;
        if has_privileged(&report) {
            Ok(report)
        } else {
            Err(report.to_string())
        }
    });
    let posture = get_json(&["posturereport", "posture", "-n", NAMESPACE]).expect("a PostureReport");
    assert_eq!(
        report_failures(&report),
        posture_failures(&posture),
        "the Report lists exactly the PostureReport's failing pairs, with their severities"
    );
    let privileged = results(&report)
        .into_iter()
        .find(|result| result["policy"] == "pod.privileged")
        .expect("listed");
    assert_eq!(privileged["result"], "fail");
    assert_eq!(privileged["rule"], "pod.privileged");
    assert_eq!(privileged["category"], "runtime");
    assert_eq!(privileged["properties"]["mode"], "Required");
    assert_eq!(privileged["resources"][0]["kind"], "Pod");
    assert_eq!(privileged["resources"][0]["namespace"], NAMESPACE);
    assert!(
        ["critical", "high"].contains(&privileged["severity"].as_str().unwrap_or("")),
        "{privileged}"
    );
    assert!(!privileged["message"].as_str().unwrap_or("").is_empty());
    assert_eq!(report["source"], "palisade");
    assert_eq!(report["metadata"]["labels"]["app.kubernetes.io/managed-by"], "palisade");
    assert_eq!(report["summary"]["fail"], results(&report).len());
    let cluster = wait_for(30, "the ClusterReport", || {
        get_json(&["clusterreports.openreports.io", "palisade"]).ok_or("none".to_string())
    });
    assert_eq!(cluster["source"], "palisade");
    assert_eq!(cluster["summary"]["fail"], results(&cluster).len());

    // Fixing the pod takes its result out of the Report.
    kubectl_ok(&["delete", "pod", "root", "-n", NAMESPACE, "--wait=true"]);
    apply(&pod("root", false));
    wait_for(60, "the privileged result to leave the Report", || {
        let report = open_report().ok_or("no Report")?;
        if has_privileged(&report) {
            Err(report.to_string())
        } else {
            Ok(report)
        }
    });
    // The old pod's deletion and the new pod may be written apart: compare what it settles on.
    operator.wait_settled(60, 3);
    let fixed = open_report().expect("a Report");
    assert_eq!(fixed["summary"]["fail"], results(&fixed).len());
    let posture = get_json(&["posturereport", "posture", "-n", NAMESPACE]).expect("a PostureReport");
    assert_eq!(report_failures(&fixed), posture_failures(&posture));
    assert!(operator.stop().success());

    // A restart reads the reports' digests back and rewrites nothing unchanged. Reports left
    // behind in a namespace that is gone are deleted: the Report beside the PostureReport.
    let gone = "e2e-openreports-gone";
    leave_orphan("palisade.dev/posturereports", gone, &posture);
    leave_orphan("openreports.io/reports", gone, &fixed);
    let operator = Operator::start(&kubeconfig, "e2e-or-again", port(42), &["--openreports"]);
    operator.wait_leading(60);
    wait_for(30, "the reports left behind to be deleted", || {
        let left: Vec<&str> = [("posturereport", "posture"), ("reports.openreports.io", "palisade")]
            .into_iter()
            .filter(|(kind, name)| get_json(&[kind, name, "-n", gone]).is_some())
            .map(|(kind, _)| kind)
            .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("{left:?}"))
        }
    });
    wait_for(30, "the restarted operator to evaluate", || {
        let metrics = operator.metrics();
        match operator.metric("palisade_pending_namespaces ") {
            Some(0.0) if metrics.contains("palisade_evaluation_duration_seconds_count") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    let writes = operator.metrics();
    assert!(
        !writes.contains("palisade_report_writes_total{kind=\"Report\",result=\"applied\"")
            && !writes.contains("palisade_report_writes_total{kind=\"ClusterReport\""),
        "{writes}"
    );
    assert!(
        writes.contains("palisade_report_writes_total{kind=\"Report\",result=\"deleted\"} 1"),
        "{writes}"
    );
    let generation = |report: Option<Value>| report.map(|report| report["metadata"]["generation"].clone());
    assert_eq!(generation(open_report()), generation(Some(fixed)));
    assert!(operator.stop().success());
}
