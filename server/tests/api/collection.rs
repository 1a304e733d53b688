//! `provreg collection run` through the library API against a spawned registry: the model
//! version and circuit are registered, tokens are proven with real EZKL proofs and
//! registered with a PNG, a second run skips everything, and anchors are waited for.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use provreg_collection::{AnchorReport, CollectionError, RunOptions, Spec, TokenResult, run};
use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::{on_both, on_both_backends, zk};

on_both!(a_collection_is_registered_once_and_a_second_run_skips_it);
on_both_backends!(a_run_waits_for_its_anchors);
on_both!(an_image_collection_proves_its_pixels);

const CONTRACT: &str = "0x00000000000000000000000000000000c011ec71";
const LICENSE: &str = "Collection weights licence";

/// Registers what the spec refers to: a licence, a dataset and the parent version `v2`.
async fn parents(app: &TestApp) {
    let license = app.license(LICENSE, "ALLOWED").await;
    app.dataset("pixel-traits", &license, &[]).await;
    app.version("trait-generator", "v2", &license, None, &[]).await;
}

fn spec(app: &TestApp, first: u64, count: u64, salt: &str) -> Spec {
    let text = format!(
        r#"
        server = "{server}"

        [collection]
        chain_id = 31337
        contract = "{CONTRACT}"
        name = "Test Trait"
        description = "made by the collection test"

        [model]
        name = "trait-generator"
        version = "v3-zk"
        onnx = "fixture"
        license = "{LICENSE}"
        parent = "v2"
        relation = "retrain"
        training_data = [{{ dataset = "pixel-traits", role = "finetune" }}]

        [seeds]
        first_token_id = {first}
        count = {count}
        kind = "operator"
        salt = "{salt}"
        "#,
        server = app.url(""),
    );
    Spec::parse(&text, Path::new(".")).expect("the test spec parses")
}

/// The circuits the zk fixture made, so the cached keys are reused.
fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("zk-fixture/circuits")
}

async fn options(app: &TestApp, wait: bool) -> RunOptions {
    zk::fixture().await;
    let mut opts = RunOptions::new(&crate::helpers::test_data_dir(), app.registrar.clone());
    opts.python = Some(zk::python());
    opts.work_dir = work_dir();
    opts.wait = wait;
    opts.progress = false;
    opts
}

const TOKEN: &str = "query($id: String!) { token(chainId: 31337, contract: \"0x00000000000000000000000000000000C011EC71\", \
     tokenId: $id) { id name mediaType assetSha256 assetPath metadataPath traits seedSource { kind verified recordedKind } \
     modelVersion { versionLabel weightsSha256 parent { versionLabel } parentRelation \
     trainingData { role dataset { name } } circuit { id } } certificate { validation { state } } \
     assetDerivation { derivedFromProof renderer { name version } } } }";

