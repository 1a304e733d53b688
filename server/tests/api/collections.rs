//! Deploying a model version's on-chain collection: real anvil, the real contracts, the EZKL
//! verifier generated from the registered circuit, both databases.
use provreg_anchor::alloy_types::{Address, B256, U256};
use provreg_anchor::devchain::bundled_solc_package;
use provreg_anchor::{CollectionClient, CollectionReader, aigc_data_from_field_elements};
use provreg_prover_client::{EzklBackend, EzklConfig, SolcJs};
use serde_json::{Value, json};

use crate::anchoring::chain;
use crate::helpers::{Backend, TestApp};
use crate::{on_both_backends, zk};

on_both_backends!(a_proven_version_gets_a_collection_whose_verifier_is_its_circuits, bad_requests_store_nothing);

pub const DEPLOY: &str = "mutation($input: CollectionInput!) { deployCollection(input: $input) { id chainId address \
     name symbol minter registry modelVersion { id } circuit { id } verifier { address codeHash compiler } deployTx \
     deployBlock digest record certificate { id digest } logEntry { leaf recordDigest } } }";

const ANCHORED: &str = "query($chain: Int!, $address: String!) { collection(chainId: $chain, address: $address) { \
     id address logEntry { seq anchor { status } } } }";

fn input(version: &str, name: &str, symbol: &str, minter: Option<&str>) -> Value {
    json!({ "input": { "modelVersion": version, "name": name, "symbol": symbol, "minter": minter } })
}

