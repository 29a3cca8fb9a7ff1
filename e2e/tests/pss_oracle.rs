//! The API server's Pod Security admission as the oracle for Palisade's Pod Security Standards
//! verdicts: hundreds of generated pods (`palisade-podgen`, fixed seed) are created with a
//! server-side dry run in namespaces that enforce `baseline` and `restricted`, at version
//! `latest` (the server's own, v1.37 with the pinned control plane) and at older versions pinned
//! by the `pod-security.kubernetes.io/enforce-version` label; for every pod the server judged,
//! Palisade, at the version it selects from the namespace's labels, must give the same verdict.

use std::collections::BTreeMap;
use std::time::Instant;

use k8s_openapi::api::core::v1::{Namespace, Pod};
use palisade_checks::PssLevel;
use palisade_checks::pss::{ENFORCE_VERSION_LABEL, PssVersion, admits_at};
use palisade_e2e::{kubectl, kubectl_ok, pss_violations, wait_for_default_service_account};
use palisade_podgen::{INVALID_ANNOTATION, PodGenerator};

const SEED: u64 = 0x0AC1_E5EE_D001;
const PODS: usize = 800;
/// Enforce-version labels: the server's own version and two older ones, before the v1.25
/// Windows exemptions and before the v1.31 to v1.37 changes (SELinux type, sysctls, probe
/// hosts, user namespaces).
const VERSIONS: &[&str] = &["latest", "v1.30", "v1.24"];

/// What the API server said about one pod.
#[derive(Clone, Debug)]
enum Verdict {
    Admitted,
    /// Denied by Pod Security admission, with the server's message.
    Denied(String),
    /// Rejected by validation before admission judged it.
    Invalid(String),
}

/// The server's verdict on every pod of `file` in `namespace`, from one `kubectl create
/// --dry-run=server` (kubectl keeps going after an error and reports each one).
fn server_verdicts(file: &str, namespace: &str) -> BTreeMap<String, Verdict> {
    let output = kubectl(&["create", "--dry-run=server", "-f", file, "-n", namespace]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut verdicts = BTreeMap::new();
    let mut unexpected = Vec::new();
    for line in stdout.lines() {
        match line
            .strip_prefix("pod/")
            .and_then(|rest| rest.strip_suffix(" created (server dry run)"))
        {
            Some(name) => {
                verdicts.insert(name.to_string(), Verdict::Admitted);
            }
            None => unexpected.push(line.to_string()),
        }
    }
    for error in stderr.split("Error from server").skip(1) {
        let error = error.lines().next().unwrap_or_default();
        let parsed = if let Some((_, rest)) = error.split_once("pods \"") {
            rest.split_once("\" is forbidden: ")
                .filter(|(_, message)| message.starts_with("violates PodSecurity"))
                .map(|(name, message)| (name, Verdict::Denied(message.to_string())))
        } else if let Some((_, rest)) = error.split_once("Pod \"") {
            rest.split_once("\" is invalid: ")
                .map(|(name, message)| (name, Verdict::Invalid(message.to_string())))
        } else {
            None
        };
        match parsed {
            Some((name, verdict)) => {
                if verdicts.insert(name.to_string(), verdict).is_some() {
                    unexpected.push(format!("two verdicts for {name}: {error}"));
                }
            }
            None => unexpected.push(error.to_string()),
        }
    }
    assert!(
        unexpected.is_empty(),
        "kubectl create in {namespace} printed what is neither a dry-run creation, a PodSecurity denial nor a validation error:\n{}",
        unexpected.join("\n")
    );
    verdicts
}

/// Creates a namespace enforcing the level at the version; returns it as Palisade reads it.
fn create_namespace(name: &str, level: PssLevel, version: &str, dir: &std::path::Path) -> Namespace {
    let namespace = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "pod-security.kubernetes.io/enforce": level.as_str(),
                ENFORCE_VERSION_LABEL: version,
            },
        },
    });
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, namespace.to_string()).expect("write the namespace manifest");
    kubectl_ok(&["apply", "-f", path.to_str().expect("utf-8 path")]);
    wait_for_default_service_account(name);
    serde_json::from_value(namespace).expect("the namespace deserializes")
}

