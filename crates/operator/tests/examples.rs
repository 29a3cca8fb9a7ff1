//! The examples a newcomer starts from (`examples/apps`, `examples/baselines`,
//! `examples/exceptions`, walked through in docs/getting-started.md) do what their comments say,
//! checked with the built `palisade` binary.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

const HARDENED: &str = "examples/apps/hardened";
const INSECURE: &str = "examples/apps/insecure";
const BASELINES: [(&str, &str); 2] = [
    ("examples/baselines/production.yaml", "production"),
    ("examples/baselines/development.yaml", "development"),
];
const EXCEPTION_APP: &str = "examples/exceptions/app.yaml";
const EXCEPTION_BASELINE: &str = "examples/exceptions/baseline.yaml";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("palisade runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON report of a run that exited with `expected`.
fn report(args: &[&str], expected: i32) -> Value {
    let output = palisade(args);
    assert_eq!(
        code(&output),
        expected,
        "palisade {args:?}\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}", text(&output.stdout)))
}

fn items<'a>(report: &'a Value, key: &str) -> &'a [Value] {
    report[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// (check, resource kind, resource name) of every item under `key`.
fn covered(report: &Value, key: &str) -> BTreeSet<(String, String, String)> {
    let field = |value: &Value| value.as_str().unwrap_or_default().to_string();
    items(report, key)
        .iter()
        .map(|item| {
            (
                field(&item["check"]),
                field(&item["resource"]["kind"]),
                field(&item["resource"]["name"]),
            )
        })
        .collect()
}

/// The catalog as `palisade checks -o json` prints it: (id, category) of every check.
fn catalog() -> Vec<(String, String)> {
    let output = palisade(&["checks", "-o", "json"]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let checks: Value = serde_json::from_slice(&output.stdout).expect("the catalog is JSON");
    let checks = checks.as_array().expect("the catalog is a list");
    assert!(!checks.is_empty());
    checks
        .iter()
        .map(|check| {
            let field = |key: &str| check[key].as_str().unwrap_or_else(|| panic!("{key} in {check}"));
            (field("id").to_string(), field("category").to_string())
        })
        .collect()
}

/// A check's area: the part of its id before the dot (`pod`, `rbac`, `net`, …).
fn area(id: &str) -> &str {
    id.split_once('.').map_or(id, |(area, _)| area)
}

/// A copy of `path` with `from` replaced by `to` (which must occur), in a scratch file.
fn edited_copy(path: &str, name: &str, from: &str, to: &str) -> String {
    let original = std::fs::read_to_string(workspace().join(path)).expect("example readable");
    assert!(original.contains(from), "{path} holds {from:?}");
    let copy = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("examples-{name}"));
    std::fs::write(&copy, original.replace(from, to)).expect("scratch file written");
    copy.to_string_lossy().into_owned()
}

/// The `expires:` value of the only exception in a baseline file.
fn expiry(path: &str) -> String {
    let baseline = std::fs::read_to_string(workspace().join(path)).expect("example readable");
    let values: Vec<&str> = baseline
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("expires:"))
        .map(|value| value.trim().trim_matches('"'))
        .collect();
    assert_eq!(values.len(), 1, "{path} has one exception");
    values[0].to_string()
}

#[test]
fn hardened_app_passes_restricted_with_no_finding_at_all() {
    for extra in [&[][..], &["--content-checks"][..]] {
        let args = [&["audit", "-f", HARDENED, "--fail-on", "info", "-o", "json"][..], extra].concat();
        let report = report(&args, 0);
        assert_eq!(items(&report, "findings"), &[] as &[Value], "{report:#}");
        assert_eq!(items(&report, "excepted"), &[] as &[Value], "{report:#}");
        assert_eq!(report["summary"]["score"], 100);
        assert_eq!(report["summary"]["baseline"], "restricted (built-in)");
    }
    // Its namespace is labelled production, so the production baseline governs it, and it passes
    // that too (digest-pinned images from the allowed registry).
    let (production, _) = BASELINES[0];
    let args = [
        "audit",
        "-f",
        HARDENED,
        "--baseline",
        production,
        "--fail-on",
        "info",
        "-o",
        "json",
    ];
    let report = report(&args, 0);
    assert_eq!(items(&report, "findings"), &[] as &[Value], "{report:#}");
    assert_eq!(report["summary"]["governed"][0]["baseline"], "production", "{report:#}");
    assert_eq!(
        report["summary"]["governed"][0]["namespaces"][0], "checkout",
        "{report:#}"
    );
}

#[test]
fn insecure_app_fails_a_check_in_every_category_and_area_of_the_catalog() {
    let report = report(&["audit", "-f", INSECURE, "--content-checks", "-o", "json"], 1);
    let failing: BTreeSet<String> = covered(&report, "findings")
        .into_iter()
        .map(|(check, _, _)| check)
        .collect();
    let catalog = catalog();
    let categories: BTreeSet<&str> = catalog.iter().map(|(_, category)| category.as_str()).collect();
    let areas: BTreeSet<&str> = catalog.iter().map(|(id, _)| area(id)).collect();
    let failing_categories: BTreeSet<&str> = catalog
        .iter()
        .filter(|(id, _)| failing.contains(id))
        .map(|(_, category)| category.as_str())
        .collect();
    let failing_areas: BTreeSet<&str> = failing.iter().map(|id| area(id)).collect();
    assert_eq!(failing_categories, categories, "failing: {failing:?}");
    assert_eq!(failing_areas, areas, "failing: {failing:?}");
}

