//! Aggregated ClusterRoles resolved the way the API server's aggregation controller fills them:
//! a ClusterRole with an `aggregationRule` gets the rules of every other ClusterRole one of its
//! `clusterRoleSelectors` selects. In a cluster the controller has already written them into
//! `rules`, which are then used as they are; manifests carry none, so they are resolved here.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};

use super::Keyed;

/// The rules of every ClusterRole that aggregates and has no rules of its own, by name. A
/// selected role that aggregates too contributes what it resolves to (chains of aggregation, as
/// the controller reaches them over successive updates); a role already being resolved further
/// up the chain contributes nothing more, so cycles end.
pub(super) fn resolve(roles: &Keyed<ClusterRole>) -> BTreeMap<String, Vec<PolicyRule>> {
    let mut resolved = BTreeMap::new();
    for role in roles.iter().filter(|role| aggregates(role)) {
        resolve_role(roles, role, &mut resolved, &mut Vec::new());
    }
    resolved
}

/// Whether the role's rules are to be aggregated here: it has an aggregation rule and no rules
/// (the controller has not filled them in).
fn aggregates(role: &ClusterRole) -> bool {
    role.aggregation_rule.is_some() && role.rules.as_ref().is_none_or(Vec::is_empty)
}

fn name(role: &ClusterRole) -> &str {
    role.metadata.name.as_deref().unwrap_or_default()
}

fn resolve_role(
    roles: &Keyed<ClusterRole>,
    role: &ClusterRole,
    resolved: &mut BTreeMap<String, Vec<PolicyRule>>,
    resolving: &mut Vec<String>,
) {
    let role_name = name(role);
    if resolved.contains_key(role_name) || resolving.iter().any(|other| other == role_name) {
        return;
    }
    resolving.push(role_name.to_string());
    let selectors = role
        .aggregation_rule
        .as_ref()
        .and_then(|rule| rule.cluster_role_selectors.as_deref())
        .unwrap_or_default();
    let mut rules: Vec<PolicyRule> = Vec::new();
    let selected = roles.iter().filter(|source| {
        name(source) != role_name
            && selectors
                .iter()
                .any(|selector| crate::selector::matches(selector, source.metadata.labels.as_ref()))
    });
    for source in selected {
        let source_rules = if aggregates(source) {
            resolve_role(roles, source, resolved, resolving);
            resolved.get(name(source)).map(Vec::as_slice)
        } else {
            source.rules.as_deref()
        };
        for rule in source_rules.unwrap_or_default() {
            if !rules.contains(rule) {
                rules.push(rule.clone());
            }
        }
    }
    resolving.pop();
    resolved.insert(role_name.to_string(), rules);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn roles(objects: &[serde_json::Value]) -> Keyed<ClusterRole> {
        let mut roles = Keyed::default();
        for object in objects {
            let role: ClusterRole = serde_json::from_value(object.clone()).expect("cluster role");
            roles.put(name(&role).to_string(), role);
        }
        roles
    }

    fn resources(rules: &[PolicyRule]) -> Vec<&str> {
        rules
            .iter()
            .flat_map(|rule| rule.resources.iter().flatten())
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn aggregated_roles_get_the_rules_of_the_roles_they_select() {
        let roles = roles(&[
            json!({"metadata": {"name": "monitoring"}, "aggregationRule": {"clusterRoleSelectors": [
                {"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}},
                {"matchExpressions": [{"key": "team", "operator": "In", "values": ["obs"]}]}]}}),
            json!({"metadata": {"name": "a", "labels": {"rbac.example.com/aggregate-to-monitoring": "true"}},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}),
            json!({"metadata": {"name": "b", "labels": {"team": "obs"}},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
                          {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}),
            json!({"metadata": {"name": "c", "labels": {"team": "web"}},
                "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]}),
            json!({"metadata": {"name": "filled", "labels": {"team": "obs"}}, "aggregationRule": {"clusterRoleSelectors": [{}]},
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}),
        ]);
        let resolved = resolve(&roles);
        assert_eq!(
            resources(&resolved["monitoring"]),
            ["secrets", "pods", "configmaps"],
            "a duplicate rule counts once; a role whose rules are filled in contributes them"
        );
        assert!(
            !resolved.contains_key("filled"),
            "rules already filled in (in a cluster) are used as they are"
        );
    }

    #[test]
    fn chains_resolve_and_cycles_end() {
        let roles = roles(&[
            json!({"metadata": {"name": "top"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to": "top"}}]}}),
            json!({"metadata": {"name": "middle", "labels": {"to": "top"}},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to": "middle"}}]}}),
            json!({"metadata": {"name": "leaf", "labels": {"to": "middle"}},
                "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}),
            json!({"metadata": {"name": "ping", "labels": {"to": "pong"}},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to": "ping"}}]}}),
            json!({"metadata": {"name": "pong", "labels": {"to": "ping"}},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to": "pong"}}, {"matchLabels": {"to": "middle"}}]}}),
        ]);
        let resolved = resolve(&roles);
        assert_eq!(resources(&resolved["top"]), ["pods/exec"]);
        assert_eq!(resources(&resolved["middle"]), ["pods/exec"]);
        assert_eq!(resources(&resolved["ping"]), ["pods/exec"], "through pong");
        assert_eq!(resources(&resolved["pong"]), ["pods/exec"]);
    }
}
