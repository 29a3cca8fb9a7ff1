//! Fuzzing of the manifest reader and the checks engine, written as ordinary tests on stable Rust
//! so that CI runs a bounded share of it with the unit tests.
//!
//! The seeds are the manifests of `tests/fuzz-corpus/`: every kind the inventory reads and a
//! HardeningBaseline, YAML and JSON, and awkward input (anchors, merge keys, deep nesting, alias
//! bombs, odd scalars, huge numbers, duplicate keys, truncated documents, CRLF, byte-order marks,
//! tabs, bytes that are not UTF-8). They hold values containing [`PLANTED`] wherever the project
//! promises never to show a value: Secret data, literal env values, ConfigMap data and
//! `last-applied-configuration` copies. proptest mutates the seeds (bit flips, splices of two
//! seeds, truncation, repeated lines, inserted document markers, deep nesting, alias chains) or
//! makes raw bytes and YAML token soup, and checks that:
//!
//! 1. reading never panics and takes less than [`TIME_BOUND`];
//! 2. a document that cannot be read costs no other: a stream reads as its pieces read alone;
//! 3. whatever is read goes through the inventory, every check of the catalog, baseline
//!    resolution and the posture pipeline without a panic, also within [`TIME_BOUND`];
//! 4. no reader error, inventory error, baseline problem, finding or verdict shows a planted value;
//! 5. documents read straight into typed objects, as `palisade audit` reads plain block YAML,
//!    give the inventory what their values give, and the same problems.
//!
//! As most seeds are in flow style or JSON, the seeds are also printed in block style, as tools
//! print manifests, and mutated that way.
//!
//! Properties 1 and 4 also hold for [`manifest::from_yaml`], which reads a single-document file.
//!
//! `PALISADE_FUZZ_CASES` sets the number of cases of each property (default [`DEFAULT_CASES`],
//! which CI runs). A longer run by hand:
//!
//! ```text
//! PALISADE_FUZZ_CASES=20000 cargo test --release -p palisade-checks --test fuzz
//! ```
//!
//! A failure is shrunk to a small input and printed, and its proptest seed is saved in
//! `tests/fuzz.proptest-regressions`, which every later run replays first: commit that file, and
//! add the printed input to the corpus with the fix.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use palisade_checks::baseline::{ResolvedBaseline, resolve};
use palisade_checks::manifest::{self, Document};
use palisade_checks::posture::{self, Scope};
use palisade_checks::{AddOptions, Added, Inventory};
use palisade_crds::{HardeningBaseline, Profile};
use palisade_podgen::block_yaml;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::Value;

/// Part of every value the seeds plant, base64 text included (see the corpus README).
const PLANTED: &str = "PL4NTED";
/// The annotation `kubectl apply` keeps a full copy of the object in, a Secret's data included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const DEFAULT_CASES: u32 = 800;
/// Generous for a debug build on a busy machine; a hang or an exponential blow-up is far slower.
const TIME_BOUND: Duration = Duration::from_secs(2);
/// Between the seeds' old and new secret creation times and past and future exception expiries,
/// so that rotation ages and expiries are judged both ways.
const NOW: &str = "2026-06-01T00:00:00Z";
/// The built-in profile and two baselines of the text: each baseline evaluates everything again,
/// and a mutation repeating lines can make dozens, which would exercise nothing new.
const MAX_BASELINES_EVALUATED: usize = 3;
/// The kinds the corpus must get through the inventory (or, for baselines, through resolution).
const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "CronJob",
    "Job",
    "ReplicaSet",
    "ReplicationController",
    "ServiceAccount",
    "Service",
    "ConfigMap",
    "Secret",
    "Ingress",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "HardeningBaseline",
];
/// Pieces of YAML and JSON syntax that token soup is made of and mutations insert.
const SYNTAX: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "- ",
    "? ",
    "\n",
    "\r\n",
    "\r",
    "  ",
    "\t",
    "# ",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "!!binary ",
    "!!map ",
    "!t ",
    "|\n",
    "|-\n",
    ">+\n",
    "'",
    "\"",
    "\\",
    "\\u",
    "---\n",
    "--- ",
    "...\n",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2024:\n",
    "~",
    "null",
    "true",
    "1e999",
    "-0",
    "0x1F",
    ".nan",
    "\u{feff}",
    "\0",
    "\u{85}",
    "\u{2028}",
    "é",
    "kind: Pod\n",
    "kind: List\nitems:\n",
    "kind: Secret\n",
    "apiVersion: v1\n",
    "metadata: {name: n}\n",
    "spec:\n",
    "containers:\n",
    "- name: c\n",
    "env: [{name: E, value: PL4NTED-soup}]\n",
    "stringData: {k: PL4NTED-soup}\n",
];

