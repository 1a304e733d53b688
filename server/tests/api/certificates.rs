//! Birth certificates through the API: issued with every record, downloadable, validated,
//! carrying lineage as ingredients; a signing failure stores nothing.
use serde_json::json;

use crate::helpers::{Backend, REGISTER_DATASET, TestApp, code, dataset_input};

const CERT: &str = "certificate { id digest manifestLabel signer boundSha256 downloadPath \
     validation { state errors } manifest }";

async fn every_record_has_a_trusted_certificate_with_lineage(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let lic = app.license("open", "NOT_ALLOWED").await;
    let ds = app.dataset("corpus", &lic, &[]).await;
    let v1 = app.version("m", "v1", &lic, None, &[(&ds, "PRETRAIN")]).await;
    let v2 = app.version("m", "v2", &lic, Some((&v1, "RETRAIN")), &[(&ds, "PRETRAIN")]).await;
    let v3 = app.version("m", "v3", &lic, Some((&v2, "FINETUNE")), &[]).await;
    assert_eq!(app.count("certificates").await, 5, "licence, dataset and three versions");

    let q = format!("query($id: String!) {{ modelVersion(id: $id) {{ weightsSha256 {CERT} }} }}");
    let data = app.ok(&q, json!({"id": v3})).await;
    let cert = &data["modelVersion"]["certificate"];
    assert_eq!(cert["validation"]["state"], "Trusted", "{cert:#}");
    assert_eq!(cert["boundSha256"], data["modelVersion"]["weightsSha256"]);
    let ingredients = cert["manifest"]["ingredients"].as_array().expect("ingredients");
    assert_eq!(ingredients.len(), 1);
    assert_eq!(ingredients[0]["relationship"], "parentOf");
    assert_eq!(ingredients[0]["title"], "m v2");
    let labels: Vec<&str> =
        cert["manifest"]["assertions"].as_array().unwrap().iter().map(|a| a["label"].as_str().unwrap()).collect();
    for label in ["org.provreg.record", "org.provreg.lineage", "org.provreg.license", "cawg.training-mining"] {
        assert!(labels.iter().any(|l| l.starts_with(label)), "{label} missing from {labels:?}");
    }

    // v2's certificate has v1's as parent and the dataset's as input.
    let data = app.ok(&q, json!({"id": v2})).await;
    let rels: Vec<(String, String)> = data["modelVersion"]["certificate"]["manifest"]["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["title"].as_str().unwrap().to_owned(), i["relationship"].as_str().unwrap().to_owned()))
        .collect();
    assert!(rels.contains(&("m v1".into(), "parentOf".into())), "{rels:?}");
    assert!(rels.contains(&("corpus 1.0".into(), "inputTo".into())), "{rels:?}");

    // The download is the stored manifest store, byte for byte.
    let path = data["modelVersion"]["certificate"]["downloadPath"].as_str().unwrap();
    let resp = reqwest::get(app.url(path)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/c2pa");
    let bytes = resp.bytes().await.unwrap();
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&bytes)),
        data["modelVersion"]["certificate"]["digest"].as_str().unwrap()
    );
    let missing = reqwest::get(app.url(&format!("/certificates/{}.c2pa", uuid::Uuid::now_v7()))).await.unwrap();
    assert_eq!(missing.status(), 404);
}

async fn with_embed_limit_zero_ingredients_are_referred_to_by_digest(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.signing.embed_limit = Some(0)).await;
    let lic = app.license("open", "ALLOWED").await;
    let ds = app.dataset("corpus", &lic, &[]).await;
    let v1 = app.version("m", "v1", &lic, None, &[(&ds, "PRETRAIN")]).await;
    let v2 = app.version("m", "v2", &lic, Some((&v1, "RETRAIN")), &[(&ds, "PRETRAIN")]).await;
    let q = format!("query($id: String!) {{ modelVersion(id: $id) {{ {CERT} }} }}");
    let parent = app.ok(&q, json!({"id": v1})).await;
    let data = app.ok(&q, json!({"id": v2})).await;
    let cert = &data["modelVersion"]["certificate"];
    assert_eq!(cert["validation"]["state"], "Trusted", "{cert:#}");
    let ingredients = cert["manifest"]["ingredients"].as_array().expect("ingredients");
    assert_eq!(ingredients.len(), 2);
    assert!(ingredients.iter().all(|i| i["active_manifest"].is_null()), "nothing carried: {ingredients:#?}");
    let parent_digest = parent["modelVersion"]["certificate"]["digest"].as_str().unwrap();
    let listed = cert["manifest"]["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == "org.provreg.ingredients")
        .expect("signed ingredient list");
    let parent_entry = listed["data"]["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["relationship"] == "parentOf")
        .expect("parent listed");
    assert_eq!(parent_entry["certificateSha256"], parent_digest);
    assert_eq!(parent_entry["embedded"], false);
}

async fn a_signing_failure_stores_nothing(backend: Backend) {
    // A CA of this test's own, so breaking its key does not disturb other tests.
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca");
    provreg_certs::init_dev_ca(&ca).unwrap();
    let data_dir = dir.path().to_owned();
    let app = TestApp::spawn_with(backend, |c| c.data_dir = data_dir).await;
    let lic = app.license("open", "ALLOWED").await;
    let before = (app.count("datasets").await, app.count("certificates").await, app.count("log_entries").await);

    std::fs::write(ca.join("signer.key"), "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n").unwrap();
    let body = app.gql(REGISTER_DATASET, json!({"input": dataset_input("d", &lic, &[])})).await;
    assert_eq!(code(&body), "INTERNAL", "{body:#}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("PRIVATE KEY"), "the key must not leak: {message}");
    let after = (app.count("datasets").await, app.count("certificates").await, app.count("log_entries").await);
    assert_eq!(before, after, "no record, certificate or log entry without the others");

    // A new signing certificate under the same CA: writes work again, and the licence's
    // certificate, signed by the old key, is still trusted.
    provreg_certs::rotate_dev_signer(&ca).unwrap();
    app.ok(REGISTER_DATASET, json!({"input": dataset_input("d", &lic, &[])})).await;
    let q = format!("query($id: String!) {{ license(id: $id) {{ {CERT} }} }}");
    let old = app.ok(&q, json!({"id": lic})).await;
    assert_eq!(old["license"]["certificate"]["validation"]["state"], "Trusted");
}

crate::on_both_backends!(
    every_record_has_a_trusted_certificate_with_lineage,
    with_embed_limit_zero_ingredients_are_referred_to_by_digest,
    a_signing_failure_stores_nothing
);
