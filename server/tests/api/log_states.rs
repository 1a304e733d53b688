//! Anchoring linked states on a `ProvenanceLog` contract, on a real anvil: each state
//! commits to the whole log, the status map and the state before; heartbeats; a chain that
//! loses states gets them again unchanged; a round that stopped half-way is completed.
use provreg_anchor::devchain::Anvil;
use provreg_anchor::{LogClient, LogReader};
use provreg_entities::anchor;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::anchoring::{anvil, four_records};
use crate::helpers::{Backend, TestApp};

/// A chain with a deployed `ProvenanceLog`, or `None` where anvil is missing outside CI.
pub async fn log_chain() -> Option<(Anvil, String, LogClient)> {
    let anvil = anvil(None, 0)?;
    let key = anvil.private_key_hex(0).expect("dev key");
    let mut client = LogClient::connect(&anvil.endpoint(), &key, None, 1).expect("client");
    client.deploy().await.expect("deploy");
    Some((anvil, key, client))
}

async fn anchor_now(app: &TestApp) {
    let done = app.post("/graphql", Some(&app.admin), "mutation { anchorNow { size status } }", json!({})).await;
    if done.get("errors").is_some() {
        let errors: Vec<_> = states(app).await.into_iter().filter_map(|r| r.last_error).collect();
        panic!("anchorNow failed: {errors:?}");
    }
}

async fn states(app: &TestApp) -> Vec<anchor::Model> {
    anchor::Entity::find()
        .filter(anchor::Column::Kind.eq("state"))
        .order_by_asc(anchor::Column::FirstSeq)
        .order_by_asc(anchor::Column::Id)
        .all(&app.registry.db)
        .await
        .unwrap()
}

async fn rpc(anvil: &Anvil, method: &str, params: serde_json::Value) -> serde_json::Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let resp: serde_json::Value =
        reqwest::Client::new().post(anvil.endpoint()).json(&body).send().await.unwrap().json().await.unwrap();
    resp["result"].clone()
}

