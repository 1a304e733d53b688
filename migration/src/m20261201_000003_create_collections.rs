//! On-chain collections: a model version's `ProvregCollection` contract, deployed by the
//! registry, with the circuit's EVM verifier it calls. One row per contract on a chain.
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = Table::create()
            .table("collections")
            .col(pk_uuid("id"))
            .col(uuid("model_version_id"))
            .col(uuid("circuit_id"))
            .col(big_integer("chain_id"))
            .col(string_len("address", 42))
            .col(string_len("name", 100))
            .col(string_len("symbol", 16))
            .col(string_len("minter", 42))
            .col(string_len("registry_account", 42))
            .col(string_len("verifier_address", 42))
            .col(string_len("verifier_code_hash", 66))
            .col(string_len("verifier_compiler", 100))
            .col(string_len("deploy_tx", 66))
            .col(big_integer("deploy_block"))
            .col(blob("canonical"))
            .col(string_len("digest", 64))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(ForeignKey::create().from("collections", "model_version_id").to("model_versions", "id"))
            .foreign_key(ForeignKey::create().from("collections", "circuit_id").to("circuits", "id"))
            .to_owned();
        manager.create_table(table).await?;
        let indexes = [
            index("ux_collections_chain_address", "collections", &["chain_id", "address"], true),
            index("ix_collections_model_version", "collections", &["model_version_id"], false),
            index("ix_collections_circuit_chain", "collections", &["circuit_id", "chain_id"], false),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("collections").to_owned()).await
    }
}