#[test]
fn pss_oracle_palisade_agrees_with_pod_security_admission() {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("palisade-pss-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the temp dir");

    let mut generator = PodGenerator::new(SEED);
    let pods: BTreeMap<String, serde_json::Value> = (0..PODS)
        .map(|index| {
            let name = format!("pss-{index:04}");
            let pod = generator.next_pod(&name);
            (name, pod)
        })
        .collect();
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": pods.values().collect::<Vec<_>>(),
    });
    let file = dir.join("pods.json");
    std::fs::write(&file, list.to_string()).expect("write the pods");
    let file = file.to_str().expect("utf-8 path");

    let server: serde_json::Value =
        serde_json::from_str(&kubectl_ok(&["get", "--raw", "/version"])).expect("the server's /version is JSON");
    let server_version = format!(
        "v{}.{}",
        server["major"].as_str().unwrap_or_default(),
        server["minor"].as_str().unwrap_or_default().trim_end_matches('+')
    );
    assert_eq!(
        server_version,
        PssVersion::NEWEST.to_string(),
        "`latest` must mean the same version to the server and to Palisade"
    );

    let mut summary = Vec::new();
    let mut disagreements = Vec::new();
    let mut failures = Vec::new();
    let cases = VERSIONS
        .iter()
        .flat_map(|&version| [(PssLevel::Baseline, version), (PssLevel::Restricted, version)]);
    for (level, version_label) in cases {
        let namespace = format!("pss-oracle-{}-{}", level.as_str(), version_label.replace('.', "-"));
        let namespace_object = create_namespace(&namespace, level, version_label, &dir);
        let version = PssVersion::for_namespace(Some(&namespace_object), PssVersion::NEWEST);
        let level_started = Instant::now();
        let verdicts = server_verdicts(file, &namespace);
        let kubectl_time = level_started.elapsed();

        let (mut admitted, mut denied, mut invalid) = (0, 0, 0);
        let (mut windows_admitted, mut windows_denied) = (0, 0);
        let mut invalid_reasons: BTreeMap<String, usize> = BTreeMap::new();
        for (name, value) in &pods {
            let Some(verdict) = verdicts.get(name) else {
                failures.push(format!("{level:?} {version}: the server gave no verdict for {name}"));
                continue;
            };
            let broken = value["metadata"]["annotations"][INVALID_ANNOTATION].as_str();
            if let Some(how) = broken
                && !matches!(verdict, Verdict::Invalid(_))
            {
                failures.push(format!(
                    "{level:?} {version}: {name} is invalid on purpose ({how}) but the server gave {verdict:?}"
                ));
            }
            let server_admits = match verdict {
                Verdict::Admitted => true,
                Verdict::Denied(_) => false,
                Verdict::Invalid(message) => {
                    invalid += 1;
                    *invalid_reasons.entry(message.clone()).or_default() += 1;
                    continue;
                }
            };
            let windows = value["spec"]["os"]["name"] == "windows";
            if server_admits {
                admitted += 1;
                windows_admitted += usize::from(windows);
            } else {
                denied += 1;
                windows_denied += usize::from(windows);
            }
            let pod: Pod = serde_json::from_value(value.clone()).expect("generated pods deserialize");
            if admits_at(&pod, level, version) != server_admits {
                let server = match verdict {
                    Verdict::Denied(message) => format!("denied: {message}"),
                    _ => "admitted".to_string(),
                };
                let palisade = pss_violations(&pod, level, version);
                disagreements.push(format!(
                    "{level:?} {version} {name}\n  server:   {server}\n  palisade: {}\n  pod: {value}",
                    if palisade.is_empty() {
                        "admitted".to_string()
                    } else {
                        format!("denied: {}", palisade.join("; "))
                    }
                ));
            }
        }
        let judged = admitted + denied;
        summary.push(format!(
            "{level:?} {version}: {PODS} pods, {judged} judged ({admitted} admitted, {denied} denied; Windows pods \
             {windows_admitted} admitted, {windows_denied} denied), {invalid} invalid; kubectl took {:.1} s",
            kubectl_time.as_secs_f64()
        ));
        for (reason, count) in &invalid_reasons {
            summary.push(format!("  invalid x{count}: {reason}"));
        }
        if judged * 100 < PODS * 60 {
            failures.push(format!("{level:?} {version}: only {judged} of {PODS} pods were judged"));
        }
        if admitted == 0 || denied == 0 {
            failures.push(format!(
                "{level:?} {version}: the server admitted {admitted} and denied {denied}; both must occur"
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    summary.push(format!("total time {:.1} s", started.elapsed().as_secs_f64()));
    let summary = summary.join("\n");
    eprintln!("{summary}");
    assert!(failures.is_empty(), "{}\n{summary}", failures.join("\n"));
    assert!(
        disagreements.is_empty(),
        "Palisade disagrees with Pod Security admission on {} verdicts:\n{}\n{summary}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
