//! Optional OpenReports output (`--openreports`): an `openreports.io/v1alpha1` Report named
//! `palisade` per namespace and a ClusterReport named `palisade`, so Policy Reporter and similar
//! UIs show Palisade's results. Each is built from the PostureReport status just decided, so it
//! lists exactly the failing (check, resource) pairs that report lists, within the same bounds.
//! A report is applied only when its digest (kept in an annotation, read back on leading)
//! changes.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use palisade_crds::{CheckMode, CheckOutcome, CheckResult};
use serde_json::{Value, json};

use super::writer::{FIELD_MANAGER, Writer};

pub const NAME: &str = "palisade";
const GROUP: &str = "openreports.io";
const VERSION: &str = "v1alpha1";
const DIGEST_ANNOTATION: &str = "palisade.dev/openreports-digest";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: GROUP.to_string(),
        version: VERSION.to_string(),
        api_version: format!("{GROUP}/{VERSION}"),
        kind: kind.to_string(),
        plural: plural.to_string(),
    }
}

fn report_resource() -> ApiResource {
    resource("Report", "reports")
}

fn cluster_report_resource() -> ApiResource {
    resource("ClusterReport", "clusterreports")
}

/// The results and summary of a report, from a PostureReport's checks: one `fail` result per
/// listed resource of a failing check (excepted checks are not failures).
pub fn content(checks: &[CheckResult], namespace: Option<&str>) -> Value {
    let results: Vec<Value> = checks
        .iter()
        .filter(|check| check.result == CheckOutcome::Fail)
        .flat_map(|check| {
            let category = palisade_checks::find(&check.id).map_or("", |definition| definition.category.as_str());
            check.resources.iter().map(move |resource| {
                let mut properties = BTreeMap::from([
                    (
                        "mode",
                        match check.mode {
                            CheckMode::Required => "Required",
                            CheckMode::Advisory => "Advisory",
                            CheckMode::Disabled => "Disabled",
                        },
                    ),
                    ("title", check.title.as_str()),
                ]);
                if let Some(container) = &resource.container {
                    properties.insert("container", container);
                }
                let mut subject = json!({"kind": resource.kind, "name": resource.name});
                // A namespace-scoped report may also list its Namespace, which has none.
                if let Some(namespace) = namespace.filter(|_| resource.kind != "Namespace") {
                    subject["namespace"] = json!(namespace);
                }
                json!({
                    "source": NAME,
                    "policy": check.id,
                    "rule": check.id,
                    "category": category,
                    "severity": check.severity,
                    "result": "fail",
                    "scored": true,
                    "message": resource.message,
                    "resources": [subject],
                    "timestamp": timestamp(resource.first_seen.as_ref()),
                    "properties": properties,
                })
            })
        })
        .collect();
    json!({
        "summary": {"pass": 0, "fail": results.len(), "warn": 0, "error": 0, "skip": 0},
        "results": results,
    })
}

/// When the finding was first seen (stable across evaluations, so unchanged findings write nothing).
fn timestamp(first_seen: Option<&Time>) -> Value {
    let (seconds, nanos) = first_seen.map_or((0, 0), |time| (time.0.as_second(), time.0.subsec_nanosecond()));
    json!({"seconds": seconds, "nanos": nanos})
}

