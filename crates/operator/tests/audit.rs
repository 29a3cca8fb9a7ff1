//! `palisade audit` and `palisade checks` as users run them: the built binary, real files,
//! stdin, exit codes and every output format.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const INSECURE: &str = "examples/audit/insecure.yaml";
const HARDENED: &str = "examples/audit/hardened";
const LIST: &str = "examples/audit/list.json";
const BASELINE: &str = "examples/audit/baseline.yaml";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `palisade` in the workspace root, with `stdin` piped in when given.
fn palisade_with_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("palisade starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.unwrap_or_default().as_bytes())
        .expect("stdin accepts input");
    drop(pipe);
    child.wait_with_output().expect("palisade finishes")
}

fn palisade(args: &[&str]) -> Output {
    palisade_with_stdin(args, None)
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("audit-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent directory");
    }
    std::fs::write(&path, text).expect("write fixture");
    path.to_string_lossy().into_owned()
}

fn items<'a>(report: &'a Value, key: &str) -> &'a [Value] {
    report[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

fn has_finding(report: &Value, key: &str, check: &str, kind: &str, name: &str) -> bool {
    items(report, key)
        .iter()
        .any(|item| item["check"] == check && item["resource"]["kind"] == kind && item["resource"]["name"] == name)
}

/// The hardened example's Deployment with another image.
fn hardened_api_with_image(image: &str) -> String {
    let text = std::fs::read_to_string(workspace().join(HARDENED).join("api.yaml")).expect("hardened api.yaml");
    let original = text
        .lines()
        .find(|line| line.trim_start().starts_with("image: "))
        .expect("an image line")
        .to_string();
    let indent = &original[..original.len() - original.trim_start().len()];
    text.replace(&original, &format!("{indent}image: {image}"))
}

#[test]
fn hardened_manifests_pass_with_no_finding_at_all() {
    let output = palisade(&["audit", "-f", HARDENED]);
    assert_eq!(code(&output), 0, "{}{}", stdout(&output), stderr(&output));
    assert!(
        stdout(&output).starts_with("0 failing, 0 excepted"),
        "{}",
        stdout(&output)
    );
    let report = json(&palisade(&["audit", "-f", HARDENED, "-o", "json"]));
    assert_eq!(items(&report, "findings"), &[] as &[Value], "{report:#}");
    assert_eq!(report["summary"]["failing"], 0);
    assert_eq!(report["summary"]["score"], 100);
    assert_eq!(report["summary"]["baseline"], "restricted (built-in)");
    assert_eq!(report["summary"]["files"], 2);
}

#[test]
fn insecure_manifests_fail_and_findings_have_their_shape() {
    let output = palisade(&["audit", "-f", INSECURE]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let table = stdout(&output);
    let header = table.lines().next().expect("a header");
    for column in ["SEVERITY", "CHECK", "RESOURCE", "CONTAINER", "MESSAGE"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(table.contains("Deployment/shop/web"), "{table}");

    let report = json(&palisade(&["audit", "-f", INSECURE, "-o", "json"]));
    let findings = items(&report, "findings");
    assert!(!findings.is_empty());
    for finding in findings {
        for key in ["check", "title", "severity", "mode", "resource", "message", "file"] {
            assert!(finding.get(key).is_some(), "{key} missing in {finding}");
        }
        assert_eq!(finding["file"], INSECURE);
        assert!(finding["resource"]["kind"].is_string() && finding["resource"]["name"].is_string());
        assert!(["Required", "Advisory"].contains(&finding["mode"].as_str().unwrap_or_default()));
    }
    let privileged = findings
        .iter()
        .find(|finding| finding["check"] == "pod.privileged")
        .expect("the privileged Deployment fails pod.privileged");
    assert_eq!(privileged["container"], "nginx");
    assert_eq!(privileged["severity"], "critical");
    assert_eq!(privileged["resource"]["namespace"], "shop");
    for (check, kind, name) in [
        ("image.mutable-tag", "Deployment", "web"),
        ("pod.runtime-socket", "DaemonSet", "log-agent"),
        ("pod.literal-credential-env", "Deployment", "api"),
        ("rbac.cluster-admin-binding", "RoleBinding", "ci-admin"),
        ("svc.public-load-balancer", "Service", "web"),
    ] {
        assert!(
            has_finding(&report, "findings", check, kind, name),
            "{check} on {kind}/{name}"
        );
    }
    // Most severe first.
    let rank = |severity: &Value| {
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .position(|known| severity == known)
            .expect("a known severity")
    };
    let ranks: Vec<usize> = findings.iter().map(|finding| rank(&finding["severity"])).collect();
    assert!(ranks.windows(2).all(|pair| pair[0] <= pair[1]), "{ranks:?}");
    let summary = &report["summary"];
    assert_eq!(summary["failing"].as_u64(), Some(findings.len() as u64));
    let by_severity: u64 = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|severity| summary[*severity].as_u64().expect("a count"))
        .sum();
    assert_eq!(by_severity, findings.len() as u64);
    assert_eq!(summary["objects"], 7);
    assert_eq!(summary["excepted"], 0);
    assert!(summary["resourcesEvaluated"].as_u64().is_some_and(|count| count > 0));
}

#[test]
fn fail_on_sets_the_lowest_failing_severity_and_advisory_findings_never_fail() {
    let dir = scratch("fail-on");
    let namespace = format!("{HARDENED}/namespace.yaml");
    // Only `image.mutable-tag` (medium, Required) and `image.digest-unpinned` (low, Advisory).
    let mutable = write(
        &dir,
        "mutable.yaml",
        &hardened_api_with_image("registry.example.com/payments/api:latest"),
    );
    let run = |fail_on: &str| {
        code(&palisade(&[
            "audit",
            "-f",
            &namespace,
            "-f",
            &mutable,
            "--fail-on",
            fail_on,
        ]))
    };
    assert_eq!(run("critical"), 0);
    assert_eq!(run("high"), 0);
    assert_eq!(run("medium"), 1);
    assert_eq!(run("low"), 1);
    assert_eq!(code(&palisade(&["audit", "-f", &namespace, "-f", &mutable])), 1);

    // Only the Advisory `image.digest-unpinned`: reported, but the run passes.
    let unpinned = write(
        &dir,
        "unpinned.yaml",
        &hardened_api_with_image("registry.example.com/payments/api:1.8.2"),
    );
    let output = palisade(&["audit", "-f", &namespace, "-f", &unpinned, "-o", "json"]);
    assert_eq!(code(&output), 0);
    let report = json(&output);
    let findings = items(&report, "findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["check"], "image.digest-unpinned");
    assert_eq!(findings[0]["mode"], "Advisory");
    assert_eq!(report["summary"]["advisory"], 1);

    // The insecure example has critical Required failures.
    assert_eq!(code(&palisade(&["audit", "-f", INSECURE, "--fail-on", "critical"])), 1);
}

#[test]
fn malformed_yaml_names_file_and_document_and_the_rest_is_still_audited() {
    let dir = scratch("malformed");
    let deploy = write(
        &dir,
        "deploy.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: first, namespace: shop}\nspec: {containers: [{name: c, image: nginx}]}\n\
         ---\n---\nkind: [unclosed\n",
    );
    let output = palisade(&["audit", "-f", &deploy, "-f", INSECURE, "-o", "json"]);
    assert_eq!(code(&output), 2);
    let errors = stderr(&output);
    assert!(errors.contains(&format!("{deploy}: document 3: ")), "{errors}");
    let report = json(&output);
    assert!(has_finding(&report, "findings", "image.mutable-tag", "Pod", "first"));
    assert!(has_finding(&report, "findings", "pod.privileged", "Deployment", "web"));
    assert_eq!(report["summary"]["inputErrors"], 1);
}

#[test]
fn rejected_objects_name_file_document_and_list_item() {
    let dir = scratch("rejected");
    let file = write(
        &dir,
        "objects.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: c, image: nginx}]}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec: {template: {spec: {containers: 3}}}\n---\n\
         just: a map\n---\n\
         {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: 7}}]}\n",
    );
    let output = palisade(&["audit", "-f", &file, "-o", "json"]);
    assert_eq!(code(&output), 2);
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!("{file}: document 2: invalid Deployment")),
        "{errors}"
    );
    assert!(
        errors.contains(&format!("{file}: document 3: not a Kubernetes object")),
        "{errors}"
    );
    assert!(
        errors.contains(&format!("{file}: document 4: items[0]: invalid Service")),
        "{errors}"
    );
    assert!(has_finding(
        &json(&output),
        "findings",
        "image.mutable-tag",
        "Pod",
        "ok"
    ));
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let unknown_flag = palisade(&["audit", "-f", INSECURE, "--no-such-flag"]);
    assert_eq!(code(&unknown_flag), 2);
    assert!(
        stderr(&unknown_flag).contains("--no-such-flag"),
        "{}",
        stderr(&unknown_flag)
    );

    let missing = palisade(&["audit", "-f", "no/such/manifests.yaml"]);
    assert_eq!(code(&missing), 2);
    assert!(stdout(&missing).is_empty());
    assert!(
        stderr(&missing).contains("no/such/manifests.yaml: no such file or directory"),
        "{}",
        stderr(&missing)
    );

    let no_file = palisade(&["audit"]);
    assert_eq!(code(&no_file), 2);

    let bad_format = palisade(&["audit", "-f", INSECURE, "-o", "xml"]);
    assert_eq!(code(&bad_format), 2);

    let bad_fail_on = palisade(&["audit", "-f", INSECURE, "--fail-on", "severe"]);
    assert_eq!(code(&bad_fail_on), 2);

    let empty_dir = scratch("empty-dir");
    write(&empty_dir, "notes.txt", "not a manifest");
    let empty = palisade(&["audit", "-f", &empty_dir.to_string_lossy()]);
    assert_eq!(code(&empty), 2);
    assert!(stderr(&empty).contains("no *.yaml"), "{}", stderr(&empty));
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read_to_string(workspace().join(INSECURE)).expect("insecure example");
    let output = palisade_with_stdin(&["audit", "-f", "-", "-o", "json"], Some(&text));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&output);
    let findings = items(&report, "findings");
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|finding| finding["file"] == "-"));
    assert_eq!(report["summary"]["objects"], 7);

    let list = std::fs::read_to_string(workspace().join(LIST)).expect("list example");
    let output = palisade_with_stdin(&["audit", "-f", "-", "-o", "json"], Some(&list));
    assert!(has_finding(
        &json(&output),
        "findings",
        "image.mutable-tag",
        "Pod",
        "report-generator"
    ));
}

