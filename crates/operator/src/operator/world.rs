//! Everything the watches have seen, as one in-memory index: the checks' inventory and the
//! HardeningBaselines. Updates say which namespaces (and whether the cluster report) they can
//! affect; evaluation reads it. Pure: tested as a plain struct.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use palisade_checks::baseline::{ResolvedBaseline, governing, resolve, selects};
use palisade_checks::{Dirty, Inventory, Object, ObjectRef};
use palisade_crds::{HardeningBaseline, HardeningBaselineSpec, HardeningBaselineStatus, Profile};

/// A HardeningBaseline as last seen, with its resolution.
#[derive(Clone, Debug)]
pub struct BaselineEntry {
    pub generation: Option<i64>,
    pub spec: HardeningBaselineSpec,
    /// The status on the server, as last seen.
    pub status: Option<HardeningBaselineStatus>,
    /// The resolved baseline, or what is wrong with the spec.
    pub resolved: Result<ResolvedBaseline, Vec<String>>,
}

/// The operator's configuration that decides what is evaluated.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Namespaces never evaluated (their reports are removed).
    pub excluded: BTreeSet<String>,
    /// The profile for namespaces no valid baseline selects, and for the cluster report.
    pub default_profile: ResolvedBaseline,
    pub content_checks: bool,
}

/// What the watches have seen.
#[derive(Debug, Default)]
pub struct World {
    pub inventory: Inventory,
    pub baselines: BTreeMap<String, BaselineEntry>,
}

impl World {
    pub fn apply(&mut self, object: Object) -> Dirty {
        self.inventory.apply(object)
    }

    pub fn delete(&mut self, object: &ObjectRef) -> Dirty {
        self.inventory.delete(object)
    }

    /// Stores a baseline; the namespaces it selected before and selects now are dirty. A status
    /// written by Palisade itself (same generation and spec) dirties nothing.
    pub fn apply_baseline(&mut self, baseline: HardeningBaseline) -> Dirty {
        let name = baseline.metadata.name.clone().unwrap_or_default();
        let generation = baseline.metadata.generation;
        let entry = BaselineEntry {
            generation,
            resolved: resolve(Some(&name), &baseline.spec),
            spec: baseline.spec,
            status: baseline.status,
        };
        let previous = self.baselines.insert(name, entry.clone());
        match previous {
            Some(previous) if previous.generation == generation && same_spec(&previous.spec, &entry.spec) => {
                Dirty::default()
            }
            previous => {
                let mut dirty = self.selected_by(&entry.spec);
                if let Some(previous) = previous {
                    dirty.merge(self.selected_by(&previous.spec));
                }
                dirty
            }
        }
    }

    /// Records a baseline that cannot be read: it selects and governs nothing, and what its
    /// previous version selected is dirty.
    pub fn apply_unreadable_baseline(&mut self, metadata: ObjectMeta, problem: String) -> Dirty {
        let name = metadata.name.unwrap_or_default();
        let entry = BaselineEntry {
            generation: metadata.generation,
            spec: HardeningBaselineSpec::default(),
            status: None,
            resolved: Err(vec![problem]),
        };
        match self.baselines.insert(name, entry) {
            Some(previous) => self.selected_by(&previous.spec),
            None => Dirty::default(),
        }
    }

    pub fn delete_baseline(&mut self, name: &str) -> Dirty {
        match self.baselines.remove(name) {
            Some(previous) => self.selected_by(&previous.spec),
            None => Dirty::default(),
        }
    }

    fn selected_by(&self, spec: &HardeningBaselineSpec) -> Dirty {
        let namespaces = self
            .inventory
            .namespaces
            .values()
            .filter(|inventory| selects(spec, &inventory.name, labels(inventory)))
            .map(|inventory| inventory.name.clone())
            .collect();
        Dirty {
            namespaces,
            cluster: false,
        }
    }