/// A manifest file of the corpus.
struct Seed {
    name: String,
    bytes: Vec<u8>,
}

impl Seed {
    /// What `palisade audit` reads as JSON (it goes by the extension).
    fn is_json(&self) -> bool {
        self.name.ends_with(".json")
    }
}

/// The corpus, in name order so that a saved failure replays the same seeds.
fn corpus() -> &'static [Seed] {
    static CORPUS: OnceLock<Vec<Seed>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus");
        let mut seeds: Vec<Seed> = std::fs::read_dir(&directory)
            .expect("the corpus directory")
            .map(|entry| entry.expect("a corpus entry").path())
            .filter(|path| path.extension().is_some_and(|extension| extension != "md"))
            .map(|path| Seed {
                name: path.file_name().expect("a file").to_string_lossy().into_owned(),
                bytes: std::fs::read(&path).expect("a readable seed"),
            })
            .collect();
        seeds.sort_by(|a, b| a.name.cmp(&b.name));
        seeds
    })
}

/// Text as the reader gets it: `palisade audit` refuses files that are not UTF-8, so what reaches
/// the reader is valid text, here with replacement characters where bytes were not.
fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit {
        at: Index,
        bit: u8,
    },
    Truncate {
        at: Index,
    },
    /// The text up to `at`, then another seed from `from` on.
    Splice {
        at: Index,
        other: Index,
        from: Index,
    },
    RepeatLine {
        line: Index,
        times: usize,
    },
    /// Whole lines before a line: document markers, directives, block nesting, alias chains.
    InsertLines {
        line: Index,
        lines: String,
    },
    /// Text at any byte, even inside a UTF-8 sequence: flow nesting, syntax.
    InsertText {
        at: Index,
        text: String,
    },
}

impl Mutation {
    fn apply(&self, bytes: &mut Vec<u8>, corpus: &[Seed]) {
        match self {
            Mutation::FlipBit { at, bit } => {
                if !bytes.is_empty() {
                    let at = at.index(bytes.len());
                    bytes[at] ^= 1 << bit;
                }
            }
            Mutation::Truncate { at } => bytes.truncate(at.index(bytes.len() + 1)),
            Mutation::Splice { at, other, from } => {
                let other = &other.get(corpus).bytes;
                bytes.truncate(at.index(bytes.len() + 1));
                bytes.extend_from_slice(&other[from.index(other.len() + 1)..]);
            }
            Mutation::RepeatLine { line, times } => {
                let start = line_start(bytes, line);
                let end = bytes[start..]
                    .iter()
                    .position(|&byte| byte == b'\n')
                    .map_or(bytes.len(), |newline| start + newline + 1);
                let mut repeated = bytes[start..end].to_vec();
                if !repeated.ends_with(b"\n") {
                    repeated.push(b'\n');
                }
                let copies = repeated.repeat(*times);
                bytes.splice(end..end, copies);
            }
            Mutation::InsertLines { line, lines } => {
                let start = line_start(bytes, line);
                bytes.splice(start..start, lines.bytes());
            }
            Mutation::InsertText { at, text } => {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, text.bytes());
            }
        }
    }
}

/// Where the chosen line starts.
fn line_start(bytes: &[u8], line: &Index) -> usize {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &byte)| byte == b'\n')
                .map(|(at, _)| at + 1),
        )
        .collect();
    *line.get(&starts)
}

