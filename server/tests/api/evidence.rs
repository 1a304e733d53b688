//! Evidence bundles: served over HTTP and GraphQL, checked offline by `verify_bundle` and by
//! `provreg verify`, on a real chain with the real contract and with real EZKL proofs; every
//! single tamper fails at its own check.
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_evidence::{Bundle, Outcome, ProofVerifier, Report, Status, VerifyOptions, ZkCheck, verify_bundle};
use provreg_server::anchoring::Round;
use serde_json::{Value, json};

use crate::helpers::{Backend, REGISTER_VERSION, TestApp, test_data_dir, version_input};
use crate::zk::{CHAIN, CONTRACT, REGISTER_CIRCUIT, circuit_input, fixture};

const EVIDENCE: &str = "query($c: Int!, $k: String!, $t: String!) { evidence(chainId: $c, contract: $k, tokenId: $t) }";

pub fn trust_anchors() -> String {
    std::fs::read_to_string(test_data_dir().join("ca").join("ca.pem")).expect("dev CA certificate")
}

fn zk_verifier() -> ZkCheck {
    let dir = std::env::temp_dir().join(format!("provreg-evidence-{}", uuid::Uuid::now_v7().simple()));
    ZkCheck::Verify(Arc::new(ProofVerifier::new(crate::zk::python(), dir)))
}

/// Trust the dev CA; read the anchors back from the chain (RPC URL, the registry's contract)
/// when given; no zk verifier.
pub fn options(chain: Option<(&str, &str)>) -> VerifyOptions {
    VerifyOptions {
        trust_anchors: Some(trust_anchors()),
        allow_untrusted: false,
        rpc_url: chain.map(|(rpc, _)| rpc.to_owned()),
        contract: chain.map(|(_, contract)| contract.to_owned()),
        expected_subject: None,
        zk: ZkCheck::Skip,
        max_age: None,
        beacon: None,
    }
}

async fn fetch(app: &TestApp, key: Option<&str>, token_id: u64) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(app.url(&format!("/tokens/{CHAIN}/{CONTRACT}/{token_id}/evidence")));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    req.send().await.expect("GET evidence")
}

pub async fn bundle(app: &TestApp, token_id: u64) -> Bundle {
    let resp = fetch(app, Some(&app.auditor), token_id).await;
    assert_eq!(resp.status(), 200);
    Bundle::from_json(&resp.text().await.expect("body")).expect("a bundle")
}

pub async fn anchor(app: &TestApp) {
    let round = app.worker.as_ref().expect("worker").round().await.expect("round");
    assert!(matches!(round, Round::Anchored(_)), "anchored: {round:?}");
}

/// The record `kind` `id` of `b`, to tamper with.
pub fn record<'a>(b: &'a mut Bundle, kind: &str, id: &str) -> &'a mut provreg_evidence::bundle::EvidenceRecord {
    b.records.iter_mut().find(|r| r.kind == kind && r.id == id).unwrap_or_else(|| panic!("{kind} {id} in bundle"))
}

/// Asserts the first failed check is `name` of `kind` `id`.
pub fn fails_at(report: &Report, name: &str, kind: &str, id: &str) {
    assert_eq!(report.outcome, Outcome::Invalid, "{}", report.to_text());
    let first = report.first_failure().expect("a failure");
    assert_eq!(
        (first.name.as_str(), first.subject.kind.as_str(), first.subject.id.as_str()),
        (name, kind, id),
        "{}",
        report.to_text()
    );
}

fn flip_base64_byte(text: &str, at: impl FnOnce(usize) -> usize) -> String {
    let mut bytes = B64.decode(text).expect("base64");
    let i = at(bytes.len());
    bytes[i] ^= 0x01;
    B64.encode(bytes)
}

