//! Writes a deterministic corpus of mixed manifests for the offline-audit benchmark: one file per
//! namespace, each holding its Namespace and a mix of workloads (pod templates from the seeded
//! PSS generator), Services, ConfigMaps, Secrets, ServiceAccounts, RBAC and NetworkPolicies.
//!
//! Usage: `gen_manifests DIR [COUNT]` (COUNT defaults to 10000 manifests), or
//! `gen_manifests --list FILE PODS`: one `List` document of PODS seeded pods, 20 per namespace, as
//! `kubectl get pods -A -o yaml` would print them (for memory against input size).

use std::io::Write;
use std::path::PathBuf;

use palisade_podgen::PodGenerator;
use serde_json::{Value, json};

const MANIFESTS_PER_NAMESPACE: usize = 20;
const SEED: u64 = 0x5EED_BE4C;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    if args.next_if(|arg| arg == "--list").is_some() {
        let file = PathBuf::from(args.next().unwrap_or_else(|| usage()));
        let pods = args
            .next()
            .and_then(|pods| pods.parse().ok())
            .unwrap_or_else(|| usage());
        return write_list(&file, pods);
    }
    let dir = PathBuf::from(args.next().unwrap_or_else(|| usage()));
    let count: usize = args
        .next()
        .map_or(10_000, |count| count.parse().unwrap_or_else(|_| usage()));
    std::fs::create_dir_all(&dir)?;
    let mut generator = PodGenerator::new(SEED);
    let namespaces = count.div_ceil(MANIFESTS_PER_NAMESPACE);
    let mut written = 0;
    for namespace_index in 0..namespaces {
        let namespace = format!("team-{namespace_index:04}");
        let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{namespace}.yaml")))?);
        for slot in 0..MANIFESTS_PER_NAMESPACE.min(count - written) {
            let manifest = manifest(slot, &namespace, &mut generator);
            writeln!(file, "---")?;
            serde_saphyr::to_io_writer(&mut file, &manifest).map_err(std::io::Error::other)?;
            written += 1;
        }
        file.flush()?;
    }
    eprintln!("wrote {written} manifests in {namespaces} files to {}", dir.display());
    Ok(())
}

fn usage() -> ! {
    eprintln!("usage: gen_manifests DIR [COUNT] | gen_manifests --list FILE PODS");
    std::process::exit(2)
}

fn write_list(file: &std::path::Path, pods: usize) -> std::io::Result<()> {
    let mut generator = PodGenerator::new(SEED);
    let items: Vec<Value> = (0..pods)
        .map(|index| {
            let mut pod = generator.next_pod(&format!("pod-{index:06}"));
            pod["metadata"]["namespace"] = json!(format!("team-{:04}", index / MANIFESTS_PER_NAMESPACE));
            pod
        })
        .collect();
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    serde_saphyr::to_io_writer(&mut out, &list).map_err(std::io::Error::other)?;
    out.flush()?;
    eprintln!("wrote a List of {pods} pods to {}", file.display());
    Ok(())
}

/// The kind at each slot of a namespace's file: about half workloads, half other objects.
fn manifest(slot: usize, namespace: &str, generator: &mut PodGenerator) -> Value {
    let name = format!("obj-{slot:02}");
    let metadata = json!({"name": name, "namespace": namespace, "labels": {"app": name}});
    match slot {
        0 => json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace,
            "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}),
        1..=5 => workload("apps/v1", "Deployment", metadata, generator, &name),
        6 | 7 => workload("apps/v1", "StatefulSet", metadata, generator, &name),
        8 => workload("apps/v1", "DaemonSet", metadata, generator, &name),
        9 => workload("batch/v1", "Job", metadata, generator, &name),
        10 => {
            let job = workload("batch/v1", "Job", metadata.clone(), generator, &name);
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata,
                "spec": {"schedule": "@hourly", "jobTemplate": {"spec": job["spec"]}}})
        }
        11 => {
            let mut pod = generator.next_pod(&name);
            pod["metadata"]["namespace"] = json!(namespace);
            pod
        }
        12 | 13 => json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": {
            "type": if slot == 12 { "ClusterIP" } else { "LoadBalancer" },
            "selector": {"app": "obj-01"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
        14 => json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"LOG_LEVEL": "info"}}),
        15 => json!({"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "stringData": {"password": format!("bench-{namespace}")}}),
        16 => json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}),
        17 => json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": metadata,
            "rules": [{"apiGroups": [""], "resources": ["secrets", "pods"], "verbs": ["get", "list", "watch"]}]}),
        18 => json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "obj-17"},
            "subjects": [{"kind": "ServiceAccount", "name": "obj-16", "namespace": namespace}]}),
        _ => json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata,
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
    }
}

fn workload(api_version: &str, kind: &str, metadata: Value, generator: &mut PodGenerator, name: &str) -> Value {
    let pod = generator.next_pod(name);
    let mut template_metadata = pod["metadata"].clone();
    template_metadata["labels"] = json!({"app": name});
    let template = json!({"metadata": template_metadata, "spec": pod["spec"]});
    let spec = match kind {
        "Job" => json!({"template": template}),
        _ => json!({"selector": {"matchLabels": {"app": name}}, "template": template}),
    };
    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec})
}