/// Anchors each holding two aliases of the one before: expanding the last one doubles per link.
fn alias_chain(links: usize) -> String {
    let mut chain = "a0: &a0 [x, x]\n".to_string();
    for link in 1..links {
        chain.push_str(&format!(
            "a{link}: &a{link} [*a{previous}, *a{previous}]\n",
            previous = link - 1
        ));
    }
    chain
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let lines = prop_oneof![
        select(&["---\n", "--- # c\n", "...\n", "%YAML 1.2\n", "---\r\n"][..]).prop_map(str::to_string),
        (1..300usize).prop_map(|depth| (0..depth)
            .map(|level| format!("{}k:\n", " ".repeat(level)))
            .collect::<String>()),
        (1..40usize).prop_map(alias_chain),
    ];
    let text = prop_oneof![
        (1..300usize).prop_map(|depth| "[".repeat(depth)),
        (1..300usize).prop_map(|depth| "{a: ".repeat(depth)),
        vec(select(SYNTAX), 1..6).prop_map(|pieces| pieces.concat()),
        any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        (any::<Index>(), 0..8u8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(at, other, from)| Mutation::Splice {
            at,
            other,
            from
        }),
        (any::<Index>(), 1..64usize).prop_map(|(line, times)| Mutation::RepeatLine { line, times }),
        (any::<Index>(), lines).prop_map(|(line, lines)| Mutation::InsertLines { line, lines }),
        (any::<Index>(), text).prop_map(|(at, text)| Mutation::InsertText { at, text }),
    ]
}

/// How a case's text is made.
#[derive(Clone, Debug)]
enum Recipe {
    /// A seed of the corpus with mutations applied in order.
    Seed {
        seed: Index,
        mutations: Vec<Mutation>,
    },
    /// A seed's documents printed in block style, as tools print them, with mutations applied.
    BlockSeed {
        seed: Index,
        mutations: Vec<Mutation>,
    },
    Bytes(Vec<u8>),
    Soup(Vec<&'static str>),
}

impl Recipe {
    fn text(&self) -> String {
        match self {
            Recipe::Seed { seed, mutations } => mutated(seed.get(corpus()).bytes.clone(), mutations),
            Recipe::BlockSeed { seed, mutations } => {
                mutated(in_block_style(seed.get(corpus())).into_bytes(), mutations)
            }
            Recipe::Bytes(bytes) => text_of(bytes),
            Recipe::Soup(pieces) => pieces.concat(),
        }
    }

