//! What the checks read: the objects of each namespace and of the cluster, keyed by name so
//! single objects are applied and deleted in place. The operator feeds it watch events through
//! [`Inventory::apply`] and [`Inventory::delete`]; `palisade audit` feeds it manifests through
//! [`Inventory::add_object`], which parses and then applies the same way. Each call says what
//! it made dirty: nothing when no field a check reads changed.

mod aggregation;
mod generated;
mod held;
mod keyed;
mod object;
mod spec;
pub mod strip;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Weak};

use k8s_openapi::Metadata;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, PodTemplateSpec, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::selector::Labels;

pub use generated::{generated_name, shown_name};
pub use keyed::Keyed;
pub use object::{AddError, Kind, Object, ObjectRef};
pub use spec::{PodLevel, StoredContainer, StoredEnv, StoredSpec, StoredVolume};

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
    /// Pod templates and running pods, keyed by the object they come from (`Kind/name`).
    pub workloads: Keyed<Workload>,
    /// The controller of each ReplicaSet and Job (`Kind/name` → owner), through which pods are
    /// reported as their Deployment or CronJob. `None`: known, and owned by no controller.
    pub owners: Keyed<Option<Owner>>,
    pub service_accounts: Keyed<ServiceAccount>,
    pub services: Keyed<Service>,
    pub roles: Keyed<Role>,
    pub role_bindings: Keyed<RoleBinding>,
    pub network_policies: Keyed<NetworkPolicy>,
    /// Secrets; `data` and `stringData` are present only when content checks are enabled.
    pub secrets: Keyed<Secret>,
    /// ConfigMaps, each stripped to the keys whose values hold a credential (their values
    /// replaced by markers naming the kind of credential) and its exemption annotations.
    pub config_maps: Keyed<ConfigMap>,
    pub ingresses: Keyed<Ingress>,
    /// The last spec and metadata seen of each controller's pods (`Kind/name` of the controller).
    shared: HashMap<String, SharedParts>,
}

/// What the workloads of one group share when equal (see [`NamespaceInventory::share`]).
#[derive(Clone, Debug, Default)]
struct SharedParts {
    spec: Weak<StoredSpec>,
    metadata: Weak<PodMetadata>,
}

/// Replaces `value` with the one shared when they are equal; otherwise `value` is shared from now.
fn share_equal<T: PartialEq>(shared: &mut Weak<T>, value: &mut Arc<T>) {
    match shared.upgrade() {
        Some(existing) if existing == *value => *value = existing,
        _ => *shared = Arc::downgrade(value),
    }
}

/// Cluster-scoped objects.
#[derive(Clone, Debug, Default)]
pub struct ClusterInventory {
    pub cluster_roles: Keyed<ClusterRole>,
    pub cluster_role_bindings: Keyed<ClusterRoleBinding>,
    /// The rules of aggregated ClusterRoles whose rules are not filled in (see
    /// [`aggregation`]), kept current as ClusterRoles change.
    aggregated_rules: BTreeMap<String, Vec<PolicyRule>>,
}

impl ClusterInventory {
    /// The rules a ClusterRole grants: its own, or for an aggregated role whose rules are not
    /// filled in, those of the roles it aggregates. `None` when the role is unknown.
    pub fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        match self.aggregated_rules.get(name) {
            Some(rules) => Some(rules),
            None => Some(self.cluster_roles.get(name)?.rules.as_deref().unwrap_or_default()),
        }
    }
}

/// What checks read of a pod's metadata: labels select policies, annotations (only those a
/// check reads) carry seccomp and AppArmor profiles and `palisade.dev/exempt`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodMetadata {
    pub labels: PodLabels,
    pub annotations: BTreeMap<String, String>,
}

/// A pod's labels sorted by key. Every workload holds its own, and a `BTreeMap` would take a
/// 544-byte node for even one label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodLabels(Box<[(String, String)]>);

impl From<BTreeMap<String, String>> for PodLabels {
    fn from(labels: BTreeMap<String, String>) -> PodLabels {
        PodLabels(labels.into_iter().collect())
    }
}

impl Labels for PodLabels {
    fn label(&self, key: &str) -> Option<&str> {
        let at = self.0.binary_search_by(|(label, _)| label.as_str().cmp(key)).ok()?;
        Some(&self.0[at].1)
    }
}

/// A controller that owns a ReplicaSet or Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub kind: String,
    pub name: String,
}

/// Where a workload's pod spec was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A controller's pod template: judged whether or not pods run.
    Template,
    /// A running pod: adds what only pods show (containers and settings injected at admission).
    Pod,
}

/// A pod template or a running pod, with the controller it belongs to. Findings are reported
/// as the top-level owner, which [`NamespaceInventory::reported_as`] resolves.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub source: Source,
    /// The object's own kind and name: the template's controller, or `Pod` and the pod's name.
    pub kind: String,
    pub name: String,
    /// A pod's controller owner reference, which its findings are reported as when the
    /// inventory knows it.
    pub controller: Option<Owner>,
    pub namespace: String,
    /// The pod template's (or pod's) labels and annotations, shared by replicas whose are
    /// equal (see [`NamespaceInventory::share`]).
    pub pod_metadata: Arc<PodMetadata>,
    /// Shared by the replicas of a controller whose stripped specs are equal (see
    /// [`NamespaceInventory::share`]): 10k pods hold about as many specs as controllers.
    pub spec: Arc<StoredSpec>,
    /// Annotations of the owning object itself (templates only).
    pub owner_annotations: BTreeMap<String, String>,
}

/// How many controllers deep owner references are followed (Pod → ReplicaSet → Deployment,
/// Pod → Job → CronJob need two).
const MAX_OWNER_DEPTH: usize = 4;

