//! Circuits (a model version's zkML circuit), tokens with their proof records, signed
//! token assets, and the metadata-update feed.
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("circuits")
                .col(pk_uuid("id"))
                .col(uuid("model_version_id"))
                .col(string_len("proof_system", 32))
                .col(string_len("system_version", 32))
                .col(string_len("onnx_sha256", 64))
                .col(string_len("settings_sha256", 64))
                .col(string_len("vk_sha256", 64))
                .col(string_len("srs_sha256", 64))
                .col(string_len("commitment", 64))
                .col(integer("input_scale"))
                .col(integer("output_scale"))
                .col(integer("input_len"))
                .col(integer("output_len"))
                .col(string_len("digest", 64))
                .col(blob("canonical"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("circuits", "model_version_id").to("model_versions", "id"))
                .to_owned(),
            Table::create()
                .table("circuit_files")
                .col(pk_uuid("circuit_id"))
                .col(blob("settings"))
                .col(blob("verifying_key"))
                .col(blob("srs"))
                .foreign_key(ForeignKey::create().from("circuit_files", "circuit_id").to("circuits", "id"))
                .to_owned(),
            Table::create()
                .table("tokens")
                .col(pk_uuid("id"))
                .col(big_integer("chain_id"))
                .col(string_len("contract", 42))
                .col(string_len("token_id", 78))
                .col(uuid("model_version_id"))
                .col(uuid("circuit_id"))
                .col(string_len("asset_sha256", 64))
                .col(string_len("media_type", 100))
                .col(string_len("input_seed", 64))
                .col(string_len("seed_source_kind", 16))
                .col(text_null("seed_request_id"))
                .col(string_len_null("seed_tx_hash", 66))
                .col(text("traits"))
                .col(text_null("name"))
                .col(string_len("digest", 64))
                .col(blob("canonical"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("tokens", "model_version_id").to("model_versions", "id"))
                .foreign_key(ForeignKey::create().from("tokens", "circuit_id").to("circuits", "id"))
                .to_owned(),
            Table::create()
                .table("proof_records")
                .col(pk_uuid("id"))
                .col(uuid("token_id"))
                .col(string_len("system", 32))
                .col(string_len("system_version", 32))
                .col(string_len("vk_sha256", 64))
                .col(string_len("settings_sha256", 64))
                .col(string_len("model_commitment", 64))
                .col(text("public_inputs"))
                .col(text("public_outputs"))
                .col(blob("proof"))
                .col(string_len("digest", 64))
                .col(timestamp_with_time_zone("verified_at"))
                .foreign_key(ForeignKey::create().from("proof_records", "token_id").to("tokens", "id"))
                .to_owned(),
            Table::create()
                .table("token_assets")
                .col(pk_uuid("token_id"))
                .col(string_len("media_type", 100))
                .col(blob("signed_asset"))
                .foreign_key(ForeignKey::create().from("token_assets", "token_id").to("tokens", "id"))
                .to_owned(),
            Table::create()
                .table("metadata_updates")
                .col(big_pk_auto("seq"))
                .col(big_integer("chain_id"))
                .col(string_len("contract", 42))
                .col(string_len("from_token_id", 78))
                .col(string_len("to_token_id", 78))
                .col(big_integer("token_count"))
                .col(string_len("reason", 32))
                .col(uuid("status_event_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("metadata_updates", "status_event_id").to("status_events", "id"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("ux_circuits_model_version", "circuits", &["model_version_id"], true),
            index("ux_tokens_chain_contract_token", "tokens", &["chain_id", "contract", "token_id"], true),
            index("ix_tokens_model_version", "tokens", &["model_version_id"], false),
            index("ux_proof_records_token", "proof_records", &["token_id"], true),
            index("ix_metadata_updates_event", "metadata_updates", &["status_event_id"], false),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["metadata_updates", "token_assets", "proof_records", "tokens", "circuit_files", "circuits"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
