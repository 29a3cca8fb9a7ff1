//! What the inventory holds of one kind, each by the reference that deletes it. A watch that
//! lists again after losing its place learns deletions only by what it no longer lists: what
//! the inventory holds of its kind and the list did not show again was deleted meanwhile. The
//! inventory is the record of what was seen, so nothing else keeps a second copy of every name.

use std::collections::BTreeSet;

use super::{Inventory, Keyed, Kind, NamespaceInventory, ObjectRef};

impl Inventory {
    /// The objects of `kind` held, as [`Inventory::delete`] takes them. Of Secrets, only those
    /// of `secret_type` when one is given: without content checks each type is listed apart.
    pub fn held(&self, kind: Kind, secret_type: Option<&str>) -> Vec<ObjectRef> {
        let cluster_scoped = |names: Vec<&str>| {
            names
                .into_iter()
                .map(|name| ObjectRef {
                    kind,
                    namespace: None,
                    name: name.to_string(),
                })
                .collect()
        };
        match kind {
            Kind::ClusterRole => return cluster_scoped(keys(&self.cluster.cluster_roles).collect()),
            Kind::ClusterRoleBinding => return cluster_scoped(keys(&self.cluster.cluster_role_bindings).collect()),
            Kind::Namespace => {
                let existing = self
                    .namespaces
                    .values()
                    .filter(|inventory| inventory.namespace.is_some());
                return cluster_scoped(existing.map(|inventory| inventory.name.as_str()).collect());
            }
            _ => {}
        }
        let mut held = Vec::new();
        for inventory in self.namespaces.values() {
            held.extend(
                names_of(inventory, kind, secret_type)
                    .into_iter()
                    .map(|name| ObjectRef {
                        kind,
                        namespace: Some(inventory.name.clone()),
                        name: name.to_string(),
                    }),
            );
        }
        held
    }
}

fn keys<T>(objects: &Keyed<T>) -> impl Iterator<Item = &str> {
    objects.entries().map(|(key, _)| key)
}

