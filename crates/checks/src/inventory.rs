//! What the checks read: the objects of each namespace and of the cluster, owned and
//! immutable during evaluation. The operator fills it from its informer caches; `palisade
//! audit` fills it from manifests through [`Inventory::add_object`].

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Namespace, Pod, PodSpec, PodTemplateSpec, ReplicationController, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;

/// Everything known about a cluster or a set of manifests.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub namespaces: BTreeMap<String, NamespaceInventory>,
    pub cluster: ClusterInventory,
}

/// The objects of one namespace.
#[derive(Clone, Debug, Default)]
pub struct NamespaceInventory {
    pub name: String,
    /// The Namespace object itself. Checks that judge the namespace as a whole (default-deny
    /// policies, Pod Security labels, unreferenced secrets) run only when it is known, so a
    /// partial set of manifests is not blamed for objects it does not contain.
    pub namespace: Option<Namespace>,
    pub workloads: Vec<Workload>,
    pub service_accounts: Vec<ServiceAccount>,
    pub services: Vec<Service>,
    pub roles: Vec<Role>,
    pub role_bindings: Vec<RoleBinding>,
    pub network_policies: Vec<NetworkPolicy>,
    /// Secrets; `data` and `stringData` are present only when content checks are enabled.
    pub secrets: Vec<Secret>,
    pub ingresses: Vec<Ingress>,
}

/// Cluster-scoped objects.
#[derive(Clone, Debug, Default)]
pub struct ClusterInventory {
    pub cluster_roles: Vec<ClusterRole>,
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
}

/// A pod template as the workload that owns it: a Deployment's template, or a running Pod
/// attributed to its Deployment, StatefulSet, DaemonSet, Job or CronJob. Bare pods are their
/// own workload.
#[derive(Clone, Debug)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// The pod template's (or pod's) metadata: labels select policies, annotations carry
    /// AppArmor profiles and `palisade.dev/exempt`.
    pub pod_metadata: ObjectMeta,
    pub spec: PodSpec,
    /// Annotations of the owning object itself (only known offline, from manifests).
    pub owner_annotations: BTreeMap<String, String>,
}

impl Workload {
    /// The workload a running pod belongs to. A pod owned by a ReplicaSet carrying a
    /// `pod-template-hash` label belongs to the Deployment whose name prefixes the ReplicaSet's,
    /// so all replicas of all revisions make one workload.
    pub fn from_pod(pod: Pod) -> Workload {
        let metadata = pod.metadata;
        let namespace = metadata.namespace.clone().unwrap_or_default();
        let (kind, name) = owner_of(&metadata);
        Workload {
            kind,
            name,
            namespace,
            spec: pod.spec.unwrap_or_default(),
            pod_metadata: metadata,
            owner_annotations: BTreeMap::new(),
        }
    }

    fn from_template(kind: &str, metadata: ObjectMeta, template: PodTemplateSpec, namespace: &str) -> Workload {
        Workload {
            kind: kind.to_string(),
            name: metadata.name.unwrap_or_default(),
            namespace: namespace.to_string(),
            pod_metadata: template.metadata.unwrap_or_default(),
            spec: template.spec.unwrap_or_default(),
            owner_annotations: metadata.annotations.unwrap_or_default(),
        }
    }

    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.pod_metadata.labels.as_ref()
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.pod_metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(key))
            .or_else(|| self.owner_annotations.get(key))
            .map(String::as_str)
    }
}

fn owner_of(metadata: &ObjectMeta) -> (String, String) {
    let own_name = metadata.name.clone().unwrap_or_default();
    let Some(owner) = metadata
        .owner_references
        .iter()
        .flatten()
        .find(|owner| owner.controller == Some(true))
    else {
        return ("Pod".to_string(), own_name);
    };
    if owner.kind == "ReplicaSet" {
        let hash = metadata
            .labels
            .as_ref()
            .and_then(|labels| labels.get("pod-template-hash"));
        if let Some(deployment) = hash.and_then(|hash| owner.name.strip_suffix(hash.as_str())?.strip_suffix('-')) {
            return ("Deployment".to_string(), deployment.to_string());
        }
    }
    (owner.kind.clone(), owner.name.clone())
}

/// What [`Inventory::add_object`] did with an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// The object was added (a `List` counts its items).
    Objects(usize),
    /// No check reads this kind; it was skipped.
    UnknownKind { api_version: String, kind: String },
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

/// How manifests are read into an inventory.
#[derive(Clone, Debug)]
pub struct AddOptions {
    /// Namespace for namespaced objects that name none (what `kubectl apply` would use).
    pub default_namespace: String,
    /// Keep secret `data`/`stringData` for content checks; otherwise they are dropped on entry.
    pub keep_secret_data: bool,
}

