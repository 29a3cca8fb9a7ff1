use crate::catalog::CheckDef;

pub static CHECKS: &[CheckDef] = &[];
