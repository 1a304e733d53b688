//! Tokens of deployed collections are registered as the chain minted them: real anvil, the
//! real contracts, real EZKL proofs, both databases.
use provreg_anchor::alloy_types::U256;
use provreg_anchor::{CollectionClient, aigc_data_from_field_elements};
use serde_json::{Value, json};

use crate::anchoring::chain;
use crate::collections::DEPLOY;
use crate::compliance::metadata;
use crate::helpers::{Backend, TestApp};
use crate::{on_both_backends, zk};

on_both_backends!(tokens_of_a_collection_are_registered_as_minted, a_mint_needs_its_confirmations);

const REGISTER: &str = "mutation($input: TokenInput!) { registerToken(input: $input) { id tokenId contract record \
     onChain { txHash blockNumber owner } collection { id address } } }";

const TOKEN: &str = "query($contract: String!, $id: String!) { token(chainId: 31337, contract: $contract, tokenId: \
     $id) { id onChain { txHash blockNumber owner } collection { address } } }";

/// The `TokenInput` of token `token_id` of `collection`, with the seed, traits and proof of
/// seed number `seed_n`.
async fn input(version: &str, collection: &str, token_id: u64, seed_n: u64) -> Value {
    let seed = zk::seed(seed_n);
    let (traits, record) = zk::prove(seed).await;
    let mut input = zk::token_input(version, token_id, seed, &traits, &record);
    input["contract"] = json!(collection);
    input
}

/// Deploys a collection of `version`; returns the `deployCollection` result.
async fn deploy(app: &TestApp, version: &str) -> Value {
    let variables = json!({ "input": { "modelVersion": version, "name": "Minted Traits", "symbol": "MNT" } });
    app.ok(DEPLOY, variables).await["deployCollection"].clone()
}

/// Mints token `token_id` of the collection at `address` with seed number `seed_n`'s proof.
async fn mint(rpc: &str, key: &str, address: &str, token_id: u64, seed_n: u64) -> provreg_anchor::TxOutcome {
    let seed = zk::seed(seed_n);
    let (_, record) = zk::prove(seed).await;
    let client = CollectionClient::connect(rpc, key, Some(address.parse().unwrap())).unwrap();
    let aigc = aigc_data_from_field_elements(&record.public_outputs).unwrap();
    client.add_aigc_data(U256::from(token_id), &seed, &aigc, &record.proof).await.expect("the chain accepts the proof")
}

/// Asserts `body` is one `code` error at `pointer` with rule `rule`.
fn refused(body: &Value, code: &str, pointer: &str, rule: &str) {
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(ext["code"], code, "{body:#}");
    assert_eq!(ext["pointer"], pointer, "{body:#}");
    assert_eq!(ext["rule"], rule, "{body:#}");
}

/// The counts of what a registration writes.
async fn written(app: &TestApp) -> [i64; 4] {
    [
        app.count("tokens").await,
        app.count("proof_records").await,
        app.count("log_entries").await,
        app.count("certificates").await,
    ]
}

