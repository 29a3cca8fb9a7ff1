//! The audit's output formats.

pub mod json;
pub mod junit;
mod pretty;
pub mod sarif;
pub mod table;

use palisade_checks::ResourceRef;
use palisade_checks::exceptions::Cover;
use palisade_crds::CheckMode;

use crate::audit::report::Row;

/// A check mode as the API spells it.
pub fn mode_name(mode: CheckMode) -> &'static str {
    match mode {
        CheckMode::Required => "Required",
        CheckMode::Advisory => "Advisory",
        CheckMode::Disabled => "Disabled",
    }
}

/// What excepts a finding: `exceptions[0] (owner)` of the baseline, or `annotation`.
pub fn covered_by(cover: &Cover) -> String {
    match cover {
        Cover::Exception {
            index,
            owner: Some(owner),
        } => format!("exceptions[{index}] ({owner})"),
        Cover::Exception { index, owner: None } => format!("exceptions[{index}]"),
        Cover::Annotation => "annotation".to_string(),
    }
}

/// `Kind/namespace/name (container c): message`.
pub fn subject(row: &Row) -> String {
    match &row.container {
        Some(container) => format!(
            "{} (container {container}): {}",
            resource_path(&row.resource),
            row.message
        ),
        None => format!("{}: {}", resource_path(&row.resource), row.message),
    }
}

/// `file:line`, `file` when the line is unknown, or nothing for objects from no file.
pub fn location(row: &Row) -> Option<String> {
    let file = row.file.as_deref()?;
    Some(match row.line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    })
}

/// The first sentence of a check's remediation: the hint a table or a CI summary has room for.
pub fn remediation_hint(check: &str) -> &'static str {
    let remediation = palisade_checks::find(check).map_or("", |check| check.remediation);
    // A sentence ends at ". " before a capital letter; "e.g. `x`" does not end one.
    let end = remediation
        .match_indices(". ")
        .find(|(at, _)| {
            remediation[at + 2..]
                .chars()
                .next()
                .is_some_and(|next| next.is_ascii_uppercase())
        })
        .map_or(remediation.len(), |(at, _)| at + 1);
    &remediation[..end]
}

/// `Kind/namespace/name`, or `Kind/name` for cluster-scoped resources and namespaces.
pub fn resource_path(resource: &ResourceRef) -> String {
    match scope(resource) {
        Some(namespace) => format!("{}/{namespace}/{}", resource.kind, resource.name),
        None => format!("{}/{}", resource.kind, resource.name),
    }
}

/// `namespace/Kind/name`, or `Kind/name` for cluster-scoped resources and namespaces.
pub fn qualified_name(resource: &ResourceRef) -> String {
    match scope(resource) {
        Some(namespace) => format!("{namespace}/{}/{}", resource.kind, resource.name),
        None => format!("{}/{}", resource.kind, resource.name),
    }
}

/// The namespace worth naming: findings about a Namespace may carry the namespace itself.
fn scope(resource: &ResourceRef) -> Option<&str> {
    resource.namespace.as_deref().filter(|_| resource.kind != "Namespace")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_the_first_sentence_of_the_remediation() {
        let remediation = |id: &str| palisade_checks::find(id).map_or("", |check| check.remediation);
        for check in palisade_checks::catalog() {
            let hint = remediation_hint(check.id);
            assert!(
                !hint.is_empty() && remediation(check.id).starts_with(hint),
                "{}",
                check.id
            );
        }
        let registry = remediation_hint("image.registry-not-allowed");
        assert!(registry.ends_with("`parameters.allowedRegistries`."), "{registry}");
        // "e.g." inside a sentence does not end it.
        assert!(remediation_hint("net.dns-blocked").contains("e.g."));
        assert_eq!(remediation_hint("no.such-check"), "");
    }

    #[test]
    fn paths_name_the_namespace_once() {
        let deployment = ResourceRef::new("Deployment", Some("shop"), "web");
        assert_eq!(resource_path(&deployment), "Deployment/shop/web");
        assert_eq!(qualified_name(&deployment), "shop/Deployment/web");
        let namespace = ResourceRef::new("Namespace", Some("shop"), "shop");
        assert_eq!(resource_path(&namespace), "Namespace/shop");
        assert_eq!(qualified_name(&namespace), "Namespace/shop");
        let binding = ResourceRef::new("ClusterRoleBinding", None, "ci");
        assert_eq!(qualified_name(&binding), "ClusterRoleBinding/ci");
    }
}

