//! Reads sources into an [`Inventory`]: every document (and every item of a `…List`) is added,
//! its file recorded, unknown kinds counted and problems collected with their file and document.
//! Objects listed from a cluster (`palisade scan`) are added the same way, with no file.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_checks::inventory::{AddError, shown_name};
use palisade_checks::{AddOptions, Added, Inventory, Object};
use serde_json::Value;

use super::origins::{Origin, Origins};
use super::problem::InputError;
use super::sources::{self, Input, Source};
use palisade_checks::manifest;
use palisade_checks::redact::redact;

/// Everything read from the sources.
#[derive(Debug, Default)]
pub struct Loaded {
    pub inventory: Inventory,
    pub origins: Origins,
    /// Objects read (each item of a List counts; the List itself does not).
    pub objects: usize,
    /// Objects of kinds no check reads, by `apiVersion/Kind`.
    pub skipped: BTreeMap<String, usize>,
    pub errors: Vec<InputError>,
}

/// Where an object is, for problems and origins.
struct Location<'a> {
    /// The file problems name (for objects listed from a cluster: the cluster).
    file: &'a str,
    /// What findings name as their source: nothing for objects listed from a cluster.
    origin: Option<Origin>,
    document: Option<usize>,
    item: Option<String>,
}

impl Loaded {
    /// Adds every object of the inputs. Each core reads, parses and loads a contiguous share of
    /// the inputs into its own `Loaded`, one file's text at a time; the shares are merged in the
    /// inputs' order, so objects, problems and origins come out as a sequential read would give
    /// them. An unreadable input or a malformed document costs only itself.
    pub fn add_inputs(&mut self, inputs: &[Input], max_bytes: u64, options: &AddOptions) {
        let shares = crate::parallel::by_share(inputs, |share| {
            let mut loaded = Loaded::default();
            for input in share {
                match sources::read(input, max_bytes) {
                    Ok(source) => loaded.add_source(&source, options),
                    Err(error) => loaded.errors.push(error),
                }
            }
            loaded
        });
        shares.into_iter().for_each(|share| self.absorb(share));
    }

    fn add_source(&mut self, source: &Source, options: &AddOptions) {
        let mut sink = SourceSink {
            file: Arc::new(source.name.clone()),
            options,
            loaded: self,
        };
        let errors = manifest::read(&source.text, source.json, &mut sink);
        self.errors.extend(errors.into_iter().map(|error| InputError {
            file: source.name.clone(),
            document: Some(error.document),
            item: None,
            message: error.message,
        }));
    }

    /// Adds one object listed from a cluster (an item of a list, its `apiVersion` and `kind`
    /// set). No origin is recorded: its findings name no file. A problem names `cluster` and
    /// `item` (the object's namespace and name).
    pub(crate) fn add_listed(&mut self, object: Value, cluster: &str, item: String, options: &AddOptions) {
        let location = Location {
            file: cluster,
            origin: None,
            document: None,
            item: Some(item),
        };
        self.add(object, &location, options);
    }

    /// Adds an object a metadata-only list returned already typed (a ReplicaSet or Job without its
    /// template), with no round trip through JSON; the inventory strips it on apply.
    pub(crate) fn add_typed(&mut self, object: Object) {
        self.objects += 1;
        self.inventory.apply(object);
    }

    /// Appends what another `Loaded` read after this one.
    fn absorb(&mut self, later: Loaded) {
        self.inventory.absorb(later.inventory);
        self.origins.absorb(later.origins);
        self.objects += later.objects;
        for (kind, count) in later.skipped {
            *self.skipped.entry(kind).or_default() += count;
        }
        self.errors.extend(later.errors);
    }

    fn add(&mut self, object: Value, location: &Location, options: &AddOptions) {
        let kind = text(&object, "kind");
        if kind.ends_with("List") && object.get("items").is_some_and(Value::is_array) {
            let items = match object {
                Value::Object(mut fields) => fields.remove("items"),
                _ => None,
            };
            for (index, item) in items.into_iter().flat_map(array_items).enumerate() {
                let item_location = Location {
                    file: location.file,
                    origin: location.origin.clone(),
                    document: location.document,
                    item: Some(match &location.item {
                        Some(outer) => format!("{outer}.items[{index}]"),
                        None => format!("items[{index}]"),
                    }),
                };
                self.add(item, &item_location, options);
            }
            return;
        }
        self.objects += 1;
        // Findings show an object with only a generateName by that name: its origin must be too.
        let name = shown_name(&object).map(Cow::into_owned).unwrap_or_default();
        let namespace = object
            .get("metadata")
            .and_then(|metadata| metadata.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or(&options.default_namespace)
            .to_string();
        match self.inventory.add_object(object, options) {
            Ok(Added::Objects(_)) => {
                if let Some(origin) = &location.origin {
                    self.record(&kind, &namespace, &name, origin);
                }
            }
            Ok(Added::UnknownKind { api_version, kind }) => {
                *self.skipped.entry(format!("{api_version}/{kind}")).or_default() += 1;
            }
            Err(error) => self.errors.push(InputError {
                file: location.file.to_string(),
                document: location.document,
                item: location.item.clone(),
                message: describe(&kind, &error),
            }),
        }
    }

    /// Records where an object added from a file is, also under the name the engine reports it
    /// by when that is another object's (a pod as its Deployment, say).
    fn record(&mut self, kind: &str, namespace: &str, name: &str, origin: &Origin) {
        self.origins.record(kind, namespace, name, origin);
        let reported = self
            .inventory
            .namespaces
            .get(namespace)
            .and_then(|inventory| inventory.reported_workload(kind, name));
        if let Some((reported_kind, reported_name)) = reported
            && (reported_kind, reported_name) != (kind, name)
        {
            let (reported_kind, reported_name) = (reported_kind.to_string(), reported_name.to_string());
            self.origins.record(&reported_kind, namespace, &reported_name, origin);
        }
    }
}

/// Adds the documents of one file: those in plain block YAML straight into their typed objects,
/// the others by way of their values.
struct SourceSink<'a> {
    loaded: &'a mut Loaded,
    file: Arc<String>,
    options: &'a AddOptions,
}

