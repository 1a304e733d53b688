//! Lineage, status and impact as of a log sequence number or a time: records and status
//! events after the point are left out, and nothing changes without one.
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, code};
use crate::on_both;

on_both!(lineage_status_and_impact_as_of_a_point, bad_as_of_inputs_are_coded_errors, tokens_as_of_a_point);

const LINEAGE: &str = "query($of: String!, $asOf: AsOf) {
    lineage(of: $of, direction: DOWNSTREAM, asOf: $asOf) { nodes { id } } }";
const STATUS: &str = "query($of: String!, $asOf: AsOf!) {
    statusAsOf(of: $of, asOf: $asOf) { status event { id status } } }";
const IMPACT: &str = "query($of: String!, $asOf: AsOf) { impactCsv(of: $of, asOf: $asOf) }";
const REVOKE: &str =
    "mutation($id: String!) { setDatasetStatus(id: $id, status: REVOKED, reason: \"consent withdrawn\") { id } }";

/// Gives every log entry not yet in a batch its sequence number; returns the last one.
async fn sequence(app: &TestApp) -> i64 {
    let anchor = app.registry.cut_batch(1, "0x00000000000000000000000000000000000A5A5A", 10_000).await.unwrap();
    let anchor = anchor.expect("entries to sequence");
    anchor.first_seq + anchor.size - 1
}

/// The seq of record `id`'s log entry (`kind` is its query field).
async fn seq_of(app: &TestApp, kind: &str, id: &str) -> i64 {
    let data = app
        .ok(&format!("query($id: String!) {{ {kind}(id: $id) {{ logEntry {{ seq }} }} }}"), json!({ "id": id }))
        .await;
    data[kind]["logEntry"]["seq"].as_i64().unwrap_or_else(|| panic!("no seq in {data:#}"))
}

async fn lineage_ids(app: &TestApp, of: &str, as_of: Value) -> Vec<String> {
    let data = app.ok(LINEAGE, json!({ "of": of, "asOf": as_of })).await;
    data["lineage"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect()
}

async fn status(app: &TestApp, of: &str, as_of: Value) -> Value {
    app.ok(STATUS, json!({ "of": of, "asOf": as_of })).await["statusAsOf"].clone()
}

async fn impact(app: &TestApp, of: &str, as_of: Value) -> String {
    app.ok(IMPACT, json!({ "of": of, "asOf": as_of })).await["impactCsv"].as_str().unwrap().to_owned()
}

/// The `status` cell of record `id`'s row of a lineage or impact CSV.
fn csv_status(csv: &str, id: &str) -> String {
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "status").expect("a status column");
    let row = csv.lines().find(|l| l.starts_with(id)).unwrap_or_else(|| panic!("no row of {id} in {csv}"));
    row.split(',').nth(column).unwrap().to_owned()
}

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let resp = reqwest::Client::new().get(app.url(path)).bearer_auth(&app.auditor).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// A time strictly between what came before and what comes after.
async fn pause() -> String {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let t = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    t
}

