//! The log as one RFC 6962 tree: its stored hashes (the hash of every complete subtree, at the
//! stored hash index of the C2SP tlog tiles layout), written once as entries are numbered, so
//! tree heads, inclusion and consistency proofs need no rehashing.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("log_tree_hashes")
                    .if_not_exists()
                    .col(big_integer("idx").primary_key())
                    .col(string_len("hash", 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("log_tree_hashes").to_owned()).await
    }
}