/// A small report for the formats' tests: two failing `pod.privileged` findings (one with a
/// control character in its message, one from no file), an annotation exemption, a baseline
/// exception, and `pod.host-ports` passing.
#[cfg(test)]
pub mod fixtures {
    use std::num::NonZeroU32;
    use std::sync::Arc;

    use palisade_checks::ResourceRef;
    use palisade_checks::exceptions::Cover;
    use palisade_crds::{CheckMode, Severity};

    use crate::audit::governance::Governed;
    use crate::audit::report::{Exception, NamespaceSummary, Report, Row, Summary};

    fn row(check: &'static str, resource: ResourceRef, container: Option<&str>, message: &str) -> Row {
        Row {
            check,
            resource: resource.into(),
            container: container.map(Into::into),
            message: message.to_string().into(),
            severity: palisade_checks::find(check).map_or(Severity::Info, |check| check.severity),
            mode: CheckMode::Required,
            file: None,
            line: None,
            exception: None,
        }
    }

    fn in_file(mut row: Row, line: u32) -> Row {
        row.file = Some(Arc::new("deploy.yaml".to_string()));
        row.line = NonZeroU32::new(line);
        row
    }

    fn excepted(mut row: Row, cover: Cover, reason: &str, expires: Option<&str>) -> Row {
        row.exception = Some(Box::new(Exception {
            reason: reason.to_string(),
            expires: expires.and_then(|expires| expires.parse().ok()),
            cover,
        }));
        row
    }

    /// [`report`] with its failing rows repeated to `count` (so batches and shares end inside
    /// them).
    pub fn report_with_failing(count: usize) -> Report {
        let mut report = report();
        report.failing = report.failing.iter().cycle().take(count).cloned().collect();
        report
    }

    /// Asserts that `written` is byte for byte what serde_json's own pretty printer writes of
    /// `whole` (and a new line): a writer that renders parts of a document apart lays it out the
    /// same.
    pub fn assert_pretty_json(written: &[u8], whole: &impl serde::Serialize) {
        let mut expected = serde_json::to_vec_pretty(whole).expect("serializes");
        expected.push(b'\n');
        assert!(
            written == expected,
            "{}",
            String::from_utf8_lossy(&written[..written.len().min(4000)])
        );
    }

    /// [`report`] without findings.
    pub fn report_without_findings() -> Report {
        let mut report = report();
        report.failing.clear();
        report.excepted.clear();
        report
    }

    pub fn report() -> Report {
        let web = ResourceRef::new("Deployment", Some("shop"), "web");
        let failing = vec![
            in_file(
                row(
                    "pod.privileged",
                    web.clone(),
                    Some("nginx"),
                    "container \"nginx\" \u{1b}[31m is privileged",
                ),
                12,
            ),
            row(
                "pod.privileged",
                ResourceRef::new("Deployment", Some("pay"), "api"),
                None,
                "privileged",
            ),
        ];
        let excepted = vec![
            excepted(
                in_file(row("pod.host-path", web, Some("nginx"), "mounts hostPath /var/log"), 12),
                Cover::Exception {
                    index: 0,
                    owner: Some("team-shop".to_string()),
                },
                "SHOP-481 until the log shipper moves",
                Some("2099-12-31T00:00:00Z"),
            ),
            excepted(
                in_file(
                    row(
                        "pod.runtime-socket",
                        ResourceRef::new("DaemonSet", Some("shop"), "log-agent"),
                        None,
                        "mounts the container runtime socket",
                    ),
                    40,
                ),
                Cover::Annotation,
                "node agent <needs> the socket",
                None,
            ),
        ];
        let namespace = |name: &str, failing, excepted, score| NamespaceSummary {
            namespace: name.to_string(),
            failing,
            required: failing,
            critical: failing,
            excepted,
            score,
            ..NamespaceSummary::default()
        };
        Report {
            summary: Summary {
                critical: 2,
                failing: 2,
                required: 2,
                excepted: 2,
                resources_evaluated: 3,
                objects: 3,
                files: 1,
                score: 64,
                baseline: "restricted (built-in)".to_string(),
                governed: vec![Governed {
                    baseline: "restricted (built-in)".to_string(),
                    namespaces: vec!["pay".to_string(), "shop".to_string()],
                    cluster_scoped: true,
                    score: 64,
                }],
                ..Summary::default()
            },
            failing,
            excepted,
            expired: Vec::new(),
            namespaces: vec![namespace("pay", 1, 0, 64), namespace("shop", 1, 2, 64)],
            checks: vec![
                "pod.host-path",
                "pod.host-ports",
                "pod.privileged",
                "pod.runtime-socket",
            ],
        }
    }
}
