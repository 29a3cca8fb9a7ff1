//! Palisade's hardening checks: the catalog (one [`CheckDef`] per check, with its mappings,
//! remediation and fixtures) and the engine that evaluates it over an [`Inventory`].
//!
//! Everything here is pure: no I/O, no clock, no kube client. The operator and
//! `palisade audit` supply the objects, the parameters and the time.

mod annotated;
pub mod baseline;
pub mod catalog;
mod checks;
pub mod drift;
pub mod engine;
pub mod exceptions;
pub mod exemption;
pub mod glob;
pub mod inventory;
pub mod manifest;
pub mod posture;
pub mod pss;
pub mod redact;
pub mod score;
pub mod selector;

pub use catalog::{Category, CheckDef, Expect, Fixture, PssLevel, catalog, find};
pub use engine::{Evaluation, Finding, Params, ResourceRef, evaluate_cluster, evaluate_namespace};
pub use inventory::{
    AddOptions, Added, Dirty, Inventory, Kind, NamespaceInventory, Object, ObjectRef, Workload, secret_type_selectors,
};
