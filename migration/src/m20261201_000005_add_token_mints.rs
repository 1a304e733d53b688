//! What the chain said of a token of a recorded collection when it was registered: the
//! minting transaction, its block and the token's owner. Tokens registered before, and
//! tokens of contracts that are not recorded collections, have none.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let alterations = [
            Table::alter().table("tokens").add_column(string_len_null("mint_tx", 66)).to_owned(),
            Table::alter().table("tokens").add_column(big_integer_null("mint_block")).to_owned(),
            Table::alter().table("tokens").add_column(string_len_null("owner", 42)).to_owned(),
        ];
        for stmt in alterations {
            manager.alter_table(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["owner", "mint_block", "mint_tx"] {
            manager.alter_table(Table::alter().table("tokens").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
