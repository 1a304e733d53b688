//! The metadata-update outbox: a status change upstream of a deployed collection's tokens
//! becomes one ERC-4906 `BatchMetadataUpdate` per feed range, sent once, read back from the
//! chain's logs. Real anvil, the real contracts, real EZKL proofs, both databases.
use std::time::Duration;

use provreg_anchor::alloy_types::{Address, U256};
use provreg_anchor::{CollectionClient, CollectionReader, MetadataUpdateEvent, aigc_data_from_field_elements};
use provreg_server::outbox::{MetadataOutbox, OutboxRound};
use provreg_server::service::collection::ChainAccess;
use serde_json::{Value, json};

use crate::anchoring::chain;
use crate::collections::DEPLOY;
use crate::helpers::{Backend, TestApp};
use crate::{on_both_backends, zk};

on_both_backends!(status_changes_reach_the_chain_once);

const FEED: &str = "query { metadataUpdates(first: 100) { seq chainId contract fromTokenId toTokenId tokenCount \
     reason status txHash } }";
const SET_VERSION: &str = "mutation($id: String!, $s: RecordStatus!, $r: String!) {
    setModelVersionStatus(id: $id, status: $s, reason: $r) { id } }";

fn outbox(app: &TestApp, rpc: &str, key: &str) -> MetadataOutbox {
    let access =
        ChainAccess { rpc_url: rpc.to_owned(), private_key: key.to_owned(), chain_id: 31337, confirmations: 1 };
    MetadataOutbox::new(app.registry.clone(), access, &app.url, Duration::from_secs(3600))
        .with_receipt_timeout(Duration::from_secs(10))
}

async fn feed(app: &TestApp) -> Vec<Value> {
    app.ok(FEED, json!({})).await["metadataUpdates"].as_array().unwrap().clone()
}

/// The feed rows with `reason`, of `contract`.
fn rows<'a>(feed: &'a [Value], reason: &str, contract: &str) -> Vec<&'a Value> {
    feed.iter().filter(|r| r["reason"] == reason && r["contract"] == contract).collect()
}

fn range(row: &Value) -> (U256, U256) {
    let id = |k: &str| U256::from_str_radix(row[k].as_str().unwrap(), 10).unwrap();
    (id("fromTokenId"), id("toTokenId"))
}

/// The settled rows' sequence numbers.
fn settled(round: OutboxRound) -> Vec<i64> {
    match round {
        OutboxRound::Settled(rows) => rows.iter().map(|r| r.seq).collect(),
        OutboxRound::NotLeader => panic!("the only outbox must lead"),
    }
}

/// The chain's metadata-update events after the first `skip`.
async fn events_after(reader: &CollectionReader, from_block: u64, skip: usize) -> Vec<MetadataUpdateEvent> {
    reader.metadata_updates(from_block).await.unwrap().into_iter().skip(skip).collect()
}

