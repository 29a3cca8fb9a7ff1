//! Where each resource came from (file and line), so findings can name it. Workloads are recorded
//! under the name the engine reports them by (a Pod owned by a ReplicaSet is its Deployment).

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use palisade_checks::ResourceRef;

/// A resource's source: the file, and the 1-based line its document starts at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Shared by every resource of the file (behind a thin pointer: every report row holds one).
    pub file: Arc<String>,
    pub line: Option<usize>,
}

/// Sources by resource. The first file that defines a resource wins. Every finding is looked up
/// here, so the hasher is a fast one (still seeded at random).
#[derive(Debug, Default)]
pub struct Origins {
    exact: HashMap<ResourceRef, Origin, RandomState>,
    by_name: HashMap<(String, String), Origin, RandomState>,
}

impl Origins {
    /// Records a resource under its namespace (the default one when it names none).
    pub fn record(&mut self, kind: &str, namespace: &str, name: &str, origin: &Origin) {
        self.exact
            .entry(ResourceRef::new(kind, Some(namespace), name))
            .or_insert_with(|| origin.clone());
        self.by_name
            .entry((kind.to_string(), name.to_string()))
            .or_insert_with(|| origin.clone());
    }

    /// Adds the origins recorded by a later read; what this one recorded first still wins.
    pub fn absorb(&mut self, later: Origins) {
        for (key, origin) in later.exact {
            self.exact.entry(key).or_insert(origin);
        }
        for (key, origin) in later.by_name {
            self.by_name.entry(key).or_insert(origin);
        }
    }

    /// The source of a finding's resource: the same kind, namespace and name, or else the same
    /// kind and name (cluster-scoped resources and the namespaces themselves).
    pub fn origin_of(&self, resource: &ResourceRef) -> Option<&Origin> {
        // Findings are looked up by their own resource: no key is built unless the exact match
        // misses, which only cluster-scoped resources and namespaces do.
        self.exact
            .get(resource)
            .or_else(|| self.by_name.get(&(resource.kind.clone(), resource.name.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_by_name_first_file_wins() {
        let mut origins = Origins::default();
        let at = |file: &str, line: usize| Origin {
            file: Arc::new(file.to_string()),
            line: Some(line),
        };
        origins.record("Deployment", "shop", "web", &at("a.yaml", 3));
        origins.record("Deployment", "shop", "web", &at("b.yaml", 1));
        origins.record("Deployment", "other", "web", &at("c.yaml", 9));
        origins.record("Namespace", "default", "shop", &at("ns.yaml", 1));
        let lookup = |kind: &str, namespace: Option<&str>, name: &str| {
            origins
                .origin_of(&ResourceRef::new(kind, namespace, name))
                .map(|origin| (origin.file.to_string(), origin.line))
        };
        assert_eq!(
            lookup("Deployment", Some("shop"), "web"),
            Some(("a.yaml".into(), Some(3)))
        );
        assert_eq!(
            lookup("Deployment", Some("other"), "web"),
            Some(("c.yaml".into(), Some(9)))
        );
        assert_eq!(lookup("Namespace", None, "shop"), Some(("ns.yaml".into(), Some(1))));
        assert_eq!(lookup("Secret", Some("shop"), "web"), None);
    }
}
