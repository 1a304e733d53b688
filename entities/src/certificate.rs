//! C2PA birth certificates: one signed manifest store per record.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `license`, `dataset`, `modelVersion` or `token`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    /// The active manifest's label (a URN).
    pub manifest_label: String,
    /// Lower-case hex SHA-256 of `manifest_store`.
    pub digest: String,
    /// Media type the manifest is bound to.
    pub format: String,
    /// Lower-case hex SHA-256 of the bytes the manifest is bound to by data hash.
    pub bound_sha256: String,
    /// Subject of the signing certificate.
    pub signer: String,
    /// Hex SHA-256 of the signing certificate (DER).
    pub signer_fingerprint: String,
    /// The signed C2PA manifest store (JUMBF), as served at `/certificates/{id}.c2pa`.
    pub manifest_store: Vec<u8>,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