/// The names of one namespace's objects of a namespaced `kind`.
fn names_of<'a>(inventory: &'a NamespaceInventory, kind: Kind, secret_type: Option<&str>) -> BTreeSet<&'a str> {
    // Pods and controllers are keyed `Kind/name`; a controller is held as a template, as an
    // owner of pods, or both.
    let of_kind = |key: &'a str| key.strip_prefix(kind.as_str())?.strip_prefix('/');
    match kind {
        Kind::ServiceAccount => keys(&inventory.service_accounts).collect(),
        Kind::Service => keys(&inventory.services).collect(),
        Kind::ConfigMap => keys(&inventory.config_maps).collect(),
        Kind::Role => keys(&inventory.roles).collect(),
        Kind::RoleBinding => keys(&inventory.role_bindings).collect(),
        Kind::NetworkPolicy => keys(&inventory.network_policies).collect(),
        Kind::Ingress => keys(&inventory.ingresses).collect(),
        Kind::Secret => inventory
            .secrets
            .entries()
            .filter(|(_, secret)| secret_type.is_none_or(|wanted| secret.type_.as_deref() == Some(wanted)))
            .map(|(name, _)| name)
            .collect(),
        Kind::Pod
        | Kind::Deployment
        | Kind::StatefulSet
        | Kind::DaemonSet
        | Kind::ReplicaSet
        | Kind::ReplicationController
        | Kind::Job
        | Kind::CronJob => keys(&inventory.workloads)
            .chain(keys(&inventory.owners))
            .filter_map(of_kind)
            .collect(),
        Kind::Namespace | Kind::ClusterRole | Kind::ClusterRoleBinding => BTreeSet::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::AddOptions;

    const KINDS: [Kind; 19] = [
        Kind::Namespace,
        Kind::Pod,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ReplicaSet,
        Kind::ReplicationController,
        Kind::Job,
        Kind::CronJob,
        Kind::ServiceAccount,
        Kind::Service,
        Kind::Secret,
        Kind::ConfigMap,
        Kind::Role,
        Kind::RoleBinding,
        Kind::ClusterRole,
        Kind::ClusterRoleBinding,
        Kind::NetworkPolicy,
        Kind::Ingress,
    ];

    fn object(api_version: &str, kind: &str, namespace: Option<&str>, name: &str, rest: Value) -> Value {
        let mut object = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}});
        if let Some(namespace) = namespace {
            object["metadata"]["namespace"] = json!(namespace);
        }
        if let (Some(fields), Value::Object(rest)) = (object.as_object_mut(), rest) {
            fields.extend(rest);
        }
        object
    }

    /// Two namespaces with one object of every namespaced kind (and a ReplicaSet that is only
    /// an owner of pods), and the cluster-scoped kinds.
    fn inventory() -> Inventory {
        let template = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}});
        let pod_spec = json!({"containers": [{"name": "app", "image": "app:1"}]});
        let mut inventory = Inventory::default();
        let mut add = |object: Value| {
            inventory.add_object(object, &AddOptions::default()).expect("object");
        };
        for namespace in ["team-a", "team-b"] {
            let ns = Some(namespace);
            add(object("v1", "Namespace", None, namespace, json!({})));
            add(object("v1", "Pod", ns, "web-1", json!({"spec": pod_spec})));
            add(object(
                "apps/v1",
                "Deployment",
                ns,
                "web",
                json!({"spec": {"template": template}}),
            ));
            add(object(
                "apps/v1",
                "StatefulSet",
                ns,
                "db",
                json!({"spec": {"template": template}}),
            ));
            add(object(
                "apps/v1",
                "DaemonSet",
                ns,
                "agent",
                json!({"spec": {"template": template}}),
            ));
            add(object(
                "apps/v1",
                "ReplicaSet",
                ns,
                "web-5d8f",
                json!({"spec": {"template": template}}),
            ));
            add(object(
                "v1",
                "ReplicationController",
                ns,
                "legacy",
                json!({"spec": {"template": template}}),
            ));
            add(object(
                "batch/v1",
                "Job",
                ns,
                "migrate",
                json!({"spec": {"template": template}}),
            ));
            add(object(
                "batch/v1",
                "CronJob",
                ns,
                "backup",
                json!({"spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}),
            ));
            add(object("v1", "ServiceAccount", ns, "web", json!({})));
            add(object(
                "v1",
                "Service",
                ns,
                "web",
                json!({"spec": {"ports": [{"port": 80}]}}),
            ));
            add(object("v1", "Secret", ns, "tls", json!({"type": "kubernetes.io/tls"})));
            add(object("v1", "Secret", ns, "token", json!({"type": "Opaque"})));
            add(object("v1", "ConfigMap", ns, "settings", json!({})));
            add(object(
                "rbac.authorization.k8s.io/v1",
                "Role",
                ns,
                "reader",
                json!({"rules": []}),
            ));
            add(object(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                ns,
                "reader",
                json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}}),
            ));
            add(object(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                ns,
                "deny",
                json!({"spec": {"podSelector": {}}}),
            ));
            add(object(
                "networking.k8s.io/v1",
                "Ingress",
                ns,
                "web",
                json!({"spec": {}}),
            ));
        }
        add(object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            None,
            "viewer",
            json!({"rules": []}),
        ));
        add(object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            None,
            "viewers",
            json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "viewer"}}),
        ));
        inventory
    }

    #[test]
    fn every_object_held_is_named_by_the_reference_that_deletes_it() {
        let mut inventory = inventory();
        for kind in KINDS {
            let held = inventory.held(kind, None);
            let expected = match kind {
                Kind::ClusterRole | Kind::ClusterRoleBinding => 1,
                Kind::Secret => 4,
                _ => 2,
            };
            assert_eq!(held.len(), expected, "{kind:?}: {held:?}");
            for object in held {
                assert!(
                    !inventory.delete(&object).is_empty(),
                    "{object:?} deletes what it names"
                );
            }
            assert!(
                inventory.held(kind, None).is_empty(),
                "{kind:?}: nothing left after deleting every one"
            );
        }
        assert!(
            inventory.namespaces.is_empty(),
            "every namespaced object was held: {:?}",
            inventory.namespaces
        );
        assert_eq!(
            inventory.cluster.cluster_roles.len() + inventory.cluster.cluster_role_bindings.len(),
            0
        );
    }

    #[test]
    fn secrets_are_held_by_type_when_one_is_asked() {
        let inventory = inventory();
        let names = |secret_type| {
            let held = inventory.held(Kind::Secret, secret_type);
            held.into_iter()
                .map(|object| format!("{}/{}", object.namespace.unwrap_or_default(), object.name))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Some("kubernetes.io/tls")), ["team-a/tls", "team-b/tls"]);
        assert_eq!(names(Some("Opaque")), ["team-a/token", "team-b/token"]);
        assert!(names(Some("kubernetes.io/dockerconfigjson")).is_empty());
    }

    #[test]
    fn a_namespace_is_held_only_once_its_object_is_seen() {
        let mut inventory = Inventory::default();
        let pod = object(
            "v1",
            "Pod",
            Some("team-a"),
            "web-1",
            json!({"spec": {"containers": [{"name": "app", "image": "app:1"}]}}),
        );
        inventory.add_object(pod, &AddOptions::default()).expect("pod");
        assert!(
            inventory.held(Kind::Namespace, None).is_empty(),
            "a namespace known only from its objects"
        );
        assert_eq!(inventory.held(Kind::Pod, None).len(), 1);
    }
}
