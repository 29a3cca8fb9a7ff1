//! `palisade audit`: evaluates manifests offline (files, directories, stdin) against a
//! HardeningBaseline or the built-in `restricted` profile and prints the findings.
//!
//! Exit codes: 0 when no failing finding of a Required check reaches `--fail-on`; 1 when one
//! does; 2 on usage errors (nothing is audited) and input errors (the valid objects are still
//! audited and printed).

mod baseline_file;
mod format;
pub(crate) mod governance;
pub(crate) mod load;
mod origins;
pub(crate) mod problem;
pub(crate) mod report;
mod selection;
mod sources;
mod strict;

use std::collections::BTreeSet;
use std::path::PathBuf;

use k8s_openapi::jiff::Timestamp;
use palisade_checks::AddOptions;
use palisade_checks::pss::PssVersion;
use palisade_crds::Severity;

use crate::table::{Layout, visible};

use baseline_file::{AuditBaseline, BaselineError};
use load::Loaded;
use report::Report;
use selection::{Selection, UnknownCheck};
use sources::SourceError;

/// Arguments of `palisade audit`.
#[derive(clap::Args)]
pub struct Args {
    /// Manifest file, directory (read recursively: *.yaml, *.yml, *.json) or `-` for stdin.
    /// Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        visible_alias = "file",
        value_name = "PATH",
        required = true
    )]
    files: Vec<String>,
    #[command(flatten)]
    judging: Judging,
    /// Namespace of objects that name none (as kubectl would apply them).
    #[arg(short = 'n', long, default_value = "default", value_name = "NS")]
    namespace: String,
    /// Read secret values and run the checks that need them (values never appear in output).
    #[arg(long)]
    content_checks: bool,
    /// Largest input read, per file and for stdin: bytes or with a unit (`512Ki`, `64Mi`, `1Gi`).
    /// Larger files are skipped with an error.
    #[arg(long, default_value = "256Mi", value_name = "SIZE", value_parser = sources::parse_size)]
    max_file_size: u64,
}

/// What to evaluate against, how to print the findings and when they fail the run: the
/// arguments `palisade audit` and `palisade scan` share.
#[derive(clap::Args)]
pub(crate) struct Judging {
    /// A HardeningBaseline YAML file to evaluate against (default: the built-in `restricted`
    /// profile).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Output format. `table` escapes control characters from the input and, on a terminal,
    /// wraps lines to its width (`COLUMNS` overrides it) and colors severities (unless
    /// `NO_COLOR` is set). `junit` has one testsuite per evaluated check and a testcase per
    /// failing (failure) or excepted (skipped) finding, for CI test reports.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Evaluate only the checks matching these ids or globs (e.g. `pod.*`; repeatable or
    /// comma-separated), among those the baseline enables. The score is computed over the checks
    /// evaluated.
    #[arg(long, value_delimiter = ',', value_name = "CHECK,...")]
    only: Vec<String>,
    /// Do not evaluate the checks matching these ids or globs (repeatable or comma-separated);
    /// they are neither reported nor scored.
    #[arg(long, value_delimiter = ',', value_name = "CHECK,...")]
    skip: Vec<String>,
    /// Exit 1 only when a Required check fails with at least this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Info, value_name = "SEVERITY")]
    fail_on: FailOn,
    /// The Pod Security Standards version pods are judged by (`latest` or `v1.<minor>`, e.g.
    /// `v1.30`) where neither the namespace's `pod-security.kubernetes.io/enforce-version` label
    /// nor the baseline's `podSecurityVersion` names one (default: the newest Palisade knows).
    #[arg(long, value_name = "VERSION")]
    pss_version: Option<PssVersion>,
}

