//! API types of Palisade's custom resources in group `palisade.dev`, version `v1alpha1`.
//!
//! The CRD YAML under `charts/palisade/crds/` is generated from these types by
//! `palisade crds`; CI fails when the committed YAML is stale.

mod baseline;
mod report;

pub use baseline::*;
pub use report::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{CustomResourceDefinition, JSON};
use kube::CustomResourceExt;
use serde::{Deserialize, Serialize};

/// Severity of a check or finding, most severe first.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, schemars::JsonSchema, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

/// All of Palisade's CRDs, in a stable order.
pub fn crds() -> [CustomResourceDefinition; 3] {
    [
        unobserved_until_read(HardeningBaseline::crd()),
        PostureReport::crd(),
        ClusterPostureReport::crd(),
    ]
}

/// Gives a new object `status.observedGeneration: 0` (the API server applies schema defaults to
/// what it stores), so a baseline Palisade has not read yet is InProgress for kstatus (Flux) —
/// generation 1 is newer than the status — instead of Current for lack of anything to read.
fn unobserved_until_read(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    let schemas = crd
        .spec
        .versions
        .iter_mut()
        .filter_map(|version| version.schema.as_mut());
    for schema in schemas.filter_map(|schema| schema.open_api_v3_schema.as_mut()) {
        if let Some(status) = schema
            .properties
            .as_mut()
            .and_then(|properties| properties.get_mut("status"))
        {
            status.default = Some(JSON(serde_json::json!({"observedGeneration": 0})));
        }
    }
    crd
}

/// All of Palisade's CRDs as one multi-document YAML stream, in a stable order.
pub fn crds_yaml() -> Result<String, serde_saphyr::SerializeError> {
    let mut out = String::new();
    for crd in crds() {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(&crd)?);
    }
    Ok(out)
}

/// Adds CEL `x-kubernetes-validations` rules to a generated schema.
fn with_cel_rules(schema: &mut schemars::Schema, rules: &[(&str, &str)]) {
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|(rule, message)| serde_json::json!({ "rule": rule, "message": message }))
        .collect();
    schema.insert("x-kubernetes-validations".to_owned(), rules.into());
}

/// Marks a list schema as a map keyed by `type`, as Kubernetes conditions are.
fn conditions_list_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut schema = generator.subschema_for::<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>();
    schema.insert("x-kubernetes-list-type".to_owned(), "map".into());
    schema.insert("x-kubernetes-list-map-keys".to_owned(), serde_json::json!(["type"]));
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_property_has_a_description() {
        fn walk(path: &str, value: &serde_json::Value, missing: &mut Vec<String>) {
            if let Some(props) = value.get("properties").and_then(|p| p.as_object()) {
                for (name, prop) in props {
                    let here = format!("{path}.{name}");
                    if prop.get("description").is_none() {
                        missing.push(here.clone());
                    }
                    walk(&here, prop, missing);
                }
            }
            if let Some(items) = value.get("items") {
                walk(&format!("{path}[]"), items, missing);
            }
        }
        let mut missing = Vec::new();
        for crd in crds() {
            let crd = serde_json::to_value(crd).expect("CRD serializes");
            let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
            let name = crd["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            walk(&name, schema, &mut missing);
        }
        // Fields of the standard metav1.Condition carry upstream descriptions; metadata is the API server's.
        missing
            .retain(|path| !path.ends_with(".metadata") && !path.ends_with(".apiVersion") && !path.ends_with(".kind"));
        assert!(missing.is_empty(), "fields without description: {missing:#?}");
    }

    #[test]
    fn a_new_baseline_reads_as_not_yet_observed() {
        let [baseline, ..] = crds();
        let schema = baseline.spec.versions[0]
            .schema
            .as_ref()
            .and_then(|schema| schema.open_api_v3_schema.as_ref());
        let status = schema.and_then(|schema| schema.properties.as_ref()?.get("status"));
        assert_eq!(
            status
                .and_then(|status| status.default.as_ref())
                .map(|default| &default.0),
            Some(&serde_json::json!({"observedGeneration": 0}))
        );
    }

    #[test]
    fn crds_yaml_holds_three_documents() {
        let yaml = crds_yaml().expect("serializes");
        assert_eq!(yaml.matches("kind: CustomResourceDefinition").count(), 3);
        assert!(yaml.contains("x-kubernetes-validations"));
    }
}
