//! The catalog as an aligned table: ID, SEVERITY, CATEGORY, PSS, TITLE.

use palisade_checks::CheckDef;

use super::{pss_level, severity_name};

pub fn render(checks: &[&CheckDef]) -> String {
    let rows: Vec<Vec<String>> = checks
        .iter()
        .map(|check| {
            vec![
                check.id.to_string(),
                severity_name(check.severity).to_string(),
                check.category.as_str().to_string(),
                pss_level(check).unwrap_or("-").to_string(),
                check.title.to_string(),
            ]
        })
        .collect();
    crate::table::render(&["ID", "SEVERITY", "CATEGORY", "PSS", "TITLE"], &rows)
}
