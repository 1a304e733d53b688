//! A model version's zkML circuit: what proofs of its runs are checked against.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "circuits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// One circuit per model version.
    pub model_version_id: Uuid,
    /// Proof system, e.g. `ezkl`.
    pub proof_system: String,
    /// Version of the proof system the keys were made with.
    pub system_version: String,
    /// Hex SHA-256 of the ONNX model; equals the model version's `weights_sha256`.
    pub onnx_sha256: String,
    pub settings_sha256: String,
    pub vk_sha256: String,
    pub srs_sha256: String,
    /// Hex SHA-256 over the raw ONNX, settings and verifying-key digests.
    pub commitment: String,
    /// Fixed-point scale (log2) of the public inputs.
    pub input_scale: i32,
    /// Fixed-point scale (log2) of the public outputs.
    pub output_scale: i32,
    pub input_len: i32,
    pub output_len: i32,
    /// Whether the registry derived the verifying key from the ONNX model itself (false for
    /// circuits registered before circuits were bound to their weights).
    pub bound_to_weights: bool,
    /// Hex SHA-256 of the circuit the registry compiled the key from, when bound.
    pub compiled_sha256: Option<String>,
    /// Lower-case hex SHA-256 of `canonical`.
    pub digest: String,
    /// RFC 8785 canonical bytes of the circuit record.
    pub canonical: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
