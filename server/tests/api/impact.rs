//! Compliance over tokens: `affectedTokens` at any lineage depth, the metadata-update feed a
//! revoke writes, and the token metadata endpoint before and after.
use serde_json::{Value, json};

use crate::helpers::{REGISTER_VERSION, TestApp, code, version_input};
use crate::on_both;
use crate::zk::{self, CHAIN, CONTRACT, REGISTER_CIRCUIT};

on_both!(revoking_upstream_data_reaches_tokens_at_any_depth);

const AFFECTED: &str = "query($d: String, $l: String, $m: String) {
    affectedTokens(datasetId: $d, licenseId: $l, modelVersionId: $m) { tokenId } }";

async fn affected(app: &TestApp, vars: Value) -> Vec<String> {
    let data = app.ok(AFFECTED, vars).await;
    let mut ids: Vec<String> =
        data["affectedTokens"].as_array().unwrap().iter().map(|t| t["tokenId"].as_str().unwrap().to_owned()).collect();
    ids.sort_by_key(|id| id.parse::<u64>().unwrap());
    ids
}

async fn metadata(app: &TestApp, token: &str) -> (u16, Value) {
    let contract = CONTRACT.to_ascii_lowercase();
    let resp = reqwest::get(app.url(&format!("/tokens/{CHAIN}/{contract}/{token}"))).await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {e}: {text}")))
}

