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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
