//! The metadata-update feed: token ranges whose metadata changed because a record in
//! their lineage changed status (ERC-4906 `BatchMetadataUpdate` style).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "metadata_updates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub chain_id: i64,
    pub contract: String,
    /// First token ID of the range (decimal).
    pub from_token_id: String,
    /// Last token ID of the range, inclusive (decimal).
    pub to_token_id: String,
    /// Registered tokens in the range.
    pub token_count: i64,
    /// `modelVersionRevoked`, `datasetRevoked`, `licenseWithdrawn`, … (the status change).
    pub reason: String,
    pub status_event_id: Uuid,
    pub created_at: DateTimeUtc,
    /// Outbox state: `pending`, `sent`, `confirmed`, or `offChain` (the contract was not a
    /// recorded collection when the row was written; never sent).
    pub status: String,
    /// The `BatchMetadataUpdate` transaction (`0x` hex), saved before waiting for it.
    pub tx_hash: Option<String>,
    /// The chain's newest block when the first send was decided: a transaction of this row
    /// can only be in a later block.
    pub intent_block: Option<i64>,
    /// When the transaction was sent.
    pub sent_at: Option<DateTimeUtc>,
    /// The block that holds the transaction, once confirmed.
    pub confirmed_block: Option<i64>,
    /// Rounds that settled the row or failed at it.
    pub attempts: i32,
    /// Why the last attempt failed (cleared by success).
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