async fn a_collection_is_registered_once_and_a_second_run_skips_it(app: TestApp) {
    parents(&app).await;
    let mut opts = options(&app, false).await;
    let collection = spec(&app, 1, 3, "collection-test");

    let first = run(&collection, &opts).await.expect("the first run");
    assert_eq!((first.registered, first.already_registered, first.failed), (3, 0, 0), "{first}");
    assert!(first.model_version_registered && first.circuit_registered, "{first}");
    assert_eq!(first.proof_times().len(), 3);
    assert_eq!(first.anchors, AnchorReport::NotWaited);
    let printed = first.to_string();
    assert!(printed.contains("3 registered, 0 already registered, 0 failed"), "{printed}");
    assert!(printed.contains("per proof"), "{printed}");

    for outcome in &first.tokens {
        let id = outcome.token_id.to_string();
        let token = &app.ok(TOKEN, json!({ "id": id })).await["token"];
        assert_eq!(token["name"], format!("Test Trait #{id}"));
        assert_eq!(token["mediaType"], "image/png");
        assert_eq!(token["seedSource"]["kind"], "OPERATOR");
        assert_eq!(token["seedSource"]["verified"], false);
        assert_eq!(token["seedSource"]["recordedKind"], serde_json::Value::Null);
        let version = &token["modelVersion"];
        assert_eq!(version["versionLabel"], "v3-zk");
        assert_eq!(version["parent"]["versionLabel"], "v2");
        assert_eq!(version["parentRelation"], "RETRAIN");
        assert_eq!(version["trainingData"][0]["dataset"]["name"], "pixel-traits");
        assert_eq!(version["trainingData"][0]["role"], "FINETUNE");
        assert_eq!(version["circuit"]["id"], first.circuit_id);
        assert_eq!(token["certificate"]["validation"]["state"], "Trusted");
        let derived = json!({ "derivedFromProof": true, "renderer": { "name": "pixel-bands", "version": 1 } });
        assert_eq!(token["assetDerivation"], derived, "the run registers its circuit with the PNG's renderer");
        let metadata = token["metadataPath"].as_str().unwrap();
        assert_eq!(outcome.metadata_url.as_deref(), Some(app.url(metadata).as_str()));
        assert!(token["assetPath"].is_string(), "the PNG was uploaded: {token:#}");

        // The stored asset is the PNG with the C2PA manifest embedded (a caBX chunk).
        let record = uuid::Uuid::parse_str(token["id"].as_str().unwrap()).unwrap();
        let asset = app.registry.token_asset(record).await.unwrap().expect("an asset");
        assert_eq!(asset.media_type, "image/png");
        assert!(asset.signed_asset.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(asset.signed_asset.windows(4).any(|w| w == b"caBX"), "no C2PA chunk in the signed PNG");
        let traits: Vec<f32> = serde_json::from_value::<Vec<f64>>(token["traits"].clone())
            .unwrap()
            .into_iter()
            .map(|t| t as f32)
            .collect();
        let png = provreg_collection::render_png(&traits).unwrap();
        use sha2::Digest as _;
        assert_eq!(token["assetSha256"], hex::encode(sha2::Sha256::digest(&png)), "the asset is the drawn PNG");
    }
    let counts = || async {
        (
            app.count("model_versions").await,
            app.count("circuits").await,
            app.count("tokens").await,
            app.count("proof_records").await,
            app.count("token_assets").await,
            app.count("log_entries").await,
        )
    };
    let before = counts().await;
    assert_eq!((before.1, before.2, before.3, before.4), (1, 3, 3, 3));

    // Again, waiting for anchors on a server that has none: nothing new, and no hanging.
    opts.wait = true;
    opts.anchor_timeout = Duration::from_secs(2);
    let second = run(&collection, &opts).await.expect("the second run");
    assert_eq!((second.registered, second.already_registered, second.failed), (0, 3, 0), "{second}");
    assert!(!second.model_version_registered && !second.circuit_registered, "{second}");
    assert_eq!(second.model_version_id, first.model_version_id);
    assert!(second.proof_times().is_empty());
    assert!(matches!(second.anchors, AnchorReport::NoAnchoring { .. }), "{second}");
    assert!(second.to_string().contains("no anchoring configured"), "{second}");
    assert_eq!(counts().await, before, "a second run registers nothing");

    // Other seeds for the same token IDs: nothing is overwritten, every token fails.
    opts.wait = false;
    let other = run(&spec(&app, 1, 3, "another salt"), &opts).await.expect("the run with other seeds");
    assert_eq!((other.registered, other.already_registered, other.failed), (0, 0, 3), "{other}");
    assert!(!other.succeeded());
    assert!(matches!(&other.tokens[0].result, TokenResult::Failed(why) if why.contains("another seed")), "{other}");
    assert_eq!(counts().await, before);

    // A model file that is not the registered version's weights is refused before anything runs.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.onnx"), b"not the fixture model").unwrap();
    std::fs::write(dir.path().join("calibration.json"), b"{}").unwrap();
    let text = format!(
        "server = \"{}\"\n[collection]\nchain_id = 31337\ncontract = \"{CONTRACT}\"\nname = \"T\"\n[model]\n\
         name = \"trait-generator\"\nversion = \"v3-zk\"\nonnx = \"other.onnx\"\nlicense = \"{LICENSE}\"\n\
         [seeds]\nfirst_token_id = 1\ncount = 1\nkind = \"operator\"\nsalt = \"x\"\n",
        app.url("")
    );
    let mismatched = Spec::parse(&text, dir.path()).unwrap();
    let err = run(&mismatched, &opts).await.unwrap_err();
    assert!(matches!(err, CollectionError::WeightsMismatch { .. }), "{err:?}");
    let err = err.to_string();
    assert!(err.contains("model.onnx") && err.contains("weightsSha256"), "{err}");

    // A key that may not register stops the run with the registry's error.
    let mut auditor = opts.clone();
    auditor.api_key = app.auditor.clone();
    let err = run(&spec(&app, 100, 1, "auditor"), &auditor).await.unwrap_err();
    assert!(matches!(err, CollectionError::TokenStopped { token_id: 100, registered: 0, .. }), "{err:?}");
    assert_eq!(err.registry().and_then(|refused| refused.code()), Some("FORBIDDEN"), "{err:?}");
    assert!(err.with_causes().contains("FORBIDDEN"), "{}", err.with_causes());
    assert_eq!(counts().await, before);
}

async fn a_run_waits_for_its_anchors(backend: Backend) {
    let Some((anvil, key, client)) = crate::anchoring::chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;
    parents(&app).await;
    let mut opts = options(&app, true).await;
    opts.anchor_timeout = Duration::from_secs(120);

    // The test app anchors only when asked: ask every half second while the run goes on.
    let stop = Arc::new(AtomicBool::new(false));
    let anchoring = {
        let (url, admin, stop) = (app.url("/graphql"), app.admin.clone(), stop.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut rounds = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let answer = http
                    .post(&url)
                    .bearer_auth(&admin)
                    .json(&json!({ "query": "mutation { anchorNow { size } }" }))
                    .send()
                    .await
                    .expect("anchorNow sent");
                assert!(answer.status().is_success());
                rounds += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            rounds
        })
    };
    let summary = run(&spec(&app, 1, 2, "anchored"), &opts).await.expect("the run");
    stop.store(true, Ordering::Relaxed);
    assert!(anchoring.await.expect("anchoring task") > 0);

    assert_eq!((summary.registered, summary.failed), (2, 0), "{summary}");
    assert!(matches!(summary.anchors, AnchorReport::Confirmed { tokens: 2, .. }), "{summary}");
    for token in &summary.tokens {
        let anchor = token.anchor.as_ref().expect("an anchor state");
        assert_eq!(anchor.status, "CONFIRMED", "{summary}");
        assert!(anchor.tx_hash.as_deref().is_some_and(|tx| tx.starts_with("0x")), "{summary}");
    }
    assert!(summary.to_string().contains("all 2 tokens anchored and confirmed"), "{summary}");
}

