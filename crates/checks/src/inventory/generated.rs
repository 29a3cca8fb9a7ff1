//! Objects written for `kubectl create` may have only a `generateName`: the API server makes up
//! the rest of the name. Such an object is shown by its prefix and `*` (`web-` is `web-*`, which
//! an exception's name glob `web-*` also matches), and stored under that name plus a digest of
//! its content, so several objects of one prefix do not replace each other.

use std::borrow::Cow;
use std::fmt::{self, Debug, Write};
use std::hash::{DefaultHasher, Hasher};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

/// What follows a `generateName` prefix in the name an object is shown by. No Kubernetes name
/// contains it, so such a name never collides with a real one.
const GENERATED_MARK: char = '*';

/// The name an object with only a `generateName` of `prefix` is shown by.
pub fn generated_name(prefix: &str) -> String {
    format!("{prefix}{GENERATED_MARK}")
}

/// The name a manifest object is shown by: its `metadata.name`, else its `generateName` as
/// [`generated_name`] shows it; `None` with neither.
pub fn shown_name(object: &Value) -> Option<Cow<'_, str>> {
    let metadata = object.get("metadata")?;
    let field = |field: &str| metadata.get(field).and_then(Value::as_str);
    match field("name").filter(|name| !name.is_empty()) {
        Some(name) => Some(Cow::Borrowed(name)),
        None => field("generateName").map(|prefix| Cow::Owned(generated_name(prefix))),
    }
}

/// Names an object that has a `generateName` and no name by [`generated_name`].
pub(super) fn name_generated(metadata: &mut ObjectMeta) {
    if metadata.name.as_deref().is_none_or(str::is_empty)
        && let Some(prefix) = &metadata.generate_name
    {
        metadata.name = Some(generated_name(prefix));
    }
}

/// The key an object named `name` is stored under: the name itself, but for a generated name
/// (which several objects may share) the name and a digest of the object. Objects that are
/// equal in every stored field share the digest and count as one, as re-applying one would.
pub(super) fn stored_name(name: &str, object: &impl Debug) -> String {
    if !name.ends_with(GENERATED_MARK) {
        return name.to_string();
    }
    let mut hasher = DefaultHasher::new();
    // Written straight into the hasher: no text copy of the object (a Secret's data) is made.
    // Writing to a hasher cannot fail.
    let _ = write!(HashWriter(&mut hasher), "{object:?}");
    format!("{name}{:016x}", hasher.finish())
}

struct HashWriter<'a>(&'a mut DefaultHasher);

impl Write for HashWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.write(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_nameless_objects_are_named_by_their_prefix() {
        let named = |metadata: Value| {
            let mut metadata: ObjectMeta = serde_json::from_value(metadata).expect("metadata");
            name_generated(&mut metadata);
            metadata.name
        };
        assert_eq!(named(json!({"generateName": "web-"})).as_deref(), Some("web-*"));
        assert_eq!(
            named(json!({"generateName": "web-", "name": ""})).as_deref(),
            Some("web-*")
        );
        assert_eq!(
            named(json!({"generateName": "web-", "name": "web-x1"})).as_deref(),
            Some("web-x1")
        );
        assert_eq!(named(json!({})), None);
    }

    #[test]
    fn generated_names_are_stored_by_content() {
        assert_eq!(stored_name("web", &1), "web");
        let first = stored_name("web-*", &1);
        assert!(first.starts_with("web-*") && first.len() > "web-*".len(), "{first}");
        assert_eq!(first, stored_name("web-*", &1));
        assert_ne!(first, stored_name("web-*", &2));
    }
}
