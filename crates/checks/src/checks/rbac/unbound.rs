//! `rbac.unbound-role`: Roles and ClusterRoles that grant what the High and Critical RBAC
//! checks look for while no binding refers to them. They grant nothing today; a later binding,
//! or anyone allowed to bind roles, makes them live, and then the grant checks report it.

use std::collections::BTreeSet;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, RoleRef};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::dangerous_permissions;
use crate::engine::{ClusterCtx, Finding, Grant, ResourceRef, is_bootstrap_default};
use crate::inventory::{ClusterInventory, Inventory};

pub(super) const UNBOUND_ROLE: &str = "rbac.unbound-role";

/// Findings on every unbound dangerous Role (in its namespace) and ClusterRole (cluster-wide;
/// not when one namespace is evaluated). Roles the API server bootstraps are the platform's own
/// and not judged, and a ClusterRole an aggregated ClusterRole selects is part of that role,
/// which is judged instead.
pub(super) fn unbound_roles(ctx: &ClusterCtx) -> Vec<Finding> {
    let inventory = ctx.inventory;
    let mut findings = Vec::new();
    let namespaces: Vec<_> = match ctx.only_namespace {
        Some(only) => inventory.namespaces.get(only).into_iter().collect(),
        None => inventory.namespaces.values().collect(),
    };
    for namespace in namespaces {
        let bound: BTreeSet<&str> = namespace
            .role_bindings
            .iter()
            .filter(|binding| binding.role_ref.kind == "Role")
            .map(|binding| binding.role_ref.name.as_str())
            .collect();
        for role in &namespace.roles {
            let name = role.metadata.name.as_deref().unwrap_or_default();
            if bound.contains(name) || is_bootstrap_default(&role.metadata) {
                continue;
            }
            let resource = ResourceRef::new("Role", Some(&namespace.name), name);
            let rules = role.rules.as_deref().unwrap_or_default();
            findings.extend(finding(resource, &role.metadata, rules, "no RoleBinding refers to it"));
        }
    }
    if ctx.only_namespace.is_some() {
        return findings;
    }
    let bound = bound_cluster_roles(inventory);
    let cluster = &inventory.cluster;
    for role in &cluster.cluster_roles {
        let name = role.metadata.name.as_deref().unwrap_or_default();
        if bound.contains(name) || is_bootstrap_default(&role.metadata) || is_aggregated(cluster, role) {
            continue;
        }
        let resource = ResourceRef::new("ClusterRole", None, name);
        let rules = cluster.cluster_role_rules(name).unwrap_or_default();
        let unbound = "no ClusterRoleBinding or RoleBinding refers to it";
        findings.extend(finding(resource, &role.metadata, rules, unbound));
    }
    findings
}

/// ClusterRoles some ClusterRoleBinding or RoleBinding refers to.
fn bound_cluster_roles(inventory: &Inventory) -> BTreeSet<&str> {
    let role_bindings = inventory
        .namespaces
        .values()
        .flat_map(|namespace| namespace.role_bindings.iter())
        .map(|binding| &binding.role_ref);
    let cluster_role_bindings = inventory
        .cluster
        .cluster_role_bindings
        .iter()
        .map(|binding| &binding.role_ref);
    role_bindings
        .chain(cluster_role_bindings)
        .filter(|role_ref| role_ref.kind == "ClusterRole")
        .map(|role_ref| role_ref.name.as_str())
        .collect()
}

/// Whether another ClusterRole's aggregation rule selects this one.
fn is_aggregated(cluster: &ClusterInventory, role: &ClusterRole) -> bool {
    cluster.cluster_roles.iter().any(|aggregating| {
        aggregating.metadata.name != role.metadata.name
            && aggregating
                .aggregation_rule
                .iter()
                .flat_map(|rule| rule.cluster_role_selectors.iter().flatten())
                .any(|selector| crate::selector::matches(selector, role.metadata.labels.as_ref()))
    })
}

/// The finding on a role whose rules grant something dangerous, judged as bound where it can
/// be: a Role by a RoleBinding of its namespace, a ClusterRole by a ClusterRoleBinding.
fn finding(resource: ResourceRef, metadata: &ObjectMeta, rules: &[PolicyRule], unbound: &str) -> Option<Finding> {
    let role_ref = RoleRef {
        api_group: Some("rbac.authorization.k8s.io".to_string()),
        kind: resource.kind.clone(),
        name: resource.name.clone(),
    };
    let binding = ResourceRef {
        kind: if resource.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        }
        .to_string(),
        ..resource.clone()
    };
    let permissions = dangerous_permissions(&Grant {
        binding,
        role_ref: &role_ref,
        subjects: &[],
        rules,
    });
    if permissions.is_empty() {
        return None;
    }
    let message = format!("{} grants {}, but {unbound}", resource.kind, permissions.join("; "));
    Some(Finding::new(UNBOUND_ROLE, resource, message).exempt_by(metadata.annotations.as_ref()))
}
