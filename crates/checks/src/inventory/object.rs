//! The kinds of objects checks read, typed, and how a manifest becomes one.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, Pod, PodTemplateSpec, ReplicationController, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;

use super::AddOptions;

/// A kind checks read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Namespace,
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
    ServiceAccount,
    Service,
    Secret,
    ConfigMap,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
    NetworkPolicy,
    Ingress,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Pod => "Pod",
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::ReplicationController => "ReplicationController",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Service => "Service",
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
            Kind::Role => "Role",
            Kind::RoleBinding => "RoleBinding",
            Kind::ClusterRole => "ClusterRole",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::NetworkPolicy => "NetworkPolicy",
            Kind::Ingress => "Ingress",
        }
    }
}

/// One object, typed. Workload controllers carry their pod template when it is known; the
/// operator watches ReplicaSets and Jobs as metadata only (their owners are what it needs).
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "an object lives only from its event to the inventory"
)]
pub enum Object {
    Namespace(Namespace),
    Pod(Pod),
    Controller {
        kind: Kind,
        metadata: ObjectMeta,
        template: Option<PodTemplateSpec>,
    },
    ServiceAccount(ServiceAccount),
    Service(Service),
    Secret(Secret),
    /// Stored as the keys whose values hold a credential (see [`super::strip::config_map`]).
    ConfigMap(ConfigMap),
    Role(Role),
    RoleBinding(RoleBinding),
    ClusterRole(ClusterRole),
    ClusterRoleBinding(ClusterRoleBinding),
    NetworkPolicy(NetworkPolicy),
    Ingress(Ingress),
}

impl Object {
    pub(super) fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Object::Namespace(object) => &mut object.metadata,
            Object::Pod(object) => &mut object.metadata,
            Object::Controller { metadata, .. } => metadata,
            Object::ServiceAccount(object) => &mut object.metadata,
            Object::Service(object) => &mut object.metadata,
            Object::Secret(object) => &mut object.metadata,
            Object::ConfigMap(object) => &mut object.metadata,
            Object::Role(object) => &mut object.metadata,
            Object::RoleBinding(object) => &mut object.metadata,
            Object::ClusterRole(object) => &mut object.metadata,
            Object::ClusterRoleBinding(object) => &mut object.metadata,
            Object::NetworkPolicy(object) => &mut object.metadata,
            Object::Ingress(object) => &mut object.metadata,
        }
    }

    /// Drops every field no check reads (see [`super::strip`]). The inventory does it on apply;
    /// a watch does it as soon as an object arrives, so what waits to be applied is small too.
    pub fn strip(&mut self) {
        use super::strip::{metadata, pod_annotations, pod_spec, unlabelled_metadata};
        match self {
            Object::Namespace(namespace) => {
                // Whether it is being deleted decides whether its report may still be written.
                let deleting = namespace.metadata.deletion_timestamp.take();
                metadata(&mut namespace.metadata, false);
                namespace.metadata.deletion_timestamp = deleting;
                namespace.spec = None;
                namespace.status = None;
            }
            Object::Pod(pod) => {
                metadata(&mut pod.metadata, false);
                pod_annotations(&mut pod.metadata);
                pod.status = None;
                if let Some(spec) = pod.spec.as_mut() {
                    pod_spec(spec);
                }
            }
            Object::Controller {
                metadata: meta,
                template,
                ..
            } => {
                metadata(meta, false);
                if let Some(template) = template.as_mut() {
                    if let Some(template_metadata) = template.metadata.as_mut() {
                        metadata(template_metadata, false);
                    }
                    if let Some(spec) = template.spec.as_mut() {
                        pod_spec(spec);
                    }
                }
            }
            Object::Service(service) => {
                unlabelled_metadata(&mut service.metadata, false);
                service.status = None;
                if let Some(spec) = service.spec.as_mut() {
                    spec.cluster_ip = None;
                    spec.cluster_ips = None;
                    spec.ip_families = None;
                    spec.ip_family_policy = None;
                    spec.session_affinity = None;
                    spec.session_affinity_config = None;
                }
            }
            Object::Ingress(ingress) => {
                unlabelled_metadata(&mut ingress.metadata, false);
                ingress.status = None;
            }
            Object::Secret(secret) => {
                unlabelled_metadata(&mut secret.metadata, true);
                crate::checks::record_secret_values(secret);
            }
            Object::ConfigMap(object) => super::strip::config_map(object),
            Object::ServiceAccount(object) => unlabelled_metadata(&mut object.metadata, false),
            Object::Role(object) => metadata(&mut object.metadata, false),
            Object::RoleBinding(object) => metadata(&mut object.metadata, false),
            Object::NetworkPolicy(object) => unlabelled_metadata(&mut object.metadata, false),
            Object::ClusterRole(object) => metadata(&mut object.metadata, false),
            Object::ClusterRoleBinding(object) => metadata(&mut object.metadata, false),
        }
    }
}

