//! Model versions (immutable), with an optional parent edge.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub model_id: Uuid,
    pub version_label: String,
    pub weights_sha256: String,
    pub architecture: String,
    pub license_id: Uuid,
    pub parent_id: Option<Uuid>,
    /// `finetune` or `retrain` when `parent_id` is set.
    pub parent_relation: Option<String>,
    /// RFC 8785 canonical bytes of the accepted payload.
    pub canonical: Vec<u8>,
    /// Lower-case hex SHA-256 of `canonical`.
    #[sea_orm(unique)]
    pub digest: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
