//! The operator's connections to the API server. Every response attempt is counted by method and
//! code (`palisade_api_responses`), retries included, so throttling (429) and outages show in the
//! metrics even when a retry succeeds. 429, 503 and 504 are retried with exponential backoff that
//! honours `Retry-After`; what still fails reaches the controller, which backs off per object.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use http::{Request, Response};
use kube::Client;
use kube::client::retry::RetryPolicy;
use kube::client::{Body, ClientBuilder, ConfigExt, DynBody};
use tower::buffer::BufferLayer;
use tower::retry::RetryLayer;
use tower::util::BoxService;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt};

use super::metrics::{Metrics, ResponseLabels};

/// How long a request that is not a watch may wait for its response: a stalled API server must
/// not hold a write, and with it the controller, indefinitely.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests queued for the connection pool before callers wait.
const QUEUED_REQUESTS: usize = 256;
/// The most a connection buffers of what it reads. hyper's default, 408 KiB, is reached while a
/// LIST page of a few MB is read, and the buffer is kept for as long as the connection lives:
/// every watch holds one open, so at 5k pods some 40 connections kept 6.7 MB of such buffers
/// (heaptrack). Bounded, a page is read in 64 KiB pieces.
const READ_BUFFER: usize = 64 * 1024;

pub struct Clients {
    /// For watches: no read timeout (the watcher has its own idle timeout).
    pub watches: Client,
    /// For every other request: reads time out after [`REQUEST_TIMEOUT`].
    pub requests: Client,
}

/// Connects as `identity`, which the User-Agent carries so that the API server's audit log tells
/// replicas apart (they share one ServiceAccount and one field manager).
pub async fn connect(metrics: &Arc<Metrics>, identity: &str) -> anyhow::Result<Clients> {
    let mut config = kube::Config::infer()
        .await
        .context("connecting to the cluster (kubeconfig or in-cluster)")?;
    let agent = format!("palisade/{} ({identity})", env!("CARGO_PKG_VERSION"));
    if let Ok(agent) = http::HeaderValue::from_str(&agent) {
        config.headers.push((http::header::USER_AGENT, agent));
    }
    let watches = counted(config.clone(), metrics)?;
    let mut bounded = config;
    bounded.read_timeout = Some(REQUEST_TIMEOUT);
    // The timeout then counts from the request, not from when its pooled connection went idle.
    bounded.reset_reader_on_write = true;
    Ok(Clients {
        watches,
        requests: counted(bounded, metrics)?,
    })
}

fn counted(mut config: kube::Config, metrics: &Arc<Metrics>) -> anyhow::Result<Client> {
    // kube's own retry would sit outside the count; the same retry is layered over it below.
    config.default_retry = false;
    let retry =
        RetryPolicy::new(Duration::from_millis(200), Duration::from_secs(30), 6, true).context("the retry policy")?;
    let metrics = Arc::clone(metrics);
    Ok(connections(config)
        .context("building the API client")?
        .with_layer(&tower::layer::layer_fn(move |inner| Counted {
            inner,
            metrics: Arc::clone(&metrics),
        }))
        .with_layer(&BufferLayer::new(QUEUED_REQUESTS))
        .with_layer(&RetryLayer::new(retry))
        .build())
}

/// The service under a client, as kube's own builder makes it.
type Connections = BoxService<Request<Body>, Response<Box<DynBody>>, BoxError>;

/// kube's default stack (TLS, the API server's address, authentication, extra headers) over a
/// connection pool whose read buffers are bounded by [`READ_BUFFER`]. Through a proxy, kube's own
/// stack, which knows proxies, with hyper's default buffers.
fn connections(config: kube::Config) -> kube::Result<ClientBuilder<Connections>> {
    if config.proxy_url.is_some() {
        return ClientBuilder::try_from(config);
    }
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    let mut connector = hyper_timeout::TimeoutConnector::new(config.rustls_https_connector_with_connector(http)?);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector.set_reset_reader_on_write(config.reset_reader_on_write);
    let pool = hyper_util::client::legacy::Builder::new(hyper_util::rt::TokioExecutor::new())
        .http1_max_buf_size(READ_BUFFER)
        .build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(pool)
        .map_response(|response| {
            response.map(|body| Box::new(http_body_util::BodyExt::map_err(body, BoxError::from)) as Box<DynBody>)
        })
        .boxed();
    Ok(ClientBuilder::new(service, config.default_namespace))
}

/// Counts each response (or failure to get one) of the wrapped service.
struct Counted<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

type Answer = Result<Response<Box<DynBody>>, BoxError>;

impl<S> Service<Request<Body>> for Counted<S>
where
    S: Service<Request<Body>, Response = Response<Box<DynBody>>, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Box<DynBody>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let method = request.method().to_string();
        let metrics = Arc::clone(&self.metrics);
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answer = answer.await;
            let code = match &answer {
                Ok(response) => response.status().as_u16().to_string(),
                Err(_) => "error".to_string(),
            };
            metrics
                .api_responses
                .get_or_create(&ResponseLabels { method, code })
                .inc();
            answer
        })
    }
}
