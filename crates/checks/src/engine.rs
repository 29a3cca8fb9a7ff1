//! Runs catalog checks over an inventory. Pure: the caller supplies the clock and parameters.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use foldhash::fast::RandomState;
use k8s_openapi::api::core::v1::{ContainerPort, EnvFromSource, SecurityContext};
use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::annotated;
use crate::catalog::{CheckDef, Eval, PssLevel};
use crate::exemption::Annotations;
use crate::inventory::{
    ClusterInventory, Inventory, NamespaceInventory, PodLevel, Source, StoredEnv, StoredVolume, Workload,
};
use crate::pss::PssVersion;

pub use crate::exemption::{EXEMPT_ANNOTATION, EXEMPT_REASON_ANNOTATION};
/// Label the API server puts on the RBAC objects it bootstraps; those are the platform's own
/// and not judged.
const BOOTSTRAP_LABEL: &str = "kubernetes.io/bootstrapping";

/// Inputs checks read besides the objects.
#[derive(Clone, Debug)]
pub struct Params {
    pub allowed_registries: Vec<String>,
    pub allowed_capabilities: Vec<String>,
    pub max_secret_age_days: i64,
    /// Whether checks that read secret values run (`reads_secret_data`).
    pub content_checks: bool,
    /// The evaluation time; age checks are skipped without it.
    pub now: Option<Timestamp>,
    /// The Pod Security level the governing baseline's profile implies for namespace labels.
    pub pod_security_level: PssLevel,
    /// The Pod Security Standards version pods are judged by, unless their namespace's
    /// enforce-version label names another.
    pub pss_version: PssVersion,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            allowed_registries: Vec::new(),
            allowed_capabilities: Vec::new(),
            max_secret_age_days: 90,
            content_checks: false,
            now: None,
            pod_security_level: PssLevel::Baseline,
            pss_version: PssVersion::NEWEST,
        }
    }
}

/// A resource a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceRef {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ResourceRef {
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> ResourceRef {
        ResourceRef {
            kind: kind.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    pub fn of(kind: &str, metadata: &ObjectMeta) -> ResourceRef {
        ResourceRef::new(
            kind,
            metadata.namespace.as_deref(),
            metadata.name.as_deref().unwrap_or_default(),
        )
    }
}

/// One failing check on one resource (and container). Ordered by its fields in turn.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub check: &'static str,
    /// Shared by the findings on one resource.
    pub resource: Arc<ResourceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Arc<str>>,
    /// Never contains a secret's or a literal env var's value. Most are fixed texts, held
    /// without a copy each.
    pub message: Cow<'static, str>,
    /// The reason given by a `palisade.dev/exempt` annotation on the resource that covers this
    /// check. Whether it counts is the baseline's decision.
    #[serde(skip)]
    pub annotation_exemption: Option<String>,
}

