//! Every object of an inventory with its annotations, as findings name it: what
//! [`Eval::Annotations`](crate::catalog::Eval::Annotations) checks read. Workloads are named as
//! the resource they are reported as, so replicas of a controller make one finding.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{Metadata, Resource};

use crate::catalog::CheckDef;
use crate::engine::{Finding, ResourceRef};
use crate::exemption::Annotations;
use crate::inventory::{ClusterInventory, Keyed, NamespaceInventory};

/// An object as findings name it (kind, namespace, name), and its annotations. Borrowed: a
/// resource reference is built only for an object a check finds something on.
pub type Annotated<'a> = ((&'a str, Option<&'a str>, &'a str), Annotations<'a>);

/// The namespace's objects: the Namespace object, workloads and every other kind it holds.
pub fn in_namespace(namespace: &NamespaceInventory) -> Vec<Annotated<'_>> {
    let mut objects = Vec::new();
    if let Some(object) = &namespace.namespace {
        let resource = ("Namespace", Some(namespace.name.as_str()), namespace.name.as_str());
        objects.push((resource, Annotations::of(object.metadata.annotations.as_ref())));
    }
    for workload in &namespace.workloads {
        let (kind, name) = namespace.reported_as(workload);
        objects.push(((kind, Some(namespace.name.as_str()), name), workload.annotations()));
    }
    extend(&mut objects, &namespace.service_accounts);
    extend(&mut objects, &namespace.services);
    extend(&mut objects, &namespace.roles);
    extend(&mut objects, &namespace.role_bindings);
    extend(&mut objects, &namespace.network_policies);
    extend(&mut objects, &namespace.secrets);
    extend(&mut objects, &namespace.config_maps);
    extend(&mut objects, &namespace.ingresses);
    objects
}

/// The cluster-scoped objects.
pub fn in_cluster(cluster: &ClusterInventory) -> Vec<Annotated<'_>> {
    let mut objects = Vec::new();
    extend(&mut objects, &cluster.cluster_roles);
    extend(&mut objects, &cluster.cluster_role_bindings);
    objects
}

/// The check's findings on the objects. They are never exempt themselves: an annotation that
/// could exempt its own report would hide it.
pub fn findings<'a>(
    check: &'a CheckDef,
    eval: fn(&Annotations) -> Option<String>,
    objects: Vec<Annotated<'a>>,
) -> impl Iterator<Item = Finding> + 'a {
    objects
        .into_iter()
        .filter_map(move |((kind, namespace, name), annotations)| {
            let message = eval(&annotations)?;
            Some(Finding::new(check.id, ResourceRef::new(kind, namespace, name), message))
        })
}

fn extend<'a, T: Resource + Metadata<Ty = ObjectMeta>>(objects: &mut Vec<Annotated<'a>>, keyed: &'a Keyed<T>) {
    objects.extend(keyed.iter().map(|object| {
        let metadata = object.metadata();
        let name = metadata.name.as_deref().unwrap_or_default();
        let resource = (T::KIND, metadata.namespace.as_deref(), name);
        (resource, Annotations::of(metadata.annotations.as_ref()))
    }));
}

#[cfg(test)]
mod tests {
    use crate::AddOptions;
    use crate::baseline::ResolvedBaseline;
    use crate::inventory::Inventory;
    use crate::posture::{Scope, assess, evaluate};
    use palisade_crds::Profile;
    use serde_json::json;

    const INVALID: &str = "meta.invalid-exemption";

    fn inventory() -> Inventory {
        let mut inventory = Inventory::default();
        let everything = json!({"palisade.dev/exempt": "*", "palisade.dev/exempt-reason": "legacy"});
        for object in [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "annotations": everything},
                "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}}}}),
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "shop",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u", "controller": true}]}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1-a", "namespace": "shop", "annotations": {"palisade.dev/exempt": "pod.privileged"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u", "controller": true}]},
                "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "ops", "annotations": {"palisade.dev/exempt": "rbac.*,pod.*x*y", "palisade.dev/exempt-reason": "ops"}},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"kind": "Group", "name": "ops"}]}),
        ] {
            inventory.add_object(object, &AddOptions::default()).expect("valid");
        }
        inventory
    }

    fn found(scope: Scope) -> Vec<(String, String, String)> {
        let baseline = ResolvedBaseline::profile(Profile::Restricted);
        let now = "2026-06-01T00:00:00Z".parse().expect("time");
        let posture = assess(
            evaluate(&inventory(), scope, &baseline, false, now),
            &baseline,
            false,
            now,
        );
        assert!(posture.excepted.is_empty(), "a malformed exemption exempts nothing");
        posture
            .failing
            .into_iter()
            .filter(|finding| matches!(finding.check, INVALID | "pod.privileged" | "rbac.cluster-admin-binding"))
            .map(|finding| {
                let resource = format!("{}/{}", finding.resource.kind, finding.resource.name);
                (finding.check.to_string(), resource, finding.message.into_owned())
            })
            .collect()
    }

    #[test]
    fn malformed_exemptions_exempt_nothing_and_are_reported_where_they_sit() {
        let reason = "palisade.dev/exempt exempts nothing: palisade.dev/exempt-reason is missing or blank";
        let everything = "palisade.dev/exempt exempts nothing: \"*\" is not confined to one area (write e.g. pod.* or rbac.secrets-*)";
        let shop = found(Scope::Namespace("shop"));
        assert_eq!(
            shop.iter()
                .map(|(check, resource, _)| (check.as_str(), resource.as_str()))
                .collect::<Vec<_>>(),
            [
                (INVALID, "Deployment/web"),
                (INVALID, "Deployment/web"),
                ("pod.privileged", "Deployment/web")
            ],
            "{shop:?}"
        );
        // The template's exemption and the pod's own, one finding each.
        let mut messages: Vec<&str> = shop[..2].iter().map(|(_, _, message)| message.as_str()).collect();
        messages.sort_unstable();
        assert_eq!(messages, [everything, reason]);

        let cluster = found(Scope::Cluster);
        let messages: Vec<(&str, &str)> = cluster
            .iter()
            .map(|(check, _, message)| (check.as_str(), message.as_str()))
            .collect();
        assert!(
            messages.contains(&(
                INVALID,
                "palisade.dev/exempt exempts nothing: \"pod.*x*y\" matches no check"
            )),
            "{messages:?}"
        );
        assert!(messages.iter().any(|(check, _)| *check == "rbac.cluster-admin-binding"));
    }
}
