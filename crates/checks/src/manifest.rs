//! Splits manifest text (multi-document YAML or JSON) into objects. Pure: callers read files.

use serde::Deserialize;

/// A document that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("document {document}: {message}")]
pub struct ManifestError {
    /// 1-based position of the document in its file.
    pub document: usize,
    pub message: String,
}

/// The objects of a manifest text, in order; empty documents are skipped. Parsing stops at the
/// first malformed document, because YAML cannot reliably resynchronise after a syntax error.
pub fn parse_documents(text: &str) -> (Vec<serde_json::Value>, Option<ManifestError>) {
    let mut objects = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        match serde_json::Value::deserialize(document) {
            Ok(serde_json::Value::Null) => {}
            Ok(object) => objects.push(object),
            Err(error) => {
                let error = ManifestError {
                    document: index + 1,
                    message: error.to_string(),
                };
                return (objects, Some(error));
            }
        }
    }
    (objects, None)
}

#[cfg(test)]
mod tests {
    use super::parse_documents;

    #[test]
    fn multi_document_yaml_and_json() {
        let (objects, error) = parse_documents("a: 1\n---\n---\nb: 2\n");
        assert!(error.is_none());
        assert_eq!(objects.len(), 2);
        let (objects, error) = parse_documents(r#"{"kind": "List", "items": []}"#);
        assert!(error.is_none());
        assert_eq!(objects[0]["kind"], "List");
    }

    #[test]
    fn malformed_document_is_named_by_position() {
        let (objects, error) = parse_documents("a: 1\n---\nb: [unclosed\n");
        assert_eq!(objects.len(), 1);
        let error = error.expect("an error");
        assert_eq!(error.document, 2);
        assert!(error.to_string().starts_with("document 2: "), "{error}");
    }
}
