//! Licence terms (immutable).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licenses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub spdx_id: Option<String>,
    pub commercial_use: bool,
    /// `allowed`, `notAllowed` or `constrained`.
    pub ai_training: String,
    pub expires_at: Option<DateTimeUtc>,
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
