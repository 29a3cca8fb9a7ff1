//! The checks, grouped by area. Each group is a table of [`CheckDef`](crate::CheckDef)s; the
//! catalog is their union.

mod cidr;
mod credential_shape;
mod credentials;
mod image;
mod meta;
mod namespace;
mod network;
mod pss;
mod rbac;
mod secret;
mod secret_value;
mod service;
mod workload;

pub(crate) use credential_shape::CredentialShape;
pub(crate) use pss::{APPARMOR_ANNOTATION_PREFIX, SECCOMP_CONTAINER_ANNOTATION_PREFIX, SECCOMP_POD_ANNOTATION};
pub(crate) use secret_value::{record_values as record_secret_values, records as secret_value_records};
pub(crate) use workload::is_literal;

use crate::catalog::CheckDef;

pub(crate) static ALL: &[&[CheckDef]] = &[
    pss::CHECKS,
    workload::CHECKS,
    image::CHECKS,
    network::CHECKS,
    service::CHECKS,
    rbac::CHECKS,
    secret::CHECKS,
    credentials::CHECKS,
    namespace::CHECKS,
    meta::CHECKS,
];
