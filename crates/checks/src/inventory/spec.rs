//! The stored form of a pod spec. The API's `Container` is 2.3 KiB even when empty (probes,
//! lifecycle and security context are held inline), and a 10k-manifest audit held 60 MB of
//! them; a stored container keeps only what checks read, its large optional parts boxed. A
//! `Volume` (3.2 KiB, every source type inline) is kept as the names of its sources and what
//! checks read of them, and the pod-level fields (1.5 KiB as a `PodSpec`) as those checks read.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    ContainerPort, EnvFromSource, EnvVar, EnvVarSource, Lifecycle, LocalObjectReference, PodOS, PodSecurityContext,
    PodSpec, Probe, ResourceRequirements, SecurityContext, Volume,
};

use crate::engine::{ContainerKind, ContainerView};

/// A pod spec as stored once stripped (see [`super::strip::pod_spec`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredSpec {
    pub pod: PodLevel,
    /// Init, regular and ephemeral containers, in that order.
    pub containers: Box<[StoredContainer]>,
    pub volumes: Box<[StoredVolume]>,
}

/// The pod-level fields checks read, named as in [`PodSpec`]; the containers and volumes are
/// read through [`StoredSpec::containers`] and [`StoredSpec::volumes`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodLevel {
    pub security_context: Option<Box<PodSecurityContext>>,
    pub host_network: Option<bool>,
    pub host_pid: Option<bool>,
    pub host_ipc: Option<bool>,
    pub host_users: Option<bool>,
    pub os: Option<PodOS>,
    /// Absent for `default` (see [`super::strip::pod_spec`]).
    pub service_account_name: Option<String>,
    pub automount_service_account_token: Option<bool>,
    pub image_pull_secrets: Box<[LocalObjectReference]>,
}

impl From<PodSpec> for PodLevel {
    fn from(pod: PodSpec) -> PodLevel {
        PodLevel {
            security_context: pod.security_context.map(Box::new),
            host_network: pod.host_network,
            host_pid: pod.host_pid,
            host_ipc: pod.host_ipc,
            host_users: pod.host_users,
            os: pod.os,
            service_account_name: pod.service_account_name,
            automount_service_account_token: pod.automount_service_account_token,
            image_pull_secrets: pod.image_pull_secrets.unwrap_or_default().into(),
        }
    }
}

/// An environment variable, its source boxed (an `EnvVar` is 360 bytes, its source inline).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEnv {
    pub name: String,
    /// For a literal value, only the credential it carries (see [`super::strip`]).
    pub value: Option<String>,
    pub value_from: Option<Box<EnvVarSource>>,
}

impl From<EnvVar> for StoredEnv {
    fn from(env: EnvVar) -> StoredEnv {
        StoredEnv {
            name: env.name,
            value: env.value,
            value_from: env.value_from.map(Box::new),
        }
    }
}

/// What checks read of a volume.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredVolume {
    pub name: String,
    /// The API names of the sources it sets (normally exactly one).
    pub sources: Box<[&'static str]>,
    pub host_path: Option<String>,
    /// The Secrets it mounts or projects.
    pub secrets: Box<[String]>,
}

/// The fields of a container, init container or ephemeral container that checks read.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredContainer {
    pub kind: ContainerKind,
    /// Shared by the findings on the container.
    pub name: Arc<str>,
    pub image: Option<String>,
    pub security_context: Option<Box<SecurityContext>>,
    pub ports: Box<[ContainerPort]>,
    pub env: Box<[StoredEnv]>,
    pub env_from: Box<[EnvFromSource]>,
    /// Only the credentials they carry (see [`super::strip`]).
    pub command: Box<[String]>,
    pub args: Box<[String]>,
    /// The resources it sets a limit for (a `Probe` is 328 bytes and a `ResourceRequirements`
    /// with its maps over 1 KiB; checks read only these names and hosts).
    pub limits: Box<[String]>,
    /// The hosts its probes and lifecycle hooks target (see [`handler_hosts`]).
    pub handler_hosts: Box<[String]>,
}

impl StoredSpec {
    pub fn containers(&self) -> impl Iterator<Item = ContainerView<'_>> {
        self.containers.iter().map(|container| ContainerView {
            kind: container.kind,
            name: &container.name,
            image: container.image.as_deref(),
            security_context: container.security_context.as_deref(),
            ports: &container.ports,
            env: &container.env,
            env_from: &container.env_from,
            command: &container.command,
            args: &container.args,
            limits: &container.limits,
            handler_hosts: &container.handler_hosts,
        })
    }
}