impl Judging {
    /// What to judge by: the `--baseline` file, read and validated, or the built-in `restricted`
    /// profile; and the built-in profile for what that file does not govern. Both evaluate only
    /// the checks `--only` and `--skip` select, at `--pss-version` where nothing else names one.
    pub(crate) fn baselines(&self) -> Result<Baselines, Error> {
        let selection = Selection::new(&self.only, &self.skip)?;
        let judged = |mut baseline: AuditBaseline| {
            selection.apply(&mut baseline.resolved);
            if let Some(version) = self.pss_version {
                let parameters = &mut baseline.resolved.parameters;
                parameters
                    .pod_security_version
                    .get_or_insert_with(|| version.to_string());
            }
            baseline
        };
        let chosen = match &self.baseline {
            Some(path) => baseline_file::load(path)?,
            None => baseline_file::builtin(),
        };
        Ok(Baselines {
            chosen: judged(chosen),
            default: judged(baseline_file::builtin()),
        })
    }
}

/// The baseline an audit or scan judges by, and the built-in one for what it does not govern.
pub(crate) struct Baselines {
    pub(crate) chosen: AuditBaseline,
    pub(crate) default: AuditBaseline,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Sarif,
    Junit,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
            FailOn::Info => Severity::Info,
        }
    }
}

/// How an audit that ran ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// A Required check failed at or above `--fail-on`.
    Fail,
    /// Some input could not be read or added; the rest was audited.
    InputErrors,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Fail => 1,
            Verdict::InputErrors => 2,
        }
    }
}

/// Why an audit could not run (usage errors) or print.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sources(#[from] SourceError),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error(transparent)]
    Selection(#[from] UnknownCheck),
    #[error("--namespace must not be empty")]
    EmptyNamespace,
    #[error("writing to stdout")]
    Write(#[from] std::io::Error),
}

pub fn run(args: &Args) -> Result<Verdict, Error> {
    if args.namespace.trim().is_empty() {
        return Err(Error::EmptyNamespace);
    }
    let baselines = args.judging.baselines()?;
    let (inputs, walk_errors) = sources::expand(&args.files)?;
    let options = AddOptions {
        default_namespace: args.namespace.clone(),
        keep_secret_data: args.content_checks,
    };
    let mut loaded = Loaded {
        errors: walk_errors,
        ..Loaded::default()
    };
    loaded.add_inputs(&inputs, args.max_file_size, &options);
    if loaded.objects == 0 {
        // `helm template broken | palisade audit -f -` must not pass a gate on no input at all.
        loaded.errors.push(problem::InputError::file(
            &args.files.join(", "),
            "no Kubernetes objects in the input",
        ));
    }
    let report = governance::build(
        &loaded,
        inputs.len(),
        &baselines,
        args.content_checks,
        &BTreeSet::new(),
        Timestamp::now(),
    );
    print_and_judge(report, loaded, &args.judging)
}

/// Prints what was evaluated: the input problems and expired exceptions on stderr, the report on
/// stdout in the chosen format. Then judges it: input problems first, then `--fail-on`.
pub(crate) fn print_and_judge(report: Report, loaded: Loaded, judging: &Judging) -> Result<Verdict, Error> {
    // File names and messages come from the input: never raw control characters on a terminal.
    for error in &loaded.errors {
        crate::stdio::error(&visible(&format!("error: {error}")));
    }
    for expired in &report.expired {
        crate::stdio::error(&visible(&format!("warning: --baseline: {expired}")));
    }
    if let Some(warning) = governance::ungoverned_warning(&report) {
        crate::stdio::error(&format!("warning: {warning}"));
    }
    crate::stdio::stream_stdout(|out| match judging.format {
        Format::Table => format::table::write(&report, Layout::for_stdout(), out),
        Format::Json => format::json::write(&report, out),
        Format::Sarif => format::sarif::write(&report, &loaded.errors, out),
        Format::Junit => format::junit::write(&report, &loaded.errors, out),
    })?;
    let verdict = if !loaded.errors.is_empty() {
        Verdict::InputErrors
    } else if report.fails_at(judging.fail_on.severity()) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    // The process ends right after the verdict: freeing every parsed object one by one would
    // only delay the exit (a tenth of the run on large inputs).
    std::mem::forget(loaded);
    std::mem::forget(report);
    Ok(verdict)
}