impl Finding {
    pub fn new(
        check: &'static str,
        resource: impl Into<Arc<ResourceRef>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Finding {
        Finding {
            check,
            resource: resource.into(),
            container: None,
            message: message.into(),
            annotation_exemption: None,
        }
    }

    /// Records an exemption when the resource's annotations hold a well-formed one that covers
    /// this finding's check.
    pub fn exempt_by(mut self, annotations: Option<&BTreeMap<String, String>>) -> Finding {
        self.annotation_exemption = crate::exemption::covering(Annotations::of(annotations), self.check);
        self
    }
}

/// Findings are sorted by the tens of thousands and most share their check's id, their resource
/// and their message with others: those compare equal by their address alone, without reading
/// their text again.
impl Ord for Finding {
    fn cmp(&self, other: &Self) -> Ordering {
        shared(self.check, other.check)
            .then_with(|| shared(&*self.resource, &*other.resource))
            .then_with(|| match (&self.container, &other.container) {
                (Some(a), Some(b)) => shared(&**a, &**b),
                (a, b) => a.cmp(b),
            })
            .then_with(|| shared(&*self.message, &*other.message))
            .then_with(|| self.annotation_exemption.cmp(&other.annotation_exemption))
    }
}

/// Two values compared, equal without reading them when they are one value at one address.
fn shared<T: ?Sized + Ord>(a: &T, b: &T) -> Ordering {
    if std::ptr::eq(a, b) { Ordering::Equal } else { a.cmp(b) }
}

impl PartialOrd for Finding {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Finding {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Finding {}

/// Sorts findings as their `Ord` orders them, comparing numbers where it can: the check ids and
/// resources are ranked once, and only findings of one check on one resource are compared by
/// their other fields. An audit sorts 72k findings on 9.5k resources; comparing the resources'
/// texts again at every comparison took about 3% of a one-core audit.
pub fn sort_findings(findings: &mut [Finding]) {
    let checks = Ranks::of(findings.iter().map(|finding| finding.check));
    let resources = Ranks::of(findings.iter().map(|finding| &*finding.resource));
    findings.sort_by_cached_key(|finding| (checks.rank(finding.check), resources.rank(&finding.resource)));
    let same_check_and_resource = |a: &Finding, b: &Finding| {
        shared(a.check, b.check)
            .then_with(|| shared(&*a.resource, &*b.resource))
            .is_eq()
    };
    for run in findings.chunk_by_mut(same_check_and_resource) {
        run.sort_unstable();
    }
}

/// The rank of each of some values in their order, by the value's address: equal values at
/// different addresses share one.
struct Ranks<T: ?Sized>(HashMap<*const T, usize, RandomState>);

impl<'a, T: ?Sized + Ord + 'a> Ranks<T> {
    fn of(values: impl Iterator<Item = &'a T>) -> Ranks<T> {
        let mut by_address: HashMap<*const T, usize, RandomState> = HashMap::default();
        let mut distinct: Vec<&T> = Vec::new();
        for value in values {
            by_address.entry(std::ptr::from_ref(value)).or_insert_with(|| {
                distinct.push(value);
                0
            });
        }
        distinct.sort_unstable();
        let mut rank = 0;
        for (index, value) in distinct.iter().enumerate() {
            if index > 0 && distinct[index - 1] != *value {
                rank += 1;
            }
            by_address.insert(std::ptr::from_ref(*value), rank);
        }
        Ranks(by_address)
    }

    /// The rank of a value given to [`Ranks::of`] (any other ranks first).
    fn rank(&self, value: &T) -> usize {
        self.0.get(&std::ptr::from_ref(value)).copied().unwrap_or_default()
    }
}

/// What a workload check found: a message, and the container when it is about one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub container: Option<Arc<str>>,
    pub message: Cow<'static, str>,
}

impl Violation {
    pub fn pod(message: impl Into<Cow<'static, str>>) -> Violation {
        Violation {
            container: None,
            message: message.into(),
        }
    }

    pub fn container(container: &ContainerView, message: impl Into<Cow<'static, str>>) -> Violation {
        Violation {
            container: Some(Arc::clone(container.name)),
            message: message.into(),
        }
    }
}

/// Which list of the pod spec a container comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

/// The fields checks read, common to containers, init containers and ephemeral containers
/// (which the API models as a separate type).
#[derive(Clone, Copy, Debug)]
pub struct ContainerView<'a> {
    pub kind: ContainerKind,
    pub name: &'a Arc<str>,
    pub image: Option<&'a str>,
    pub security_context: Option<&'a SecurityContext>,
    pub ports: &'a [ContainerPort],
    pub env: &'a [StoredEnv],
    pub env_from: &'a [EnvFromSource],
    /// Stored as the credentials they carry only (see [`crate::inventory::strip`]).
    pub command: &'a [String],
    pub args: &'a [String],
    /// The resources it sets a limit for.
    pub limits: &'a [String],
    /// The non-empty hosts its probes and lifecycle hooks target.
    pub handler_hosts: &'a [String],
}

/// What a workload check sees.
pub struct WorkloadCtx<'a> {
    pub workload: &'a Workload,
    pub namespace: &'a NamespaceInventory,
    pub params: &'a Params,
}

