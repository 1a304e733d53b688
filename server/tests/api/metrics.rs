//! `GET /metrics`: the Prometheus text exposition, parsed by an independent parser; its
//! counters move with the requests made.
use serde_json::json;

use crate::helpers::{REGISTER_LICENSE, TestApp, license_input};

/// The scraped samples: (metric name, labels as `k=v` pairs sorted, value).
async fn scrape(app: &TestApp) -> Vec<(String, Vec<String>, f64)> {
    let response = reqwest::get(app.url("/metrics")).await.expect("scraped");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let text = response.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("the exposition parses");
    parsed
        .samples
        .into_iter()
        .map(|s| {
            let mut labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            let value = match s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                prometheus_parse::Value::Untyped(v) => v,
                prometheus_parse::Value::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
                prometheus_parse::Value::Summary(_) => 0.0,
            };
            (s.metric, labels, value)
        })
        .collect()
}

fn value(samples: &[(String, Vec<String>, f64)], metric: &str, labels: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(m, l, _)| m == metric && labels.iter().all(|want| l.iter().any(|have| have == want)))
        .map(|(_, _, v)| *v)
        .sum()
}

async fn counters_move_with_requests_and_the_lag_is_read_from_the_log(app: TestApp) {
    let before = scrape(&app).await;
    let ok = ["operation=mutation.registerLicense", "outcome=ok"];
    app.ok(REGISTER_LICENSE, json!({ "input": license_input("metered", "ALLOWED") })).await;
    let mut bad = license_input("metered", "ALLOWED");
    bad["name"] = json!(""); // refused by the payload's schema, in the resolver
    let refused = app.gql(REGISTER_LICENSE, json!({ "input": bad })).await;
    assert!(refused.get("errors").is_some());
    let after = scrape(&app).await;

    assert!(
        value(&after, "provreg_graphql_operations_total", &ok)
            >= value(&before, "provreg_graphql_operations_total", &ok) + 1.0
    );
    let error = ["operation=mutation.registerLicense", "code=BAD_USER_INPUT"];
    assert!(
        value(&after, "provreg_graphql_errors_total", &error)
            >= value(&before, "provreg_graphql_errors_total", &error) + 1.0
    );
    let graphql = ["route=/graphql", "status=200"];
    assert!(
        value(&after, "provreg_http_requests_total", &graphql)
            >= value(&before, "provreg_http_requests_total", &graphql) + 2.0
    );
    let timed =
        value(&after, "provreg_graphql_operation_duration_seconds_count", &["operation=mutation.registerLicense"]);
    assert!(timed >= 2.0, "{timed}");
    if app.registry.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // On SQLite the licence was written by the group committer, in a batch of its own or
        // shared with other tests' registrations.
        let batches = "provreg_write_batch_size_count";
        assert!(value(&after, batches, &[]) >= value(&before, batches, &[]) + 1.0);
    }
    // No chain here: the licence's entry waits unanchored, so the lag is its age.
    assert!(value(&after, "provreg_unbatched_log_entries", &[]) >= 1.0);
    assert!(value(&after, "provreg_anchoring_lag_seconds", &[]) > 0.0);
}

crate::on_both!(counters_move_with_requests_and_the_lag_is_read_from_the_log);