impl SourceSink<'_> {
    fn origin(&self, line: usize) -> Origin {
        Origin {
            file: self.file.clone(),
            line: Some(line),
        }
    }
}

impl manifest::Sink for SourceSink<'_> {
    fn offered(&mut self, line: usize, text: &str) -> bool {
        let Some(added) = self.loaded.inventory.add_plain(text, self.options) else {
            return false;
        };
        self.loaded.objects += 1;
        let origin = self.origin(line);
        self.loaded.record(&added.kind, &added.namespace, &added.name, &origin);
        true
    }

    fn document(&mut self, document: manifest::Document) {
        let location = Location {
            file: &self.file,
            origin: Some(self.origin(document.line)),
            document: Some(document.index),
            item: document.item.map(|item| format!("items[{item}]")),
        };
        self.loaded.add(document.object, &location, self.options);
    }
}

fn text(object: &Value, field: &str) -> String {
    object
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn array_items(items: Value) -> Vec<Value> {
    match items {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// The problem in words, without any value from the object: a Secret's parse error is withheld
/// entirely, other parse errors have their quoted values redacted (again: the inventory redacts
/// what it knows of, this also covers e.g. `unknown variant` messages).
fn describe(kind: &str, error: &AddError) -> String {
    match error {
        AddError::NotAnObject => error.to_string(),
        AddError::Invalid { .. } if kind == "Secret" => {
            "invalid Secret (details withheld: they could quote secret data)".to_string()
        }
        error => redact(&error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        let mut loaded = Loaded::default();
        let source = Source {
            name: "m.yaml".into(),
            text: text.into(),
            json: false,
        };
        loaded.add_source(&source, &AddOptions::default());
        loaded
    }

    #[test]
    fn lists_unknown_kinds_and_problems() {
        let loaded = load(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: LimitRange, metadata: {name: c}}\n\
             - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: 7}}\n\
             ---\n{apiVersion: v1, kind: Secret, metadata: {name: s}, type: 12}\n---\nfoo: bar\n\
             ---\nkind: [broken\n---\n{apiVersion: v1, kind: Pod, metadata: {name: after}, spec: {containers: []}}\n",
        );
        assert_eq!(loaded.objects, 5, "the Pod after the broken document is read");
        assert_eq!(loaded.skipped.get("v1/LimitRange"), Some(&1));
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors[0].starts_with("m.yaml: document 1: items[1]: invalid Pod: spec.containers: invalid type: integer"),
            "{errors:?}"
        );
        assert!(!errors[0].contains('7'), "{errors:?}");
        assert_eq!(
            errors[1],
            "m.yaml: document 2: invalid Secret (details withheld: they could quote secret data)"
        );
        assert_eq!(
            errors[2],
            "m.yaml: document 3: not a Kubernetes object: `apiVersion` and `kind` are required"
        );
        assert!(
            errors[3].starts_with("m.yaml: document 4: line 11 column "),
            "{errors:?}"
        );
    }

    #[test]
    fn generated_names_have_origins() {
        let loaded = load(
            "{apiVersion: v1, kind: Pod, metadata: {generateName: job-, namespace: shop}, spec: {containers: [{name: c}]}}",
        );
        let resource =
            palisade_checks::ResourceRef::new("Pod", Some("shop"), &palisade_checks::inventory::generated_name("job-"));
        assert!(loaded.origins.origin_of(&resource).is_some());
    }

    #[test]
    fn workloads_are_recorded_under_their_reported_name() {
        let loaded = load(
            "# a ReplicaSet and its pod\n---\n\
             {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web-7d9, namespace: shop, labels: {pod-template-hash: 7d9}, \
             ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d, controller: true}]}}\n---\n\
             {apiVersion: v1, kind: Pod, metadata: {name: web-7d9-x, namespace: shop, labels: {pod-template-hash: 7d9}, \
             ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9, uid: u, controller: true}]}, \
             spec: {containers: [{name: c}]}}",
        );
        let resource = palisade_checks::ResourceRef::new("Deployment", Some("shop"), "web");
        let origin = loaded.origins.origin_of(&resource).expect("recorded");
        assert_eq!((origin.file.as_str(), origin.line), ("m.yaml", Some(3)));
    }
}
