//! The metadata-update feed as an outbox: each row of a recorded collection is sent on chain
//! once as `BatchMetadataUpdate(from, to)`. `status` is `pending` (to send), `sent` (the
//! transaction hash is saved, the receipt not yet seen), `confirmed` or `offChain` (the
//! contract was not a recorded collection when the row was written: never sent).
//! `intent_block` is the chain's newest block when the first send was decided, so that a
//! transaction sent before a crash is found in the contract's logs from there on.
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 8] =
    ["status", "tx_hash", "intent_block", "sent_at", "confirmed_block", "attempts", "last_error", "last_attempt_at"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = "metadata_updates";
        // One column per statement: SQLite alters a table one column at a time.
        let alterations = [
            Table::alter().table(t).add_column(string_len("status", 16).default("offChain")).to_owned(),
            Table::alter().table(t).add_column(string_len_null("tx_hash", 66)).to_owned(),
            Table::alter().table(t).add_column(big_integer_null("intent_block")).to_owned(),
            Table::alter().table(t).add_column(timestamp_with_time_zone_null("sent_at")).to_owned(),
            Table::alter().table(t).add_column(big_integer_null("confirmed_block")).to_owned(),
            Table::alter().table(t).add_column(integer("attempts").default(0)).to_owned(),
            Table::alter().table(t).add_column(text_null("last_error")).to_owned(),
            Table::alter().table(t).add_column(timestamp_with_time_zone_null("last_attempt_at")).to_owned(),
        ];
        for stmt in alterations {
            manager.alter_table(stmt).await?;
        }
        // Rows written before, of contracts that are recorded collections, are still to send.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE metadata_updates SET status = 'pending' WHERE EXISTS (SELECT 1 FROM collections c \
                 WHERE c.chain_id = metadata_updates.chain_id AND c.address = metadata_updates.contract)",
            )
            .await?;
        manager.create_index(index("ix_metadata_updates_status", t, &["status", "seq"], false)).await?;
        manager.create_index(index("ux_metadata_updates_tx", t, &["chain_id", "contract", "tx_hash"], true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = "metadata_updates";
        manager.drop_index(Index::drop().name("ux_metadata_updates_tx").table(t).to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_metadata_updates_status").table(t).to_owned()).await?;
        for column in COLUMNS.iter().rev() {
            manager.alter_table(Table::alter().table(t).drop_column(*column).to_owned()).await?;
        }
        Ok(())
    }
}
