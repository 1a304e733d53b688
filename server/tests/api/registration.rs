use serde_json::json;

use crate::helpers::{REGISTER_DATASET, REGISTER_VERSION, TestApp, code, dataset_input, version_input};
use crate::on_both;

on_both!(
    records_round_trip_with_canonical_digests,
    status_changes_are_events,
    natural_keys_conflict,
    concurrent_registrations_are_each_whole
);

async fn records_round_trip_with_canonical_digests(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;
    let base = app.dataset("base", &lic, &[]).await;
    let derived = app.dataset("derived", &lic, &[&base]).await;
    let v1 = app.version("gen", "v1", &lic, None, &[(&derived, "PRETRAIN")]).await;
    let v2 = app.version("gen", "v2", &lic, Some((&v1, "RETRAIN")), &[(&base, "EVAL")]).await;

    let data = app
        .ok(
            "query($id: String!) { modelVersion(id: $id) { versionLabel parentRelation digest record
                 model { name versions { versionLabel } }
                 parent { versionLabel trainingData { role dataset { name derivedFrom { name } license { name } } } }
                 trainingData { role dataset { id } } status } }",
            json!({"id": v2}),
        )
        .await;
    let mv = &data["modelVersion"];
    assert_eq!(mv["versionLabel"], "v2");
    assert_eq!(mv["parentRelation"], "RETRAIN");
    assert_eq!(mv["status"], "ACTIVE");
    assert_eq!(mv["model"]["versions"].as_array().unwrap().len(), 2);
    assert_eq!(mv["parent"]["trainingData"][0]["role"], "PRETRAIN");
    assert_eq!(mv["parent"]["trainingData"][0]["dataset"]["derivedFrom"][0]["name"], "base");
    assert_eq!(mv["trainingData"][0]["dataset"]["id"], base.as_str());

    // The digest is the SHA-256 of the RFC 8785 form of the record, which carries the payload.
    let record = &mv["record"];
    assert_eq!(record["kind"], "modelVersion");
    assert_eq!(record["id"], v2.as_str());
    assert_eq!(record["payload"]["parent"]["relation"], "retrain");
    let canonical = provreg_schema::canonicalize(record).unwrap();
    assert_eq!(mv["digest"], canonical.digest_hex());
    assert_eq!(app.count("training_inputs").await, 2);
    assert_eq!(app.count("models").await, 1);
}

async fn status_changes_are_events(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;
    let ds = app.dataset("d", &lic, &[]).await;
    let v1 = app.version("gen", "v1", &lic, None, &[(&ds, "PRETRAIN")]).await;
    let before = app.ok("query($id: String!) { modelVersion(id: $id) { digest } }", json!({"id": v1})).await;

    let set = "mutation($id: String!, $s: RecordStatus!) { setModelVersionStatus(id: $id, status: $s, reason: \"audit finding\") { status subjectId } }";
    let ev = app.ok(set, json!({"id": v1, "s": "DEPRECATED"})).await;
    assert_eq!(ev["setModelVersionStatus"]["status"], "DEPRECATED");
    app.ok(set, json!({"id": v1, "s": "REVOKED"})).await;
    let again = app.gql(set, json!({"id": v1, "s": "ACTIVE"})).await;
    assert_eq!(code(&again), "CONFLICT");

    let data = app
        .ok(
            "query($id: String!) { modelVersion(id: $id) { status digest statusHistory { status reason } } }",
            json!({"id": v1}),
        )
        .await;
    assert_eq!(data["modelVersion"]["status"], "REVOKED");
    assert_eq!(data["modelVersion"]["statusHistory"].as_array().unwrap().len(), 2);
    assert_eq!(data["modelVersion"]["digest"], before["modelVersion"]["digest"], "the record itself never changes");

    let revoked = app.ok("{ modelVersions(filter: {status: REVOKED}) { edges { node { id } } } }", json!({})).await;
    assert_eq!(revoked["modelVersions"]["edges"][0]["node"]["id"], v1.as_str());

    let withdraw = app
        .gql(
            "mutation($id: String!) { setLicenseStatus(id: $id, status: WITHDRAWN, reason: \"licensor withdrew it\") { status } }",
            json!({"id": lic}),
        )
        .await;
    assert!(withdraw.get("errors").is_none(), "{withdraw:#}");
    let bad = app
        .gql(set.replace("setModelVersionStatus", "setLicenseStatus").as_str(), json!({"id": lic, "s": "REVOKED"}))
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let missing = app.gql(set, json!({"id": uuid::Uuid::now_v7().to_string(), "s": "DEPRECATED"})).await;
    assert_eq!(code(&missing), "NOT_FOUND");
}

