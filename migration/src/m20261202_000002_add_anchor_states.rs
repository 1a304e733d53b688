//! Anchors of linked states (a `ProvenanceLog` contract): the whole log tree's root, the
//! status map's root, the state's head and the head before it, and the block's time. Batch
//! anchors (a `ProvenanceAnchor` contract) keep `kind = 'batch'` and leave these null.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let alterations = [
            Table::alter().table("anchors").add_column(string_len("kind", 8).default("batch")).to_owned(),
            Table::alter().table("anchors").add_column(string_len_null("log_root", 64)).to_owned(),
            Table::alter().table("anchors").add_column(string_len_null("status_root", 64)).to_owned(),
            Table::alter().table("anchors").add_column(string_len_null("prev_head", 64)).to_owned(),
            Table::alter().table("anchors").add_column(string_len_null("head", 64)).to_owned(),
            Table::alter().table("anchors").add_column(big_integer_null("block_time")).to_owned(),
        ];
        for stmt in alterations {
            manager.alter_table(stmt).await?;
        }
        let db = manager.get_connection();
        // The same statements on SQLite and PostgreSQL (both have partial indexes).
        manager.drop_index(Index::drop().name("ux_anchors_first_seq").table("anchors").to_owned()).await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_anchors_first_seq_entries ON anchors (chain_id, contract, first_seq) WHERE size > 0",
        )
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ux_anchors_head ON anchors (chain_id, contract, head)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ux_anchors_head").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ux_anchors_first_seq_entries").await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ux_anchors_first_seq ON anchors (chain_id, contract, first_seq)")
            .await?;
        for column in ["block_time", "head", "prev_head", "status_root", "log_root", "kind"] {
            manager.alter_table(Table::alter().table("anchors").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
