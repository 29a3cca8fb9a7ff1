//! Helpers for end-to-end tests against the local control plane that `e2e/run.sh` starts.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs kubectl against the control plane named by `KUBECONFIG`.
///
/// Panics with a clear message when the tests run without a control plane, because a
/// silently skipped e2e test would pass without proving anything.
pub fn kubectl(args: &[&str]) -> Output {
    let kubeconfig = std::env::var("KUBECONFIG")
        .expect("KUBECONFIG is not set: run the e2e tests through e2e/run.sh (or `make test`)");
    run_kubectl(&["--kubeconfig", &kubeconfig], args)
}

fn run_kubectl(connection: &[&str], args: &[&str]) -> Output {
    Command::new("kubectl")
        .args(connection)
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("kubectl runs")
}

/// Runs kubectl and returns stdout, failing the test with stderr when kubectl fails.
pub fn kubectl_ok(args: &[&str]) -> String {
    let output = kubectl(args);
    assert!(
        output.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs kubectl authenticated only by a bearer token (e.g. a service account's), against the
/// same server and CA as the admin kubeconfig.
pub fn kubectl_with_token(token: &str, args: &[&str]) -> Output {
    let server = kubectl_ok(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.server}",
    ]);
    let ca = kubectl_ok(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.certificate-authority}",
    ]);
    let connection = [
        "--kubeconfig",
        "/dev/null",
        "--server",
        &server,
        "--certificate-authority",
        &ca,
        "--token",
        token,
    ];
    run_kubectl(&connection, args)
}

/// Waits until kube-controller-manager has created the `default` service account of a new
/// namespace: until then the API server refuses every pod created there (dry runs included).
pub fn wait_for_default_service_account(namespace: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !kubectl(&["get", "serviceaccount", "default", "-n", namespace])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "namespace {namespace} has no default service account after 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
