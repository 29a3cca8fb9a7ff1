//! `--only` and `--skip`: which of the baseline's checks an audit or scan evaluates. A check is
//! evaluated when the baseline enables it, it matches an `--only` pattern (when any is given)
//! and it matches no `--skip` pattern. Checks left out are not evaluated, reported or scored.

use palisade_checks::baseline::ResolvedBaseline;
use palisade_checks::{catalog, glob};

/// The check ids and globs of `--only` and `--skip`, each known to match a check.
#[derive(Debug, Default)]
pub struct Selection {
    only: Vec<String>,
    skip: Vec<String>,
}

/// A pattern that matches no check of the catalog (a usage error).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("--{flag} {pattern:?} matches no check (`palisade checks` lists them)")]
pub struct UnknownCheck {
    flag: &'static str,
    pattern: String,
}

impl Selection {
    /// Trims the patterns and makes sure each matches some check.
    pub fn new(only: &[String], skip: &[String]) -> Result<Selection, UnknownCheck> {
        let known = |flag: &'static str, patterns: &[String]| -> Result<Vec<String>, UnknownCheck> {
            patterns
                .iter()
                .map(|pattern| {
                    let pattern = pattern.trim();
                    if catalog().iter().any(|check| glob::matches(pattern, check.id)) {
                        Ok(pattern.to_string())
                    } else {
                        Err(UnknownCheck {
                            flag,
                            pattern: pattern.to_string(),
                        })
                    }
                })
                .collect()
        };
        Ok(Selection {
            only: known("only", only)?,
            skip: known("skip", skip)?,
        })
    }

    pub fn keeps(&self, id: &str) -> bool {
        let matches = |patterns: &[String]| patterns.iter().any(|pattern| glob::matches(pattern, id));
        (self.only.is_empty() || matches(&self.only)) && !matches(&self.skip)
    }

    /// Disables the baseline's checks the selection leaves out.
    pub fn apply(&self, baseline: &mut ResolvedBaseline) {
        if !self.only.is_empty() || !self.skip.is_empty() {
            baseline.retain_checks(|check| self.keeps(check.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_crds::{CheckMode, Profile};

    fn strings(patterns: &[&str]) -> Vec<String> {
        patterns.iter().map(|pattern| (*pattern).to_string()).collect()
    }

    #[test]
    fn only_then_skip_by_id_or_glob() {
        let selection = Selection::new(
            &strings(&["pod.*", " net.default-deny-ingress"]),
            &strings(&["pod.host-*"]),
        )
        .expect("known patterns");
        assert!(selection.keeps("pod.privileged"));
        assert!(selection.keeps("net.default-deny-ingress"));
        assert!(!selection.keeps("pod.host-path"));
        assert!(!selection.keeps("net.default-deny-egress"));
        assert!(!selection.keeps("rbac.cluster-admin-binding"));
        let everything = Selection::new(&[], &[]).expect("nothing to check");
        assert!(everything.keeps("rbac.cluster-admin-binding"));
    }

    #[test]
    fn a_pattern_matching_no_check_is_named() {
        let error = Selection::new(&strings(&["pod.privileged", "pss.*"]), &[]).expect_err("pss.* matches nothing");
        assert_eq!(
            error.to_string(),
            "--only \"pss.*\" matches no check (`palisade checks` lists them)"
        );
        let error = Selection::new(&[], &strings(&["pod.privilegd"])).expect_err("a typo");
        assert_eq!(
            error,
            UnknownCheck {
                flag: "skip",
                pattern: "pod.privilegd".to_string()
            }
        );
        assert!(Selection::new(&strings(&[""]), &[]).is_err());
    }

    #[test]
    fn left_out_checks_are_disabled_and_the_others_keep_their_mode() {
        let mut baseline = ResolvedBaseline::profile(Profile::Restricted);
        let before = baseline.treatment("pod.privileged");
        Selection::new(
            &strings(&["pod.privileged", "image.*"]),
            &strings(&["image.mutable-tag"]),
        )
        .expect("known patterns")
        .apply(&mut baseline);
        assert_eq!(baseline.treatment("pod.privileged"), before);
        assert_eq!(baseline.treatment("pod.host-path").mode, CheckMode::Disabled);
        assert_eq!(baseline.treatment("image.mutable-tag").mode, CheckMode::Disabled);
        let enabled: Vec<&str> = baseline.enabled_checks().iter().map(|check| check.id).collect();
        assert_eq!(
            enabled,
            ["image.digest-unpinned", "image.registry-not-allowed", "pod.privileged"]
        );
    }
}
