//! Splits manifest text into documents as kubectl does, keeping each document's 1-based position
//! and first line in its file so problems and findings can name them. YAML streams (`---`) and
//! JSON (one value or several concatenated) are both read; empty documents are skipped but still
//! counted.
//!
//! Every YAML document is parsed on its own: a document marker (`---` at the start of a line) can
//! never occur inside a YAML scalar, so cutting the text there is exact, and a syntax error,
//! a budget breach or an out-of-range number costs only its own document. Merge keys (`<<`) are
//! applied and duplicate keys are errors, as with kubectl; nesting depth and alias expansion are
//! bounded so pathological input is refused in time and memory linear in its size.
//!
//! Documents in the plain block style tools print are read by a fast reader of that subset
//! ([`block`]), which gives the full parser's value or leaves the document to it.

mod block;

pub(crate) use block::{header as block_header, typed as block_typed};

use serde::de::DeserializeOwned;

use crate::redact::redact;

/// Deepest nesting accepted. Kubernetes objects, CRD schemas included, stay far below it; serde's
/// own JSON reader refuses at about the same depth.
pub const MAX_DEPTH: usize = 100;
/// Events alias expansion may replay per document, beyond the document's own size in bytes: an
/// alias bomb is refused while expansion stays linear in the input.
const ALIAS_REPLAY_ALLOWANCE: usize = 10_000;

/// A document that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("document {document}: {message}")]
pub struct ManifestError {
    /// 1-based position of the document in its file.
    pub document: usize,
    /// What is wrong and where (line and column in the file), never quoting an input value.
    pub message: String,
}

/// One non-empty document, or one item of a `…List` document, and where it is in the file.
pub struct Document {
    /// 1-based position of the document in its file.
    pub index: usize,
    /// 1-based line of the document's first content in the file.
    pub line: usize,
    /// The item's position when the document is a `…List` read item by item.
    pub item: Option<usize>,
    pub object: serde_json::Value,
}

/// The documents of a text and the problems of those that could not be read (see [`read`]).
pub fn split(text: &str, json: bool) -> (Vec<Document>, Vec<ManifestError>) {
    let mut documents = Vec::new();
    let errors = read(text, json, &mut |document: Document| documents.push(document));
    (documents, errors)
}

/// Where the documents of a text go.
pub trait Sink {
    /// A YAML document's text (`line` as in [`Document`]), offered before it is parsed: the
    /// sink may read it itself, straight into what it needs, and take it (`true`).
    fn offered(&mut self, _line: usize, _text: &str) -> bool {
        false
    }

    fn document(&mut self, document: Document);
}

impl<F: FnMut(Document)> Sink for F {
    fn document(&mut self, document: Document) {
        self(document);
    }
}

/// Hands each document of a text to `sink` as it is parsed and returns the problems of those
/// that could not be read. The items of a large `…List` are handed over one by one as they
/// are parsed, so memory follows one item rather than the whole list. `json` reads the text as
/// JSON; otherwise text that starts like JSON is tried as JSON first and read as YAML when that
/// fails (YAML flow style also starts with `{`).
pub fn read(text: &str, json: bool, sink: &mut dyn Sink) -> Vec<ManifestError> {
    if json {
        return read_json(text, &mut |document| sink.document(document));
    }
    if text.trim_start().starts_with(['{', '[']) {
        let mut documents = Vec::new();
        if read_json(text, &mut |document| documents.push(document)).is_empty() {
            documents.into_iter().for_each(|document| sink.document(document));
            return Vec::new();
        }
    }
    read_yaml(text, sink)
}

/// Reads one YAML document (a baseline file, say) into a typed value with the reader's limits.
/// Errors name the line and column, and the field path when the value has the wrong type.
pub fn from_yaml<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value: serde_json::Value =
        serde_saphyr::from_str_with_options(text, options(text.len())).map_err(|error| yaml_message(&error, 0))?;
    typed(value)
}

/// Types a parsed value; an error names the field path and never the value.
pub fn typed<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    // Tracking the path costs a third of the typing: only a value that fails pays for it.
    if let Ok(typed) = T::deserialize(&value) {
        return Ok(typed);
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = redact(&error.into_inner().to_string());
        if path == "." {
            message
        } else {
            format!("{path}: {message}")
        }
    })
}

