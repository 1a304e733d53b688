//! Impact: what a licence, dataset or model version reaches downstream (datasets, model
//! versions) and the tokens those versions generated (`affectedTokens`), read in one
//! transaction with the same walks the API uses.
use std::collections::HashMap;

use provreg_schema::RecordKind;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::snapshot::{self, Snapshot};
use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::affected::{newest_status_events, tokens_in};
use crate::service::as_of::{AsOf, Cut};
use crate::service::lineage::{Direction, NodeRef, lineage_in};

/// Most tokens one impact export lists.
pub const MAX_TOKENS: usize = 100_000;
/// Tokens read per query.
const TOKEN_PAGE: u64 = 1_000;
/// Lineage depth of a token's upstream status walk: far beyond any real chain.
const ANY_DEPTH: u32 = 1_000_000;

/// A token reached downstream.
#[derive(Debug, Clone)]
pub struct ImpactToken {
    pub id: Uuid,
    /// `chainId/contract/tokenId`.
    pub name: String,
    pub digest: String,
    /// Its model version's depth plus one.
    pub depth: u32,
    pub chain_id: i64,
    pub contract: String,
    pub token_id: String,
    pub model_version: Uuid,
    /// `active`, or `affected` when a record upstream of the token is not active (as the
    /// token's `provenanceStatus`).
    pub provenance_status: &'static str,
}

/// The downstream lineage of a record and the tokens it reaches.
#[derive(Debug, Clone)]
pub struct Impact {
    pub snapshot: Snapshot,
    pub tokens: Vec<ImpactToken>,
}

/// The impact of `of` (a licence, dataset or model version), at most `max_depth` hops (a
/// token counts one hop beyond its model version), as of `as_of` (now when `None`: records,
/// tokens and status events after the point are left out), in a read transaction of its own.
pub async fn of(registry: &Registry, of: Uuid, max_depth: u32, as_of: Option<AsOf>) -> AppResult<Impact> {
    let txn = snapshot::begin_read(registry).await?;
    let cut = Cut::resolve(&txn, as_of).await?;
    let kind = snapshot::resolve(&txn, of).await?;
    let Some(start) = snapshot::node(kind, of) else {
        return Err(AppError::bad_input(
            "of",
            "kind",
            "a token reaches nothing downstream; give a licence, dataset or model version",
        ));
    };
    let snap = snapshot::take(&txn, of, Direction::Downstream, max_depth, &cut).await?;
    let tokens = tokens(&txn, start, &snap, &cut).await?;
    txn.commit().await?;
    Ok(Impact { snapshot: snap, tokens })
}

/// The tokens of the model versions in `snap` that lie within its depth, in the state of
/// `cut`.
async fn tokens(
    conn: &impl ConnectionTrait,
    start: NodeRef,
    snap: &Snapshot,
    cut: &Cut,
) -> AppResult<Vec<ImpactToken>> {
    let depth_of: HashMap<Uuid, u32> =
        snap.nodes.iter().filter(|n| n.kind == RecordKind::ModelVersion).map(|n| (n.id, n.depth)).collect();
    let mut status_of: HashMap<Uuid, &'static str> = HashMap::new();
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = tokens_in(conn, start, after, TOKEN_PAGE, cut).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for t in page {
            let Some(depth) = depth_of.get(&t.model_version_id).map(|d| d + 1).filter(|d| *d <= snap.max_depth) else {
                continue;
            };
            let status = match status_of.get(&t.model_version_id) {
                Some(s) => *s,
                None => {
                    let s = provenance_status(conn, t.model_version_id, cut).await?;
                    status_of.insert(t.model_version_id, s);
                    s
                }
            };
            out.push(ImpactToken {
                id: t.id,
                name: format!("{}/{}/{}", t.chain_id, t.contract, t.token_id),
                digest: t.digest,
                depth,
                chain_id: t.chain_id,
                contract: t.contract,
                token_id: t.token_id,
                model_version: t.model_version_id,
                provenance_status: status,
            });
            if out.len() > MAX_TOKENS {
                return Err(AppError::bad_input(
                    "maxDepth",
                    "maximum",
                    format!("this impact reaches over {MAX_TOKENS} tokens; ask for a smaller maxDepth"),
                ));
            }
        }
    }
    Ok(out)
}

/// `affected` when a record in the upstream lineage of `version` (itself included) is not
/// active in the state of `cut`, else `active`.
async fn provenance_status(conn: &impl ConnectionTrait, version: Uuid, cut: &Cut) -> AppResult<&'static str> {
    let lineage = lineage_in(conn, NodeRef::ModelVersion(version), Direction::Upstream, ANY_DEPTH, cut).await?;
    let ids: Vec<Uuid> = lineage.nodes.iter().map(|(n, _)| n.id()).collect();
    let newest = newest_status_events(conn, &ids, cut).await?;
    Ok(if newest.values().any(|e| e.status != "active") { "affected" } else { "active" })
}