/// The number of transactions `account` has sent on the chain at `rpc`.
async fn nonce(rpc: &str, account: &str) -> u64 {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [account, "latest"] });
    let reply: Value = reqwest::Client::new().post(rpc).json(&body).send().await.unwrap().json().await.unwrap();
    u64::from_str_radix(reply["result"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// The EVM verifier EZKL generates for the fixture circuit, compiled with the bundled solc.
async fn fixture_verifier_code_hash() -> String {
    let fx = zk::fixture().await;
    let scratch = tempfile::tempdir().unwrap();
    let backend = EzklBackend::new(EzklConfig::new(scratch.path()).with_python(zk::python()));
    let verifier = backend.evm_verifier(&fx.circuit, &SolcJs::new(bundled_solc_package())).await.unwrap();
    format!("0x{}", hex::encode(verifier.runtime_code_hash))
}

async fn a_proven_version_gets_a_collection_whose_verifier_is_its_circuits(backend: Backend) {
    let (anvil, key, client) = chain(None, 0).await.expect("CI has anvil");
    let rpc = anvil.endpoint();
    let app = TestApp::spawn_anchored(backend, &rpc, &key, client.contract_address().unwrap()).await;
    let version = app.proven_version("collection-maker").await;
    let (records_before, certificates_before) = (app.count("log_entries").await, app.count("certificates").await);

    let first = app.ok(DEPLOY, input(&version, "Pixel Traits", "PXT", None)).await["deployCollection"].clone();
    let registry_account = first["registry"].as_str().unwrap().to_owned();
    assert_eq!(first["minter"], registry_account, "the minter defaults to the registry's account");
    assert_eq!(first["chainId"], 31337);
    assert_eq!(first["modelVersion"]["id"], version.as_str());
    let address = first["address"].as_str().unwrap().to_owned();
    assert_eq!(address, address.to_ascii_lowercase());
    assert_eq!(first["record"]["kind"], "collection");
    assert_eq!(first["record"]["payload"]["address"], address.as_str());
    assert_eq!(first["logEntry"]["recordDigest"], first["digest"]);
    assert!(first["certificate"]["id"].is_string());
    assert_eq!(app.count("collections").await, 1);
    assert_eq!(app.count("log_entries").await, records_before + 1);
    assert_eq!(app.count("certificates").await, certificates_before + 1);

    // The contract is there, with the recorded verifier, whose code is what EZKL generates
    // for the circuit's verifying key.
    let parsed: Address = address.parse().unwrap();
    let reader = CollectionReader::connect(&rpc, parsed).unwrap();
    let params = reader.params().await.unwrap();
    assert_eq!((params.name.as_str(), params.symbol.as_str()), ("Pixel Traits", "PXT"));
    assert_eq!(format!("{:#x}", params.verifier), first["verifier"]["address"].as_str().unwrap());
    assert_eq!(format!("{:#x}", params.registry), registry_account);
    let code_hash = first["verifier"]["codeHash"].as_str().unwrap().to_owned();
    assert_eq!(code_hash, fixture_verifier_code_hash().await, "the deployed verifier is the circuit's");
    assert_eq!(format!("{:#x}", reader.code_hash_at(params.verifier).await.unwrap()), code_hash);
    assert_ne!(reader.code_hash_at(parsed).await.unwrap(), B256::from(EMPTY_CODE_HASH));
    assert!(first["verifier"]["compiler"].as_str().unwrap().starts_with("solc "));

    // A token minted with a real proof points at the registry's metadata URL.
    let seed = zk::seed(1);
    let (_, proof) = zk::prove(seed).await;
    let minter = CollectionClient::connect(&rpc, &key, Some(parsed)).unwrap();
    let aigc = aigc_data_from_field_elements(&proof.public_outputs).unwrap();
    minter.add_aigc_data(U256::from(1), &seed, &aigc, &proof.proof).await.expect("the chain accepts the proof");
    assert_eq!(reader.token_uri(U256::from(1)).await.unwrap(), format!("http://{}/tokens/31337/{address}/1", app.addr));

    // A second collection of the same circuit reuses the verifier: one transaction, the
    // collection's.
    let sent = nonce(&rpc, &registry_account).await;
    let second =
        app.ok(DEPLOY, input(&version, "Pixel Traits II", "PXT2", Some(zk::CONTRACT))).await["deployCollection"]
            .clone();
    assert_eq!(nonce(&rpc, &registry_account).await, sent + 1, "only the collection was deployed");
    assert_eq!(second["verifier"], first["verifier"]);
    assert_ne!(second["address"], first["address"]);
    assert_eq!(second["minter"], zk::CONTRACT.to_ascii_lowercase());
    let listed =
        app.ok("query($v: String!) { collections(modelVersion: $v) { address } }", json!({"v": version})).await;
    assert_eq!(listed["collections"], json!([{ "address": address }, { "address": second["address"] }]));

    // Anchored like every record, and readable through the audit API.
    let anchored = app.post("/graphql", Some(&app.admin), "mutation { anchorNow { status } }", json!({})).await;
    assert_eq!(anchored["data"]["anchorNow"][0]["status"], "CONFIRMED", "{anchored:#}");
    let audit = app
        .post(
            "/audit/graphql",
            Some(&app.auditor),
            ANCHORED,
            json!({"chain": 31337, "address": address.to_ascii_uppercase().replace("0X", "0x")}),
        )
        .await;
    let seen = &audit["data"]["collection"];
    assert_eq!(seen["id"], first["id"], "{audit:#}");
    assert_eq!(seen["logEntry"]["anchor"]["status"], "CONFIRMED");
    assert!(seen["logEntry"]["seq"].is_number());
}

/// Keccak-256 of empty code.
const EMPTY_CODE_HASH: [u8; 32] = [
    0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c, 0x92, 0x7e, 0x7d, 0xb2, 0xdc, 0xc7, 0x03, 0xc0, 0xe5, 0x00, 0xb6,
    0x53, 0xca, 0x82, 0x27, 0x3b, 0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70,
];

/// Asserts `body` is one error with `code` at `pointer`.
fn refused(body: &Value, code: &str, pointer: Option<&str>) {
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body:#}");
    if let Some(pointer) = pointer {
        assert_eq!(body["errors"][0]["extensions"]["pointer"], pointer, "{body:#}");
    }
}

async fn bad_requests_store_nothing(backend: Backend) {
    // Without a chain: UNAVAILABLE, saying what to configure.
    let offline = TestApp::spawn(backend).await;
    let version = offline.proven_version_without_circuit("offline-model").await;
    let body = offline.gql(DEPLOY, input(&version, "Offline", "OFF", None)).await;
    refused(&body, "UNAVAILABLE", None);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("anchoring.rpc_url"), "{body:#}");
    assert_eq!(offline.count("collections").await, 0);
    drop(offline);

    let (anvil, key, client) = chain(None, 0).await.expect("CI has anvil");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, client.contract_address().unwrap()).await;
    let version = app.proven_version("collection-maker").await;
    let unbound = app.proven_version_without_circuit("no-circuit").await;
    let revoked = app.proven_version("revoked-maker").await;
    app.ok(
        "mutation($id: String!) { setModelVersionStatus(id: $id, status: REVOKED, reason: \"leaked\") { id } }",
        json!({"id": revoked}),
    )
    .await;
    let entries = app.count("log_entries").await;
    let sent = nonce(&anvil.endpoint(), &format!("{:#x}", client.sender())).await;
    let cases = [
        (input(&unbound, "Name", "SYM", None), "/modelVersion"),
        (input(&revoked, "Name", "SYM", None), "/modelVersion"),
        (input(&uuid::Uuid::now_v7().to_string(), "Name", "SYM", None), "/modelVersion"),
        (input("not-an-id", "Name", "SYM", None), "/modelVersion"),
        (input(&version, "", "SYM", None), "/name"),
        (input(&version, "tab\there", "SYM", None), "/name"),
        (input(&version, "Name", "S Y M", None), "/symbol"),
        (input(&version, "Name", "WAYTOOLONGSYMBOL17", None), "/symbol"),
        (input(&version, "Name", "SYM", Some("0x1234")), "/minter"),
        (input(&version, "Name", "SYM", Some("0x0000000000000000000000000000000000000000")), "/minter"),
    ];
    for (variables, pointer) in cases {
        let body = app.gql(DEPLOY, variables.clone()).await;
        refused(&body, "BAD_USER_INPUT", Some(pointer));
        assert!(body["errors"][0]["message"].is_string(), "{variables}");
    }
    assert_eq!(app.count("collections").await, 0);
    assert_eq!(app.count("log_entries").await, entries, "no log entry for a refused deployment");
    assert_eq!(nonce(&anvil.endpoint(), &format!("{:#x}", client.sender())).await, sent, "nothing was sent");

    // Auditors may read but not deploy.
    let denied = app.post("/graphql", Some(&app.auditor), DEPLOY, input(&version, "Name", "SYM", None)).await;
    refused(&denied, "FORBIDDEN", None);
}

