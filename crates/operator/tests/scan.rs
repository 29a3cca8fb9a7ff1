//! `palisade scan` as users run it, without a cluster: usage errors and unreachable clusters end
//! the run with exit code 2 and a message naming the problem, before anything is evaluated.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A kubeconfig whose API server refuses connections (nothing listens on port 1).
const UNREACHABLE: &str = "apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}
users:
- name: nobody
  user: {token: not-a-token}
contexts:
- name: nowhere
  context: {cluster: nowhere, user: nobody}
current-context: nowhere
";

/// Writes a file this test owns into the temp directory.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("palisade-scan-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("temp file is written");
    path
}

/// Runs `palisade scan` with `kubeconfig` as the only cluster configuration it can find.
fn scan(args: &[&str], kubeconfig: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("scan")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .output()
        .expect("palisade runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

#[test]
fn no_kubeconfig_is_a_clear_error() {
    let output = scan(&[], "/nonexistent/palisade-kubeconfig");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = stderr(&output);
    assert!(stderr.starts_with("error: no cluster to scan: "), "{stderr}");
    assert!(stderr.contains("/nonexistent/palisade-kubeconfig"), "{stderr}");
}

#[test]
fn an_unreachable_cluster_is_a_clear_error() {
    let kubeconfig = temp_file("unreachable.kubeconfig", UNREACHABLE);
    let output = scan(&["-o", "json"], &kubeconfig.to_string_lossy());
    std::fs::remove_file(&kubeconfig).ok();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing is printed when nothing was listed");
    let stderr = stderr(&output);
    assert!(
        stderr.starts_with("error: listing namespaces from https://127.0.0.1:1: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line, each cause once: {stderr}");
}

#[test]
fn an_invalid_baseline_stops_the_scan_before_it_connects() {
    let baseline = temp_file(
        "baseline.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let output = scan(
        &["--baseline", &baseline.to_string_lossy()],
        "/nonexistent/palisade-kubeconfig",
    );
    std::fs::remove_file(&baseline).ok();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr(&output);
    assert!(stderr.starts_with("error: --baseline "), "{stderr}");
    assert!(
        stderr.contains("expected one palisade.dev/v1alpha1 HardeningBaseline"),
        "{stderr}"
    );
    assert!(!stderr.contains("cluster"), "{stderr}");
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["-o", "xml"][..],
        &["--fail-on", "severe"],
        &["--filename", "x.yaml"],
        &["--namespace", "shop"],
    ] {
        let output = scan(args, "/nonexistent/palisade-kubeconfig");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("error: "), "{args:?}");
        assert!(!stderr(&output).contains("no cluster to scan"), "{args:?}");
    }
}

#[test]
fn help_names_every_option() {
    let output = scan(&["--help"], "/nonexistent/palisade-kubeconfig");
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).expect("UTF-8 help");
    for flag in [
        "--baseline <FILE>",
        "--output <FORMAT>",
        "--fail-on <SEVERITY>",
        "--content-checks",
        "--exclude-namespaces <NS,...>",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn only_and_skip_patterns_matching_no_check_end_the_scan_before_connecting() {
    let kubeconfig = temp_file("selection.kubeconfig", UNREACHABLE);
    let output = scan(
        &["--skip", "pod.*", "--only", "nothing.*"],
        &kubeconfig.to_string_lossy(),
    );
    std::fs::remove_file(&kubeconfig).ok();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = stderr(&output);
    assert!(stderr.contains("--only \"nothing.*\" matches no check"), "{stderr}");
    assert!(!stderr.contains("127.0.0.1"), "no connection is tried: {stderr}");
}
