//! `provreg collection run` with `[onchain]`: the run deploys the model version's collection
//! through the registry, mints every proven token on a real anvil chain (the collection's
//! EZKL verifier checks each proof), registers it, and a second run finds the collection and
//! skips everything. A run stopped between minting and registering, or between proving and
//! minting, is finished by the next run with the kept proof; a proof the chain refuses mints
//! and registers nothing. Both databases.
use std::path::Path;

use provreg_anchor::CollectionReader;
use provreg_anchor::alloy_types::{Address, U256};
use provreg_collection::{ChainOptions, CollectionError, RunOptions, Spec, TokenResult, run};
use serde_json::json;

use crate::anchoring::chain;
use crate::helpers::{Backend, TestApp};
use crate::{on_both_backends, zk};

on_both_backends!(a_run_deploys_its_collection_and_mints_each_token_before_registering_it);

const LICENSE: &str = "On-chain weights licence";

fn spec(app: &TestApp, chain_id: i64, contract: Option<&str>, count: u64) -> Spec {
    let contract = contract.map(|c| format!("contract = \"{c}\"")).unwrap_or_default();
    let text = format!(
        r#"
        server = "{server}"

        [collection]
        chain_id = {chain_id}
        {contract}
        name = "Chain Trait"

        [model]
        name = "trait-generator"
        version = "v3-zk"
        onnx = "fixture"
        license = "{LICENSE}"

        [seeds]
        first_token_id = 1
        count = {count}
        kind = "operator"
        salt = "on chain"

        [onchain]
        name = "Chain Traits"
        symbol = "CHT"
        "#,
        server = app.url(""),
    );
    Spec::parse(&text, Path::new(".")).expect("the test spec parses")
}

/// Options of a run minting with `minter_key` on `rpc`, proving with the shared fixture
/// circuits, keeping proofs in `minted_dir`, not waiting for anchors.
pub fn run_options(app: &TestApp, rpc: &str, minter_key: &str, minted_dir: &Path) -> RunOptions {
    let mut opts = RunOptions::new(&crate::helpers::test_data_dir(), app.registrar.clone());
    opts.python = Some(zk::python());
    opts.work_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zk-fixture/circuits");
    opts.wait = false;
    opts.progress = false;
    opts.chain = Some(ChainOptions { rpc_url: rpc.to_owned(), minter_key: minter_key.to_owned() });
    opts.minted_dir = Some(minted_dir.to_path_buf());
    opts
}

const TOKEN: &str = "query($contract: String!, $id: String!) { token(chainId: 31337, contract: $contract, tokenId: \
     $id) { id metadataPath onChain { txHash blockNumber owner } collection { id address } } }";