impl Workload {
    /// A running pod, as its controller's workload.
    pub fn from_pod(pod: Pod) -> Workload {
        let metadata = pod.metadata;
        let namespace = metadata.namespace.clone().unwrap_or_default();
        let mut spec = pod.spec.unwrap_or_default();
        strip::pod_spec(&mut spec);
        Workload {
            source: Source::Pod,
            kind: "Pod".to_string(),
            name: metadata.name.clone().unwrap_or_default(),
            controller: controller_of(&metadata),
            namespace,
            pod_metadata: Arc::new(strip::pod_metadata(metadata)),
            spec: Arc::new(StoredSpec::from(spec)),
            owner_annotations: BTreeMap::new(),
        }
    }

    fn from_template(kind: &str, metadata: &ObjectMeta, template: PodTemplateSpec, namespace: &str) -> Workload {
        let mut spec = template.spec.unwrap_or_default();
        strip::pod_spec(&mut spec);
        let owner_annotations = strip::owner_annotations(metadata);
        Workload {
            source: Source::Template,
            kind: kind.to_string(),
            name: metadata.name.clone().unwrap_or_default(),
            controller: None,
            namespace: namespace.to_string(),
            pod_metadata: Arc::new(strip::pod_metadata(template.metadata.unwrap_or_default())),
            spec: Arc::new(StoredSpec::from(spec)),
            owner_annotations,
        }
    }

    pub fn labels(&self) -> &PodLabels {
        &self.pod_metadata.labels
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations().get(key)
    }

    /// The pod template's (or pod's) annotations, then the owning object's.
    pub fn annotations(&self) -> crate::exemption::Annotations<'_> {
        crate::exemption::Annotations::layered(Some(&self.pod_metadata.annotations), Some(&self.owner_annotations))
    }
}

/// The controller owner reference of an object.
fn controller_of(metadata: &ObjectMeta) -> Option<Owner> {
    let owner = metadata
        .owner_references
        .iter()
        .flatten()
        .find(|owner| owner.controller == Some(true))?;
    Some(Owner {
        kind: owner.kind.clone(),
        name: owner.name.clone(),
    })
}

/// The key of an object among others of its namespace: `Kind/name`.
pub fn object_key(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}

impl NamespaceInventory {
    /// The top-level workload a template or pod is reported as. A pod is reported as its
    /// controller only when the inventory holds that controller, so findings are never
    /// attributed to a workload nothing in the input shows to exist; from a held ReplicaSet or
    /// Job, its own owner references lead on (Pod → ReplicaSet → Deployment, Pod → Job →
    /// CronJob). A pod whose controller is unknown is reported as itself, unless it is a
    /// ReplicaSet named after a Deployment the inventory holds plus the pod's
    /// `pod-template-hash` (manifests listing Deployments and pods but not ReplicaSets).
    pub fn reported_as<'a>(&'a self, workload: &'a Workload) -> (&'a str, &'a str) {
        let itself = (workload.kind.as_str(), workload.name.as_str());
        let Some(controller) = &workload.controller else {
            return itself;
        };
        let (kind, name) = (controller.kind.as_str(), controller.name.as_str());
        if self.owners.get_object(kind, name).is_none() && self.workloads.get_object(kind, name).is_none() {
            return match deployment_by_hash(workload, controller) {
                Some(deployment) if self.workloads.get_object("Deployment", deployment).is_some() => {
                    ("Deployment", deployment)
                }
                _ => itself,
            };
        }
        let top = self.top_of(controller);
        (top.kind.as_str(), top.name.as_str())
    }

    /// The top of the owner chain from a held controller up, as the held ReplicaSets and Jobs
    /// record their owners (only theirs are recorded).
    fn top_of<'a>(&'a self, mut top: &'a Owner) -> &'a Owner {
        for _ in 0..MAX_OWNER_DEPTH {
            match self.owners.get_object(&top.kind, &top.name) {
                Some(Some(owner)) => top = owner,
                _ => break,
            }
        }
        top
    }

    /// How a workload object (`kind`, `name` of a template or pod) is reported, if it is here.
    /// A ReplicaSet or Job held without a template is reported as what owns it (`None` when
    /// nothing does).
    pub fn reported_workload(&self, kind: &str, name: &str) -> Option<(&str, &str)> {
        if let Some(workload) = self.workloads.get_object(kind, name) {
            return Some(self.reported_as(workload));
        }
        let top = self.top_of(self.owners.get_object(kind, name)?.as_ref()?);
        Some((top.kind.as_str(), top.name.as_str()))
    }

    /// Lets a workload share the spec and the metadata of others in its group that are equal.
    fn share(&mut self, workload: &mut Workload) {
        let Some(group) = self.share_group(workload) else {
            return;
        };
        let shared = self.shared.entry(group).or_default();
        share_equal(&mut shared.spec, &mut workload.spec);
        share_equal(&mut shared.metadata, &mut workload.pod_metadata);
    }

    /// The workloads whose specs (and, among replicas, metadata) are usually equal once
    /// stripped: a controller's template and the pods it runs (a Deployment's through the
    /// ReplicaSet named after it, a CronJob's through a Job whose owner is known), keyed by the
    /// controller. Bare pods share nothing.
    fn share_group(&self, workload: &Workload) -> Option<String> {
        match (workload.source, &workload.controller) {
            (Source::Template, _) => Some(object_key(&workload.kind, &workload.name)),
            (Source::Pod, Some(controller)) => Some(match deployment_by_hash(workload, controller) {
                Some(deployment) => object_key("Deployment", deployment),
                None => {
                    let top = self.top_of(controller);
                    object_key(&top.kind, &top.name)
                }
            }),
            (Source::Pod, None) => None,
        }
    }

    fn is_empty(&self) -> bool {
        self.namespace.is_none()
            && self.workloads.is_empty()
            && self.owners.is_empty()
            && self.service_accounts.is_empty()
            && self.services.is_empty()
            && self.roles.is_empty()
            && self.role_bindings.is_empty()
            && self.network_policies.is_empty()
            && self.secrets.is_empty()
            && self.config_maps.is_empty()
            && self.ingresses.is_empty()
    }
}

