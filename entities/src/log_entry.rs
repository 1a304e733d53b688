//! The append-only log: one entry per accepted record.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Gap-free position in the log, assigned by the anchor worker in commit order; `None`
    /// until the entry is taken into a batch.
    pub seq: Option<i64>,
    /// `license`, `dataset`, `modelVersion`, `statusEvent` or `token`.
    pub record_kind: String,
    pub record_id: Uuid,
    /// Hex SHA-256 of the record's canonical bytes.
    pub record_digest: String,
    /// Hex SHA-256 of the record's certificate (64 zeros for records without one).
    pub certificate_digest: String,
    /// Hex log leaf: SHA-256 over kind, record digest and certificate digest.
    pub leaf: String,
    pub anchor_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