impl WorkloadCtx<'_> {
    /// The pod-level fields (see [`WorkloadCtx::containers`], [`WorkloadCtx::volumes`]).
    pub fn spec(&self) -> &PodLevel {
        &self.workload.spec.pod
    }

    /// Init, regular and ephemeral containers, in that order.
    pub fn containers(&self) -> impl Iterator<Item = ContainerView<'_>> {
        self.workload.spec.containers()
    }

    pub fn volumes(&self) -> &[StoredVolume] {
        &self.workload.spec.volumes
    }

    /// Whether the pod declares itself a Windows pod (`spec.os.name`), which the Pod Security
    /// Standards exempt from Linux-only controls.
    pub fn is_windows(&self) -> bool {
        self.spec().os.as_ref().is_some_and(|os| os.name == "windows")
    }
}

/// What a namespace check sees.
pub struct NamespaceCtx<'a> {
    pub namespace: &'a NamespaceInventory,
    pub cluster: &'a ClusterInventory,
    pub params: &'a Params,
}

/// What a cross-namespace check sees.
pub struct ClusterCtx<'a> {
    pub inventory: &'a Inventory,
    pub params: &'a Params,
    /// When one namespace is evaluated, only the findings on its objects are wanted: a check
    /// that reads every namespace still builds findings for this one alone, so evaluating each
    /// namespace in turn does not cost the square of the cluster. `None`: every finding.
    pub only_namespace: Option<&'a str>,
}

impl ClusterCtx<'_> {
    /// Whether findings on this namespace's objects are wanted.
    pub fn wants(&self, namespace: &str) -> bool {
        self.only_namespace.is_none_or(|only| only == namespace)
    }
}

/// A binding with the rules of the role it refers to (empty when the role is unknown).
pub struct Grant<'a> {
    pub binding: ResourceRef,
    pub role_ref: &'a RoleRef,
    pub subjects: &'a [Subject],
    pub rules: &'a [PolicyRule],
}

impl Grant<'_> {
    /// The namespace a namespaced binding grants in (`None` for ClusterRoleBindings).
    pub fn namespace(&self) -> Option<&str> {
        self.binding.namespace.as_deref()
    }
}

/// Findings of a namespace and how many resources were evaluated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Sorted and without duplicates: replicas of one workload yield one finding.
    pub findings: Vec<Finding>,
    pub resources_evaluated: usize,
    /// The next instant after `params.now` at which a check's result changes by time alone
    /// (a secret crossing its rotation age).
    pub changes_at: Option<Timestamp>,
}

impl Evaluation {
    /// Adds another part of the same report (another namespace, the cluster scope).
    pub fn absorb(&mut self, other: Evaluation) {
        self.findings.extend(other.findings);
        self.resources_evaluated += other.resources_evaluated;
        self.changes_at = earliest(self.changes_at, other.changes_at);
    }
}

/// The earlier of two optional instants.
pub fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The checks that run: those asked for, minus secret-content checks unless enabled.
fn running<'a>(checks: &'a [&'static CheckDef], params: &'a Params) -> impl Iterator<Item = &'static CheckDef> + 'a {
    checks
        .iter()
        .copied()
        .filter(|check| params.content_checks || !check.reads_secret_data)
}