async fn lineage_status_and_impact_as_of_a_point(app: TestApp) {
    let licence = app.license("as-of licence", "ALLOWED").await;
    let data = app.dataset("as-of-data", &licence, &[]).await;
    let v1 = app.version("as-of model", "v1", &licence, None, &[(&data, "PRETRAIN")]).await;
    let before_revoke = sequence(&app).await;
    assert_eq!(seq_of(&app, "modelVersion", &v1).await, before_revoke, "v1 is the newest entry");
    let t_before_revoke = pause().await;

    let event = app.ok(REVOKE, json!({ "id": data })).await["setDatasetStatus"]["id"].as_str().unwrap().to_owned();
    let t_after_revoke = pause().await;
    let v2 = app.version("as-of model", "v2", &licence, None, &[(&data, "PRETRAIN")]).await;
    let last = sequence(&app).await;
    let after_revoke = seq_of(&app, "modelVersion", &v2).await - 1;
    assert!(after_revoke > before_revoke && last == after_revoke + 1, "{before_revoke} {after_revoke} {last}");
    // Logged after the last sequenced entry and not numbered yet.
    let v3 = app.version("as-of model", "v3", &licence, None, &[(&data, "PRETRAIN")]).await;

    // Status: by seq and by time, with the event that set it.
    for point in [json!({ "seq": before_revoke }), json!({ "time": t_before_revoke })] {
        let s = status(&app, &data, point.clone()).await;
        assert_eq!(s["status"], "ACTIVE", "as of {point}: {s:#}");
        assert_eq!(s["event"], Value::Null, "as of {point}");
    }
    for point in [json!({ "seq": after_revoke }), json!({ "time": t_after_revoke })] {
        let s = status(&app, &data, point.clone()).await;
        assert_eq!(s["status"], "REVOKED", "as of {point}: {s:#}");
        assert_eq!(s["event"]["id"], json!(event), "as of {point}");
    }
    let s = status(&app, &v1, json!({ "seq": before_revoke })).await;
    assert_eq!(s["status"], "ACTIVE", "a record without events");

    // Lineage: the later versions are not in it as of the earlier points, and are now.
    for point in [json!({ "seq": after_revoke }), json!({ "time": t_after_revoke })] {
        let ids = lineage_ids(&app, &data, point.clone()).await;
        assert!(ids.contains(&v1), "as of {point}: {ids:?}");
        assert!(!ids.contains(&v2) && !ids.contains(&v3), "as of {point}: {ids:?}");
    }
    let at_last = lineage_ids(&app, &data, json!({ "seq": last })).await;
    assert!(at_last.contains(&v2) && !at_last.contains(&v3), "v3 has no seq yet: {at_last:?}");
    let now = lineage_ids(&app, &data, Value::Null).await;
    assert!(now.contains(&v1) && now.contains(&v2) && now.contains(&v3), "{now:?}");
    assert_eq!(lineage_ids(&app, &data, json!({ "seq": last + 1 })).await, now, "past the end of the log is now");
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(lineage_ids(&app, &data, json!({ "time": later })).await, now, "a time to come is now");
    // Licence downstream, as of a point: the seeds are cut too.
    let by_licence = lineage_ids(&app, &licence, json!({ "seq": after_revoke })).await;
    assert!(by_licence.contains(&v1) && !by_licence.contains(&v2), "{by_licence:?}");
    // Upstream of v1 as of before the revoke: its data and licence.
    let up = app
        .ok(
            "query($of: String!, $s: Int!) { lineage(of: $of, asOf: {seq: $s}) { nodes { id } } }",
            json!({ "of": v1, "s": before_revoke }),
        )
        .await;
    assert_eq!(up["lineage"]["nodes"].as_array().unwrap().len(), 3, "{up:#}");
    // A record registered after the point has no lineage as of it.
    let body = app.gql(LINEAGE, json!({ "of": v2, "asOf": { "seq": before_revoke } })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "asOf");
    let body = app.gql(STATUS, json!({ "of": v3, "asOf": { "seq": last } })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");

    // Impact (GraphQL and HTTP): the later version is not reached as of the earlier point,
    // and statuses are those of the point.
    let early = impact(&app, &data, json!({ "seq": after_revoke })).await;
    assert!(early.contains(&v1) && !early.contains(&v2) && !early.contains(&v3), "{early}");
    assert_eq!(csv_status(&early, &data), "revoked");
    let earliest = impact(&app, &data, json!({ "time": t_before_revoke })).await;
    assert_eq!(csv_status(&earliest, &data), "active", "{earliest}");
    let current = impact(&app, &data, Value::Null).await;
    assert!(current.contains(&v2) && current.contains(&v3), "{current}");
    assert_eq!(csv_status(&current, &data), "revoked");
    let (http_status, csv) = get(&app, &format!("/exports/{data}/impact.csv?asOfSeq={before_revoke}")).await;
    assert_eq!(http_status, 200, "{csv}");
    assert!(csv.contains(&v1) && !csv.contains(&v2), "{csv}");
    assert_eq!(csv_status(&csv, &data), "active");
    let encoded = t_after_revoke.replace('+', "%2B");
    let (http_status, csv) =
        get(&app, &format!("/exports/{data}/lineage.csv?direction=downstream&asOf={encoded}")).await;
    assert_eq!(http_status, 200, "{csv}");
    assert!(csv.contains(&v1) && !csv.contains(&v2), "{csv}");
    assert_eq!(csv_status(&csv, &data), "revoked");
    let (_, csv) = get(&app, &format!("/exports/{data}/lineage.csv?direction=downstream")).await;
    assert!(csv.contains(&v2) && csv.contains(&v3), "without asOf, now: {csv}");
    let (http_status, body) = get(&app, &format!("/exports/{data}/impact.csv?asOfSeq=-1")).await;
    assert_eq!(http_status, 400, "{body}");
    assert!(body.contains("\"pointer\":\"asOfSeq\""), "{body}");
    let (http_status, body) = get(&app, &format!("/exports/{data}/impact.csv?asOfSeq=1&asOf={encoded}")).await;
    assert_eq!(http_status, 400, "{body}");
    assert!(body.contains("\"pointer\":\"asOf\""), "{body}");
    let (http_status, body) = get(&app, &format!("/exports/{data}/impact.csv?asOf=yesterday")).await;
    assert_eq!(http_status, 400, "{body}");
    let (http_status, body) = get(&app, &format!("/exports/{data}/prov.jsonld?asOfSeq=1")).await;
    assert_eq!(http_status, 400, "only the CSV exports take asOf: {body}");

    // The command line: `provreg export impact-csv ID --as-of-seq N` writes the same rows.
    use provreg_server::export::cli::{AsOfArgs, ExportCommand, ImpactArgs, Output, command};
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("impact.csv");
    let args = ImpactArgs {
        id: data.clone(),
        max_depth: None,
        kinds: None,
        as_of: AsOfArgs { as_of: None, as_of_seq: Some(before_revoke.to_string()) },
        out: Output { output: Some(file.clone()) },
    };
    command(ExportCommand::ImpactCsv(args), &app.registry, 10).await.expect("the export command");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains(&v1) && !written.contains(&v2), "{written}");
    assert_eq!(csv_status(&written, &data), "active");
    let bad = ImpactArgs {
        id: data.clone(),
        max_depth: None,
        kinds: None,
        as_of: AsOfArgs { as_of: Some("yesterday".into()), as_of_seq: None },
        out: Output { output: Some(out.path().join("never.csv")) },
    };
    let err = command(ExportCommand::ImpactCsv(bad), &app.registry, 10).await.unwrap_err();
    assert!(format!("{err:#}").contains("RFC 3339"), "{err:#}");
    assert!(!out.path().join("never.csv").exists(), "nothing written on a bad option");

    // Without asOf, the current state, as before.
    let fields = app.ok("query($id: String!) { dataset(id: $id) { status } }", json!({ "id": data })).await;
    assert_eq!(fields["dataset"]["status"], "REVOKED");
}

