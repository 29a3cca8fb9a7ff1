//! `palisade.dev/exempt` annotations: a resource's owner exempting it from named checks, with a
//! reason. The grammar is strict so that no annotation can exempt more than it says: each
//! comma-separated entry is an exact check id or a glob confined to one area (`pod.*`,
//! `rbac.secrets-*`), never `*`, `*.*` or a glob spanning areas, and
//! `palisade.dev/exempt-reason` must be non-empty. An annotation that breaks any rule exempts
//! nothing, and the `meta.invalid-exemption` check reports it. Whether a valid exemption counts
//! is the governing baseline's decision (`annotationExemptions`).

use std::collections::BTreeMap;

use crate::catalog::{catalog, find};
use crate::glob;

/// Annotation listing the check ids or globs (comma-separated) a resource is exempt from.
pub const EXEMPT_ANNOTATION: &str = "palisade.dev/exempt";
/// Annotation giving the reason for [`EXEMPT_ANNOTATION`]; required.
pub const EXEMPT_REASON_ANNOTATION: &str = "palisade.dev/exempt-reason";

/// How much of an entry a problem quotes: the annotation is the owner's text, shown escaped and
/// bounded so a report line stays readable.
const MAX_QUOTED_CHARS: usize = 48;
/// How many problems a report names; the rest are counted.
const MAX_PROBLEMS: usize = 3;

/// The annotations of one object. A workload reads its pod template's (or pod's) annotations
/// first and its controller's own second, so an exemption may sit on either.
#[derive(Clone, Copy, Debug, Default)]
pub struct Annotations<'a> {
    own: Option<&'a BTreeMap<String, String>>,
    inherited: Option<&'a BTreeMap<String, String>>,
}

impl<'a> Annotations<'a> {
    pub fn of(annotations: Option<&'a BTreeMap<String, String>>) -> Annotations<'a> {
        Annotations {
            own: annotations,
            inherited: None,
        }
    }

    /// Annotations looked up in `own` first, then in `inherited`.
    pub fn layered(
        own: Option<&'a BTreeMap<String, String>>,
        inherited: Option<&'a BTreeMap<String, String>>,
    ) -> Annotations<'a> {
        Annotations { own, inherited }
    }

    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.own
            .and_then(|annotations| annotations.get(key))
            .or_else(|| self.inherited.and_then(|annotations| annotations.get(key)))
            .map(String::as_str)
    }
}

/// A well-formed exemption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exemption {
    patterns: Vec<String>,
    pub reason: String,
}

impl Exemption {
    pub fn covers(&self, check: &str) -> bool {
        self.patterns.iter().any(|pattern| glob::matches(pattern, check))
    }
}

/// The object's exemption: `None` without a `palisade.dev/exempt` annotation, else the
/// exemption or every rule it breaks.
pub fn read(annotations: Annotations) -> Option<Result<Exemption, Vec<String>>> {
    let listed = annotations.get(EXEMPT_ANNOTATION)?;
    let mut problems = Vec::new();
    let reason = annotations
        .get(EXEMPT_REASON_ANNOTATION)
        .map(str::trim)
        .filter(|reason| !reason.is_empty());
    if reason.is_none() {
        problems.push(format!("{EXEMPT_REASON_ANNOTATION} is missing or blank"));
    }
    let patterns: Vec<String> = listed.split(',').map(|entry| entry.trim().to_string()).collect();
    problems.extend(patterns.iter().filter_map(|entry| entry_problem(entry)));
    match reason {
        Some(reason) if problems.is_empty() => Some(Ok(Exemption {
            patterns,
            reason: reason.to_string(),
        })),
        _ => Some(Err(problems)),
    }
}

/// The reason of the object's exemption when it is well-formed and covers the check.
pub fn covering(annotations: Annotations, check: &str) -> Option<String> {
    read(annotations)?
        .ok()
        .filter(|exemption| exemption.covers(check))
        .map(|exemption| exemption.reason)
}

/// What a report says about a malformed exemption: the first few problems, the rest counted.
pub fn describe(problems: &[String]) -> String {
    let mut shown = problems[..problems.len().min(MAX_PROBLEMS)].join("; ");
    if problems.len() > MAX_PROBLEMS {
        shown.push_str(&format!("; and {} more", problems.len() - MAX_PROBLEMS));
    }
    format!("{EXEMPT_ANNOTATION} exempts nothing: {shown}")
}

fn entry_problem(entry: &str) -> Option<String> {
    if entry.is_empty() {
        return Some("an entry is empty (a stray comma?)".to_string());
    }
    if !glob::is_pattern(entry) {
        return find(entry)
            .is_none()
            .then(|| format!("{} is not a check id", quoted(entry)));
    }
    let confined = entry
        .split_once('.')
        .is_some_and(|(area, _)| !area.is_empty() && !glob::is_pattern(area));
    if !confined {
        return Some(format!(
            "{} is not confined to one area (write e.g. pod.* or rbac.secrets-*)",
            quoted(entry)
        ));
    }
    (!catalog().iter().any(|check| glob::matches(entry, check.id)))
        .then(|| format!("{} matches no check", quoted(entry)))
}

