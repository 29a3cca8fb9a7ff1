//! API types of Palisade's custom resources in group `palisade.dev`, version `v1alpha1`.
//!
//! The CRD YAML under `charts/palisade/crds/` is generated from these types by
//! `palisade crds`; CI fails when the committed YAML is stale.

mod baseline;
mod report;

pub use baseline::*;
pub use report::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
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
        HardeningBaseline::crd(),
        PostureReport::crd(),
        ClusterPostureReport::crd(),
    ]
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
    fn crds_yaml_holds_three_documents() {
        let yaml = crds_yaml().expect("serializes");
        assert_eq!(yaml.matches("kind: CustomResourceDefinition").count(), 3);
        assert!(yaml.contains("x-kubernetes-validations"));
    }
}