#[test]
fn directories_are_read_recursively_in_sorted_order() {
    let dir = scratch("recursive");
    let pod = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: apps}}\nspec: {{containers: [{{name: c, image: nginx}}]}}\n"
        )
    };
    write(&dir, "b/deep/z.yml", &pod("deep"));
    write(&dir, "a.yaml", &pod("top"));
    write(
        &dir,
        "c.json",
        r#"{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}}"#,
    );
    write(&dir, "README.txt", "kind: [not read");
    write(&dir, ".hidden/broken.yaml", "kind: [not read");
    let root = dir.to_string_lossy().into_owned();
    let output = palisade(&["audit", "-f", &root, "-o", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["summary"]["files"], 3);
    assert_eq!(report["summary"]["objects"], 3);
    assert_eq!(report["summary"]["skipped"]["v1/PersistentVolumeClaim"], 1);
    let file_of = |name: &str| {
        items(&report, "findings")
            .iter()
            .find(|finding| finding["resource"]["name"] == name)
            .map(|finding| finding["file"].clone())
    };
    assert_eq!(file_of("deep"), Some(Value::from(format!("{root}/b/deep/z.yml"))));
    assert_eq!(file_of("top"), Some(Value::from(format!("{root}/a.yaml"))));
}

#[test]
fn json_lists_are_read_and_unknown_kinds_counted() {
    let output = palisade(&["audit", "-f", LIST, "-o", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&output);
    let summary = &report["summary"];
    assert_eq!(summary["objects"], 3);
    assert!(summary["skipped"]["v1/ConfigMap"].is_null(), "ConfigMaps are read");
    assert_eq!(summary["skipped"]["monitoring.coreos.com/v1/ServiceMonitor"], 1);
    let finding = items(&report, "findings")
        .iter()
        .find(|finding| finding["check"] == "image.mutable-tag")
        .expect("busybox has no tag");
    assert_eq!(finding["file"], LIST);
    assert_eq!(finding["resource"]["namespace"], "batch");

    let table = stdout(&palisade(&["audit", "-f", LIST]));
    assert!(
        table.contains("1 skipped (monitoring.coreos.com/v1/ServiceMonitor: 1)"),
        "{table}"
    );
}

#[test]
fn objects_without_namespace_get_the_default_namespace() {
    let dir = scratch("namespace");
    let file = write(
        &dir,
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n",
    );
    let report = json(&palisade(&["audit", "-f", &file, "-n", "team-a", "-o", "json"]));
    let findings = items(&report, "findings");
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|finding| finding["resource"]["namespace"] == "team-a")
    );
    let default = json(&palisade(&["audit", "-f", &file, "-o", "json"]));
    assert!(
        items(&default, "findings")
            .iter()
            .all(|finding| finding["resource"]["namespace"] == "default")
    );
}

