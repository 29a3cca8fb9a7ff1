//! An input problem: something in the manifests that could not be read, parsed or added. The
//! audit goes on with the rest; the run exits 2.

use std::fmt;

/// Where the problem is and what it is. Messages never carry secret or literal env values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The source file as given (`-` for stdin).
    pub file: String,
    /// 1-based document index within the file, when the problem is in one document.
    pub document: Option<usize>,
    /// Position inside the document, e.g. `items[3]` of a List.
    pub item: Option<String>,
    pub message: String,
}

impl InputError {
    pub fn file(file: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_string(),
            document: None,
            item: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(document) = self.document {
            write!(f, "document {document}: ")?;
        }
        if let Some(item) = &self.item {
            write!(f, "{item}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::InputError;

    #[test]
    fn names_file_document_and_item() {
        let mut error = InputError::file("deploy.yaml", "boom");
        assert_eq!(error.to_string(), "deploy.yaml: boom");
        error.document = Some(3);
        assert_eq!(error.to_string(), "deploy.yaml: document 3: boom");
        error.item = Some("items[1]".into());
        assert_eq!(error.to_string(), "deploy.yaml: document 3: items[1]: boom");
    }
}