impl Default for AddOptions {
    fn default() -> Self {
        AddOptions {
            default_namespace: "default".to_string(),
            keep_secret_data: false,
        }
    }
}

impl Inventory {
    /// Adds one manifest object (or every item of a `…List`). Workload controllers are added
    /// as their pod template.
    pub fn add_object(&mut self, mut object: serde_json::Value, options: &AddOptions) -> Result<Added, AddError> {
        let api_version = object.get("apiVersion").and_then(|value| value.as_str());
        let kind = object.get("kind").and_then(|value| value.as_str());
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Err(AddError::NotAnObject);
        };
        let (api_version, kind) = (api_version.to_string(), kind.to_string());
        if kind.ends_with("List")
            && let Some(serde_json::Value::Array(items)) = object.get_mut("items").map(std::mem::take)
        {
            return self.add_list_items(items, options);
        }
        let default_ns = options.default_namespace.as_str();
        match (api_version.as_str(), kind.as_str()) {
            ("v1", "Pod") => {
                let mut pod: Pod = parse(&kind, object)?;
                let namespace = pod
                    .metadata
                    .namespace
                    .get_or_insert_with(|| default_ns.to_string())
                    .clone();
                self.namespace_mut(&namespace).workloads.push(Workload::from_pod(pod));
            }
            ("apps/v1", "Deployment") => {
                let object: Deployment = parse(&kind, object)?;
                let template = object.spec.map(|spec| spec.template);
                self.add_template(&kind, object.metadata, template, default_ns);
            }
            ("apps/v1", "StatefulSet") => {
                let object: StatefulSet = parse(&kind, object)?;
                let template = object.spec.map(|spec| spec.template);
                self.add_template(&kind, object.metadata, template, default_ns);
            }
            ("apps/v1", "DaemonSet") => {
                let object: DaemonSet = parse(&kind, object)?;
                let template = object.spec.map(|spec| spec.template);
                self.add_template(&kind, object.metadata, template, default_ns);
            }
            ("apps/v1", "ReplicaSet") => {
                let object: ReplicaSet = parse(&kind, object)?;
                let template = object.spec.and_then(|spec| spec.template);
                self.add_template(&kind, object.metadata, template, default_ns);
            }
            ("v1", "ReplicationController") => {
                let object: ReplicationController = parse(&kind, object)?;
                let template = object.spec.and_then(|spec| spec.template);
                self.add_template(&kind, object.metadata, template, default_ns);
            }
            ("batch/v1", "Job") => {
                let object: Job = parse(&kind, object)?;
                let template = object.spec.map(|spec| spec.template);
                self.add_template(&kind, object.metadata, template, default_ns);
            }
            ("batch/v1", "CronJob") => {
                let object: CronJob = parse(&kind, object)?;
                let template = object.spec.job_template.spec.map(|job_spec| job_spec.template);
                self.add_template(&kind, object.metadata, template, default_ns);
            }
            ("v1", "Namespace") => {
                let namespace: Namespace = parse(&kind, object)?;
                let name = namespace.metadata.name.clone().unwrap_or_default();
                self.namespace_mut(&name).namespace = Some(namespace);
            }
            ("v1", "ServiceAccount") => {
                let mut object: ServiceAccount = parse(&kind, object)?;
                let ns = namespace_of(&mut object.metadata, default_ns);
                self.namespace_mut(&ns).service_accounts.push(object);
            }
            ("v1", "Service") => {
                let mut object: Service = parse(&kind, object)?;
                let ns = namespace_of(&mut object.metadata, default_ns);
                self.namespace_mut(&ns).services.push(object);
            }
            ("v1", "Secret") => {
                let mut secret: Secret = parse(&kind, strip_secret_data(object, options.keep_secret_data))?;
                let ns = namespace_of(&mut secret.metadata, default_ns);
                self.namespace_mut(&ns).secrets.push(secret);
            }
            ("rbac.authorization.k8s.io/v1", "Role") => {
                let mut object: Role = parse(&kind, object)?;
                let ns = namespace_of(&mut object.metadata, default_ns);
                self.namespace_mut(&ns).roles.push(object);
            }
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
                let mut object: RoleBinding = parse(&kind, object)?;
                let ns = namespace_of(&mut object.metadata, default_ns);
                self.namespace_mut(&ns).role_bindings.push(object);
            }
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
                self.cluster.cluster_roles.push(parse(&kind, object)?);
            }
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                self.cluster.cluster_role_bindings.push(parse(&kind, object)?);
            }
            ("networking.k8s.io/v1", "NetworkPolicy") => {
                let mut object: NetworkPolicy = parse(&kind, object)?;
                let ns = namespace_of(&mut object.metadata, default_ns);
                self.namespace_mut(&ns).network_policies.push(object);
            }
            ("networking.k8s.io/v1", "Ingress") => {
                let mut object: Ingress = parse(&kind, object)?;
                let ns = namespace_of(&mut object.metadata, default_ns);
                self.namespace_mut(&ns).ingresses.push(object);
            }
            _ => return Ok(Added::UnknownKind { api_version, kind }),
        }
        Ok(Added::Objects(1))
    }

    /// Adds every item it can; a bad item does not cost the others, and the first one is
    /// reported with its position.
    fn add_list_items(&mut self, items: Vec<serde_json::Value>, options: &AddOptions) -> Result<Added, AddError> {
        let mut added = 0;
        let mut first_error = None;
        for (index, item) in items.into_iter().enumerate() {
            match self.add_object(item, options) {
                Ok(Added::Objects(count)) => added += count,
                Ok(Added::UnknownKind { .. }) => {}
                Err(error) => {
                    first_error.get_or_insert(AddError::ListItem {
                        index,
                        source: Box::new(error),
                    });
                }
            }
        }
        first_error.map_or(Ok(Added::Objects(added)), Err)
    }

    fn add_template(
        &mut self,
        kind: &str,
        mut metadata: ObjectMeta,
        template: Option<PodTemplateSpec>,
        default_ns: &str,
    ) {
        let namespace = namespace_of(&mut metadata, default_ns);
        let workload = Workload::from_template(kind, metadata, template.unwrap_or_default(), &namespace);
        self.namespace_mut(&namespace).workloads.push(workload);
    }

    /// Appends the objects of an inventory read after this one, as if they had been added here
    /// in order (a later Namespace object replaces an earlier one, as [`Inventory::add_object`] does).
    pub fn absorb(&mut self, later: Inventory) {
        for (name, later) in later.namespaces {
            let namespace = self.namespace_mut(&name);
            if later.namespace.is_some() {
                namespace.namespace = later.namespace;
            }
            namespace.workloads.extend(later.workloads);
            namespace.service_accounts.extend(later.service_accounts);
            namespace.services.extend(later.services);
            namespace.roles.extend(later.roles);
            namespace.role_bindings.extend(later.role_bindings);
            namespace.network_policies.extend(later.network_policies);
            namespace.secrets.extend(later.secrets);
            namespace.ingresses.extend(later.ingresses);
        }
        self.cluster.cluster_roles.extend(later.cluster.cluster_roles);
        self.cluster
            .cluster_role_bindings
            .extend(later.cluster.cluster_role_bindings);
    }

    /// The namespace's inventory, created empty when first named.
    pub fn namespace_mut(&mut self, name: &str) -> &mut NamespaceInventory {
        self.namespaces
            .entry(name.to_string())
            .or_insert_with(|| NamespaceInventory {
                name: name.to_string(),
                ..NamespaceInventory::default()
            })
    }
}

