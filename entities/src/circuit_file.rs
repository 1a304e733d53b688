//! The files a circuit's proofs are verified with, kept apart from the circuit row.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "circuit_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub circuit_id: Uuid,
    /// The circuit settings (JSON).
    pub settings: Vec<u8>,
    pub verifying_key: Vec<u8>,
    /// The structured reference string the keys were made with.
    pub srs: Vec<u8>,
    /// The ONNX model the verifying key was derived from (absent for circuits registered
    /// before circuits were bound to their weights).
    pub onnx: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