/// Evaluates the given checks' namespace-scoped parts (workload, namespace and RoleBinding
/// checks); pass [`catalog()`](crate::catalog()) or a baseline's [`enabled_checks`](crate::baseline::ResolvedBaseline::enabled_checks).
pub fn evaluate_namespace(
    namespace: &NamespaceInventory,
    cluster: &ClusterInventory,
    params: &Params,
    checks: &[&'static CheckDef],
) -> Evaluation {
    let namespace_params = crate::pss::namespace_params(namespace, params);
    let params = &*namespace_params;
    let mut findings = Vec::new();
    // Replicas of a workload mostly find the same things: violations are deduplicated per
    // workload before findings are built, so each distinct finding is built once, not per pod.
    let mut found: Vec<Found> = Vec::new();
    let grants = namespace_grants(namespace, cluster);
    let workloads: Vec<(&Workload, (&str, &str))> = namespace
        .workloads
        .iter()
        .map(|workload| (workload, namespace.reported_as(workload)))
        .collect();
    let mut changes_at = None;
    for check in running(checks, params) {
        if let Some(due) = check.changes_at {
            changes_at = earliest(
                changes_at,
                due(&NamespaceCtx {
                    namespace,
                    cluster,
                    params,
                }),
            );
        }
        match check.eval {
            Eval::Workload(eval) => {
                // Replicas usually sit next to each other and find the same: a pod whose
                // violations repeat those of the previous object of its workload adds nothing.
                let mut previous: Option<((&str, &str), usize)> = None;
                for &(workload, reported_as) in &workloads {
                    let ctx = WorkloadCtx {
                        workload,
                        namespace,
                        params,
                    };
                    let violations = eval(&ctx);
                    let repeat = previous.is_some_and(|(last, start)| {
                        last == reported_as
                            && found[start..]
                                .iter()
                                .map(|found| &found.violation)
                                .eq(violations.iter())
                    });
                    if !repeat {
                        previous = Some((reported_as, found.len()));
                        found.extend(violations.into_iter().map(|violation| Found {
                            reported_as,
                            workload,
                            check: check.id,
                            violation,
                        }));
                    }
                }
            }
            Eval::Namespace(eval) => findings.extend(eval(&NamespaceCtx {
                namespace,
                cluster,
                params,
            })),
            Eval::Grant(eval) => findings.extend(grant_findings(check, eval, &grants)),
            Eval::Annotations(eval) => {
                findings.extend(annotated::findings(check, eval, annotated::in_namespace(namespace)))
            }
            Eval::Cluster(_) => {}
        }
    }
    findings.extend(workload_findings(found, &namespace.name));
    findings.sort();
    findings.dedup();
    let mut reported: Vec<(&str, &str)> = workloads.iter().map(|&(_, reported_as)| reported_as).collect();
    reported.sort_unstable();
    reported.dedup();
    Evaluation {
        findings,
        resources_evaluated: reported.len()
            + namespace.service_accounts.len()
            + namespace.services.len()
            + namespace.roles.len()
            + namespace.role_bindings.len()
            + namespace.network_policies.len()
            + namespace.secrets.len()
            + namespace.ingresses.len()
            + usize::from(namespace.namespace.is_some()),
        changes_at,
    }
}

/// A workload check's violation on a template or pod, with the workload it is reported as.
struct Found<'a> {
    reported_as: (&'a str, &'a str),
    workload: &'a Workload,
    check: &'static str,
    violation: Violation,
}

impl Found<'_> {
    /// What makes two violations the same finding.
    fn identity(&self) -> (&str, &str, &'static str, Option<&str>, &str) {
        let (kind, name) = self.reported_as;
        (
            kind,
            name,
            self.check,
            self.violation.container.as_deref(),
            &self.violation.message,
        )
    }

    /// The workload, check and container a template speaks for.
    fn slot(&self) -> (&str, &str, &'static str, Option<&str>) {
        let (kind, name) = self.reported_as;
        (kind, name, self.check, self.violation.container.as_deref())
    }
}

/// One finding per distinct violation of a reported workload. Where the workload's template
/// fails a check for a container, its pods' violations of that check and container add nothing:
/// the finding stays the template's as pods come and go (rolling updates, scale to zero, a
/// CronJob's runs). Pods add only what their template does not show, such as containers or
/// settings injected at admission.
fn workload_findings<'a>(mut found: Vec<Found<'a>>, namespace: &'a str) -> impl Iterator<Item = Finding> + 'a {
    let keep: Vec<bool> = {
        let mut template_slots: Vec<(&str, &str, &str, Option<&str>)> = found
            .iter()
            .filter(|found| found.workload.source == Source::Template)
            .map(Found::slot)
            .collect();
        template_slots.sort_unstable();
        found
            .iter()
            .map(|found| {
                found.workload.source == Source::Template || template_slots.binary_search(&found.slot()).is_err()
            })
            .collect()
    };
    let mut keep = keep.into_iter();
    found.retain(|_| keep.next().unwrap_or(true));
    found.sort_by(|a, b| (a.identity(), a.workload.source).cmp(&(b.identity(), b.workload.source)));
    found.dedup_by(|a, b| a.identity() == b.identity());
    // Sorted by identity, a workload's findings are adjacent: they share one resource.
    let mut previous: Option<Arc<ResourceRef>> = None;
    found.into_iter().map(move |found| {
        let (kind, name) = found.reported_as;
        let resource = match previous.take() {
            Some(resource) if resource.kind == kind && resource.name == name => resource,
            _ => Arc::new(ResourceRef::new(kind, Some(namespace), name)),
        };
        previous = Some(Arc::clone(&resource));
        Finding {
            check: found.check,
            resource,
            container: found.violation.container,
            message: found.violation.message,
            annotation_exemption: crate::exemption::covering(found.workload.annotations(), found.check),
        }
    })
}