fn read_yaml(text: &str, sink: &mut dyn Sink) -> Vec<ManifestError> {
    let mut errors = Vec::new();
    let mut index = 0;
    for chunk in chunks(text) {
        let Some(line) = chunk.content_line else {
            index += 1;
            continue;
        };
        if is_large_list(chunk.text) {
            index += 1;
            let mut on_item = |item, object| {
                sink.document(Document {
                    index,
                    line,
                    item: Some(item),
                    object,
                })
            };
            // In plain block style, the items are read by the fast reader; if it gives up, the
            // full parser reads the document again and hands over only the items after those.
            let mut handed = 0;
            let read_fast = block::read_list(chunk.text, &mut |item, object| {
                handed += 1;
                on_item(item, object);
            });
            if read_fast.is_some() {
                continue;
            }
            let mut seen = 0;
            let mut on_later_item = |item, object| {
                seen += 1;
                if seen > handed {
                    on_item(item, object);
                }
            };
            let options = options(chunk.text.len());
            let streamed = serde_saphyr::with_deserializer_from_str_with_options(chunk.text, options, |deserializer| {
                serde::de::DeserializeSeed::deserialize(ListItems(&mut on_later_item), deserializer)
            });
            if let Err(error) = streamed {
                errors.push(ManifestError {
                    document: index,
                    message: yaml_message(&error, chunk.first_line - 1),
                });
            }
            continue;
        }
        if sink.offered(line, chunk.text) {
            index += 1;
            continue;
        }
        if let Some(object) = block::read(chunk.text) {
            index += 1;
            sink.document(Document {
                index,
                line,
                item: None,
                object,
            });
            continue;
        }
        match serde_saphyr::from_multiple_with_options::<serde_json::Value>(chunk.text, options(chunk.text.len())) {
            Ok(values) if values.is_empty() => index += 1,
            Ok(values) => {
                for object in values {
                    index += 1;
                    if !object.is_null() {
                        sink.document(Document {
                            index,
                            line,
                            item: None,
                            object,
                        });
                    }
                }
            }
            Err(error) => {
                index += 1;
                errors.push(ManifestError {
                    document: index,
                    message: yaml_message(&error, chunk.first_line - 1),
                });
            }
        }
    }
    errors
}

/// Documents from this size on are read item by item when they are a `…List`.
const LARGE_LIST_BYTES: usize = 1 << 20;

/// Whether a YAML document is a large `…List` written in block style (as `kubectl get -o yaml`
/// prints one): a top-level `kind` key, at the start of a line, naming a `…List`. A line that
/// starts with `kind:` can only be a top-level key: scalars continued over lines and block
/// scalars inside a top-level mapping are indented.
fn is_large_list(text: &str) -> bool {
    text.len() >= LARGE_LIST_BYTES
        && text.lines().any(|line| {
            line.strip_prefix("kind:").is_some_and(|kind| {
                let kind = kind.split(" #").next().unwrap_or_default().trim();
                kind.trim_matches(['"', '\'']).ends_with("List")
            })
        })
}

/// Reads a `…List` document, handing each element of its `items` to the callback as soon as it
/// is parsed; its other fields are read and dropped.
struct ListItems<'a>(&'a mut dyn FnMut(usize, serde_json::Value));

impl<'de> serde::de::DeserializeSeed<'de> for ListItems<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ListItems<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a Kubernetes List object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "items" {
                map.next_value_seed(Items(&mut *self.0))?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Items<'a>(&'a mut dyn FnMut(usize, serde_json::Value));

impl<'de> serde::de::DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a list of objects")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(item) = items.next_element::<serde_json::Value>()? {
            (self.0)(index, item);
            index += 1;
        }
        Ok(())
    }
}

fn options(len: usize) -> serde_saphyr::Options {
    // A document's own nodes and events cannot outnumber its bytes; only aliases can multiply them.
    let events = len.saturating_mul(2).saturating_add(ALIAS_REPLAY_ALLOWANCE);
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_events: events,
            max_nodes: events,
            max_documents: usize::MAX,
            max_recorded_anchor_events: events,
            // The library's default (64 MiB) would refuse a large `kubectl get -o yaml` List: only
            // what aliases repeat can make scalars outgrow the document.
            max_total_scalar_bytes: len.saturating_mul(4).saturating_add(ALIAS_REPLAY_ALLOWANCE),
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: len.saturating_add(ALIAS_REPLAY_ALLOWANCE),
        },
    }
}

