//! Property test over thousands of generated pods (`palisade-podgen`): the Pod Security
//! Standards verdicts and the whole catalog never panic, the restricted level only ever adds
//! violations to the baseline level, the PSS verdicts match the engine's findings, and no
//! finding repeats a literal env var value.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use palisade_checks::pss::{PssViolation, violations};
use palisade_checks::{AddOptions, Inventory, Params, PssLevel, catalog, evaluate_namespace};
use palisade_podgen::{PodGenerator, SECRET_VALUE_PREFIX};

const SEEDS: &[u64] = &[1, 2, 3, 0x5EED_CAFE, 0xDEAD_BEEF_0BAD_F00D];
const PODS_PER_SEED: usize = 1000;

/// Literal env var values the generator put in the pod.
fn literal_env_values(pod: &serde_json::Value) -> Vec<String> {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|list| pod["spec"][list].as_array())
        .flatten()
        .filter_map(|container| container["env"].as_array())
        .flatten()
        .filter_map(|env| env["value"].as_str())
        .map(str::to_string)
        .collect()
}

type Key = (String, Option<Arc<str>>, String);

fn keys(violations: &[PssViolation]) -> BTreeSet<Key> {
    violations
        .iter()
        .map(|v| (v.check.to_string(), v.container.clone(), v.message.to_string()))
        .collect()
}

/// Every problem found with one pod (empty when it satisfies all properties).
fn problems(value: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let pod: Pod = match serde_json::from_value(value.clone()) {
        Ok(pod) => pod,
        Err(error) => return vec![format!("does not deserialize into a Pod: {error}")],
    };
    let baseline = violations(&pod, PssLevel::Baseline);
    let restricted = violations(&pod, PssLevel::Restricted);
    let (baseline_keys, restricted_keys) = (keys(&baseline), keys(&restricted));
    for missing in baseline_keys.difference(&restricted_keys) {
        problems.push(format!("baseline violation missing at restricted: {missing:?}"));
    }

    let mut inventory = Inventory::default();
    if let Err(error) = inventory.add_object(value.clone(), &AddOptions::default()) {
        problems.push(format!("the inventory rejects the pod: {error}"));
        return problems;
    }
    let namespace = inventory
        .namespaces
        .get("default")
        .expect("the pod lands in the default namespace");
    let evaluation = evaluate_namespace(namespace, &inventory.cluster, &Params::default(), catalog());

    let pss_checks: BTreeSet<&str> = catalog()
        .iter()
        .filter(|check| check.pss_level().is_some())
        .map(|check| check.id)
        .collect();
    let engine_pss: BTreeSet<Key> = evaluation
        .findings
        .iter()
        .filter(|finding| pss_checks.contains(finding.check))
        .map(|finding| {
            (
                finding.check.to_string(),
                finding.container.clone(),
                finding.message.to_string(),
            )
        })
        .collect();
    if engine_pss != restricted_keys {
        problems.push(format!(
            "engine PSS findings {engine_pss:?} differ from pss::violations at restricted {restricted_keys:?}"
        ));
    }

    let secrets = literal_env_values(value);
    let messages = evaluation
        .findings
        .iter()
        .flat_map(|finding| [Some(finding.message.as_ref()), finding.container.as_deref()])
        .chain(
            restricted
                .iter()
                .flat_map(|v| [Some(v.message.as_ref()), v.container.as_deref()]),
        )
        .flatten();
    for message in messages {
        for secret in &secrets {
            if message.contains(secret.as_str()) {
                problems.push(format!("a finding repeats the env value {secret:?}: {message}"));
            }
        }
    }
    problems
}

#[test]
fn generated_pods_keep_the_pss_and_engine_properties() {
    let mut failures = Vec::new();
    let mut evaluated = 0;
    let mut with_secrets = 0;
    let mut levels_differ = 0;
    for &seed in SEEDS {
        let mut generator = PodGenerator::new(seed);
        for index in 0..PODS_PER_SEED {
            let value = generator.next_pod(&format!("pod-{seed:x}-{index}"));
            if literal_env_values(&value)
                .iter()
                .any(|v| v.starts_with(SECRET_VALUE_PREFIX))
            {
                with_secrets += 1;
            }
            if let Ok(pod) = serde_json::from_value::<Pod>(value.clone())
                && violations(&pod, PssLevel::Baseline).is_empty() != violations(&pod, PssLevel::Restricted).is_empty()
            {
                levels_differ += 1;
            }
            match catch_unwind(AssertUnwindSafe(|| problems(&value))) {
                Ok(found) if found.is_empty() => {}
                Ok(found) => failures.push(format!("{}\n  pod: {value}", found.join("\n  "))),
                Err(_) => failures.push(format!("panicked\n  pod: {value}")),
            }
            evaluated += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {evaluated} generated pods break a property:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        with_secrets > evaluated / 4,
        "only {with_secrets} pods carry literal env values"
    );
    assert!(
        levels_differ > evaluated / 20,
        "only {levels_differ} pods pass baseline but fail restricted"
    );
}

/// Kinds a pod template can arrive in, so mangled input reaches every loader path.
fn wrapped(pod: serde_json::Value, shape: u64) -> serde_json::Value {
    let template = serde_json::json!({"metadata": pod["metadata"], "spec": pod["spec"]});
    let metadata = serde_json::json!({"name": "w", "namespace": "ns"});
    match shape % 5 {
        0 => pod,
        1 => serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
            "spec": {"selector": {}, "template": template}}),
        2 => serde_json::json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata,
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}),
        3 => serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [pod]}),
        _ => serde_json::json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata,
            "spec": {"selector": {}, "template": template}}),
    }
}

/// Mangled manifests (values of the wrong shape anywhere) are rejected with an error or
/// evaluated, never a panic, and errors never quote a literal env value.
#[test]
fn mangled_manifests_never_panic_or_leak() {
    let mut generator = PodGenerator::new(0x0BAD_1DEA);
    let (mut accepted, mut rejected) = (0, 0);
    for index in 0..2000u64 {
        let pod = generator.next_pod(&format!("m-{index}"));
        let values = literal_env_values(&pod);
        let mut manifest = wrapped(pod, index);
        generator.mangle(&mut manifest);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut inventory = Inventory::default();
            match inventory.add_object(manifest.clone(), &AddOptions::default()) {
                Ok(_) => {
                    for namespace in inventory.namespaces.values() {
                        evaluate_namespace(namespace, &inventory.cluster, &Params::default(), catalog());
                    }
                    Ok(())
                }
                Err(error) => Err(error.to_string()),
            }
        }));
        match outcome {
            Ok(Ok(())) => accepted += 1,
            Ok(Err(message)) => {
                rejected += 1;
                let leaked: Vec<&String> = values.iter().filter(|value| message.contains(value.as_str())).collect();
                assert!(
                    leaked.is_empty(),
                    "error quotes literal env values {leaked:?}: {message}"
                );
            }
            Err(_) => panic!("panicked on manifest {manifest}"),
        }
    }
    eprintln!("mangled manifests: {accepted} accepted, {rejected} rejected");
    assert!(
        accepted > 100 && rejected > 100,
        "accepted {accepted}, rejected {rejected}: the mangling must exercise both"
    );
}
