//! The attacks of the hostile-load issue against `provreg serve` in a process of its own,
//! whose resident memory is read from /proc: each is refused quickly with its code, and the
//! server's memory stays flat.
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{REGISTER_LICENSE, code, license_input};
use crate::limits::{aliases, head, raw_post, timed_at};
use crate::process::ServerProcess;

const MIB: u64 = 1024;
const ROUNDS: usize = 4;
/// Generous: a refusal takes milliseconds; a loaded 2-core CI machine must not fail it.
const QUICKLY: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_attacks_and_huge_bodies_leave_memory_flat() {
    let server = ServerProcess::start(Path::new(env!("CARGO_BIN_EXE_provreg")), "").expect("provreg serve starts");
    let graphql = server.url("/graphql");
    let input = json!({"input": license_input("Open", "ALLOWED")});
    let (body, _, _) = timed_at(&graphql, Some(&server.registrar), REGISTER_LICENSE, input).await;
    let lic = body["data"]["registerLicense"]["id"].as_str().unwrap_or_else(|| panic!("{body:#}")).to_owned();
    let evidence = aliases(
        100,
        r#"evidence(chainId: 31337, contract: "0x0000000000000000000000000000000000000001", tokenId: "{i}")"#,
    );
    let certificates = aliases(200, "license(id: $id) { certificate { manifest validation { state } } }");
    const MIB_32: usize = 32 * 1024 * 1024;

    let start = server.rss_kib().expect("the server's VmRSS");
    let mut peak = start;
    for round in 0..ROUNDS {
        for (name, query) in [("evidence", &evidence), ("certificate", &certificates)] {
            let (body, size, took) = timed_at(&graphql, Some(&server.auditor), query, json!({"id": lic})).await;
            assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{name}, round {round}: {body:#}");
            assert!(size < 1024, "{name}: a {size}-byte refusal");
            assert!(took < QUICKLY, "{name}: refused after {took:?}");
        }
        for key in [None, Some(server.auditor.as_str())] {
            let (status, body, took) = raw_post(server.addr, head("/graphql", key, Some(MIB_32)), MIB_32).await;
            assert_eq!(status, 413, "round {round}: {body}");
            assert_eq!(code(&serde_json::from_str(&body).unwrap()), "PAYLOAD_TOO_LARGE", "{body}");
            assert!(took < QUICKLY, "a 32 MiB body refused after {took:?}");
        }
        peak = peak.max(server.rss_kib().expect("VmRSS"));
    }
    // The server still answers, and what it holds has not grown with the attacks.
    let (body, _, _) = timed_at(
        &graphql,
        Some(&server.auditor),
        "query($id: String!) { license(id: $id) { name } }",
        json!({"id": lic}),
    )
    .await;
    assert_eq!(body["data"]["license"]["name"], "Open", "{body:#}\n{}", server.log());
    let end = server.rss_kib().expect("VmRSS");
    eprintln!(
        "server (pid {}) VmRSS: {start} KiB at the start, {peak} KiB at most, {end} KiB at the end",
        server.pid()
    );
    assert!(
        peak < start + 64 * MIB && end < start + 64 * MIB,
        "VmRSS {start} KiB at the start, {peak} KiB at most, {end} KiB at the end"
    );
}
