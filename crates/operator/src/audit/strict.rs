//! Strict reading of a custom resource from a file. The API server prunes every field its
//! schema does not know, so a misspelt field applied to a cluster silently means nothing; an
//! offline reader must refuse it instead, naming it by its path (`spec.exceptions[0].expiress`).
//! A field of the wrong type (a bad date) is named by its path too.

use kube::CustomResourceExt;
use palisade_checks::manifest::typed;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The resource, or every field admission would prune and the first field of the wrong type.
pub fn read<K: CustomResourceExt + DeserializeOwned>(object: Value) -> Result<K, Vec<String>> {
    let mut problems = Vec::new();
    if let Some(schema) = K::crd()
        .spec
        .versions
        .first()
        .and_then(|version| version.schema.as_ref()?.open_api_v3_schema.as_ref())
        .and_then(|schema| serde_json::to_value(schema).ok())
    {
        // The schema lists the resource's own fields; the API server handles the type's and
        // the metadata.
        let mut own = object.clone();
        if let Some(fields) = own.as_object_mut() {
            fields.retain(|key, _| !matches!(key.as_str(), "apiVersion" | "kind" | "metadata"));
        }
        unknown_fields(&own, &schema, "", &mut problems);
    }
    // The schema leaves metadata to the API server, which drops what ObjectMeta lacks.
    if let Some(metadata) = object.get("metadata") {
        let _: Result<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, _> =
            serde_ignored::deserialize(metadata.clone(), |path| {
                problems.push(format!("metadata{}: unknown field", field_path(&path)));
            });
    }
    match typed(object) {
        Ok(resource) if problems.is_empty() => Ok(resource),
        Ok(_) => Err(problems),
        Err(error) => {
            problems.push(error);
            Err(problems)
        }
    }
}

/// A path below the root as a YAML reader writes it: `.ownerReferences[0].uid`.
fn field_path(path: &serde_ignored::Path) -> String {
    match path {
        serde_ignored::Path::Root => String::new(),
        serde_ignored::Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        serde_ignored::Path::Map { parent, key } => format!("{}.{key}", field_path(parent)),
        serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => field_path(parent),
    }
}

/// Walks the value along a structural schema and names every field the schema does not know.
fn unknown_fields(value: &Value, schema: &Value, path: &str, problems: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match value {
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|schema| schema.is_object());
            for (key, field) in fields {
                let field_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match (properties.and_then(|properties| properties.get(key)), additional) {
                    (Some(schema), _) | (None, Some(schema)) => unknown_fields(field, schema, &field_path, problems),
                    (None, None) if properties.is_some() => problems.push(format!("{field_path}: unknown field")),
                    // An object whose fields the schema does not list (metadata) is not pruned.
                    (None, None) => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    unknown_fields(item, schema, &format!("{path}[{index}]"), problems);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_crds::HardeningBaseline;
    use serde_json::json;

    fn problems(object: Value) -> Vec<String> {
        read::<HardeningBaseline>(object).err().unwrap_or_default()
    }

    #[test]
    fn unknown_fields_are_named_by_their_path_wherever_they_are() {
        let object = json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline",
            "metadata": {"name": "prod", "labelz": {"a": "b"}, "labels": {"any-key": "is fine"}},
            "spec": {"namespaces": ["shop"], "profile": "baseline", "priorty": 3,
                "namespaceSelector": {"matchLabels": {"tier": "prod"}, "matchExpresions": []},
                "exceptions": [{"checks": ["pod.privileged"], "reason": "r", "expires": "2030-01-01T00:00:00Z"},
                    {"checks": ["pod.privileged"], "reason": "r", "expires": "2030-01-01T00:00:00Z", "expiress": "2031-01-01T00:00:00Z"}],
                "thresholds": {"minScor": 80}}});
        assert_eq!(
            problems(object),
            [
                "spec.exceptions[1].expiress: unknown field",
                "spec.namespaceSelector.matchExpresions: unknown field",
                "spec.priorty: unknown field",
                "spec.thresholds.minScor: unknown field",
                "metadata.labelz: unknown field",
            ]
        );
    }

    #[test]
    fn a_bad_date_is_named_by_its_path_alongside_unknown_fields() {
        let object = json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline", "metadata": {"name": "prod"},
            "spec": {"namespaces": ["shop"], "profile": "baseline", "allowAnnotationExemptions": false,
                "exceptions": [{"checks": ["pod.privileged"], "reason": "r", "expires": "2030-13-01T00:00:00Z"}]}});
        let found = problems(object);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0], "spec.allowAnnotationExemptions: unknown field");
        assert!(found[1].starts_with("spec.exceptions[0].expires: "), "{found:?}");
    }

    #[test]
    fn a_well_formed_baseline_reads() {
        let object = json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline", "metadata": {"name": "prod"},
            "spec": {"namespaces": ["shop"], "profile": "baseline", "annotationExemptions": "None",
                "parameters": {"allowedRegistries": ["r.example.com"]}}});
        let baseline = read::<HardeningBaseline>(object).expect("valid");
        assert_eq!(
            baseline.spec.annotation_exemptions,
            palisade_crds::AnnotationExemptions::None
        );
    }
}
