//! Which file each resource came from, so findings can name it. Workloads are recorded under
//! the name the engine reports them by (a Pod owned by a ReplicaSet is its Deployment).

use std::collections::HashMap;

use palisade_checks::ResourceRef;

/// Source files by resource. The first file that defines a resource wins.
#[derive(Debug, Default)]
pub struct Origins {
    exact: HashMap<ResourceRef, String>,
    by_name: HashMap<(String, String), String>,
}

impl Origins {
    /// Records a resource under its namespace (the default one when it names none).
    pub fn record(&mut self, kind: &str, namespace: &str, name: &str, file: &str) {
        self.exact
            .entry(ResourceRef::new(kind, Some(namespace), name))
            .or_insert_with(|| file.to_string());
        self.by_name
            .entry((kind.to_string(), name.to_string()))
            .or_insert_with(|| file.to_string());
    }

    /// Adds the origins recorded by a later read; what this one recorded first still wins.
    pub fn absorb(&mut self, later: Origins) {
        for (key, file) in later.exact {
            self.exact.entry(key).or_insert(file);
        }
        for (key, file) in later.by_name {
            self.by_name.entry(key).or_insert(file);
        }
    }

    /// The file of a finding's resource: the same kind, namespace and name, or else the same
    /// kind and name (cluster-scoped resources and the namespaces themselves).
    pub fn file_of(&self, resource: &ResourceRef) -> Option<&str> {
        // Findings are looked up by their own resource: no key is built unless the exact match
        // misses, which only cluster-scoped resources and namespaces do.
        self.exact
            .get(resource)
            .or_else(|| self.by_name.get(&(resource.kind.clone(), resource.name.clone())))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_by_name_first_file_wins() {
        let mut origins = Origins::default();
        origins.record("Deployment", "shop", "web", "a.yaml");
        origins.record("Deployment", "shop", "web", "b.yaml");
        origins.record("Deployment", "other", "web", "c.yaml");
        origins.record("Namespace", "default", "shop", "ns.yaml");
        let lookup = |kind: &str, namespace: Option<&str>, name: &str| {
            origins
                .file_of(&ResourceRef::new(kind, namespace, name))
                .map(str::to_string)
        };
        assert_eq!(lookup("Deployment", Some("shop"), "web").as_deref(), Some("a.yaml"));
        assert_eq!(lookup("Deployment", Some("other"), "web").as_deref(), Some("c.yaml"));
        assert_eq!(lookup("Namespace", None, "shop").as_deref(), Some("ns.yaml"));
        assert_eq!(lookup("Secret", Some("shop"), "web"), None);
    }
}