async fn status_changes_reach_the_chain_once(backend: Backend) {
    let (anvil, key, client) = chain(None, 0).await.expect("CI has anvil");
    let rpc = anvil.endpoint();
    let app = TestApp::spawn_anchored(backend, &rpc, &key, client.contract_address().unwrap()).await;
    let version = app.proven_version("outbox-maker").await;
    let input = json!({ "input": { "modelVersion": version, "name": "Outbox Traits", "symbol": "OBX" } });
    let deployed = app.ok(DEPLOY, input).await["deployCollection"].clone();
    let contract = deployed["address"].as_str().unwrap().to_owned();
    let deploy_block = deployed["deployBlock"].as_u64().unwrap();
    let address: Address = contract.parse().unwrap();

    // Tokens 1, 2, 3 and 5 minted with real proofs and registered: two ranges. Token 7 of a
    // contract that is not a collection: a feed row that is never sent.
    let minter = CollectionClient::connect(&rpc, &key, Some(address)).unwrap();
    for (token_id, seed_n) in [(1u64, 1u64), (2, 2), (3, 3), (5, 4)] {
        let seed = zk::seed(seed_n);
        let (traits, record) = zk::prove(seed).await;
        let aigc = aigc_data_from_field_elements(&record.public_outputs).unwrap();
        minter.add_aigc_data(U256::from(token_id), &seed, &aigc, &record.proof).await.expect("minted");
        let mut input = zk::token_input(&version, token_id, seed, &traits, &record);
        input["contract"] = json!(contract);
        app.ok(zk::REGISTER_TOKEN, json!({ "input": input })).await;
    }
    app.proven_token(&version, 7, 5).await;
    let off_chain = zk::CONTRACT.to_ascii_lowercase();

    let reader = CollectionReader::connect(&rpc, address).unwrap();
    let before = reader.metadata_updates(deploy_block).await.unwrap().len();
    app.ok(SET_VERSION, json!({ "id": version, "s": "DEPRECATED", "r": "superseded" })).await;
    let all = feed(&app).await;
    let deprecated = rows(&all, "modelVersionDeprecated", &contract);
    let ranges: Vec<(U256, U256)> = deprecated.iter().map(|r| range(r)).collect();
    assert_eq!(ranges, [(U256::from(1), U256::from(3)), (U256::from(5), U256::from(5))], "{all:#?}");
    assert!(deprecated.iter().all(|r| r["status"] == "PENDING" && r["txHash"].is_null()));
    let unsent = rows(&all, "modelVersionDeprecated", &off_chain);
    assert_eq!(unsent.len(), 1);
    assert_eq!(unsent[0]["status"], "OFF_CHAIN");

    // The chain is down: the rows stay pending with the error, and records are still accepted.
    let down = outbox(&app, "http://127.0.0.1:1", &key);
    assert!(down.round().await.is_err(), "a round against a dead node fails");
    let stored = provreg_entities::metadata_update::Entity::find_by_id(deprecated[0]["seq"].as_i64().unwrap());
    use sea_orm::EntityTrait as _;
    let row = stored.clone().one(&app.registry.db).await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.tx_hash.as_deref(), row.attempts), ("pending", None, 1));
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("metadata update")), "{row:?}");
    app.license("accepted while the chain is down", "ALLOWED").await;
    assert_eq!(reader.metadata_updates(deploy_block).await.unwrap().len(), before, "nothing was sent");

    // The chain is back: one transaction per range, the feed records each hash.
    let up = outbox(&app, &rpc, &key);
    let seqs: Vec<i64> = deprecated.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(settled(up.round().await.unwrap()), seqs);
    let sent = events_after(&reader, deploy_block, before).await;
    assert_eq!(sent.iter().map(|e| (e.from_token, e.to_token)).collect::<Vec<_>>(), ranges);
    let all = feed(&app).await;
    for (row, event) in rows(&all, "modelVersionDeprecated", &contract).iter().zip(&sent) {
        assert_eq!(row["status"], "CONFIRMED");
        assert_eq!(row["txHash"].as_str().unwrap(), format!("{:#x}", event.tx_hash.unwrap()));
    }
    let row = stored.clone().one(&app.registry.db).await.unwrap().unwrap();
    assert_eq!(row.last_error, None);
    assert_eq!(row.confirmed_block, sent[0].block_number.map(|b| i64::try_from(b).unwrap()));
    assert_eq!(rows(&all, "modelVersionDeprecated", &off_chain)[0]["status"], "OFF_CHAIN");
    assert!(rows(&all, "modelVersionDeprecated", &off_chain)[0]["txHash"].is_null());

    // A second round sends nothing.
    assert_eq!(settled(up.round().await.unwrap()), Vec::<i64>::new());
    assert_eq!(events_after(&reader, deploy_block, before).await.len(), 2);

    // A crash after sending, before the hash was saved: the transaction is on chain, the row
    // pending without a hash. The round adopts it and sends only the other range.
    app.ok(SET_VERSION, json!({ "id": version, "s": "REVOKED", "r": "weights leaked" })).await;
    let all = feed(&app).await;
    let revoked: Vec<Value> = rows(&all, "modelVersionRevoked", &contract).into_iter().cloned().collect();
    assert_eq!(revoked.iter().map(range).collect::<Vec<_>>(), ranges);
    let crashed = minter.batch_update_metadata(U256::from(1), U256::from(3)).await.unwrap();
    assert_eq!(settled(up.round().await.unwrap()).len(), 2);
    let sent = events_after(&reader, deploy_block, before + 2).await;
    assert_eq!(sent.len(), 2, "the crashed transaction and the other range's: {sent:?}");
    assert_eq!(sent[0].tx_hash, Some(crashed.tx_hash));
    assert_eq!((sent[1].from_token, sent[1].to_token), (U256::from(5), U256::from(5)));
    let all = feed(&app).await;
    let revoked = rows(&all, "modelVersionRevoked", &contract);
    assert_eq!(revoked[0]["txHash"].as_str().unwrap(), format!("{:#x}", crashed.tx_hash));
    assert_eq!(revoked[1]["txHash"].as_str().unwrap(), format!("{:#x}", sent[1].tx_hash.unwrap()));
    assert!(revoked.iter().all(|r| r["status"] == "CONFIRMED"));
    assert_eq!(rows(&all, "modelVersionRevoked", &off_chain)[0]["status"], "OFF_CHAIN");
    assert_eq!(settled(up.round().await.unwrap()), Vec::<i64>::new());
    assert_eq!(events_after(&reader, deploy_block, before).await.len(), 4);

    // A saved hash whose receipt was not seen yet is settled from the chain, not sent again.
    let first = revoked[0]["seq"].as_i64().unwrap();
    let row = set_sent(&app, first, revoked[0]["txHash"].as_str().unwrap(), None).await;
    assert_eq!(settled(up.round().await.unwrap()), vec![first]);
    let again = provreg_entities::metadata_update::Entity::find_by_id(first).one(&app.registry.db).await.unwrap();
    assert_eq!(again.unwrap().confirmed_block, row.confirmed_block);
    assert_eq!(events_after(&reader, deploy_block, before).await.len(), 4, "nothing was sent");

    // A saved hash the chain lost (a node restarted without it) is sent again, once.
    let second = revoked[1]["seq"].as_i64().unwrap();
    let head = minter.block_number().await.unwrap();
    let lost = format!("0x{}", "ab".repeat(32));
    set_sent(&app, second, &lost, Some(i64::try_from(head).unwrap())).await;
    assert_eq!(settled(up.round().await.unwrap()), vec![second]);
    let resent = events_after(&reader, deploy_block, before + 4).await;
    assert_eq!(resent.iter().map(|e| (e.from_token, e.to_token)).collect::<Vec<_>>(), [ranges[1]]);
    let row = provreg_entities::metadata_update::Entity::find_by_id(second).one(&app.registry.db).await.unwrap();
    assert_eq!(row.unwrap().tx_hash, resent[0].tx_hash.map(|h| format!("{h:#x}")));
    assert_eq!(settled(up.round().await.unwrap()), Vec::<i64>::new());
}

/// Puts feed row `seq` back to `sent` with `tx_hash` (and `intent_block`), as a crash after
/// saving the hash leaves it; returns the row as it was.
async fn set_sent(
    app: &TestApp,
    seq: i64,
    tx_hash: &str,
    intent_block: Option<i64>,
) -> provreg_entities::metadata_update::Model {
    use provreg_entities::metadata_update;
    use sea_orm::{ActiveModelTrait as _, ActiveValue, EntityTrait as _, IntoActiveModel as _};
    let row = metadata_update::Entity::find_by_id(seq).one(&app.registry.db).await.unwrap().unwrap();
    let mut active = row.clone().into_active_model();
    active.status = ActiveValue::Set("sent".to_owned());
    active.tx_hash = ActiveValue::Set(Some(tx_hash.to_owned()));
    active.confirmed_block = ActiveValue::Set(None);
    if intent_block.is_some() {
        active.intent_block = ActiveValue::Set(intent_block);
    }
    active.update(&app.registry.db).await.unwrap();
    row
}