/// Containers and ephemeral containers are distinct API types with the same field names.
macro_rules! stored_container {
    ($kind:expr, $container:expr) => {{
        let c = $container;
        StoredContainer {
            kind: $kind,
            name: Arc::from(c.name),
            image: c.image,
            security_context: c.security_context.map(Box::new),
            ports: c.ports.unwrap_or_default().into(),
            env: c.env.into_iter().flatten().map(StoredEnv::from).collect(),
            env_from: c.env_from.unwrap_or_default().into(),
            command: c.command.unwrap_or_default().into(),
            args: c.args.unwrap_or_default().into(),
            limits: limits(c.resources),
            handler_hosts: handler_hosts([c.liveness_probe, c.readiness_probe, c.startup_probe], c.lifecycle),
        }
    }};
}

fn limits(resources: Option<ResourceRequirements>) -> Box<[String]> {
    resources
        .and_then(|resources| resources.limits)
        .into_iter()
        .flat_map(BTreeMap::into_keys)
        .collect()
}

/// The non-empty `host` of every HTTP and TCP handler of the liveness, readiness and startup
/// probes, then of the `postStart` and `preStop` hooks, in that order.
fn handler_hosts(probes: [Option<Probe>; 3], lifecycle: Option<Lifecycle>) -> Box<[String]> {
    let (post_start, pre_stop) = lifecycle.map_or((None, None), |lifecycle| (lifecycle.post_start, lifecycle.pre_stop));
    let probe_handlers = probes
        .into_iter()
        .flatten()
        .map(|probe| (probe.http_get, probe.tcp_socket));
    let hook_handlers = [post_start, pre_stop]
        .into_iter()
        .flatten()
        .map(|hook| (hook.http_get, hook.tcp_socket));
    probe_handlers
        .chain(hook_handlers)
        .flat_map(|(http, tcp)| [http.and_then(|http| http.host), tcp.and_then(|tcp| tcp.host)])
        .flatten()
        .filter(|host| !host.is_empty())
        .collect()
}

impl From<PodSpec> for StoredSpec {
    /// Moves the containers out of a spec; what they hold is kept as it is, so the spec is
    /// stripped first.
    fn from(mut pod: PodSpec) -> StoredSpec {
        let init = pod.init_containers.take().unwrap_or_default();
        let regular = std::mem::take(&mut pod.containers);
        let ephemeral = pod.ephemeral_containers.take().unwrap_or_default();
        let containers = init
            .into_iter()
            .map(|container| stored_container!(ContainerKind::Init, container))
            .chain(
                regular
                    .into_iter()
                    .map(|container| stored_container!(ContainerKind::Regular, container)),
            )
            .chain(
                ephemeral
                    .into_iter()
                    .map(|container| stored_container!(ContainerKind::Ephemeral, container)),
            )
            .collect();
        let volumes = pod
            .volumes
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(StoredVolume::from)
            .collect();
        StoredSpec {
            pod: PodLevel::from(pod),
            containers,
            volumes,
        }
    }
}

impl From<Volume> for StoredVolume {
    fn from(volume: Volume) -> StoredVolume {
        let projected = volume
            .projected
            .iter()
            .flat_map(|projected| projected.sources.iter().flatten())
            .filter_map(|source| Some(source.secret.as_ref()?.name.clone()));
        let secrets = volume
            .secret
            .as_ref()
            .and_then(|secret| secret.secret_name.clone())
            .into_iter()
            .chain(projected)
            .collect();
        StoredVolume {
            sources: volume_sources(&volume),
            host_path: volume.host_path.map(|host_path| host_path.path),
            secrets,
            name: volume.name,
        }
    }
}

