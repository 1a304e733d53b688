//! The server's metrics, served at `GET /metrics` in the Prometheus / OpenMetrics text format
//! (prometheus-client). One set per process: every part of the server records into
//! [`metrics()`]; gauges that describe the database (anchoring lag) are read when scraped.
use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ServerResult, Value};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry as MetricRegistry;
use provreg_entities::{anchor, log_entry};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppResult;
use crate::service::Registry;
use crate::service::log::CONFIRMED;

/// A GraphQL operation: `query.lineage`, `mutation.registerToken`, … (root fields only).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
    /// `ok` or `error`.
    pub outcome: String,
}

/// A failed GraphQL operation and its error code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub operation: String,
    pub code: String,
}

/// An operation, for latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabel {
    pub operation: String,
}

/// An HTTP route family and the response status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub status: String,
}

/// Every metric the server keeps.
pub struct Metrics {
    registry: MetricRegistry,
    operations: Family<OperationLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: Family<OperationLabel, Histogram>,
    http: Family<HttpLabels, Counter>,
    proof_verification: Histogram,
    proofs_in_flight: Gauge,
    anchors_lost: Counter,
    anchoring_lag: Gauge<f64, AtomicU64>,
    unanchored_entries: Gauge,
    write_batches: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

/// Latency buckets from 0.5 ms to about 16 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = MetricRegistry::with_prefix("provreg");
        let operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "graphql_operations",
            "GraphQL root fields resolved, by operation and outcome",
            operations.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "graphql_errors",
            "GraphQL root fields that failed, by operation and error code",
            errors.clone(),
        );
        let durations = Family::<OperationLabel, Histogram>::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "graphql_operation_duration_seconds",
            "Time to resolve a GraphQL root field (registrations included), by operation",
            durations.clone(),
        );
        let http = Family::<HttpLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route family and status", http.clone());
        let proof_verification = latency();
        registry.register(
            "proof_verification_duration_seconds",
            "Time to check one zk proof at token registration",
            proof_verification.clone(),
        );
        let proofs_in_flight = Gauge::default();
        registry.register(
            "proof_verifications_in_flight",
            "Proof checks running or waiting for the prover (its queue depth)",
            proofs_in_flight.clone(),
        );
        let anchors_lost = Counter::default();
        registry.register(
            "anchors_lost",
            "Confirmed anchors the chain no longer held, made pending and anchored again",
            anchors_lost.clone(),
        );
        let anchoring_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "anchoring_lag_seconds",
            "Age of the oldest log entry not yet in a confirmed anchor (0 when all are anchored)",
            anchoring_lag.clone(),
        );
        let unanchored_entries = Gauge::default();
        registry.register("unbatched_log_entries", "Log entries not yet in any batch", unanchored_entries.clone());
        let write_batches = Histogram::new(exponential_buckets(1.0, 2.0, 7));
        registry.register(
            "write_batch_size",
            "Registrations run in one shared transaction (group commit, SQLite only), stored or not",
            write_batches.clone(),
        );
        Self {
            registry,
            operations,
            errors,
            durations,
            http,
            proof_verification,
            proofs_in_flight,
            anchors_lost,
            anchoring_lag,
            unanchored_entries,
            write_batches,
        }
    }

    /// Records one group-commit transaction of `size` registrations.
    pub fn write_batch(&self, size: usize) {
        self.write_batches.observe(size as f64);
    }

    /// Counts an HTTP answer of `path` with `status`.
    pub fn http_request(&self, path: &str, status: u16) {
        let labels = HttpLabels { route: route_family(path).to_owned(), status: status.to_string() };
        self.http.get_or_create(&labels).inc();
    }

    /// Times one proof check: the returned guard records its duration and keeps it counted in
    /// flight until dropped.
    pub fn proof_check(&self) -> ProofCheckTimer {
        self.proofs_in_flight.inc();
        ProofCheckTimer { started: Instant::now() }
    }

    /// Counts anchors the chain lost.
    pub fn anchors_lost(&self, n: u64) {
        self.anchors_lost.inc_by(n);
    }

    /// The text exposition, with the database gauges read from `registry` first.
    pub async fn render(&self, registry: &Registry) -> AppResult<String> {
        self.read_database(registry).await?;
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(crate::error::AppError::from_display)?;
        Ok(out)
    }

    async fn read_database(&self, registry: &Registry) -> AppResult<()> {
        use sea_orm::PaginatorTrait;
        let unbatched = log_entry::Entity::find().filter(log_entry::Column::Seq.is_null());
        let count = unbatched.clone().count(&registry.db).await?;
        self.unanchored_entries.set(i64::try_from(count).unwrap_or(i64::MAX));
        let oldest_unbatched: Option<chrono::DateTime<chrono::Utc>> = unbatched
            .select_only()
            .column(log_entry::Column::CreatedAt)
            .order_by_asc(log_entry::Column::CreatedAt)
            .into_tuple()
            .one(&registry.db)
            .await?;
        let oldest_unconfirmed: Option<chrono::DateTime<chrono::Utc>> = anchor::Entity::find()
            .filter(anchor::Column::Status.ne(CONFIRMED))
            .select_only()
            .column(anchor::Column::CreatedAt)
            .order_by_asc(anchor::Column::CreatedAt)
            .into_tuple()
            .one(&registry.db)
            .await?;
        let oldest = [oldest_unbatched, oldest_unconfirmed].into_iter().flatten().min();
        let lag = oldest.map_or(0.0, |t| (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0);
        self.anchoring_lag.set(lag);
        Ok(())
    }
}

