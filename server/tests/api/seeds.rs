//! Seeds nobody can choose, on a real anvil that mines a block a second, with real proofs:
//! `collection run` with `kind = "chain"` commits, waits, reveals and proves the seeds the
//! collection assigns; registration refuses (storing nothing) a seed off by one bit, another
//! token's seed, an operator seed in a chain collection, an uncommitted token and a reveal
//! without its confirmations; beacon seeds from a local development beacon are accepted for the
//! first round after the commitment and refused for an earlier round or another key's
//! signature; the bundle's `seed.source` check passes against the chain and fails when the
//! record's randomness was altered.
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use provreg_anchor::alloy_types::{Address, U256};
use provreg_anchor::devchain::Anvil;
use provreg_anchor::{ChainClient, CollectionClient, CollectionReader, aigc_data_from_field_elements};
use provreg_collection::{Spec, TokenResult, run};
use provreg_evidence::{Bundle, Status, verify_bundle};
use provreg_seed::beacon::{self, LocalBeacon};
use provreg_server::config::BeaconConfig;
use serde_json::{Value, json};

use crate::collections::DEPLOY;
use crate::compliance::metadata;
use crate::evidence::options;
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::onchain_run::run_options;
use crate::zk::{self, REGISTER_TOKEN};

on_both_backends!(chain_seeds_are_assigned_by_the_contract_and_checked_at_registration_and_in_the_bundle);

const LICENSE: &str = "Seeded weights licence";

const TOKEN: &str = "query($contract: String!, $id: String!) { token(chainId: 31337, contract: $contract, tokenId: \
     $id) { id inputSeed seedSource { kind verified commitId commitBlock randomnessBlock randomness revealTx round \
     beaconKey localBeacon } } }";

/// A chain that mines a block a second besides one per transaction, with the anchor
/// contract deployed by account 0.
async fn mining_chain() -> (Anvil, String, ChainClient) {
    let anvil = Anvil::spawn_mining(1).expect("CI has anvil");
    let key = anvil.private_key_hex(0).unwrap();
    let mut client = ChainClient::connect(&anvil.endpoint(), &key, None, 1).unwrap();
    client.deploy().await.unwrap();
    (anvil, key, client)
}

fn spec(app: &TestApp, count: u64) -> Spec {
    spec_with(app, count, "kind = \"chain\"\n        delay = 2", "SDT")
}

fn spec_with(app: &TestApp, count: u64, seeds: &str, symbol: &str) -> Spec {
    let text = format!(
        r#"
        server = "{server}"

        [collection]
        chain_id = 31337
        name = "Seeded Trait"

        [model]
        name = "trait-generator"
        version = "v3-zk"
        onnx = "fixture"
        license = "{LICENSE}"

        [seeds]
        first_token_id = 1
        count = {count}
        {seeds}

        [onchain]
        name = "Seeded Traits"
        symbol = "{symbol}"
        "#,
        server = app.url(""),
    );
    Spec::parse(&text, Path::new(".")).expect("the test spec parses")
}

/// Asserts `body` is one `BAD_USER_INPUT` at `pointer` with rule `rule`.
fn refused(body: &Value, pointer: &str, rule: &str) {
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(ext["code"], "BAD_USER_INPUT", "{body:#}");
    assert_eq!(ext["pointer"], pointer, "{body:#}");
    assert_eq!(ext["rule"], rule, "{body:#}");
}

/// The registration of `token_id` of `contract` with `seed`'s proof and `source`.
async fn input(version: &str, contract: &str, token_id: u64, seed: [u8; 32], source: Value) -> Value {
    let (traits, record) = zk::prove(seed).await;
    let mut input = zk::token_input(version, token_id, seed, &traits, &record);
    input["contract"] = json!(contract);
    input["seedSource"] = source;
    input
}

async fn bundle(app: &TestApp, contract: &str, token_id: u64) -> Bundle {
    let url = app.url(&format!("/tokens/31337/{contract}/{token_id}/evidence"));
    let text = reqwest::Client::new().get(url).bearer_auth(&app.auditor).send().await.unwrap().text().await.unwrap();
    Bundle::from_json(&text).expect("a bundle")
}

/// The bundle with the token record's `payload.seed.<field>` replaced by `value`.
fn with_seed_field(bundle: &Bundle, field: &str, value: Value) -> Bundle {
    let mut altered = bundle.clone();
    let token = altered.records.iter_mut().find(|r| r.id == bundle.subject.id).expect("the token record");
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut record: Value = serde_json::from_slice(&b64.decode(&token.canonical).unwrap()).unwrap();
    record["payload"]["seed"][field] = value;
    token.canonical = b64.encode(serde_json::to_vec(&record).unwrap());
    altered
}