#[test]
fn a_baseline_exception_moves_findings_to_excepted() {
    let output = palisade(&["audit", "-f", INSECURE, "--baseline", BASELINE, "-o", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&output);
    assert!(!has_finding(
        &report,
        "findings",
        "pod.runtime-socket",
        "DaemonSet",
        "log-agent"
    ));
    assert!(has_finding(
        &report,
        "excepted",
        "pod.runtime-socket",
        "DaemonSet",
        "log-agent"
    ));
    assert!(has_finding(&report, "findings", "pod.privileged", "Deployment", "web"));
    let excepted = items(&report, "excepted");
    for item in excepted {
        for key in [
            "check", "title", "severity", "mode", "resource", "message", "file", "reason", "expires", "cover",
        ] {
            assert!(item.get(key).is_some(), "{key} missing in {item}");
        }
        assert!(
            item["reason"]
                .as_str()
                .is_some_and(|reason| reason.contains("SHOP-481"))
        );
        assert_eq!(item["expires"], "2099-12-31T00:00:00Z");
        assert_eq!(item["cover"]["type"], "exception");
        assert_eq!(item["cover"]["owner"], "team-shop");
    }
    assert_eq!(report["summary"]["excepted"].as_u64(), Some(excepted.len() as u64));
    assert_eq!(report["summary"]["baseline"], "shop");
    // The baseline makes pod.read-only-root-fs Required.
    let read_only = items(&report, "findings")
        .iter()
        .find(|finding| finding["check"] == "pod.read-only-root-fs")
        .expect("read-only-root-fs fails");
    assert_eq!(read_only["mode"], "Required");

    let table = stdout(&palisade(&["audit", "-f", INSECURE, "--baseline", BASELINE]));
    assert!(table.contains(&format!("{} excepted", excepted.len())), "{table}");
}

/// A baseline selecting every namespace, with extra spec fields.
fn baseline_selecting_all(dir: &Path, name: &str, extra: &str) -> String {
    write(
        dir,
        &format!("{name}.yaml"),
        &format!(
            "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {{name: {name}}}\n\
             spec: {{namespaces: ['*'], profile: baseline{extra}}}\n"
        ),
    )
}

#[test]
fn annotation_exemptions_count_as_far_as_the_baseline_lets_them() {
    let dir = scratch("annotations");
    // pod.privileged is Required in every profile; pod.read-only-root-fs is Advisory in `baseline`.
    let manifests = write(
        &dir,
        "cni.yaml",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: cni, namespace: kube-system}\nspec:\n  selector: {}\n  template:\n    \
         metadata:\n      annotations: {palisade.dev/exempt: 'pod.privileged, pod.read-only-root-fs', palisade.dev/exempt-reason: 'CNI agent'}\n    \
         spec: {containers: [{name: agent, image: cni:1.0, securityContext: {privileged: true}}]}\n",
    );
    let exempted = |report: &Value| -> Vec<String> {
        items(report, "excepted")
            .iter()
            .map(|item| item["check"].as_str().unwrap_or_default().to_string())
            .collect()
    };

    // Without a baseline nothing claims compliance: annotations exempt any check.
    let report = json(&palisade(&["audit", "-f", &manifests, "-o", "json"]));
    assert_eq!(exempted(&report), ["pod.privileged", "pod.read-only-root-fs"]);
    let item = &items(&report, "excepted")[0];
    assert_eq!(item["reason"], "CNI agent");
    assert!(item.get("expires").is_none());
    assert_eq!(item["cover"]["type"], "annotation");

    // A baseline lets annotations exempt Advisory checks only, unless it says otherwise.
    let advisory = baseline_selecting_all(&dir, "default-policy", "");
    let output = palisade(&["audit", "-f", &manifests, "--baseline", &advisory, "-o", "json"]);
    assert_eq!(code(&output), 1, "the Required check fails");
    let report = json(&output);
    assert_eq!(exempted(&report), ["pod.read-only-root-fs"]);
    let privileged = items(&report, "findings")
        .iter()
        .find(|finding| finding["check"] == "pod.privileged")
        .expect("pod.privileged fails");
    let message = privileged["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("a Required check needs a baseline exception"),
        "{message}"
    );

    let all = baseline_selecting_all(&dir, "all", ", annotationExemptions: All");
    let output = palisade(&["audit", "-f", &manifests, "--baseline", &all, "-o", "json"]);
    assert_eq!(exempted(&json(&output)), ["pod.privileged", "pod.read-only-root-fs"]);

    let none = baseline_selecting_all(&dir, "none", ", annotationExemptions: None");
    let report = json(&palisade(&[
        "audit",
        "-f",
        &manifests,
        "--baseline",
        &none,
        "-o",
        "json",
    ]));
    assert!(exempted(&report).is_empty());
    assert!(has_finding(&report, "findings", "pod.privileged", "DaemonSet", "cni"));
    assert!(has_finding(
        &report,
        "findings",
        "pod.read-only-root-fs",
        "DaemonSet",
        "cni"
    ));
}

