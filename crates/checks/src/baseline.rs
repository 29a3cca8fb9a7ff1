//! Baseline resolution: which checks a HardeningBaseline requires, with which severity and
//! parameters, and which baseline applies to a namespace.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use palisade_crds::{
    AnnotationExemptions, CheckMode, Exception, HardeningBaselineSpec, Parameters, Profile, Severity, Thresholds,
};

use crate::catalog::{CheckDef, PssLevel, catalog};
use crate::engine::Params;
use crate::glob;
use crate::pss::PssVersion;

/// Default for `parameters.maxSecretAgeDays`.
pub const DEFAULT_MAX_SECRET_AGE_DAYS: i64 = 90;

/// How a baseline treats one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Treatment {
    pub mode: CheckMode,
    pub severity: Severity,
}

/// A baseline turned into decisions: every check's mode and severity, and what the checks read.
#[derive(Clone, Debug)]
pub struct ResolvedBaseline {
    /// The HardeningBaseline's name (`None` for the built-in default of `palisade audit`).
    pub name: Option<String>,
    pub profile: Profile,
    treatments: BTreeMap<&'static str, Treatment>,
    enabled: Vec<&'static CheckDef>,
    pub thresholds: Thresholds,
    pub parameters: Parameters,
    pub exceptions: Vec<Exception>,
    /// Which checks `palisade.dev/exempt` annotations may exempt.
    pub annotation_exemptions: AnnotationExemptions,
}

impl ResolvedBaseline {
    /// A profile with no overrides, parameters or exceptions: what governs where no
    /// HardeningBaseline does. Its annotations may exempt any check: no baseline means no
    /// `exceptions` to ask for, and such scopes never claim compliance with one (their drift is
    /// `NoBaseline`), so an exemption hides no drift; the excepted findings are still listed.
    pub fn profile(profile: Profile) -> ResolvedBaseline {
        let spec = HardeningBaselineSpec {
            profile,
            annotation_exemptions: AnnotationExemptions::All,
            ..HardeningBaselineSpec::default()
        };
        resolve(None, &spec).expect("a bare profile has nothing to reject")
    }

    /// How the baseline treats the check (Disabled for unknown ids).
    pub fn treatment(&self, id: &str) -> Treatment {
        self.treatments.get(id).copied().unwrap_or(Treatment {
            mode: CheckMode::Disabled,
            severity: Severity::Info,
        })
    }

    pub fn is_enabled(&self, check: &CheckDef) -> bool {
        self.treatment(check.id).mode != CheckMode::Disabled
    }

    /// The checks that are not Disabled, in catalog order: what the engine evaluates.
    pub fn enabled_checks(&self) -> &[&'static CheckDef] {
        &self.enabled
    }

    /// Disables every enabled check `keep` rejects (`palisade audit --only/--skip`): they are
    /// then neither evaluated nor scored.
    pub fn retain_checks(&mut self, keep: impl Fn(&CheckDef) -> bool) {
        for check in &self.enabled {
            if !keep(check)
                && let Some(treatment) = self.treatments.get_mut(check.id)
            {
                treatment.mode = CheckMode::Disabled;
            }
        }
        self.enabled.retain(|check| keep(check));
    }

    /// The parameters checks read, at `now`.
    pub fn params(&self, content_checks: bool, now: Option<Timestamp>) -> Params {
        let pod_security_level = match self.profile {
            Profile::Restricted => PssLevel::Restricted,
            Profile::Baseline | Profile::Custom => PssLevel::Baseline,
        };
        Params {
            pod_security_level,
            ..params_from(Some(&self.parameters), content_checks, now)
        }
    }
}

/// Check parameters from a baseline's `parameters`, with documented defaults.
pub fn params_from(parameters: Option<&Parameters>, content_checks: bool, now: Option<Timestamp>) -> Params {
    let parameters = parameters.cloned().unwrap_or_default();
    Params {
        allowed_registries: parameters.allowed_registries,
        allowed_capabilities: parameters.allowed_capabilities,
        max_secret_age_days: parameters
            .max_secret_age_days
            .map_or(DEFAULT_MAX_SECRET_AGE_DAYS, i64::from),
        content_checks,
        now,
        // An invalid version never gets here: `resolve` rejects the baseline.
        pss_version: parameters
            .pod_security_version
            .as_deref()
            .and_then(|version| PssVersion::parse(version).ok())
            .unwrap_or_default(),
        ..Params::default()
    }
}