    /// Whether `palisade audit` would read the text as JSON: a seed by its extension, anything
    /// else as YAML (which tries JSON first where the text starts like it).
    fn is_json(&self) -> bool {
        match self {
            Recipe::Seed { seed, .. } => seed.get(corpus()).is_json(),
            Recipe::BlockSeed { .. } | Recipe::Bytes(_) | Recipe::Soup(_) => false,
        }
    }
}

fn mutated(mut bytes: Vec<u8>, mutations: &[Mutation]) -> String {
    for mutation in mutations {
        mutation.apply(&mut bytes, corpus());
    }
    text_of(&bytes)
}

/// A seed's documents printed in block style: what `palisade audit` reads straight into typed
/// objects (the seeds themselves are mostly in flow style or JSON).
fn in_block_style(seed: &Seed) -> String {
    let (documents, _) = manifest::split(&text_of(&seed.bytes), seed.is_json());
    documents
        .iter()
        .filter(|document| document.object.is_object())
        .map(|document| format!("---\n{}", block_yaml(&document.object)))
        .collect()
}

fn mutated_seed() -> impl Strategy<Value = Recipe> {
    (any::<Index>(), vec(mutation(), 0..4)).prop_map(|(seed, mutations)| Recipe::Seed { seed, mutations })
}

fn mutated_block_seed() -> impl Strategy<Value = Recipe> {
    (any::<Index>(), vec(mutation(), 0..3)).prop_map(|(seed, mutations)| Recipe::BlockSeed { seed, mutations })
}

fn recipe() -> impl Strategy<Value = Recipe> {
    prop_oneof![
        4 => mutated_seed(),
        2 => mutated_block_seed(),
        1 => vec(any::<u8>(), 0..1024).prop_map(Recipe::Bytes),
        2 => vec(select(SYNTAX), 0..200).prop_map(Recipe::Soup),
    ]
}

fn cases() -> u32 {
    std::env::var("PALISADE_FUZZ_CASES").map_or(DEFAULT_CASES, |cases| {
        cases.parse().expect("PALISADE_FUZZ_CASES is a number of cases")
    })
}

/// Runs a property over `cases()` generated values, shrinking and saving a failure.
fn run<S: Strategy>(strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let config = Config {
        cases: cases(),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..Config::default()
    };
    if let Err(failure) = TestRunner::new(config).run(&strategy, property) {
        panic!("{failure}");
    }
}

/// Runs `work` with the stack `palisade audit` parses on: reading recurses once per nesting
/// level up to `manifest::MAX_DEPTH`, more than a test thread's 2 MiB hold in a debug build.
fn on_parser_stack<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn_scoped(scope, work)
            .expect("a parser thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Where a text's documents hold planted values.
#[derive(Default)]
struct Planted {
    /// Some sit where no output may show them.
    protected: bool,
    /// A mutation moved one where outputs may show it (a name, a label, a key, an argument):
    /// outputs of such a text are not checked.
    exposed: bool,
}

impl Planted {
    fn of(documents: &[Document]) -> Planted {
        let mut planted = Planted::default();
        for document in documents {
            planted.visit(&document.object);
        }
        planted
    }

    fn visit(&mut self, value: &Value) {
        match value {
            Value::String(text) => self.exposed |= text.contains(PLANTED),
            Value::Array(items) => items.iter().for_each(|item| self.visit(item)),
            Value::Object(fields) => {
                let kind = fields
                    .get("kind")
                    .and_then(Value::as_str)
                    .filter(|_| fields.contains_key("apiVersion"));
                for (key, field) in fields {
                    self.exposed |= key.contains(PLANTED);
                    match (kind, key.as_str(), field) {
                        (Some("Secret"), "data" | "stringData", _) | (Some("ConfigMap"), "data" | "binaryData", _) => {
                            self.visit_fields(field, |_| true);
                        }
                        (_, "env", Value::Array(variables)) => {
                            for variable in variables {
                                self.visit_fields(variable, |key| key == "value");
                            }
                        }
                        (_, "annotations", _) => self.visit_fields(field, |key| key == LAST_APPLIED),
                        _ => self.visit(field),
                    }
                }
            }
            _ => {}
        }
    }

    /// Visits a mapping whose values under the keys `protects` picks are never shown.
    fn visit_fields(&mut self, value: &Value, protects: impl Fn(&str) -> bool) {
        let Value::Object(fields) = value else {
            return self.visit(value);
        };
        for (key, field) in fields {
            self.exposed |= key.contains(PLANTED);
            if protects(key) {
                self.protected |= field.to_string().contains(PLANTED);
            } else {
                self.visit(field);
            }
        }
    }
}

/// What one case went through, for the checks that the properties were exercised.
#[derive(Default)]
struct Exercised {
    documents: usize,
    reader_errors: usize,
    findings: usize,
    /// Kinds the inventory took in, and HardeningBaseline when one resolved.
    kinds: BTreeSet<String>,
    /// Whether the case had planted values and its outputs were checked for them.
    leaks_checked: bool,
}

/// Properties 1, 3 and 4 on one text.
fn read_and_evaluate(text: &str, json: bool, content_checks: bool) -> Result<Exercised, TestCaseError> {
    let started = Instant::now();
    let (documents, errors) = manifest::split(text, json);
    // How a single-document file (a baseline) is read.
    let single_document_error = manifest::from_yaml::<HardeningBaseline>(text).err();
    let reading = started.elapsed();
    prop_assert!(reading < TIME_BOUND, "reading took {reading:?}");
    for error in &errors {
        // Whatever a mutation did, the reader never quotes its input.
        prop_assert!(
            !error.message.contains(PLANTED),
            "a reader error shows a planted value: {error}"
        );
    }
    let planted = Planted::of(&documents);
    let mut exercised = Exercised {
        documents: documents.len(),
        reader_errors: errors.len(),
        leaks_checked: planted.protected && !planted.exposed,
        ..Exercised::default()
    };
    let started = Instant::now();
    let mut outputs = evaluate(documents, content_checks, &mut exercised);
    outputs.extend(single_document_error);
    let evaluating = started.elapsed();
    prop_assert!(evaluating < TIME_BOUND, "evaluating took {evaluating:?}");
    if !planted.exposed {
        for output in &outputs {
            prop_assert!(!output.contains(PLANTED), "an output shows a planted value: {output}");
        }
    }
    Ok(exercised)
}

/// Everything the inventory, baseline resolution, the catalog and the posture pipeline say
/// about the documents: errors, problems, findings and verdicts.
fn evaluate(documents: Vec<Document>, content_checks: bool, exercised: &mut Exercised) -> Vec<String> {
    let options = AddOptions {
        keep_secret_data: content_checks,
        ..AddOptions::default()
    };
    let mut inventory = Inventory::default();
    let mut outputs = Vec::new();
    // The restricted profile enables every check of the catalog.
    let mut baselines = vec![ResolvedBaseline::profile(Profile::Restricted)];
    for document in documents {
        let kind = document
            .object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if kind == "HardeningBaseline" {
            match manifest::typed::<HardeningBaseline>(document.object.clone()) {
                Ok(baseline) => match resolve(baseline.metadata.name.as_deref(), &baseline.spec) {
                    Ok(resolved) => {
                        exercised.kinds.insert(kind.clone());
                        baselines.push(resolved);
                    }
                    Err(problems) => outputs.extend(problems),
                },
                Err(error) => outputs.push(error),
            }
        }
        match inventory.add_object(document.object, &options) {
            Ok(Added::Objects(_)) => {
                exercised.kinds.insert(kind);
            }
            Ok(Added::UnknownKind { .. }) => {}
            Err(error) => outputs.push(error.to_string()),
        }
    }
    let now: Timestamp = NOW.parse().expect("a timestamp");
    let scopes: Vec<Scope> = inventory
        .namespaces
        .keys()
        .map(|namespace| Scope::Namespace(namespace))
        .chain([Scope::Cluster])
        .collect();
    for baseline in baselines.iter().take(MAX_BASELINES_EVALUATED) {
        for &scope in &scopes {
            let evaluation = posture::evaluate(&inventory, scope, baseline, content_checks, now);
            let assessed = posture::assess(evaluation, baseline, content_checks, now);
            exercised.findings += assessed.failing.len() + assessed.excepted.len();
            // Every field, those reports leave out included.
            outputs.push(format!("{:?} {:?}", assessed.failing, assessed.excepted));
            outputs.extend(assessed.noncompliance);
        }
    }
    outputs
}

/// Everything an inventory holds, as text (how it shares equal parts between objects aside).
fn stored(inventory: &Inventory) -> String {
    let mut text = format!("{:?}", inventory.cluster);
    for (name, namespace) in &inventory.namespaces {
        text.push_str(&format!(
            "\n{name}: {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            namespace.namespace,
            namespace.workloads,
            namespace.owners,
            namespace.service_accounts,
            namespace.services,
            namespace.roles,
            namespace.role_bindings,
            namespace.network_policies,
            namespace.secrets,
            namespace.config_maps,
            namespace.ingresses
        ));
    }
    text
}

/// Reads a text as `palisade audit` reads a file: documents in plain block YAML straight into
/// their typed objects, the others by way of their values.
struct Straight {
    inventory: Inventory,
    options: AddOptions,
    /// Documents read straight.
    taken: usize,
    errors: Vec<String>,
}

impl manifest::Sink for Straight {
    fn offered(&mut self, _line: usize, text: &str) -> bool {
        let taken = self.inventory.add_plain(text, &self.options).is_some();
        self.taken += usize::from(taken);
        taken
    }

    fn document(&mut self, document: Document) {
        if let Err(error) = self.inventory.add_object(document.object, &self.options) {
            self.errors.push(error.to_string());
        }
    }
}

/// Property 5: documents read straight into typed objects are added as their values are: the
/// inventory holds the same, and the same problems are found. Returns how many were read straight.
fn read_straight_as_by_value(text: &str, content_checks: bool) -> Result<usize, TestCaseError> {
    let options = AddOptions {
        keep_secret_data: content_checks,
        ..AddOptions::default()
    };
    let (documents, errors) = manifest::split(text, false);
    let mut by_value = Straight {
        inventory: Inventory::default(),
        options: options.clone(),
        taken: 0,
        errors: errors.iter().map(ToString::to_string).collect(),
    };
    documents
        .into_iter()
        .for_each(|document| manifest::Sink::document(&mut by_value, document));
    let mut straight = Straight {
        inventory: Inventory::default(),
        options,
        taken: 0,
        errors: Vec::new(),
    };
    let errors = manifest::read(text, false, &mut straight);
    straight.errors.splice(0..0, errors.iter().map(ToString::to_string));
    prop_assert_eq!(&straight.errors, &by_value.errors);
    prop_assert_eq!(stored(&straight.inventory), stored(&by_value.inventory));
    Ok(straight.taken)
}

/// Property 2: the documents and errors of a stream are those of its pieces read alone, in order,
/// with positions and lines moved by what comes before. Each piece starts with a document marker
/// so that it is read as YAML on its own too.
fn read_as_pieces(pieces: &[String]) -> Result<(), TestCaseError> {
    type Read = (Vec<(usize, usize, Option<usize>, Value)>, Vec<(usize, String)>);
    fn read(text: &str, documents_before: usize, lines_before: usize) -> Read {
        let (documents, errors) = manifest::split(text, false);
        let documents = documents
            .into_iter()
            .map(|document| {
                (
                    document.index + documents_before,
                    document.line + lines_before,
                    document.item,
                    document.object,
                )
            })
            .collect();
        let errors = errors
            .into_iter()
            .map(|error| {
                (
                    error.document + documents_before,
                    shift_line(&error.message, lines_before),
                )
            })
            .collect();
        (documents, errors)
    }
    let mut stream = String::new();
    let (mut documents_before, mut lines_before) = (0, 0);
    let (mut expected_documents, mut expected_errors) = (Vec::new(), Vec::new());
    for piece in pieces {
        let alone = format!("---\n{piece}\n");
        let (documents, errors) = read(&alone, documents_before, lines_before);
        expected_documents.extend(documents);
        expected_errors.extend(errors);
        documents_before += document_count(&alone);
        lines_before += alone.matches('\n').count();
        stream.push_str(&alone);
    }
    let (documents, errors) = read(&stream, 0, 0);
    prop_assert_eq!(errors, expected_errors, "errors of the stream {:?}", stream);
    prop_assert!(
        documents == expected_documents,
        "documents of the stream {stream:?}: {documents:?}, read alone: {expected_documents:?}"
    );
    Ok(())
}

/// How many documents the reader counts in a text, empty ones included: one less than the
/// position of a document put after it.
fn document_count(text: &str) -> usize {
    let (documents, _) = manifest::split(&format!("{text}---\nafter: 1\n"), false);
    documents.last().expect("the document after").index - 1
}

/// The message with the `line N` it starts with moved down by `lines`.
fn shift_line(message: &str, lines: usize) -> String {
    let Some((line, rest)) = message
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(line, rest)| Some((line.parse::<usize>().ok()?, rest)))
    else {
        return message.to_string();
    };
    format!("line {} {rest}", line + lines)
}

#[test]
fn every_seed_keeps_the_properties_and_reaches_what_they_check() {
    on_parser_stack(|| {
        let corpus = corpus();
        assert!(corpus.len() >= 40, "the corpus has {} seeds", corpus.len());
        let mut kinds = BTreeSet::new();
        let (mut documents, mut leaks_checked, mut with_errors, mut findings) = (0, 0, 0, 0);
        for seed in corpus {
            for content_checks in [false, true] {
                let exercised = read_and_evaluate(&text_of(&seed.bytes), seed.is_json(), content_checks)
                    .unwrap_or_else(|failure| panic!("{}: {failure}", seed.name));
                kinds.extend(exercised.kinds);
                documents += exercised.documents;
                leaks_checked += usize::from(exercised.leaks_checked);
                with_errors += usize::from(exercised.reader_errors > 0);
                findings += exercised.findings;
            }
        }
        let missing: Vec<&&str> = KINDS.iter().filter(|kind| !kinds.contains(**kind)).collect();
        assert!(missing.is_empty(), "no seed gets these kinds in: {missing:?}");
        assert!(documents >= 150, "the seeds give only {documents} documents");
        assert!(
            leaks_checked >= 60,
            "only {leaks_checked} seed readings were checked for leaks"
        );
        assert!(
            with_errors >= 20,
            "only {with_errors} seed readings had a broken document"
        );
        assert!(findings >= 500, "the seeds give only {findings} findings");

        let yaml: Vec<String> = corpus
            .iter()
            .filter(|seed| !seed.is_json())
            .map(|seed| text_of(&seed.bytes))
            .collect();
        read_as_pieces(&yaml).unwrap_or_else(|failure| panic!("{failure}"));
        let mut straight = 0;
        let in_block_style = corpus.iter().map(in_block_style);
        for text in yaml.iter().cloned().chain(in_block_style) {
            for content_checks in [false, true] {
                straight += read_straight_as_by_value(&text, content_checks)
                    .unwrap_or_else(|failure| panic!("{failure}\n  text: {text:?}"));
            }
        }
        assert!(
            straight >= 60,
            "only {straight} seed documents were read straight into objects"
        );
    });
}

#[test]
fn mutated_manifests_read_and_evaluate_in_time_without_leaks() {
    on_parser_stack(|| {
        // Now and then a text is read as the other format, as a misnamed file would be.
        let other_format = proptest::bool::weighted(0.1);
        run(
            (recipe(), other_format, any::<bool>()),
            |(recipe, other_format, content_checks)| {
                let text = recipe.text();
                read_and_evaluate(&text, recipe.is_json() != other_format, content_checks)
                    .map(drop)
                    .map_err(|failure| TestCaseError::fail(format!("{failure}\n  text: {text:?}")))
            },
        );
    });
}

#[test]
fn mutated_manifests_read_straight_as_by_value() {
    on_parser_stack(|| {
        let recipe = prop_oneof![1 => mutated_seed(), 3 => mutated_block_seed()];
        run((recipe, any::<bool>()), |(recipe, content_checks)| {
            let text = recipe.text();
            read_straight_as_by_value(&text, content_checks)
                .map(drop)
                .map_err(|failure| TestCaseError::fail(format!("{failure}\n  text: {text:?}")))
        });
    });
}

#[test]
fn a_broken_document_costs_no_other() {
    on_parser_stack(|| {
        run(vec(mutated_seed(), 2..6), |recipes| {
            let pieces: Vec<String> = recipes.iter().map(Recipe::text).collect();
            read_as_pieces(&pieces)
        });
    });
}

#[test]
fn planted_values_are_told_apart_from_exposed_ones() {
    let read = |text: &str| Planted::of(&manifest::split(text, false).0);
    let protected = read(
        "{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {k: PL4NTEDA}}\n---\n\
         {apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {kubectl.kubernetes.io/last-applied-configuration: PL4NTED}}, \
         spec: {containers: [{name: c, env: [{name: E, value: PL4NTED}]}]}}\n",
    );
    assert!(protected.protected && !protected.exposed);
    for exposed in [
        "{apiVersion: v1, kind: Pod, metadata: {name: PL4NTED}}",
        "{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {PL4NTED: x}}",
        "{apiVersion: v1, kind: ConfigMap, metadata: {name: s}, stringData: {k: PL4NTED}}",
        "{apiVersion: v1, kind: Pod, spec: {containers: [{name: c, args: [PL4NTED]}]}}",
    ] {
        assert!(read(exposed).exposed, "{exposed}");
    }
}
