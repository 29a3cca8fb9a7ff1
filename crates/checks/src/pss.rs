//! Pod Security Standards verdicts: whether a pod is admitted at a level, using exactly the
//! catalog's PSS checks (the same functions that produce findings).

use k8s_openapi::api::core::v1::Pod;

use crate::catalog::{Eval, PssLevel, catalog};
use crate::engine::{Params, WorkloadCtx};
use crate::inventory::{NamespaceInventory, Workload};

/// A PSS check that fails, with its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PssViolation {
    pub check: &'static str,
    pub container: Option<String>,
    pub message: String,
}

/// Every control of `level` (and of the levels below it) that the pod violates; empty when
/// the Pod Security admission at that level would admit it.
pub fn violations(pod: &Pod, level: PssLevel) -> Vec<PssViolation> {
    let workload = Workload::from_pod(pod.clone());
    let namespace = NamespaceInventory::default();
    let params = Params::default();
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

/// Whether the pod satisfies the level.
pub fn admits(pod: &Pod, level: PssLevel) -> bool {
    violations(pod, level).is_empty()
}