#[test]
fn example_baselines_are_read_exactly_and_govern_the_namespaces_they_select() {
    for (path, name) in BASELINES {
        let output = palisade(&["audit", "-f", HARDENED, "--baseline", path, "-o", "json"]);
        assert_eq!(code(&output), 0, "{path}: {}", text(&output.stderr));
        assert!(
            !text(&output.stderr).contains("error"),
            "{path}: {}",
            text(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
        assert_eq!(report["summary"]["baseline"], name, "{report:#}");
        // The strict reader is what accepted the file: the same file with a misspelt field is refused.
        let misspelt = edited_copy(path, name, "  profile:", "  profle: x\n  profile:");
        let output = palisade(&["audit", "-f", HARDENED, "--baseline", &misspelt]);
        assert_eq!(code(&output), 2, "{}", text(&output.stderr));
        assert!(
            text(&output.stderr).contains("spec.profle: unknown field"),
            "{}",
            text(&output.stderr)
        );
    }
    // The development baseline governs the insecure namespace once it is labelled so, and holds it
    // to the PSS baseline profile only: privileged pods drift, unpinned images are Advisory.
    let labelled = edited_copy(
        &format!("{INSECURE}/namespace.yaml"),
        "development-namespace.yaml",
        "  name: storefront\n",
        "  name: storefront\n  labels: {palisade.dev/tier: development}\n",
    );
    let (development, _) = BASELINES[1];
    let args = [
        "audit",
        "-f",
        &labelled,
        "-f",
        &format!("{INSECURE}/workloads.yaml"),
        "--baseline",
        development,
        "-o",
        "json",
    ];
    let report = report(&args, 1);
    let mode = |check: &str| {
        items(&report, "findings")
            .iter()
            .find(|finding| finding["check"] == check && finding["resource"]["namespace"] == "storefront")
            .map(|finding| finding["mode"].clone())
    };
    assert_eq!(mode("pod.privileged"), Some(Value::from("Required")), "{report:#}");
    assert_eq!(mode("image.mutable-tag"), Some(Value::from("Advisory")), "{report:#}");
    assert_eq!(mode("pod.run-as-non-root"), Some(Value::from("Advisory")), "{report:#}");
}

#[test]
fn exception_example_excepts_what_it_says_until_its_expiry() {
    let builder = |check: &str| {
        (
            check.to_string(),
            "Deployment".to_string(),
            "report-builder".to_string(),
        )
    };
    let args = |baseline: &str| -> Vec<String> {
        [
            "audit",
            "-f",
            EXCEPTION_APP,
            "--baseline",
            baseline,
            "--fail-on",
            "info",
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |baseline: &str, expected: i32| {
        let args = args(baseline);
        report(&args.iter().map(String::as_str).collect::<Vec<_>>(), expected)
    };

    let expires = expiry(EXCEPTION_BASELINE);
    let expiry_time: Timestamp = expires.parse().expect("an RFC 3339 expiry");
    assert!(
        Timestamp::now() < expiry_time,
        "the example's exception expired at {expires}: move its date (and the docs quoting it) forward"
    );
    let report = run(EXCEPTION_BASELINE, 0);
    assert_eq!(items(&report, "findings"), &[] as &[Value], "{report:#}");
    assert_eq!(
        covered(&report, "excepted"),
        BTreeSet::from([builder("pod.automount-token"), builder("pod.read-only-root-fs")]),
        "{report:#}"
    );
    let cover = |check: &str| {
        items(&report, "excepted")
            .iter()
            .find(|item| item["check"] == check)
            .map(|item| {
                (
                    item["cover"]["type"].clone(),
                    item["expires"].clone(),
                    item["reason"].clone(),
                )
            })
            .expect("excepted")
    };
    let (kind, until, reason) = cover("pod.automount-token");
    assert_eq!((kind, until), (Value::from("exception"), Value::from(expires.as_str())));
    assert!(
        reason.as_str().is_some_and(|reason| reason.contains("REP-212")),
        "{reason}"
    );
    let (kind, until, reason) = cover("pod.read-only-root-fs");
    assert_eq!((kind, until), (Value::from("annotation"), Value::Null));
    assert!(
        reason.as_str().is_some_and(|reason| reason.contains("REP-230")),
        "{reason}"
    );

    // Past its expiry the exception covers nothing: the Required check fails again; the annotation
    // exemption, which has no expiry, still holds.
    let expired = edited_copy(
        EXCEPTION_BASELINE,
        "expired-exception.yaml",
        &expires,
        "2020-01-01T00:00:00Z",
    );
    let report = run(&expired, 1);
    assert_eq!(
        covered(&report, "findings"),
        BTreeSet::from([builder("pod.automount-token")])
    );
    assert_eq!(
        covered(&report, "excepted"),
        BTreeSet::from([builder("pod.read-only-root-fs")])
    );
    assert_eq!(report["summary"]["expiredExceptions"], 1);
}
