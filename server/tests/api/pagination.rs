use serde_json::json;

use crate::helpers::{TestApp, code};
use crate::on_both;

on_both!(forward_pages_cover_everything_once, filters_and_bounds);

const PAGE: &str = "query($first: Int, $after: String) { licenses(first: $first, after: $after) {
    edges { cursor node { id name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";

async fn forward_pages_cover_everything_once(app: TestApp) {
    let mut registered = Vec::new();
    for i in 0..7 {
        registered.push(app.license(&format!("L{i}"), "ALLOWED").await);
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = app.ok(PAGE, json!({"first": 3, "after": after})).await;
        let conn = &data["licenses"];
        let edges = conn["edges"].as_array().unwrap();
        assert!(edges.len() <= 3);
        seen.extend(edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()));
        pages += 1;
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], pages > 1);
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, registered, "every licence once, in registration order");
}

async fn filters_and_bounds(app: TestApp) {
    app.license("open", "ALLOWED").await;
    let nc = app.license("nc", "NOT_ALLOWED").await;
    let data = app.ok("{ licenses(filter: {aiTraining: NOT_ALLOWED}) { edges { node { id } } } }", json!({})).await;
    assert_eq!(data["licenses"]["edges"].as_array().unwrap().len(), 1);
    assert_eq!(data["licenses"]["edges"][0]["node"]["id"], nc.as_str());
    // A page counts each item towards the query's complexity: a huge one is refused before
    // it runs, one just over the page limit by the bound on `first`.
    let too_big = app.gql(PAGE, json!({"first": 100_000})).await;
    assert_eq!(code(&too_big), "GRAPHQL_VALIDATION_FAILED");
    let too_big = app.gql("{ licenses(first: 501) { edges { node { id } } } }", json!({})).await;
    assert_eq!(code(&too_big), "BAD_USER_INPUT");
    let bad_cursor = app.gql(PAGE, json!({"after": "garbage"})).await;
    assert_eq!(code(&bad_cursor), "BAD_USER_INPUT");
}