/// Which object a delete is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    pub kind: Kind,
    /// `None` for cluster-scoped kinds (and for Namespaces, whose name is `name`).
    pub namespace: Option<String>,
    pub name: String,
}

/// Why an object could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("not a Kubernetes object: `apiVersion` and `kind` are required")]
    NotAnObject,
    #[error("List item {index}: {source}")]
    ListItem {
        index: usize,
        #[source]
        source: Box<AddError>,
    },
    /// The message never quotes a value from the object (see [`crate::redact`]).
    #[error("invalid {kind}: {message}")]
    Invalid { kind: String, message: String },
}

pub(super) enum Parsed {
    One(Box<Object>),
    List(Vec<serde_json::Value>),
    Unknown { api_version: String, kind: String },
}

/// Types a manifest object. Namespaced objects that name no namespace get the default one.
pub(super) fn parse(mut object: serde_json::Value, options: &AddOptions) -> Result<Parsed, AddError> {
    let api_version = object.get("apiVersion").and_then(|value| value.as_str());
    let kind = object.get("kind").and_then(|value| value.as_str());
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        return Err(AddError::NotAnObject);
    };
    let (api_version, kind) = (api_version.to_string(), kind.to_string());
    if kind.ends_with("List")
        && let Some(serde_json::Value::Array(items)) = object.get_mut("items").map(std::mem::take)
    {
        return Ok(Parsed::List(items));
    }
    match typed_object(&api_version, &kind, object, options)? {
        Some(object) => Ok(Parsed::One(Box::new(object))),
        None => Ok(Parsed::Unknown { api_version, kind }),
    }
}

/// What an object of a kind checks read is typed from: a manifest's value, or its text.
pub(crate) trait Source: Sized {
    type Error;

    fn typed<T: DeserializeOwned>(self, kind: &str) -> Result<T, Self::Error>;

    /// A Secret, its values dropped before it is typed unless `keep`: they never reach an
    /// inventory (or an error message) unless content checks asked for them.
    fn secret(self, keep: bool) -> Result<Secret, Self::Error>;
}

impl Source for serde_json::Value {
    type Error = AddError;

    fn typed<T: DeserializeOwned>(self, kind: &str) -> Result<T, AddError> {
        crate::manifest::typed(self).map_err(|message| AddError::Invalid {
            kind: kind.to_string(),
            message,
        })
    }

    fn secret(mut self, keep: bool) -> Result<Secret, AddError> {
        if !keep && let Some(fields) = self.as_object_mut() {
            fields.remove("data");
            fields.remove("stringData");
        }
        self.typed("Secret")
    }
}

/// A manifest document's text, typed straight from its plain block YAML (see
/// [`crate::manifest::block_typed`]); anything else fails, and the document is then read into a
/// value, which says what is wrong with it, if anything.
pub(super) struct PlainText<'a>(pub &'a str);

impl Source for PlainText<'_> {
    type Error = ();

    fn typed<T: DeserializeOwned>(self, _kind: &str) -> Result<T, ()> {
        crate::manifest::block_typed(self.0).ok_or(())
    }

    fn secret(self, keep: bool) -> Result<Secret, ()> {
        let value: serde_json::Value = self.typed("Secret")?;
        value.secret(keep).map_err(drop)
    }
}