async fn natural_keys_conflict(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;
    let ds = app.dataset("d", &lic, &[]).await;
    let dup = app.gql(REGISTER_DATASET, json!({"input": dataset_input("d", &lic, &[])})).await;
    assert_eq!(code(&dup), "CONFLICT");
    assert_eq!(dup["errors"][0]["extensions"]["existingId"], ds.as_str());
    let v1 = app.version("gen", "v1", &lic, None, &[]).await;
    let dup = app.gql(REGISTER_VERSION, json!({"input": version_input("gen", "v1", &lic, None, &[])})).await;
    assert_eq!(code(&dup), "CONFLICT");
    assert_eq!(dup["errors"][0]["extensions"]["existingId"], v1.as_str(), "{dup:#}");
    assert_eq!(app.count("model_versions").await, 1);
    let dup = app
        .gql(crate::helpers::REGISTER_LICENSE, json!({"input": crate::helpers::license_input("Open", "ALLOWED")}))
        .await;
    assert_eq!(code(&dup), "CONFLICT");
}

/// Registrations sent at once (on SQLite they are committed together, each in a savepoint):
/// a new model's 12 labels, each sent twice. Every label is stored once, its twin is a
/// CONFLICT naming it, and nothing of the refused ones is left behind.
async fn concurrent_registrations_are_each_whole(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;
    let ds = app.dataset("d", &lic, &[]).await;
    let client = reqwest::Client::new();
    let sends: Vec<_> = (0..24)
        .map(|i| {
            let input = version_input("burst", &format!("v{}", i % 12), &lic, None, &[(&ds, "PRETRAIN")]);
            let request = client
                .post(app.url("/graphql"))
                .bearer_auth(&app.registrar)
                .json(&json!({"query": REGISTER_VERSION, "variables": {"input": input}}));
            tokio::spawn(
                async move { request.send().await.expect("sent").json::<serde_json::Value>().await.expect("JSON") },
            )
        })
        .collect();
    let mut stored = std::collections::HashMap::new();
    let mut refused = Vec::new();
    for (i, send) in sends.into_iter().enumerate() {
        let body = send.await.expect("request task");
        let label = format!("v{}", i % 12);
        match body["data"]["registerModelVersion"]["id"].as_str() {
            Some(id) => assert!(stored.insert(label, id.to_owned()).is_none(), "a label stored twice: {body:#}"),
            None => {
                assert_eq!(code(&body), "CONFLICT", "{body:#}");
                refused.push((label, body["errors"][0]["extensions"]["existingId"].as_str().map(str::to_owned)));
            }
        }
    }
    assert_eq!(stored.len(), 12);
    assert_eq!(refused.len(), 12);
    for (label, existing) in refused {
        assert_eq!(existing.as_ref(), stored.get(&label), "the CONFLICT for {label} names the stored version");
    }
    assert_eq!(app.count("models").await, 1);
    assert_eq!(app.count("model_versions").await, 12);
    assert_eq!(app.count("training_inputs").await, 12);
    let sealed = |table: &str| format!("{table} WHERE subject_id IN (SELECT id FROM model_versions)");
    assert_eq!(app.count(&sealed("certificates")).await, 12);
    assert_eq!(app.count("log_entries WHERE record_kind = 'modelVersion'").await, 12);
    assert_eq!(app.count("certificates").await, app.count("log_entries").await, "one certificate per log entry");
}