async fn revoking_upstream_data_reaches_tokens_at_any_depth(app: TestApp) {
    // Data licence → source dataset → curated (derived) → sprites (derived); parent version
    // trained on sprites; the generator retrained from the parent, with the fixture weights.
    let data_licence = app.license("data licence", "ALLOWED").await;
    let weights_licence = app.license("weights licence", "ALLOWED").await;
    let source = app.dataset("source", &data_licence, &[]).await;
    let curated = app.dataset("curated", &data_licence, &[&source]).await;
    let sprites = app.dataset("sprites", &data_licence, &[&curated]).await;
    let parent = app.version("generator", "v1", &weights_licence, None, &[(&sprites, "PRETRAIN")]).await;
    let mut input = version_input("generator", "v2", &weights_licence, Some((&parent, "RETRAIN")), &[]);
    input["weightsSha256"] = json!(zk::fixture().await.circuit.onnx_sha256);
    let data = app.ok(REGISTER_VERSION, json!({ "input": input })).await;
    let child = data["registerModelVersion"]["id"].as_str().unwrap().to_owned();
    app.ok(REGISTER_CIRCUIT, json!({ "input": zk::circuit_input(&child).await })).await;
    for (token, seed) in [(1, 1), (2, 2), (3, 3), (7, 4)] {
        app.proven_token(&child, token, seed).await;
    }
    // An unrelated generator with one token.
    let other = app.proven_version("unrelated").await;
    app.proven_token(&other, 20, 5).await;

    let lineage_tokens = vec!["1", "2", "3", "7"];
    assert_eq!(affected(&app, json!({ "d": source })).await, lineage_tokens, "two derivations up");
    assert_eq!(affected(&app, json!({ "l": data_licence })).await, lineage_tokens, "through the data licence");
    assert_eq!(affected(&app, json!({ "m": parent })).await, lineage_tokens, "through the parent version");
    assert_eq!(affected(&app, json!({ "m": other })).await, vec!["20"]);
    let body = app.gql(AFFECTED, json!({ "d": source, "m": parent })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    let body = app.gql(AFFECTED, json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    let page = app
        .ok("query($d: String) { affectedTokens(datasetId: $d, first: 2) { id tokenId } }", json!({ "d": source }))
        .await;
    assert_eq!(page["affectedTokens"].as_array().unwrap().len(), 2);

    // Metadata before: ERC-721 / ERC-7007 fields and the provenance, all active.
    let (status, doc) = metadata(&app, "7").await;
    assert_eq!(status, 200, "{doc:#}");
    assert_eq!(doc["prompt"], format!("0x{}", hex::encode(zk::seed(4))));
    assert_eq!(doc["proof_type"], "validity");
    assert_eq!(doc["aigc_type"], "data");
    assert!(doc["aigc_data"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(doc["attributes"].as_array().unwrap().len(), 4);
    let provenance = &doc["provenance"];
    assert_eq!(provenance["status"], "active");
    assert_eq!(provenance["model"]["version"], "v2");
    assert_eq!(provenance["model"]["modelVersionId"], json!(child));
    let names: Vec<&str> =
        provenance["datasets"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"source") && names.contains(&"sprites"), "{names:?}");
    assert!(provenance["certificate"]["url"].as_str().unwrap().ends_with(".c2pa"));
    assert_eq!(provenance["proofRecord"]["system"], "ezkl");
    assert_eq!(metadata(&app, "8").await.0, 404);
    let bad_chain = reqwest::get(app.url(&format!("/tokens/x/{CONTRACT}/7"))).await.unwrap();
    assert_eq!(bad_chain.status().as_u16(), 404);
    assert_eq!(reqwest::get(app.url(&format!("/tokens/{CHAIN}/{CONTRACT}/7/asset"))).await.unwrap().status(), 404);

    // Revoking the middle dataset writes one metadata update per run of token IDs.
    let revoke =
        "mutation($id: String!) { setDatasetStatus(id: $id, status: REVOKED, reason: \"consent withdrawn\") { id } }";
    let event = app.ok(revoke, json!({ "id": curated })).await["setDatasetStatus"]["id"].clone();
    let feed = app
        .ok(
            "{ metadataUpdates { seq chainId contract fromTokenId toTokenId tokenCount reason statusEvent { id } } }",
            json!({}),
        )
        .await;
    let updates = feed["metadataUpdates"].as_array().unwrap();
    let spans: Vec<(&str, &str, i64)> = updates
        .iter()
        .map(|u| {
            (u["fromTokenId"].as_str().unwrap(), u["toTokenId"].as_str().unwrap(), u["tokenCount"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(spans, vec![("1", "3", 3), ("7", "7", 1)]);
    for u in updates {
        assert_eq!(u["reason"], "datasetRevoked");
        assert_eq!(u["statusEvent"]["id"], event);
        assert_eq!(u["contract"], CONTRACT.to_ascii_lowercase());
        assert_eq!(u["chainId"], CHAIN);
    }
    let first_seq = updates[0]["seq"].as_i64().unwrap();
    let next = app.ok("query($a: Int) { metadataUpdates(after: $a) { seq } }", json!({ "a": first_seq })).await;
    assert_eq!(next["metadataUpdates"].as_array().unwrap().len(), 1);

    // A refused status change writes no update.
    let again = app.gql(revoke, json!({ "id": curated })).await;
    assert_eq!(code(&again), "CONFLICT", "{again:#}");
    assert_eq!(app.count("metadata_updates").await, 2);

    // The metadata now says the token is affected, and by what.
    let (_, doc) = metadata(&app, "7").await;
    assert_eq!(doc["provenance"]["status"], "affected");
    let by = doc["provenance"]["affectedBy"].as_array().unwrap();
    assert_eq!(by.len(), 1, "{by:#?}");
    assert_eq!(by[0]["id"], json!(curated));
    assert_eq!(by[0]["kind"], "dataset");
    assert_eq!(by[0]["status"], "revoked");
    assert_eq!(by[0]["reason"], "consent withdrawn");
    let (_, unrelated) = metadata(&app, "20").await;
    assert_eq!(unrelated["provenance"]["status"], "active");
    let token = app
        .ok(
            "query($c: String!) { token(chainId: 31337, contract: $c, tokenId: \"1\") { provenanceStatus affectedBy { id } } }",
            json!({ "c": CONTRACT }),
        )
        .await;
    assert_eq!(token["token"]["provenanceStatus"], "affected");
    assert_eq!(token["token"]["affectedBy"][0]["id"], event);
}
