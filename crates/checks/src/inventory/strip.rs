//! Drops every field no check reads before an object is stored: memory stays small at 10k+
//! pods, status-only updates compare equal to what is stored (so they change nothing), and no
//! value a report must never show (a literal env value, an argument, ConfigMap data, secret
//! data, a last-applied copy of a Secret) is kept in memory. Where a check needs to know that a
//! value holds a credential, the value is replaced by a marker naming the kind of credential
//! ([`CredentialShape::marker`]).

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVar, EphemeralContainer, PodSpec, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::PodMetadata;
use crate::checks::CredentialShape;

/// What a stored literal env value holding no known credential is replaced with: checks only
/// ask whether a value is a literal (not only a `$(VAR)` reference), never what it is.
pub const LITERAL_ENV_VALUE: &str = "(literal value)";

/// The projected service-account token volume the API server adds to each pod is named with this
/// prefix and a random suffix.
const TOKEN_VOLUME_PREFIX: &str = "kube-api-access-";

/// Palisade's own annotations (exemptions): the only ones a ConfigMap keeps.
const PALISADE_ANNOTATION_PREFIX: &str = "palisade.dev/";

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

/// The labels and annotations of a pod or pod template: what policies select, and the
/// annotations a check reads (see [`pod_annotations`]).
pub fn pod_metadata(mut metadata: ObjectMeta) -> PodMetadata {
    self::metadata(&mut metadata, false);
    pod_annotations(&mut metadata);
    PodMetadata {
        labels: metadata.labels.unwrap_or_default().into(),
        annotations: metadata.annotations.unwrap_or_default(),
    }
}

/// Keeps of a pod's annotations only those a check reads (seccomp and AppArmor profiles,
/// exemptions): others may run to 256 KiB a pod, and 10k pods must not hold them.
pub fn pod_annotations(metadata: &mut ObjectMeta) {
    let Some(annotations) = metadata.annotations.as_mut() else {
        return;
    };
    annotations.retain(|key, _| {
        key == crate::checks::SECCOMP_POD_ANNOTATION
            || [
                crate::checks::SECCOMP_CONTAINER_ANNOTATION_PREFIX,
                crate::checks::APPARMOR_ANNOTATION_PREFIX,
                PALISADE_ANNOTATION_PREFIX,
            ]
            .iter()
            .any(|prefix| key.starts_with(prefix))
    });
    if annotations.is_empty() {
        metadata.annotations = None;
    }
}

/// [`metadata`] of a kind whose labels nothing reads: only Namespaces', pods' and RBAC objects'
/// labels (baseline selection, policies, bootstrap defaults, aggregation) are selected by or judged.
pub fn unlabelled_metadata(metadata: &mut ObjectMeta, keep_created: bool) {
    self::metadata(metadata, keep_created);
    metadata.labels = None;
}

/// Of a workload controller's annotations, Palisade's own (exemptions), which its pods inherit.
pub fn owner_annotations(metadata: &ObjectMeta) -> BTreeMap<String, String> {
    // Collected rather than cloned and retained: an emptied map keeps its node (544 bytes).
    metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(key, _)| key.starts_with(PALISADE_ANNOTATION_PREFIX))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
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
    normalize_service_account(spec);
    // Deserialized lists keep the spare capacity they grew with (a one-container pod holds room
    // for four): stored ones are trimmed to their length.
    shrink(&mut spec.init_containers);
    spec.containers.shrink_to_fit();
    shrink(&mut spec.ephemeral_containers);
    if let Some(volumes) = spec.volumes.as_mut() {
        volumes.retain(|volume| !is_injected_token_volume(volume));
    }
    if spec.volumes.as_ref().is_some_and(Vec::is_empty) {
        spec.volumes = None;
    }
    shrink(&mut spec.volumes);
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

/// Names the service account one way: admission writes `default` into both name fields of a pod
/// whose template names none, and a spec that differs from its template only by that shares
/// nothing with it (10k pods held 10k specs). The name read is what the API server runs the pod
/// as: `serviceAccountName`, else the deprecated `serviceAccount`, else `default`, stored as
/// absent.
fn normalize_service_account(spec: &mut PodSpec) {
    let named = spec.service_account_name.take().filter(|name| !name.is_empty());
    let deprecated = spec.service_account.take().filter(|name| !name.is_empty());
    spec.service_account_name = named.or(deprecated).filter(|name| name != "default");
}

