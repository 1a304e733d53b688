//! The log and its anchoring, on a real anvil chain with the real contract.
use provreg_anchor::devchain::Anvil;
use provreg_anchor::{ChainClient, InclusionProof};
use provreg_server::anchoring::{AnchorWorker, Cut, Round};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// A running anvil (kept in `state` when given, on `port` or a free one), or `None` (with a
/// message) where no anvil is installed and this is not CI.
pub fn anvil(state: Option<&std::path::Path>, port: u16) -> Option<Anvil> {
    let anvil = match state {
        Some(path) => Anvil::spawn_persistent_on(path, port),
        None => Anvil::spawn(),
    };
    match anvil {
        Ok(a) => Some(a),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: {e} (scripts/test installs it)");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// A chain with a deployed contract, or `None` as [`anvil`].
pub async fn chain(state: Option<&std::path::Path>, port: u16) -> Option<(Anvil, String, ChainClient)> {
    let anvil = anvil(state, port)?;
    let key = anvil.private_key_hex(0).expect("dev key");
    let mut client = ChainClient::connect(&anvil.endpoint(), &key, None, 1).expect("client");
    client.deploy().await.expect("deploy");
    Some((anvil, key, client))
}

const ENTRY: &str = "logEntry { seq leaf recordDigest certificateDigest inclusionProof \
     anchor { chainId contract txHash blockNumber root commitment firstSeq size status batchId } }";

/// A licence, a dataset under it, a version trained on it, and the version's deprecation:
/// four log entries. Returns the IDs of the first three.
pub async fn four_records(app: &TestApp) -> (String, String, String) {
    let lic = app.license("open", "ALLOWED").await;
    let ds = app.dataset("corpus", &lic, &[]).await;
    let v1 = app.version("m", "v1", &lic, None, &[(&ds, "PRETRAIN")]).await;
    app.ok(
        "mutation($id: String!) { setModelVersionStatus(id: $id, status: DEPRECATED, reason: \"old\") { status } }",
        json!({"id": v1}),
    )
    .await;
    (lic, ds, v1)
}

async fn anchors_records_and_proofs_verify_on_and_off_chain(backend: Backend) {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    let (lic, ds, v1) = four_records(&app).await;
    assert_eq!(app.count("log_entries").await, 4, "one entry per accepted record");

    // Before anchoring: entries exist, without sequence numbers or proofs.
    let q = format!("query($id: String!) {{ modelVersion(id: $id) {{ {ENTRY} }} }}");
    let before = app.ok(&q, json!({"id": v1})).await;
    assert!(before["modelVersion"]["logEntry"]["seq"].is_null());
    assert!(before["modelVersion"]["logEntry"]["inclusionProof"].is_null());

    // An auditor may not anchor; an admin may.
    let denied = app.post("/graphql", Some(&app.auditor), "mutation { anchorNow { size } }", json!({})).await;
    assert_eq!(crate::helpers::code(&denied), "FORBIDDEN");
    let done = app
        .post("/graphql", Some(&app.admin), "mutation { anchorNow { firstSeq size status txHash } }", json!({}))
        .await;
    assert!(done.get("errors").is_none(), "{done:#}");
    assert_eq!(done["data"]["anchorNow"][0]["size"], 4);
    assert_eq!(done["data"]["anchorNow"][0]["firstSeq"], 0);
    assert_eq!(done["data"]["anchorNow"][0]["status"], "CONFIRMED");

    let after = app.ok(&q, json!({"id": v1})).await;
    let entry = &after["modelVersion"]["logEntry"];
    assert_eq!(entry["anchor"]["status"], "CONFIRMED");
    assert_eq!(entry["anchor"]["chainId"], 31337);
    assert_eq!(entry["anchor"]["contract"].as_str().unwrap().to_lowercase(), format!("{contract:#x}"));
    let proof = InclusionProof::from_json(&entry["inclusionProof"].to_string()).expect("proof JSON");
    proof.verify().expect("verifies off chain");
    assert_eq!(hex::encode(proof.leaf), entry["leaf"].as_str().unwrap());
    let batch = entry["anchor"]["batchId"].as_u64().unwrap();
    assert!(client.verify_inclusion(batch, &proof).await.unwrap(), "the contract's view agrees");

    // The leaf commits to the record digest and the certificate digest.
    let cert = app
        .ok("query($id: String!) { modelVersion(id: $id) { digest certificate { digest } } }", json!({"id": v1}))
        .await;
    assert_eq!(entry["recordDigest"], cert["modelVersion"]["digest"]);
    assert_eq!(entry["certificateDigest"], cert["modelVersion"]["certificate"]["digest"]);

    // A forged proof fails both ways, and so does the proof of a changed record.
    let mut forged = proof.clone();
    forged.siblings[0][0] ^= 1;
    assert!(forged.verify().is_err());
    assert!(!client.verify_inclusion(batch, &forged).await.unwrap());
    let mut changed = proof.clone();
    changed.leaf = provreg_anchor::log_leaf("modelVersion", &[7u8; 32], &proof.leaf);
    assert!(changed.verify().is_err());
    assert!(!client.verify_inclusion(batch, &changed).await.unwrap());

    // Another round with nothing new anchors nothing; new records go into the next batch.
    assert_eq!(app.worker.as_ref().unwrap().round().await.unwrap(), Round::Idle);
    app.dataset("corpus-2", &lic, &[&ds]).await;
    let Round::Anchored(next) = app.worker.as_ref().unwrap().round().await.unwrap() else { panic!("not anchored") };
    assert_eq!((next[0].first_seq, next[0].size), (4, 1));
    assert_eq!(client.next_seq().await.unwrap(), 5);
    let page = app
        .ok("{ anchors(first: 10) { edges { node { firstSeq size } } } logEntry(seq: 4) { recordKind } }", json!({}))
        .await;
    assert_eq!(page["anchors"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(page["logEntry"]["recordKind"], "dataset");
}

async fn a_crash_between_send_and_confirm_leaves_no_duplicate_and_no_gap(backend: Backend) {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    let lic = app.license("open", "ALLOWED").await;
    app.dataset("corpus", &lic, &[]).await;
    // The first worker cuts a batch and sends it, then "dies" before recording anything more.
    let worker = app.worker.as_ref().unwrap();
    let cut = app.registry.cut_batch(worker.chain_id(), worker.contract(), 100).await.unwrap().expect("a batch");
    let root = provreg_anchor::alloy_types::B256::from(provreg_server::service::seal::digest_bytes(&cut.root).unwrap());
    client.send_anchor(root, 0, cut.size as u64).await.expect("sent");
    // Restarted worker: reconciles with the contract instead of sending again.
    let fresh = ChainClient::connect(&anvil.endpoint(), &key, Some(contract), 1).unwrap();
    let restarted = AnchorWorker::new(app.registry.clone(), fresh, &app.url, 100, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let Round::Anchored(done) = restarted.round().await.unwrap() else { panic!("not reconciled") };
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].id, cut.id);
    assert_eq!(done[0].status, "confirmed");
    assert_eq!(client.batch_count().await.unwrap(), 1, "no duplicate on chain");
    assert_eq!(client.next_seq().await.unwrap(), 2, "no gap");
    assert_eq!(app.count("anchors").await, 1);
}

async fn records_are_accepted_while_the_chain_is_down_and_anchored_after(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");
    let Some((anvil, key, client)) = chain(Some(&state), 0).await else { return };
    let port = anvil.port();
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    let lic = app.license("open", "ALLOWED").await;
    let worker = app.worker.as_ref().unwrap();
    assert!(matches!(worker.round().await.unwrap(), Round::Anchored(_)));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await; // the state file is written every second
    drop(anvil);

    // Chain down: registrations still succeed; the round fails and says why.
    let ds = app.dataset("corpus", &lic, &[]).await;
    app.version("m", "v1", &lic, None, &[(&ds, "PRETRAIN")]).await;
    let err = worker.round().await.expect_err("the chain is down");
    assert!(err.to_string().contains("chain"), "{err}");

    // The chain returns at the same address with its state: the backlog is anchored in order.
    let _anvil = Anvil::spawn_persistent_on(&state, port).expect("anvil restarts");
    let Round::Anchored(done) = worker.round().await.unwrap() else { panic!("backlog not anchored") };
    let anchored: i64 = done.iter().map(|a| a.size).sum();
    assert_eq!(anchored, 2);
    assert_eq!(client.next_seq().await.unwrap(), 3);
    let entries = app.count("log_entries").await;
    assert_eq!(entries, 3);
}

/// One JSON-RPC call to the chain; its `result`.
pub async fn rpc(endpoint: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("chain answers");
    let value: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    value["result"].clone()
}

async fn anchors_the_chain_lost_are_anchored_again_in_order(backend: Backend) {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    let worker = app.worker.as_ref().unwrap();
    let lic = app.license("open", "ALLOWED").await;
    assert!(matches!(worker.round().await.unwrap(), Round::Anchored(_)));
    // The chain as it was after the first anchor; then two more entries are anchored.
    let snapshot = rpc(&anvil.endpoint(), "evm_snapshot", json!([])).await;
    let ds = app.dataset("corpus", &lic, &[]).await;
    let v1 = app.version("m", "v1", &lic, None, &[(&ds, "PRETRAIN")]).await;
    let Round::Anchored(second) = worker.round().await.unwrap() else { panic!("not anchored") };
    assert_eq!((second[0].first_seq, second[0].size), (1, 2));
    assert_eq!(client.next_seq().await.unwrap(), 3);

    // The chain goes back to the older state: it no longer holds seq 1..=2.
    assert_eq!(rpc(&anvil.endpoint(), "evm_revert", json!([snapshot])).await, json!(true));
    assert_eq!(client.next_seq().await.unwrap(), 1);
    app.dataset("later", &lic, &[]).await;

    // The next round anchors the lost batch again (same range, same root), then the new entry.
    let Round::Anchored(done) = worker.round().await.unwrap() else { panic!("nothing anchored") };
    let ranges: Vec<(i64, i64)> = done.iter().map(|a| (a.first_seq, a.size)).collect();
    assert_eq!(ranges, vec![(1, 2), (3, 1)], "lost batch first, then the new one, no gap");
    assert_eq!(done[0].id, second[0].id, "the same anchor row, confirmed again");
    assert_eq!(done[0].root, second[0].root);
    assert!(done[0].last_error.is_none(), "confirmed again: {:?}", done[0].last_error);
    assert_eq!(client.next_seq().await.unwrap(), 4);
    assert_eq!(client.batch_count().await.unwrap(), 3, "no duplicate on chain");
    assert_eq!(app.count("anchors").await, 3);

    // The version's proof verifies against the chain again, in its new batch.
    let q = format!("query($id: String!) {{ modelVersion(id: $id) {{ {ENTRY} }} }}");
    let entry = app.ok(&q, json!({"id": v1})).await["modelVersion"]["logEntry"].clone();
    assert_eq!(entry["anchor"]["status"], "CONFIRMED");
    let proof = InclusionProof::from_json(&entry["inclusionProof"].to_string()).expect("proof JSON");
    let batch = entry["anchor"]["batchId"].as_u64().unwrap();
    assert!(client.verify_inclusion(batch, &proof).await.unwrap(), "the contract holds the batch again");

    // A later round finds nothing lost and nothing waiting.
    assert_eq!(worker.round().await.unwrap(), Round::Idle);
}

async fn the_background_loop_cuts_full_batches_or_waits_an_interval(backend: Backend) {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    let interval = std::time::Duration::from_secs(2);
    let fresh = ChainClient::connect(&anvil.endpoint(), &key, Some(contract), 1).unwrap();
    let worker = AnchorWorker::new(app.registry.clone(), fresh, &app.url, 3, interval).await.unwrap();
    let lic = app.license("open", "ALLOWED").await;
    app.dataset("a", &lic, &[]).await;
    // Two young entries of a batch of three: not due yet.
    assert_eq!(worker.round_with(Cut::WhenDue).await.unwrap(), Round::Idle);
    assert_eq!(app.count("anchors").await, 0);
    // A third fills the batch: anchored at once, as one batch.
    app.dataset("b", &lic, &[]).await;
    let Round::Anchored(done) = worker.round_with(Cut::WhenDue).await.unwrap() else { panic!("a full batch waits") };
    assert_eq!(done.iter().map(|a| a.size).collect::<Vec<_>>(), vec![3]);
    // One more entry waits until it is an interval old, then goes alone.
    app.dataset("c", &lic, &[]).await;
    assert_eq!(worker.round_with(Cut::WhenDue).await.unwrap(), Round::Idle);
    tokio::time::sleep(interval + std::time::Duration::from_millis(200)).await;
    let Round::Anchored(done) = worker.round_with(Cut::WhenDue).await.unwrap() else { panic!("an old entry waits") };
    assert_eq!(done.iter().map(|a| (a.first_seq, a.size)).collect::<Vec<_>>(), vec![(3, 1)]);
    assert_eq!(client.next_seq().await.unwrap(), 4);
}

async fn rounds_and_registrations_run_side_by_side_without_a_locked_database(backend: Backend) {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = std::sync::Arc::new(TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await);
    let lic = app.license("open", "ALLOWED").await;
    // Four writers registering datasets while the worker runs round after round.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (app, lic) = (app.clone(), lic.clone());
            tokio::spawn(async move {
                for i in 0..8 {
                    app.dataset(&format!("w{w}-{i}"), &lic, &[]).await;
                }
            })
        })
        .collect();
    let worker = app.worker.clone().unwrap();
    let rounds = tokio::spawn(async move {
        let mut results = Vec::new();
        for _ in 0..12 {
            results.push(worker.round().await.map(|_| ()).map_err(|e| e.to_string()));
        }
        results
    });
    for w in writers {
        w.await.expect("every registration succeeds");
    }
    let results = rounds.await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Whatever the rounds left is anchored by one more; every entry is in exactly one batch.
    app.worker.as_ref().unwrap().round().await.unwrap();
    let entries = app.count("log_entries").await;
    assert_eq!(entries, 33);
    assert_eq!(client.next_seq().await.unwrap(), 33, "no gap, no duplicate");
}

crate::on_both_backends!(
    anchors_records_and_proofs_verify_on_and_off_chain,
    rounds_and_registrations_run_side_by_side_without_a_locked_database,
    the_background_loop_cuts_full_batches_or_waits_an_interval,
    anchors_the_chain_lost_are_anchored_again_in_order,
    a_crash_between_send_and_confirm_leaves_no_duplicate_and_no_gap,
    records_are_accepted_while_the_chain_is_down_and_anchored_after,
);

/// Two servers on one PostgreSQL database: only the holder of the advisory lock anchors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_only_one_replica_anchors() {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(Backend::Postgres, &anvil.endpoint(), &key, contract).await;
    let lic = app.license("open", "ALLOWED").await;
    let first = app.worker.as_ref().unwrap();
    assert!(matches!(first.round().await.unwrap(), Round::Anchored(_)), "the first replica takes the lock");

    // A second replica of the same registry.
    let conn = provreg_server::db::connect(&app.url, 2).await.unwrap();
    let registry = provreg_server::service::Registry::new(conn).unwrap();
    let other_client = ChainClient::connect(&anvil.endpoint(), &key, Some(contract), 1).unwrap();
    let second =
        AnchorWorker::new(registry, other_client, &app.url, 100, std::time::Duration::from_secs(60)).await.unwrap();
    app.dataset("corpus", &lic, &[]).await;
    assert_eq!(second.round().await.unwrap(), Round::NotLeader);
    assert_eq!(client.next_seq().await.unwrap(), 1, "the second replica anchored nothing");
    let Round::Anchored(done) = first.round().await.unwrap() else { panic!("the leader anchors") };
    assert_eq!((done[0].first_seq, done[0].size), (1, 1));
}