/// The owner's text, escaped and bounded.
fn quoted(entry: &str) -> String {
    let shown: String = entry.chars().take(MAX_QUOTED_CHARS).collect();
    if shown.len() < entry.len() {
        format!("{shown:?}…")
    } else {
        format!("{shown:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exemption(exempt: &str, reason: Option<&str>) -> Option<Result<Exemption, Vec<String>>> {
        let mut annotations = BTreeMap::from([(EXEMPT_ANNOTATION.to_string(), exempt.to_string())]);
        if let Some(reason) = reason {
            annotations.insert(EXEMPT_REASON_ANNOTATION.to_string(), reason.to_string());
        }
        read(Annotations::of(Some(&annotations)))
    }

    fn problems(exempt: &str, reason: Option<&str>) -> Vec<String> {
        match exemption(exempt, reason) {
            Some(Err(problems)) => problems,
            other => panic!("{exempt:?} should be invalid, got {other:?}"),
        }
    }

    #[test]
    fn ids_and_globs_of_one_area_are_valid() {
        let Some(Ok(valid)) = exemption(" pod.privileged , rbac.* ,net.ingress-*", Some(" CNI agent ")) else {
            panic!("valid");
        };
        assert_eq!(valid.reason, "CNI agent");
        assert!(valid.covers("pod.privileged"));
        assert!(valid.covers("rbac.secrets-read"));
        assert!(valid.covers("net.ingress-any"));
        assert!(!valid.covers("pod.host-path"));
        assert!(exemption("x", None).is_some());
        assert!(read(Annotations::default()).is_none(), "no annotation, no exemption");
    }

    #[test]
    fn a_missing_or_blank_reason_invalidates_the_whole_exemption() {
        for reason in [None, Some(""), Some("  \n")] {
            assert_eq!(
                problems("pod.privileged", reason),
                ["palisade.dev/exempt-reason is missing or blank"]
            );
        }
    }

    #[test]
    fn everything_globs_spanning_areas_and_empty_entries_are_invalid() {
        for everything in ["*", "**", "*.*", "*.privileged", "p*", "p?d.*", ".*"] {
            assert_eq!(
                problems(everything, Some("r")),
                [format!(
                    "{everything:?} is not confined to one area (write e.g. pod.* or rbac.secrets-*)"
                )],
            );
        }
        assert_eq!(
            problems("pod.privileged,,rbac.wildcard", Some("r")),
            ["an entry is empty (a stray comma?)"]
        );
        assert_eq!(problems("", Some("r")), ["an entry is empty (a stray comma?)"]);
    }

    #[test]
    fn unknown_ids_and_globs_matching_nothing_are_invalid() {
        assert_eq!(
            problems("pod.privilegd, nope.*, pod.zz*", Some("r")),
            [
                "\"pod.privilegd\" is not a check id",
                "\"nope.*\" matches no check",
                "\"pod.zz*\" matches no check",
            ]
        );
    }

    #[test]
    fn one_bad_entry_exempts_nothing() {
        let mut annotations = BTreeMap::from([
            (EXEMPT_ANNOTATION.to_string(), "pod.privileged, *".to_string()),
            (EXEMPT_REASON_ANNOTATION.to_string(), "r".to_string()),
        ]);
        assert_eq!(covering(Annotations::of(Some(&annotations)), "pod.privileged"), None);
        annotations.insert(EXEMPT_ANNOTATION.to_string(), "pod.privileged".to_string());
        assert_eq!(
            covering(Annotations::of(Some(&annotations)), "pod.privileged").as_deref(),
            Some("r")
        );
    }

    #[test]
    fn reports_quote_escaped_and_bounded_text_and_count_the_rest() {
        let long = format!("pod.{}\u{1b}[31m", "x".repeat(100));
        let found = problems(&format!("{long},a,b,c"), Some("r"));
        assert_eq!(found.len(), 4);
        let bounded = format!("\"pod.{}\"… is not a check id", "x".repeat(44));
        assert_eq!(found[0], bounded);
        let escaped = problems("pod.\u{1b}[31m", Some("r"));
        assert_eq!(escaped, ["\"pod.\\u{1b}[31m\" is not a check id"]);
        let described = describe(&found);
        assert!(described.starts_with("palisade.dev/exempt exempts nothing: "));
        assert!(described.ends_with("; and 1 more"), "{described}");
    }

    #[test]
    fn the_template_s_annotations_come_before_the_controller_s() {
        let template = BTreeMap::from([(EXEMPT_ANNOTATION.to_string(), "pod.privileged".to_string())]);
        let controller = BTreeMap::from([
            (EXEMPT_ANNOTATION.to_string(), "*".to_string()),
            (EXEMPT_REASON_ANNOTATION.to_string(), "r".to_string()),
        ]);
        let layered = Annotations::layered(Some(&template), Some(&controller));
        assert_eq!(layered.get(EXEMPT_ANNOTATION), Some("pod.privileged"));
        assert_eq!(covering(layered, "pod.privileged").as_deref(), Some("r"));
    }
}