async fn states_link_beat_and_survive_a_chain_that_lost_them(backend: Backend) {
    let Some((anvil, key, client)) = log_chain().await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored_with(backend, &anvil.endpoint(), &key, contract, |c| {
        c.anchoring.heartbeat_secs = 1;
    })
    .await;
    let reader = LogReader::connect(&anvil.endpoint(), contract).unwrap();
    let (_lic, ds, v1) = four_records(&app).await;
    anchor_now(&app).await;
    let s = states(&app).await;
    assert_eq!(s.len(), 1);
    assert_eq!((s[0].first_seq, s[0].size, s[0].status.as_str()), (0, 4, "confirmed"));
    assert_eq!(s[0].prev_head.as_deref(), Some("0".repeat(64).as_str()));
    let head1 = s[0].head.clone().unwrap();
    assert_eq!(reader.head().await.unwrap().map(|h| hex::encode(h.0)), Some(head1.clone()));
    let snapshot = rpc(&anvil, "evm_snapshot", json!([])).await;

    // A revocation: the next state has one more entry, another status root, and links back.
    app.ok(
        "mutation($id: String!) { setDatasetStatus(id: $id, status: REVOKED, reason: \"consent withdrawn\") { id } }",
        json!({ "id": ds }),
    )
    .await;
    anchor_now(&app).await;
    let s = states(&app).await;
    assert_eq!(s.len(), 2);
    assert_eq!((s[1].first_seq, s[1].size), (4, 1));
    assert_eq!(s[1].prev_head.as_deref(), Some(head1.as_str()));
    assert_ne!(s[1].status_root, s[0].status_root);
    let event = reader.latest(0).await.unwrap().unwrap();
    assert_eq!(event.state.size, 5);
    assert_eq!(Some(hex::encode(event.head.0)), s[1].head);
    assert_eq!(s[1].block_time, Some(i64::try_from(event.block_time).unwrap()));

    // Nothing new for longer than the heartbeat: the same log and map, anchored again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    anchor_now(&app).await;
    let s = states(&app).await;
    assert_eq!(s.len(), 3, "a heartbeat state");
    assert_eq!((s[2].first_seq, s[2].size), (5, 0));
    assert_eq!((&s[2].log_root, &s[2].status_root), (&s[1].log_root, &s[1].status_root));
    assert_eq!(s[2].prev_head, s[1].head);
    let head3 = s[2].head.clone().unwrap();
    assert_eq!(reader.head().await.unwrap().map(|h| hex::encode(h.0)), Some(head3.clone()));

    // The chain goes back to the first state: the next round anchors the two lost states
    // again, with the same heads (no gap, no fork).
    assert_eq!(rpc(&anvil, "evm_revert", json!([snapshot])).await, json!(true));
    assert_eq!(reader.head().await.unwrap().map(|h| hex::encode(h.0)), Some(head1.clone()));
    anchor_now(&app).await;
    let again = states(&app).await;
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|r| r.status == "confirmed"), "{again:#?}");
    assert_eq!(again[2].head.as_deref(), Some(head3.as_str()));
    assert_eq!(reader.head().await.unwrap().map(|h| hex::encode(h.0)), Some(head3));

    // GraphQL gives an entry's proof in the latest state, which the contract's view accepts.
    let q = "query($id: String!) { modelVersion(id: $id) { logEntry { seq logProof \
             logState { kind prevHead logRoot statusRoot head firstSeq size blockTime } } } }";
    let entry = &app.ok(q, json!({ "id": v1 })).await["modelVersion"]["logEntry"];
    let proof: provreg_anchor::LogInclusionProof = serde_json::from_value(entry["logProof"].clone()).unwrap();
    let st = &entry["logState"];
    assert_eq!((st["kind"].as_str(), st["head"].as_str()), (Some("state"), again[2].head.as_deref()));
    let digest = |v: &serde_json::Value| -> [u8; 32] { hex::decode(v.as_str().unwrap()).unwrap().try_into().unwrap() };
    let latest = provreg_anchor::LogState {
        prev_head: digest(&st["prevHead"]),
        log_root: digest(&st["logRoot"]),
        size: 5,
        status_root: digest(&st["statusRoot"]),
    };
    assert_eq!(proof.index, entry["seq"].as_u64().unwrap());
    assert!(reader.verify_inclusion(&latest, &proof).await.unwrap(), "the contract accepts the proof");
    let mut wrong = proof.clone();
    wrong.leaf[0] ^= 1;
    assert!(!reader.verify_inclusion(&latest, &wrong).await.unwrap());

    // fsck derives every state again from the log and finds each on chain.
    let chain = || provreg_server::fsck::Chain {
        reader: provreg_anchor::ChainReader::connect(&anvil.endpoint(), contract).unwrap(),
        chain_id: 31337,
        log: Some(LogReader::connect(&anvil.endpoint(), contract).unwrap()),
    };
    let report = provreg_server::fsck::check(&app.registry, Some(&chain()), |_| {}).await.unwrap();
    assert!(report.is_clean(), "{:?}", report.divergences);
    assert_eq!(report.on_chain, 3);
    let mut forged = again[1].clone();
    forged.status_root = again[0].status_root.clone();
    app.registry.save_anchor(forged).await.unwrap();
    let report = provreg_server::fsck::check(&app.registry, Some(&chain()), |_| {}).await.unwrap();
    assert!(
        report.divergences.iter().any(|d| d.contains("the status events give status root")),
        "{:?}",
        report.divergences
    );
}

async fn a_round_stopped_half_way_is_completed_by_the_next(backend: Backend) {
    let Some((anvil, key, client)) = log_chain().await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    let reader = LogReader::connect(&anvil.endpoint(), contract).unwrap();
    four_records(&app).await;
    // A round that stopped after cutting and preparing the state, before sending it (the
    // process was killed): the row is pending with its head fixed.
    let chain_id = 31337;
    let contract_text = contract.to_checksum(None);
    let cut = app.registry.cut_batch(chain_id, &contract_text, 100).await.unwrap().expect("a batch");
    let pending = app.registry.prepare_state(cut, None).await.unwrap();
    assert_eq!(pending.status, "pending");
    assert_eq!(reader.head().await.unwrap(), None);
    anchor_now(&app).await;
    let s = states(&app).await;
    assert_eq!(s.len(), 1);
    assert_eq!((s[0].status.as_str(), &s[0].head), ("confirmed", &pending.head));
    assert_eq!(reader.head().await.unwrap().map(|h| hex::encode(h.0)), pending.head.clone());

    // A round that sent and stopped before confirming: the next adopts what the chain holds.
    let mut sent = s[0].clone();
    sent.status = "sent".into();
    sent.block_number = None;
    sent.confirmed_at = None;
    app.registry.save_anchor(sent).await.unwrap();
    anchor_now(&app).await;
    let s2 = states(&app).await;
    assert_eq!(s2.len(), 1, "not anchored twice");
    assert_eq!((s2[0].status.as_str(), &s2[0].tx_hash), ("confirmed", &s[0].tx_hash));
}

crate::on_both_backends!(
    states_link_beat_and_survive_a_chain_that_lost_them,
    a_round_stopped_half_way_is_completed_by_the_next
);
