//! The audit's output formats.

pub mod json;
pub mod sarif;
pub mod table;

use palisade_checks::ResourceRef;

/// `Kind/namespace/name`, or `Kind/name` for cluster-scoped resources and namespaces.
pub fn resource_path(resource: &ResourceRef) -> String {
    match scope(resource) {
        Some(namespace) => format!("{}/{namespace}/{}", resource.kind, resource.name),
        None => format!("{}/{}", resource.kind, resource.name),
    }
}

/// `namespace/Kind/name`, or `Kind/name` for cluster-scoped resources and namespaces.
pub fn qualified_name(resource: &ResourceRef) -> String {
    match scope(resource) {
        Some(namespace) => format!("{namespace}/{}/{}", resource.kind, resource.name),
        None => format!("{}/{}", resource.kind, resource.name),
    }
}

/// The namespace worth naming: findings about a Namespace may carry the namespace itself.
fn scope(resource: &ResourceRef) -> Option<&str> {
    resource.namespace.as_deref().filter(|_| resource.kind != "Namespace")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_namespace_once() {
        let deployment = ResourceRef::new("Deployment", Some("shop"), "web");
        assert_eq!(resource_path(&deployment), "Deployment/shop/web");
        assert_eq!(qualified_name(&deployment), "shop/Deployment/web");
        let namespace = ResourceRef::new("Namespace", Some("shop"), "shop");
        assert_eq!(resource_path(&namespace), "Namespace/shop");
        assert_eq!(qualified_name(&namespace), "Namespace/shop");
        let binding = ResourceRef::new("ClusterRoleBinding", None, "ci");
        assert_eq!(qualified_name(&binding), "ClusterRoleBinding/ci");
    }
}
