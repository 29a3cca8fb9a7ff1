//! Exceptions: a baseline's time-limited accepted deviations and, as far as the baseline lets
//! them, `palisade.dev/exempt` annotations on the resources themselves.

use k8s_openapi::jiff::Timestamp;
use palisade_crds::{AnnotationExemptions, CheckMode, Exception};
use serde::Serialize;

use crate::baseline::ResolvedBaseline;
use crate::engine::Finding;
use crate::glob;

/// What covers an excepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Cover {
    /// `spec.exceptions[index]` of the baseline.
    Exception {
        index: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
    },
    /// The resource's `palisade.dev/exempt` annotation.
    Annotation,
}

/// A finding an exception or exemption covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Excepted {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
    /// When the exception stops applying; annotations never expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    pub cover: Cover,
}

/// Findings split by whether something covers them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub failing: Vec<Finding>,
    pub excepted: Vec<Excepted>,
    /// Indices of the baseline's exceptions that have expired (they cover nothing any more).
    pub expired: Vec<usize>,
}

fn covers(exception: &Exception, finding: &Finding) -> bool {
    let any = |patterns: &[String], value: Option<&str>| {
        patterns.is_empty() || value.is_some_and(|value| patterns.iter().any(|pattern| glob::matches(pattern, value)))
    };
    let resource = &finding.resource;
    exception
        .checks
        .iter()
        .any(|pattern| glob::matches(pattern, finding.check))
        && any(&exception.namespaces, resource.namespace.as_deref())
        && any(&exception.containers, finding.container.as_deref())
        && (exception.resources.is_empty()
            || exception.resources.iter().any(|target| {
                target.kind.eq_ignore_ascii_case(&resource.kind) && glob::matches(&target.name, &resource.name)
            }))
}

/// Splits findings into failing and excepted at `now`. Baseline exceptions are tried first
/// (they carry an owner and an expiry), then annotation exemptions as far as the baseline's
/// `annotationExemptions` allows; a finding whose exemption the baseline refuses fails with a
/// message that says so. An exception expires at its `expires` instant.
pub fn apply(findings: Vec<Finding>, baseline: &ResolvedBaseline, now: Timestamp) -> Applied {
    let active: Vec<(usize, &Exception)> = baseline
        .exceptions
        .iter()
        .enumerate()
        .filter(|(_, exception)| exception.expires.0 > now)
        .collect();
    let mut applied = Applied {
        expired: (0..baseline.exceptions.len())
            .filter(|index| !active.iter().any(|(active_index, _)| active_index == index))
            .collect(),
        ..Applied::default()
    };
    // Failing findings stay where they are: an audit may hold 100k of them, and a second list
    // (grown by doubling) would hold twice their size at once. What covers each excepted finding
    // is recorded in the same pass, in the order the findings are taken out.
    let mut failing = findings;
    let mut covers_taken: Vec<(String, Option<Timestamp>, Cover)> = Vec::new();
    let excepted: Vec<Finding> = failing
        .extract_if(.., |finding| {
            if let Some((index, exception)) = active.iter().find(|(_, exception)| covers(exception, finding)) {
                let cover = Cover::Exception {
                    index: *index,
                    owner: exception.owner.clone(),
                };
                covers_taken.push((exception.reason.clone(), Some(exception.expires.0), cover));
                return true;
            }
            let Some(reason) = &finding.annotation_exemption else {
                return false;
            };
            match refusal(baseline.annotation_exemptions, baseline.treatment(finding.check).mode) {
                None => {
                    covers_taken.push((reason.clone(), None, Cover::Annotation));
                    true
                }
                Some(refusal) => {
                    finding.message = format!("{} ({refusal})", finding.message).into();
                    false
                }
            }
        })
        .collect();
    applied.excepted = excepted
        .into_iter()
        .zip(covers_taken)
        .map(|(finding, (reason, expires, cover))| Excepted {
            reason,
            expires,
            cover,
            finding,
        })
        .collect();
    applied.failing = failing;
    applied
}