/// The fixture image generator: the run registers its circuit with `palette-8x8`, and each
/// token's PNG is the drawing of its 64 proven pixels.
async fn an_image_collection_proves_its_pixels(app: TestApp) {
    parents(&app).await;
    let opts = options(&app, false).await;
    let text = format!(
        "server = \"{}\"\n[collection]\nchain_id = 31337\ncontract = \"{IMAGE_CONTRACT}\"\nname = \"Painted\"\n\
         [model]\nname = \"pixel-painter\"\nversion = \"v1\"\nonnx = \"fixture-image\"\nlicense = \"{LICENSE}\"\n\
         training_data = [{{ dataset = \"pixel-traits\", role = \"pretrain\" }}]\n\
         [seeds]\nfirst_token_id = 1\ncount = 1\nkind = \"operator\"\nsalt = \"painted\"\n",
        app.url("")
    );
    let spec = Spec::parse(&text, Path::new(".")).unwrap();
    let summary = run(&spec, &opts).await.expect("the image run");
    assert_eq!((summary.registered, summary.failed), (1, 0), "{summary}");
    let query = "query($c: String!) { token(chainId: 31337, contract: $c, tokenId: \"1\") { traits assetSha256 \
                 assetDerivation { derivedFromProof renderer { name version } } circuit { outputLen renderer { name } } } }";
    let token = &app.ok(query, json!({ "c": IMAGE_CONTRACT })).await["token"];
    assert_eq!(token["circuit"]["outputLen"], 64);
    assert_eq!(token["circuit"]["renderer"]["name"], "palette-8x8");
    let derived = json!({ "derivedFromProof": true, "renderer": { "name": "palette-8x8", "version": 1 } });
    assert_eq!(token["assetDerivation"], derived);
    let pixels: Vec<f32> =
        serde_json::from_value::<Vec<f64>>(token["traits"].clone()).unwrap().into_iter().map(|t| t as f32).collect();
    assert_eq!(pixels.len(), 64);
    let png = provreg_collection::PALETTE_8X8.render(&pixels).unwrap();
    use sha2::Digest as _;
    assert_eq!(token["assetSha256"], hex::encode(sha2::Sha256::digest(&png)), "the asset is the proven pixels' PNG");
}

const IMAGE_CONTRACT: &str = "0x00000000000000000000000000000000000001a6";
