//! Drops every field no check reads before an object is stored: memory stays small at 10k+
//! pods, status-only updates compare equal to what is stored (so they change nothing), and no
//! value a report must never show (a literal env value, secret data, a last-applied copy of a
//! Secret) is kept in memory.

use k8s_openapi::api::core::v1::{Container, EnvVar, EphemeralContainer, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// What a stored literal env value is replaced with: checks only ask whether a value is a
/// literal (not only a `$(VAR)` reference), never what it is.
pub const LITERAL_ENV_VALUE: &str = "(literal value)";

/// The API server names each pod's projected service-account token volume with a random
/// suffix; without it, the replicas of a controller have equal specs (and share one).
const TOKEN_VOLUME_PREFIX: &str = "kube-api-access-";

/// `kubectl apply` (client-side) keeps a full copy of the object here, a Secret's data included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Keeps name, namespace, labels, annotations (but the last-applied copy), owner references and
/// (when `keep_created`) the creation time.
pub fn metadata(metadata: &mut ObjectMeta, keep_created: bool) {
    metadata.managed_fields = None;
    metadata.resource_version = None;
    metadata.uid = None;
    metadata.generation = None;
    metadata.generate_name = None;
    metadata.self_link = None;
    metadata.finalizers = None;
    metadata.deletion_grace_period_seconds = None;
    metadata.deletion_timestamp = None;
    if !keep_created {
        metadata.creation_timestamp = None;
    }
    if let Some(annotations) = metadata.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            metadata.annotations = None;
        }
    }
    if let Some(owners) = metadata.owner_references.as_mut() {
        for owner in owners.iter_mut() {
            owner.uid = String::new();
            owner.block_owner_deletion = None;
        }
    }
}

/// The labels and annotations of a pod or pod template: what policies select and what carries
/// AppArmor profiles and exemptions.
pub fn pod_metadata(mut metadata: ObjectMeta) -> ObjectMeta {
    self::metadata(&mut metadata, false);
    ObjectMeta {
        labels: metadata.labels,
        annotations: metadata.annotations,
        ..ObjectMeta::default()
    }
}

/// Drops the scheduling, lifecycle and runtime fields of a pod spec that no check reads.
pub fn pod_spec(spec: &mut PodSpec) {
    spec.node_name = None;
    spec.node_selector = None;
    spec.tolerations = None;
    spec.affinity = None;
    spec.scheduler_name = None;
    spec.priority = None;
    spec.priority_class_name = None;
    spec.preemption_policy = None;
    spec.dns_policy = None;
    spec.dns_config = None;
    spec.hostname = None;
    spec.subdomain = None;
    spec.set_hostname_as_fqdn = None;
    spec.host_aliases = None;
    spec.termination_grace_period_seconds = None;
    spec.active_deadline_seconds = None;
    spec.restart_policy = None;
    spec.enable_service_links = None;
    spec.topology_spread_constraints = None;
    spec.readiness_gates = None;
    spec.overhead = None;
    spec.scheduling_gates = None;
    spec.resource_claims = None;
    spec.resources = None;
    // Deserialized lists keep the spare capacity they grew with (a one-container pod holds room
    // for four): stored ones are trimmed to their length.
    shrink(&mut spec.init_containers);
    spec.containers.shrink_to_fit();
    shrink(&mut spec.ephemeral_containers);
    shrink(&mut spec.volumes);
    for volume in spec.volumes.iter_mut().flatten() {
        if volume.projected.is_some() && volume.name.starts_with(TOKEN_VOLUME_PREFIX) {
            volume.name.truncate(TOKEN_VOLUME_PREFIX.len() - 1);
        }
    }
    shrink(&mut spec.image_pull_secrets);
    for container in spec.init_containers.iter_mut().flatten() {
        self::container(container);
    }
    for container in &mut spec.containers {
        self::container(container);
    }
    for container in spec.ephemeral_containers.iter_mut().flatten() {
        ephemeral_container(container);
    }
}

/// Containers and ephemeral containers are distinct API types with the same field names.
macro_rules! strip_container {
    ($container:expr) => {{
        let c = $container;
        c.args = None;
        c.command = None;
        c.working_dir = None;
        c.termination_message_path = None;
        c.termination_message_policy = None;
        c.image_pull_policy = None;
        c.stdin = None;
        c.stdin_once = None;
        c.tty = None;
        c.volume_mounts = None;
        c.volume_devices = None;
        c.resize_policy = None;
        c.env.iter_mut().flatten().for_each(literal_env);
        shrink(&mut c.env);
        shrink(&mut c.env_from);
        shrink(&mut c.ports);
    }};
}

fn container(container: &mut Container) {
    strip_container!(container);
}

fn ephemeral_container(container: &mut EphemeralContainer) {
    strip_container!(container);
}

fn shrink<T>(list: &mut Option<Vec<T>>) {
    if let Some(list) = list.as_mut() {
        list.shrink_to_fit();
    }
}

fn literal_env(env: &mut EnvVar) {
    if env.value.as_deref().is_some_and(crate::checks::is_literal) {
        env.value = Some(LITERAL_ENV_VALUE.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literal_env_values_and_last_applied_copies_are_never_kept() {
        let mut spec: PodSpec = serde_json::from_value(json!({"nodeName": "n1", "containers": [{"name": "c",
            "args": ["--x"], "env": [{"name": "PASSWORD", "value": "hunter2"}, {"name": "EMPTY", "value": ""},
            {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}))
        .expect("spec");
        pod_spec(&mut spec);
        let stored = serde_json::to_string(&spec).expect("serializes");
        assert!(
            !stored.contains("hunter2") && !stored.contains("n1") && !stored.contains("--x"),
            "{stored}"
        );
        assert!(
            stored.contains(LITERAL_ENV_VALUE) && stored.contains("secretKeyRef"),
            "{stored}"
        );

        let mut meta: ObjectMeta = serde_json::from_value(json!({"name": "s", "resourceVersion": "7",
            "annotations": {LAST_APPLIED: "{\"data\":{\"k\":\"c2VjcmV0\"}}"}, "managedFields": [{"manager": "kubectl"}]}))
        .expect("meta");
        metadata(&mut meta, true);
        assert_eq!(serde_json::to_value(&meta).expect("serializes"), json!({"name": "s"}));
    }
}
