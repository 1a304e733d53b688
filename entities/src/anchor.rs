//! Anchors: one contiguous batch of log entries committed as one Merkle root on chain.
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
