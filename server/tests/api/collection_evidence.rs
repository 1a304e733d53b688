//! The evidence bundle of a token minted in a deployed collection: it carries the collection
//! record, and `provreg verify --rpc` checks on chain that the collection's verifier is the
//! recorded one and that the chain accepted this token's seed, traits and proof.
use provreg_anchor::alloy_types::{Address, U256};
use provreg_anchor::{CollectionClient, aigc_data_from_field_elements};
use provreg_evidence::{Bundle, Outcome, Status, verify_bundle};
use serde_json::json;

use crate::anchoring::{anvil, chain};
use crate::collections::DEPLOY;
use crate::evidence::options;
use crate::helpers::{Backend, TestApp};
use crate::zk::{self, REGISTER_TOKEN};

async fn a_minted_tokens_bundle_proves_the_chain_checked_its_proof(backend: Backend) {
    let (anvil_chain, key, client) = chain(None, 0).await.expect("CI has anvil");
    let rpc = anvil_chain.endpoint();
    let anchor_contract = format!("{:#x}", client.contract_address().unwrap());
    let app = TestApp::spawn_anchored(backend, &rpc, &key, client.contract_address().unwrap()).await;
    let version = app.proven_version("collection-evidence").await;
    let input = json!({ "input": { "modelVersion": version, "name": "Evidence", "symbol": "EVD" } });
    let collection = app.ok(DEPLOY, input).await["deployCollection"].clone();
    let address = collection["address"].as_str().unwrap().to_owned();

    // Token 1 minted on chain with a real proof, then registered.
    let seed = zk::seed(1);
    let (traits, proof) = zk::prove(seed).await;
    let parsed: Address = address.parse().unwrap();
    let minter = CollectionClient::connect(&rpc, &key, Some(parsed)).unwrap();
    let aigc = aigc_data_from_field_elements(&proof.public_outputs).unwrap();
    minter.add_aigc_data(U256::from(1), &seed, &aigc, &proof.proof).await.expect("minted");
    let mut token = zk::token_input(&version, 1, seed, &traits, &proof);
    token["contract"] = json!(address);
    app.ok(REGISTER_TOKEN, json!({ "input": token })).await;
    app.worker.as_ref().unwrap().round().await.unwrap();

    let url = app.url(&format!("/tokens/31337/{address}/1/evidence"));
    let text = reqwest::Client::new().get(url).bearer_auth(&app.auditor).send().await.unwrap().text().await.unwrap();
    let bundle = Bundle::from_json(&text).expect("a bundle");
    let carried = bundle.records.iter().find(|r| r.kind == "collection").expect("the collection record is carried");
    assert_eq!(carried.id, collection["id"].as_str().unwrap());
    assert!(bundle.lineage.iter().any(|e| e.relation == "mintedIn"), "{:?}", bundle.lineage);

    // Against the chain: every check holds, the collection's among them.
    let report = verify_bundle(&bundle, &options(Some((&rpc, &anchor_contract)))).await;
    assert_eq!(report.outcome, Outcome::Valid, "{}", report.to_text());
    let on_chain = report.check("collection.chain", "token", &bundle.subject.id).expect("collection.chain");
    assert_eq!(on_chain.status, Status::Passed, "{}", report.to_text());
    assert!(on_chain.detail.contains("verify() accepts"), "{}", on_chain.detail);
    for name in ["record.digest", "certificate.signature", "anchor.chain"] {
        let c = report.check(name, "collection", &carried.id).unwrap_or_else(|| panic!("{name} of the collection"));
        assert_eq!(c.status, Status::Passed, "{}", report.to_text());
    }

    // Offline, the chain's check is not looked up: not proven on chain.
    let offline = verify_bundle(&bundle, &options(None)).await;
    let c = offline.check("collection.chain", "token", &bundle.subject.id).unwrap();
    assert_eq!(c.status, Status::Unconfirmed);

    // Another chain, where no such collection exists: the check fails.
    let other = anvil(None, 0).expect("a second chain");
    let elsewhere = verify_bundle(&bundle, &options(Some((&other.endpoint(), &anchor_contract)))).await;
    let c = elsewhere.check("collection.chain", "token", &bundle.subject.id).unwrap();
    assert_eq!(c.status, Status::Failed, "{}", elsewhere.to_text());
    assert_eq!(elsewhere.outcome, Outcome::Invalid);

    // A bundle that drops the collection record is refused: the stated edges name it.
    let mut dropped = bundle.clone();
    dropped.records.retain(|r| r.kind != "collection");
    let report = verify_bundle(&dropped, &options(Some((&rpc, &anchor_contract)))).await;
    assert_eq!(report.outcome, Outcome::Invalid, "{}", report.to_text());
    // Dropping its edge too does not pass it off as a token minted off chain: the signed
    // token record names its collection.
    dropped.lineage.retain(|e| e.relation != "mintedIn" && e.from.kind != "collection");
    let report = verify_bundle(&dropped, &options(Some((&rpc, &anchor_contract)))).await;
    let c = report.check("collection", "token", &bundle.subject.id).unwrap();
    assert_eq!(c.status, Status::Failed, "{}", report.to_text());
    assert!(c.detail.contains("does not carry"), "{}", c.detail);
}

crate::on_both_backends!(a_minted_tokens_bundle_proves_the_chain_checked_its_proof);
