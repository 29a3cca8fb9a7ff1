//! The baseline an audit measures against: a HardeningBaseline file (the same YAML applied to
//! clusters), or the built-in `restricted` profile.

use std::path::Path;

use std::collections::BTreeMap;

use palisade_checks::baseline::{ResolvedBaseline, governing, resolve};
use palisade_checks::manifest::split;
use palisade_crds::{HardeningBaseline, HardeningBaselineSpec, Profile};

use super::strict;

const API_VERSION: &str = "palisade.dev/v1alpha1";
const KIND: &str = "HardeningBaseline";

/// A resolved baseline and the name reports give it.
pub struct AuditBaseline {
    pub name: String,
    pub resolved: ResolvedBaseline,
    /// The file's spec, whose namespace selection decides what it governs; `None` for the
    /// built-in profile, which governs everything.
    selection: Option<HardeningBaselineSpec>,
}

impl AuditBaseline {
    /// Whether the baseline governs the namespace (`labels`: its Namespace object's, when
    /// known), as the operator decides it: the built-in profile governs every namespace.
    pub fn governs(&self, namespace: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.selection
            .as_ref()
            .is_none_or(|spec| governing([(self.name.as_str(), spec)], namespace, labels).is_some())
    }

    /// Whether this is a HardeningBaseline file (not the built-in profile).
    pub fn is_file(&self) -> bool {
        self.selection.is_some()
    }
}

/// Why `--baseline` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("--baseline {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--baseline {path}: document {document}: {message}")]
    Parse {
        path: String,
        document: usize,
        message: String,
    },
    #[error("--baseline {path}: document {document}:\n  - {}", problems.join("\n  - "))]
    Fields {
        path: String,
        document: usize,
        problems: Vec<String>,
    },
    #[error("--baseline {path}: expected one {API_VERSION} {KIND} document, found {found}")]
    NotABaseline { path: String, found: String },
    #[error("--baseline {path}: invalid {KIND} {name:?}:\n  - {}", problems.join("\n  - "))]
    Invalid {
        path: String,
        name: String,
        problems: Vec<String>,
    },
}

/// The built-in default: the `restricted` profile, annotation exemptions allowed.
pub fn builtin() -> AuditBaseline {
    AuditBaseline {
        name: "restricted (built-in)".to_string(),
        resolved: ResolvedBaseline::profile(Profile::Restricted),
        selection: None,
    }
}

/// Reads and resolves a HardeningBaseline file. Besides what resolution rejects (unknown check
/// ids, negative thresholds), it rejects what the API server's admission rejects, so a file
/// that passes here also applies to a cluster.
pub fn load(path: &Path) -> Result<AuditBaseline, BaselineError> {
    let shown = path.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: shown.clone(),
        source,
    })?;
    let (documents, errors) = split(&text, false);
    if let Some(error) = errors.into_iter().next() {
        return Err(BaselineError::Parse {
            path: shown,
            document: error.document,
            message: error.message,
        });
    }
    let found = |documents: &[palisade_checks::manifest::Document]| {
        let kinds: Vec<String> = documents
            .iter()
            .map(|document| {
                let field = |name: &str| {
                    document
                        .object
                        .get(name)
                        .and_then(|value| value.as_str())
                        .unwrap_or("?")
                };
                format!("{}/{}", field("apiVersion"), field("kind"))
            })
            .collect();
        if kinds.is_empty() {
            "no document".to_string()
        } else {
            kinds.join(", ")
        }
    };
    let [document] = documents.as_slice() else {
        return Err(BaselineError::NotABaseline {
            found: found(&documents),
            path: shown,
        });
    };
    let is_baseline = document.object.get("apiVersion").and_then(|value| value.as_str()) == Some(API_VERSION)
        && document.object.get("kind").and_then(|value| value.as_str()) == Some(KIND);
    if !is_baseline {
        return Err(BaselineError::NotABaseline {
            found: found(&documents),
            path: shown,
        });
    }
    let baseline: HardeningBaseline =
        strict::read(document.object.clone()).map_err(|problems| BaselineError::Fields {
            path: shown.clone(),
            document: document.index,
            problems,
        })?;
    let name = baseline.metadata.name.clone().unwrap_or_default();
    let mut problems = admission_problems(&baseline.spec);
    match resolve(Some(&name), &baseline.spec) {
        Ok(resolved) if problems.is_empty() => Ok(AuditBaseline {
            name,
            resolved,
            selection: Some(baseline.spec),
        }),
        Ok(_) => Err(BaselineError::Invalid {
            path: shown,
            name,
            problems,
        }),
        Err(more) => {
            problems.extend(more);
            Err(BaselineError::Invalid {
                path: shown,
                name,
                problems,
            })
        }
    }
}

/// What the CRD's schema and CEL rules reject at admission.
fn admission_problems(spec: &HardeningBaselineSpec) -> Vec<String> {
    let mut problems = Vec::new();
    if spec.namespace_selector.is_none() && spec.namespaces.is_empty() {
        problems.push("spec must select namespaces with namespaceSelector or namespaces".to_string());
    }
    for (index, exception) in spec.exceptions.iter().enumerate() {
        if exception.reason.trim().is_empty() {
            problems.push(format!("exceptions[{index}].reason must not be empty"));
        }
        if exception.checks.is_empty() {
            problems.push(format!("exceptions[{index}].checks must list at least one check"));
        }
    }
    let parameters = spec.parameters.as_ref();
    if parameters
        .and_then(|parameters| parameters.max_secret_age_days)
        .is_some_and(|days| days < 1)
    {
        problems.push("parameters.maxSecretAgeDays must be at least 1".to_string());
    }
    let thresholds = spec.thresholds.as_ref();
    if thresholds
        .and_then(|thresholds| thresholds.min_score)
        .is_some_and(|score| !(0..=100).contains(&score))
    {
        problems.push("thresholds.minScore must be between 0 and 100".to_string());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_rules_are_checked() {
        let spec: HardeningBaselineSpec = serde_json::from_value(serde_json::json!({
            "profile": "baseline",
            "exceptions": [{"checks": [], "reason": " ", "expires": "2099-01-01T00:00:00Z"}],
            "parameters": {"maxSecretAgeDays": 0},
            "thresholds": {"minScore": 101}
        }))
        .expect("spec");
        assert_eq!(
            admission_problems(&spec),
            vec![
                "spec must select namespaces with namespaceSelector or namespaces",
                "exceptions[0].reason must not be empty",
                "exceptions[0].checks must list at least one check",
                "parameters.maxSecretAgeDays must be at least 1",
                "thresholds.minScore must be between 0 and 100",
            ]
        );
    }
}