/// The token volume the API server adds to a pod: no check reads it (a projected volume is
/// allowed at every Pod Security level, and it projects no Secret; whether a token is mounted is
/// judged from `automountServiceAccountToken`). Dropped, a pod's spec equals its siblings' and
/// usually its controller's template, and shares one with them; a `Volume` alone is 3 KiB.
fn is_injected_token_volume(volume: &Volume) -> bool {
    let Some(sources) = volume
        .projected
        .as_ref()
        .and_then(|projected| projected.sources.as_ref())
    else {
        return false;
    };
    volume.name.starts_with(TOKEN_VOLUME_PREFIX) && sources.iter().all(|source| source.secret.is_none())
}

/// Containers and ephemeral containers are distinct API types with the same field names.
macro_rules! strip_container {
    ($container:expr) => {{
        let c = $container;
        c.args = credential_markers(c.args.take());
        c.command = credential_markers(c.command.take());
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
    if let Some(value) = env.value.as_mut().filter(|value| crate::checks::is_literal(value)) {
        *value = match CredentialShape::to_record(value.as_bytes()) {
            Some(shape) => shape.marker(),
            None => LITERAL_ENV_VALUE.to_string(),
        };
    }
}

/// Of a command or argument list, only the credentials it carries, as markers at their index
/// (other items emptied, the list cut after the last marker); `None` when it carries none.
fn credential_markers(list: Option<Vec<String>>) -> Option<Vec<String>> {
    let mut list = list?;
    let mut kept = 0;
    for (index, item) in list.iter_mut().enumerate() {
        *item = match CredentialShape::to_record(item.as_bytes()) {
            Some(shape) => {
                kept = index + 1;
                shape.marker()
            }
            None => String::new(),
        };
    }
    list.truncate(kept);
    list.shrink_to_fit();
    (kept > 0).then_some(list)
}

/// Keeps of a ConfigMap its name, namespace and Palisade annotations (exemptions), and of its `data` and
/// `binaryData` only the keys whose values hold a credential, each value replaced by the marker
/// of its shape. Other annotations and labels go: leader-election records and tooling rewrite
/// them often, and no check reads them.
pub fn config_map(config_map: &mut ConfigMap) {
    let meta = &mut config_map.metadata;
    metadata(meta, false);
    meta.labels = None;
    meta.owner_references = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.retain(|key, _| key.starts_with(PALISADE_ANNOTATION_PREFIX));
        if annotations.is_empty() {
            meta.annotations = None;
        }
    }
    config_map.immutable = None;
    config_map.data = credential_entries(config_map.data.take(), String::as_bytes, |marker| marker);
    config_map.binary_data = credential_entries(
        config_map.binary_data.take(),
        |value| value.0.as_slice(),
        |marker| ByteString(marker.into_bytes()),
    );
}

/// The entries whose values hold a credential, each value replaced by its marker.
fn credential_entries<V>(
    entries: Option<BTreeMap<String, V>>,
    bytes: impl Fn(&V) -> &[u8],
    stored: impl Fn(String) -> V,
) -> Option<BTreeMap<String, V>> {
    let kept: BTreeMap<String, V> = entries?
        .into_iter()
        .filter_map(|(key, value)| {
            let shape = CredentialShape::to_record(bytes(&value))?;
            Some((key, stored(shape.marker())))
        })
        .collect();
    (!kept.is_empty()).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_service_account_is_named_as_the_api_server_runs_the_pod() {
        let stored = |spec: serde_json::Value| {
            let mut spec: PodSpec = serde_json::from_value(spec).expect("spec");
            pod_spec(&mut spec);
            assert_eq!(spec.service_account, None, "the deprecated field is folded in");
            spec.service_account_name
        };
        assert_eq!(stored(json!({"containers": []})), None);
        assert_eq!(
            stored(json!({"containers": [], "serviceAccountName": "default", "serviceAccount": "default"})),
            None
        );
        assert_eq!(
            stored(json!({"containers": [], "serviceAccountName": "app"})).as_deref(),
            Some("app")
        );
        assert_eq!(
            stored(json!({"containers": [], "serviceAccount": "legacy"})).as_deref(),
            Some("legacy")
        );
        assert_eq!(
            stored(json!({"containers": [], "serviceAccountName": "", "serviceAccount": "legacy"})).as_deref(),
            Some("legacy")
        );
    }

    #[test]
    fn pods_keep_only_the_annotations_a_check_reads() {
        let huge = "x".repeat(200 * 1024);
        let metadata: ObjectMeta = serde_json::from_value(json!({"name": "p", "labels": {"app": "web"},
            "annotations": {"note": huge, "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
                "container.seccomp.security.alpha.kubernetes.io/c": "unconfined",
                "container.apparmor.security.beta.kubernetes.io/c": "unconfined",
                "palisade.dev/exempt": "pod.privileged", "palisade.dev/exempt-reason": "agent"}}))
        .expect("metadata");
        let kept = pod_metadata(metadata.clone());
        let keys: Vec<&str> = kept.annotations.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "container.apparmor.security.beta.kubernetes.io/c",
                "container.seccomp.security.alpha.kubernetes.io/c",
                "palisade.dev/exempt",
                "palisade.dev/exempt-reason",
                "seccomp.security.alpha.kubernetes.io/pod"
            ]
        );
        assert_eq!(
            Some(kept.labels),
            metadata.labels.clone().map(crate::inventory::PodLabels::from)
        );
        let owned: Vec<String> = owner_annotations(&metadata).into_keys().collect();
        assert_eq!(owned, ["palisade.dev/exempt", "palisade.dev/exempt-reason"]);
    }

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

    const GITHUB_TOKEN: &str = "ghp_EXAMPLE00000000000000000000000000000";

    #[test]
    fn credentials_are_kept_as_the_kind_found_at_their_place() {
        let mut spec: PodSpec = serde_json::from_value(json!({
            "initContainers": [{"name": "i", "env": [{"name": "GH", "value": GITHUB_TOKEN}]}],
            "containers": [{"name": "c", "command": ["/app"],
                "args": ["--listen=:8080", format!("--token={GITHUB_TOKEN}"), "--verbose"],
                "env": [{"name": "LEVEL", "value": "debug"}, {"name": "REF", "value": "$(GH)"}]}],
            "ephemeralContainers": [{"name": "e", "args": ["AKIAIOSFODNN7EXAMPLE"]}]}))
        .expect("spec");
        pod_spec(&mut spec);
        let marker = CredentialShape::GitHubToken.marker();
        let init = spec.init_containers.as_deref().unwrap_or_default();
        assert_eq!(
            init[0].env.as_deref().unwrap_or_default()[0].value.as_deref(),
            Some(marker.as_str())
        );
        let container = &spec.containers[0];
        assert_eq!(container.command, None, "no credential: nothing kept");
        assert_eq!(container.args, Some(vec![String::new(), marker.clone()]));
        let env: Vec<Option<&str>> = container.env.iter().flatten().map(|env| env.value.as_deref()).collect();
        assert_eq!(env, [Some(LITERAL_ENV_VALUE), Some("$(GH)")]);
        let ephemeral = spec.ephemeral_containers.as_deref().unwrap_or_default();
        assert_eq!(ephemeral[0].args, Some(vec![CredentialShape::AwsAccessKeyId.marker()]));
        let once = spec.clone();
        pod_spec(&mut spec);
        assert_eq!(spec, once, "stripping again changes nothing");
        let stored = serde_json::to_string(&spec).expect("serializes");
        assert!(!stored.contains("EXAMPLE") && !stored.contains("8080"), "{stored}");
    }

    #[test]
    fn config_maps_keep_only_their_credentials_and_exemptions() {
        let mut stored: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": "cm", "namespace": "ns", "labels": {"app": "web"},
                "annotations": {"palisade.dev/exempt": "secret.*", "control-plane.alpha.kubernetes.io/leader": "{}"}},
            "data": {"token": format!("GH={GITHUB_TOKEN}"), "level": "debug"},
            "binaryData": {"key": "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t", "logo": "iVBORw0KGgo="}}))
        .expect("config map");
        config_map(&mut stored);
        let once = stored.clone();
        config_map(&mut stored);
        assert_eq!(stored, once, "stripping again changes nothing");
        assert_eq!(
            serde_json::to_value(&stored).expect("serializes"),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "cm", "namespace": "ns", "annotations": {"palisade.dev/exempt": "secret.*"}},
                "data": {"token": CredentialShape::GitHubToken.marker()},
                "binaryData": {"key": "KGNyZWRlbnRpYWw6IFBFTSBwcml2YXRlIGtleSk="}})
        );
        let mut clean: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": "c"}, "data": {"a": "b"}, "binaryData": {"x": "eA=="}}))
                .expect("config map");
        config_map(&mut clean);
        assert_eq!(clean.data, None);
        assert_eq!(clean.binary_data, None);
    }
}
