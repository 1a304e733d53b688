//! What a query may cost.
//!
//! Three bounds, from cheapest to check to latest:
//! - complexity weights (the constants below, used in `#[graphql(complexity = …)]`), so the
//!   schema's complexity limit sees the work behind a field and refuses a query of many
//!   aliases of it before anything runs;
//! - a per-request budget of expensive resolutions (evidence bundles, certificate manifests
//!   and validations) and of the bytes they add to the answer, since lists and lineage
//!   reach more records than validation can count;
//! - a semaphore shared by all requests, so expensive resolutions never hold more than a
//!   few database connections and worker threads at once.
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::Context;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult};

/// Complexity of an evidence bundle: the token's whole upstream lineage with certificates,
/// log entries, inclusion proofs, anchors, its proof and circuit files.
pub const EVIDENCE: usize = 500;
/// Complexity of decoding (and validating) one C2PA manifest store.
pub const C2PA: usize = 100;
/// Complexity of a recursive walk of the lineage graph.
pub const GRAPH_WALK: usize = 100;
/// Complexity of a token's upstream status (a walk of its model version's lineage, usually
/// short).
pub const UPSTREAM_STATUS: usize = 10;

/// The complexity of a page of `first` items, each of complexity `child` (`first` as the
/// field receives it, before its range is checked).
pub fn page(first: Option<i32>, default: i32, child: usize) -> usize {
    let items = usize::try_from(first.unwrap_or(default)).unwrap_or(0);
    items.max(1).saturating_mul(child).saturating_add(1)
}

/// The bounds shared by every request of a server.
#[derive(Debug, Clone)]
pub struct CostLimits {
    permits: Arc<Semaphore>,
    per_request: usize,
    response_bytes: usize,
}

impl CostLimits {
    /// At most `per_request` expensive resolutions per request, `concurrent` at once in
    /// total (at least 1), and answers of at most `response_bytes`.
    pub fn new(per_request: usize, concurrent: usize, response_bytes: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrent.max(1))), per_request, response_bytes }
    }

    /// The largest answer, in bytes.
    pub fn response_bytes(&self) -> usize {
        self.response_bytes
    }
}

/// What one request has spent; attached to each request as request data.
#[derive(Debug, Default)]
pub struct RequestBudget {
    resolutions: AtomicUsize,
    bytes: AtomicUsize,
}

/// Leave to run one expensive resolution (`what`, for the error): counted against the
/// request's budget, then waits for a slot in the shared semaphore. The slot is held until
/// the returned permit is dropped.
pub async fn expensive(ctx: &Context<'_>, what: &'static str) -> AppResult<OwnedSemaphorePermit> {
    let limits = ctx.data::<CostLimits>().map_err(|_| AppError::Internal("cost limits missing from context".into()))?;
    if let Some(budget) = ctx.data_opt::<RequestBudget>() {
        let n = budget.resolutions.fetch_add(1, Ordering::Relaxed) + 1;
        if n > limits.per_request {
            return Err(AppError::TooExpensive(format!(
                "{what}: a request may make at most {} evidence bundles, certificate manifests and validations \
                 together (limits.max_expensive_per_request); ask for fewer per request",
                limits.per_request
            )));
        }
    }
    limits.permits.clone().acquire_owned().await.map_err(|_| AppError::Internal("cost semaphore closed".into()))
}

/// Counts `value`'s serialised size against the request's response budget; refuses it when
/// the answer would grow beyond `limits.max_response_bytes`.
pub fn charge(ctx: &Context<'_>, value: &serde_json::Value) -> AppResult<()> {
    let (Ok(limits), Some(budget)) = (ctx.data::<CostLimits>(), ctx.data_opt::<RequestBudget>()) else {
        return Ok(());
    };
    let size = json_len(value);
    let total = budget.bytes.fetch_add(size, Ordering::Relaxed).saturating_add(size);
    if total > limits.response_bytes {
        return Err(AppError::ResponseTooLarge { limit: limits.response_bytes });
    }
    Ok(())
}

/// The length of `value` serialised as JSON, without keeping the bytes.
fn json_len(value: &serde_json::Value) -> usize {
    struct Counter(usize);
    impl Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into the counter cannot fail; a value that does not serialise counts as empty.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_counts_each_item() {
        assert_eq!(page(Some(10), 50, 3), 31);
        assert_eq!(page(None, 50, 3), 151);
        assert_eq!(page(Some(-5), 50, 3), 4);
        assert_eq!(page(Some(i32::MAX), 50, usize::MAX), usize::MAX);
    }

    #[test]
    fn json_len_is_the_serialised_length() {
        let v = serde_json::json!({"a": [1, 2, "three"], "b": null});
        assert_eq!(json_len(&v), serde_json::to_vec(&v).unwrap().len());
    }
}
