//! Circuits bound to their model's weights: whether the registry derived the verifying key
//! from the ONNX model itself, the digest of the circuit it compiled, and the ONNX model
//! kept with the circuit's files. Circuits registered before are not bound, and a model
//! version with one may register a bound circuit beside it: one circuit per version and
//! binding.
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let alterations = [
            Table::alter().table("circuits").add_column(boolean("bound_to_weights").default(false)).to_owned(),
            Table::alter().table("circuits").add_column(string_len_null("compiled_sha256", 64)).to_owned(),
            Table::alter().table("circuit_files").add_column(blob_null("onnx")).to_owned(),
        ];
        for stmt in alterations {
            manager.alter_table(stmt).await?;
        }
        manager.drop_index(Index::drop().name("ux_circuits_model_version").table("circuits").to_owned()).await?;
        manager
            .create_index(index(
                "ux_circuits_model_version_bound",
                "circuits",
                &["model_version_id", "bound_to_weights"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_circuits_model_version_bound").table("circuits").to_owned()).await?;
        manager.create_index(index("ux_circuits_model_version", "circuits", &["model_version_id"], true)).await?;
        let drops = [
            Table::alter().table("circuit_files").drop_column("onnx").to_owned(),
            Table::alter().table("circuits").drop_column("compiled_sha256").to_owned(),
            Table::alter().table("circuits").drop_column("bound_to_weights").to_owned(),
        ];
        for stmt in drops {
            manager.alter_table(stmt).await?;
        }
        Ok(())
    }
}
