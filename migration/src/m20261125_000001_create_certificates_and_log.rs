//! Birth certificates, the append-only log and its on-chain anchors.
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("certificates")
                .col(pk_uuid("id"))
                .col(string_len("subject_kind", 16))
                .col(uuid("subject_id"))
                .col(text("manifest_label"))
                .col(string_len("digest", 64))
                .col(string("format"))
                .col(string_len("bound_sha256", 64))
                .col(text("signer"))
                .col(string_len("signer_fingerprint", 64))
                .col(blob("manifest_store"))
                .col(timestamp_with_time_zone("issued_at"))
                .to_owned(),
            Table::create()
                .table("anchors")
                .col(pk_uuid("id"))
                .col(big_integer("chain_id"))
                .col(string_len("contract", 42))
                .col(big_integer("first_seq"))
                .col(big_integer("size"))
                .col(string_len("root", 64))
                .col(string_len("status", 16))
                .col(string_len_null("tx_hash", 66))
                .col(big_integer_null("block_number"))
                .col(big_integer_null("batch_id"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("confirmed_at"))
                .to_owned(),
            Table::create()
                .table("anchor_trees")
                .col(pk_uuid("anchor_id"))
                .col(blob("levels"))
                .foreign_key(ForeignKey::create().from("anchor_trees", "anchor_id").to("anchors", "id"))
                .to_owned(),
            Table::create()
                .table("log_entries")
                .col(pk_uuid("id"))
                .col(big_integer_null("seq"))
                .col(string_len("record_kind", 16))
                .col(uuid("record_id"))
                .col(string_len("record_digest", 64))
                .col(string_len("certificate_digest", 64))
                .col(string_len("leaf", 64))
                .col(uuid_null("anchor_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("log_entries", "anchor_id").to("anchors", "id"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("ux_certificates_subject", "certificates", &["subject_id", "subject_kind"], true),
            index("ux_certificates_digest", "certificates", &["digest"], true),
            index("ux_anchors_first_seq", "anchors", &["chain_id", "contract", "first_seq"], true),
            index("ix_anchors_status", "anchors", &["status", "first_seq"], false),
            index("ux_log_entries_seq", "log_entries", &["seq"], true),
            index("ux_log_entries_record", "log_entries", &["record_id", "record_kind"], true),
            index("ix_log_entries_anchor", "log_entries", &["anchor_id", "seq"], false),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["log_entries", "anchor_trees", "anchors", "certificates"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
