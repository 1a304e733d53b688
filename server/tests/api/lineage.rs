use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both;

on_both!(deep_chains_both_ways, datasets_and_licences_in_lineage, compliance_filter_finds_forbidden_training_data);

const LINEAGE: &str = "query($of: String!, $dir: LineageDirection!, $max: Int) {
    lineage(of: $of, direction: $dir, maxDepth: $max) {
        start nodeCount nodes { id kind depth record { __typename ... on ModelVersion { versionLabel } ... on Dataset { name } ... on License { name } } }
        edges { from to kind role } } }";

async fn lineage(app: &TestApp, of: &str, dir: &str, max: Option<i32>) -> Value {
    app.ok(LINEAGE, json!({"of": of, "dir": dir, "max": max})).await["lineage"].clone()
}

fn depth_of(l: &Value, id: &str) -> Option<i64> {
    l["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).map(|n| n["depth"].as_i64().unwrap())
}

async fn deep_chains_both_ways(app: TestApp) {
    const N: usize = 40;
    let lic = app.license("Open", "ALLOWED").await;
    let root_ds = app.dataset("root-data", &lic, &[]).await;
    let mut versions = vec![app.version("gen", "v0", &lic, None, &[(&root_ds, "PRETRAIN")]).await];
    for i in 1..N {
        let relation = if i % 2 == 0 { "RETRAIN" } else { "FINETUNE" };
        let parent = versions[i - 1].clone();
        versions.push(app.version("gen", &format!("v{i}"), &lic, Some((&parent, relation)), &[]).await);
    }
    let tip = versions.last().unwrap();

    let up = lineage(&app, tip, "UPSTREAM", None).await;
    assert_eq!(up["start"], tip.as_str());
    // N versions, the dataset, the licence.
    assert_eq!(up["nodeCount"], N + 2);
    assert_eq!(depth_of(&up, &versions[0]), Some(N as i64 - 1));
    assert_eq!(depth_of(&up, &root_ds), Some(N as i64));
    assert_eq!(depth_of(&up, &lic), Some(1), "the tip itself is licensed under it");
    let kinds: Vec<&str> = up["edges"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "FINE_TUNED_FROM").count(), N / 2);
    assert_eq!(kinds.iter().filter(|k| **k == "RETRAINED_FROM").count(), N / 2 - 1);
    assert_eq!(up["nodes"][0]["record"]["versionLabel"], format!("v{}", N - 1));

    let near = lineage(&app, tip, "UPSTREAM", Some(5)).await;
    assert_eq!(depth_of(&near, &versions[N - 6]), Some(5));
    assert_eq!(depth_of(&near, &versions[N - 7]), None, "maxDepth cuts the walk");
    assert_eq!(depth_of(&near, &root_ds), None);

    let down = lineage(&app, &root_ds, "DOWNSTREAM", None).await;
    assert_eq!(down["nodeCount"], N + 1);
    assert_eq!(depth_of(&down, tip), Some(N as i64));
    assert_eq!(depth_of(&down, &lic), None, "licences are upstream");

    let from_lic = lineage(&app, &lic, "DOWNSTREAM", Some(1)).await;
    assert_eq!(from_lic["nodeCount"], N + 2, "every version and the dataset are licensed under it");

    let too_deep = app.gql(LINEAGE, json!({"of": tip, "dir": "UPSTREAM", "max": 1_000_000})).await;
    assert_eq!(crate::helpers::code(&too_deep), "BAD_USER_INPUT");
    let unknown = app.gql(LINEAGE, json!({"of": uuid::Uuid::now_v7().to_string(), "dir": "UPSTREAM"})).await;
    assert_eq!(crate::helpers::code(&unknown), "NOT_FOUND");
}

async fn datasets_and_licences_in_lineage(app: TestApp) {
    let open = app.license("Open", "ALLOWED").await;
    let nc = app.license("No training", "NOT_ALLOWED").await;
    let raw = app.dataset("raw", &open, &[]).await;
    let scans = app.dataset("scans", &nc, &[]).await;
    let mixed = app.dataset("mixed", &open, &[&raw, &scans]).await;
    let curated = app.dataset("curated", &open, &[&mixed]).await;
    let v1 = app.version("gen", "v1", &open, None, &[(&curated, "PRETRAIN"), (&raw, "EVAL")]).await;

    let up = lineage(&app, &v1, "UPSTREAM", None).await;
    assert_eq!(depth_of(&up, &curated), Some(1));
    assert_eq!(depth_of(&up, &raw), Some(1), "the shortest path wins");
    assert_eq!(depth_of(&up, &scans), Some(3));
    assert_eq!(depth_of(&up, &nc), Some(4));
    let edges = up["edges"].as_array().unwrap();
    assert!(
        edges.iter().any(|e| e["from"] == mixed.as_str() && e["to"] == scans.as_str() && e["kind"] == "DERIVED_FROM")
    );
    assert!(edges.iter().any(|e| e["from"] == v1.as_str() && e["to"] == raw.as_str() && e["role"] == "EVAL"));

    let down = lineage(&app, &scans, "DOWNSTREAM", None).await;
    let ids: Vec<&str> = down["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4, "scans, mixed, curated, v1: {ids:?}");
    assert!(ids.contains(&v1.as_str()));
    assert!(!ids.contains(&raw.as_str()));

    let from_nc = lineage(&app, &nc, "DOWNSTREAM", None).await;
    assert_eq!(depth_of(&from_nc, &v1), Some(4));
}

async fn compliance_filter_finds_forbidden_training_data(app: TestApp) {
    let open = app.license("Open", "ALLOWED").await;
    let nc = app.license("No training", "NOT_ALLOWED").await;
    let clean = app.dataset("clean", &open, &[]).await;
    let tainted = app.dataset("tainted", &nc, &[]).await;
    app.version("gen", "ok", &open, None, &[(&clean, "PRETRAIN")]).await;
    let bad = app.version("gen", "bad", &open, None, &[(&clean, "PRETRAIN"), (&tainted, "FINETUNE")]).await;
    let data = app
        .ok(
            "{ modelVersions(filter: {trainingDataAiTraining: NOT_ALLOWED}) { edges { node { id } } }
               byDataset: modelVersions(filter: {trainedOn: \"TAINTED\"}) { edges { node { id } } } }"
                .replace("TAINTED", &tainted)
                .as_str(),
            json!({}),
        )
        .await;
    let ids = |k: &str| -> Vec<String> {
        data[k]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids("modelVersions"), vec![bad.clone()]);
    assert_eq!(ids("byDataset"), vec![bad]);
}
