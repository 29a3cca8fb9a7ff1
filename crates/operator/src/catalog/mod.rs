//! `palisade checks`: the check catalog as a table, JSON or the Markdown reference page
//! (docs/checks.md). Everything comes from `palisade_checks::catalog()`.

mod json;
pub(crate) mod markdown;
mod table;

use palisade_checks::{CheckDef, PssLevel};
use palisade_crds::{Profile, Severity};

/// Arguments of `palisade checks`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Markdown,
}

/// Why the catalog could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("serializing the catalog")]
    Json(#[from] serde_json::Error),
    #[error("writing to stdout")]
    Write(#[from] std::io::Error),
}

pub fn run(args: &Args) -> Result<(), Error> {
    let checks = palisade_checks::catalog();
    let text = match args.format {
        Format::Table => table::render(checks),
        Format::Json => json::render(checks)?,
        Format::Markdown => markdown::render(checks),
    };
    crate::stdio::write_stdout(&text)?;
    Ok(())
}

/// Lowercase name of a severity, as the API spells it.
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// Name of a profile, as the API spells it.
pub fn profile_name(profile: Profile) -> &'static str {
    match profile {
        Profile::Baseline => "baseline",
        Profile::Restricted => "restricted",
        Profile::Custom => "custom",
    }
}

/// The check's Pod Security Standards level, if it implements a PSS control.
fn pss_level(check: &CheckDef) -> Option<&'static str> {
    check.pss_level().map(PssLevel::as_str)
}
