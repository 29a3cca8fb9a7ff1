//! `palisade operator`: watches the cluster, evaluates namespaces as they change and writes
//! PostureReports, the ClusterPostureReport and HardeningBaseline statuses. This module wires
//! the parts; each lives in its own file.

mod api_health;
mod client;
mod conditions;
mod controller;
mod evaluate;
mod http;
mod metrics;
mod namespace_write;
mod openreports;
mod read_back;
mod report;
mod summaries;
mod watch;
mod world;
mod writer;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use kube_lease_manager::LeaseManagerBuilder;
use palisade_crds::Profile;
use tokio::sync::{mpsc, watch as channel};

use controller::{Controller, Settings};
use report::Limits;

/// Arguments of `palisade operator`.
#[derive(clap::Args)]
pub struct Args {
    /// How long a namespace waits after its first change before it is evaluated (e.g. 1s, 500ms).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    debounce: Duration,
    /// Namespaces evaluated at once (threads) and, times four, report writes in flight.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Namespaces never evaluated; their reports are removed (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NS,...")]
    exclude_namespaces: Vec<String>,
    /// Read Secret values for the checks that need them (values never leave the process).
    #[arg(long)]
    content_checks: bool,
    /// Profile for namespaces no HardeningBaseline selects, and for the cluster report.
    #[arg(long, value_enum, default_value_t = DefaultProfile::Restricted)]
    default_profile: DefaultProfile,
    /// Affected resources listed per check in a report.
    #[arg(long, default_value_t = 50)]
    max_resources_per_check: usize,
    /// Also write OpenReports (`openreports.io`) Reports, one per namespace, and a ClusterReport,
    /// for Policy Reporter and similar UIs (their CRDs must be installed).
    #[arg(long)]
    openreports: bool,
    /// How watches list existing objects: `streaming` (WatchList: no pages held in memory) or
    /// `paginated` (for API servers older than Kubernetes 1.32).
    #[arg(long, value_enum, default_value_t = watch::Lists::Streaming)]
    initial_lists: watch::Lists,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Name of the Lease used for leader election.
    #[arg(long, default_value = "palisade-leader")]
    lease_name: String,
    /// Namespace of the Lease (default: $POD_NAMESPACE, else `default`).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// This replica's identity in the Lease (default: $POD_NAME, else the host name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Log filter (tracing-subscriber syntax), e.g. `info` or `palisade=debug`.
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DefaultProfile {
    Baseline,
    Restricted,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

/// Durations as `500ms`, `1s`, `2m`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |at| text.split_at(at));
    let value: f64 = number.parse().map_err(|_| format!("invalid duration {text:?}"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("invalid duration {text:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("invalid duration {text:?}"))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    init_logging(&args)?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(operate(args))
}

fn init_logging(args: &Args) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level).context("--log-level")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
    Ok(())
}

async fn operate(args: Args) -> anyhow::Result<()> {
    let identity = args.identity.clone().unwrap_or_else(host_name);
    let metrics = Arc::new(metrics::Metrics::default());
    let clients = client::connect(&metrics, &identity).await?;
    let client = clients.requests;
    let synced = Arc::new(AtomicBool::new(false));
    let api_reachable = Arc::new(AtomicBool::new(false));
    let (stop_sender, stop) = channel::channel(false);
    let stopped = |mut stop: channel::Receiver<bool>| async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };

    let health = http::Health {
        metrics: Arc::clone(&metrics),
        synced: Arc::clone(&synced),
        api_reachable: Arc::clone(&api_reachable),
    };
    let server = tokio::spawn(http::serve(args.listen, health, stopped(stop.clone())));
    tokio::spawn(api_health::probe(
        client.clone(),
        api_reachable,
        Arc::clone(&metrics),
        stopped(stop.clone()),
    ));

    let leases = LeaseManagerBuilder::new(client.clone(), &args.lease_name)
        .with_namespace(&args.lease_namespace)
        .with_identity(&identity)
        .with_duration(15)
        .with_grace(5)
        .build()
        .await
        .context("setting up leader election")?;
    let (leader, lease_task) = leases.watch().await;

    // Small: a burst waits in the watches' pages rather than in a second queue.
    let (sender, messages) = mpsc::channel(256);
    let streams = watch::spawn_all(
        &clients.watches,
        &metrics,
        args.content_checks,
        args.initial_lists,
        &sender,
    );
    drop(sender);
    let excluded = crate::namespace_set(&args.exclude_namespaces);
    let profile = match args.default_profile {
        DefaultProfile::Baseline => Profile::Baseline,
        DefaultProfile::Restricted => Profile::Restricted,
    };
    let settings = Settings {
        scope: world::Scope::new(excluded, profile, args.content_checks),
        limits: Limits {
            per_check: args.max_resources_per_check,
            ..Limits::default()
        },
        debounce: args.debounce,
        concurrency: usize::from(args.concurrency),
        openreports: args.openreports,
    };
    let writer = writer::Writer::new(client, Arc::clone(&metrics), &identity);
    let controller = Controller::new(settings, metrics, writer, synced, streams);
    tracing::info!(identity, lease = args.lease_name, "operator starting");
    controller.run(messages, leader, shutdown_signal()).await;
    tracing::info!("shutting down");
    let _ = stop_sender.send(true);
    // Dropping the leader receiver makes the lease task release the lease, so a standby takes
    // over at once instead of after the lease expires.
    match tokio::time::timeout(Duration::from_secs(5), lease_task).await {
        Ok(Ok(Err(error))) => tracing::warn!(error = %error, "releasing the lease failed"),
        Err(_) => tracing::warn!("releasing the lease timed out"),
        _ => {}
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    Ok(())
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_or_else(|_| "palisade".to_string(), |name| name.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("1h").is_err() && parse_duration("x").is_err() && parse_duration("-1s").is_err());
    }
}