fn digest(content: &Value) -> String {
    let mut hasher = DefaultHasher::new();
    content.to_string().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The OpenReports written, by their digests; `None` for the cluster's until known.
#[derive(Default)]
pub struct OpenReports {
    written: BTreeMap<String, String>,
    cluster_written: Option<String>,
}

impl OpenReports {
    /// Reads back the digests of the reports on the server, so a restart rewrites nothing
    /// unchanged. A missing CRD leaves nothing known (the writes then say what is wrong).
    pub async fn read_back(&mut self, writer: &Writer) {
        let params = ListParams::default().labels(&format!("{MANAGED_BY}={NAME}"));
        let digest_of = |object: &DynamicObject| object.metadata.annotations.as_ref()?.get(DIGEST_ANNOTATION).cloned();
        let reports = Api::<DynamicObject>::all_with(writer.client().clone(), &report_resource());
        self.written = match reports.list(&params).await {
            Ok(list) => list
                .items
                .iter()
                .filter(|report| report.metadata.name.as_deref() == Some(NAME))
                .filter_map(|report| Some((report.metadata.namespace.clone()?, digest_of(report)?)))
                .collect(),
            Err(error) => {
                tracing::warn!(error = %error, "reading back OpenReports Reports failed");
                BTreeMap::new()
            }
        };
        let clusters = Api::<DynamicObject>::all_with(writer.client().clone(), &cluster_report_resource());
        self.cluster_written = match clusters.get_opt(NAME).await {
            Ok(report) => report.as_ref().and_then(digest_of),
            Err(error) => {
                tracing::warn!(error = %error, "reading back the OpenReports ClusterReport failed");
                None
            }
        };
    }

    /// Forgets the Report of a namespace that is gone: it went with the namespace, as the
    /// PostureReport did, so there is nothing left to delete.
    pub fn forget(&mut self, namespace: &str) {
        self.written.remove(namespace);
    }

    /// The digest of a namespace's Report as written (the ClusterReport's for `None`), if known.
    pub fn digest(&self, namespace: Option<&str>) -> Option<String> {
        match namespace {
            Some(namespace) => self.written.get(namespace).cloned(),
            None => self.cluster_written.clone(),
        }
    }

    pub fn applied(&mut self, namespace: Option<&str>, applied: Applied) {
        let digest = match applied {
            Applied::Unchanged => return,
            Applied::Written(digest) => Some(digest),
            Applied::Deleted => None,
        };
        match (namespace, digest) {
            (Some(namespace), Some(digest)) => {
                self.written.insert(namespace.to_string(), digest);
            }
            (Some(namespace), None) => self.forget(namespace),
            (None, digest) => self.cluster_written = digest,
        }
    }
}

/// What applying a report came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Unchanged,
    /// Applied, with this digest.
    Written(String),
    Deleted,
}

/// Applies a namespace's Report (the ClusterReport for `None`) when its content differs from the
/// one `written` (a digest), or deletes the Report of a namespace that has no PostureReport any
/// more (`checks` is `None`). Runs beside the controller's loop, which records what it came to.
pub async fn apply_report(
    writer: &Writer,
    namespace: Option<&str>,
    checks: Option<&[CheckResult]>,
    written: Option<&str>,
) -> Result<Applied, kube::Error> {
    let (api, kind, scope) = match namespace {
        Some(namespace) => (
            Api::<DynamicObject>::namespaced_with(writer.client().clone(), namespace, &report_resource()),
            "Report",
            json!({"apiVersion": "v1", "kind": "Namespace", "name": namespace}),
        ),
        None => (
            Api::<DynamicObject>::all_with(writer.client().clone(), &cluster_report_resource()),
            "ClusterReport",
            Value::Null,
        ),
    };
    let Some(checks) = checks else {
        if written.is_none() {
            return Ok(Applied::Unchanged);
        }
        writer.delete(&api, NAME, kind).await?;
        return Ok(Applied::Deleted);
    };
    let content = content(checks, namespace);
    let digest = digest(&content);
    if written == Some(digest.as_str()) {
        return Ok(Applied::Unchanged);
    }
    apply(writer, &api, kind, &content, scope, &digest).await?;
    Ok(Applied::Written(digest))
}

