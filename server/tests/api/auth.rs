use serde_json::json;

use crate::helpers::{Backend, REGISTER_LICENSE, TestApp, code, license_input};
use crate::on_both;

on_both!(roles_are_enforced, audit_api_has_no_mutations, abusive_queries_are_refused);

async fn roles_are_enforced(app: TestApp) {
    let input = json!({"input": license_input("L", "ALLOWED")});
    let anonymous = app.post("/graphql", None, REGISTER_LICENSE, input.clone()).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let auditor = app.post("/graphql", Some(&app.auditor), REGISTER_LICENSE, input.clone()).await;
    assert_eq!(code(&auditor), "FORBIDDEN");
    assert_eq!(app.count("licenses").await, 0);

    let registrar = app.post("/graphql", Some(&app.registrar), REGISTER_LICENSE, input.clone()).await;
    assert!(registrar.get("errors").is_none(), "{registrar:#}");

    // Reads need a key unless anonymous reads are configured.
    let read = "{ licenses { edges { node { name } } } }";
    assert_eq!(code(&app.post("/graphql", None, read, json!({})).await), "UNAUTHENTICATED");
    let as_auditor = app.post("/graphql", Some(&app.auditor), read, json!({})).await;
    assert_eq!(as_auditor["data"]["licenses"]["edges"][0]["node"]["name"], "L");

    assert_eq!(code(&app.post("/graphql", Some("prk_0000"), read, json!({})).await), "UNAUTHENTICATED");

    // A revoked key stops working at once.
    let id = provreg_server::auth::list_keys(&app.registry.db)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.role == "registrar")
        .unwrap()
        .id;
    provreg_server::auth::revoke_key(&app.registry.db, id).await.unwrap();
    let revoked = app.post("/graphql", Some(&app.registrar), read, json!({})).await;
    assert_eq!(code(&revoked), "UNAUTHENTICATED");
}

async fn audit_api_has_no_mutations(app: TestApp) {
    let intro = "{ __schema { mutationType { name } queryType { name } } }";
    let audit = app.post("/audit/graphql", Some(&app.auditor), intro, json!({})).await;
    assert!(audit["data"]["__schema"]["mutationType"].is_null(), "{audit:#}");
    let full = app.post("/graphql", Some(&app.auditor), intro, json!({})).await;
    assert_eq!(full["data"]["__schema"]["mutationType"]["name"], "Mutation");

    let attempt = app
        .post("/audit/graphql", Some(&app.admin), REGISTER_LICENSE, json!({"input": license_input("L", "ALLOWED")}))
        .await;
    assert!(attempt["errors"].is_array(), "{attempt:#}");
    assert_eq!(app.count("licenses").await, 0);
    // Not public by default.
    assert_eq!(code(&app.post("/audit/graphql", None, intro, json!({})).await), "UNAUTHENTICATED");
}

async fn abusive_queries_are_refused(app: TestApp) {
    let deep = "{ modelVersions { edges { node { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } }";
    let body = app.post("/graphql", Some(&app.auditor), deep, json!({})).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("nested too deep"), "{body:#}");
    assert!(body.get("data").is_none_or(|d| d.is_null()));
}

#[tokio::test]
async fn anonymous_reads_and_public_audit_when_configured() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.auth.anonymous_reads = true;
        c.auth.public_audit = true;
    })
    .await;
    let read = "{ licenses { edges { node { name } } } }";
    assert!(app.post("/graphql", None, read, json!({})).await.get("errors").is_none());
    assert!(app.post("/audit/graphql", None, read, json!({})).await.get("errors").is_none());
    let write = app.post("/graphql", None, REGISTER_LICENSE, json!({"input": license_input("L", "ALLOWED")})).await;
    assert_eq!(code(&write), "UNAUTHENTICATED", "anonymous callers never write");
}