fn profile_mode(check: &CheckDef, profile: Profile) -> CheckMode {
    match (profile, check.required_in) {
        (Profile::Custom, _) => CheckMode::Disabled,
        (Profile::Baseline, Some(Profile::Baseline)) => CheckMode::Required,
        (Profile::Restricted, Some(_)) => CheckMode::Required,
        _ => CheckMode::Advisory,
    }
}

/// Resolves a baseline spec. Overrides apply in order, so a later entry wins over an earlier
/// one (put globs first and exact ids after). Problems that would silently change what is
/// measured (an override or exception naming no check, a negative threshold) are errors, so the
/// baseline's status can say exactly what to fix.
pub fn resolve(name: Option<&str>, spec: &HardeningBaselineSpec) -> Result<ResolvedBaseline, Vec<String>> {
    let mut problems = Vec::new();
    let parameters = spec.parameters.clone().unwrap_or_default();
    let mut treatments: BTreeMap<&'static str, Treatment> = catalog()
        .iter()
        .map(|check| {
            let mut mode = profile_mode(check, spec.profile);
            if check.id == "image.digest-unpinned" && parameters.require_image_digest == Some(true) {
                mode = CheckMode::Required;
            }
            let treatment = Treatment {
                mode,
                severity: check.severity,
            };
            (check.id, treatment)
        })
        .collect();
    for (index, check_override) in spec.checks.iter().enumerate() {
        let mut matched = false;
        for (_, treatment) in treatments
            .iter_mut()
            .filter(|(id, _)| glob::matches(&check_override.id, id))
        {
            matched = true;
            treatment.mode = check_override.mode;
            if let Some(severity) = check_override.severity {
                treatment.severity = severity;
            }
        }
        if !matched {
            problems.push(format!("checks[{index}].id {:?} matches no check", check_override.id));
        }
    }
    for (index, exception) in spec.exceptions.iter().enumerate() {
        for pattern in &exception.checks {
            if !catalog().iter().any(|check| glob::matches(pattern, check.id)) {
                problems.push(format!("exceptions[{index}].checks {pattern:?} matches no check"));
            }
        }
    }
    let thresholds = spec.thresholds.clone().unwrap_or_default();
    for (field, value) in [
        ("maxCritical", thresholds.max_critical),
        ("maxHigh", thresholds.max_high),
    ] {
        if value.is_some_and(|value| value < 0) {
            problems.push(format!("thresholds.{field} must not be negative"));
        }
    }
    if let Some(Err(error)) = parameters.pod_security_version.as_deref().map(PssVersion::parse) {
        problems.push(format!("parameters.podSecurityVersion: {error}"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let enabled = catalog()
        .iter()
        .copied()
        .filter(|check| {
            treatments
                .get(check.id)
                .is_some_and(|treatment| treatment.mode != CheckMode::Disabled)
        })
        .collect();
    Ok(ResolvedBaseline {
        name: name.map(str::to_string),
        profile: spec.profile,
        treatments,
        enabled,
        thresholds,
        parameters,
        exceptions: spec.exceptions.clone(),
        annotation_exemptions: spec.annotation_exemptions,
    })
}

/// Whether a baseline selects a namespace, by name (globs allowed) or by label selector.
pub fn selects(spec: &HardeningBaselineSpec, namespace: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
    spec.namespaces.iter().any(|pattern| glob::matches(pattern, namespace))
        || spec
            .namespace_selector
            .as_ref()
            .is_some_and(|selector| crate::selector::matches(selector, labels))
}

/// The baseline that governs a namespace among those that select it: the highest priority,
/// then the alphabetically first name, so the choice never depends on list order.
pub fn governing<'a>(
    baselines: impl IntoIterator<Item = (&'a str, &'a HardeningBaselineSpec)>,
    namespace: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> Option<(&'a str, &'a HardeningBaselineSpec)> {
    baselines
        .into_iter()
        .filter(|(_, spec)| selects(spec, namespace, labels))
        .min_by(|(a_name, a), (b_name, b)| b.priority.cmp(&a.priority).then(a_name.cmp(b_name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: serde_json::Value) -> HardeningBaselineSpec {
        serde_json::from_value(value).expect("spec")
    }

    #[test]
    fn profiles_set_default_modes() {
        let baseline = ResolvedBaseline::profile(Profile::Baseline);
        assert_eq!(baseline.treatment("pod.privileged").mode, CheckMode::Required);
        assert_eq!(baseline.treatment("pod.run-as-non-root").mode, CheckMode::Advisory);
        let restricted = ResolvedBaseline::profile(Profile::Restricted);
        assert_eq!(restricted.treatment("pod.run-as-non-root").mode, CheckMode::Required);
        assert_eq!(restricted.treatment("image.digest-unpinned").mode, CheckMode::Advisory);
        let custom = ResolvedBaseline::profile(Profile::Custom);
        assert!(catalog().iter().all(|check| !custom.is_enabled(check)));
        assert_eq!(restricted.treatment("no.such-check").mode, CheckMode::Disabled);
    }

    #[test]
    fn overrides_apply_in_order_with_globs() {
        let resolved = resolve(
            Some("b"),
            &spec(json!({"namespaces": ["x"], "profile": "custom", "checks": [
                {"id": "pod.*", "mode": "Advisory"},
                {"id": "pod.privileged", "mode": "Required", "severity": "low"},
            ]})),
        )
        .expect("valid");
        assert_eq!(resolved.treatment("pod.host-path").mode, CheckMode::Advisory);
        let privileged = resolved.treatment("pod.privileged");
        assert_eq!(
            (privileged.mode, privileged.severity),
            (CheckMode::Required, Severity::Low)
        );
        assert_eq!(resolved.treatment("rbac.wildcard").mode, CheckMode::Disabled);
    }

    #[test]
    fn require_image_digest_makes_the_digest_check_required() {
        let resolved = resolve(
            None,
            &spec(json!({"namespaces": ["x"], "profile": "baseline", "parameters": {"requireImageDigest": true}})),
        )
        .expect("valid");
        assert_eq!(resolved.treatment("image.digest-unpinned").mode, CheckMode::Required);
    }

    #[test]
    fn invalid_specs_are_reported_precisely() {
        let problems = resolve(
            None,
            &spec(json!({"namespaces": ["x"], "profile": "baseline", "checks": [{"id": "pod.privilegd", "mode": "Disabled"}],
                "thresholds": {"maxHigh": -1},
                "exceptions": [{"checks": ["nope.*"], "reason": "r", "expires": "2030-01-01T00:00:00Z"}]})),
        )
        .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "checks[0].id \"pod.privilegd\" matches no check".to_string(),
                "exceptions[0].checks \"nope.*\" matches no check".to_string(),
                "thresholds.maxHigh must not be negative".to_string(),
            ]
        );
    }

    #[test]
    fn the_highest_priority_then_first_name_governs() {
        let low = spec(json!({"namespaces": ["shop-*"], "priority": 1, "profile": "baseline"}));
        let high =
            spec(json!({"namespaceSelector": {"matchLabels": {"tier": "prod"}}, "priority": 5, "profile": "baseline"}));
        let tie =
            spec(json!({"namespaceSelector": {"matchLabels": {"tier": "prod"}}, "priority": 5, "profile": "baseline"}));
        let labels: BTreeMap<String, String> = [("tier".to_string(), "prod".to_string())].into();
        let all = [("low", &low), ("z-high", &high), ("a-high", &tie)];
        assert_eq!(
            governing(all, "shop-1", Some(&labels)).map(|(name, _)| name),
            Some("a-high")
        );
        assert_eq!(governing(all, "shop-1", None).map(|(name, _)| name), Some("low"));
        assert!(governing(all, "other", None).is_none());
    }
}
