//! `search` across record kinds on the demo fixtures: by ID, by SHA-256, by name and by
//! licence name; coded errors for bad text and page sizes; the audit API answers the same.
use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{TestApp, code};
use crate::on_both;

on_both!(search_finds_records_by_id_digest_name_and_licence);

const SEARCH: &str = "query($t: String!, $n: Int) { search(text: $t, first: $n) { kind id title matched digest } }";

async fn demo(app: &TestApp) -> HashMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-collection.json");
    provreg_server::import::import_file(&app.registry, &path).await.unwrap().ids.into_iter().collect()
}

async fn search(app: &TestApp, text: &str) -> Vec<Value> {
    app.ok(SEARCH, json!({ "t": text })).await["search"].as_array().unwrap().clone()
}

fn has(hits: &[Value], kind: &str, id: &str, matched: &str) -> bool {
    hits.iter().any(|h| h["kind"] == kind && h["id"] == id && h["matched"] == matched)
}

async fn search_finds_records_by_id_digest_name_and_licence(app: TestApp) {
    let ids = demo(&app).await;
    let (v2, pixel) = (&ids["tg-v2"], &ids["pixel-traits"]);

    // By ID: the record of whatever kind it is.
    let hits = search(&app, v2).await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(has(&hits, "modelVersion", v2, "id"));
    assert_eq!(hits[0]["title"], "trait-generator v2");

    // By SHA-256: the record digest, or the content hash it states (0x and case ignored).
    let dataset = &app
        .ok("query($id: String!) { dataset(id: $id) { digest contentSha256 } }", json!({ "id": pixel }))
        .await["dataset"];
    let content = dataset["contentSha256"].as_str().unwrap();
    assert!(has(&search(&app, &format!("0x{}", content.to_uppercase())).await, "dataset", pixel, "contentSha256"));
    assert!(has(&search(&app, dataset["digest"].as_str().unwrap()).await, "dataset", pixel, "digest"));
    let version = &app.ok("query($id: String!) { modelVersion(id: $id) { weightsSha256 } }", json!({ "id": v2 })).await;
    let weights = version["modelVersion"]["weightsSha256"].as_str().unwrap();
    assert!(has(&search(&app, weights).await, "modelVersion", v2, "weightsSha256"));
    assert!(search(&app, &"ab".repeat(32)).await.is_empty(), "an unknown hash finds nothing");

    // By name, ignoring case: the dataset and the model's versions.
    let hits = search(&app, "PIXEL-tr").await;
    assert!(has(&hits, "dataset", pixel, "name"), "{hits:?}");
    let hits = search(&app, "trait-gen").await;
    for key in ["tg-v1", "tg-v1.1", "tg-v2"] {
        assert!(has(&hits, "modelVersion", &ids[key], "name"), "{key}: {hits:?}");
    }
    // By version label: `v1` finds v1 and v1.1, `V2` v2 alone.
    let hits = search(&app, "V2").await;
    assert!(has(&hits, "modelVersion", &ids["tg-v2"], "versionLabel"), "{hits:?}");
    assert!(!hits.iter().any(|h| h["id"] == ids["tg-v1"].as_str()), "{hits:?}");
    let hits = search(&app, "v1").await;
    assert!(has(&hits, "modelVersion", &ids["tg-v1"], "versionLabel"), "{hits:?}");
    assert!(has(&hits, "modelVersion", &ids["tg-v1.1"], "versionLabel"), "{hits:?}");
    // By licence name: the licence, and the records under it (once each).
    let hits = search(&app, "nova").await;
    assert!(has(&hits, "license", &ids["nova-commercial"], "name"), "{hits:?}");
    assert!(has(&hits, "dataset", pixel, "license"), "pixel-traits is under the Nova licence: {hits:?}");
    let mut keys: Vec<(&str, &str)> =
        hits.iter().map(|h| (h["kind"].as_str().unwrap(), h["id"].as_str().unwrap())).collect();
    let all = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), all, "each record once");
    // LIKE's wildcards are literal text here.
    assert!(search(&app, "%").await.is_empty());
    assert!(search(&app, "pixel_traits").await.is_empty());
    // `first` caps the answer.
    let capped = app.ok(SEARCH, json!({ "t": "trait-gen", "n": 2 })).await;
    assert_eq!(capped["search"].as_array().unwrap().len(), 2);

    // Bad text and page sizes are coded errors naming the field.
    for (text, first, pointer) in [("  ", None, "/text"), ("x", Some(0), "/first"), ("x", Some(100_000), "/first")] {
        let body = app.gql(SEARCH, json!({ "t": text, "n": first })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["pointer"], pointer, "{body:#}");
    }
    let long = "x".repeat(201);
    assert_eq!(code(&app.gql(SEARCH, json!({ "t": long })).await), "BAD_USER_INPUT");

    // The audit API answers the same, with an auditor key.
    let audit = app.post("/audit/graphql", Some(&app.auditor), SEARCH, json!({ "t": v2 })).await;
    assert_eq!(audit["data"]["search"][0]["id"], v2.as_str(), "{audit:#}");
}
