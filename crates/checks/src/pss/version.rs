//! Which release of the Pod Security Standards a pod is judged by. The standard changes between
//! Kubernetes minors (sysctls allowed, controls added, relaxations for user namespaces); the
//! Pod Security admission evaluates a namespace at the version its
//! `pod-security.kubernetes.io/enforce-version` label names, and Palisade does the same.

use std::fmt;
use std::str::FromStr;

use k8s_openapi::api::core::v1::Namespace;

/// The namespace label naming the version the Pod Security admission enforces.
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";

/// A Pod Security Standards version: a Kubernetes minor release. The Pod Security admission
/// accepts only `v1.<minor>` and `latest`, so the major version is always 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PssVersion {
    minor: u16,
}

impl PssVersion {
    /// The oldest version the Pod Security admission defines (`v1.0`).
    pub const OLDEST: PssVersion = PssVersion::v1(0);
    /// The newest version whose controls Palisade implements; `latest` means this one, and
    /// newer versions are judged by it (as a Pod Security admission of this release does).
    pub const NEWEST: PssVersion = PssVersion::v1(37);

    /// Version `v1.<minor>`.
    pub const fn v1(minor: u16) -> PssVersion {
        PssVersion { minor }
    }

    /// `latest` or `v1.<minor>` (no leading zeros), as the Pod Security admission's labels
    /// take it; versions newer than [`PssVersion::NEWEST`] are judged as the newest.
    pub fn parse(text: &str) -> Result<PssVersion, InvalidPssVersion> {
        if text == "latest" {
            return Ok(PssVersion::NEWEST);
        }
        let invalid = || InvalidPssVersion(text.to_string());
        let digits = text.strip_prefix("v1.").ok_or_else(invalid)?;
        let canonical = !digits.is_empty()
            && digits.bytes().all(|byte| byte.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !canonical {
            return Err(invalid());
        }
        // A minor too large for u16 is still a valid, far-future version.
        let minor = digits.parse::<u16>().unwrap_or(u16::MAX);
        Ok(PssVersion::v1(minor).min(PssVersion::NEWEST))
    }

    /// The version a namespace is judged at: its enforce-version label when it has one (a label
    /// that is not a valid version means `latest`, as for the Pod Security admission), else
    /// `fallback`.
    pub fn for_namespace(namespace: Option<&Namespace>, fallback: PssVersion) -> PssVersion {
        namespace
            .and_then(|namespace| namespace.metadata.labels.as_ref())
            .and_then(|labels| labels.get(ENFORCE_VERSION_LABEL))
            .map_or(fallback, |label| PssVersion::parse(label).unwrap_or(PssVersion::NEWEST))
    }
}

impl Default for PssVersion {
    fn default() -> Self {
        PssVersion::NEWEST
    }
}

impl fmt::Display for PssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v1.{}", self.minor)
    }
}

impl FromStr for PssVersion {
    type Err = InvalidPssVersion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PssVersion::parse(text)
    }
}

/// A Pod Security Standards version that is neither `latest` nor `v1.<minor>`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Pod Security Standards version: use \"latest\" or \"v1.<minor>\", e.g. \"v1.30\"")]
pub struct InvalidPssVersion(String);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    #[test]
    fn parses_latest_and_minor_versions() {
        assert_eq!(PssVersion::parse("latest"), Ok(PssVersion::NEWEST));
        assert_eq!(PssVersion::parse("v1.0"), Ok(PssVersion::OLDEST));
        assert_eq!(PssVersion::parse("v1.30"), Ok(PssVersion::v1(30)));
        assert_eq!("v1.34".parse::<PssVersion>(), Ok(PssVersion::v1(34)));
        assert_eq!(PssVersion::v1(30).to_string(), "v1.30");
    }

    #[test]
    fn versions_newer_than_the_catalog_are_judged_as_the_newest() {
        assert_eq!(PssVersion::parse("v1.99"), Ok(PssVersion::NEWEST));
        assert_eq!(PssVersion::parse("v1.99999999999"), Ok(PssVersion::NEWEST));
    }

    #[test]
    fn rejects_what_the_pod_security_admission_rejects() {
        for text in [
            "", "1.30", "v1", "v1.", "v2.0", "v0.9", "v1.030", "v1.3x", "V1.30", "Latest", " v1.30", "v1.-1",
        ] {
            let error = PssVersion::parse(text).expect_err(text);
            assert!(error.to_string().contains("\"latest\" or \"v1.<minor>\""), "{error}");
        }
    }

    fn namespace(labels: &[(&str, &str)]) -> Namespace {
        let labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        Namespace {
            metadata: ObjectMeta {
                labels: Some(labels),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        }
    }

    #[test]
    fn the_namespace_label_wins_and_an_invalid_label_means_latest() {
        let fallback = PssVersion::v1(30);
        assert_eq!(PssVersion::for_namespace(None, fallback), fallback);
        let unlabelled = namespace(&[("pod-security.kubernetes.io/enforce", "baseline")]);
        assert_eq!(PssVersion::for_namespace(Some(&unlabelled), fallback), fallback);
        let pinned = namespace(&[(ENFORCE_VERSION_LABEL, "v1.25")]);
        assert_eq!(PssVersion::for_namespace(Some(&pinned), fallback), PssVersion::v1(25));
        let latest = namespace(&[(ENFORCE_VERSION_LABEL, "latest")]);
        assert_eq!(PssVersion::for_namespace(Some(&latest), fallback), PssVersion::NEWEST);
        let invalid = namespace(&[(ENFORCE_VERSION_LABEL, "1.25")]);
        assert_eq!(PssVersion::for_namespace(Some(&invalid), fallback), PssVersion::NEWEST);
    }
}