/// The Deployment a pod's ReplicaSet is named after: the ReplicaSet's name less `-` and the
/// pod's `pod-template-hash`.
fn deployment_by_hash<'a>(workload: &'a Workload, controller: &'a Owner) -> Option<&'a str> {
    if controller.kind != "ReplicaSet" {
        return None;
    }
    let hash = workload.labels().label("pod-template-hash")?;
    controller.name.strip_suffix(hash)?.strip_suffix('-')
}

/// Secret types some checks tell apart (token secrets, Helm release records, bootstrap tokens).
const TELLING_SECRET_TYPES: [&str; 3] = [
    "kubernetes.io/service-account-token",
    "helm.sh/release.v1",
    "bootstrap.kubernetes.io/token",
];

/// How to learn every Secret's type without reading its data: a Secret's type is not in its
/// metadata, so Secrets are listed (or watched) as metadata once per field selector returned
/// here, each paired with the type its Secrets have. Every Secret matches exactly one selector;
/// those of the last one read as `Opaque`, since no check tells their types apart.
pub fn secret_type_selectors() -> Vec<(String, &'static str)> {
    let mut selectors: Vec<(String, &'static str)> = TELLING_SECRET_TYPES
        .iter()
        .map(|secret_type| (format!("type={secret_type}"), *secret_type))
        .collect();
    let others = TELLING_SECRET_TYPES.map(|secret_type| format!("type!={secret_type}"));
    selectors.push((others.join(","), "Opaque"));
    selectors
}

/// What an applied or deleted object can change: the namespaces whose reports may differ, and
/// whether the cluster report may.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dirty {
    pub namespaces: BTreeSet<String>,
    pub cluster: bool,
}

impl Dirty {
    fn namespace(name: &str) -> Dirty {
        Dirty {
            namespaces: BTreeSet::from([name.to_string()]),
            cluster: false,
        }
    }

    fn cluster() -> Dirty {
        Dirty {
            namespaces: BTreeSet::new(),
            cluster: true,
        }
    }

    fn when(self, changed: bool) -> Dirty {
        if changed { self } else { Dirty::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && !self.cluster
    }

    /// Adds what another change made dirty.
    pub fn merge(&mut self, other: Dirty) {
        self.namespaces.extend(other.namespaces);
        self.cluster |= other.cluster;
    }
}

impl Inventory {
    /// Stores an object (replacing the one of the same kind and name), stripped of what no check
    /// reads; what it made dirty, which is nothing when no field a check reads changed.
    pub fn apply(&mut self, mut object: Object) -> Dirty {
        object.strip();
        match object {
            Object::Namespace(namespace) => {
                let name = namespace.metadata.name.clone().unwrap_or_default();
                let stored = &mut self.namespace_mut(&name).namespace;
                let changed = stored.as_ref() != Some(&namespace);
                *stored = Some(namespace);
                Dirty::namespace(&name).when(changed)
            }
            Object::Pod(pod) => {
                let name = generated::stored_name(pod.metadata.name.as_deref().unwrap_or_default(), &pod);
                let namespace = pod.metadata.namespace.clone().unwrap_or_default();
                let mut workload = Workload::from_pod(pod);
                let inventory = self.namespace_mut(&namespace);
                inventory.share(&mut workload);
                let changed = inventory.workloads.put(object_key("Pod", &name), workload);
                Dirty::namespace(&namespace).when(changed)
            }
            Object::Controller {
                kind,
                metadata,
                template,
            } => {
                let name =
                    generated::stored_name(metadata.name.as_deref().unwrap_or_default(), &(&metadata, &template));
                let namespace = metadata.namespace.clone().unwrap_or_default();
                let key = object_key(kind.as_str(), &name);
                let owner = matches!(kind, Kind::ReplicaSet | Kind::Job).then(|| controller_of(&metadata));
                let template =
                    template.map(|template| Workload::from_template(kind.as_str(), &metadata, template, &namespace));
                let inventory = self.namespace_mut(&namespace);
                let template = template.map(|mut template| {
                    inventory.share(&mut template);
                    template
                });
                let mut changed = false;
                if let Some(owner) = owner {
                    changed |= inventory.owners.put(key.clone(), owner);
                }
                changed |= match template {
                    Some(template) => inventory.workloads.put(key, template),
                    None => inventory.workloads.remove(&key).is_some(),
                };
                Dirty::namespace(&namespace).when(changed)
            }
            Object::ServiceAccount(object) => self.put_namespaced(|inventory| &mut inventory.service_accounts, object),
            Object::Service(object) => self.put_namespaced(|inventory| &mut inventory.services, object),
            Object::Secret(object) => {
                // The values it held before and holds now: namespaces sharing either are dirty too.
                let mut values = self.secret_values_of(&object.metadata);
                values.extend(secret_digests(&object));
                let mut dirty = self.put_namespaced(|inventory| &mut inventory.secrets, object);
                if !dirty.is_empty() {
                    dirty.merge(self.namespaces_holding(&values));
                }
                dirty
            }
            Object::ConfigMap(object) => self.put_namespaced(|inventory| &mut inventory.config_maps, object),
            Object::Role(object) => self.put_namespaced(|inventory| &mut inventory.roles, object),
            Object::RoleBinding(object) => {
                let namespace = object.metadata.namespace.as_deref().unwrap_or_default();
                let name = object.metadata.name.as_deref().unwrap_or_default();
                let binds_cluster_role =
                    object.role_ref.kind == "ClusterRole" || self.binds_cluster_role(namespace, name);
                let mut dirty = self.put_namespaced(|inventory| &mut inventory.role_bindings, object);
                dirty.cluster |= binds_cluster_role && !dirty.is_empty();
                dirty
            }
            Object::NetworkPolicy(object) => self.put_namespaced(|inventory| &mut inventory.network_policies, object),
            Object::Ingress(object) => self.put_namespaced(|inventory| &mut inventory.ingresses, object),
            Object::ClusterRole(object) => {
                let name = generated::stored_name(object.metadata.name.as_deref().unwrap_or_default(), &object);
                let changed = self.cluster.cluster_roles.put(name.clone(), object);
                if changed {
                    self.cluster_role_changed(&name)
                } else {
                    Dirty::default()
                }
            }
            Object::ClusterRoleBinding(object) => {
                let name = generated::stored_name(object.metadata.name.as_deref().unwrap_or_default(), &object);
                let changed = self.cluster.cluster_role_bindings.put(name, object);
                Dirty::cluster().when(changed)
            }
        }
    }

