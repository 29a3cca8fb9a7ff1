//! The fast reader is checked against the full parser: wherever it reads a document, the value
//! must be the one the full parser gives (with the limits the manifest reader sets), and it must
//! read what tools print.

use k8s_openapi::api::core::v1::Pod;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use palisade_podgen::block_yaml;

use super::{read, typed};

/// The full parser's value of a one-document text, with the manifest reader's options.
fn full(text: &str) -> Option<Value> {
    let options = super::super::options(text.len());
    let mut values = serde_saphyr::from_multiple_with_options::<Value>(text, options).ok()?;
    (values.len() == 1).then(|| values.remove(0))
}

/// Where the fast reader reads a text, the full parser reads the same value; says whether it did.
fn agrees(text: &str) -> bool {
    let fast = read(text);
    if fast.is_some() {
        assert_eq!(fast, full(text), "the readers disagree on:\n{text}");
    }
    fast.is_some()
}

#[test]
fn reads_what_tools_print() {
    let text = "\
# Source: chart/templates/deployment.yaml
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web   # a comment
    \"helm.sh/chart\": 'web-1.2.3'
  annotations: {}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        args:
        - --port=8080
        - -v
        - \"quoted: yes\"
        - 'it''s'
        env:
        - name: EMPTY
          value: \"\"
        - name: NOTHING
          value:
        - name: NEGATIVE
          value: -12
        resources:
          limits:
            cpu: 500m
            memory: 128Mi
          requests: {}
        ports:
          - containerPort: 8080
            protocol: TCP
        securityContext:
          privileged: false
          runAsUser: 0
          seLinuxOptions: null
      volumes: []
      nodeSelector: ~
    metadata:
      annotations:
        script: |
          #!/bin/sh
          echo \"x: y\"   # not a comment

            indented
        note: |-
          one line
        image: >-
          ghcr.io/example/tool@sha256:4f1c9e0b5d0d0a6e1cbe2f7b1a8a9e3c5d7f0b2a4c6e8f0a1b3c5d7e9f1a3b5c
        folded: >
          two
          lines
        url: http://example.com/a#b
";
    assert!(agrees(text), "not read fast");
    let value = read(text).expect("read");
    let container = &value["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["args"], json!(["--port=8080", "-v", "quoted: yes", "it's"]));
    assert_eq!(container["env"][1]["value"], Value::Null);
    assert_eq!(container["env"][2]["value"], json!(-12));
    assert_eq!(container["resources"]["limits"]["cpu"], "500m");
    assert_eq!(container["ports"][0]["containerPort"], 8080);
    let annotations = &value["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(
        annotations["script"],
        "#!/bin/sh\necho \"x: y\"   # not a comment\n\n  indented\n"
    );
    assert_eq!(annotations["note"], "one line");
    assert_eq!(annotations["folded"], "two lines\n");
    assert_eq!(value["metadata"]["labels"]["helm.sh/chart"], "web-1.2.3");
}

#[test]
fn a_leading_document_marker_reads_as_a_blank_line() {
    for text in ["---\na: 1\n", "--- # first\nrules:\n- verbs: []\n", "---   \n\na: 1\n"] {
        assert!(agrees(text), "not read fast:\n{text}");
    }
}

#[test]
fn leaves_everything_else_to_the_full_parser() {
    let others = [
        "a: &x 1\nb: *x\n",
        "base: {privileged: true}\nctx:\n  <<: {a: 1}\n",
        "a: !!str 1\n",
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "a: >\n  folded\n\n  after a blank line\n",
        "a: >\n  folded\n    more indented\n",
        "a: >\n  trailing space \n  b\n",
        "a: |+\n  kept\n\n",
        "a: |2\n   x\n",
        "a: multi\n  line\n",
        "a: \"esc\\taped\"\n",
        "a: \"open\n  quote\"\n",
        "a: yes\n",
        "a: True\n",
        "a: 0x1F\n",
        "a: 1e3\n",
        "a: 0.5\n",
        "a: 0777\n",
        "a: 1_000\n",
        "a: -0\n",
        "a: +1\n",
        "a: .inf\n",
        "a: 99999999999999999999\n",
        "a: 1\na: 2\n",
        "on: 1\n",
        "1: one\n",
        "\"a\" : 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "- a\n- b\n",
        "  a: 1\n",
        "a: b\u{85}c\n",
        "a: b\u{feff}\n",
        "a: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "--- !tag\na: 1\n",
        "--- a: 1\n",
        "---\na: 1\n---\nb: 2\n",
        "---\na: 1\n--- # c\n",
        "--- # c\na: 1\n...\n",
        "---\na: 1\n%x\n",
        "a: b: c\n",
        "a: b:\n",
        "a: - b\n",
        "a:\n- - b\n",
        "? a\n: b\n",
        "a: |\n\n  after a blank line\n",
        "a: |\n  x\n   \n",
        "a: |\n  no final break",
        "a:\n  b: 1\n c: 2\n",
        "a: 1\n  b: 2\n",
        "a: \"x\"y\n",
        "a: \"x\"#c\n",
        "a: @x\n",
    ];
    for text in others {
        assert!(!agrees(text), "read fast, should be left to the full parser:\n{text}");
    }
    let deep: String = (0..70).map(|depth| format!("{}k:\n", "  ".repeat(depth))).collect();
    assert!(read(&deep).is_none());
}

#[test]
fn generated_pods_are_read_fast_and_alike() {
    let mut generator = palisade_podgen::PodGenerator::new(7);
    for index in 0..400 {
        let mut pod = generator.next_pod(&format!("pod-{index}"));
        // Mangled pods carry odd values (huge numbers, control characters) the fast reader
        // leaves to the full parser; the others are all read fast.
        let mangled = index % 3 == 0;
        if mangled {
            generator.mangle(&mut pod);
        }
        if !pod.is_object() {
            continue;
        }
        let text = block_yaml(&pod);
        assert_eq!(full(&text).as_ref(), Some(&pod), "the emitter is wrong:\n{text}");
        assert!(agrees(&text) || mangled, "not read fast:\n{text}");
        types_alike::<Pod>(&text);
    }
}

/// Reading a document straight into `T` gives what typing the full parser's value gives, and
/// fails only where reading it fast or typing its value fails.
fn types_alike<T: DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str) {
    let by_value = full(text).and_then(|value| crate::manifest::typed::<T>(value).ok());
    let straight = typed::<T>(text);
    match straight {
        Some(_) => assert_eq!(straight, by_value, "typed apart:\n{text}"),
        None => assert!(
            read(text).is_none() || by_value.is_none(),
            "not typed straight:\n{text}"
        ),
    }
}

