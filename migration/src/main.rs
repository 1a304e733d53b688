//! Stand-alone migration CLI (`up`, `down`, `status`, `fresh`, …); `DATABASE_URL` selects the database.
use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(provreg_migration::Migrator).await;
}