    /// Removes an object; what it made dirty (nothing when it was not here).
    pub fn delete(&mut self, object: &ObjectRef) -> Dirty {
        let name = object.name.as_str();
        if object.kind == Kind::ClusterRole {
            let removed = self.cluster.cluster_roles.remove(name).is_some();
            return if removed {
                self.cluster_role_changed(name)
            } else {
                Dirty::default()
            };
        }
        if object.kind == Kind::ClusterRoleBinding {
            return Dirty::cluster().when(self.cluster.cluster_role_bindings.remove(name).is_some());
        }
        let namespace = if object.kind == Kind::Namespace {
            name
        } else {
            object.namespace.as_deref().unwrap_or_default()
        };
        let secret_values = match object.kind {
            Kind::Secret => self
                .namespaces
                .get(namespace)
                .and_then(|inventory| inventory.secrets.get(name))
                .map(|secret| secret_digests(secret).collect::<Vec<_>>())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let unbinds_cluster_role = object.kind == Kind::RoleBinding && self.binds_cluster_role(namespace, name);
        let Some(inventory) = self.namespaces.get_mut(namespace) else {
            return Dirty::default();
        };
        let key = object_key(object.kind.as_str(), name);
        let removed = match object.kind {
            Kind::Namespace => inventory.namespace.take().is_some(),
            Kind::Pod => inventory.workloads.remove(&key).is_some(),
            Kind::ServiceAccount => inventory.service_accounts.remove(name).is_some(),
            Kind::Service => inventory.services.remove(name).is_some(),
            Kind::Secret => inventory.secrets.remove(name).is_some(),
            Kind::ConfigMap => inventory.config_maps.remove(name).is_some(),
            Kind::Role => inventory.roles.remove(name).is_some(),
            Kind::RoleBinding => inventory.role_bindings.remove(name).is_some(),
            Kind::NetworkPolicy => inventory.network_policies.remove(name).is_some(),
            Kind::Ingress => inventory.ingresses.remove(name).is_some(),
            Kind::Deployment
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::ReplicaSet
            | Kind::ReplicationController
            | Kind::Job
            | Kind::CronJob => {
                inventory.shared.remove(&key);
                let owner = inventory.owners.remove(&key).is_some();
                inventory.workloads.remove(&key).is_some() || owner
            }
            Kind::ClusterRole | Kind::ClusterRoleBinding => false,
        };
        if inventory.is_empty() {
            self.namespaces.remove(namespace);
        }
        let mut dirty = Dirty::namespace(namespace).when(removed);
        dirty.cluster |= removed && unbinds_cluster_role;
        if removed && !secret_values.is_empty() {
            dirty.merge(self.namespaces_holding(&secret_values));
        }
        dirty
    }

    /// Adds one manifest object (or every item of a `…List`), as [`Inventory::apply`] would.
    /// Objects that name no namespace go to `options.default_namespace`, as with `kubectl apply`.
    pub fn add_object(&mut self, object: serde_json::Value, options: &AddOptions) -> Result<Added, AddError> {
        match object::parse(object, options)? {
            object::Parsed::One(object) => {
                self.apply(*object);
                Ok(Added::Objects(1))
            }
            object::Parsed::List(items) => self.add_list_items(items, options),
            object::Parsed::Unknown { api_version, kind } => Ok(Added::UnknownKind { api_version, kind }),
        }
    }

    /// Adds one manifest document given as its text when it is one object of a kind checks read
    /// in plain block YAML, read straight into its typed object with no value in between (several
    /// times less work). `None` for any other document, which is left to [`Inventory::add_object`]
    /// by way of its value: that reading finds what is wrong with it, if anything.
    pub fn add_plain(&mut self, text: &str, options: &AddOptions) -> Option<PlainAdded> {
        let (api_version, kind) = crate::manifest::block_header(text)?;
        let mut object = object::typed_object(&api_version, &kind, object::PlainText(text), options).ok()??;
        let metadata = object.metadata_mut();
        let added = PlainAdded {
            kind: kind.into_owned(),
            namespace: metadata
                .namespace
                .clone()
                .unwrap_or_else(|| options.default_namespace.clone()),
            name: metadata.name.clone().unwrap_or_default(),
        };
        self.apply(object);
        Some(added)
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

    /// Applies every object of an inventory read after this one, as if they had been added here
    /// in order: a later object of the same kind and name replaces an earlier one.
    pub fn absorb(&mut self, later: Inventory) {
        for (name, later) in later.namespaces {
            let namespace = self.namespace_mut(&name);
            if later.namespace.is_some() {
                namespace.namespace = later.namespace;
            }
            merge(&mut namespace.workloads, later.workloads);
            merge(&mut namespace.owners, later.owners);
            merge(&mut namespace.service_accounts, later.service_accounts);
            merge(&mut namespace.services, later.services);
            merge(&mut namespace.roles, later.roles);
            merge(&mut namespace.role_bindings, later.role_bindings);
            merge(&mut namespace.network_policies, later.network_policies);
            merge(&mut namespace.secrets, later.secrets);
            merge(&mut namespace.config_maps, later.config_maps);
            merge(&mut namespace.ingresses, later.ingresses);
        }
        merge(&mut self.cluster.cluster_roles, later.cluster.cluster_roles);
        merge(
            &mut self.cluster.cluster_role_bindings,
            later.cluster.cluster_role_bindings,
        );
        self.reaggregate();
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

    fn put_namespaced<T: PartialEq + std::fmt::Debug + Metadata<Ty = ObjectMeta>>(
        &mut self,
        objects: impl FnOnce(&mut NamespaceInventory) -> &mut Keyed<T>,
        object: T,
    ) -> Dirty {
        let metadata = object.metadata();
        let namespace = metadata.namespace.clone().unwrap_or_default();
        let name = generated::stored_name(metadata.name.as_deref().unwrap_or_default(), &object);
        let changed = objects(self.namespace_mut(&namespace)).put(name, object);
        Dirty::namespace(&namespace).when(changed)
    }

    /// What a changed (or deleted) ClusterRole makes dirty: what binds it, and what binds an
    /// aggregated role whose rules change with it (its labels may have entered or left a
    /// selector, or it may be an aggregated role itself).
    fn cluster_role_changed(&mut self, name: &str) -> Dirty {
        let mut dirty = self.binding_cluster_role(name);
        for aggregated in self.reaggregate() {
            dirty.merge(self.binding_cluster_role(&aggregated));
        }
        dirty
    }

    /// Resolves aggregated ClusterRoles again; the names of those whose rules changed.
    fn reaggregate(&mut self) -> Vec<String> {
        let resolved = aggregation::resolve(&self.cluster.cluster_roles);
        let previous = std::mem::replace(&mut self.cluster.aggregated_rules, resolved);
        let current = &self.cluster.aggregated_rules;
        let mut changed: Vec<String> = current
            .iter()
            .filter(|(name, rules)| previous.get(*name) != Some(*rules))
            .map(|(name, _)| name.clone())
            .collect();
        changed.extend(previous.into_keys().filter(|name| !current.contains_key(name)));
        changed
    }

    /// Whether the stored RoleBinding refers to a ClusterRole: whether a ClusterRole is bound at
    /// all is judged in the cluster report (`rbac.unbound-role`), which the binding changes.
    fn binds_cluster_role(&self, namespace: &str, name: &str) -> bool {
        self.namespaces
            .get(namespace)
            .and_then(|inventory| inventory.role_bindings.get(name))
            .is_some_and(|binding| binding.role_ref.kind == "ClusterRole")
    }

    /// A ClusterRole changes the namespaces whose RoleBindings refer to it, and the cluster report.
    fn binding_cluster_role(&self, name: &str) -> Dirty {
        let namespaces = self
            .namespaces
            .values()
            .filter(|inventory| {
                inventory
                    .role_bindings
                    .iter()
                    .any(|binding| binding.role_ref.kind == "ClusterRole" && binding.role_ref.name == name)
            })
            .map(|inventory| inventory.name.clone())
            .collect();
        Dirty {
            namespaces,
            cluster: true,
        }
    }

    fn secret_values_of(&self, metadata: &ObjectMeta) -> Vec<u64> {
        let stored = self
            .namespaces
            .get(metadata.namespace.as_deref().unwrap_or_default())
            .and_then(|inventory| inventory.secrets.get(metadata.name.as_deref().unwrap_or_default()));
        stored
            .map(|secret| secret_digests(secret).collect())
            .unwrap_or_default()
    }

    /// Namespaces holding one of these secret values: their `secret.reused-value` findings may
    /// change (values are kept only when content checks are on).
    fn namespaces_holding(&self, values: &[u64]) -> Dirty {
        if values.is_empty() {
            return Dirty::default();
        }
        let wanted: BTreeSet<u64> = values.iter().copied().collect();
        let namespaces = self
            .namespaces
            .values()
            .filter(|inventory| {
                inventory
                    .secrets
                    .iter()
                    .any(|secret| secret_digests(secret).any(|digest| wanted.contains(&digest)))
            })
            .map(|inventory| inventory.name.clone())
            .collect();
        Dirty {
            namespaces,
            cluster: false,
        }
    }

    /// Counts of stored objects by kind, for metrics.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        let mut add = |kind: &'static str, count: usize| *counts.entry(kind).or_default() += count;
        for inventory in self.namespaces.values() {
            add("Namespace", usize::from(inventory.namespace.is_some()));
            for workload in &inventory.workloads {
                add(
                    if workload.source == Source::Pod {
                        "Pod"
                    } else {
                        "WorkloadTemplate"
                    },
                    1,
                );
            }
            add("ReplicaSetOrJob", inventory.owners.len());
            add("ServiceAccount", inventory.service_accounts.len());
            add("Service", inventory.services.len());
            add("Role", inventory.roles.len());
            add("RoleBinding", inventory.role_bindings.len());
            add("NetworkPolicy", inventory.network_policies.len());
            add("Secret", inventory.secrets.len());
            add("ConfigMap", inventory.config_maps.len());
            add("Ingress", inventory.ingresses.len());
        }
        add("ClusterRole", self.cluster.cluster_roles.len());
        add("ClusterRoleBinding", self.cluster.cluster_role_bindings.len());
        counts
    }
}

fn merge<T: PartialEq>(into: &mut Keyed<T>, later: Keyed<T>) {
    for (key, object) in later {
        into.put(key, object);
    }
}

/// The keyed digests of a secret's values worth comparing; none unless content checks keep them.
fn secret_digests(secret: &Secret) -> impl Iterator<Item = u64> {
    crate::checks::secret_value_records(secret).filter_map(|(_, record)| record.digest)
}

/// What [`Inventory::add_object`] did with an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// The object was added (a `List` counts its items).
    Objects(usize),
    /// No check reads this kind; it was skipped.
    UnknownKind { api_version: String, kind: String },
}

/// The object [`Inventory::add_plain`] added, as findings name it.
#[derive(Debug)]
pub struct PlainAdded {
    pub kind: String,
    pub namespace: String,
    /// Its name, or its `generateName` as [`generated_name`] shows it.
    pub name: String,
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

