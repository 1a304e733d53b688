//! One token per seed in a collection: a proof shows that a seed gave these traits, so a
//! second token of the same contract with the same seed would reuse another token's proof.
//! A database that already holds such tokens is named in the error, not changed.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let duplicates = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT chain_id, contract, input_seed, COUNT(*) AS n FROM tokens \
                 GROUP BY chain_id, contract, input_seed HAVING COUNT(*) > 1",
            ))
            .await?;
        if let Some(row) = duplicates.first() {
            let contract: String = row.try_get("", "contract")?;
            let seed: String = row.try_get("", "input_seed")?;
            let n: i64 = row.try_get("", "n")?;
            return Err(DbErr::Migration(format!(
                "{} seeds are shared by several tokens of one contract (for example {n} tokens of {contract} \
                 have seed {seed}); each token needs its own seed. Remove the duplicates, then migrate again",
                duplicates.len()
            )));
        }
        manager.create_index(index("ux_tokens_seed", "tokens", &["chain_id", "contract", "input_seed"], true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_tokens_seed").table("tokens").to_owned()).await
    }
}