/// The object `source` holds when `api_version` and `kind` are of a kind checks read (`None`
/// for others). Namespaced objects that name no namespace get the default one; objects with
/// only a `generateName` are named by it.
pub(crate) fn typed_object<S: Source>(
    api_version: &str,
    kind: &str,
    source: S,
    options: &AddOptions,
) -> Result<Option<Object>, S::Error> {
    let ns = options.default_namespace.as_str();
    let controller = |kind: Kind, metadata: ObjectMeta, template: Option<PodTemplateSpec>| Object::Controller {
        kind,
        metadata: in_namespace(metadata, ns),
        template,
    };
    let mut typed = match (api_version, kind) {
        ("v1", "Pod") => {
            let mut pod: Pod = source.typed(kind)?;
            pod.metadata = in_namespace(pod.metadata, ns);
            Object::Pod(pod)
        }
        ("apps/v1", "Deployment") => {
            let object: Deployment = source.typed(kind)?;
            controller(Kind::Deployment, object.metadata, Some(object.spec.template))
        }
        ("apps/v1", "StatefulSet") => {
            let object: StatefulSet = source.typed(kind)?;
            controller(Kind::StatefulSet, object.metadata, Some(object.spec.template))
        }
        ("apps/v1", "DaemonSet") => {
            let object: DaemonSet = source.typed(kind)?;
            controller(Kind::DaemonSet, object.metadata, Some(object.spec.template))
        }
        ("apps/v1", "ReplicaSet") => {
            let object: ReplicaSet = source.typed(kind)?;
            controller(Kind::ReplicaSet, object.metadata, object.spec.template)
        }
        ("v1", "ReplicationController") => {
            let object: ReplicationController = source.typed(kind)?;
            controller(
                Kind::ReplicationController,
                object.metadata,
                object.spec.and_then(|spec| spec.template),
            )
        }
        ("batch/v1", "Job") => {
            let object: Job = source.typed(kind)?;
            controller(Kind::Job, object.metadata, object.spec.map(|spec| spec.template))
        }
        ("batch/v1", "CronJob") => {
            let object: CronJob = source.typed(kind)?;
            let template = object.spec.job_template.spec.map(|job| job.template);
            controller(Kind::CronJob, object.metadata, template)
        }
        ("v1", "Namespace") => Object::Namespace(source.typed(kind)?),
        ("v1", "ServiceAccount") => {
            let mut object: ServiceAccount = source.typed(kind)?;
            object.metadata = in_namespace(object.metadata, ns);
            Object::ServiceAccount(object)
        }
        ("v1", "Service") => {
            let mut object: Service = source.typed(kind)?;
            object.metadata = in_namespace(object.metadata, ns);
            Object::Service(object)
        }
        ("v1", "Secret") => {
            let mut secret = source.secret(options.keep_secret_data)?;
            secret.metadata = in_namespace(secret.metadata, ns);
            Object::Secret(secret)
        }
        ("v1", "ConfigMap") => {
            let mut object: ConfigMap = source.typed(kind)?;
            object.metadata = in_namespace(object.metadata, ns);
            Object::ConfigMap(object)
        }
        ("rbac.authorization.k8s.io/v1", "Role") => {
            let mut object: Role = source.typed(kind)?;
            object.metadata = in_namespace(object.metadata, ns);
            Object::Role(object)
        }
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            let mut object: RoleBinding = source.typed(kind)?;
            object.metadata = in_namespace(object.metadata, ns);
            Object::RoleBinding(object)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => Object::ClusterRole(source.typed(kind)?),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => Object::ClusterRoleBinding(source.typed(kind)?),
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            let mut object: NetworkPolicy = source.typed(kind)?;
            object.metadata = in_namespace(object.metadata, ns);
            Object::NetworkPolicy(object)
        }
        ("networking.k8s.io/v1", "Ingress") => {
            let mut object: Ingress = source.typed(kind)?;
            object.metadata = in_namespace(object.metadata, ns);
            Object::Ingress(object)
        }
        _ => return Ok(None),
    };
    super::generated::name_generated(typed.metadata_mut());
    Ok(Some(typed))
}

fn in_namespace(mut metadata: ObjectMeta, default_ns: &str) -> ObjectMeta {
    metadata.namespace.get_or_insert_with(|| default_ns.to_string());
    metadata
}