/// Runs `provreg collection deploy` against `app` with its registrar key.
async fn cli_deploy(app: &TestApp, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_provreg"))
        .args(["collection", "deploy", "--server", &format!("http://{}", app.addr)])
        .args(args)
        .env("PROVREG_API_KEY", &app.registrar)
        .env_remove("PROVREG_CONFIG")
        .current_dir(dir.path())
        .output()
        .await
        .expect("provreg runs")
}

/// The command line names the version `model@label` and prints what it deployed; its
/// refusals name the field. On SQLite only: the command is a client of the API, which the
/// tests above cover on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_deploys_a_collection_by_model_and_label() {
    let (anvil, key, client) = chain(None, 0).await.expect("CI has anvil");
    let app =
        TestApp::spawn_anchored(Backend::Sqlite, &anvil.endpoint(), &key, client.contract_address().unwrap()).await;
    app.proven_version("cli-maker").await;

    let refused = cli_deploy(&app, &["--model-version", "cli-maker@v1", "--name", "CLI", "--symbol", "C L I"]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("/symbol"), "{refused:?}");
    let unknown = cli_deploy(&app, &["--model-version", "cli-maker@v9", "--name", "CLI", "--symbol", "CLI"]).await;
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no version \"v9\""), "{unknown:?}");
    assert_eq!(app.count("collections").await, 0);

    let out = cli_deploy(&app, &["--model-version", "cli-maker@v1", "--name", "CLI Traits", "--symbol", "CLI"]).await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let address = stdout.split_whitespace().nth(1).unwrap().to_owned();
    let recorded = app.ok(ANCHORED, json!({"chain": 31337, "address": address})).await;
    assert_eq!(recorded["collection"]["address"], address.as_str(), "{stdout}");
    assert!(stdout.contains(&format!("cast call {address} \"tokenURI(uint256)(string)\" 1")), "{stdout}");
    assert!(stdout.contains("verifier:"), "{stdout}");
}
