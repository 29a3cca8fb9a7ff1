//! Prometheus metrics. Labels stay low-cardinality: namespaces (bounded by the cluster),
//! severities, kinds and results; never an object's content.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NamespaceLabels {
    pub namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FindingLabels {
    pub namespace: String,
    pub severity: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WriteLabels {
    /// `PostureReport`, `ClusterPostureReport`, `HardeningBaseline`.
    pub kind: &'static str,
    /// `applied`, `deleted`, `conflict`, `throttled`, `error`.
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResponseLabels {
    /// The HTTP method.
    pub method: String,
    /// The HTTP status code, or `error` when no response came (refused, reset, timed out).
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

/// Every metric the operator exports.
pub struct Metrics {
    pub registry: Registry,
    pub namespace_score: Family<NamespaceLabels, Gauge>,
    pub failing_findings: Family<FindingLabels, Gauge>,
    pub namespace_drifted: Family<NamespaceLabels, Gauge>,
    pub drifted_namespaces: Gauge,
    pub evaluation_duration: Histogram,
    pub report_writes: Family<WriteLabels, Counter>,
    pub watch_events: Family<KindLabels, Counter>,
    pub watch_errors: Family<KindLabels, Counter>,
    pub api_responses: Family<ResponseLabels, Counter>,
    pub api_reachable: Gauge,
    pub cache_objects: Family<KindLabels, Gauge>,
    pub pending_namespaces: Gauge,
    pub leader: Gauge,
    pub invalid_baselines: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("palisade");
        let metrics = Metrics {
            namespace_score: Family::default(),
            failing_findings: Family::default(),
            namespace_drifted: Family::default(),
            drifted_namespaces: Gauge::default(),
            evaluation_duration: Histogram::new(exponential_buckets(0.000_05, 4.0, 10)),
            report_writes: Family::default(),
            watch_events: Family::default(),
            watch_errors: Family::default(),
            api_responses: Family::default(),
            api_reachable: Gauge::default(),
            cache_objects: Family::default(),
            pending_namespaces: Gauge::default(),
            leader: Gauge::default(),
            invalid_baselines: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "namespace_score",
            "Posture score of a namespace (0-100)",
            metrics.namespace_score.clone(),
        );
        registry.register(
            "failing_findings",
            "Failing findings of a namespace by severity",
            metrics.failing_findings.clone(),
        );
        registry.register(
            "namespace_drifted",
            "1 when the namespace drifted from its baseline",
            metrics.namespace_drifted.clone(),
        );
        registry.register(
            "drifted_namespaces",
            "Namespaces drifted from their baseline",
            metrics.drifted_namespaces.clone(),
        );
        registry.register(
            "evaluation_duration_seconds",
            "Time to evaluate one namespace",
            metrics.evaluation_duration.clone(),
        );
        registry.register(
            "report_writes",
            "Writes of Palisade's objects by kind and result",
            metrics.report_writes.clone(),
        );
        registry.register(
            "watch_events",
            "Watch events received by kind",
            metrics.watch_events.clone(),
        );
        registry.register(
            "watch_errors",
            "Failed watch or list attempts by kind (each is retried with backoff)",
            metrics.watch_errors.clone(),
        );
        registry.register(
            "api_responses",
            "Responses of the API server to every request attempt, retries included, by method and code",
            metrics.api_responses.clone(),
        );
        registry.register(
            "api_reachable",
            "1 while the API server answers its /readyz probe",
            metrics.api_reachable.clone(),
        );
        registry.register(
            "cache_objects",
            "Objects held in the index by kind",
            metrics.cache_objects.clone(),
        );
        registry.register(
            "pending_namespaces",
            "Namespaces waiting to be evaluated",
            metrics.pending_namespaces.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica leads and writes",
            metrics.leader.clone(),
        );
        registry.register(
            "invalid_baselines",
            "HardeningBaselines whose spec is invalid",
            metrics.invalid_baselines.clone(),
        );
        Metrics { registry, ..metrics }
    }
}

impl Metrics {
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn write(&self, kind: &'static str, result: &'static str) {
        self.report_writes.get_or_create(&WriteLabels { kind, result }).inc();
    }

    /// Publishes a namespace's score, drift and failing findings; removes them when it has no report.
    pub fn namespace(&self, namespace: &str, status: Option<&palisade_crds::PostureReportStatus>) {
        let labels = NamespaceLabels {
            namespace: namespace.to_string(),
        };
        const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
        let Some(status) = status else {
            self.namespace_score.remove(&labels);
            self.namespace_drifted.remove(&labels);
            for severity in SEVERITIES {
                self.failing_findings.remove(&FindingLabels {
                    namespace: namespace.to_string(),
                    severity,
                });
            }
            return;
        };
        self.namespace_score
            .get_or_create(&labels)
            .set(i64::from(status.score.unwrap_or(100)));
        let drifted = status
            .drift
            .as_ref()
            .is_some_and(|drift| drift.state == palisade_crds::DriftState::Drifted);
        self.namespace_drifted.get_or_create(&labels).set(i64::from(drifted));
        let summary = &status.summary;
        for (severity, count) in SEVERITIES.into_iter().zip([
            summary.critical,
            summary.high,
            summary.medium,
            summary.low,
            summary.info,
        ]) {
            self.failing_findings
                .get_or_create(&FindingLabels {
                    namespace: namespace.to_string(),
                    severity,
                })
                .set(i64::from(count));
        }
    }
}
