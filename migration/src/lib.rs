#![doc = include_str!("../README.md")]

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_registry_tables;

/// Every migration of the registry, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261124_000001_create_registry_tables::Migration)]
    }
}