fn namespace_of(metadata: &mut ObjectMeta, default_ns: &str) -> String {
    metadata.namespace.get_or_insert_with(|| default_ns.to_string()).clone()
}

fn parse<T: DeserializeOwned>(kind: &str, object: serde_json::Value) -> Result<T, AddError> {
    serde_json::from_value(object).map_err(|error| AddError::Invalid {
        kind: kind.to_string(),
        message: crate::redact::redact(&error.to_string()),
    })
}

/// Drops secret values before the object is typed, so they never reach an inventory (or an
/// error message) unless content checks asked for them.
fn strip_secret_data(mut object: serde_json::Value, keep: bool) -> serde_json::Value {
    if !keep && let Some(fields) = object.as_object_mut() {
        fields.remove("data");
        fields.remove("stringData");
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_owned_by(kind: &str, name: &str, hash: Option<&str>) -> Pod {
        let mut labels = serde_json::Map::new();
        if let Some(hash) = hash {
            labels.insert("pod-template-hash".into(), json!(hash));
        }
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p-1", "namespace": "ns", "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": "u", "controller": true}]},
            "spec": {"containers": [{"name": "c"}]}
        }))
        .expect("valid pod")
    }

    #[test]
    fn replica_set_pods_are_attributed_to_their_deployment() {
        let workload = Workload::from_pod(pod_owned_by("ReplicaSet", "web-7d9f8c6b5", Some("7d9f8c6b5")));
        assert_eq!((workload.kind.as_str(), workload.name.as_str()), ("Deployment", "web"));
    }

    #[test]
    fn replica_set_without_hash_label_stays_a_replica_set() {
        let workload = Workload::from_pod(pod_owned_by("ReplicaSet", "web-abc", None));
        assert_eq!(
            (workload.kind.as_str(), workload.name.as_str()),
            ("ReplicaSet", "web-abc")
        );
        let mismatched = Workload::from_pod(pod_owned_by("ReplicaSet", "web-abc", Some("zzz")));
        assert_eq!(mismatched.kind, "ReplicaSet");
    }

    #[test]
    fn other_controllers_and_bare_pods() {
        let workload = Workload::from_pod(pod_owned_by("StatefulSet", "db", None));
        assert_eq!((workload.kind.as_str(), workload.name.as_str()), ("StatefulSet", "db"));
        let bare: Pod = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "solo"}}))
        .expect("valid pod");
        let workload = Workload::from_pod(bare);
        assert_eq!((workload.kind.as_str(), workload.name.as_str()), ("Pod", "solo"));
    }

    #[test]
    fn lists_unknown_kinds_and_invalid_objects() {
        let mut inventory = Inventory::default();
        let options = AddOptions::default();
        let list = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
             "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}},
            {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
             "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}
        ]});
        assert_eq!(inventory.add_object(list, &options).expect("list"), Added::Objects(2));
        assert_eq!(inventory.namespaces["shop"].workloads[0].kind, "Deployment");
        assert_eq!(inventory.namespaces["default"].workloads[0].name, "nightly");
        let unknown = json!({"apiVersion": "example.com/v1", "kind": "Widget"});
        assert!(matches!(
            inventory.add_object(unknown, &options),
            Ok(Added::UnknownKind { .. })
        ));
        let invalid = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "nope"}});
        assert!(matches!(
            inventory.add_object(invalid, &options),
            Err(AddError::Invalid { .. })
        ));
        assert!(matches!(
            inventory.add_object(json!([1]), &options),
            Err(AddError::NotAnObject)
        ));
    }

    #[test]
    fn type_errors_never_quote_the_value() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "env": [{"name": "PASSWORD", "value": 424242}]}]}});
        let error = Inventory::default()
            .add_object(pod, &AddOptions::default())
            .expect_err("invalid");
        let message = error.to_string();
        assert!(!message.contains("424242"), "{message}");
        assert!(message.contains("invalid type: integer `…`, expected"), "{message}");
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"os": {"name": ["s3cr3t"]}}});
        let message = Inventory::default()
            .add_object(pod, &AddOptions::default())
            .expect_err("invalid")
            .to_string();
        assert!(!message.contains("s3cr3t"), "{message}");
    }

    #[test]
    fn a_bad_list_item_costs_only_itself() {
        let list = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Pod", "spec": "bad"},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"}},
        ]});
        let mut inventory = Inventory::default();
        let error = inventory
            .add_object(list, &AddOptions::default())
            .expect_err("item 0 is bad");
        assert!(error.to_string().starts_with("List item 0: invalid Pod"), "{error}");
        assert_eq!(inventory.namespaces["default"].workloads.len(), 1);
    }

    #[test]
    fn absorbing_a_later_inventory_equals_adding_in_order() {
        let objects = [
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"first": "yes"}}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "a"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p2", "namespace": "a"}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}),
        ];
        let (mut first, mut later) = (Inventory::default(), Inventory::default());
        for (index, object) in objects.into_iter().enumerate() {
            let target = if index < 2 { &mut first } else { &mut later };
            target.add_object(object, &AddOptions::default()).expect("valid");
        }
        first.absorb(later);
        let namespace = &first.namespaces["a"];
        let names: Vec<&str> = namespace
            .workloads
            .iter()
            .map(|workload| workload.name.as_str())
            .collect();
        assert_eq!(names, ["p1", "p2"]);
        let labels = namespace.namespace.as_ref().and_then(|ns| ns.metadata.labels.as_ref());
        assert!(labels.is_none(), "the later Namespace object replaces the earlier one");
        assert_eq!(first.cluster.cluster_roles.len(), 1);
    }

    #[test]
    fn secret_values_are_dropped_unless_content_checks_keep_them() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"k": "c2VjcmV0"}, "stringData": {"p": "hunter2"}});
        let mut inventory = Inventory::default();
        inventory
            .add_object(secret.clone(), &AddOptions::default())
            .expect("secret");
        let stored = &inventory.namespaces["default"].secrets[0];
        assert!(stored.data.is_none() && stored.string_data.is_none());
        let keep = AddOptions {
            keep_secret_data: true,
            ..AddOptions::default()
        };
        inventory.add_object(secret, &keep).expect("secret");
        assert!(inventory.namespaces["default"].secrets[1].data.is_some());
    }
}
