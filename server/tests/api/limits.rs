//! Hostile load: queries whose cost is far above their size, bodies far above what a caller
//! may send, and values echoed back in errors.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, REGISTER_LICENSE, TestApp, code, license_input};
use crate::{on_both, on_both_backends};

on_both!(
    aliases_of_expensive_fields_are_refused_before_they_run,
    a_short_read_answers_beside_expensive_queries,
    oversized_bodies_are_refused_from_their_headers,
    errors_echo_only_a_prefix_of_a_long_value,
);
on_both_backends!(expensive_resolutions_are_capped_per_request, answers_are_capped_in_size);

/// `count` aliases of `field`, as one query.
pub(crate) fn aliases(count: usize, field: &str) -> String {
    let body: Vec<String> = (0..count).map(|i| format!("a{i}: {}", field.replace("{i}", &i.to_string()))).collect();
    format!("query($id: String!) {{ {} }}", body.join(" "))
}

/// POSTs `query` with `key` and returns the body, its size and how long the answer took.
async fn timed(app: &TestApp, key: Option<&str>, query: &str, vars: Value) -> (Value, usize, Duration) {
    timed_at(&app.url("/graphql"), key, query, vars).await
}

/// `timed`, on the GraphQL endpoint at `url`.
pub(crate) async fn timed_at(url: &str, key: Option<&str>, query: &str, vars: Value) -> (Value, usize, Duration) {
    let start = Instant::now();
    let mut req = reqwest::Client::new().post(url).json(&json!({"query": query, "variables": vars}));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let text = req.send().await.unwrap().text().await.unwrap();
    (serde_json::from_str(&text).unwrap(), text.len(), start.elapsed())
}

async fn aliases_of_expensive_fields_are_refused_before_they_run(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;
    let evidence = aliases(
        100,
        r#"evidence(chainId: 31337, contract: "0x0000000000000000000000000000000000000001", tokenId: "{i}")"#,
    );
    let certs = aliases(200, "license(id: $id) { certificate { manifest validation { state } } }");
    for query in [evidence, certs] {
        let (body, size, took) = timed(&app, Some(&app.auditor), &query, json!({"id": lic})).await;
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body:#}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("complex"), "{body:#}");
        assert!(body["data"].is_null(), "{body:#}");
        assert!(size < 1024, "a refusal is small, not {size} bytes");
        assert!(took < Duration::from_secs(2), "refused in {took:?}");
    }
    // A page counts each of its items: a page of validations is refused the same way.
    let page = "{ licenses(first: 100) { edges { node { certificate { validation { state } } } } } }";
    let (body, _, _) = timed(&app, Some(&app.auditor), page, json!({})).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body:#}");
    // What fits the limit still runs.
    let few = aliases(3, "license(id: $id) { certificate { validation { state } } }");
    let data = app.ok(&few, json!({"id": lic})).await;
    assert_eq!(data["a2"]["certificate"]["validation"]["state"], "Trusted");
}

async fn expensive_resolutions_are_capped_per_request(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.max_expensive_per_request = 2).await;
    let lic = app.license("Open", "ALLOWED").await;
    let query = aliases(3, "license(id: $id) { certificate { validation { state } } }");
    let body = app.gql(&query, json!({"id": lic})).await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body:#}");
    assert_eq!(errors[0]["extensions"]["code"], "TOO_EXPENSIVE", "{body:#}");
    let answered = (0..3).filter(|i| body["data"][format!("a{i}")]["certificate"]["validation"].is_object()).count();
    assert_eq!(answered, 2, "{body:#}");

    // Lists, which validation cannot count, are held to the same budget.
    app.license("Two", "ALLOWED").await;
    app.license("Three", "ALLOWED").await;
    let page = "{ licenses(first: 10) { edges { node { certificate { manifest } } } } }";
    let body = app.gql(page, json!({})).await;
    assert_eq!(code(&body), "TOO_EXPENSIVE", "{body:#}");
    // Each request has its own budget.
    let body =
        app.gql(&aliases(2, "license(id: $id) { certificate { validation { state } } }"), json!({"id": lic})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

async fn answers_are_capped_in_size(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.max_response_bytes = 1500).await;
    let lic = app.license("Open", "ALLOWED").await;
    // A manifest is counted as it is resolved.
    let (body, size, _) = timed(
        &app,
        Some(&app.auditor),
        "query($id: String!) { license(id: $id) { certificate { manifest } } }",
        json!({"id": lic}),
    )
    .await;
    assert_eq!(code(&body), "RESPONSE_TOO_LARGE", "{body:#}");
    assert!(size < 1024, "{size} bytes");
    // Any other answer is measured whole before it is sent.
    for i in 0..12 {
        app.license(&format!("Licence {i}"), "ALLOWED").await;
    }
    let (body, size, _) =
        timed(&app, Some(&app.auditor), "{ licenses(first: 20) { edges { node { id name digest } } } }", json!({}))
            .await;
    assert_eq!(code(&body), "RESPONSE_TOO_LARGE", "{body:#}");
    assert!(body["data"].is_null(), "{body:#}");
    assert!(size < 1024, "{size} bytes");
    let data = app.ok("{ licenses(first: 2) { edges { node { id } } } }", json!({})).await;
    assert_eq!(data["licenses"]["edges"].as_array().unwrap().len(), 2);
}

