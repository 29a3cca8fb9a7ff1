use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{CheckMode, Profile, Severity, conditions_list_schema};

/// A namespace's posture report. Written only by Palisade; everything lives in `status`.
#[derive(CustomResource, Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[kube(
    group = "palisade.dev",
    version = "v1alpha1",
    kind = "PostureReport",
    namespaced,
    shortname = "posture",
    status = "PostureReportStatus",
    printcolumn = r#"{"name":"Baseline","type":"string","jsonPath":".status.baseline"}"#,
    printcolumn = r#"{"name":"Score","type":"integer","jsonPath":".status.score"}"#,
    printcolumn = r#"{"name":"Critical","type":"integer","jsonPath":".status.summary.critical"}"#,
    printcolumn = r#"{"name":"High","type":"integer","jsonPath":".status.summary.high"}"#,
    printcolumn = r#"{"name":"Drift","type":"string","jsonPath":".status.drift.state"}"#,
    printcolumn = r#"{"name":"Compliant","type":"string","jsonPath":".status.conditions[?(@.type==\"Compliant\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
pub struct PostureReportSpec {}

/// Palisade's evaluation of one namespace.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PostureReportStatus {
    /// Name of the HardeningBaseline applied to this namespace; absent when none matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Profile of the applied baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Severity-weighted posture score from 0 (worst) to 100 (no failing findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub score: Option<i32>,
    /// Failing finding counts by severity.
    #[serde(default)]
    pub summary: Summary,
    /// When the namespace was last evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluated: Option<Time>,
    /// How the namespace compares with its baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// One entry per failing or excepted check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
    /// `Ready` (evaluation succeeded) and `Compliant` (no drift).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_list_schema")]
    pub conditions: Vec<Condition>,
}

/// Failing finding counts by severity.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Failing critical findings.
    #[serde(default)]
    pub critical: i32,
    /// Failing high findings.
    #[serde(default)]
    pub high: i32,
    /// Failing medium findings.
    #[serde(default)]
    pub medium: i32,
    /// Failing low findings.
    #[serde(default)]
    pub low: i32,
    /// Failing informational findings.
    #[serde(default)]
    pub info: i32,
    /// Resources the checks evaluated.
    #[serde(default)]
    pub resources_evaluated: i32,
    /// Findings covered by an exception or exemption annotation.
    #[serde(default)]
    pub excepted: i32,
}

/// Whether a namespace matches its declared baseline.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// `InSync`, `Drifted` or `NoBaseline`.
    pub state: DriftState,
    /// When the namespace entered its current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Time>,
    /// Why the namespace drifted (bounded): a Required check failing or a threshold breached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Findings first seen after the namespace was last in sync (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regressions: Vec<String>,
}

/// Drift state of a namespace.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum DriftState {
    /// Every Required check passes and no threshold is breached.
    InSync,
    /// A Required check fails or a threshold is breached.
    Drifted,
    /// No HardeningBaseline selects the namespace.
    NoBaseline,
}

/// The result of one failing or excepted check in a namespace.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// The check id, e.g. `pod.privileged`.
    pub id: String,
    /// The check's title.
    pub title: String,
    /// Effective severity after baseline overrides.
    pub severity: Severity,
    /// How the applied baseline treats the check.
    pub mode: CheckMode,
    /// `Fail` or `Excepted`.
    pub result: CheckOutcome,
    /// Number of affected resources, including those beyond the listed bound.
    pub count: i32,
    /// Affected resources, bounded (default 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<AffectedResource>,
    /// True when more resources are affected than listed.
    #[serde(default)]
    pub truncated: bool,
}

/// Outcome of a check that is listed in a report.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum CheckOutcome {
    /// At least one resource fails the check.
    Fail,
    /// Every failure is covered by an exception or exemption.
    Excepted,
}

/// A resource a check flagged.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AffectedResource {
    /// Kind of the resource (the owning workload for pods), e.g. `Deployment`.
    pub kind: String,
    /// Name of the resource.
    pub name: String,
    /// The container concerned, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// What is wrong. Never contains a secret's or a literal env var's value.
    pub message: String,
    /// When Palisade first saw this finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Time>,
}

/// The cluster's posture report: cluster-scoped findings and a roll-up of namespaces. Singleton named `cluster`.
#[derive(CustomResource, Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[kube(
    group = "palisade.dev",
    version = "v1alpha1",
    kind = "ClusterPostureReport",
    shortname = "cposture",
    status = "ClusterPostureReportStatus",
    printcolumn = r#"{"name":"Score","type":"integer","jsonPath":".status.score"}"#,
    printcolumn = r#"{"name":"Namespaces","type":"integer","jsonPath":".status.namespaces.total"}"#,
    printcolumn = r#"{"name":"Drifted","type":"integer","jsonPath":".status.namespaces.drifted"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
pub struct ClusterPostureReportSpec {}

/// Palisade's evaluation of cluster-scoped resources and a roll-up of all namespaces.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPostureReportStatus {
    /// Score of the cluster-scoped findings, 0-100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub score: Option<i32>,
    /// Failing cluster-scoped finding counts by severity.
    #[serde(default)]
    pub summary: Summary,
    /// Namespaces by drift state.
    #[serde(default)]
    pub namespaces: NamespaceRollup,
    /// The namespaces with the lowest scores (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worst_namespaces: Vec<NamespaceScore>,
    /// Cluster-scoped failing checks (ClusterRoles, ClusterRoleBindings, cluster-wide grants).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
    /// When the cluster was last evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluated: Option<Time>,
    /// `Ready` (evaluation succeeded) and `Compliant` (no namespace drifted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_list_schema")]
    pub conditions: Vec<Condition>,
}

/// Namespaces counted by drift state.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceRollup {
    /// All evaluated namespaces.
    #[serde(default)]
    pub total: i32,
    /// Namespaces in sync with their baseline.
    #[serde(default)]
    pub in_sync: i32,
    /// Namespaces drifted from their baseline.
    #[serde(default)]
    pub drifted: i32,
    /// Namespaces no baseline selects.
    #[serde(default)]
    pub no_baseline: i32,
}

/// A namespace and its score.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceScore {
    /// The namespace.
    pub namespace: String,
    /// Its posture score.
    pub score: i32,
}
