//! The `palisade` binary. This entry point wires subcommands; each lives in its own module.

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
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crds => {
            let yaml = palisade_crds::crds_yaml().context("serializing CRDs")?;
            print!("{yaml}");
        }
    }
    Ok(())
}
