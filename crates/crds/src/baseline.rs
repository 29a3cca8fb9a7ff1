use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Severity, conditions_list_schema, with_cel_rules};

/// The declared hardening posture for the namespaces it selects.
#[derive(CustomResource, Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[kube(
    group = "palisade.dev",
    version = "v1alpha1",
    kind = "HardeningBaseline",
    shortname = "hb",
    shortname = "baseline",
    status = "HardeningBaselineStatus",
    printcolumn = r#"{"name":"Profile","type":"string","jsonPath":".spec.profile"}"#,
    printcolumn = r#"{"name":"Priority","type":"integer","jsonPath":".spec.priority"}"#,
    printcolumn = r#"{"name":"Matched","type":"integer","jsonPath":".status.matchedNamespaces"}"#,
    printcolumn = r#"{"name":"Drifted","type":"integer","jsonPath":".status.driftedNamespaces"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = baseline_spec_rules)]
pub struct HardeningBaselineSpec {
    /// Selects the namespaces this baseline applies to by label. Combined with `namespaces` as a union.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Names of namespaces this baseline applies to, in addition to those the selector matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1024))]
    pub namespaces: Vec<String>,
    /// When several baselines match a namespace, the highest priority applies; ties break by name.
    #[serde(default)]
    pub priority: i32,
    /// The built-in set of Required checks: `baseline` (Pod Security Standards baseline level),
    /// `restricted` (PSS restricted plus network, RBAC and secrets essentials) or `custom` (only `checks`).
    pub profile: Profile,
    /// Per-check overrides applied on top of the profile. `id` may be a glob such as `rbac.*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckOverride>,
    /// Limits beyond which a namespace counts as drifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    /// Knobs that individual checks read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Parameters>,
    /// Accepted, time-limited deviations. An expired exception stops applying and is reported in status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub exceptions: Vec<Exception>,
    /// Which checks resource owners may exempt their resources from with the
    /// `palisade.dev/exempt` annotation (comma-separated check ids or globs of one area such as
    /// `pod.*`) and a non-empty `palisade.dev/exempt-reason`, on the resource or its pod
    /// template: `None`, `Advisory` (the default: a Required check needs an entry in
    /// `exceptions`, with its expiry and owner) or `All`. A malformed annotation exempts nothing
    /// and is reported as `meta.invalid-exemption`; exempted findings are always listed.
    #[serde(default)]
    pub annotation_exemptions: AnnotationExemptions,
}

/// Which checks `palisade.dev/exempt` annotations may exempt.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum AnnotationExemptions {
    /// Annotations exempt nothing; only `exceptions` do.
    None,
    /// Annotations exempt Advisory checks only.
    #[default]
    Advisory,
    /// Annotations exempt any check, Required ones included.
    All,
}

fn baseline_spec_rules(schema: &mut schemars::Schema) {
    with_cel_rules(
        schema,
        &[(
            "has(self.namespaceSelector) || (has(self.namespaces) && size(self.namespaces) > 0)",
            "spec must select namespaces with namespaceSelector or namespaces",
        )],
    );
}

/// A built-in set of Required checks.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Pod Security Standards baseline level.
    #[default]
    Baseline,
    /// Pod Security Standards restricted level plus network, RBAC and secrets essentials.
    Restricted,
    /// No built-in checks; only the `checks` overrides apply.
    Custom,
}

/// Changes how one check, or every check matching a glob, is treated.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckOverride {
    /// A check id such as `pod.privileged`, or a glob such as `rbac.*`.
    #[schemars(length(min = 1))]
    pub id: String,
    /// `Required` failures cause drift, `Advisory` failures are reported only, `Disabled` checks are not evaluated.
    pub mode: CheckMode,
    /// Replaces the check's default severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// How a check's failures count.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum CheckMode {
    /// A failure causes drift.
    Required,
    /// A failure is reported but causes no drift.
    Advisory,
    /// The check is not evaluated.
    Disabled,
}

/// Limits beyond which a namespace counts as drifted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Thresholds {
    /// The lowest acceptable posture score (0-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub min_score: Option<i32>,
    /// The most failing critical findings tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_critical: Option<i32>,
    /// The most failing high findings tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_high: Option<i32>,
}

/// Knobs that individual checks read.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Parameters {
    /// Registries images may come from (for `image.registry-not-allowed`), e.g. `registry.example.com`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_registries: Vec<String>,
    /// Age in days after which a secret must be rotated (for `secret.rotation-age`). Defaults to 90.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_secret_age_days: Option<i32>,
    /// Whether every image must be pinned by digest (makes `image.digest-unpinned` Required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_image_digest: Option<bool>,
    /// Capabilities allowed in addition to the Pod Security Standards' own set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_capabilities: Vec<String>,
    /// The Pod Security Standards version pods are judged by (`latest` or `v1.<minor>`, e.g.
    /// `v1.30`), in namespaces without a `pod-security.kubernetes.io/enforce-version` label.
    /// Defaults to the newest version Palisade knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(latest|v1\.(0|[1-9][0-9]*))$"))]
    pub pod_security_version: Option<String>,
}

/// An accepted, time-limited deviation from the baseline.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = exception_rules)]
pub struct Exception {
    /// Check ids or globs the exception covers.
    #[schemars(length(min = 1))]
    pub checks: Vec<String>,
    /// Namespaces the exception covers; all matched namespaces when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Resources the exception covers; all resources when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceMatch>,
    /// Container names the exception covers; all containers when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<String>,
    /// Why the deviation is accepted. Required.
    #[schemars(length(max = 1024))]
    pub reason: String,
    /// When the exception stops applying (RFC 3339 date-time). Required.
    pub expires: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
    /// Who is accountable for the exception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

fn exception_rules(schema: &mut schemars::Schema) {
    with_cel_rules(
        schema,
        &[("size(self.reason.trim()) > 0", "exception reason must not be empty")],
    );
}

/// Identifies resources by kind and name glob.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ResourceMatch {
    /// Kind of the resource, e.g. `Deployment`.
    #[schemars(length(min = 1))]
    pub kind: String,
    /// Name of the resource; may be a glob such as `legacy-*`.
    #[schemars(length(min = 1))]
    pub name: String,
}

/// What Palisade observed about this baseline.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HardeningBaselineStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` (the spec was accepted) and `Compliant` (no matched namespace drifted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_list_schema")]
    pub conditions: Vec<Condition>,
    /// Namespaces this baseline applies to.
    #[serde(default)]
    pub matched_namespaces: i32,
    /// Matched namespaces with no drift.
    #[serde(default)]
    pub compliant_namespaces: i32,
    /// Matched namespaces that drifted.
    #[serde(default)]
    pub drifted_namespaces: i32,
    /// Names of drifted namespaces, bounded; `driftedNamespaces` holds the full count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drifted: Vec<String>,
    /// Exceptions whose expiry has passed and that no longer apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired_exceptions: Vec<ExpiredException>,
}

/// An exception that no longer applies because it expired.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExpiredException {
    /// The checks the exception covered.
    pub checks: Vec<String>,
    /// The exception's reason.
    pub reason: String,
    /// When it expired.
    pub expired: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
}