    fn reported(namespace: &NamespaceInventory, pod: Pod) -> (String, String) {
        let workload = Workload::from_pod(pod);
        let (kind, name) = namespace.reported_as(&workload);
        (kind.to_string(), name.to_string())
    }

    fn pair(kind: &str, name: &str) -> (String, String) {
        (kind.to_string(), name.to_string())
    }

    fn controller(kind: Kind, name: &str, owner: Option<(&str, &str)>) -> Object {
        let owners = owner.map(|(kind, name)| json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": "u", "controller": true}]));
        Object::Controller {
            kind,
            metadata: serde_json::from_value(json!({"name": name, "namespace": "ns", "ownerReferences": owners}))
                .expect("metadata"),
            template: None,
        }
    }

    fn template(kind: Kind, name: &str) -> Object {
        Object::Controller {
            kind,
            metadata: serde_json::from_value(json!({"name": name, "namespace": "ns"})).expect("metadata"),
            template: Some(PodTemplateSpec::default()),
        }
    }

    #[test]
    fn pods_are_reported_as_their_top_level_owner() {
        let mut inventory = Inventory::default();
        inventory.apply(controller(Kind::ReplicaSet, "web-abc", Some(("Deployment", "web"))));
        inventory.apply(template(Kind::Deployment, "web"));
        inventory.apply(controller(Kind::Job, "nightly-123", Some(("CronJob", "nightly"))));
        inventory.apply(template(Kind::CronJob, "nightly"));
        inventory.apply(controller(Kind::ReplicaSet, "bare", None));
        inventory.apply(template(Kind::StatefulSet, "db"));
        let namespace = &inventory.namespaces["ns"];
        assert_eq!(
            reported(namespace, pod_owned_by("ReplicaSet", "web-abc", None)),
            pair("Deployment", "web")
        );
        assert_eq!(
            reported(namespace, pod_owned_by("Job", "nightly-123", None)),
            pair("CronJob", "nightly")
        );
        assert_eq!(
            reported(namespace, pod_owned_by("ReplicaSet", "bare", Some("bare"))),
            pair("ReplicaSet", "bare")
        );
        assert_eq!(
            reported(namespace, pod_owned_by("StatefulSet", "db", None)),
            pair("StatefulSet", "db")
        );
    }

    #[test]
    fn pods_are_not_reported_as_owners_the_inventory_lacks() {
        let mut inventory = Inventory::default();
        inventory.apply(controller(Kind::ReplicaSet, "web-abc", Some(("Deployment", "web"))));
        inventory.apply(controller(Kind::Job, "once", Some(("Workflow", "w"))));
        let namespace = &inventory.namespaces["ns"];
        assert_eq!(
            reported(namespace, pod_owned_by("ReplicaSet", "web-abc", None)),
            pair("Deployment", "web"),
            "the ReplicaSet is known, and names its Deployment"
        );
        assert_eq!(
            reported(namespace, pod_owned_by("Job", "once", None)),
            pair("Workflow", "w")
        );
        assert_eq!(
            reported(namespace, pod_owned_by("StatefulSet", "db", None)),
            pair("Pod", "p-1")
        );
        assert_eq!(
            reported(
                namespace,
                pod_owned_by("ReplicaSet", "api-7d9f8c6b5", Some("7d9f8c6b5"))
            ),
            pair("Pod", "p-1"),
            "neither the ReplicaSet nor the Deployment its name and hash point to is known"
        );
        assert!(
            namespace.workloads.is_empty(),
            "metadata-only controllers add no template"
        );
        assert_eq!(
            namespace.reported_workload("ReplicaSet", "web-abc"),
            Some(("Deployment", "web"))
        );
        assert_eq!(namespace.reported_workload("ReplicaSet", "gone"), None);
    }

    #[test]
    fn without_its_replica_set_a_pod_is_its_known_deployment_by_template_hash() {
        let mut inventory = Inventory::default();
        inventory.apply(template(Kind::Deployment, "web"));
        let namespace = &inventory.namespaces["ns"];
        assert_eq!(
            reported(
                namespace,
                pod_owned_by("ReplicaSet", "web-7d9f8c6b5", Some("7d9f8c6b5"))
            ),
            pair("Deployment", "web")
        );
        assert_eq!(
            reported(namespace, pod_owned_by("ReplicaSet", "web-abc", None)),
            pair("Pod", "p-1")
        );
        assert_eq!(
            reported(namespace, pod_owned_by("ReplicaSet", "web-abc", Some("zzz"))),
            pair("Pod", "p-1")
        );
        let bare: Pod = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "solo"}}))
        .expect("valid pod");
        assert_eq!(reported(namespace, bare), pair("Pod", "solo"));
    }

    fn pod_with_volumes(name: &str, volumes: serde_json::Value) -> Object {
        let mut pod = pod_owned_by("ReplicaSet", "web-1", Some("1"));
        pod.metadata.name = Some(name.to_string());
        let spec = pod.spec.as_mut().expect("spec");
        spec.volumes = Some(serde_json::from_value(volumes).expect("volumes"));
        // What admission writes into a pod whose template names no service account.
        spec.service_account_name = Some("default".to_string());
        spec.service_account = Some("default".to_string());
        Object::Pod(pod)
    }

    fn token_volume(name: &str) -> serde_json::Value {
        json!({"name": name, "projected": {"sources": [
            {"serviceAccountToken": {"path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt"}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}})
    }

    #[test]
    fn a_controllers_template_and_its_replicas_share_one_spec_and_replicas_one_metadata() {
        let mut inventory = Inventory::default();
        inventory.apply(Object::Controller {
            kind: Kind::Deployment,
            metadata: serde_json::from_value(json!({"name": "web", "namespace": "ns"})).expect("metadata"),
            template: Some(serde_json::from_value(json!({"spec": {"containers": [{"name": "c"}]}})).expect("template")),
        });
        inventory.apply(pod_with_volumes(
            "web-1-a",
            json!([token_volume("kube-api-access-abcde")]),
        ));
        inventory.apply(pod_with_volumes(
            "web-1-b",
            json!([token_volume("kube-api-access-xyz12")]),
        ));
        let workloads = &inventory.namespaces["ns"].workloads;
        let template = &workloads.get("Deployment/web").expect("template").spec;
        for pod in ["Pod/web-1-a", "Pod/web-1-b"] {
            let spec = &workloads.get(pod).expect("pod").spec;
            assert!(spec.volumes.is_empty(), "the injected token volume is not kept");
            assert!(Arc::ptr_eq(template, spec), "{pod} shares its Deployment's spec");
        }
        let metadata = |pod| &workloads.get(pod).expect("pod").pod_metadata;
        assert!(Arc::ptr_eq(metadata("Pod/web-1-a"), metadata("Pod/web-1-b")));
        assert_eq!(metadata("Pod/web-1-a").labels.label("pod-template-hash"), Some("1"));
    }

    #[test]
    fn a_volume_that_only_looks_like_the_token_volume_is_kept() {
        let mut inventory = Inventory::default();
        let secret_projected =
            json!({"name": "kube-api-access-own", "projected": {"sources": [{"secret": {"name": "db"}}]}});
        let host_path = json!({"name": "kube-api-access-host", "hostPath": {"path": "/"}});
        inventory.apply(pod_with_volumes("web-1-a", json!([secret_projected, host_path])));
        let spec = &inventory.namespaces["ns"]
            .workloads
            .get("Pod/web-1-a")
            .expect("pod")
            .spec;
        let kept: Vec<&str> = spec.volumes.iter().map(|volume| volume.name.as_str()).collect();
        assert_eq!(kept, ["kube-api-access-own", "kube-api-access-host"]);
    }

    #[test]
    fn status_only_updates_change_nothing_and_deletes_say_what_they_dirty() {
        let mut inventory = Inventory::default();
        let mut pod = pod_owned_by("StatefulSet", "db", None);
        assert_eq!(inventory.apply(Object::Pod(pod.clone())), Dirty::namespace("ns"));
        pod.status = Some(serde_json::from_value(json!({"phase": "Running"})).expect("status"));
        pod.metadata.resource_version = Some("42".into());
        assert!(inventory.apply(Object::Pod(pod.clone())).is_empty());
        let mut changed = pod.clone();
        changed.spec.as_mut().expect("spec").host_network = Some(true);
        assert_eq!(inventory.apply(Object::Pod(changed)), Dirty::namespace("ns"));
        let reference = ObjectRef {
            kind: Kind::Pod,
            namespace: Some("ns".into()),
            name: "p-1".into(),
        };
        assert_eq!(inventory.delete(&reference), Dirty::namespace("ns"));
        assert!(inventory.delete(&reference).is_empty());
        assert!(inventory.namespaces.is_empty(), "an emptied namespace is dropped");
    }

    #[test]
    fn a_cluster_role_dirties_the_namespaces_that_bind_it() {
        let mut inventory = Inventory::default();
        let options = AddOptions::default();
        for object in [
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "a"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}, "subjects": []}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "b"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "view"}, "subjects": []}),
        ] {
            inventory.add_object(object, &options).expect("valid");
        }
        let role: ClusterRole =
            serde_json::from_value(json!({"metadata": {"name": "view"}, "rules": []})).expect("role");
        let dirty = inventory.apply(Object::ClusterRole(role.clone()));
        assert_eq!(
            dirty,
            Dirty {
                namespaces: BTreeSet::from(["a".to_string()]),
                cluster: true
            }
        );
        assert!(inventory.apply(Object::ClusterRole(role)).is_empty());
        let binding: ClusterRoleBinding = serde_json::from_value(json!({"metadata": {"name": "x"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}}))
        .expect("binding");
        assert_eq!(inventory.apply(Object::ClusterRoleBinding(binding)), Dirty::cluster());
    }

    #[test]
    fn a_labelled_cluster_role_dirties_what_binds_the_role_aggregating_it() {
        let mut inventory = Inventory::default();
        let options = AddOptions::default();
        for object in [
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "a"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "monitoring"}, "subjects": []}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "b"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "piece"}, "subjects": []}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "monitoring"},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"aggregate-to-monitoring": "true"}}]}}),
        ] {
            inventory.add_object(object, &options).expect("valid");
        }
        let piece = |labelled: bool, verb: &str| -> ClusterRole {
            let labels = labelled.then(|| json!({"aggregate-to-monitoring": "true"}));
            serde_json::from_value(json!({"metadata": {"name": "piece", "labels": labels},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": [verb]}]}))
            .expect("role")
        };
        let both = Dirty {
            namespaces: BTreeSet::from(["a".to_string(), "b".to_string()]),
            cluster: true,
        };
        let only_its_own = Dirty {
            namespaces: BTreeSet::from(["b".to_string()]),
            cluster: true,
        };
        let rules = |inventory: &Inventory| inventory.cluster.cluster_role_rules("monitoring").map(<[_]>::len);
        assert_eq!(inventory.apply(Object::ClusterRole(piece(false, "get"))), only_its_own);
        assert_eq!(rules(&inventory), Some(0));
        assert_eq!(
            inventory.apply(Object::ClusterRole(piece(true, "get"))),
            both,
            "labelled"
        );
        assert_eq!(rules(&inventory), Some(1));
        assert_eq!(
            inventory.apply(Object::ClusterRole(piece(true, "list"))),
            both,
            "rules changed"
        );
        assert_eq!(
            inventory.apply(Object::ClusterRole(piece(false, "list"))),
            both,
            "label removed"
        );
        assert_eq!(rules(&inventory), Some(0));
        assert_eq!(inventory.apply(Object::ClusterRole(piece(true, "list"))), both);
        let reference = ObjectRef {
            kind: Kind::ClusterRole,
            namespace: None,
            name: "piece".into(),
        };
        assert_eq!(inventory.delete(&reference), both, "deleted");
        assert_eq!(rules(&inventory), Some(0));
        assert!(inventory.delete(&reference).is_empty());
    }

    #[test]
    fn aggregation_spans_inventories_read_apart() {
        let (mut first, mut later) = (Inventory::default(), Inventory::default());
        first
            .add_object(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "monitoring"},
                    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"aggregate-to-monitoring": "true"}}]}}),
                &AddOptions::default(),
            )
            .expect("valid");
        later
            .add_object(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "piece", "labels": {"aggregate-to-monitoring": "true"}},
                    "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}),
                &AddOptions::default(),
            )
            .expect("valid");
        assert_eq!(first.cluster.cluster_role_rules("monitoring").map(<[_]>::len), Some(0));
        first.absorb(later);
        assert_eq!(first.cluster.cluster_role_rules("monitoring").map(<[_]>::len), Some(1));
    }

    #[test]
    fn a_role_binding_to_a_cluster_role_dirties_the_cluster_report_too() {
        let mut inventory = Inventory::default();
        let binding = |kind: &str| -> RoleBinding {
            serde_json::from_value(json!({"metadata": {"name": "b", "namespace": "a"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "r"}}))
            .expect("binding")
        };
        let namespace_and_cluster = Dirty {
            namespaces: BTreeSet::from(["a".to_string()]),
            cluster: true,
        };
        assert_eq!(
            inventory.apply(Object::RoleBinding(binding("Role"))),
            Dirty::namespace("a")
        );
        assert_eq!(
            inventory.apply(Object::RoleBinding(binding("ClusterRole"))),
            namespace_and_cluster
        );
        assert!(inventory.apply(Object::RoleBinding(binding("ClusterRole"))).is_empty());
        assert_eq!(
            inventory.apply(Object::RoleBinding(binding("Role"))),
            namespace_and_cluster,
            "it no longer binds the ClusterRole"
        );
        inventory.apply(Object::RoleBinding(binding("ClusterRole")));
        let reference = ObjectRef {
            kind: Kind::RoleBinding,
            namespace: Some("a".into()),
            name: "b".into(),
        };
        assert_eq!(inventory.delete(&reference), namespace_and_cluster);
    }

    #[test]
    fn objects_named_by_generate_name_are_shown_by_it_and_kept_apart() {
        let mut inventory = Inventory::default();
        let options = AddOptions::default();
        for (image, port) in [("a", 80), ("b", 81), ("a", 80)] {
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-", "namespace": "ns"},
                "spec": {"containers": [{"name": "c", "image": image}]}});
            inventory.add_object(pod, &options).expect("valid");
            let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"generateName": "edge-", "namespace": "ns"},
                "spec": {"type": "LoadBalancer", "ports": [{"port": port}]}});
            inventory.add_object(service, &options).expect("valid");
        }
        let namespace = &inventory.namespaces["ns"];
        assert_eq!(
            namespace.workloads.len(),
            2,
            "identical objects are one, different ones two"
        );
        assert_eq!(namespace.services.len(), 2);
        let checks = [
            crate::find("image.mutable-tag").expect("check"),
            crate::find("svc.public-load-balancer").expect("check"),
        ];
        let evaluation = crate::evaluate_namespace(namespace, &inventory.cluster, &crate::Params::default(), &checks);
        let resources: BTreeSet<String> = evaluation
            .findings
            .iter()
            .map(|finding| format!("{}/{}", finding.resource.kind, finding.resource.name))
            .collect();
        assert_eq!(
            resources,
            BTreeSet::from(["Pod/web-*".to_string(), "Service/edge-*".to_string()])
        );
        // One per pod image; the two Services find the same, which is one finding.
        assert_eq!(evaluation.findings.len(), 3, "{:?}", evaluation.findings);
    }

    #[test]
    fn a_shared_secret_value_dirties_every_namespace_holding_it() {
        let mut inventory = Inventory::default();
        let keep = AddOptions {
            keep_secret_data: true,
            ..AddOptions::default()
        };
        let secret = |namespace: &str, value: &str| {
            json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": namespace}, "stringData": {"k": value}})
        };
        inventory.add_object(secret("a", "shared-value"), &keep).expect("valid");
        inventory.add_object(secret("c", "other-value"), &keep).expect("valid");
        let object = match object::parse(secret("b", "shared-value"), &keep) {
            Ok(object::Parsed::One(object)) => *object,
            _ => panic!("a secret"),
        };
        assert_eq!(
            inventory.apply(object).namespaces,
            BTreeSet::from(["a".to_string(), "b".to_string()])
        );
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
        let shop = inventory.namespaces["shop"].workloads.iter().next().expect("workload");
        assert_eq!(shop.kind, "Deployment");
        let nightly = inventory.namespaces["default"]
            .workloads
            .iter()
            .next()
            .expect("workload");
        assert_eq!(nightly.name, "nightly");
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
        // A later object of the same kind and name replaces the earlier one, as kubectl apply does.
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
        assert_eq!(namespace.workloads.len(), 2);
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
        let stored = inventory.namespaces["default"].secrets.get("s").expect("secret");
        assert!(stored.data.is_none() && stored.string_data.is_none());
        let keep = AddOptions {
            keep_secret_data: true,
            ..AddOptions::default()
        };
        inventory.add_object(secret, &keep).expect("secret");
        let stored = inventory.namespaces["default"].secrets.get("s").expect("secret");
        assert!(stored.data.is_some(), "the same secret, now with its data");
    }
}
