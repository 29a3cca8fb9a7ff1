//! The small HTTP server: `/metrics`, `/healthz` (the process serves) and `/readyz` (every
//! watch has listed its kind once, so reports reflect the whole cluster, and the API server
//! answers now).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::metrics::Metrics;

#[derive(Clone)]
pub struct Health {
    pub metrics: Arc<Metrics>,
    pub synced: Arc<AtomicBool>,
    pub api_reachable: Arc<AtomicBool>,
}

pub async fn serve(
    address: SocketAddr,
    health: Health,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(health);
    let listener = tokio::net::TcpListener::bind(address).await?;
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

async fn metrics(State(health): State<Health>) -> ([(&'static str, &'static str); 1], String) {
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        health.metrics.encode(),
    )
}

async fn readyz(State(health): State<Health>) -> (StatusCode, &'static str) {
    if !health.synced.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced")
    } else if !health.api_reachable.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "the API server does not answer")
    } else {
        (StatusCode::OK, "ready")
    }
}
