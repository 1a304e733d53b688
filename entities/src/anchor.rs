//! Anchors: one contiguous batch of log entries committed on chain, either as the batch's
//! Merkle root (`kind = "batch"`, a `ProvenanceAnchor` contract) or as a linked state of the
//! whole log (`kind = "state"`, a `ProvenanceLog` contract; a heartbeat state covers no new
//! entry, `size = 0`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anchors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub chain_id: i64,
    /// Contract address, `0x`-prefixed hex.
    pub contract: String,
    pub first_seq: i64,
    pub size: i64,
    /// Hex Merkle root of the batch.
    pub root: String,
    /// `pending` (built, not yet sent), `sent` (transaction sent) or `confirmed`.
    pub status: String,
    pub tx_hash: Option<String>,
    pub block_number: Option<i64>,
    /// The contract's batch number.
    pub batch_id: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    /// `batch` or `state`.
    pub kind: String,
    /// `state`: hex root of the whole log's RFC 6962 tree of `first_seq + size` entries.
    pub log_root: Option<String>,
    /// `state`: hex root of the status map at that size.
    pub status_root: Option<String>,
    /// `state`: hex head of the state before (64 zeros for the first).
    pub prev_head: Option<String>,
    /// `state`: hex head, the value the contract stores.
    pub head: Option<String>,
    /// `state`: the anchoring block's timestamp (Unix seconds), once confirmed.
    pub block_time: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
