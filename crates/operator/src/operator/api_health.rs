//! Whether the API server answers. The operator's `/readyz` is false while it does not, so an
//! outage (the API server or etcd down, or a stalled server) shows in the operator's readiness:
//! the watches themselves only report failures, never that they resumed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kube::Client;
use tokio::time::MissedTickBehavior;

use super::metrics::Metrics;

/// How often the API server is asked.
const EVERY: Duration = Duration::from_secs(3);
/// How long an answer may take before the server counts as unreachable.
const PATIENCE: Duration = Duration::from_secs(5);

/// Asks the API server's `/readyz` (which everyone may read) until `stop` resolves.
pub async fn probe(
    client: Client,
    reachable: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticks.tick() => {}
        }
        let answered = answers(&client).await;
        if reachable.swap(answered, Ordering::Relaxed) != answered {
            if answered {
                tracing::info!("the API server answers again");
            } else {
                tracing::warn!("the API server does not answer its readiness probe; not ready");
            }
        }
        metrics.api_reachable.set(i64::from(answered));
    }
}

async fn answers(client: &Client) -> bool {
    let Ok(request) = http::Request::get("/readyz").body(Vec::new()) else {
        return false;
    };
    matches!(
        tokio::time::timeout(PATIENCE, client.request_text(request)).await,
        Ok(Ok(_))
    )
}
