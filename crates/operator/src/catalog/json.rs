//! The catalog as a JSON array, one object per check, for scripts and other tools.

use palisade_checks::CheckDef;
use palisade_crds::{Profile, Severity};
use serde::Serialize;

use super::pss_level;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckJson<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    category: &'a str,
    /// PSS level, `null` when the check is not a Pod Security Standards control.
    pss: Option<&'a str>,
    pss_control: Option<&'a str>,
    cis: &'a [&'a str],
    nsa: &'a [&'a str],
    /// The least strict profile in which the check is Required; `null` when it is Advisory in all.
    required_in: Option<Profile>,
    fails_when: &'a str,
    remediation: &'a str,
    reads_secret_data: bool,
}

pub fn render(checks: &[&CheckDef]) -> Result<String, serde_json::Error> {
    let items: Vec<CheckJson> = checks
        .iter()
        .map(|check| CheckJson {
            id: check.id,
            title: check.title,
            severity: check.severity,
            category: check.category.as_str(),
            pss: pss_level(check),
            pss_control: check.pss.map(|pss| pss.control),
            cis: check.cis,
            nsa: check.nsa,
            required_in: check.required_in,
            fails_when: check.fails_when,
            remediation: check.remediation,
            reads_secret_data: check.reads_secret_data,
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&items)?;
    text.push('\n');
    Ok(text)
}
