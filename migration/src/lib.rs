#![doc = include_str!("../README.md")]

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_registry_tables;
mod m20261125_000001_create_certificates_and_log;
mod m20261126_000001_create_tokens_and_proofs;
mod m20261201_000001_bind_circuits_to_weights;
mod m20261201_000002_one_token_per_seed;
mod m20261201_000003_create_collections;
mod m20261201_000004_metadata_update_outbox;
mod m20261201_000005_add_token_mints;
mod m20261202_000001_create_log_tree_hashes;
mod m20261202_000002_add_anchor_states;

/// An index on `table`'s `cols`.
fn index(name: &str, table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

/// Every migration of the registry, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_registry_tables::Migration),
            Box::new(m20261125_000001_create_certificates_and_log::Migration),
            Box::new(m20261126_000001_create_tokens_and_proofs::Migration),
            Box::new(m20261201_000001_bind_circuits_to_weights::Migration),
            Box::new(m20261201_000002_one_token_per_seed::Migration),
            Box::new(m20261201_000003_create_collections::Migration),
            Box::new(m20261201_000004_metadata_update_outbox::Migration),
            Box::new(m20261201_000005_add_token_mints::Migration),
            Box::new(m20261202_000001_create_log_tree_hashes::Migration),
            Box::new(m20261202_000002_add_anchor_states::Migration),
        ]
    }
}
