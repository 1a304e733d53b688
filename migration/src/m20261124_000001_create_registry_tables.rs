//! Licences, datasets, models, model versions, training inputs, status events and API keys.
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns every immutable record carries.
fn record_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table.col(blob("canonical")).col(string_len("digest", 64)).col(timestamp_with_time_zone("created_at"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            record_columns(
                Table::create()
                    .table("licenses")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string_null("spdx_id"))
                    .col(boolean("commercial_use"))
                    .col(string_len("ai_training", 16))
                    .col(timestamp_with_time_zone_null("expires_at")),
            )
            .to_owned(),
            record_columns(
                Table::create()
                    .table("datasets")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string("version"))
                    .col(text("uri"))
                    .col(string_len("content_sha256", 64))
                    .col(big_integer("record_count"))
                    .col(uuid("license_id")),
            )
            .foreign_key(ForeignKey::create().from("datasets", "license_id").to("licenses", "id"))
            .to_owned(),
            Table::create()
                .table("dataset_derivations")
                .col(uuid("dataset_id"))
                .col(uuid("source_id"))
                .primary_key(Index::create().col("dataset_id").col("source_id"))
                .foreign_key(ForeignKey::create().from("dataset_derivations", "dataset_id").to("datasets", "id"))
                .foreign_key(ForeignKey::create().from("dataset_derivations", "source_id").to("datasets", "id"))
                .to_owned(),
            Table::create()
                .table("models")
                .col(pk_uuid("id"))
                .col(string_uniq("name"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            record_columns(
                Table::create()
                    .table("model_versions")
                    .col(pk_uuid("id"))
                    .col(uuid("model_id"))
                    .col(string("version_label"))
                    .col(string_len("weights_sha256", 64))
                    .col(string("architecture"))
                    .col(uuid("license_id"))
                    .col(uuid_null("parent_id"))
                    .col(string_len_null("parent_relation", 16)),
            )
            .foreign_key(ForeignKey::create().from("model_versions", "model_id").to("models", "id"))
            .foreign_key(ForeignKey::create().from("model_versions", "license_id").to("licenses", "id"))
            .foreign_key(ForeignKey::create().from("model_versions", "parent_id").to("model_versions", "id"))
            .to_owned(),
            Table::create()
                .table("training_inputs")
                .col(uuid("model_version_id"))
                .col(uuid("dataset_id"))
                .col(string_len("role", 16))
                .primary_key(Index::create().col("model_version_id").col("dataset_id").col("role"))
                .foreign_key(
                    ForeignKey::create().from("training_inputs", "model_version_id").to("model_versions", "id"),
                )
                .foreign_key(ForeignKey::create().from("training_inputs", "dataset_id").to("datasets", "id"))
                .to_owned(),
            record_columns(
                Table::create()
                    .table("status_events")
                    .col(pk_uuid("id"))
                    .col(string_len("subject_kind", 16))
                    .col(uuid("subject_id"))
                    .col(string_len("status", 16))
                    .col(text("reason"))
                    .col(uuid_null("actor_key_id")),
            )
            .to_owned(),
            Table::create()
                .table("api_keys")
                .col(pk_uuid("id"))
                .col(string("name"))
                .col(string_len("role", 16))
                .col(string_len_uniq("key_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("ux_licenses_digest", "licenses", &["digest"], true),
            index("ux_licenses_name", "licenses", &["name"], true),
            index("ix_licenses_ai_training", "licenses", &["ai_training"], false),
            index("ux_datasets_digest", "datasets", &["digest"], true),
            index("ux_datasets_name_version", "datasets", &["name", "version"], true),
            index("ix_datasets_license", "datasets", &["license_id"], false),
            index("ix_dataset_derivations_source", "dataset_derivations", &["source_id", "dataset_id"], false),
            index("ux_model_versions_digest", "model_versions", &["digest"], true),
            index("ux_model_versions_label", "model_versions", &["model_id", "version_label"], true),
            index("ix_model_versions_parent", "model_versions", &["parent_id"], false),
            index("ix_model_versions_license", "model_versions", &["license_id"], false),
            index("ix_training_inputs_dataset", "training_inputs", &["dataset_id", "model_version_id"], false),
            index("ix_status_events_subject", "status_events", &["subject_id", "id"], false),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "api_keys",
            "status_events",
            "training_inputs",
            "model_versions",
            "models",
            "dataset_derivations",
            "datasets",
            "licenses",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
