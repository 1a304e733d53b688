use serde_json::json;

use crate::helpers::{
    REGISTER_DATASET, REGISTER_LICENSE, REGISTER_VERSION, TestApp, code, dataset_input, license_input, version_input,
};
use crate::on_both;

on_both!(schema_violations_name_the_pointer_and_store_nothing, references_must_exist_and_writes_are_atomic);

async fn schema_violations_name_the_pointer_and_store_nothing(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;

    let mut input = dataset_input("d", &lic, &[]);
    input["contentSha256"] = json!("not-a-hash");
    let body = app.gql(REGISTER_DATASET, json!({"input": input})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(ext["pointer"], "/contentSha256");
    assert_eq!(ext["rule"], "pattern");
    assert!(body["data"].is_null(), "{body:#}");

    let mut input = dataset_input("d", &lic, &[]);
    input["collectionPeriod"]["start"] = json!("2024-02-30");
    let body = app.gql(REGISTER_DATASET, json!({"input": input})).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/collectionPeriod/start");
    assert_eq!(body["errors"][0]["extensions"]["rule"], "format");

    let mut input = dataset_input("d", &lic, &[]);
    input["collectionPeriod"] = json!({"start": "2024-05-01", "end": "2024-01-01"});
    let body = app.gql(REGISTER_DATASET, json!({"input": input})).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/collectionPeriod/end");
    assert_eq!(app.count("datasets").await, 0);

    let mut input = license_input("Constrained", "CONSTRAINED");
    input["expiresAt"] = json!("tomorrow");
    let body = app.gql(REGISTER_LICENSE, json!({"input": input})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let violations = body["errors"][0]["extensions"]["violations"].as_array().unwrap();
    let pointers: Vec<&str> = violations.iter().map(|v| v["pointer"].as_str().unwrap()).collect();
    assert!(pointers.contains(&"/expiresAt"), "{violations:?}");
    assert!(violations.iter().any(|v| v["rule"] == "required"), "constraints are required: {violations:?}");
    assert_eq!(app.count("licenses").await, 1);

    // A GraphQL type error is coded too.
    let body = app.gql(REGISTER_LICENSE, json!({"input": {"name": 3}})).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");
}

async fn references_must_exist_and_writes_are_atomic(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;
    let ds = app.dataset("d", &lic, &[]).await;
    let ghost = uuid::Uuid::now_v7().to_string();

    let body = app.gql(REGISTER_DATASET, json!({"input": dataset_input("e", &ghost, &[])})).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/license");
    let body = app.gql(REGISTER_DATASET, json!({"input": dataset_input("e", &lic, &[&ds, &ghost])})).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/derivedFrom/1");
    assert_eq!(app.count("datasets").await, 1);
    assert_eq!(app.count("dataset_derivations").await, 0);

    // The second training input names no dataset: no model, no version, no input is stored.
    let input = version_input("fresh-model", "v1", &lic, None, &[(&ds, "PRETRAIN"), (&ghost, "EVAL")]);
    let body = app.gql(REGISTER_VERSION, json!({"input": input})).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/trainingData/1/dataset");
    let input = version_input("fresh-model", "v1", &lic, Some((&ghost, "FINETUNE")), &[]);
    let body = app.gql(REGISTER_VERSION, json!({"input": input})).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/parent/id");
    let input = version_input("fresh-model", "v1", &lic, None, &[(&ds, "PRETRAIN"), (&ds, "PRETRAIN")]);
    let body = app.gql(REGISTER_VERSION, json!({"input": input})).await;
    assert_eq!(body["errors"][0]["extensions"]["rule"], "uniqueItems");
    assert_eq!(app.count("models").await, 0);
    assert_eq!(app.count("model_versions").await, 0);
    assert_eq!(app.count("training_inputs").await, 0);

    let body = app.gql("query { modelVersion(id: \"nope\") { id } }", json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}