/// The error in words at its place in the file, without the source snippet (it could quote a
/// secret) and with quoted values redacted.
fn yaml_message(error: &serde_saphyr::Error, line_offset: usize) -> String {
    let error = error.without_snippet();
    let message = redact(&strip_location(&error.to_string()));
    match error.location() {
        Some(location) if location.line() > 0 => format!(
            "line {} column {}: {message}",
            location.line() as usize + line_offset,
            location.column()
        ),
        _ => message,
    }
}

/// Drops the `at line L, column C` the library appends, since the file's own line is given.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].trim_end_matches(',').to_string(),
        None => message.to_string(),
    }
}

/// One document's text: from a document marker (or the start) to the next marker.
struct Chunk<'a> {
    text: &'a str,
    /// 1-based line of the chunk's first line in the file.
    first_line: usize,
    /// 1-based line of its first content (not a comment, blank line, marker or directive).
    content_line: Option<usize>,
}

/// Cuts YAML text at document markers. Comments, blank lines and directives before the first
/// marker belong to the first document rather than making one of their own; after that, a marker
/// right after a marker makes an empty document. Only the lines that start with `---` and those
/// up to a document's first content are looked at, so most of the text is only searched.
fn chunks(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut first_line = 1;
    // A marker on the first line leaves `start` at 0: what follows it up to the next marker is a
    // document of its own all the same (a bad directive there must not cost the next document).
    let mut after_marker = false;
    let line_starts = memchr::memmem::find_iter(text.as_bytes(), "\n---").map(|at| at + 1);
    for marker in std::iter::once(0)
        .chain(line_starts)
        .filter(|&at| is_marker(&text[at..]))
    {
        let content_line = content_line(&text[start..marker], first_line);
        if content_line.is_some() || after_marker {
            chunks.push(Chunk {
                text: &text[start..marker],
                first_line,
                content_line,
            });
            first_line += memchr::memchr_iter(b'\n', &text.as_bytes()[start..marker]).count();
            start = marker;
        }
        after_marker = true;
    }
    if start < text.len() || chunks.is_empty() {
        chunks.push(Chunk {
            text: &text[start..],
            first_line,
            content_line: content_line(&text[start..], first_line),
        });
    }
    chunks
}

/// The 1-based line of the first content in `text`, whose first line is `first_line`.
fn content_line(text: &str, first_line: usize) -> Option<usize> {
    text.split_inclusive('\n')
        .position(is_content)
        .map(|index| first_line + index)
}

/// `---` at the start of a line, alone or followed by a space, tab or comment.
fn is_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    let after_marker = if is_marker(line) {
        trimmed[3..].trim_start()
    } else {
        trimmed
    };
    !(after_marker.is_empty() || after_marker.starts_with('#') || (!is_marker(line) && trimmed.starts_with('%')))
}

