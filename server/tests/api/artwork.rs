//! The proof covers the artwork: a circuit that names a renderer gets only tokens whose
//! asset is exactly that renderer's drawing of the proven traits, the record and the
//! metadata say so, and `provreg verify` draws it again (`asset.derivation`). Real EZKL
//! proofs, both databases.
use base64::Engine as _;
use provreg_evidence::{Status, verify_bundle};
use provreg_render::{PIXEL_BANDS, SIZE, encode_png, pixels};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;
use crate::zk::{self, REGISTER_CIRCUIT};
use crate::{evidence, on_both};

on_both!(a_token_s_asset_is_its_renderers_drawing_of_the_proven_traits);

const REGISTER: &str = "mutation($input: TokenInput!) { registerToken(input: $input) { id tokenId record \
     assetDerivation { derivedFromProof renderer { name version } } } }";
const CIRCUIT: &str = "query($id: String!) { modelVersion(id: $id) { circuit { renderer { name version } } } }";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The token input of seed `seed_n` as token `token_id` of `version`, with `png` as its asset.
async fn with_asset(version: &str, token_id: u64, seed_n: u64, png: &[u8]) -> Value {
    let seed = zk::seed(seed_n);
    let (traits, record) = zk::prove(seed).await;
    let mut input = zk::token_input(version, token_id, seed, &traits, &record);
    input["mediaType"] = json!("image/png");
    input["assetSha256"] = json!(hex::encode(Sha256::digest(png)));
    input["asset"] = json!(b64(png));
    input
}

async fn drawing(seed_n: u64) -> Vec<u8> {
    let (traits, _) = zk::prove(zk::seed(seed_n)).await;
    PIXEL_BANDS.render(&traits).unwrap()
}

fn refused(body: &Value, pointer: &str, rule: &str) {
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(
        (ext["code"].as_str(), ext["pointer"].as_str(), ext["rule"].as_str()),
        (Some("BAD_USER_INPUT"), Some(pointer), Some(rule)),
        "{body:#}"
    );
}

async fn a_token_s_asset_is_its_renderers_drawing_of_the_proven_traits(app: TestApp) {
    let version = app.proven_version_without_circuit("drawn-maker").await;
    let mut circuit = zk::circuit_input(&version).await;

    // A renderer the registry does not know: refused, nothing stored.
    circuit["renderer"] = json!({ "name": "pixel-bands", "version": 2 });
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": circuit })).await;
    refused(&body, "/renderer", "known");
    assert_eq!(app.count("circuits").await, 0);
    circuit["renderer"] = json!({ "name": "pixel-bands", "version": 1 });
    app.ok(REGISTER_CIRCUIT, json!({ "input": circuit })).await;
    let named = app.ok(CIRCUIT, json!({ "id": version })).await;
    assert_eq!(named["modelVersion"]["circuit"]["renderer"], json!({ "name": "pixel-bands", "version": 1 }));

    let written =
        || async { (app.count("tokens").await, app.count("log_entries").await, app.count("token_assets").await) };
    let before = written().await;

    // One pixel changed.
    let (traits, _) = zk::prove(zk::seed(1)).await;
    let mut changed = pixels(&traits).unwrap();
    changed[SIZE * SIZE / 2][0] ^= 0x01;
    let one_pixel = encode_png(SIZE, SIZE, &changed).unwrap();
    let body = app.gql(REGISTER, json!({ "input": with_asset(&version, 1, 1, &one_pixel).await })).await;
    refused(&body, "/asset", "derivation");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("pixel-bands v1") && message.contains("proven traits"), "{message}");
    // Another token's drawing.
    let body = app.gql(REGISTER, json!({ "input": with_asset(&version, 1, 1, &drawing(2).await).await })).await;
    refused(&body, "/asset", "derivation");
    // The hash alone, of something else.
    let mut by_hash = with_asset(&version, 1, 1, &drawing(1).await).await;
    by_hash.as_object_mut().unwrap().remove("asset");
    by_hash["assetSha256"] = json!(hex::encode(Sha256::digest(b"a hand-made image")));
    let body = app.gql(REGISTER, json!({ "input": by_hash })).await;
    refused(&body, "/assetSha256", "derivation");
    // Not the renderer's media type.
    let mut jpeg = with_asset(&version, 1, 1, &drawing(1).await).await;
    jpeg["mediaType"] = json!("image/jpeg");
    let body = app.gql(REGISTER, json!({ "input": jpeg })).await;
    refused(&body, "/mediaType", "derivation");
    assert_eq!(written().await, before, "a refused token stores nothing");

    // The drawing itself: accepted, and the record says how the asset came from the proof.
    let data = app.ok(REGISTER, json!({ "input": with_asset(&version, 1, 1, &drawing(1).await).await })).await;
    let token = &data["registerToken"];
    let derived = json!({ "derivedFromProof": true, "renderer": { "name": "pixel-bands", "version": 1 } });
    assert_eq!(token["assetDerivation"], derived, "{data:#}");
    assert_eq!(
        token["record"]["payload"]["assetDerivation"],
        json!({ "derivedFromProof": true, "renderer": "pixel-bands", "version": 1 })
    );
    let doc = crate::compliance::metadata(&app, &zk::CONTRACT.to_ascii_lowercase(), "1").await;
    assert_eq!(doc["provenance"]["asset"]["derivation"]["derivedFromProof"], true, "{doc:#}");

    // The verifier draws it again.
    let bundle = evidence::bundle(&app, 1).await;
    let report = verify_bundle(&bundle, &evidence::options(None)).await;
    let id = token["id"].as_str().unwrap();
    let check = report.check("asset.derivation", "token", id).expect("asset.derivation");
    assert_eq!(check.status, Status::Passed, "{check:?}");
    assert!(check.detail.contains("pixel-bands v1"), "{}", check.detail);
    // A bundle whose token names another asset fails it (and its record digest).
    let mut swapped = bundle.clone();
    let r = evidence::record(&mut swapped, "token", id);
    let mut record: Value =
        serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(&r.canonical).unwrap()).unwrap();
    record["payload"]["assetSha256"] = json!(hex::encode(Sha256::digest(&drawing(2).await)));
    r.canonical = b64(&serde_json::to_vec(&record).unwrap());
    let report = verify_bundle(&swapped, &evidence::options(None)).await;
    let check = report.check("asset.derivation", "token", id).expect("asset.derivation");
    assert_eq!(check.status, Status::Failed, "{check:?}");
    assert_eq!(report.check("record.digest", "token", id).unwrap().status, Status::Failed);

    // A circuit without a renderer: the asset is taken by hash, and said to be.
    let plain = app.proven_version("plain-maker").await;
    let off = app.proven_token(&plain, 7, 3).await;
    let token = &app
        .ok(
            "query($id: String!) { tokenById(id: $id) { assetDerivation { derivedFromProof renderer { name } } } }",
            json!({ "id": off["id"] }),
        )
        .await;
    assert_eq!(token["tokenById"]["assetDerivation"], json!({ "derivedFromProof": false, "renderer": null }));
}