/// Findings on one namespace's objects of the given checks that compare namespaces with each
/// other (a secret value reused elsewhere, a Role no binding refers to).
pub fn evaluate_cross_namespace(
    inventory: &Inventory,
    namespace: &str,
    params: &Params,
    checks: &[&'static CheckDef],
) -> Vec<Finding> {
    let ctx = ClusterCtx {
        inventory,
        params,
        only_namespace: Some(namespace),
    };
    let mut findings = Vec::new();
    for check in running(checks, params) {
        if let Eval::Cluster(eval) = check.eval {
            findings.extend(eval(&ctx));
        }
    }
    findings
}

/// Evaluates the given checks' cluster-scoped parts: ClusterRoleBindings and cross-namespace checks.
pub fn evaluate_cluster(inventory: &Inventory, params: &Params, checks: &[&'static CheckDef]) -> Evaluation {
    let mut findings = BTreeSet::new();
    let grants = cluster_grants(&inventory.cluster);
    for check in running(checks, params) {
        match check.eval {
            Eval::Grant(eval) => findings.extend(grant_findings(check, eval, &grants)),
            Eval::Cluster(eval) => findings.extend(eval(&ClusterCtx {
                inventory,
                params,
                only_namespace: None,
            })),
            Eval::Annotations(eval) => {
                findings.extend(annotated::findings(
                    check,
                    eval,
                    annotated::in_cluster(&inventory.cluster),
                ));
            }
            Eval::Workload(_) | Eval::Namespace(_) => {}
        }
    }
    Evaluation {
        findings: findings.into_iter().collect(),
        resources_evaluated: inventory.cluster.cluster_roles.len() + inventory.cluster.cluster_role_bindings.len(),
        changes_at: None,
    }
}

fn grant_findings<'a>(
    check: &'a CheckDef,
    eval: fn(&Grant) -> Option<String>,
    grants: &'a [(Grant<'a>, Option<&'a BTreeMap<String, String>>)],
) -> impl Iterator<Item = Finding> + 'a {
    grants.iter().filter_map(move |(grant, annotations)| {
        eval(grant).map(|message| Finding::new(check.id, grant.binding.clone(), message).exempt_by(*annotations))
    })
}

pub(crate) fn is_bootstrap_default(metadata: &ObjectMeta) -> bool {
    metadata.labels.as_ref().is_some_and(|labels| {
        labels
            .get(BOOTSTRAP_LABEL)
            .is_some_and(|value| value == "rbac-defaults")
    })
}

type GrantWithAnnotations<'a> = (Grant<'a>, Option<&'a BTreeMap<String, String>>);

fn namespace_grants<'a>(
    namespace: &'a NamespaceInventory,
    cluster: &'a ClusterInventory,
) -> Vec<GrantWithAnnotations<'a>> {
    namespace
        .role_bindings
        .iter()
        .filter(|binding| !is_bootstrap_default(&binding.metadata))
        .map(|binding| {
            let role_name = binding.role_ref.name.as_str();
            let rules = if binding.role_ref.kind == "Role" {
                namespace
                    .roles
                    .iter()
                    .find(|role| role.metadata.name.as_deref() == Some(role_name))
                    .and_then(|role| role.rules.as_deref())
            } else {
                cluster.cluster_role_rules(role_name)
            };
            let grant = Grant {
                binding: ResourceRef::new(
                    "RoleBinding",
                    Some(&namespace.name),
                    binding.metadata.name.as_deref().unwrap_or_default(),
                ),
                role_ref: &binding.role_ref,
                subjects: binding.subjects.as_deref().unwrap_or_default(),
                rules: rules.unwrap_or_default(),
            };
            (grant, binding.metadata.annotations.as_ref())
        })
        .collect()
}

