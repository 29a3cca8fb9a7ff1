//! The official Pod Security admission fixtures of every version: `k8s.io/pod-security-admission`
//! (at the version `controlplane/go.mod` pins) ships, for each level and each minor from v1.0
//! on, pods the level must admit (`pass`) and pods it must deny (`fail`), generated from its own
//! checks. Every one of them is judged by Palisade at that level and version.
//!
//! The module is fetched with `go mod download` into Go's module cache (about 19 MB, 4,500
//! files: too large to vendor); later runs read the cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Pod;
use palisade_checks::PssLevel;
use palisade_checks::manifest::from_yaml;
use palisade_checks::pss::PssVersion;
use palisade_e2e::{go_module_dir, pss_violations};

const MODULE: &str = "k8s.io/pod-security-admission";

/// The module version the control plane is built with (its `replace` directive).
fn pinned_version() -> String {
    let go_mod = Path::new(env!("CARGO_MANIFEST_DIR")).join("controlplane/go.mod");
    let text = std::fs::read_to_string(&go_mod).expect("read e2e/controlplane/go.mod");
    text.lines()
        .find_map(|line| {
            let (from, to) = line.trim().split_once("=>")?;
            let mut target = to.split_whitespace();
            (from.trim() == MODULE && target.next() == Some(MODULE))
                .then(|| target.next().map(str::to_string))
                .flatten()
        })
        .unwrap_or_else(|| {
            panic!(
                "no `{MODULE} => {MODULE} <version>` replace directive in {}",
                go_mod.display()
            )
        })
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("read {}: {error}", dir.display()))
        .map(|entry| entry.expect("read a directory entry").path())
        .collect();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .expect("utf-8 file names")
}

#[test]
fn palisade_judges_every_official_fixture_of_every_version_as_pod_security_admission_does() {
    let version = pinned_version();
    let testdata = go_module_dir(&format!("{MODULE}@{version}")).join("test/testdata");
    let newest = PssVersion::NEWEST.to_string();
    let mut judged: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut versions_seen = Vec::new();
    let mut failures = Vec::new();
    for level in [PssLevel::Baseline, PssLevel::Restricted] {
        for version_dir in entries(&testdata.join(level.as_str())) {
            let version_name = file_name(&version_dir).to_string();
            let pss_version =
                PssVersion::parse(&version_name).unwrap_or_else(|error| panic!("{}: {error}", version_dir.display()));
            if level == PssLevel::Baseline {
                versions_seen.push(version_name.clone());
            }
            for (expectation, must_admit) in [("pass", true), ("fail", false)] {
                let dir = version_dir.join(expectation);
                if !dir.exists() {
                    continue;
                }
                for fixture in entries(&dir) {
                    let text = std::fs::read_to_string(&fixture).expect("read a fixture");
                    let pod: Pod = match from_yaml(&text) {
                        Ok(pod) => pod,
                        Err(error) => {
                            failures.push(format!("{}: not a Pod: {error}", fixture.display()));
                            continue;
                        }
                    };
                    *judged.entry((level.as_str(), expectation)).or_default() += 1;
                    let found = pss_violations(&pod, level, pss_version);
                    if found.is_empty() != must_admit {
                        failures.push(format!(
                            "{level:?} {version_name} {expectation}/{}: Palisade {}",
                            file_name(&fixture),
                            if found.is_empty() {
                                "admits it".to_string()
                            } else {
                                format!("denies it: {}", found.join("; "))
                            }
                        ));
                    }
                }
            }
        }
    }
    let summary = format!(
        "{MODULE}@{version}: {judged:?} fixtures over {} versions",
        versions_seen.len()
    );
    eprintln!("{summary}");
    let newest_minor: u16 = newest
        .strip_prefix("v1.")
        .and_then(|minor| minor.parse().ok())
        .expect("versions print as v1.<minor>");
    for minor in 0..=newest_minor {
        if !versions_seen.contains(&format!("v1.{minor}")) {
            failures.push(format!("{MODULE}@{version} has no fixtures for v1.{minor}"));
        }
    }
    if judged.values().any(|&count| count < 100) {
        failures.push("too few fixtures were judged".to_string());
    }
    assert!(
        failures.is_empty(),
        "{} problems with the official fixtures:\n{}\n{summary}",
        failures.len(),
        failures.join("\n")
    );
}
