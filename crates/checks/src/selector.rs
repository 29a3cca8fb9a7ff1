//! Label selector matching as the API server defines it.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Labels a selector is matched against.
pub trait Labels {
    fn label(&self, key: &str) -> Option<&str>;
}

impl Labels for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// Whether the selector selects an object with these labels. An empty selector selects
/// everything; an unknown operator selects nothing.
pub fn matches<L: Labels + ?Sized>(selector: &LabelSelector, labels: Option<&L>) -> bool {
    let label = |key: &str| labels.and_then(|labels| labels.label(key));
    let labels_match = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(key, value)| label(key) == Some(value.as_str()));
    labels_match
        && selector.match_expressions.iter().flatten().all(|requirement| {
            let values = requirement.values.as_deref().unwrap_or_default();
            let value = label(&requirement.key);
            match requirement.operator.as_str() {
                "In" => value.is_some_and(|value| values.iter().any(|allowed| allowed == value)),
                "NotIn" => value.is_none_or(|value| !values.iter().any(|allowed| allowed == value)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// Whether the selector is empty, i.e. selects every object.
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selector(value: serde_json::Value) -> LabelSelector {
        serde_json::from_value(value).expect("selector")
    }

    /// The same selectors judge labels alike whether they are held in a map or sorted in a list.
    fn judge_labels<L: Labels>(labels: &L) {
        let none = None::<&L>;
        assert!(matches(&selector(json!({})), none));
        assert!(matches(&selector(json!({"matchLabels": {"app": "web"}})), Some(labels)));
        assert!(!matches(&selector(json!({"matchLabels": {"app": "db"}})), Some(labels)));
        assert!(!matches(
            &selector(json!({"matchLabels": {"app": "web", "zone": "a"}})),
            Some(labels)
        ));
        let expr = |op: &str, values: serde_json::Value| {
            selector(json!({"matchExpressions": [{"key": "app", "operator": op, "values": values}]}))
        };
        assert!(matches(&expr("In", json!(["web", "api"])), Some(labels)));
        assert!(!matches(&expr("NotIn", json!(["web"])), Some(labels)));
        assert!(matches(&expr("NotIn", json!(["web"])), none));
        assert!(matches(&expr("Exists", json!([])), Some(labels)));
        assert!(matches(&expr("DoesNotExist", json!([])), none));
        assert!(!matches(&expr("Bogus", json!([])), Some(labels)));
    }

    #[test]
    fn match_labels_and_expressions() {
        let labels: BTreeMap<String, String> = [("app", "web"), ("tier", "front")]
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .into();
        judge_labels(&labels);
        judge_labels(&crate::inventory::PodLabels::from(labels));
        assert!(is_empty(&selector(json!({"matchLabels": {}}))));
    }
}