async fn tokens_of_a_collection_are_registered_as_minted(backend: Backend) {
    let (anvil, key, client) = chain(None, 0).await.expect("CI has anvil");
    let rpc = anvil.endpoint();
    let app = TestApp::spawn_anchored(backend, &rpc, &key, client.contract_address().unwrap()).await;
    let version = app.proven_version("mint-maker").await;
    let other = app.proven_version("other-maker").await;
    let collection = deploy(&app, &version).await;
    let address = collection["address"].as_str().unwrap().to_owned();
    let minted = mint(&rpc, &key, &address, 1, 1).await;
    let before = written(&app).await;

    // The chain does not have token 2: refused, though its proof is valid.
    let body = app.gql(REGISTER, json!({ "input": input(&version, &address, 2, 2).await })).await;
    refused(&body, "BAD_USER_INPUT", "/tokenId", "onChain");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("not minted") && message.contains(&address), "{message}");

    // Token 1 with another seed's valid proof and traits: not the seed it was minted with.
    let another_seed = input(&version, &address, 1, 2).await;
    let body = app.gql(REGISTER, json!({ "input": another_seed })).await;
    refused(&body, "BAD_USER_INPUT", "/inputSeed", "onChain");

    // Its seed with other traits.
    let mut other_traits = input(&version, &address, 1, 1).await;
    other_traits["traits"][0] = json!(other_traits["traits"][0].as_f64().unwrap() + 1.0);
    let body = app.gql(REGISTER, json!({ "input": other_traits })).await;
    refused(&body, "BAD_USER_INPUT", "/traits", "onChain");

    // Its seed and traits with one proof byte changed.
    let mut other_proof = input(&version, &address, 1, 1).await;
    let mut bytes = hex::decode(other_proof["proof"]["proof"].as_str().unwrap()).unwrap();
    bytes[100] ^= 1;
    other_proof["proof"]["proof"] = json!(hex::encode(bytes));
    let body = app.gql(REGISTER, json!({ "input": other_proof })).await;
    refused(&body, "BAD_USER_INPUT", "/proof/proof", "onChain");

    // Registered as another model version's token.
    let body = app.gql(REGISTER, json!({ "input": input(&other, &address, 1, 1).await })).await;
    refused(&body, "BAD_USER_INPUT", "/modelVersion", "collection");
    assert_eq!(written(&app).await, before, "a refused token stores nothing");

    // As minted: accepted, with the chain's facts in the row and in the signed record.
    let data = app.ok(REGISTER, json!({ "input": input(&version, &address, 1, 1).await })).await;
    let token = &data["registerToken"];
    let tx = format!("{:#x}", minted.tx_hash);
    let on_chain = json!({ "txHash": tx, "blockNumber": minted.block_number, "owner": collection["registry"] });
    assert_eq!(token["onChain"], on_chain, "{data:#}");
    assert_eq!(token["collection"], json!({ "id": collection["id"], "address": address }));
    let mut signed = on_chain.clone();
    signed["collection"] = collection["id"].clone();
    assert_eq!(token["record"]["payload"]["onChain"], signed, "the record covers the mint");
    let [tokens, proofs, entries, certificates] = before;
    assert_eq!(written(&app).await, [tokens + 1, proofs + 1, entries + 1, certificates + 1]);
    let read = app.ok(TOKEN, json!({ "contract": address.to_ascii_uppercase().replace("0X", "0x"), "id": "1" })).await;
    assert_eq!(read["token"]["onChain"], on_chain);

    let doc = metadata(&app, &address, "1").await;
    assert_eq!(doc["provenance"]["onChain"], true, "{doc:#}");
    assert_eq!(doc["provenance"]["mint"]["txHash"], tx.as_str());
    assert_eq!(doc["provenance"]["mint"]["blockNumber"], minted.block_number);

    // A token of a contract that is no recorded collection stays off chain.
    let off = app.proven_token(&version, 7, 3).await;
    let contract = zk::CONTRACT.to_ascii_lowercase();
    let read = app.ok(TOKEN, json!({ "contract": contract, "id": "7" })).await;
    assert_eq!(read["token"]["id"], off["id"]);
    assert_eq!(read["token"]["onChain"], Value::Null);
    assert_eq!(read["token"]["collection"], Value::Null);
    assert!(off["record"]["payload"].get("onChain").is_none(), "{off:#}");
    let doc = metadata(&app, &contract, "7").await;
    assert_eq!(doc["provenance"]["onChain"], false, "{doc:#}");
    assert_eq!(doc["provenance"]["mint"], Value::Null);

    // The chain gone: UNAVAILABLE, nothing stored.
    let before = written(&app).await;
    drop(anvil);
    let body = app.gql(REGISTER, json!({ "input": input(&version, &address, 2, 2).await })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body:#}");
    assert_eq!(written(&app).await, before);
}

/// `anchoring.confirmations` blocks, the minting block included, before a mint counts.
async fn a_mint_needs_its_confirmations(backend: Backend) {
    let (anvil, key, client) = chain(None, 0).await.expect("CI has anvil");
    let rpc = anvil.endpoint();
    let contract = client.contract_address().unwrap();
    let app = TestApp::spawn_anchored_with(backend, &rpc, &key, contract, |c| c.anchoring.confirmations = 3).await;
    let version = app.proven_version("confirming-maker").await;
    let address = deploy(&app, &version).await["address"].as_str().unwrap().to_owned();
    let minted = mint(&rpc, &key, &address, 1, 1).await;

    let body = app.gql(REGISTER, json!({ "input": input(&version, &address, 1, 1).await })).await;
    refused(&body, "BAD_USER_INPUT", "/tokenId", "confirmations");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("1 of the 3"), "{body:#}");
    assert_eq!(app.count("tokens").await, 0);

    let mine = json!({ "jsonrpc": "2.0", "id": 1, "method": "anvil_mine", "params": ["0x2"] });
    let reply: Value = reqwest::Client::new().post(&rpc).json(&mine).send().await.unwrap().json().await.unwrap();
    assert!(reply.get("error").is_none(), "{reply}");
    let data = app.ok(REGISTER, json!({ "input": input(&version, &address, 1, 1).await })).await;
    assert_eq!(data["registerToken"]["onChain"]["blockNumber"], minted.block_number);
}