#[test]
fn malformed_exemptions_exempt_nothing_and_are_reported() {
    let dir = scratch("malformed-exemptions");
    let pod = |name: &str, annotations: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, annotations: {{{annotations}}}}}\n\
             spec: {{containers: [{{name: c, image: x:1, securityContext: {{privileged: true}}}}]}}\n---\n"
        )
    };
    let cases = [
        (
            "no-reason",
            "palisade.dev/exempt: pod.privileged",
            "palisade.dev/exempt-reason is missing or blank",
        ),
        (
            "blank-reason",
            "palisade.dev/exempt: pod.privileged, palisade.dev/exempt-reason: ' '",
            "palisade.dev/exempt-reason is missing or blank",
        ),
        (
            "everything",
            "palisade.dev/exempt: '*', palisade.dev/exempt-reason: r",
            "\"*\" is not confined to one area",
        ),
        (
            "cross-area",
            "palisade.dev/exempt: '*.privileged', palisade.dev/exempt-reason: r",
            "\"*.privileged\" is not confined to one area",
        ),
        (
            "unknown-id",
            "palisade.dev/exempt: 'pod.privileged, pod.privilegd', palisade.dev/exempt-reason: r",
            "\"pod.privilegd\" is not a check id",
        ),
    ];
    let text: String = cases
        .iter()
        .map(|(name, annotations, _)| pod(name, annotations))
        .collect();
    let manifests = write(&dir, "pods.yaml", &text);
    // The built-in profile lets annotations exempt anything: still nothing is exempted.
    let output = palisade(&["audit", "-f", &manifests, "-o", "json"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    assert_eq!(items(&report, "excepted"), &[] as &[Value]);
    for (name, _, problem) in cases {
        assert!(
            has_finding(&report, "findings", "pod.privileged", "Pod", name),
            "{name}"
        );
        let invalid = items(&report, "findings")
            .iter()
            .find(|finding| finding["check"] == "meta.invalid-exemption" && finding["resource"]["name"] == name)
            .unwrap_or_else(|| panic!("{name}: the malformed exemption is reported"));
        let message = invalid["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("palisade.dev/exempt exempts nothing: ") && message.contains(problem),
            "{name}: {message}"
        );
        assert_eq!(invalid["mode"], "Advisory");
    }
}

#[test]
fn expired_exceptions_cover_nothing_and_are_reported() {
    let dir = scratch("expired");
    let baseline = write(
        &dir,
        "baseline.yaml",
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {name: shop}\n\
         spec:\n  namespaces: [shop]\n  profile: restricted\n  \
         exceptions: [{checks: [pod.privileged], reason: 'migration done by then', expires: '2020-01-01T00:00:00Z'}]\n",
    );
    let output = palisade(&["audit", "-f", INSECURE, "--baseline", &baseline, "-o", "json"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    assert!(has_finding(&report, "findings", "pod.privileged", "Deployment", "web"));
    assert_eq!(report["summary"]["expiredExceptions"], 1);
    assert!(
        stderr(&output).contains("warning: --baseline: exceptions[0] (pod.privileged) expired at 2020-01-01T00:00:00Z"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_baselines_exit_2_listing_the_problems() {
    let dir = scratch("bad-baseline");
    let unknown = write(
        &dir,
        "unknown.yaml",
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {name: b}\n\
         spec:\n  namespaces: [shop]\n  profile: restricted\n  checks: [{id: pod.privilegd, mode: Disabled}]\n  \
         exceptions: [{checks: [pod.privileged], reason: '  ', expires: '2099-01-01T00:00:00Z'}]\n",
    );
    let output = palisade(&["audit", "-f", INSECURE, "--baseline", &unknown]);
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).is_empty());
    let errors = stderr(&output);
    assert!(errors.contains("pod.privilegd"), "{errors}");
    assert!(errors.contains("exceptions[0].reason must not be empty"), "{errors}");

    let no_expiry = write(
        &dir,
        "no-expiry.yaml",
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {name: b}\n\
         spec: {namespaces: [shop], profile: restricted, exceptions: [{checks: [pod.privileged], reason: r}]}\n",
    );
    let output = palisade(&["audit", "-f", INSECURE, "--baseline", &no_expiry]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("expires"), "{}", stderr(&output));

    let output = palisade(&["audit", "-f", INSECURE, "--baseline", INSECURE]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("HardeningBaseline"), "{}", stderr(&output));

    let output = palisade(&["audit", "-f", INSECURE, "--baseline", "no/such/baseline.yaml"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("no/such/baseline.yaml"), "{}", stderr(&output));
}

#[test]
fn sarif_is_valid_2_1_0_with_rules_results_and_suppressions() {
    let output = palisade(&["audit", "-f", INSECURE, "--baseline", BASELINE, "-o", "sarif"]);
    assert_eq!(code(&output), 1);
    let sarif = json(&output);
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "palisade");
    assert!(driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().expect("rules");
    let results = runs[0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for rule in rules {
        for key in ["id", "name", "shortDescription", "fullDescription", "help"] {
            assert!(rule.get(key).is_some(), "{key} missing in {rule}");
        }
        let severity = rule["properties"]["security-severity"]
            .as_str()
            .expect("security-severity");
        assert!(["9.5", "8.0", "5.5", "3.0", "0.0"].contains(&severity));
        assert!(rule["properties"]["tags"].is_array());
        let help_uri = rule["helpUri"].as_str().expect("helpUri");
        assert!(
            help_uri.ends_with(&format!("docs/checks.md#{}", rule["id"].as_str().unwrap_or_default())),
            "{help_uri}"
        );
    }
    let rule_ids: Vec<&str> = rules.iter().filter_map(|rule| rule["id"].as_str()).collect();
    for result in results {
        let rule_id = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rule_ids.get(index), Some(&rule_id));
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap_or_default()));
        assert!(result["message"]["text"].is_string());
        let location = &result["locations"][0];
        assert_eq!(location["physicalLocation"]["artifactLocation"]["uri"], INSECURE);
        assert!(
            location["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .is_some_and(|line| line >= 1),
            "{location}"
        );
        assert!(location["logicalLocations"][0]["fullyQualifiedName"].is_string());
    }
    let privileged = results
        .iter()
        .find(|result| result["ruleId"] == "pod.privileged")
        .expect("a pod.privileged result");
    assert_eq!(privileged["level"], "error");
    assert_eq!(
        privileged["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "shop/Deployment/web"
    );
    let suppressed = results
        .iter()
        .find(|result| result["ruleId"] == "pod.runtime-socket")
        .expect("the excepted finding is a result");
    assert_eq!(suppressed["suppressions"][0]["kind"], "external");
    assert!(
        suppressed["suppressions"][0]["justification"]
            .as_str()
            .is_some_and(|text| text.contains("SHOP-481"))
    );
    assert!(privileged.get("suppressions").is_none());
    assert_eq!(runs[0]["invocations"][0]["executionSuccessful"], true);
}

/// Distinctive values that must never be printed.
const SECRET_DATA: &str = "ZGF0YS1zZWNyZXQtdmFsdWUtUTdYOQ=="; // base64 of data-secret-value-Q7X9
const SECRET_DATA_DECODED: &str = "data-secret-value-Q7X9";
const SECRET_STRING_DATA: &str = "stringdata-secret-K2M8";
const LITERAL_ENV: &str = "literal-env-value-P4W6";
const BROKEN_SECRET_VALUE: &str = "904512773318";
const BROKEN_ENV_VALUE: &str = "771263309948";
const BROKEN_ENV_STRING: &str = "env-in-a-list-Z5R1";
const CLOUD_KEY: &str = "AKIAZ7Q4J2M8K3Y9P6WX";

#[test]
fn no_secret_or_literal_env_value_is_ever_printed() {
    let dir = scratch("secrets");
    let manifests = write(
        &dir,
        "leaky.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: shop}}\n\
             data: {{password: {SECRET_DATA}}}\nstringData: {{token: {SECRET_STRING_DATA}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: shop}}\nspec:\n  selector: {{}}\n  template:\n    spec:\n      \
             containers: [{{name: api, image: api:latest, env: [{{name: DB_PASSWORD, value: {LITERAL_ENV}}}, {{name: API_TOKEN, value: {LITERAL_ENV}}}]}}]\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata: {{name: broken, namespace: shop}}\ntype: 12\ndata: {{key: {BROKEN_SECRET_VALUE}}}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {{name: int-env, namespace: shop}}\n\
             spec: {{containers: [{{name: c, image: x, env: [{{name: PASSWORD, value: {BROKEN_ENV_VALUE}}}]}}]}}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {{name: list-env, namespace: shop}}\n\
             spec: {{containers: [{{name: c, image: x, env: [\"{BROKEN_ENV_STRING}\"]}}]}}\n---\n\
             apiVersion: v1\nkind: List\nitems: [{{apiVersion: v1, kind: Secret, metadata: {{name: listed}}, data: [{BROKEN_SECRET_VALUE}]}}]\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata: {{name: aws, namespace: shop}}\nstringData: {{aws_access_key_id: {CLOUD_KEY}}}\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata: {{name: aws-copy, namespace: billing}}\nstringData: {{aws_access_key_id: {CLOUD_KEY}}}\n"
        ),
    );
    let forbidden = [
        SECRET_DATA,
        SECRET_DATA_DECODED,
        SECRET_STRING_DATA,
        LITERAL_ENV,
        BROKEN_SECRET_VALUE,
        BROKEN_ENV_VALUE,
        BROKEN_ENV_STRING,
        CLOUD_KEY,
    ];
    let mut runs = 0;
    for format in ["table", "json", "sarif"] {
        for content_checks in [false, true] {
            let mut args = vec!["audit", "-f", manifests.as_str(), "-o", format];
            if content_checks {
                args.push("--content-checks");
            }
            let output = palisade(&args);
            assert_eq!(code(&output), 2, "the broken objects are input errors");
            let printed = format!("{}{}", stdout(&output), stderr(&output));
            assert!(
                printed.contains("literal"),
                "the literal env var is reported: {printed}"
            );
            // Checks that read secret values run only with --content-checks.
            assert_eq!(
                printed.contains("secret.cloud-credentials"),
                content_checks,
                "{printed}"
            );
            for value in forbidden {
                assert!(!printed.contains(value), "{value} printed with -o {format}:\n{printed}");
            }
            runs += 1;
        }
    }
    assert_eq!(runs, 6);
    // Through stdin too.
    let text = std::fs::read_to_string(&manifests).expect("fixture");
    let output = palisade_with_stdin(&["audit", "-f", "-", "-o", "json", "--content-checks"], Some(&text));
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    for value in forbidden {
        assert!(!printed.contains(value), "{value} printed:\n{printed}");
    }
}

#[test]
fn examples_values_are_not_printed() {
    for format in ["table", "json", "sarif"] {
        let output = palisade(&["audit", "-f", "examples/audit", "-o", format, "--content-checks"]);
        let printed = format!("{}{}", stdout(&output), stderr(&output));
        for value in ["Sup3r-Literal-Env-Passw0rd", "Str1ngData-Secret-Value-4242"] {
            assert!(!printed.contains(value), "{value} printed with -o {format}");
        }
    }
}

#[test]
fn checks_json_carries_every_catalog_id_and_the_documented_keys() {
    let output = palisade(&["checks", "-o", "json"]);
    assert_eq!(code(&output), 0);
    let checks = json(&output);
    let checks = checks.as_array().expect("an array");
    let ids: Vec<&str> = checks.iter().filter_map(|check| check["id"].as_str()).collect();
    let catalog: Vec<&str> = palisade_checks::catalog().iter().map(|check| check.id).collect();
    assert_eq!(ids, catalog);
    for check in checks {
        for key in [
            "id",
            "title",
            "severity",
            "category",
            "pss",
            "pssControl",
            "cis",
            "nsa",
            "requiredIn",
            "failsWhen",
            "remediation",
            "readsSecretData",
        ] {
            assert!(check.get(key).is_some(), "{key} missing in {check}");
        }
        assert!(check["pss"].is_null() || ["baseline", "restricted"].contains(&check["pss"].as_str().unwrap_or("")));
        assert!(
            check["requiredIn"].is_null()
                || ["baseline", "restricted"].contains(&check["requiredIn"].as_str().unwrap_or(""))
        );
    }
}

#[test]
fn checks_table_lists_every_check() {
    let output = palisade(&["checks"]);
    assert_eq!(code(&output), 0);
    let table = stdout(&output);
    let header = table.lines().next().expect("a header");
    assert!(header.starts_with("ID") && header.contains("SEVERITY") && header.ends_with("TITLE"));
    for check in palisade_checks::catalog() {
        assert!(
            table.lines().any(|line| line.starts_with(&format!("{} ", check.id))),
            "{}",
            check.id
        );
    }
}

#[test]
fn checks_markdown_is_the_committed_reference_page() {
    let output = palisade(&["checks", "-o", "markdown"]);
    assert_eq!(code(&output), 0);
    let committed = std::fs::read_to_string(workspace().join("docs/checks.md")).expect("docs/checks.md");
    assert!(stdout(&output) == committed, "docs/checks.md is stale: run 'make docs'");
}

#[test]
fn baseline_fields_that_admission_would_prune_or_that_do_not_parse_are_named_by_path() {
    let dir = scratch("baseline-fields");
    let baseline = write(
        &dir,
        "baseline.yaml",
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {name: shop}\nspec:\n  namespaces: [shop]\n  \
         profile: baseline\n  allowAnnotationExemptions: false\n  thresholds: {minScor: 80}\n  exceptions:\n  \
         - {checks: [pod.privileged], reason: r, expiress: '2030-01-01T00:00:00Z', expires: '2030-02-30T00:00:00Z'}\n",
    );
    let output = palisade(&["audit", "-f", INSECURE, "--baseline", &baseline]);
    assert_eq!(code(&output), 2);
    assert_eq!(stdout(&output), "", "nothing is audited");
    let error = stderr(&output);
    for named in [
        "spec.allowAnnotationExemptions: unknown field",
        "spec.thresholds.minScor: unknown field",
        "spec.exceptions[0].expiress: unknown field",
        "spec.exceptions[0].expires: ",
    ] {
        assert!(error.contains(named), "{named:?} in:\n{error}");
    }
}

#[test]
fn a_baseline_governs_only_the_namespaces_it_selects_and_the_summary_says_so() {
    let dir = scratch("governed");
    let manifests = write(
        &dir,
        "apps.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {tier: prod}}\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata: {name: blog}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: c, image: x:1}]}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: blog}\nspec: {containers: [{name: c, image: x:1}]}\n",
    );
    let baseline = write(
        &dir,
        "baseline.yaml",
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {name: prod}\n\
         spec: {namespaceSelector: {matchLabels: {tier: prod}}, profile: baseline}\n",
    );
    let output = palisade(&["audit", "-f", &manifests, "--baseline", &baseline, "-o", "json"]);
    let report = json(&output);
    let summary = &report["summary"];
    assert_eq!(summary["baseline"], "prod");
    assert_eq!(
        summary["governed"],
        serde_json::json!([
            {"baseline": "prod", "namespaces": ["shop"], "clusterScoped": false, "score": summary["governed"][0]["score"]},
            {"baseline": "restricted (built-in)", "namespaces": ["blog"], "clusterScoped": false, "score": summary["governed"][1]["score"]},
        ])
    );
    // runAsNonRoot is Advisory at the baseline profile and Required at restricted.
    let mode_in = |namespace: &str| {
        items(&report, "findings")
            .iter()
            .find(|finding| finding["check"] == "pod.run-as-non-root" && finding["resource"]["namespace"] == namespace)
            .map(|finding| finding["mode"].clone())
    };
    assert_eq!(mode_in("shop"), Some(Value::from("Advisory")));
    assert_eq!(mode_in("blog"), Some(Value::from("Required")));

    let table = stdout(&palisade(&["audit", "-f", &manifests, "--baseline", &baseline]));
    assert!(table.contains("governed: prod (score "), "{table}");
    assert!(table.contains("): shop; restricted (built-in) (score "), "{table}");

    // A baseline that selects nothing audited says so.
    let elsewhere = write(
        &dir,
        "elsewhere.yaml",
        "apiVersion: palisade.dev/v1alpha1\nkind: HardeningBaseline\nmetadata: {name: elsewhere}\n\
         spec: {namespaces: [payments], profile: baseline}\n",
    );
    let output = palisade(&["audit", "-f", &manifests, "--baseline", &elsewhere, "-o", "json"]);
    assert!(
        stderr(&output).contains("--baseline \"elsewhere\" selects none of the audited namespaces"),
        "{}",
        stderr(&output)
    );
    let governed = &json(&output)["summary"]["governed"];
    assert_eq!(governed.as_array().map(Vec::len), Some(1));
    assert_eq!(governed[0]["namespaces"], serde_json::json!(["blog", "shop"]));
}

/// A Namespace (its document's content on line 2) and a privileged Deployment (line 6), with
/// escape sequences in a container name and an annotation.
const LINES_AND_ESCAPES: &str = "# shop\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
     apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  \
     annotations: {palisade.dev/exempt: pod.host-path, palisade.dev/exempt-reason: \"ops\\e]0;pwned\\a\"}\n\
     spec:\n  selector: {}\n  template:\n    spec:\n      \
     containers: [{name: \"evil\\e[2J\", image: nginx, securityContext: {privileged: true}}]\n      \
     volumes: [{name: logs, hostPath: {path: /var/log}}]\n";

#[test]
fn findings_name_the_line_their_resource_starts_at() {
    let dir = scratch("lines");
    let file = write(&dir, "shop.yaml", LINES_AND_ESCAPES);
    let report = json(&palisade(&["audit", "-f", &file, "-o", "json"]));
    let line_of = |kind: &str| {
        items(&report, "findings")
            .iter()
            .find(|finding| finding["resource"]["kind"] == kind)
            .map(|finding| finding["line"].clone())
    };
    assert_eq!(line_of("Namespace"), Some(Value::from(2)), "{report:#}");
    assert_eq!(line_of("Deployment"), Some(Value::from(6)), "{report:#}");

    let sarif = json(&palisade(&["audit", "-f", &file, "-o", "sarif"]));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let deployment = results
        .iter()
        .find(|result| result["ruleId"] == "pod.privileged")
        .expect("pod.privileged fails");
    assert_eq!(deployment["locations"][0]["physicalLocation"]["region"]["startLine"], 6);
}

#[test]
fn the_table_escapes_control_characters_marks_modes_and_lists_exceptions_and_fixes() {
    let dir = scratch("escapes");
    let file = write(&dir, "shop.yaml", LINES_AND_ESCAPES);
    let output = palisade(&["audit", "-f", &file]);
    let table = stdout(&output);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "raw control characters:\n{table}"
    );
    assert!(table.contains("evil\\u{1b}[2J"), "{table}");
    let header = table.lines().next().expect("a header");
    assert!(
        header.starts_with("SEVERITY   MODE ") && header.contains("LOCATION"),
        "{header}"
    );
    let privileged = table
        .lines()
        .find(|line| line.contains("pod.privileged"))
        .expect("a pod.privileged row");
    assert!(
        privileged.contains("Required") && privileged.contains(&format!("{file}:6")),
        "{privileged}"
    );
    // The annotation exempts pod.host-path: listed with its (escaped) reason, never only counted.
    assert!(table.contains("\nExcepted (1):\n"), "{table}");
    let excepted = table
        .lines()
        .find(|line| line.contains("pod.host-path"))
        .expect("the excepted finding");
    assert!(
        excepted.contains("annotation") && excepted.contains("ops\\u{1b}]0;pwned\\u{7}"),
        "{excepted}"
    );
    assert!(
        table.contains("\nHow to fix (in full: docs/checks.md, palisade checks -o json):\n"),
        "{table}"
    );
    assert!(table.contains("\nNamespaces with findings:\n"), "{table}");
    // Piped output is never colored.
    let colored = palisade(&["audit", "-f", INSECURE]);
    assert!(!stdout(&colored).contains('\u{1b}'));
    // Problems name their file escaped too.
    let broken = write(&dir, "bad\u{1b}[2J.yaml", "kind: [unclosed\n");
    let output = palisade(&["audit", "-f", &broken, "-f", &file]);
    assert_eq!(code(&output), 2);
    let errors = stderr(&output);
    assert!(
        !errors.contains('\u{1b}') && errors.contains("bad\\u{1b}[2J.yaml: document 1: "),
        "{errors}"
    );
}

#[test]
fn json_lists_each_namespace_with_its_counts_and_score() {
    let report = json(&palisade(&["audit", "-f", INSECURE, "-o", "json"]));
    let namespaces = items(&report, "namespaces");
    let shop = namespaces
        .iter()
        .find(|namespace| namespace["namespace"] == "shop")
        .expect("shop is evaluated");
    let in_shop = items(&report, "findings")
        .iter()
        .filter(|finding| finding["resource"]["namespace"] == "shop")
        .count();
    assert_eq!(shop["failing"].as_u64(), Some(in_shop as u64));
    assert!(shop["score"].as_i64().is_some_and(|score| (0..100).contains(&score)));
    for key in ["required", "critical", "high", "medium", "low", "info", "excepted"] {
        assert!(shop[key].is_u64(), "{key} missing in {shop}");
    }
}

#[test]
fn only_and_skip_choose_the_checks_evaluated_and_scored() {
    let run = |args: &[&str]| {
        let mut all = vec!["audit", "-f", INSECURE, "-o", "json"];
        all.extend_from_slice(args);
        json(&palisade(&all))
    };
    let checks = |report: &Value| -> BTreeSet<String> {
        items(report, "findings")
            .iter()
            .map(|finding| finding["check"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let everything = run(&[]);
    assert!(checks(&everything).len() > 2);

    let only = run(&["--only", "pod.privileged"]);
    assert_eq!(checks(&only), BTreeSet::from(["pod.privileged".to_string()]));
    // Scored over pod.privileged alone, which fails.
    assert_eq!(only["summary"]["score"], 0);

    let several = run(&["--only", "pod.privileged,image.*", "--only", "svc.public-load-balancer"]);
    assert!(
        checks(&several).iter().all(|check| check == "pod.privileged"
            || check.starts_with("image.")
            || check == "svc.public-load-balancer"),
        "{several:#}"
    );
    assert!(checks(&several).contains("svc.public-load-balancer"));

    let skipped = run(&["--skip", "pod.*"]);
    assert!(!checks(&skipped).is_empty());
    assert!(
        checks(&skipped).iter().all(|check| !check.starts_with("pod.")),
        "{skipped:#}"
    );
    assert!(
        items(&skipped, "excepted")
            .iter()
            .all(|item| !item["check"].as_str().unwrap_or_default().starts_with("pod."))
    );

    for (flag, pattern) in [("--only", "pss.*"), ("--skip", "pod.privilegd")] {
        let output = palisade(&["audit", "-f", INSECURE, flag, pattern]);
        assert_eq!(code(&output), 2);
        assert!(stdout(&output).is_empty());
        assert!(
            stderr(&output).contains(&format!("{flag} \"{pattern}\" matches no check")),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn junit_has_a_suite_per_check_with_failures_and_skipped_exceptions() {
    let output = palisade(&["audit", "-f", INSECURE, "--baseline", BASELINE, "-o", "junit"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let xml = stdout(&output);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "),
        "{xml}"
    );
    assert!(xml.trim_end().ends_with("</testsuites>"));
    assert!(xml.contains(r#"<testsuite name="pod.privileged" "#), "{xml}");
    assert!(
        xml.contains(r#"<testcase classname="pod.privileged" name="shop/Deployment/web [nginx]""#),
        "{xml}"
    );
    assert!(xml.contains("<failure message="));
    assert!(xml.contains(r#"<skipped message="excepted by exceptions[0] (team-shop) until 2099-12-31T00:00:00Z: "#));
    assert_eq!(xml.matches("<testsuite ").count(), xml.matches("</testsuite>").count());
    let cases = xml.matches("<testcase ").count();
    assert_eq!(
        cases,
        xml.matches("</testcase>").count() + xml.matches("\"/>\n").count(),
        "{xml}"
    );

    // Input errors are an errored suite.
    let dir = scratch("junit-errors");
    let broken = write(&dir, "broken.yaml", "kind: [unclosed\n");
    let output = palisade(&["audit", "-f", &broken, "-f", INSECURE, "-o", "junit"]);
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).contains(r#"<testsuite name="palisade.input" tests="1" failures="0" errors="1""#));
}

#[test]
fn sarif_reports_input_errors_as_notifications() {
    let dir = scratch("sarif-errors");
    let broken = write(&dir, "broken.yaml", "kind: [unclosed\n");
    let output = palisade(&["audit", "-f", &broken, "-f", INSECURE, "-o", "sarif"]);
    assert_eq!(code(&output), 2);
    let invocation = &json(&output)["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0]["level"], "error");
    assert!(
        notifications[0]["message"]["text"]
            .as_str()
            .is_some_and(|text| text.starts_with(&format!("{broken}: document 1: "))),
        "{invocation}"
    );
}

/// A pod whose container's securityContext arrives through a YAML merge key.
const MERGED_PRIVILEGED: &str = concat!(
    "apiVersion: v1\nkind: Pod\nmetadata: {name: merged, namespace: shop}\nspec:\n  containers:\n",
    "  - name: c\n    image: nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
    "    securityContext:\n      <<: &danger {privileged: true}\n      runAsNonRoot: true\n",
);

#[test]
fn merge_keys_are_applied_as_kubectl_applies_them() {
    let output = palisade_with_stdin(&["audit", "-f", "-", "-o", "json"], Some(MERGED_PRIVILEGED));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(has_finding(
        &json(&output),
        "findings",
        "pod.privileged",
        "Pod",
        "merged"
    ));
}

#[test]
fn every_broken_document_is_reported_and_the_documents_after_it_are_read() {
    let broken = [
        "kind: [unclosed\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec: {terminationGracePeriodSeconds: 99999999999999999999999}\n",
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
         d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
        &format!("deep: {}{}\n", "[".repeat(5000), "]".repeat(5000)),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: twice}\nmetadata: {name: again}\n",
    ];
    let mut text = String::new();
    for document in broken {
        text.push_str(document);
        text.push_str("---\n");
    }
    text.push_str(MERGED_PRIVILEGED);
    let dir = scratch("broken-documents");
    let file = write(&dir, "stream.yaml", &text);
    let output = palisade(&["audit", "-f", &file, "-o", "json"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let errors = stderr(&output);
    for document in 1..=broken.len() {
        assert!(errors.contains(&format!("{file}: document {document}: ")), "{errors}");
    }
    assert!(
        !errors.contains(&format!("document {}: ", broken.len() + 1)),
        "{errors}"
    );
    assert!(has_finding(
        &json(&output),
        "findings",
        "pod.privileged",
        "Pod",
        "merged"
    ));
}

#[test]
fn type_errors_name_the_field_path_and_never_the_value() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: hunter2}\n";
    let output = palisade_with_stdin(&["audit", "-f", "-"], Some(text));
    assert_eq!(code(&output), 2);
    let errors = stderr(&output);
    assert!(
        errors.contains("invalid Pod: spec.containers[0].securityContext.privileged: invalid type: string"),
        "{errors}"
    );
    assert!(
        errors.contains("expected a boolean") && !errors.contains("hunter2"),
        "{errors}"
    );
}

#[test]
fn no_objects_at_all_is_an_input_error() {
    for stdin in ["", "# nothing rendered\n---\n", "\n\n"] {
        let output = palisade_with_stdin(&["audit", "-f", "-"], Some(stdin));
        assert_eq!(code(&output), 2, "{stdin:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("no Kubernetes objects in the input"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn non_regular_and_oversized_files_are_skipped_with_a_message() {
    let dir = scratch("special-files");
    let pod = write(&dir, "pod.yaml", MERGED_PRIVILEGED);
    let fifo = dir.join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    // A FIFO nobody writes to would block a reader forever: the run must finish regardless.
    let output = palisade(&["audit", "-f", &dir.to_string_lossy(), "-o", "json"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("pipe.yaml: not a regular file (a FIFO)"),
        "{}",
        stderr(&output)
    );
    assert!(has_finding(
        &json(&output),
        "findings",
        "pod.privileged",
        "Pod",
        "merged"
    ));

    let limited = palisade(&["audit", "-f", &pod, "--max-file-size", "100"]);
    assert_eq!(code(&limited), 2);
    assert!(
        stderr(&limited).contains("larger than the 100-byte limit"),
        "{}",
        stderr(&limited)
    );
    let raised = palisade(&["audit", "-f", &pod, "--max-file-size", "1Mi"]);
    assert_eq!(code(&raised), 1, "{}", stderr(&raised));
    let stdin_limited = palisade_with_stdin(&["audit", "-f", "-", "--max-file-size", "100"], Some(MERGED_PRIVILEGED));
    assert_eq!(code(&stdin_limited), 2);
}

#[test]
fn only_and_skip_apply_where_the_baseline_file_does_not_govern_too() {
    let output = palisade(&[
        "audit",
        "-f",
        "examples/audit",
        "--baseline",
        BASELINE,
        "--only",
        "pod.privileged",
        "-o",
        "json",
    ]);
    let report = json(&output);
    let findings = items(&report, "findings");
    assert!(!findings.is_empty(), "{}", stderr(&output));
    assert!(
        findings.iter().all(|finding| finding["check"] == "pod.privileged"),
        "{findings:?}"
    );
    let skipped = json(&palisade(&[
        "audit",
        "-f",
        "examples/audit",
        "--baseline",
        BASELINE,
        "--skip",
        "pod.*",
        "-o",
        "json",
    ]));
    let checks: BTreeSet<&str> = items(&skipped, "findings")
        .iter()
        .filter_map(|finding| finding["check"].as_str())
        .collect();
    assert!(
        !checks.is_empty() && checks.iter().all(|check| !check.starts_with("pod.")),
        "{checks:?}"
    );
}
