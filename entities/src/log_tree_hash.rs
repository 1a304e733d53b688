//! The log tree's stored hashes: one row per complete subtree, by stored hash index.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_tree_hashes")]
pub struct Model {
    /// The stored hash index (level and position, as C2SP tlog tiles number them).
    #[sea_orm(primary_key, auto_increment = false)]
    pub idx: i64,
    /// Lower-case hex SHA-256.
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
