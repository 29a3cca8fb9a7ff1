//! The generated CRDs against a real kube-apiserver: installed, Established, accepting valid
//! examples, rejecting invalid ones with readable messages, and explained by `kubectl explain`.

use std::sync::Once;
use std::time::{Duration, Instant};

use palisade_e2e::{kubectl, kubectl_ok};

static INSTALL: Once = Once::new();

fn install_crds() {
    INSTALL.call_once(|| {
        kubectl_ok(&["apply", "--server-side", "-f", "charts/palisade/crds/palisade.dev.yaml"]);
        kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            "crd/hardeningbaselines.palisade.dev",
            "crd/posturereports.palisade.dev",
            "crd/clusterposturereports.palisade.dev",
        ]);
    });
}

#[test]
fn valid_examples_are_accepted_and_listed_with_printer_columns() {
    install_crds();
    for example in [
        "examples/baseline-restricted.yaml",
        "examples/posture-report.yaml",
        "examples/cluster-posture-report.yaml",
    ] {
        kubectl_ok(&["apply", "--server-side", "-f", example]);
    }
    let baselines = kubectl_ok(&["get", "hb"]);
    let header: Vec<&str> = baselines
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["NAME", "PROFILE", "PRIORITY", "MATCHED", "DRIFTED", "READY", "AGE"]
    );
    assert!(baselines.contains("production"), "{baselines}");

    let reports = kubectl_ok(&["get", "posturereports", "-A"]);
    let header: Vec<&str> = reports.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "NAME",
            "BASELINE",
            "SCORE",
            "CRITICAL",
            "HIGH",
            "DRIFT",
            "COMPLIANT",
            "AGE"
        ]
    );
    assert!(kubectl_ok(&["get", "posture", "-n", "default"]).contains("posture"));
    assert!(kubectl_ok(&["get", "cposture"]).contains("cluster"));

    let stored: serde_json::Value =
        serde_json::from_str(&kubectl_ok(&["get", "hb", "production", "-o", "json"])).expect("json");
    assert_eq!(
        stored["spec"]["annotationExemptions"], "Advisory",
        "the default is applied by the schema"
    );
}

#[test]
fn invalid_baselines_are_rejected_with_readable_messages() {
    install_crds();
    let cases = [
        ("unknown-profile", "Unsupported value: \"paranoid\""),
        ("exception-without-reason", "reason: Required value"),
        ("exception-blank-reason", "exception reason must not be empty"),
        ("exception-without-expiry", "expires: Required value"),
        ("bad-severity", "Unsupported value: \"catastrophic\""),
        (
            "no-namespaces-selected",
            "spec must select namespaces with namespaceSelector or namespaces",
        ),
    ];
    for (name, expected) in cases {
        let path = format!("examples/invalid/{name}.yaml");
        let output = kubectl(&["apply", "--server-side", "--dry-run=server", "-f", &path]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{path} was accepted");
        assert!(stderr.contains(expected), "{path}: expected {expected:?} in {stderr}");
    }
}

#[test]
fn kubectl_explain_shows_field_descriptions() {
    install_crds();
    let explained = explain_once_published("hardeningbaseline.spec.exceptions.reason");
    assert!(explained.contains("Why the deviation is accepted"), "{explained}");
    let explained = explain_once_published("posturereport.status.drift.state");
    assert!(explained.contains("InSync"), "{explained}");
}

/// The API server publishes a new CRD's OpenAPI a few seconds after it is Established.
fn explain_once_published(field: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = kubectl(&["explain", field]);
        if output.status.success() || Instant::now() > deadline {
            assert!(
                output.status.success(),
                "kubectl explain {field}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return String::from_utf8_lossy(&output.stdout).into_owned();
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