async fn a_token_bundle_verifies_offline_and_each_tamper_fails_at_its_check(backend: Backend) {
    let Some((anvil, key, client)) = crate::anchoring::chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let rpc = anvil.endpoint();
    let app = TestApp::spawn_anchored(backend, &rpc, &key, contract).await;
    let registry_contract = format!("{contract:#x}");
    let on_chain = Some((rpc.as_str(), registry_contract.as_str()));

    // Lineage: licence, raw → clean datasets, v1 on raw, v2 retrained from v1 on clean (v2's
    // weights are the fixture model, so it gets a circuit).
    let lic = app.license("open", "ALLOWED").await;
    let raw = app.dataset("raw", &lic, &[]).await;
    let clean = app.dataset("clean", &lic, &[&raw]).await;
    let v1 = app.version("gen", "v1", &lic, None, &[(&raw, "PRETRAIN")]).await;
    let mut input = version_input("gen", "v2", &lic, Some((&v1, "RETRAIN")), &[(&clean, "FINETUNE")]);
    input["weightsSha256"] = json!(fixture().await.circuit.onnx_sha256);
    let v2 = app.ok(REGISTER_VERSION, json!({ "input": input })).await["registerModelVersion"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let circuit = app.ok(REGISTER_CIRCUIT, json!({ "input": circuit_input(&v2).await })).await["registerCircuit"]["id"]
        .as_str()
        .expect("circuit id")
        .to_owned();
    anchor(&app).await;
    let token = app.proven_token(&v2, 7, 7).await["id"].as_str().expect("token id").to_owned();
    let deprecated = app
        .ok(
            "mutation($id: String!) { setModelVersionStatus(id: $id, status: DEPRECATED, reason: \"superseded\") { id } }",
            json!({ "id": v1 }),
        )
        .await;
    assert!(deprecated.get("errors").is_none());

    // Served to auditors only (the audit API is not public here), 404 for an unknown token.
    assert_eq!(fetch(&app, None, 7).await.status(), 401);
    assert_eq!(fetch(&app, Some(&app.auditor), 8).await.status(), 404);

    // Before the token's batch is anchored: nothing false, but not valid either.
    let pending = bundle(&app, 7).await;
    let report = verify_bundle(&pending, &options(on_chain)).await;
    assert_eq!(report.outcome, Outcome::Unconfirmed, "{}", report.to_text());
    assert_eq!(report.count(Status::Failed), 0, "{}", report.to_text());
    assert_eq!(report.check("log.inclusion", "token", &token).expect("check").status, Status::Unconfirmed);
    assert_eq!(report.check("anchor.chain", "modelVersion", &v1).expect("check").status, Status::Passed);
    assert_eq!(report.exit_code(), 2);

    anchor(&app).await;
    let b = bundle(&app, 7).await;

    // The bundle: its JSON Schema, the same over GraphQL, and what it holds.
    let doc = b.to_value();
    let schema: Value = serde_json::from_str(provreg_schema::EVIDENCE_BUNDLE_SCHEMA).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let via_graphql =
        app.post("/audit/graphql", Some(&app.auditor), EVIDENCE, json!({ "c": CHAIN, "k": CONTRACT, "t": "7" })).await;
    assert_eq!(via_graphql["data"]["evidence"], doc);
    let mut kinds: Vec<(String, String)> = b.records.iter().map(|r| (r.kind.to_string(), r.id.clone())).collect();
    kinds.sort();
    let mut expected: Vec<(String, String)> = [
        ("token", &token),
        ("circuit", &circuit),
        ("modelVersion", &v2),
        ("modelVersion", &v1),
        ("dataset", &clean),
        ("dataset", &raw),
        ("license", &lic),
    ]
    .iter()
    .map(|(k, id)| ((*k).to_owned(), (*id).clone()))
    .collect();
    let event = b.records.iter().find(|r| r.kind == "statusEvent").expect("v1's status event").id.clone();
    expected.push(("statusEvent".into(), event.clone()));
    expected.sort();
    assert_eq!(kinds, expected);

    // Everything checks out: certificates trusted, leaves included, anchors on chain, the proof.
    let mut full = options(on_chain);
    full.zk = zk_verifier();
    let report = verify_bundle(&b, &full).await;
    assert_eq!(report.outcome, Outcome::Valid, "{}", report.to_text());
    assert_eq!(report.exit_code(), 0);
    // Valid evidence of a token whose lineage has a deprecated version: said, not hidden.
    assert_eq!(report.provenance_status, "affected");
    let status = report.check("status", "token", &token).expect("status check");
    assert!(status.detail.contains(&format!("modelVersion {v1} deprecated (superseded)")), "{}", status.detail);
    assert!(report.summary().contains("provenance affected"), "{}", report.summary());
    for r in &b.records {
        for name in ["record.digest", "log.leaf", "log.inclusion", "anchor", "anchor.chain", "lineage"] {
            assert_eq!(
                report.check(name, r.kind.as_str(), &r.id).expect(name).status,
                Status::Passed,
                "{name} of {}",
                r.kind
            );
        }
        let expected = if r.kind == "statusEvent" { Status::Skipped } else { Status::Passed };
        for name in ["certificate.signature", "certificate.ingredients"] {
            assert_eq!(
                report.check(name, r.kind.as_str(), &r.id).expect(name).status,
                expected,
                "{name} of {}",
                r.kind
            );
        }
    }
    for name in ["zk.record", "zk.circuit", "zk.files", "zk.binding", "zk.inputs", "zk.outputs", "zk.proof"] {
        assert_eq!(report.check(name, "token", &token).expect(name).status, Status::Passed, "{name}");
    }
    // Without trust anchors a certificate is not taken as trusted.
    let untrusted = VerifyOptions { trust_anchors: None, ..options(None) };
    fails_at(&verify_bundle(&b, &untrusted).await, "certificate.signature", "token", &token);

    let offline = options(on_chain);

    // Anchors not read back from the chain, or read at a contract nobody vouched for, leave
    // the bundle unconfirmed: anyone can deploy a contract and anchor anything on it.
    for (opts, what) in [
        (options(None), "without the chain"),
        (VerifyOptions { contract: None, ..options(on_chain) }, "without the registry's contract"),
    ] {
        let report = verify_bundle(&b, &opts).await;
        assert_eq!(report.outcome, Outcome::Unconfirmed, "{what}: {}", report.to_text());
        assert_eq!(report.count(Status::Failed), 0, "{what}: {}", report.to_text());
        assert_eq!(report.check("anchor.chain", "token", &token).expect("check").status, Status::Unconfirmed);
    }

    // The bundle must be about the token asked for.
    let asked = |token_id: &str| VerifyOptions {
        expected_subject: Some((CHAIN, CONTRACT.to_lowercase(), token_id.to_owned())),
        ..options(on_chain)
    };
    assert_eq!(verify_bundle(&b, &asked("007")).await.outcome, Outcome::Valid);
    fails_at(&verify_bundle(&b, &asked("8")).await, "bundle", "token", &token);

    // One byte of a record (a dataset two steps upstream).
    let mut t = b.clone();
    let r = record(&mut t, "dataset", &raw);
    r.canonical = flip_base64_byte(&r.canonical, |n| n - 3);
    fails_at(&verify_bundle(&t, &offline).await, "record.digest", "dataset", &raw);

    // One byte of a certificate.
    let mut t = b.clone();
    let c = record(&mut t, "modelVersion", &v1).certificate.as_mut().expect("certificate");
    c.manifest_store = flip_base64_byte(&c.manifest_store, |n| n / 2);
    fails_at(&verify_bundle(&t, &offline).await, "certificate.digest", "modelVersion", &v1);

    // One byte of an inclusion proof's sibling.
    let mut t = b.clone();
    let proof = record(&mut t, "token", &token).inclusion_proof.as_mut().expect("proof");
    let sibling = proof["siblings"][0].as_str().expect("a sibling").to_owned();
    let flipped = format!("{}{}", &sibling[..sibling.len() - 1], if sibling.ends_with('0') { '1' } else { '0' });
    proof["siblings"][0] = json!(flipped);
    fails_at(&verify_bundle(&t, &offline).await, "log.inclusion", "token", &token);

    // A swapped root: the other batch's.
    let mut t = b.clone();
    let other_root = record(&mut t, "license", &lic).anchor.as_ref().expect("anchor").root.clone();
    let a = record(&mut t, "token", &token).anchor.as_mut().expect("anchor");
    assert_ne!(a.root, other_root);
    a.root = other_root;
    fails_at(&verify_bundle(&t, &offline).await, "log.inclusion", "token", &token);

    // The token's batch presented as the other batch's transaction: only the chain can tell.
    let mut t = b.clone();
    let other = record(&mut t, "license", &lic).anchor.clone().expect("anchor");
    let a = record(&mut t, "token", &token).anchor.as_mut().expect("anchor");
    (a.tx_hash, a.block_number, a.batch_id) = (other.tx_hash, other.block_number, other.batch_id);
    let no_chain = verify_bundle(&t, &options(None)).await;
    assert_eq!(no_chain.outcome, Outcome::Unconfirmed, "without the chain the forgery is consistent, not valid");
    assert_eq!(no_chain.count(Status::Failed), 0);
    fails_at(&verify_bundle(&t, &offline).await, "anchor.chain", "token", &token);

    // A wrong contract address: another deployment of the same contract on the same chain.
    let mut other_client = provreg_anchor::ChainClient::connect(&rpc, &key, None, 1).expect("client");
    let other_contract = other_client.deploy().await.expect("second deployment");
    let mut t = b.clone();
    record(&mut t, "token", &token).anchor.as_mut().expect("anchor").contract = format!("{other_contract:#x}");
    let unpinned = VerifyOptions { contract: None, ..options(on_chain) };
    fails_at(&verify_bundle(&t, &unpinned).await, "anchor.chain", "token", &token);
    // Told the registry's contract, the verifier refuses another one before asking the chain.
    fails_at(&verify_bundle(&t, &offline).await, "anchor", "token", &token);

    // A changed zk proof byte: the proof record no longer is the token's, and EZKL rejects it.
    let mut t = b.clone();
    t.proof.record.proof[40] ^= 0x01;
    let mut with_zk = options(None);
    with_zk.zk = zk_verifier();
    let report = verify_bundle(&t, &with_zk).await;
    fails_at(&report, "zk.record", "token", &token);
    assert_eq!(report.check("zk.proof", "token", &token).expect("zk.proof").status, Status::Failed);

    // The circuit's key derived again from the bundle's model: another model's ONNX (same
    // shape, other weights) fails zk.binding, by its digest and by the key it gives.
    assert!(b.proof.circuit.onnx.is_some(), "a small model travels with its bundle");
    let other = crate::zk::other_fixture().await;
    let mut t = b.clone();
    t.proof.circuit.onnx = Some(B64.encode(std::fs::read(&other.model).expect("other model")));
    let report = verify_bundle(&t, &with_zk).await;
    fails_at(&report, "zk.binding", "token", &token);
    assert!(matches!(
        report.first_failure().and_then(|c| c.error.clone()),
        Some(provreg_evidence::CheckError::ModelDigest { .. })
    ));

    // Text from a bundle cannot rewrite the report on a terminal.
    let mut t = b.clone();
    record(&mut t, "dataset", &raw).id = format!("{raw}\r\u{1b}[2KVALID");
    let text = verify_bundle(&t, &offline).await.to_text();
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");

    // A lineage record removed from the bundle: the certificates that name its certificate
    // and the records that refer to it fail.
    let mut t = b.clone();
    let raw_certificate = record(&mut t, "dataset", &raw).certificate.as_ref().expect("certificate").digest.clone();
    t.records.retain(|r| r.id != raw);
    let report = verify_bundle(&t, &offline).await;
    let first = report.first_failure().expect("a failure");
    assert_eq!(first.name, "certificate.ingredients", "{}", report.to_text());
    assert!(first.detail.contains(&raw_certificate), "{}", first.detail);
    for referring in [("modelVersion", &v1), ("dataset", &clean)] {
        let lineage = report.check("lineage", referring.0, referring.1).expect("lineage check");
        assert_eq!(lineage.status, Status::Failed);
        assert!(lineage.detail.contains(&raw), "{}", lineage.detail);
    }

    // The command line: the saved bundle is valid; a tampered one exits 1 naming the check.
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = test_data_dir().join("ca").join("ca.pem");
    let good = dir.path().join("evidence.json");
    std::fs::write(&good, doc.to_string()).expect("write bundle");
    let run_with = |file: &std::path::Path, json: bool, extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_provreg"));
        cmd.arg("verify").arg(file).arg("--trust").arg(&ca).arg("--rpc").arg(&rpc);
        cmd.arg("--contract").arg(&registry_contract).args(extra);
        cmd.arg("--python").arg(crate::zk::python()).current_dir(dir.path());
        if json {
            cmd.arg("--json");
        }
        cmd.output().expect("provreg verify runs")
    };
    let run = |file: &std::path::Path, json: bool| run_with(file, json, &[]);
    let out = run_with(&good, true, &["--token", &format!("{CHAIN}/{CONTRACT}/7")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["outcome"], "valid");
    assert_eq!(report["subject"]["tokenId"], "7");
    let other_token = run_with(&good, false, &["--token", &format!("{CHAIN}/{CONTRACT}/8"), "--no-zk"]);
    assert_eq!(other_token.status.code(), Some(1), "a bundle about another token is refused");
    assert!(String::from_utf8_lossy(&other_token.stdout).contains("first failed check bundle"));
    assert!(
        report["checks"].as_array().expect("checks").iter().any(|c| c["name"] == "zk.proof" && c["status"] == "passed")
    );
    let mut t = b.clone();
    let r = record(&mut t, "dataset", &raw);
    r.canonical = flip_base64_byte(&r.canonical, |n| n - 3);
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, t.to_value().to_string()).expect("write bundle");
    let out = run(&bad, false);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("first failed check record.digest of dataset {raw}")), "{text}");
    let pending_file = dir.path().join("pending.json");
    std::fs::write(&pending_file, pending.to_value().to_string()).expect("write bundle");
    assert_eq!(run(&pending_file, false).status.code(), Some(2), "a pending bundle is not valid");
    let not_a_bundle = dir.path().join("other.json");
    std::fs::write(&not_a_bundle, r#"{"version": 9}"#).expect("write file");
    let out = run(&not_a_bundle, false);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("version 9 is not supported"));
}

crate::on_both_backends!(a_token_bundle_verifies_offline_and_each_tamper_fails_at_its_check);