fn read_json(text: &str, on_document: &mut dyn FnMut(Document)) -> Vec<ManifestError> {
    if text.len() >= LARGE_LIST_BYTES && is_json_list(text) {
        let mut on_item = |item, object| {
            on_document(Document {
                index: 1,
                line: line_of(text, 0),
                item: Some(item),
                object,
            })
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let streamed = serde::de::DeserializeSeed::deserialize(ListItems(&mut on_item), &mut deserializer)
            .and_then(|()| deserializer.end());
        return match streamed {
            Ok(()) => Vec::new(),
            Err(error) => vec![ManifestError {
                document: 1,
                message: format!("{} (the rest of the file is not read)", redact(&error.to_string())),
            }],
        };
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let mut index = 0;
    loop {
        let offset = stream.byte_offset();
        let Some(value) = stream.next() else { break };
        index += 1;
        match value {
            Ok(serde_json::Value::Null) => {}
            Ok(object) => on_document(Document {
                index,
                line: line_of(text, offset),
                item: None,
                object,
            }),
            Err(error) => {
                // JSON cannot resynchronise after a syntax error: the rest of the text is lost,
                // and the message says so.
                let message = redact(&error.to_string());
                return vec![ManifestError {
                    document: index,
                    message: format!("{message} (the rest of the file is not read)"),
                }];
            }
        }
    }
    Vec::new()
}

/// Whether a JSON text is one `…List` object: its `kind` is read without building anything else
/// (fast: every other value is skipped).
fn is_json_list(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: Option<String>,
    }
    serde_json::from_str::<Kind>(text).is_ok_and(|object| object.kind.is_some_and(|kind| kind.ends_with("List")))
}

/// The 1-based line of the first non-whitespace character at or after `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    let start = text[offset..]
        .find(|c: char| !c.is_whitespace())
        .map_or(offset, |skip| offset + skip);
    text.as_bytes()[..start].iter().filter(|&&byte| byte == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How [`chunks`] cut texts when it looked at every line: what the search must agree with.
    fn chunks_line_by_line(text: &str) -> Vec<Chunk<'_>> {
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut first_line = 1;
        let mut content_line = None;
        let mut offset = 0;
        // A marker on the first line leaves `start` at 0: what follows it up to the next marker is a
        // document of its own all the same (a bad directive there must not cost the next document).
        let mut after_marker = false;
        for (number, line) in text.split_inclusive('\n').enumerate().map(|(i, line)| (i + 1, line)) {
            if is_marker(line) && (content_line.is_some() || after_marker) {
                chunks.push(Chunk {
                    text: &text[start..offset],
                    first_line,
                    content_line,
                });
                start = offset;
                first_line = number;
                content_line = None;
            }
            after_marker |= is_marker(line);
            if content_line.is_none() && is_content(line) {
                content_line = Some(number);
            }
            offset += line.len();
        }
        if start < text.len() || chunks.is_empty() {
            chunks.push(Chunk {
                text: &text[start..],
                first_line,
                content_line,
            });
        }
        chunks
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn texts_are_cut_where_every_line_would_cut_them(
            lines in proptest::collection::vec(proptest::sample::select(vec![
                "---", "--- # c", "---x", "--- a: 1", "----", " ---", "---\t", "---\r", "--", "...",
                "# comment", "", "  ", "%YAML 1.2", "a: 1", "  b: 2", "- x", "é: ü",
            ]), 0..12),
            last_broken in proptest::bool::ANY,
        ) {
            let mut text = lines.join("\n");
            if last_broken {
                text.push('\n');
            }
            let cut = |chunks: Vec<Chunk<'_>>| -> Vec<(String, usize, Option<usize>)> {
                chunks.into_iter().map(|chunk| (chunk.text.to_string(), chunk.first_line, chunk.content_line)).collect()
            };
            proptest::prop_assert_eq!(cut(chunks(&text)), cut(chunks_line_by_line(&text)));
        }
    }

    fn indices(documents: &[Document]) -> Vec<usize> {
        documents.iter().map(|document| document.index).collect()
    }

    #[test]
    fn yaml_documents_keep_their_positions_and_lines() {
        let (documents, errors) = split("a: 1\n---\n---\n# note\nb: 2\n---\nc: [unclosed\n", false);
        assert_eq!(indices(&documents), vec![1, 3]);
        assert_eq!(documents.iter().map(|d| d.line).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(errors.iter().map(|error| error.document).collect::<Vec<_>>(), vec![4]);
        let (documents, errors) = split("# header\n---\na: 1\n", false);
        assert!(errors.is_empty());
        assert_eq!((indices(&documents), documents[0].line), (vec![1], 3));
        let (documents, errors) = split("---\n%YAML\n---\na: 1\n", false);
        assert_eq!(indices(&documents), vec![2], "{errors:?}");
    }

    #[test]
    fn a_broken_document_costs_only_itself() {
        let text =
            "a: [1\n---\nb: 99999999999999999999999999\n---\nc: &x [*x]\n---\nd: 4\n---\ne: {f: 1, f: 2}\n---\ng: 7\n";
        let (documents, errors) = split(text, false);
        let kept: Vec<&str> = documents
            .iter()
            .filter_map(|document| document.object.as_object()?.keys().next().map(String::as_str))
            .collect();
        assert!(kept.contains(&"d") && kept.contains(&"g"), "{kept:?} {errors:?}");
        let failed: Vec<usize> = errors.iter().map(|error| error.document).collect();
        assert!(failed.contains(&1) && failed.contains(&5), "{errors:?}");
        assert!(
            errors.iter().all(|error| error.message.starts_with("line ")),
            "{errors:?}"
        );
        let first = errors
            .iter()
            .find(|error| error.document == 5)
            .map(|error| &error.message);
        assert!(
            first.is_some_and(|message| message.starts_with("line 9 ")),
            "{errors:?}"
        );
    }

    #[test]
    fn merge_keys_are_applied() {
        let text = "base: &base {privileged: true}\nsecurityContext:\n  <<: *base\n  runAsNonRoot: true\n";
        let (documents, errors) = split(text, false);
        assert!(errors.is_empty(), "{errors:?}");
        let context = &documents[0].object["securityContext"];
        assert_eq!(context["privileged"], true);
        assert_eq!(context.get("<<"), None);
    }

    #[test]
    fn limits_do_not_refuse_deep_real_objects() {
        // A CRD's schema nests about 2 levels per field level; 45 levels is far deeper than any.
        let deep: String = (0..45).map(|depth| format!("{}k:\n", "  ".repeat(depth))).collect();
        let thread = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(move || split(&deep, false).1.len());
        assert_eq!(thread.expect("spawn").join().expect("no panic"), 0);
    }

    #[test]
    fn pathological_input_is_refused_fast() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let block_deep: String = (0..2_000).map(|depth| format!("{}k:\n", "  ".repeat(depth))).collect();
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                    g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        for text in [deep, block_deep, bomb.to_string()] {
            // The audit parses on threads with 16 MiB stacks (a test thread has 2 MiB).
            let parse = move || {
                let started = std::time::Instant::now();
                let (documents, errors) = split(&format!("{text}\n---\nafter: 1\n"), false);
                (documents.len(), errors, started.elapsed())
            };
            let thread = std::thread::Builder::new().stack_size(16 << 20).spawn(parse);
            let (documents, errors, elapsed) = thread.expect("spawn").join().expect("no panic");
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].message.starts_with("line "), "{errors:?}");
            assert_eq!(documents, 1, "the next document is still read");
            assert!(elapsed.as_secs() < 2, "{elapsed:?}");
        }
    }

    #[test]
    fn errors_never_quote_the_input() {
        let (_, errors) = split("password: \"hunter2\nother: x\n", false);
        let (_, more) = split("a: 1\na: hunter2\n", false);
        for error in errors.iter().chain(&more) {
            assert!(!error.message.contains("hunter2"), "{error}");
        }
        let typed_error = typed::<bool>(serde_json::json!("hunter2")).expect_err("not a bool");
        assert!(!typed_error.contains("hunter2"), "{typed_error}");
    }

    #[test]
    fn type_errors_name_the_field_path() {
        #[derive(Debug, serde::Deserialize)]
        struct Pod {
            #[allow(dead_code)]
            spec: k8s_openapi::api::core::v1::PodSpec,
        }
        let value =
            serde_json::json!({"spec": {"containers": [{"name": "c", "securityContext": {"privileged": "yes"}}]}});
        let error = typed::<Pod>(value).expect_err("privileged is a boolean");
        assert!(
            error.starts_with("spec.containers[0].securityContext.privileged: invalid type: string"),
            "{error}"
        );
        assert!(
            error.contains("expected a boolean") && !error.contains("yes"),
            "{error}"
        );
    }

    /// The items of a large List as the full parser alone streams them, and whether it erred.
    fn items_by_full_parser(text: &str) -> (Vec<(usize, serde_json::Value)>, bool) {
        let mut items = Vec::new();
        let mut on_item = |index, object| items.push((index, object));
        let streamed =
            serde_saphyr::with_deserializer_from_str_with_options(text, options(text.len()), |deserializer| {
                serde::de::DeserializeSeed::deserialize(ListItems(&mut on_item), deserializer)
            });
        (items, streamed.is_err())
    }

    #[test]
    fn large_block_lists_are_read_fast_and_as_the_full_parser_reads_them() {
        let pod = |index: usize| {
            format!(
                "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: pod-{index:05}\n    namespace: ns-{}\n    \
                 labels:\n      app: web\n  spec:\n    containers:\n    - image: nginx:1.27\n      name: app\n      \
                 args:\n      - |\n        echo {index}\n      resources:\n        limits: {{}}\n    \
                 securityContext:\n      runAsUser: {index}\n",
                index % 7
            )
        };
        let count = LARGE_LIST_BYTES / 250 + 1;
        let list =
            |items: &str| format!("apiVersion: v1\nitems:\n{items}kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        let plain: String = (0..count).map(pod).collect();
        let late = count - 5;
        let with = |at: usize, from: &str, to: &str| -> String {
            (0..count)
                .map(|index| match index == at {
                    true => pod(index).replacen(from, to, 1),
                    false => pod(index),
                })
                .collect()
        };
        let cases = [
            ("plain", list(&plain), true),
            // The fast reader gives up inside an item: the full parser hands over the rest.
            ("an anchor late", list(&with(late, "app: web", "app: &a web")), false),
            ("a typed scalar early", list(&with(3, "app: web", "app: yes")), false),
            ("a syntax error late", list(&with(late, "app: web", "app: [web")), false),
            ("items twice", format!("{}items:\n{}", list(&plain), pod(0)), false),
            (
                "items not a sequence",
                format!(
                    "apiVersion: v1\nkind: List\nitems:\n  a: 1\npad: |\n{}",
                    "  x\n".repeat(count * 80)
                ),
                false,
            ),
        ];
        for (case, text, fast) in cases {
            assert!(
                text.len() >= LARGE_LIST_BYTES && is_large_list(&text),
                "{case}: {} bytes",
                text.len()
            );
            assert_eq!(block::read_list(&text, &mut |_, _| {}).is_some(), fast, "{case}");
            let mut items = Vec::new();
            let errors = read(&text, false, &mut |document: Document| {
                items.push((document.item.expect("an item"), document.object));
            });
            let (expected, erred) = items_by_full_parser(&text);
            assert_eq!(errors.is_empty(), !erred, "{case}: {errors:?}");
            assert_eq!(items.len(), expected.len(), "{case}");
            assert!(items == expected, "{case}: the items differ from the full parser's");
        }
    }

    #[test]
    fn large_lists_are_handed_over_item_by_item() {
        let item =
            |index: usize| format!("{{apiVersion: v1, kind: Pod, metadata: {{name: pod-{index:05}, namespace: ns}}}}");
        let count = (LARGE_LIST_BYTES / 50) + 1;
        let yaml_items: String = (0..count).map(|index| format!("- {}\n", item(index))).collect();
        let yaml = format!(
            "apiVersion: v1\nitems:\n{yaml_items}kind: List\nmetadata: {{resourceVersion: \"\"}}\n---\nnext: 1\n"
        );
        let json_items: Vec<serde_json::Value> = (0..count)
            .map(|index| serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("pod-{index:05}")}}))
            .collect();
        let json = serde_json::json!({"apiVersion": "v1", "items": json_items, "kind": "PodList"}).to_string();
        for (text, is_json, documents_after) in [(yaml.as_str(), false, 1), (json.as_str(), true, 0)] {
            assert!(text.len() >= LARGE_LIST_BYTES);
            let mut items = Vec::new();
            let mut others = 0;
            let errors = read(text, is_json, &mut |document: Document| match document.item {
                Some(position) => items.push((document.index, position, document.object["metadata"]["name"].clone())),
                None => others += 1,
            });
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(items.len(), count);
            assert_eq!(items[7], (1, 7, serde_json::json!("pod-00007")));
            assert_eq!(others, documents_after);
        }
    }

    #[test]
    fn markers_are_exact() {
        assert!(is_marker("---\n") && is_marker("--- # c\n") && is_marker("---"));
        assert!(!is_marker("----\n") && !is_marker(" ---\n") && !is_marker("---a\n"));
        let (documents, errors) = split("key: |\n  ---\n  text\n", false);
        assert!(errors.is_empty() && documents.len() == 1, "{errors:?}");
    }

    #[test]
    fn json_streams_and_flow_yaml() {
        let (documents, errors) = split("{\"a\": 1}\n{\"b\":\t2}", true);
        assert!(errors.is_empty());
        assert_eq!(documents.iter().map(|d| d.line).collect::<Vec<_>>(), vec![1, 2]);
        let (documents, errors) = split("{\"a\": 1}\n{\"b\":", true);
        assert_eq!((documents.len(), errors[0].document), (1, 2));
        let (documents, errors) = split("{apiVersion: v1, kind: Pod}", false);
        assert!(errors.is_empty());
        assert_eq!(documents[0].object["kind"], "Pod");
        let (documents, errors) = split("{\n\t\"kind\": \"Pod\"\n}\n", false);
        assert!(errors.is_empty());
        assert_eq!(documents[0].object["kind"], "Pod");
    }
}
