//! The zero-knowledge proof a token was accepted with.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proof_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub token_id: Uuid,
    pub system: String,
    pub system_version: String,
    pub vk_sha256: String,
    pub settings_sha256: String,
    pub model_commitment: String,
    /// JSON array of hex field elements.
    pub public_inputs: String,
    /// JSON array of hex field elements.
    pub public_outputs: String,
    pub proof: Vec<u8>,
    /// Lower-case hex SHA-256 of the record's canonical JSON.
    pub digest: String,
    pub verified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
