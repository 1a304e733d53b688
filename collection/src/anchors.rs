//! Waiting until the registered tokens' log entries are in confirmed anchors.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::Client;
use crate::error::Result;
use crate::progress::Progress;
use crate::queries::ANY_ANCHOR;
use crate::spec::Spec;
use crate::summary::{AnchorReport, AnchorState, TokenOutcome};

/// How often anchors are polled.
const ANCHOR_POLL: Duration = Duration::from_secs(1);

/// How long to wait before concluding that a server which has never anchored anything
/// has no anchoring (a development server anchors every 10 seconds).
const NO_ANCHORING_GRACE: Duration = Duration::from_secs(30);

/// Tokens asked about in one anchor poll.
const POLL_CHUNK: usize = 100;

/// Polls the registered tokens' log entries until all are in confirmed anchors, the
/// timeout passes, or the server turns out to have no anchoring.
pub(crate) async fn wait_for_anchors(
    client: &Client,
    spec: &Spec,
    tokens: &mut [TokenOutcome],
    timeout: Duration,
    progress: &Progress,
) -> AnchorReport {
    let watched: Vec<usize> = (0..tokens.len()).filter(|&i| tokens[i].is_registered()).collect();
    if watched.is_empty() {
        return AnchorReport::NothingToWait;
    }
    let started = Instant::now();
    let grace = timeout.min(NO_ANCHORING_GRACE);
    let mut last_confirmed = None;
    loop {
        for chunk in watched.chunks(POLL_CHUNK) {
            match anchor_states(client, spec, chunk.iter().map(|&i| tokens[i].token_id)).await {
                Ok(states) => {
                    for (&i, state) in chunk.iter().zip(states) {
                        tokens[i].anchor = Some(state);
                    }
                }
                Err(e) => return AnchorReport::Failed(e.with_causes()),
            }
        }
        let states: Vec<&AnchorState> = watched.iter().filter_map(|&i| tokens[i].anchor.as_ref()).collect();
        let confirmed = states.iter().filter(|s| s.status == "CONFIRMED").count();
        let message = format!("waiting for anchors: {confirmed}/{} confirmed", watched.len());
        if last_confirmed.replace(confirmed) == Some(confirmed) {
            progress.status(message);
        } else {
            progress.step(message);
        }
        let waited = started.elapsed();
        if confirmed == watched.len() {
            return AnchorReport::Confirmed { tokens: confirmed, waited };
        }
        let none_batched = states.iter().all(|s| s.status == "UNBATCHED");
        if none_batched && waited >= grace {
            match client.request("anchors", ANY_ANCHOR, json!({})).await {
                Ok(data) if data["anchors"]["edges"].as_array().is_some_and(Vec::is_empty) => {
                    return AnchorReport::NoAnchoring { waited };
                }
                Ok(_) => {}
                Err(e) => return AnchorReport::Failed(e.with_causes()),
            }
        }
        if waited >= timeout {
            let last_error = states.iter().find_map(|s| s.last_error.clone());
            return AnchorReport::TimedOut { confirmed, pending: watched.len() - confirmed, last_error };
        }
        tokio::time::sleep(ANCHOR_POLL.min(timeout.saturating_sub(waited))).await;
    }
}

/// The anchor state of each of `ids`, in order, in one request.
async fn anchor_states(client: &Client, spec: &Spec, ids: impl Iterator<Item = u64>) -> Result<Vec<AnchorState>> {
    let ids: Vec<u64> = ids.collect();
    let mut query = String::from("query($chain: Int!, $contract: String!) {");
    for (i, id) in ids.iter().enumerate() {
        // Token IDs are integers, so the query text is safe to build.
        query.push_str(&format!(
            " t{i}: token(chainId: $chain, contract: $contract, tokenId: \"{id}\") {{ logEntry {{ seq anchor {{ \
             status txHash lastError }} }} }}"
        ));
    }
    query.push_str(" }");
    let data = client
        .request("anchor status", &query, json!({ "chain": spec.collection.chain_id, "contract": spec.contract() }))
        .await?;
    Ok((0..ids.len())
        .map(|i| {
            let entry = &data[format!("t{i}")]["logEntry"];
            let anchor = &entry["anchor"];
            let status = match anchor["status"].as_str() {
                Some(status) => status.to_owned(),
                None => "UNBATCHED".to_owned(),
            };
            AnchorState {
                status,
                tx_hash: anchor["txHash"].as_str().map(str::to_owned),
                last_error: anchor["lastError"].as_str().map(str::to_owned),
            }
        })
        .collect())
}