#[test]
fn types_straight_as_values_type() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {}\nspec:\n  containers:\n  - name: c\n";
    types_alike::<Pod>(pod);
    assert!(typed::<Pod>(pod).is_some());
    let cases = [
        // Wrong types, a wrong kind, a missing required field: typing fails both ways.
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: \"true\"\n",
        "apiVersion: v1\nkind: Pod\nspec:\n  hostPID: 1\n",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: x\n",
        // Null, empty collections, integers, quoted and block strings, unknown fields.
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 'it''s'\n  annotations:\nspec:\n  volumes: []\n  \
         priority: -3\n  containers:\n  - name: \"c\"\n    args:\n    - |\n      two\n      lines\n    ports:\n    \
         - containerPort: 8080\n    future: {}\n",
        // A key twice is refused by the full parser: never typed straight.
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    ];
    for text in cases {
        types_alike::<Pod>(text);
    }
    assert!(typed::<Pod>(cases[4]).is_some());
    assert!(typed::<Pod>(cases[5]).is_none());
    // Unknown fields are read past: what follows them is still read.
    let after_unknown = typed::<Pod>(cases[4])
        .and_then(|pod| pod.spec)
        .map(|spec| spec.containers[0].ports.clone());
    assert_eq!(after_unknown.flatten().map(|ports| ports[0].container_port), Some(8080));
}

