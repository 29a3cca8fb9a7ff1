//! Back-pressure and others' writes, on the control plane `e2e/run.sh` started: the API server's
//! priority and fairness (APF) rejects most of the operator's requests with 429, and people edit
//! and delete what the operator writes. The operator backs off (no hot loop: its request rate is
//! measured), counts the rejections, and what it reconciled wins.
//!
//! Writes are server-side applies with force, so they never conflict (409): an edit by someone
//! else is seen on the watch of the reports and written back.

use std::time::Duration;

use palisade_e2e::{
    OPERATOR_NAMESPACE, Operator, apply, deployment, failing, get_json, kubectl_ok, operator_kubeconfig, port, report,
    wait_for,
};
use serde_json::Value;

const NAMESPACES: usize = 20;

fn throttled_namespace(index: usize) -> String {
    format!("e2e-throttle-{index:02}")
}

/// A priority level of the smallest share that rejects what it cannot seat at once, for every
/// request of the operator's ServiceAccount.
fn throttle_the_operator() {
    apply(&format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [
  {{"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
    "metadata": {{"name": "e2e-throttle"}},
    "spec": {{"type": "Limited", "limited": {{"nominalConcurrencyShares": 1, "lendablePercent": 0,
      "borrowingLimitPercent": 0, "limitResponse": {{"type": "Reject"}}}}}}}},
  {{"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {{"name": "e2e-throttle"}},
    "spec": {{"priorityLevelConfiguration": {{"name": "e2e-throttle"}}, "matchingPrecedence": 50,
      "distinguisherMethod": {{"type": "ByUser"}},
      "rules": [{{"subjects": [{{"kind": "ServiceAccount",
          "serviceAccount": {{"name": "palisade", "namespace": "{OPERATOR_NAMESPACE}"}}}}],
        "resourceRules": [{{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "clusterScope": true,
          "namespaces": ["*"]}}],
        "nonResourceRules": [{{"verbs": ["*"], "nonResourceURLs": ["*"]}}]}}]}}}}]}}"#
    ));
}

fn all_requests(operator: &Operator) -> f64 {
    operator.metric_sum("palisade_api_responses_total{")
}

#[test]
fn throttled_requests_back_off_and_what_the_operator_reconciled_wins() {
    let kubeconfig = operator_kubeconfig();
    throttle_the_operator();
    let mut objects = Vec::new();
    for index in 0..NAMESPACES {
        let namespace = throttled_namespace(index);
        objects.push(format!(
            r#"{{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": "{namespace}",
              "labels": {{"palisade.dev/e2e-throttle": "yes"}}}}}}"#
        ));
        objects.push(deployment(&namespace, "web", 0, true, "1"));
    }
    apply(&format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [{}]}}"#,
        objects.join(",")
    ));
    apply(
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata:\n  name: e2e-throttle\nspec:\n  \
         namespaceSelector:\n    matchLabels:\n      palisade.dev/e2e-throttle: \"yes\"\n  profile: baseline\n",
    );

    let mut operator = Operator::start(&kubeconfig, "e2e-throttle", port(85), &[]);
    operator.wait_leading(90);
    wait_for(120, "every throttled namespace's report", || {
        let written = (0..NAMESPACES)
            .filter_map(|index| report(&throttled_namespace(index)))
            .filter(|report| failing(report, "pod.privileged") == ["Deployment/web"])
            .count();
        match written {
            NAMESPACES => Ok(()),
            count => Err(format!("{count} of {NAMESPACES}")),
        }
    });
    let rejected = operator.metric_sum("palisade_api_responses_total{method=\"GET\",code=\"429\"}")
        + operator.metric_sum("palisade_api_responses_total{method=\"PATCH\",code=\"429\"}");
    assert!(rejected > 0.0, "APF rejected nothing:\n{}", operator.metrics());

    // Settled, the operator asks only its probe and its lease: a few requests a second at most.
    let before = all_requests(&operator);
    std::thread::sleep(Duration::from_secs(15));
    let rate = (all_requests(&operator) - before) / 15.0;
    eprintln!("APF rejected {rejected} requests; settled, the operator made {rate:.2} requests/s");
    assert!(rate <= 2.0, "{rate:.1} requests/s while nothing changes");
    assert!(operator.running());

    // A status edited by someone else is applied back; so is a deleted report, firstSeen kept.
    let edited = throttled_namespace(0);
    let original = report(&edited).expect("a report");
    kubectl_ok(&[
        "patch",
        "posturereport",
        "posture",
        "-n",
        &edited,
        "--subresource",
        "status",
        "--type",
        "merge",
        "-p",
        r#"{"status":{"score":100,"summary":{"critical":0,"high":0}}}"#,
    ]);
    wait_for(60, "the edited report to be written back", || {
        let now = report(&edited).ok_or("no report")?;
        match now["status"]["score"] == original["status"]["score"]
            && now["status"]["summary"] == original["status"]["summary"]
        {
            true => Ok(()),
            false => Err(now["status"]["summary"].to_string()),
        }
    });
    let deleted = throttled_namespace(1);
    let original = report(&deleted).expect("a report");
    kubectl_ok(&["delete", "posturereport", "posture", "-n", &deleted]);
    let restored = wait_for(60, "the deleted report to be written again", || {
        report(&deleted)
            .filter(|report| report["status"]["checks"].is_array())
            .ok_or_else(|| "no report".to_string())
    });
    assert_eq!(restored["status"]["checks"], original["status"]["checks"]);

    kubectl_ok(&["delete", "clusterposturereport", "cluster"]);
    wait_for(60, "the deleted cluster report to be written again", || {
        get_json(&["clusterposturereport", "cluster"])
            .filter(|report| report["status"]["lastEvaluated"].is_string())
            .ok_or_else(|| "no cluster report".to_string())
    });

    let counted = |baseline: &Value| baseline["status"]["matchedNamespaces"].clone();
    let baseline = get_json(&["hardeningbaseline", "e2e-throttle"]).expect("the baseline");
    assert_eq!(counted(&baseline), Value::from(NAMESPACES));
    kubectl_ok(&[
        "patch",
        "hardeningbaseline",
        "e2e-throttle",
        "--subresource",
        "status",
        "--type",
        "merge",
        "-p",
        r#"{"status":{"matchedNamespaces":0}}"#,
    ]);
    wait_for(60, "the baseline's edited status to be written back", || {
        let now = get_json(&["hardeningbaseline", "e2e-throttle"]).ok_or("no baseline")?;
        match counted(&now) == NAMESPACES {
            true => Ok(()),
            false => Err(counted(&now).to_string()),
        }
    });
    assert!(operator.running());

    kubectl_ok(&["delete", "flowschema", "e2e-throttle"]);
    kubectl_ok(&["delete", "prioritylevelconfiguration", "e2e-throttle"]);
    kubectl_ok(&["delete", "hardeningbaseline", "e2e-throttle"]);
    for index in 0..NAMESPACES {
        kubectl_ok(&["delete", "namespace", &throttled_namespace(index), "--wait=false"]);
    }
}
