//! `provreg fsck`: a store that agrees with itself and the chain is clean; a changed record,
//! a changed root and a chain that lost an anchor are each reported.
use provreg_anchor::ChainReader;
use provreg_server::fsck::{self, Chain};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::anchoring::{chain, four_records, rpc};
use crate::helpers::{Backend, TestApp};

async fn check(app: &TestApp, chain: &Chain) -> fsck::Report {
    fsck::check(&app.registry, Some(chain), |_| {}).await.expect("fsck runs")
}

async fn reports_what_diverges_from_the_records_and_the_chain(backend: Backend) {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    let (lic, ds, _) = four_records(&app).await;
    let snapshot = rpc(&anvil.endpoint(), "evm_snapshot", json!([])).await;
    app.worker.as_ref().unwrap().round().await.unwrap();
    app.dataset("waiting", &lic, &[]).await; // logged, not yet batched

    let reader = ChainReader::connect(&anvil.endpoint(), contract).unwrap();
    let chain = Chain { reader, chain_id: 31337, log: None };
    let clean = check(&app, &chain).await;
    assert!(clean.is_clean(), "{:#?}", clean.divergences);
    assert_eq!((clean.entries, clean.anchors, clean.on_chain), (5, 1, 1));

    // The command agrees, and exits 0.
    let out = fsck_command(&app, &anvil.endpoint(), &contract.to_string());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checked 5 log entries, 1 anchors, 1 on chain: all agree"), "{stdout}");

    // A record changed in the database (a bad restore): its entry diverges.
    let db = &app.registry.db;
    let backend_sql = |sql: &str| sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned());
    let placeholder = if db.get_database_backend() == sea_orm::DbBackend::Postgres { "$1" } else { "?" };
    let sql = format!("UPDATE datasets SET canonical = canonical || {} WHERE id = {placeholder}", blank_byte(db));
    let id: sea_orm::Value = uuid::Uuid::parse_str(&ds).unwrap().into();
    let changed =
        db.execute_raw(sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, [id])).await.unwrap();
    assert_eq!(changed.rows_affected(), 1);
    let report = check(&app, &chain).await;
    assert_eq!(report.divergences.len(), 1, "{:#?}", report.divergences);
    assert!(report.divergences[0].contains(&ds) && report.divergences[0].contains("canonical bytes hash"));

    // An anchor whose stored root is not its entries' root: diverges from them and the chain.
    db.execute_raw(backend_sql(&format!("UPDATE anchors SET root = '{}'", "ab".repeat(32)))).await.unwrap();
    let report = check(&app, &chain).await;
    assert!(report.divergences.iter().any(|d| d.contains("its entries give root")), "{:#?}", report.divergences);
    assert!(report.divergences.iter().any(|d| d.contains("holds root")), "{:#?}", report.divergences);

    // The chain loses the anchor: reported, with the exit code.
    assert_eq!(rpc(&anvil.endpoint(), "evm_revert", json!([snapshot])).await, json!(true));
    let report = check(&app, &chain).await;
    assert!(report.divergences.iter().any(|d| d.contains("holds no batch at seq 0")), "{:#?}", report.divergences);
    let out = fsck_command(&app, &anvil.endpoint(), &contract.to_string());
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().filter(|l| l.starts_with("DIVERGES: ")).count() >= 3, "{stdout}");
}

/// `provreg fsck` on `app`'s database against the chain at `rpc`.
fn fsck_command(app: &TestApp, rpc: &str, contract: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_provreg"))
        .args(["fsck", "--rpc-url", rpc, "--contract", contract])
        .env("PROVREG_DATABASE_URL", &app.url)
        .env("PROVREG_LOG", "warn")
        .env_remove("PROVREG_CONFIG")
        .output()
        .unwrap()
}

/// One byte as a blob literal of the database.
fn blank_byte(db: &sea_orm::DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "'\\x20'::bytea",
        _ => "X'20'",
    }
}

crate::on_both_backends!(reports_what_diverges_from_the_records_and_the_chain);
