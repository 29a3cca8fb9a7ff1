//! `--pss-version` of `palisade audit`: the Pod Security Standards version pods are judged by
//! where neither the namespace's enforce-version label nor the baseline names one. A pod whose
//! probe targets another host violates the standard from v1.34 on.

use std::path::Path;
use std::process::{Command, Output};

const POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: p, namespace: apps}
spec:
  containers:
  - name: c
    image: x
    readinessProbe: {httpGet: {port: 80, host: example.com}}
";

/// The files of one case: the pod, optionally the Namespace with an enforce-version label and a
/// baseline pinning a version.
fn write_case(dir: &Path, label: Option<&str>, baseline: Option<&str>) -> Vec<String> {
    std::fs::create_dir_all(dir).expect("create the case dir");
    let mut manifests = POD.to_string();
    if let Some(version) = label {
        manifests.push_str(&format!(
            "---\n{{apiVersion: v1, kind: Namespace, metadata: {{name: apps, labels: {{pod-security.kubernetes.io/enforce-version: '{version}'}}}}}}\n"
        ));
    }
    let pod = dir.join("pod.yaml");
    std::fs::write(&pod, manifests).expect("write the manifests");
    let mut args = vec!["-f".to_string(), pod.display().to_string()];
    if let Some(version) = baseline {
        let file = dir.join("baseline.yaml");
        std::fs::write(
            &file,
            format!(
                "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {{name: b}}\nspec:\n  profile: baseline\n  namespaces: [apps]\n  parameters: {{podSecurityVersion: '{version}'}}\n"
            ),
        )
        .expect("write the baseline");
        args.extend(["--baseline".to_string(), file.display().to_string()]);
    }
    args
}

fn audit(case: &str, label: Option<&str>, baseline: Option<&str>, flag: Option<&str>) -> Output {
    let dir = std::env::temp_dir().join(format!("palisade-pss-version-{}-{case}", std::process::id()));
    let mut args = vec!["audit".to_string(), "-o".to_string(), "json".to_string()];
    args.extend(write_case(&dir, label, baseline));
    if let Some(version) = flag {
        args.extend(["--pss-version".to_string(), version.to_string()]);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(&args)
        .output()
        .expect("palisade runs");
    std::fs::remove_dir_all(&dir).ok();
    output
}

/// Whether the audit reported the probe host.
fn probe_host_found(case: &str, label: Option<&str>, baseline: Option<&str>, flag: Option<&str>) -> bool {
    let output = audit(case, label, baseline, flag);
    let report: serde_json::Value = match output.status.code() {
        Some(0 | 1) => serde_json::from_slice(&output.stdout).expect("the JSON report"),
        code => panic!("{case}: exit {code:?}\n{}", String::from_utf8_lossy(&output.stderr)),
    };
    report["findings"]
        .as_array()
        .expect("the report lists findings")
        .iter()
        .any(|finding| finding["check"] == "pod.probe-host")
}

#[test]
fn the_flag_applies_where_neither_label_nor_baseline_names_a_version() {
    assert!(probe_host_found("default", None, None, None), "newest by default");
    assert!(!probe_host_found("flag-old", None, None, Some("v1.33")));
    assert!(probe_host_found("flag-new", None, None, Some("v1.34")));
    assert!(probe_host_found("flag-latest", None, None, Some("latest")));
    assert!(probe_host_found("baseline-wins", None, Some("v1.34"), Some("v1.33")));
    assert!(!probe_host_found("baseline-old", None, Some("v1.33"), Some("latest")));
    assert!(probe_host_found(
        "label-wins",
        Some("v1.34"),
        Some("v1.33"),
        Some("v1.33")
    ));
    assert!(!probe_host_found("label-old", Some("v1.33"), None, None));
}

#[test]
fn a_malformed_version_is_a_usage_error_that_says_what_is_expected() {
    let output = audit("malformed", None, None, Some("1.33"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--pss-version") && stderr.contains("use \"latest\" or \"v1.<minor>\""),
        "{stderr}"
    );
    let output = audit("malformed-baseline", None, Some("v1.033"), None);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("parameters.podSecurityVersion"), "{stderr}");
}