/// The API names of the sources a volume sets (normally exactly one).
fn volume_sources(volume: &Volume) -> Box<[&'static str]> {
    let v = volume;
    [
        ("awsElasticBlockStore", v.aws_elastic_block_store.is_some()),
        ("azureDisk", v.azure_disk.is_some()),
        ("azureFile", v.azure_file.is_some()),
        ("cephfs", v.cephfs.is_some()),
        ("cinder", v.cinder.is_some()),
        ("configMap", v.config_map.is_some()),
        ("csi", v.csi.is_some()),
        ("downwardAPI", v.downward_api.is_some()),
        ("emptyDir", v.empty_dir.is_some()),
        ("ephemeral", v.ephemeral.is_some()),
        ("fc", v.fc.is_some()),
        ("flexVolume", v.flex_volume.is_some()),
        ("flocker", v.flocker.is_some()),
        ("gcePersistentDisk", v.gce_persistent_disk.is_some()),
        ("gitRepo", v.git_repo.is_some()),
        ("glusterfs", v.glusterfs.is_some()),
        ("hostPath", v.host_path.is_some()),
        ("image", v.image.is_some()),
        ("iscsi", v.iscsi.is_some()),
        ("nfs", v.nfs.is_some()),
        ("persistentVolumeClaim", v.persistent_volume_claim.is_some()),
        ("photonPersistentDisk", v.photon_persistent_disk.is_some()),
        ("portworxVolume", v.portworx_volume.is_some()),
        ("projected", v.projected.is_some()),
        ("quobyte", v.quobyte.is_some()),
        ("rbd", v.rbd.is_some()),
        ("scaleIO", v.scale_io.is_some()),
        ("secret", v.secret.is_some()),
        ("storageos", v.storageos.is_some()),
        ("vsphereVolume", v.vsphere_volume.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn containers_keep_their_order_kind_and_every_field_checks_read() {
        let spec: PodSpec = serde_json::from_value(json!({
            "hostNetwork": true,
            "initContainers": [{"name": "setup", "image": "busybox", "args": ["a"]}],
            "containers": [{"name": "app", "image": "app:1", "command": ["/app"],
                "securityContext": {"privileged": true}, "ports": [{"containerPort": 80, "hostPort": 80}],
                "env": [{"name": "LEVEL", "value": "debug"}], "envFrom": [{"secretRef": {"name": "db"}}],
                "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "1"}},
                "livenessProbe": {"tcpSocket": {"port": 80, "host": ""}},
                "readinessProbe": {"httpGet": {"port": 80, "host": "10.0.0.1"}},
                "startupProbe": {"tcpSocket": {"port": 80, "host": "10.0.0.2"}},
                "lifecycle": {"postStart": {"httpGet": {"port": 80, "host": "10.0.0.3"}},
                    "preStop": {"tcpSocket": {"port": 80, "host": "10.0.0.4"}}}}],
            "ephemeralContainers": [{"name": "debug", "image": "busybox"}]}))
        .expect("spec");
        let stored = StoredSpec::from(spec.clone());
        assert!(stored.pod.host_network == Some(true));
        let seen: Vec<(ContainerKind, &str, Option<&str>)> = stored
            .containers()
            .map(|container| (container.kind, &**container.name, container.image))
            .collect();
        assert_eq!(
            seen,
            [
                (ContainerKind::Init, "setup", Some("busybox")),
                (ContainerKind::Regular, "app", Some("app:1")),
                (ContainerKind::Ephemeral, "debug", Some("busybox"))
            ]
        );
        let app = stored.containers().nth(1).expect("app");
        let original = &spec.containers[0];
        assert_eq!(app.security_context, original.security_context.as_ref());
        assert_eq!(app.ports, original.ports.as_deref().expect("ports"));
        let original_env: Vec<StoredEnv> = original.env.iter().flatten().cloned().map(StoredEnv::from).collect();
        assert_eq!(app.env, original_env);
        assert_eq!(app.env[0].value.as_deref(), Some("debug"));
        assert_eq!(app.env_from, original.env_from.as_deref().expect("envFrom"));
        assert_eq!(app.command, ["/app"]);
        assert_eq!(app.limits, ["memory"]);
        assert_eq!(app.handler_hosts, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
        assert_eq!(stored.containers().next().expect("setup").args, ["a"]);
    }

    #[test]
    fn volumes_keep_their_sources_host_path_and_secrets() {
        let spec: PodSpec = serde_json::from_value(json!({"containers": [], "volumes": [
            {"name": "logs", "hostPath": {"path": "/var/log"}},
            {"name": "tls", "secret": {"secretName": "tls"}},
            {"name": "mixed", "projected": {"sources": [{"secret": {"name": "a"}}, {"configMap": {"name": "c"}},
                {"secret": {"name": "b"}}]}, "nfs": {"server": "s", "path": "/"}},
            {"name": "bare"}]}))
        .expect("spec");
        let stored = StoredSpec::from(spec);
        let seen: Vec<String> = stored
            .volumes
            .iter()
            .map(|volume| {
                let StoredVolume {
                    name,
                    sources,
                    host_path,
                    secrets,
                } = volume;
                format!("{name} {sources:?} {host_path:?} {secrets:?}")
            })
            .collect();
        assert_eq!(
            seen,
            [
                r#"logs ["hostPath"] Some("/var/log") []"#,
                r#"tls ["secret"] None ["tls"]"#,
                r#"mixed ["nfs", "projected"] None ["a", "b"]"#,
                "bare [] None []"
            ]
        );
    }

    #[test]
    fn stored_containers_and_volumes_are_a_fraction_of_the_api_types() {
        assert!(size_of::<StoredVolume>() * 20 < size_of::<Volume>());
        let api = size_of::<k8s_openapi::api::core::v1::Container>();
        let stored = size_of::<StoredContainer>();
        assert!(stored * 6 < api, "stored {stored} B, API {api} B");
        assert!(size_of::<PodLevel>() * 10 < size_of::<PodSpec>());
        assert!(size_of::<StoredEnv>() * 5 < size_of::<EnvVar>());
    }
}
