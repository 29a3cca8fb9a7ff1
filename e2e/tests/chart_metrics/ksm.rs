//! kube-state-metrics' custom-resource-state configuration
//! (charts/palisade/kube-state-metrics/custom-resource-state.yaml), typed after
//! kube-state-metrics' own `pkg/customresourcestate` config structs, refusing any field they do
//! not have, and checked against the status objects the operator writes. Fields named `_…` are
//! declared only so that the documented field is accepted; kube-state-metrics reads them, the
//! test does not.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(rename = "kind")]
    _kind: ConfigKind,
    pub spec: Spec,
}

#[derive(Debug, Deserialize, PartialEq)]
pub enum ConfigKind {
    CustomResourceStateMetrics,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub resources: Vec<Resource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resource {
    pub group_version_kind: GroupVersionKind,
    pub metric_name_prefix: Option<String>,
    #[serde(rename = "resourcePlural")]
    _resource_plural: Option<String>,
    #[serde(default)]
    #[serde(rename = "commonLabels")]
    _common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub labels_from_path: BTreeMap<String, Vec<String>>,
    #[serde(rename = "errorLogV")]
    _error_log_v: Option<i32>,
    pub metrics: Vec<Generator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Generator {
    pub name: String,
    pub help: String,
    pub each: Each,
    #[serde(default)]
    #[serde(rename = "commonLabels")]
    _common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub labels_from_path: BTreeMap<String, Vec<String>>,
    #[serde(rename = "errorLogV")]
    _error_log_v: Option<i32>,
}

/// kube-state-metrics' union: `type` (as documented: Gauge, StateSet, Info; kube-state-metrics
/// lowercases it) names the one member that is set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "type")]
pub enum Each {
    Gauge {
        gauge: Gauge,
    },
    StateSet {
        #[serde(rename = "stateSet")]
        state_set: StateSet,
    },
    Info {
        info: Info,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Gauge {
    pub path: Vec<String>,
    #[serde(default)]
    pub labels_from_path: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub value_from: Vec<String>,
    #[serde(rename = "valueType")]
    _value_type: Option<ValueType>,
    #[serde(rename = "labelFromKey")]
    _label_from_key: Option<String>,
    #[serde(default)]
    #[serde(rename = "nilIsZero")]
    _nil_is_zero: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Duration,
    Quantity,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StateSet {
    pub path: Vec<String>,
    #[serde(default)]
    pub labels_from_path: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub value_from: Vec<String>,
    #[serde(rename = "labelName")]
    _label_name: String,
    pub list: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Info {
    pub path: Vec<String>,
    #[serde(default)]
    pub labels_from_path: BTreeMap<String, Vec<String>>,
    #[serde(rename = "labelFromKey")]
    _label_from_key: Option<String>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, String> {
        serde_saphyr::from_str(text).map_err(|error| error.to_string())
    }
}

impl Resource {
    /// What of this resource's metrics an object the operator wrote does not have: a `path` that
    /// leads nowhere, a label or value path missing under it, a state outside a StateSet's list.
    pub fn problems(&self, object: &Value) -> Vec<String> {
        let mut problems = missing_labels(object, &self.labels_from_path, "the resource");
        // The operator's own series are palisade_*; these must never be mistaken for them.
        if !self
            .metric_name_prefix
            .as_deref()
            .is_some_and(|prefix| prefix.starts_with("kube_palisade_"))
        {
            problems.push(format!(
                "metricNamePrefix {:?} does not start with kube_palisade_",
                self.metric_name_prefix
            ));
        }
        for metric in &self.metrics {
            let name = &metric.name;
            if metric.help.trim().is_empty() {
                problems.push(format!("{name}: no help"));
            }
            problems.extend(missing_labels(object, &metric.labels_from_path, name));
            let (path, labels, value_from) = match &metric.each {
                Each::Gauge { gauge } => (&gauge.path, &gauge.labels_from_path, &gauge.value_from),
                Each::StateSet { state_set } => (&state_set.path, &state_set.labels_from_path, &state_set.value_from),
                Each::Info { info } => (&info.path, &info.labels_from_path, &Vec::new()),
            };
            let Some(target) = walk(object, path) else {
                problems.push(format!("{name}: no {path:?}"));
                continue;
            };
            // An array generates one series per element; the label and value paths are relative
            // to each element.
            let elements: Vec<&Value> = match target.as_array() {
                Some(elements) if !elements.is_empty() => elements.iter().collect(),
                Some(_) => {
                    problems.push(format!("{name}: {path:?} is empty"));
                    continue;
                }
                None => vec![target],
            };
            for element in elements {
                problems.extend(missing_labels(element, labels, name));
                let value = if value_from.is_empty() {
                    Some(element)
                } else {
                    walk(element, value_from)
                };
                match (&metric.each, value) {
                    (_, None) => problems.push(format!("{name}: no value {value_from:?} under {path:?}")),
                    (Each::StateSet { state_set }, Some(state))
                        if !state
                            .as_str()
                            .is_some_and(|state| state_set.list.iter().any(|listed| listed == state)) =>
                    {
                        problems.push(format!("{name}: state {state} is not in {:?}", state_set.list));
                    }
                    (Each::Gauge { .. }, Some(value)) if !is_gauge_value(value) => {
                        problems.push(format!(
                            "{name}: {value} under {path:?} is no number, bool, condition status or time"
                        ));
                    }
                    _ => {}
                }
            }
        }
        problems
    }
}

fn missing_labels(object: &Value, labels: &BTreeMap<String, Vec<String>>, of: &str) -> Vec<String> {
    labels
        .iter()
        .filter(|(_, path)| walk(object, path).is_none())
        .map(|(label, path)| format!("{of}: label {label} has no {path:?}"))
        .collect()
}

fn walk<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |value, step| value.get(step.as_str()))
        .filter(|value| !value.is_null())
}

/// The values kube-state-metrics turns into a gauge's number: numbers, booleans, the strings
/// `True`/`False` of conditions, and RFC 3339 times.
fn is_gauge_value(value: &Value) -> bool {
    match value {
        Value::Number(_) | Value::Bool(_) => true,
        Value::String(text) => {
            ["True", "False", "true", "false"].contains(&text.as_str())
                || text.parse::<f64>().is_ok()
                || (text.len() >= 20 && text.as_bytes().get(10) == Some(&b'T') && text.ends_with('Z'))
        }
        _ => false,
    }
}