async fn bad_as_of_inputs_are_coded_errors(app: TestApp) {
    let licence = app.license("bad as-of licence", "ALLOWED").await;
    let data = app.dataset("bad-as-of-data", &licence, &[]).await;
    let cases = [
        (json!({}), "asOf"),
        (json!({ "seq": 1, "time": "2026-01-01T00:00:00Z" }), "asOf"),
        (json!({ "seq": -1 }), "asOf.seq"),
    ];
    let queries = [
        LINEAGE,
        STATUS,
        IMPACT,
        "query($of: String!, $asOf: AsOf) { affectedTokens(datasetId: $of, asOf: $asOf) { id } }",
        "query($of: String!, $asOf: AsOf) { lineageCsv(of: $of, asOf: $asOf) }",
    ];
    for query in queries {
        for (as_of, pointer) in &cases {
            let body = app.gql(query, json!({ "of": data, "asOf": as_of })).await;
            assert_eq!(code(&body), "BAD_USER_INPUT", "{query} with {as_of}: {body:#}");
            assert_eq!(body["errors"][0]["extensions"]["pointer"], *pointer, "{query} with {as_of}: {body:#}");
        }
        // A seq past the end of the log (here: nothing is sequenced yet) is fine: now.
        let body = app.gql(query, json!({ "of": data, "asOf": { "seq": 1_000_000 } })).await;
        assert!(body.get("errors").is_none(), "{query}: {body:#}");
    }
}

async fn tokens_as_of_a_point(app: TestApp) {
    const AFFECTED: &str = "query($m: String!, $asOf: AsOf) {
        affectedTokens(modelVersionId: $m, asOf: $asOf) { tokenId } }";
    let version = app.proven_version("as-of generator").await;
    app.proven_token(&version, 1, 1).await;
    let first = sequence(&app).await;
    let t_first = pause().await;
    app.proven_token(&version, 2, 2).await;
    let tokens = |data: Value| -> Vec<String> {
        data["affectedTokens"].as_array().unwrap().iter().map(|t| t["tokenId"].as_str().unwrap().to_owned()).collect()
    };
    let now = tokens(app.ok(AFFECTED, json!({ "m": version })).await);
    assert_eq!(now, vec!["1", "2"]);
    for point in [json!({ "seq": first }), json!({ "time": t_first })] {
        let then = tokens(app.ok(AFFECTED, json!({ "m": version, "asOf": point })).await);
        assert_eq!(then, vec!["1"], "as of {point}");
    }
    let csv = impact(&app, &version, json!({ "seq": first })).await;
    let token_rows = csv.lines().filter(|l| l.contains(",token,")).count();
    assert_eq!(token_rows, 1, "{csv}");
    let csv = impact(&app, &version, Value::Null).await;
    assert_eq!(csv.lines().filter(|l| l.contains(",token,")).count(), 2, "{csv}");
}