/// Why the baseline does not let an annotation exempt a check of this mode, if it does not.
fn refusal(policy: AnnotationExemptions, mode: CheckMode) -> Option<&'static str> {
    match (policy, mode) {
        (AnnotationExemptions::All, _) | (AnnotationExemptions::Advisory, CheckMode::Advisory) => None,
        (AnnotationExemptions::Advisory, _) => Some(
            "its palisade.dev/exempt annotation does not count: the baseline lets annotations exempt \
             Advisory checks only; a Required check needs a baseline exception",
        ),
        (AnnotationExemptions::None, _) => {
            Some("its palisade.dev/exempt annotation does not count: the baseline lets no annotation exempt a check")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::resolve;
    use crate::engine::ResourceRef;
    use serde_json::json;

    fn finding(check: &'static str, kind: &str, name: &str, container: Option<&str>) -> Finding {
        let mut finding = Finding::new(check, ResourceRef::new(kind, Some("shop"), name), "m");
        finding.container = container.map(Into::into);
        finding
    }

    fn baseline(extra: serde_json::Value) -> ResolvedBaseline {
        let mut spec = json!({"namespaces": ["shop"], "profile": "restricted", "exceptions": [
            {"checks": ["pod.read-only-root-fs"], "resources": [{"kind": "Deployment", "name": "legacy-*"}],
             "reason": "legacy writes to /tmp", "expires": "2027-01-01T00:00:00Z", "owner": "team-a"},
            {"checks": ["image.*"], "namespaces": ["shop"], "containers": ["sidecar"],
             "reason": "vendor sidecar", "expires": "2026-01-01T00:00:00Z"},
        ]});
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        resolve(Some("b"), &serde_json::from_value(spec).expect("spec")).expect("valid")
    }

    fn now() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().expect("time")
    }

    #[test]
    fn exceptions_match_checks_resources_and_containers() {
        let findings = vec![
            finding("pod.read-only-root-fs", "Deployment", "legacy-api", Some("c")),
            finding("pod.read-only-root-fs", "Deployment", "api", Some("c")),
            finding("pod.read-only-root-fs", "StatefulSet", "legacy-db", Some("c")),
        ];
        let applied = apply(findings, &baseline(json!({})), now());
        assert_eq!(applied.excepted.len(), 1);
        assert_eq!(applied.excepted[0].finding.resource.name, "legacy-api");
        assert_eq!(
            applied.excepted[0].cover,
            Cover::Exception {
                index: 0,
                owner: Some("team-a".into())
            }
        );
        assert_eq!(applied.failing.len(), 2);
    }

    #[test]
    fn expired_exceptions_cover_nothing_and_are_listed() {
        let applied = apply(
            vec![finding("image.mutable-tag", "Pod", "p", Some("sidecar"))],
            &baseline(json!({})),
            now(),
        );
        assert_eq!(applied.failing.len(), 1);
        assert_eq!(applied.expired, vec![1]);
    }

    #[test]
    fn annotations_exempt_as_far_as_the_baseline_lets_them() {
        // restricted: pod.privileged is Required, image.digest-unpinned Advisory.
        let exempt = |check: &'static str| {
            let mut finding = finding(check, "Pod", "p", None);
            finding.annotation_exemption = Some("CNI agent".into());
            finding
        };
        let findings = || vec![exempt("pod.privileged"), exempt("image.digest-unpinned")];
        let covered = |applied: &Applied| -> Vec<&str> {
            applied.excepted.iter().map(|excepted| excepted.finding.check).collect()
        };

        let all = apply(findings(), &baseline(json!({"annotationExemptions": "All"})), now());
        assert_eq!(covered(&all), ["pod.privileged", "image.digest-unpinned"]);
        assert_eq!(all.excepted[0].cover, Cover::Annotation);
        assert_eq!(all.excepted[0].reason, "CNI agent");

        let by_default = apply(findings(), &baseline(json!({})), now());
        assert_eq!(covered(&by_default), ["image.digest-unpinned"]);
        assert_eq!(by_default.failing.len(), 1);
        assert_eq!(by_default.failing[0].check, "pod.privileged");
        assert!(
            by_default.failing[0]
                .message
                .ends_with("Advisory checks only; a Required check needs a baseline exception)"),
            "{}",
            by_default.failing[0].message
        );

        let none = apply(findings(), &baseline(json!({"annotationExemptions": "None"})), now());
        assert!(none.excepted.is_empty());
        assert_eq!(none.failing.len(), 2);
        assert!(none.failing[1].message.contains("lets no annotation exempt a check"));
    }

    #[test]
    fn without_a_baseline_annotations_exempt_required_checks_too() {
        let mut finding = finding("pod.privileged", "Pod", "p", None);
        finding.annotation_exemption = Some("CNI agent".into());
        let builtin = ResolvedBaseline::profile(palisade_crds::Profile::Restricted);
        assert_eq!(builtin.treatment("pod.privileged").mode, CheckMode::Required);
        assert_eq!(apply(vec![finding], &builtin, now()).excepted.len(), 1);
    }
}
