//! Pod Security Standards verdicts: whether a pod is admitted at a level and version, using
//! exactly the catalog's PSS checks (the same functions that produce findings).

mod version;

use std::borrow::Cow;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

pub use version::{ENFORCE_VERSION_LABEL, InvalidPssVersion, PssVersion};

use crate::catalog::{Eval, PssLevel, catalog};
use crate::engine::{Params, WorkloadCtx};
use crate::inventory::{NamespaceInventory, Workload};

/// A PSS check that fails, with its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PssViolation {
    pub check: &'static str,
    pub container: Option<Arc<str>>,
    pub message: Cow<'static, str>,
}

/// Every control of `level` (and of the levels below it) at `version` that the pod violates;
/// empty when the Pod Security admission at that level and version would admit it.
///
/// The admission replaces some baseline controls by their restricted counterparts at the
/// restricted level (`OverrideCheckIDs`); both are evaluated here, with the same verdict on
/// every pod the API server accepts: each restricted counterpart is stricter, except for
/// Windows pods, which API validation forbids to set the fields concerned.
pub fn violations_at(pod: &Pod, level: PssLevel, version: PssVersion) -> Vec<PssViolation> {
    let workload = Workload::from_pod(pod.clone());
    let namespace = NamespaceInventory::default();
    let params = Params {
        pss_version: version,
        ..Params::default()
    };
    let ctx = WorkloadCtx {
        workload: &workload,
        namespace: &namespace,
        params: &params,
    };
    catalog()
        .iter()
        .filter(|check| check.pss_level().is_some_and(|check_level| check_level <= level))
        .filter_map(|check| match check.eval {
            Eval::Workload(eval) => Some((check.id, eval)),
            _ => None,
        })
        .flat_map(|(check, eval)| {
            eval(&ctx).into_iter().map(move |violation| PssViolation {
                check,
                container: violation.container,
                message: violation.message,
            })
        })
        .collect()
}

/// Every control of `level` the pod violates at the newest version.
pub fn violations(pod: &Pod, level: PssLevel) -> Vec<PssViolation> {
    violations_at(pod, level, PssVersion::NEWEST)
}

/// Whether the pod satisfies the level at `version`.
pub fn admits_at(pod: &Pod, level: PssLevel, version: PssVersion) -> bool {
    violations_at(pod, level, version).is_empty()
}

/// Whether the pod satisfies the level at the newest version.
pub fn admits(pod: &Pod, level: PssLevel) -> bool {
    admits_at(pod, level, PssVersion::NEWEST)
}

/// The parameters a namespace's workloads are judged with: `params` with the Pod Security
/// Standards version the namespace's enforce-version label names, when it names one.
pub fn namespace_params<'a>(namespace: &NamespaceInventory, params: &'a Params) -> Cow<'a, Params> {
    let version = PssVersion::for_namespace(namespace.namespace.as_ref(), params.pss_version);
    if version == params.pss_version {
        Cow::Borrowed(params)
    } else {
        Cow::Owned(Params {
            pss_version: version,
            ..params.clone()
        })
    }
}
