//! The check catalog: one record per check holds everything known about it (id, title,
//! severity, mappings, remediation, fixtures and the evaluation function). Reports, docs
//! and `palisade checks` all read this table.

use std::sync::LazyLock;

use palisade_crds::{Profile, Severity};
use serde::Serialize;

use crate::checks;
use crate::engine::{ClusterCtx, Grant, NamespaceCtx, Violation, WorkloadCtx};

/// The seed checklist section a check comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Runtime safeguards of pods and containers.
    Runtime,
    /// Where images come from and how they are pinned.
    ImageSupplyChain,
    /// API access: RBAC and workload identities.
    ApiAccess,
    /// Network segmentation, ingress and egress.
    Network,
    /// Secrets hygiene.
    Secrets,
    /// Admission control and namespace hygiene.
    Admission,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Runtime => "runtime",
            Category::ImageSupplyChain => "image-supply-chain",
            Category::ApiAccess => "api-access",
            Category::Network => "network",
            Category::Secrets => "secrets",
            Category::Admission => "admission",
        }
    }
}

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

/// Where a check comes from in the Pod Security Standards.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PssControl {
    pub level: PssLevel,
    /// The control's name as the standard writes it.
    pub control: &'static str,
}

/// How a check is evaluated. The engine supplies the context; checks never do I/O.
#[derive(Clone, Copy)]
pub enum Eval {
    /// Once per workload (pod template or running pod, reported as its owner).
    Workload(fn(&WorkloadCtx) -> Vec<Violation>),
    /// Once per namespace, over the namespace's objects.
    Namespace(fn(&NamespaceCtx) -> Vec<crate::Finding>),
    /// Once per RBAC binding (RoleBindings in the namespace report, ClusterRoleBindings in the
    /// cluster report), with the rules of the role it binds; returns why the grant fails.
    Grant(fn(&Grant) -> Option<String>),
    /// Once per cluster, over every namespace (cross-namespace checks).
    Cluster(fn(&ClusterCtx) -> Vec<crate::Finding>),
    /// Once per object, over its annotations (namespaced objects in their namespace's report,
    /// cluster-scoped ones in the cluster report); returns what is wrong with them.
    Annotations(fn(&crate::exemption::Annotations) -> Option<String>),
}

/// Whether a fixture must make its check fail or pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Fail,
    Pass,
}

/// Manifests (multi-document YAML) that the check must fail or pass on. Evaluated with
/// content checks on, parameters from `parameters` (a HardeningBaseline `parameters` YAML).
#[derive(Clone, Copy, Debug)]
pub struct Fixture {
    pub expect: Expect,
    pub manifests: &'static str,
}

/// The instant fixtures are evaluated at (fixtures with ages are written relative to it).
pub const FIXTURE_NOW: &str = "2026-06-01T00:00:00Z";

impl Fixture {
    /// The check's findings on the fixture's manifests: content checks on, at [`FIXTURE_NOW`],
    /// with the parameters and profile of the fixture's HardeningBaseline document if it has one.
    pub fn findings(&self, check: &'static CheckDef) -> Result<Vec<crate::Finding>, String> {
        let (documents, errors) = crate::manifest::split(self.manifests, false);
        if let Some(error) = errors.first() {
            return Err(error.to_string());
        }
        let mut inventory = crate::Inventory::default();
        let mut baseline = crate::baseline::ResolvedBaseline::profile(Profile::Baseline);
        let options = crate::AddOptions {
            keep_secret_data: true,
            ..crate::AddOptions::default()
        };
        for object in documents.into_iter().map(|document| document.object) {
            if object["kind"] == "HardeningBaseline" {
                let spec = serde_json::from_value::<palisade_crds::HardeningBaseline>(object)
                    .map_err(|error| error.to_string())?
                    .spec;
                baseline = crate::baseline::resolve(None, &spec).map_err(|problems| problems.join("; "))?;
                continue;
            }
            inventory
                .add_object(object, &options)
                .map_err(|error| error.to_string())?;
        }
        let params = baseline.params(true, FIXTURE_NOW.parse().ok());
        let only = [check];
        let mut findings: Vec<crate::Finding> = inventory
            .namespaces
            .values()
            .flat_map(|namespace| crate::evaluate_namespace(namespace, &inventory.cluster, &params, &only).findings)
            .collect();
        findings.extend(crate::evaluate_cluster(&inventory, &params, &only).findings);
        Ok(findings)
    }
}

/// One check of the catalog.
pub struct CheckDef {
    /// Stable public id, `area.name`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// The least strict profile that makes this check Required; `None` keeps it Advisory.
    pub required_in: Option<Profile>,
    pub pss: Option<PssControl>,
    /// CIS Kubernetes Benchmark recommendations.
    pub cis: &'static [&'static str],
    /// NSA/CISA Kubernetes Hardening Guide sections.
    pub nsa: &'static [&'static str],
    /// What fails, in one sentence (the catalog's "fails when").
    pub fails_when: &'static str,
    pub remediation: &'static str,
    /// Evaluated only when content checks are enabled (the check reads secret data).
    pub reads_secret_data: bool,
    pub eval: Eval,
    /// For checks whose result changes with time alone: the next instant after `params.now` at
    /// which it changes for the namespace, so the operator re-evaluates exactly then.
    pub changes_at: Option<fn(&NamespaceCtx) -> Option<k8s_openapi::jiff::Timestamp>>,
    pub fixtures: &'static [Fixture],
}

impl CheckDef {
    pub fn pss_level(&self) -> Option<PssLevel> {
        self.pss.map(|pss| pss.level)
    }
}

impl std::fmt::Debug for CheckDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckDef").field("id", &self.id).finish_non_exhaustive()
    }
}

static CATALOG: LazyLock<Vec<&'static CheckDef>> = LazyLock::new(|| {
    let mut all: Vec<&'static CheckDef> = checks::ALL.iter().flat_map(|group| group.iter()).collect();
    all.sort_by_key(|check| check.id);
    all
});

/// Every check, sorted by id.
pub fn catalog() -> &'static [&'static CheckDef] {
    &CATALOG
}

/// The check with this id.
pub fn find(id: &str) -> Option<&'static CheckDef> {
    catalog()
        .binary_search_by(|check| check.id.cmp(id))
        .ok()
        .map(|index| catalog()[index])
}