async fn a_run_deploys_its_collection_and_mints_each_token_before_registering_it(backend: Backend) {
    let (anvil, key, client) = chain(None, 0).await.expect("CI has anvil");
    let rpc = anvil.endpoint();
    let app = TestApp::spawn_anchored(backend, &rpc, &key, client.contract_address().unwrap()).await;
    app.license(LICENSE, "ALLOWED").await;
    zk::fixture().await;

    let minter_key = anvil.private_key_hex(1).unwrap();
    let minter: Address = anvil.addresses()[1];
    let minted_dir = tempfile::tempdir().unwrap();
    let opts = run_options(&app, &rpc, &minter_key, minted_dir.path());

    // The spec's chain ID is not the chain's: refused, naming the field, before deploying.
    let err = run(&spec(&app, 1, None, 2), &opts).await.unwrap_err();
    assert!(err.to_string().starts_with("collection.chain_id: "), "{err}");
    assert_eq!(app.count("collections").await, 0);

    let first = run(&spec(&app, 31337, None, 2), &opts).await.expect("the first run");
    assert_eq!((first.registered, first.already_registered, first.failed), (2, 0, 0), "{first}");
    let collection = first.collection.clone().expect("a collection");
    assert!(collection.deployed_now, "{first}");
    assert_eq!(collection.minter, format!("{minter:#x}"));
    let address = collection.address.clone();
    let gas = first.mint_gas();
    assert_eq!(gas.len(), 2, "{first}");
    assert!(gas.iter().all(|g| *g > 300_000), "a mint verifies its proof on chain: {gas:?}");
    let printed = first.to_string();
    assert!(printed.contains(&address) && printed.contains("deployed now"), "{printed}");
    assert!(printed.contains("mints: 2 sent") && printed.contains("per mint"), "{printed}");

    let reader = CollectionReader::connect(&rpc, address.parse().unwrap()).unwrap();
    for outcome in &first.tokens {
        let id = outcome.token_id.to_string();
        let mint = outcome.mint.as_ref().expect("minted by this run");
        let token = &app.ok(TOKEN, json!({ "contract": address, "id": id })).await["token"];
        assert_eq!(token["onChain"]["txHash"], mint.tx_hash.as_str(), "{token:#}");
        assert_eq!(token["onChain"]["blockNumber"], mint.block_number);
        assert_eq!(token["onChain"]["owner"], format!("{minter:#x}"));
        assert_eq!(token["collection"]["id"], collection.id.as_str());
        // The chain's token URI is the registry's metadata URL of the token.
        let uri = reader.token_uri(U256::from(outcome.token_id)).await.unwrap();
        assert_eq!(Some(uri.as_str()), outcome.metadata_url.as_deref(), "{first}");
        assert_eq!(reader.owner_of(U256::from(outcome.token_id)).await.unwrap(), Some(minter));
    }

    // Again: the recorded collection is found, nothing is minted or registered.
    let tokens_before = app.count("tokens").await;
    let second = run(&spec(&app, 31337, None, 2), &opts).await.expect("the second run");
    assert_eq!((second.registered, second.already_registered, second.failed), (0, 2, 0), "{second}");
    let again = second.collection.clone().expect("the collection");
    assert_eq!((again.address.as_str(), again.deployed_now), (address.as_str(), false), "{second}");
    assert!(second.mint_gas().is_empty() && second.proof_times().is_empty(), "{second}");
    assert!(second.to_string().contains("none sent by this run"), "{second}");
    assert_eq!(app.count("collections").await, 1);
    assert_eq!(app.count("tokens").await, tokens_before);

    // Token 3 minted by a run that stopped before registering it, with no kept proof: named,
    // not registered.
    let plan = spec(&app, 31337, Some(&address), 5).plan().unwrap();
    let (traits3, record3) = zk::prove(plan[2].seed).await;
    let minting = provreg_anchor::CollectionClient::connect(&rpc, &minter_key, Some(address.parse().unwrap())).unwrap();
    let aigc = provreg_anchor::aigc_data_from_field_elements(&record3.public_outputs).unwrap();
    minting.add_aigc_data(U256::from(3u64), &plan[2].seed, &aigc, &record3.proof).await.expect("minted by hand");
    let third = run(&spec(&app, 31337, Some(&address), 3), &opts).await.expect("the third run");
    assert_eq!((third.registered, third.already_registered, third.failed), (0, 2, 1), "{third}");
    assert!(
        matches!(&third.tokens[2].result, TokenResult::Failed(why) if why.contains("minted on chain") && why.contains("not in")),
        "{third}"
    );
    assert_eq!(app.count("tokens").await, tokens_before);

    // With the proof kept as a stopped run keeps it, the next run registers it.
    let kept_dir = minted_dir.path().join(format!("31337-{address}"));
    std::fs::create_dir_all(&kept_dir).unwrap();
    let kept = |seed: [u8; 32], traits: &[f32], record: &provreg_prover_client::ProofRecord| {
        serde_json::to_vec(&json!({ "seed": format!("0x{}", hex::encode(seed)), "traits": traits, "record": record }))
            .unwrap()
    };
    std::fs::write(kept_dir.join("3.json"), kept(plan[2].seed, &traits3, &record3)).unwrap();
    // Token 4 proven by a run that stopped before minting, its proof one byte off: the chain
    // refuses it, nothing is minted or registered.
    let (traits4, mut record4) = zk::prove(plan[3].seed).await;
    record4.proof[100] ^= 1;
    std::fs::write(kept_dir.join("4.json"), kept(plan[3].seed, &traits4, &record4)).unwrap();
    let fourth = run(&spec(&app, 31337, Some(&address), 4), &opts).await.expect("the fourth run");
    assert_eq!((fourth.registered, fourth.already_registered, fourth.failed), (1, 2, 1), "{fourth}");
    let three = &fourth.tokens[2];
    assert_eq!(three.result, TokenResult::Registered, "{fourth}");
    assert_eq!(three.mint.as_ref().map(|m| m.gas_used), Some(None), "minted before, not by this run: {fourth}");
    assert!(three.proof_time.is_none(), "the kept proof is used, not a new one: {fourth}");
    assert!(
        matches!(&fourth.tokens[3].result, TokenResult::Failed(why) if why.contains("refused the proof")),
        "{fourth}"
    );
    assert_eq!(reader.owner_of(U256::from(4u64)).await.unwrap(), None, "token 4 is not minted");
    assert_eq!(app.count("tokens").await, tokens_before + 1);

    // A collection minted by another account: the key cannot mint in it.
    let mut other = opts.clone();
    other.chain = Some(ChainOptions { rpc_url: rpc.clone(), minter_key: anvil.private_key_hex(2).unwrap() });
    let err = run(&spec(&app, 31337, Some(&address), 1), &other).await.unwrap_err();
    assert!(matches!(err, CollectionError::WrongMinter { .. }), "{err:?}");
}