async fn wait_for_block(reader: &CollectionReader, block: u64) {
    for _ in 0..100 {
        if reader.block_number().await.unwrap() >= block {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("block {block} never came");
}

async fn chain_seeds_are_assigned_by_the_contract_and_checked_at_registration_and_in_the_bundle(backend: Backend) {
    let (anvil, key, client) = mining_chain().await;
    let rpc = anvil.endpoint();
    let anchor_contract = format!("{:#x}", client.contract_address().unwrap());
    let app = TestApp::spawn_anchored(backend, &rpc, &key, client.contract_address().unwrap()).await;
    app.license(LICENSE, "ALLOWED").await;
    zk::fixture().await;

    let minter_key = anvil.private_key_hex(1).unwrap();
    let minted_dir = tempfile::tempdir().unwrap();
    let opts = run_options(&app, &rpc, &minter_key, minted_dir.path());

    // The run deploys a chain-seeded collection, commits to tokens 1 and 2, waits for the
    // randomness block, reveals, proves the assigned seeds, mints and registers.
    let summary = run(&spec(&app, 2), &opts).await.expect("the run");
    assert_eq!(summary.registered, 2, "{summary:?}");
    let address = summary.collection.as_ref().unwrap().address.clone();
    let collection: Address = address.parse().unwrap();
    let reader = CollectionReader::connect(&rpc, collection).unwrap();
    for t in ["1", "2"] {
        let token = &app.ok(TOKEN, json!({ "contract": address, "id": t })).await["token"];
        let source = &token["seedSource"];
        assert_eq!(source["kind"], "CHAIN", "{token:#}");
        assert_eq!(source["verified"], true);
        let assigned = reader.seed_of(U256::from(t.parse::<u64>().unwrap())).await.unwrap();
        assert_eq!(token["inputSeed"], hex::encode(assigned.0), "the contract's seed was proven");
        let randomness_block = source["randomnessBlock"].as_i64().unwrap() as u64;
        assert_eq!(randomness_block, source["commitBlock"].as_i64().unwrap() as u64 + 2);
        let (hash, _) = reader.block(randomness_block).await.unwrap().unwrap();
        assert_eq!(source["randomness"], format!("{hash:#x}"));
    }
    let meta = metadata(&app, &address, "1").await;
    let seed = &meta["provenance"]["seed"];
    assert_eq!((&seed["source"], &seed["verified"]), (&json!("chain"), &json!(true)), "{meta:#}");
    assert!(seed["value"].as_str().unwrap().starts_with("0x"));
    // A second run finds the commitment revealed and everything registered.
    let again = run(&spec(&app, 2), &opts).await.expect("the second run");
    assert!(again.tokens.iter().all(|t| t.result == TokenResult::AlreadyRegistered), "{again:?}");

    // The bundle: seed.source passes against the chain, is unconfirmed offline, and fails
    // once the record's randomness is altered.
    app.worker.as_ref().unwrap().round().await.unwrap();
    let b = bundle(&app, &address, 1).await;
    let report = verify_bundle(&b, &options(Some((&rpc, &anchor_contract)))).await;
    let check = report.check("seed.source", "token", &b.subject.id).expect("seed.source");
    assert_eq!(check.status, Status::Passed, "{}", report.to_text());
    assert!(check.detail.contains("chain holds the commitment"), "{}", check.detail);
    let offline = verify_bundle(&b, &options(None)).await;
    assert_eq!(offline.check("seed.source", "token", &b.subject.id).unwrap().status, Status::Unconfirmed);
    let altered = with_seed_field(&b, "randomness", json!(format!("0x{}", "11".repeat(32))));
    let report = verify_bundle(&altered, &options(Some((&rpc, &anchor_contract)))).await;
    let check = report.check("seed.source", "token", &b.subject.id).unwrap();
    assert_eq!(check.status, Status::Failed, "{}", report.to_text());
    let relabelled = with_seed_field(&b, "source", json!("operator"));
    let report = verify_bundle(&relabelled, &options(None)).await;
    assert_ne!(report.check("seed.source", "token", &b.subject.id).unwrap().status, Status::Passed);
    assert_eq!(report.check("record.digest", "token", &b.subject.id).unwrap().status, Status::Failed);

    // Tokens 10 and 11: committed and revealed by the minter; registrations that are not
    // the contract's seed are refused, storing nothing.
    let version = summary.model_version_id.clone();
    let minter = CollectionClient::connect(&rpc, &minter_key, Some(collection)).unwrap();
    let (id, commit) = minter.commit_seeds(10, 2).await.unwrap();
    wait_for_block(&reader, commit.block_number + 3).await;
    minter.reveal_seeds(id).await.unwrap();
    let seed_10 = reader.seed_of(U256::from(10)).await.unwrap().0;
    let seed_11 = reader.seed_of(U256::from(11)).await.unwrap().0;
    let tokens = app.count("tokens").await;
    let chain = json!({ "kind": "CHAIN" });
    let mut off_by_a_bit = seed_10;
    off_by_a_bit[31] ^= 1;
    let body = app
        .gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 10, off_by_a_bit, chain.clone()).await }))
        .await;
    refused(&body, "/inputSeed", "seedSource");
    let body =
        app.gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 10, seed_11, chain.clone()).await })).await;
    refused(&body, "/inputSeed", "seedSource");
    let operator = json!({ "kind": "OPERATOR" });
    let body =
        app.gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 10, seed_10, operator).await })).await;
    refused(&body, "/seedSource/kind", "collection");
    let body =
        app.gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 12, seed_10, chain.clone()).await })).await;
    refused(&body, "/tokenId", "seedCommitment");
    // The right seed, read before its reveal has the confirmations a registry requires.
    let strict = app.registry.clone().with_chain(
        provreg_server::service::collection::ChainAccess {
            rpc_url: rpc.clone(),
            private_key: key.clone(),
            chain_id: 31337,
            confirmations: 100_000,
        },
        app.url(""),
    );
    // (The service's own input: serde spells the kind in lower case.)
    let early: provreg_server::payload::TokenInput =
        serde_json::from_value(input(&version, &address, 10, seed_10, json!({ "kind": "chain" })).await).unwrap();
    match strict.register_token(&early).await {
        Err(provreg_server::error::AppError::BadInput(v)) => {
            assert_eq!((v[0].pointer.as_str(), v[0].rule.as_str()), ("/seedSource", "confirmations"), "{v:?}");
        }
        other => panic!("expected a refusal for confirmations, got {other:?}"),
    }
    assert_eq!(app.count("tokens").await, tokens, "nothing stored by a refusal");
}