#[test]
fn headers_are_the_top_level_api_version_and_kind() {
    let header =
        |text: &str| super::header(text).map(|(api_version, kind)| (api_version.into_owned(), kind.into_owned()));
    let pod = Some(("v1".to_string(), "Pod".to_string()));
    assert_eq!(header("apiVersion: v1\nkind: Pod\n"), pod);
    assert_eq!(
        header("kind: 'Pod' # a comment\nmetadata:\n  kind: Other\napiVersion: \"v1\"\n"),
        pod
    );
    // What follows both is left to typing, which refuses a key written twice.
    assert_eq!(header("apiVersion: v1\nkind: Pod\nkind: Secret\n"), pod);
    assert!(typed::<Pod>("apiVersion: v1\nkind: Pod\nkind: Pod\n").is_none());
    for text in [
        "kind: Pod\n",
        "apiVersion: v1\nkind: kind: Pod\n",
        "apiVersion: v1\nkind: 1\n",
        "apiVersion: v1\nkind: |\n  Pod\n",
        "apiVersion: v1\nkind: \"Pod\" x\n",
    ] {
        assert_eq!(header(text), None, "{text}");
    }
}

/// Keys and scalars where the two readers could part ways.
const KEYS: [&str; 16] = [
    "a",
    "b",
    "c",
    "app.kubernetes.io/name",
    "\"q\"",
    "'s'",
    "'it''s'",
    "<<",
    "on",
    "1",
    "-x",
    "a b",
    "k#x",
    "\"\"",
    "x:y",
    "null",
];
const SCALARS: [&str; 72] = [
    "x",
    "yes",
    "No",
    "TRUE",
    "true",
    "false",
    "null",
    "Null",
    "nUll",
    "~",
    "0",
    "-0",
    "01",
    "7",
    "-7",
    "1.5",
    ".5",
    "1e3",
    "0x1F",
    "0o7",
    "1_0",
    "128Mi",
    "500m",
    "-12x",
    "--flag",
    "-",
    "--",
    "\"q\"",
    "\"a\\tb\"",
    "'q'",
    "'a''b'",
    "\"unclosed",
    "'unclosed",
    "[]",
    "{}",
    "[a]",
    "{a: 1}",
    "&a x",
    "*a",
    "!t x",
    "a: b",
    "a:b",
    "a #c",
    "a#c",
    "x   ",
    "@x",
    "`x",
    "%x",
    "\u{e9}",
    "\u{2028}",
    "a,b",
    "a]",
    "2024-01-01",
    "12:30",
    "http://x",
    "nan",
    ".nan",
    "inf",
    "\"x\" y",
    "\"x\"  # c",
    "1 2",
    "8080/TCP",
    "1.2.3",
    "-1Gi",
    "+5",
    ">",
    "|+",
    "?x",
    "#c",
    "a\tb",
    "x:",
    "\"\"",
];

/// Random block YAML built from those pieces, then (one time in three) one line of it broken.
struct RandomYaml {
    state: u64,
    out: String,
}

impl RandomYaml {
    fn document(seed: u64) -> String {
        let mut yaml = RandomYaml {
            state: seed,
            out: String::new(),
        };
        yaml.mapping(0, 0);
        if yaml.below(3) == 0 {
            yaml.break_a_line();
        }
        yaml.out
    }

