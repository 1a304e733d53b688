//! The stored Merkle tree of an anchor's batch, so proofs are served without rehashing.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anchor_trees")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub anchor_id: Uuid,
    /// The leaves, then every level of nodes up to the root, 32 bytes each.
    pub levels: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
