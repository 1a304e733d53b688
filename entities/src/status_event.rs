//! Status changes of records; the newest event of a subject is its status.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `license`, `dataset` or `modelVersion`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    /// `active`, `deprecated`, `revoked` or `withdrawn`.
    pub status: String,
    pub reason: String,
    pub actor_key_id: Option<Uuid>,
    /// RFC 8785 canonical bytes of the accepted payload.
    pub canonical: Vec<u8>,
    /// Lower-case hex SHA-256 of `canonical`.
    pub digest: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