/// Beacon seeds from a local development beacon: the first round after the collection's
/// commitment is accepted and labelled; an earlier round, a signature under another key, a
/// seed off by one bit and a missing signature are refused with nothing stored; the bundle's
/// check passes with the beacon's key and is unconfirmed without it.
#[tokio::test]
async fn beacon_seeds_need_the_first_round_after_the_commitment_signed_by_the_trusted_beacon() {
    let (anvil, key, client) = mining_chain().await;
    let rpc = anvil.endpoint();
    let anchor_contract = format!("{:#x}", client.contract_address().unwrap());
    let local = LocalBeacon::new(&[42; 32], 1_700_000_000, 3).unwrap();
    let beacon_key = *local.key();
    let app = TestApp::spawn_anchored_with(Backend::Sqlite, &rpc, &key, client.contract_address().unwrap(), |c| {
        c.collections.beacon = Some(BeaconConfig {
            public_key: None,
            genesis_time: 1_700_000_000,
            period: 3,
            local_secret: Some(hex::encode([42u8; 32])),
        });
    })
    .await;
    // The registry serves its local beacon's rounds as a drand node does.
    let info: Value = reqwest::get(app.url("/beacon/info")).await.unwrap().json().await.unwrap();
    assert_eq!(info["public_key"], beacon_key.public_key_hex());
    assert_eq!(info["local"], true);
    let one: Value = reqwest::get(app.url("/beacon/public/1")).await.unwrap().json().await.unwrap();
    assert_eq!(one["signature"], hex::encode(local.sign(1)));
    let future = reqwest::get(app.url(&format!("/beacon/public/{}", u64::MAX / 4))).await.unwrap();
    assert_eq!(future.status().as_u16(), 425);
    let version = app.proven_version("beacon-maker").await;
    let deploy = json!({ "input": { "modelVersion": version, "name": "Beacon Traits", "symbol": "BCN", "seedSource": "BEACON" } });
    let address = app.ok(DEPLOY, deploy).await["deployCollection"]["address"].as_str().unwrap().to_owned();
    let collection: Address = address.parse().unwrap();
    let minter = CollectionClient::connect(&rpc, &key, Some(collection)).unwrap();
    minter.commit_seeds(1, 2).await.unwrap();
    let reader = minter.reader().unwrap();
    let commitment = reader.seed_commitment_of(U256::from(1)).await.unwrap().unwrap();
    let round = beacon::seed_round(&beacon_key, commitment.commit_time);
    let contract: [u8; 20] = collection.into();
    let seed_of = |round: u64, signature: &[u8; 48], t: u64| {
        let mut id = [0u8; 32];
        id[24..].copy_from_slice(&t.to_be_bytes());
        beacon::beacon_seed(31337, contract, round, signature, id)
    };
    let source = |round: u64, signature: &[u8; 48]| json!({ "kind": "BEACON", "round": round, "signature": hex::encode(signature) });

    let tokens = app.count("tokens").await;
    let signed = local.sign(round);
    let earlier = local.sign(round - 1);
    let body = app
        .gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 2, seed_of(round - 1, &earlier, 2), source(round - 1, &earlier)).await }))
        .await;
    refused(&body, "/seedSource/round", "afterCommitment");
    let stranger = LocalBeacon::new(&[7; 32], 1_700_000_000, 3).unwrap().sign(round);
    let body = app
        .gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 2, seed_of(round, &stranger, 2), source(round, &stranger)).await }))
        .await;
    refused(&body, "/seedSource/signature", "signature");
    let mut off = seed_of(round, &signed, 2);
    off[0] ^= 0x80;
    let body = app
        .gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 2, off, source(round, &signed)).await }))
        .await;
    refused(&body, "/inputSeed", "seedSource");
    let unsigned = json!({ "kind": "BEACON", "round": round });
    let body = app.gql(REGISTER_TOKEN, json!({ "input": input(&version, &address, 2, off, unsigned).await })).await;
    refused(&body, "/seedSource/signature", "required");
    assert_eq!(app.count("tokens").await, tokens, "nothing stored by a refusal");

    // Token 1 with the right seed: minted (the contract takes committed tokens) and registered.
    let seed = seed_of(round, &signed, 1);
    let (traits, record) = zk::prove(seed).await;
    let aigc = aigc_data_from_field_elements(&record.public_outputs).unwrap();
    minter.add_aigc_data(U256::from(1), &seed, &aigc, &record.proof).await.expect("minted");
    let mut token = zk::token_input(&version, 1, seed, &traits, &record);
    token["contract"] = json!(address);
    token["seedSource"] = source(round, &signed);
    app.ok(REGISTER_TOKEN, json!({ "input": token })).await;
    let got = &app.ok(TOKEN, json!({ "contract": address, "id": "1" })).await["token"]["seedSource"];
    assert_eq!(got["kind"], "BEACON");
    assert_eq!(got["verified"], true);
    assert_eq!(got["round"], round);
    assert_eq!(got["localBeacon"], true);
    assert_eq!(got["beaconKey"], beacon_key.public_key_hex());

    app.worker.as_ref().unwrap().round().await.unwrap();
    let b = bundle(&app, &address, 1).await;
    let mut opts = options(Some((&rpc, &anchor_contract)));
    opts.beacon = Some(beacon_key);
    let report = verify_bundle(&b, &opts).await;
    let check = report.check("seed.source", "token", &b.subject.id).unwrap();
    // Every check held, but a local beacon's key proves nothing: unconfirmed, never passed.
    assert_eq!(check.status, Status::Unconfirmed, "{}", report.to_text());
    assert!(
        check.detail.contains(&format!("drand round {round}")) && check.detail.contains("proves nothing"),
        "{}",
        check.detail
    );
    let later_round = with_seed_field(&b, "round", json!(round + 1));
    let report = verify_bundle(&later_round, &opts).await;
    assert_eq!(report.check("seed.source", "token", &b.subject.id).unwrap().status, Status::Failed);
    let without_key = verify_bundle(&b, &options(Some((&rpc, &anchor_contract)))).await;
    let check = without_key.check("seed.source", "token", &b.subject.id).unwrap();
    assert_eq!(check.status, Status::Unconfirmed, "{}", without_key.to_text());
    assert!(check.detail.contains("local development beacon"), "{}", check.detail);

    // `collection run` with beacon seeds: commits, fetches the round after the commitment
    // from the registry's beacon, derives, proves, mints and registers.
    app.license(LICENSE, "ALLOWED").await;
    let minter_key = anvil.private_key_hex(1).unwrap();
    let minted_dir = tempfile::tempdir().unwrap();
    let opts = run_options(&app, &rpc, &minter_key, minted_dir.path());
    let seeds = format!("kind = \"beacon\"\n        beacon_url = \"{}\"", app.url("/beacon"));
    let summary = run(&spec_with(&app, 1, &seeds, "BSD"), &opts).await.expect("the beacon run");
    assert_eq!(summary.registered, 1, "{summary:?}");
    let address = summary.collection.as_ref().unwrap().address.clone();
    let got = &app.ok(TOKEN, json!({ "contract": address, "id": "1" })).await["token"]["seedSource"];
    assert_eq!((&got["kind"], &got["verified"]), (&json!("BEACON"), &json!(true)), "{got:#}");
}
