//! Service-account tokens work on the local control plane, so later tests can act as the
//! operator's own service account and prove its RBAC is enough.

use palisade_e2e::{kubectl_ok, kubectl_with_token};

#[test]
fn a_service_account_token_is_authorized_by_rbac() {
    kubectl_ok(&["create", "namespace", "sa-token-test"]);
    kubectl_ok(&["-n", "sa-token-test", "create", "serviceaccount", "reader"]);
    let token = kubectl_ok(&["-n", "sa-token-test", "create", "token", "reader"]);
    let as_reader = |args: &[&str]| {
        let mut all = vec!["-n", "sa-token-test"];
        all.extend_from_slice(args);
        kubectl_with_token(token.trim(), &all)
    };

    let denied = as_reader(&["get", "configmaps"]);
    assert!(
        !denied.status.success(),
        "an unbound service account must not list configmaps"
    );
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(
        stderr.contains("system:serviceaccount:sa-token-test:reader"),
        "{stderr}"
    );

    kubectl_ok(&[
        "-n",
        "sa-token-test",
        "create",
        "role",
        "cm-reader",
        "--verb=list",
        "--resource=configmaps",
    ]);
    kubectl_ok(&[
        "-n",
        "sa-token-test",
        "create",
        "rolebinding",
        "cm-reader",
        "--role=cm-reader",
        "--serviceaccount=sa-token-test:reader",
    ]);
    let allowed = as_reader(&["get", "configmaps"]);
    assert!(allowed.status.success(), "{}", String::from_utf8_lossy(&allowed.stderr));
    // kube-controller-manager publishes the root CA into every namespace.
    assert!(String::from_utf8_lossy(&allowed.stdout).contains("kube-root-ca.crt"));
}