/// A running proof check; see [`Metrics::proof_check`].
#[derive(Debug)]
pub struct ProofCheckTimer {
    started: Instant,
}

impl Drop for ProofCheckTimer {
    fn drop(&mut self) {
        let m = metrics();
        m.proofs_in_flight.dec();
        m.proof_verification.observe(self.started.elapsed().as_secs_f64());
    }
}

/// The route family of a request path: a fixed set, so labels stay few.
fn route_family(path: &str) -> &'static str {
    const FAMILIES: [&str; 8] =
        ["/graphql", "/audit/graphql", "/schemas", "/certificates", "/tokens", "/healthz", "/readyz", "/metrics"];
    FAMILIES
        .into_iter()
        .find(|f| path == *f || path.strip_prefix(f).is_some_and(|rest| rest.starts_with('/')))
        .unwrap_or("other")
}

/// The GraphQL extension that counts and times root fields.
pub struct OperationMetrics;

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> std::sync::Arc<dyn Extension> {
        std::sync::Arc::new(OperationMetricsExtension)
    }
}

struct OperationMetricsExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for OperationMetricsExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        let kind = if info.parent_type == "Mutation" { "mutation" } else { "query" };
        let operation = format!("{kind}.{}", info.name);
        let started = Instant::now();
        let result = next.run(ctx, info).await;
        let m = metrics();
        m.durations
            .get_or_create(&OperationLabel { operation: operation.clone() })
            .observe(started.elapsed().as_secs_f64());
        let outcome = if result.is_ok() { "ok" } else { "error" };
        if let Err(e) = &result {
            // Codes are published at the response boundary; here the error is still typed.
            let code = match e.source::<crate::error::AppError>() {
                Some(app) => app.code().to_owned(),
                None => e
                    .extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .and_then(|v| if let Value::String(s) = v { Some(s.clone()) } else { None })
                    .unwrap_or_else(|| "UNKNOWN".to_owned()),
            };
            m.errors.get_or_create(&ErrorLabels { operation: operation.clone(), code }).inc();
        }
        m.operations.get_or_create(&OperationLabels { operation, outcome: outcome.to_owned() }).inc();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::route_family;

    #[test]
    fn routes_fall_into_a_few_families() {
        assert_eq!(route_family("/graphql"), "/graphql");
        assert_eq!(route_family("/audit/graphql"), "/audit/graphql");
        assert_eq!(route_family("/tokens/1/0xabc/7/evidence"), "/tokens");
        assert_eq!(route_family("/tokensx"), "other");
        assert_eq!(route_family("/"), "other");
    }
}
