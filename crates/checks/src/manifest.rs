//! Splits manifest text into documents, keeping each document's 1-based position in its file
//! so problems can name it. YAML streams (`---`) and JSON (one value or several concatenated)
//! are both read; empty documents are skipped but still counted.

use serde::Deserialize;

use crate::redact::redact;

/// A document that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("document {document}: {message}")]
pub struct ManifestError {
    /// 1-based position of the document in its file.
    pub document: usize,
    /// What is wrong, with any quoted input value redacted.
    pub message: String,
}

/// One non-empty document and its position in the file.
pub struct Document {
    pub index: usize,
    pub object: serde_json::Value,
}

/// The documents of a text, and the first malformed one (reading stops there, since neither
/// YAML nor JSON can reliably resynchronise after a syntax error). `json` reads the text as
/// JSON; otherwise text that starts like JSON is tried as JSON first and read as YAML when that
/// fails (YAML flow style also starts with `{`).
pub fn split(text: &str, json: bool) -> (Vec<Document>, Option<ManifestError>) {
    if json {
        return split_json(text);
    }
    if text.trim_start().starts_with(['{', '[']) {
        let (documents, error) = split_json(text);
        if error.is_none() {
            return (documents, None);
        }
    }
    split_yaml(text)
}

fn split_yaml(text: &str) -> (Vec<Document>, Option<ManifestError>) {
    let mut documents = Vec::new();
    for (position, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let index = position + 1;
        match serde_json::Value::deserialize(document) {
            Ok(serde_json::Value::Null) => {}
            Ok(object) => documents.push(Document { index, object }),
            Err(error) => return (documents, Some(malformed(index, &error.to_string()))),
        }
    }
    (documents, None)
}

fn split_json(text: &str) -> (Vec<Document>, Option<ManifestError>) {
    let mut documents = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    for (position, value) in stream.enumerate() {
        let index = position + 1;
        match value {
            Ok(serde_json::Value::Null) => {}
            Ok(object) => documents.push(Document { index, object }),
            Err(error) => return (documents, Some(malformed(index, &error.to_string()))),
        }
    }
    (documents, None)
}

fn malformed(document: usize, message: &str) -> ManifestError {
    ManifestError {
        document,
        message: redact(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_documents_keep_their_positions() {
        let (documents, error) = split("a: 1\n---\n---\nb: 2\n---\nc: [unclosed\n", false);
        let indices: Vec<usize> = documents.iter().map(|document| document.index).collect();
        assert_eq!(indices, vec![1, 3]);
        assert_eq!(error.map(|error| error.document), Some(4));
    }

    #[test]
    fn json_streams_and_flow_yaml() {
        let (documents, error) = split("{\"a\": 1}\n{\"b\":\t2}", true);
        assert!(error.is_none());
        assert_eq!(documents.len(), 2);
        let (documents, error) = split("{\"a\": 1}\n{\"b\":", true);
        assert_eq!((documents.len(), error.map(|error| error.document)), (1, Some(2)));
        let (documents, error) = split("{apiVersion: v1, kind: Pod}", false);
        assert!(error.is_none());
        assert_eq!(documents[0].object["kind"], "Pod");
        let (documents, error) = split("{\n\t\"kind\": \"Pod\"\n}\n", false);
        assert!(error.is_none());
        assert_eq!(documents[0].object["kind"], "Pod");
    }
}
