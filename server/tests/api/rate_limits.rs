//! Rate limits per client address and per API key: 429 with `Retry-After` before any work,
//! off under `serve --dev` unless set.
use std::num::NonZeroU32;
use std::time::Duration;

use provreg_server::config::Config;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, code};
use crate::on_both_backends;

on_both_backends!(
    a_burst_over_the_address_limit_gets_429_with_retry_after,
    one_key_over_its_limit_leaves_other_keys_alone,
    requests_pass_again_after_the_wait,
);

const ONE_LINE: &str = "{ licenses(first: 1) { edges { node { id } } } }";

/// POSTs a one-line read to `/graphql` with `key`; returns the status, `Retry-After` and body.
async fn read(app: &TestApp, key: &str) -> (u16, Option<u64>, Value) {
    let resp = reqwest::Client::new()
        .post(app.url("/graphql"))
        .bearer_auth(key)
        .json(&json!({"query": ONE_LINE}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, resp.json().await.unwrap())
}

/// GETs `path` `times` times; returns how many answered 200 and how many 429.
async fn hammer(app: &TestApp, path: &str, times: usize) -> (usize, usize) {
    let client = reqwest::Client::new();
    let (mut ok, mut limited) = (0, 0);
    for _ in 0..times {
        match client.get(app.url(path)).send().await.unwrap().status().as_u16() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("{path}: HTTP {other}"),
        }
    }
    (ok, limited)
}

fn per_address(per_minute: u32, burst: u32) -> impl FnOnce(&mut Config) {
    move |c| {
        c.limits.requests_per_minute_per_address = Some(per_minute);
        c.limits.burst_per_address = NonZeroU32::new(burst);
    }
}

async fn a_burst_over_the_address_limit_gets_429_with_retry_after(backend: Backend) {
    let app = TestApp::spawn_with(backend, per_address(6, 3)).await;
    for _ in 0..3 {
        let (status, _, body) = read(&app, &app.auditor).await;
        assert_eq!(status, 200, "{body:#}");
        assert_eq!(body["data"]["licenses"]["edges"], json!([]), "{body:#}");
    }
    let (status, retry, body) = read(&app, &app.auditor).await;
    assert_eq!(status, 429, "{body:#}");
    assert_eq!(code(&body), "RATE_LIMITED", "{body:#}");
    assert!(body["data"].is_null(), "{body:#}");
    // Six a minute: the next one passes within ten seconds.
    let retry = retry.expect("a Retry-After header");
    assert!((1..=10).contains(&retry), "Retry-After: {retry}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry, "{body:#}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("limits.requests_per_minute_per_address"), "{message}");
    // Every other route counts too, whatever its body; the health checks never do.
    let (_, limited) = hammer(&app, "/schemas/license.schema.json", 1).await;
    assert_eq!(limited, 1);
    let huge = reqwest::Client::new()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 429, "refused before the body's size is even looked at");
    assert_eq!(huge.headers()["connection"], "close", "and the unread body is not waited for");
    assert_eq!(hammer(&app, "/healthz", 20).await, (20, 0));
    assert_eq!(hammer(&app, "/readyz", 20).await, (20, 0));
}

async fn one_key_over_its_limit_leaves_other_keys_alone(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.requests_per_minute_per_key = Some(6);
        c.limits.burst_per_key = NonZeroU32::new(2);
    })
    .await;
    for _ in 0..2 {
        assert_eq!(read(&app, &app.auditor).await.0, 200);
    }
    let (status, retry, body) = read(&app, &app.auditor).await;
    assert_eq!(status, 429, "{body:#}");
    assert_eq!(code(&body), "RATE_LIMITED", "{body:#}");
    assert!(retry.is_some_and(|s| (1..=10).contains(&s)), "Retry-After: {retry:?}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("requests_per_minute_per_key"), "{body:#}");
    // The registrar's key, from the same address, is not held back by the auditor's.
    let (status, _, body) = read(&app, &app.registrar).await;
    assert_eq!(status, 200, "{body:#}");
    app.license("Still open", "ALLOWED").await;
    // Nor are requests without a key, and a bad key is refused as a bad key.
    assert_eq!(hammer(&app, "/schemas/license.schema.json", 10).await, (10, 0));
    let (status, _, body) = read(&app, "prk_not_a_key").await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body:#}");
}

async fn requests_pass_again_after_the_wait(backend: Backend) {
    // One request every 300 ms, two at once.
    let app = TestApp::spawn_with(backend, per_address(200, 2)).await;
    assert_eq!(read(&app, &app.auditor).await.0, 200);
    assert_eq!(read(&app, &app.auditor).await.0, 200);
    let (status, retry, _) = read(&app, &app.auditor).await;
    assert_eq!(status, 429);
    assert_eq!(retry, Some(1), "a wait under a second is rounded up to one");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, _, body) = read(&app, &app.auditor).await;
    assert_eq!(status, 200, "{body:#}");
}

#[tokio::test]
async fn limits_are_on_by_default_and_off_under_dev() {
    // The defaults, as a deployment without `[limits]` rate settings gets them.
    let defaults = |c: &mut Config| {
        c.limits.requests_per_minute_per_address = None;
        c.limits.requests_per_minute_per_key = None;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, defaults).await;
    let burst = (provreg_server::config::DEFAULT_PER_ADDRESS / 6) as usize;
    let (ok, limited) = hammer(&app, "/schemas/license.schema.json", burst + 100).await;
    assert!(ok >= burst, "{ok} passed");
    assert!(limited > 0, "{burst} + 100 requests in a row should meet the default limit");

    let dev = TestApp::spawn_with(Backend::Sqlite, |c| {
        defaults(c);
        c.apply_dev_defaults();
    })
    .await;
    assert_eq!(hammer(&dev, "/schemas/license.schema.json", burst + 100).await, (burst + 100, 0));

    // Set explicitly, a limit holds under dev too.
    let set = TestApp::spawn_with(Backend::Sqlite, |c| {
        defaults(c);
        per_address(60, 5)(c);
        c.apply_dev_defaults();
    })
    .await;
    let (ok, limited) = hammer(&set, "/schemas/license.schema.json", 8).await;
    assert!(ok >= 5 && limited >= 2, "{ok} passed, {limited} refused");
}