async fn apply(
    writer: &Writer,
    api: &Api<DynamicObject>,
    kind: &'static str,
    content: &Value,
    scope: Value,
    digest: &str,
) -> Result<(), kube::Error> {
    let mut body = json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": kind,
        "metadata": {
            "name": NAME,
            "labels": {MANAGED_BY: NAME},
            "annotations": {DIGEST_ANNOTATION: digest},
        },
        "source": NAME,
        "summary": content["summary"],
        "results": content["results"],
    });
    if !scope.is_null() {
        body["scope"] = scope;
    }
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let result = api.patch(NAME, &params, &Patch::Apply(body)).await.map(|_| ());
    writer.count(kind, &result);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;
    use palisade_crds::{AffectedResource, Severity};

    fn check(id: &str, result: CheckOutcome, mode: CheckMode, resources: &[(&str, Option<&str>)]) -> CheckResult {
        CheckResult {
            id: id.to_string(),
            title: format!("title of {id}"),
            severity: Severity::High,
            mode,
            result,
            count: i32::try_from(resources.len() + 3).unwrap_or(i32::MAX),
            truncated: true,
            resources: resources
                .iter()
                .map(|(name, container)| AffectedResource {
                    kind: "Deployment".to_string(),
                    name: (*name).to_string(),
                    container: container.map(str::to_string),
                    message: format!("{name} is wrong"),
                    first_seen: Some(Time(
                        Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH),
                    )),
                })
                .collect(),
        }
    }

    #[test]
    fn a_gone_namespace_is_forgotten_so_nothing_is_deleted_for_it() {
        let mut open = OpenReports::default();
        open.written.insert("shop".to_string(), "digest".to_string());
        open.written.insert("blog".to_string(), "digest".to_string());
        open.forget("shop");
        assert_eq!(open.written.keys().collect::<Vec<_>>(), ["blog"]);
    }

    #[test]
    fn what_was_applied_is_what_is_known_to_be_written() {
        let mut open = OpenReports::default();
        open.applied(Some("shop"), Applied::Written("one".to_string()));
        open.applied(None, Applied::Written("cluster".to_string()));
        open.applied(Some("shop"), Applied::Unchanged);
        assert_eq!(open.digest(Some("shop")).as_deref(), Some("one"));
        assert_eq!(open.digest(None).as_deref(), Some("cluster"));
        open.applied(Some("shop"), Applied::Deleted);
        assert_eq!(open.digest(Some("shop")), None);
        assert_eq!(open.digest(Some("blog")), None);
    }

    #[test]
    fn one_fail_result_per_listed_resource_of_a_failing_check() {
        let checks = [
            check(
                "pod.privileged",
                CheckOutcome::Fail,
                CheckMode::Required,
                &[("web", Some("app")), ("api", None)],
            ),
            check(
                "pod.host-path",
                CheckOutcome::Excepted,
                CheckMode::Required,
                &[("logs", None)],
            ),
            CheckResult {
                resources: vec![AffectedResource {
                    kind: "Namespace".to_string(),
                    name: "shop".to_string(),
                    container: None,
                    message: "no default deny".to_string(),
                    first_seen: None,
                }],
                ..check("net.default-deny-ingress", CheckOutcome::Fail, CheckMode::Advisory, &[])
            },
            check(
                "pod.run-as-non-root",
                CheckOutcome::Fail,
                CheckMode::Advisory,
                &[("web", Some("app"))],
            ),
        ];
        let content = content(&checks, Some("shop"));
        let results = content["results"].as_array().cloned().unwrap_or_default();
        // The listed resources, never the unlisted count, and nothing for the excepted check.
        assert_eq!(results.len(), 4);
        assert_eq!(content["summary"]["fail"], 4);
        let first = &results[0];
        assert_eq!(first["policy"], "pod.privileged");
        assert_eq!(first["rule"], "pod.privileged");
        assert_eq!(first["result"], "fail");
        assert_eq!(first["severity"], "high");
        assert_eq!(first["category"], "runtime");
        assert_eq!(first["message"], "web is wrong");
        assert_eq!(first["properties"]["mode"], "Required");
        assert_eq!(first["properties"]["container"], "app");
        assert_eq!(
            first["resources"],
            json!([{"kind": "Deployment", "name": "web", "namespace": "shop"}])
        );
        assert_eq!(first["timestamp"], json!({"seconds": 1_700_000_000, "nanos": 0}));
        assert_eq!(results[2]["resources"], json!([{"kind": "Namespace", "name": "shop"}]));
        assert_eq!(results[2]["category"], "network");
        assert_eq!(results[2]["timestamp"], json!({"seconds": 0, "nanos": 0}));
        assert_eq!(results[3]["properties"]["mode"], "Advisory");
        assert!(results.iter().all(|result| result["policy"] != "pod.host-path"));
    }

    #[test]
    fn cluster_results_name_no_namespace_and_digest_follows_content() {
        let checks = [check(
            "rbac.wildcard",
            CheckOutcome::Fail,
            CheckMode::Advisory,
            &[("admin", None)],
        )];
        let content_of = content(&checks, None);
        assert_eq!(
            content_of["results"][0]["resources"],
            json!([{"kind": "Deployment", "name": "admin"}])
        );
        assert_eq!(digest(&content_of), digest(&content(&checks, None)));
        assert_ne!(digest(&content_of), digest(&content(&[], None)));
    }
}