async fn a_short_read_answers_beside_expensive_queries(app: TestApp) {
    let lic = app.license("Open", "ALLOWED").await;
    // As much certificate work as one request may ask for, eight times at once.
    let heavy = aliases(10, "license(id: $id) { certificate { manifest validation { state } } }");
    let app = std::sync::Arc::new(app);
    let mut load = Vec::new();
    for _ in 0..8 {
        let (app, heavy, lic) = (app.clone(), heavy.clone(), lic.clone());
        load.push(tokio::spawn(async move { timed(&app, Some(&app.auditor), &heavy, json!({"id": lic})).await }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (body, _, took) =
        timed(&app, Some(&app.auditor), "query($id: String!) { license(id: $id) { name } }", json!({"id": lic})).await;
    assert_eq!(body["data"]["license"]["name"], "Open", "{body:#}");
    assert!(took < Duration::from_secs(3), "a one-line read took {took:?} beside the expensive ones");
    for task in load {
        let (body, _, _) = task.await.unwrap();
        // They wait their turn and run to the end: never a pool time-out.
        assert!(body.get("errors").is_none(), "{body:#}");
        assert_eq!(body["data"]["a9"]["certificate"]["validation"]["state"], "Trusted");
    }
}

/// Sends `head` (request line and headers) and then up to `body_bytes` of body while it
/// reads the answer; returns the status, the answer's body and how long it took.
pub(crate) async fn raw_post(addr: SocketAddr, head: String, body_bytes: usize) -> (u16, String, Duration) {
    let start = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < body_bytes {
            let n = chunk.len().min(body_bytes - sent);
            wr.write_all(&chunk[..n]).await?;
            sent += n;
        }
        std::io::Result::Ok(sent)
    });
    let mut answer = Vec::new();
    let mut buf = vec![0; 16 * 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&answer[..end]).to_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()));
                if len.is_some_and(|len| answer.len() >= end + 4 + len) {
                    break;
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s");
    let took = start.elapsed();
    writer.abort();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body, took)
}

pub(crate) fn head(path: &str, key: Option<&str>, length: Option<usize>) -> String {
    let mut h = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n");
    if let Some(key) = key {
        h.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    match length {
        Some(len) => h.push_str(&format!("Content-Length: {len}\r\n")),
        None => h.push_str("Transfer-Encoding: chunked\r\n"),
    }
    h + "\r\n"
}

async fn oversized_bodies_are_refused_from_their_headers(app: TestApp) {
    const MIB_32: usize = 32 * 1024 * 1024;
    // 32 MiB without a key, with a reader's key, and on the audit API even with a
    // registrar's key: refused at the headers, long before the body could arrive.
    for (path, key) in [("/graphql", None), ("/graphql", Some(&app.auditor)), ("/audit/graphql", Some(&app.registrar))]
    {
        let (status, body, took) = raw_post(app.addr, head(path, key.map(String::as_str), Some(MIB_32)), MIB_32).await;
        assert_eq!(status, 413, "{path}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(code(&body), "PAYLOAD_TOO_LARGE", "{body:#}");
        assert!(took < Duration::from_secs(2), "{path}: answered after {took:?}");
    }
    // Just over the query limit is too much without a registrar key, and fine with one.
    let big = format!("{{\"query\": \"{{ licenses {{ totalCount: __typename }} }}\"{}}}", " ".repeat(300 * 1024));
    let (status, body, _) = raw_post(app.addr, head("/graphql", Some(&app.auditor), Some(big.len())), big.len()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("max_query_bytes"), "{body}");
    let resp = reqwest::Client::new()
        .post(app.url("/graphql"))
        .bearer_auth(&app.registrar)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["licenses"]["totalCount"], "LicenseConnection", "{body:#}");
    // A body of unknown length is not read at all.
    let (status, _, _) = raw_post(app.addr, head("/graphql", None, None), 0).await;
    assert_eq!(status, 411);
}

async fn errors_echo_only_a_prefix_of_a_long_value(app: TestApp) {
    // A registrar may send a large body; the error about it stays small.
    let name = "N".repeat(1024 * 1024);
    let (body, size, _) =
        timed(&app, Some(&app.registrar), REGISTER_LICENSE, json!({"input": license_input(&name, "ALLOWED")})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{}", &body.to_string()[..500]);
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/name");
    assert!(size < 2048, "the error is {size} bytes");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("{}…", "N".repeat(79))), "{message}");
    // So does one about a long ID.
    let (body, size, _) = timed(
        &app,
        Some(&app.auditor),
        "query($id: String!) { license(id: $id) { name } }",
        json!({"id": "x".repeat(100_000)}),
    )
    .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert!(size < 1024, "the error is {size} bytes");
}