fn cluster_grants(cluster: &ClusterInventory) -> Vec<GrantWithAnnotations<'_>> {
    cluster
        .cluster_role_bindings
        .iter()
        .filter(|binding| !is_bootstrap_default(&binding.metadata))
        .map(|binding| {
            let grant = Grant {
                binding: ResourceRef::new(
                    "ClusterRoleBinding",
                    None,
                    binding.metadata.name.as_deref().unwrap_or_default(),
                ),
                role_ref: &binding.role_ref,
                subjects: binding.subjects.as_deref().unwrap_or_default(),
                rules: cluster.cluster_role_rules(&binding.role_ref.name).unwrap_or_default(),
            };
            (grant, binding.metadata.annotations.as_ref())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AddOptions;
    use serde_json::json;

    #[test]
    fn findings_on_one_workload_share_its_resource_and_container_name() {
        let mut inventory = Inventory::default();
        for name in ["a", "b"] {
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop"},
                "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}});
            inventory.add_object(pod, &AddOptions::default()).expect("valid");
        }
        let namespace = &inventory.namespaces["shop"];
        let evaluation = evaluate_namespace(namespace, &inventory.cluster, &Params::default(), crate::catalog());
        for name in ["a", "b"] {
            let mut on_pod = evaluation
                .findings
                .iter()
                .filter(|finding| finding.resource.name == name);
            let first = on_pod.next().expect("a finding on the pod");
            let rest: Vec<_> = on_pod.collect();
            assert!(!rest.is_empty(), "a privileged pod fails several checks");
            assert!(
                rest.iter()
                    .all(|finding| Arc::ptr_eq(&finding.resource, &first.resource))
            );
            let mut containers = rest
                .iter()
                .chain([&first])
                .filter_map(|finding| finding.container.as_ref());
            let container = containers.next().expect("a finding on the container");
            assert!(containers.all(|other| Arc::ptr_eq(other, container)));
        }
        let [a, b] = ["a", "b"].map(|name| evaluation.findings.iter().find(|finding| finding.resource.name == name));
        assert!(!Arc::ptr_eq(&a.expect("a").resource, &b.expect("b").resource));
    }

    #[test]
    fn findings_order_by_their_fields_whether_shared_or_copied() {
        let copied_id: &'static str = String::from("pod.a").leak();
        let web = Arc::new(ResourceRef::new("Deployment", Some("shop"), "web"));
        let resources = [
            Arc::clone(&web),
            web,
            Arc::new(ResourceRef::new("Deployment", Some("shop"), "web")),
            Arc::new(ResourceRef::new("Deployment", Some("shop"), "api")),
            Arc::new(ResourceRef::new("Pod", None, "web")),
        ];
        let app: Arc<str> = Arc::from("app");
        let containers = [
            None,
            Some(Arc::clone(&app)),
            Some(app),
            Some(Arc::from("app")),
            Some(Arc::from("init")),
        ];
        let messages: [Cow<'static, str>; 3] = ["runs as root".into(), String::from("runs as root").into(), "b".into()];
        let mut findings = Vec::new();
        for check in ["pod.a", copied_id, "pod.b"] {
            for resource in &resources {
                for container in &containers {
                    for message in &messages {
                        for exemption in [None, Some("vendor image".to_string())] {
                            findings.push(Finding {
                                check,
                                resource: Arc::clone(resource),
                                container: container.clone(),
                                message: message.clone(),
                                annotation_exemption: exemption,
                            });
                        }
                    }
                }
            }
        }
        let fields = |finding: &Finding| {
            (
                finding.check,
                ResourceRef::clone(&finding.resource),
                finding.container.as_deref().map(str::to_string),
                finding.message.to_string(),
                finding.annotation_exemption.clone(),
            )
        };
        for a in &findings {
            for b in &findings {
                assert_eq!(a.cmp(b), fields(a).cmp(&fields(b)), "{a:?} against {b:?}");
                assert_eq!(a == b, fields(a) == fields(b));
            }
        }
        // Ranked and sorted, from orders that put equal values at different addresses first.
        let mut expected: Vec<_> = findings.iter().map(fields).collect();
        expected.sort();
        for seed in 0..20u64 {
            let mut shuffled = findings.clone();
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for index in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(index, usize::try_from(state % (index as u64 + 1)).expect("in range"));
            }
            sort_findings(&mut shuffled);
            assert_eq!(shuffled.iter().map(fields).collect::<Vec<_>>(), expected);
        }
    }
}