    /// Namespaces that exist (their Namespace object is known), in name order.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.inventory
            .namespaces
            .values()
            .filter(|inventory| inventory.namespace.is_some())
            .map(|inventory| inventory.name.as_str())
    }

    /// Whether the namespace exists and is not being deleted.
    pub fn namespace_active(&self, name: &str) -> bool {
        self.inventory
            .namespaces
            .get(name)
            .and_then(|inventory| inventory.namespace.as_ref())
            .is_some_and(|namespace| namespace.metadata.deletion_timestamp.is_none())
    }

    /// Whether the namespace is being deleted.
    pub fn namespace_terminating(&self, name: &str) -> bool {
        self.namespace_exists(name) && !self.namespace_active(name)
    }

    pub fn namespace_exists(&self, name: &str) -> bool {
        self.inventory
            .namespaces
            .get(name)
            .is_some_and(|inventory| inventory.namespace.is_some())
    }

    /// The valid baseline that governs the namespace: the highest priority, then the first
    /// name, among those that select it. Invalid baselines govern nothing, so the namespaces
    /// they select keep being served by the next one (or the default profile).
    pub fn governing(&self, namespace: &str) -> Option<&ResolvedBaseline> {
        let labels = self.inventory.namespaces.get(namespace).and_then(labels);
        let valid = self
            .baselines
            .iter()
            .filter(|(_, entry)| entry.resolved.is_ok())
            .map(|(name, entry)| (name.as_str(), &entry.spec));
        let (name, _) = governing(valid, namespace, labels)?;
        self.baselines.get(name)?.resolved.as_ref().ok()
    }
}

fn labels(inventory: &palisade_checks::NamespaceInventory) -> Option<&BTreeMap<String, String>> {
    inventory.namespace.as_ref()?.metadata.labels.as_ref()
}

/// Specs compare by their serialized form: the CRD types carry no `PartialEq` for every field.
fn same_spec(a: &HardeningBaselineSpec, b: &HardeningBaselineSpec) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

impl Scope {
    pub fn new(excluded: BTreeSet<String>, default_profile: Profile, content_checks: bool) -> Scope {
        Scope {
            excluded,
            default_profile: ResolvedBaseline::profile(default_profile),
            content_checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Namespace;
    use palisade_checks::{AddOptions, Object};
    use serde_json::json;

    fn world() -> World {
        let mut world = World::default();
        for (name, tier) in [("shop", "prod"), ("blog", "dev"), ("ops", "prod")] {
            let namespace =
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"tier": tier}}});
            world
                .inventory
                .add_object(namespace, &AddOptions::default())
                .expect("namespace");
        }
        world
    }

    fn baseline(name: &str, generation: i64, spec: serde_json::Value) -> HardeningBaseline {
        serde_json::from_value(
            json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline",
            "metadata": {"name": name, "generation": generation}, "spec": spec}),
        )
        .expect("baseline")
    }

    fn names(dirty: &Dirty) -> Vec<&str> {
        dirty.namespaces.iter().map(String::as_str).collect()
    }

    #[test]
    fn a_baseline_change_dirties_what_it_selected_before_and_after() {
        let mut world = world();
        let prod = json!({"namespaceSelector": {"matchLabels": {"tier": "prod"}}, "profile": "baseline"});
        assert_eq!(
            names(&world.apply_baseline(baseline("b", 1, prod.clone()))),
            ["ops", "shop"]
        );
        assert!(world.apply_baseline(baseline("b", 1, prod)).is_empty(), "a status echo");
        let dev = json!({"namespaces": ["blog"], "profile": "baseline"});
        assert_eq!(
            names(&world.apply_baseline(baseline("b", 2, dev))),
            ["blog", "ops", "shop"]
        );
        assert_eq!(names(&world.delete_baseline("b")), ["blog"]);
    }

    #[test]
    fn a_namespace_being_deleted_is_terminating_until_it_is_gone() {
        let mut world = world();
        assert!(world.namespace_active("shop") && !world.namespace_terminating("shop"));
        let deleting: Namespace = serde_json::from_value(json!({"metadata": {"name": "shop",
            "deletionTimestamp": "2026-11-30T20:00:00Z", "finalizers": ["kubernetes"]}}))
        .expect("namespace");
        assert_eq!(names(&world.apply(Object::Namespace(deleting))), ["shop"]);
        assert!(world.namespace_terminating("shop") && !world.namespace_active("shop"));
        assert!(
            !world.namespace_terminating("nowhere"),
            "an unknown namespace is not being deleted"
        );
    }

    #[test]
    fn invalid_baselines_govern_nothing() {
        let mut world = world();
        world.apply_baseline(baseline(
            "a-broken",
            1,
            json!({"namespaces": ["shop"], "priority": 9, "profile": "baseline",
            "checks": [{"id": "pod.no-such-check", "mode": "Disabled"}]}),
        ));
        world.apply_baseline(baseline(
            "z-fallback",
            1,
            json!({"namespaces": ["shop"], "profile": "restricted"}),
        ));
        assert!(world.baselines["a-broken"].resolved.is_err());
        assert_eq!(
            world.governing("shop").and_then(|governing| governing.name.as_deref()),
            Some("z-fallback")
        );
        assert!(world.governing("blog").is_none());
    }
}