    fn below(&mut self, bound: usize) -> usize {
        // SplitMix64.
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % bound as u64) as usize
    }

    fn pick(&mut self, pool: &[&'static str]) -> &'static str {
        pool[self.below(pool.len())]
    }

    fn filler(&mut self, indent: usize) {
        match self.below(8) {
            0 => self.out.push('\n'),
            1 => {
                let pad = " ".repeat(self.below(indent + 3));
                self.out.push_str(&format!("{pad}# note\n"));
            }
            _ => {}
        }
    }

    fn mapping(&mut self, indent: usize, depth: usize) {
        for _ in 0..=self.below(3) {
            self.filler(indent);
            let key = self.pick(&KEYS);
            self.out.push_str(&format!("{}{key}:", " ".repeat(indent)));
            self.value(indent, depth, true);
        }
    }

    /// A value after a key's colon or an entry's dash at `indent`.
    fn value(&mut self, indent: usize, depth: usize, of_key: bool) {
        let step = 1 + self.below(3);
        match if depth < 4 { self.below(6) } else { 0 } {
            0 | 1 => {
                let scalar = self.pick(&SCALARS);
                self.out.push_str(&format!(" {scalar}\n"));
            }
            2 => {
                self.out.push('\n');
                self.mapping(indent + step, depth + 1);
            }
            3 => {
                self.out.push('\n');
                let at = if of_key && self.below(2) == 0 {
                    indent
                } else {
                    indent + step
                };
                self.sequence(at, depth + 1);
            }
            4 => {
                let header = self.pick(&["|", "|-", "|", "|-", "|+", ">"]);
                self.out.push_str(&format!(" {header}\n"));
                for _ in 0..=self.below(3) {
                    let extra = if self.below(4) == 0 { 1 } else { 0 };
                    match self.below(5) {
                        0 => self.out.push('\n'),
                        1 => self
                            .out
                            .push_str(&format!("{}# kept\n", " ".repeat(indent + step + extra))),
                        _ => {
                            let text = self.pick(&SCALARS);
                            self.out
                                .push_str(&format!("{}{text}\n", " ".repeat(indent + step + extra)));
                        }
                    }
                }
            }
            _ => self.out.push('\n'),
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) {
        for _ in 0..=self.below(3) {
            self.filler(indent);
            let pad = " ".repeat(indent);
            if self.below(3) == 0 {
                // A mapping starting on the entry's line.
                let mut nested = RandomYaml {
                    state: self.state,
                    out: String::new(),
                };
                nested.mapping(indent + 2, depth + 1);
                self.state = nested.state;
                let body = nested.out.trim_start_matches('\n');
                let body = body.get(indent + 2..).unwrap_or(body);
                self.out.push_str(&format!("{pad}- {body}"));
            } else {
                self.out.push_str(&format!("{pad}-"));
                self.value(indent, depth, false);
            }
        }
    }

    fn break_a_line(&mut self) {
        let mut lines: Vec<String> = self.out.lines().map(str::to_string).collect();
        let at = self.below(lines.len().max(1));
        if let Some(line) = lines.get_mut(at) {
            match self.below(5) {
                0 => line.insert(0, ' '),
                1 => {
                    line.pop();
                }
                2 => line.push_str(" x"),
                3 => line.push(':'),
                _ => *line = format!("{}{}", " ".repeat(self.below(4)), self.pick(&SCALARS)),
            }
        }
        self.out = lines.join("\n");
        if self.below(4) != 0 {
            self.out.push('\n');
        }
    }
}

#[test]
fn random_documents_are_mostly_read_fast() {
    let read_fast = (0..2000).filter(|seed| agrees(&RandomYaml::document(*seed))).count();
    // Most pieces are outside the subset, so most documents go to the full parser; enough are
    // read fast for the comparison to mean something.
    assert!(read_fast >= 100, "only {read_fast} of 2000 read fast");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn agrees_with_the_full_parser_wherever_it_reads(seed in any::<u64>()) {
        agrees(&RandomYaml::document(seed));
    }
}

#[test]
fn lines_are_split_as_the_standard_library_splits_them() {
    for text in [
        "",
        "\n",
        "\n\n",
        "a",
        "a\n",
        "a\nb",
        "a\n\nb\n",
        "é: ü\n  - ✓\r\n\n",
        "a long line that spans more than one vector of bytes: 0123456789abcdef0123456789abcdef\nb",
    ] {
        assert_eq!(
            super::RawLines(text).collect::<Vec<_>>(),
            text.split_inclusive('\n').collect::<Vec<_>>(),
            "{text:?}"
        );
    }
}
