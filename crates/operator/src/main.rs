//! The `palisade` binary. This entry point wires subcommands; each lives in its own module.

mod audit;
mod catalog;
mod operator;
mod parallel;
mod scan;
mod stdio;
mod table;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "palisade",
    version,
    about = "Kubernetes security posture measured against a declared hardening baseline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print Palisade's CustomResourceDefinitions as YAML.
    Crds,
    /// Audit manifests offline (files, directories or stdin) against a hardening baseline.
    Audit(audit::Args),
    /// Evaluate the current kubeconfig's cluster once, as `audit` evaluates manifests.
    Scan(scan::Args),
    /// Print the check catalog.
    Checks(catalog::Args),
    /// Run the operator: watch the cluster and keep its posture reports current.
    Operator(operator::Args),
}

/// Exit code of usage and input errors (clap uses it for bad flags too).
const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Crds => crds().map(|()| ExitCode::SUCCESS),
        Command::Audit(args) => audit::run(&args)
            .map(|verdict| ExitCode::from(verdict.exit_code()))
            .map_err(anyhow::Error::from),
        Command::Scan(args) => scan::run(&args).map(|verdict| ExitCode::from(verdict.exit_code())),
        Command::Checks(args) => catalog::run(&args)
            .map(|()| ExitCode::SUCCESS)
            .map_err(anyhow::Error::from),
        Command::Operator(args) => operator::run(args).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|error| {
        stdio::error(&format!("error: {error:#}"));
        ExitCode::from(USAGE_ERROR)
    })
}

/// Namespace names from a comma-separated flag, trimmed, without empty entries.
fn namespace_set(names: &[String]) -> std::collections::BTreeSet<String> {
    names
        .iter()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

fn crds() -> anyhow::Result<()> {
    let yaml = palisade_crds::crds_yaml().context("serializing CRDs")?;
    stdio::write_stdout(&yaml).context("writing to stdout")
}
