//! Provable current status: on a state-anchored log (`ProvenanceLog` on a real anvil) a
//! token's bundle proves, for every record in its lineage, its latest status event or that it
//! never changed, against the latest anchored state; a bundle that leaves out a revocation
//! fails, and an old bundle is reported stale once a newer state is anchored.
use provreg_anchor::StatusProof;
use provreg_evidence::{Outcome, Status, VerifyOptions, verify_bundle};
use serde_json::json;

use crate::evidence::{anchor, bundle, fails_at, options};
use crate::helpers::{Backend, REGISTER_VERSION, TestApp, version_input};
use crate::zk::{REGISTER_CIRCUIT, circuit_input, fixture};

async fn bundles_prove_complete_status_and_go_stale(backend: Backend) {
    let Some((anvil, key, client)) = crate::log_states::log_chain().await else { return };
    let contract = client.contract_address().expect("deployed");
    let rpc = anvil.endpoint();
    let app = TestApp::spawn_anchored(backend, &rpc, &key, contract).await;
    let registry_contract = format!("{contract:#x}");
    let on_chain = Some((rpc.as_str(), registry_contract.as_str()));

    let lic = app.license("open", "ALLOWED").await;
    let traits = app.dataset("pixel-traits", &lic, &[]).await;
    let mut input = version_input("gen", "v2", &lic, None, &[(&traits, "PRETRAIN")]);
    input["weightsSha256"] = json!(fixture().await.circuit.onnx_sha256);
    let v2 = app.ok(REGISTER_VERSION, json!({ "input": input })).await["registerModelVersion"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.ok(REGISTER_CIRCUIT, json!({ "input": circuit_input(&v2).await })).await;
    app.proven_token(&v2, 7, 7).await;
    anchor(&app).await;

    // Nothing changed: every record proves absence from the status map.
    let before = bundle(&app, 7).await;
    let state = before.log_state.as_ref().expect("a state-anchored bundle");
    assert_eq!(state.status_proofs.len(), 3, "licence, dataset, version");
    for p in &state.status_proofs {
        let proof: StatusProof = serde_json::from_value(p.proof.clone()).unwrap();
        assert_eq!(proof.value(), None, "{} never changed", p.record);
    }
    let report = verify_bundle(&before, &options(on_chain)).await;
    assert_eq!(report.count(Status::Failed), 0, "{}", report.to_text());
    let complete = report.check("status.complete", "token", &before.subject.id).expect("status.complete");
    assert_eq!(complete.status, Status::Passed, "{}", report.to_text());
    assert!(
        complete.detail.contains("no record in the lineage is deprecated, revoked or withdrawn"),
        "{}",
        complete.detail
    );
    assert_eq!(report.check("anchor.latest", "token", &before.subject.id).unwrap().status, Status::Passed);
    assert_eq!(report.check("log.inclusion", "modelVersion", &v2).unwrap().status, Status::Passed);

    // Revoke the dataset and anchor: a newer state.
    app.ok(
        "mutation($id: String!) { setDatasetStatus(id: $id, status: REVOKED, reason: \"consent withdrawn\") { id } }",
        json!({ "id": traits }),
    )
    .await;
    anchor(&app).await;

    // The old bundle: unconfirmed without --max-age, failed with a tight one, naming the newer state.
    let report = verify_bundle(&before, &options(on_chain)).await;
    let latest = report.check("anchor.latest", "token", &before.subject.id).unwrap();
    assert_eq!(latest.status, Status::Unconfirmed, "{}", report.to_text());
    assert_eq!(report.outcome, Outcome::Unconfirmed);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let tight = VerifyOptions { max_age: Some(std::time::Duration::from_secs(0)), ..options(on_chain) };
    let report = verify_bundle(&before, &tight).await;
    fails_at(&report, "anchor.latest", "token", &before.subject.id);
    let stale = report.check("anchor.latest", "token", &before.subject.id).unwrap();
    assert!(
        stale.detail.starts_with("stale:") && stale.detail.contains("latest state is checkpoint"),
        "{}",
        stale.detail
    );
    let generous = VerifyOptions { max_age: Some(std::time::Duration::from_secs(3600)), ..options(on_chain) };
    assert_eq!(
        verify_bundle(&before, &generous).await.check("anchor.latest", "token", &before.subject.id).unwrap().status,
        Status::Passed
    );

    // A fresh bundle: affected, with the revocation proven as the dataset's latest event.
    let after = bundle(&app, 7).await;
    let report = verify_bundle(&after, &options(on_chain)).await;
    assert_eq!(report.count(Status::Failed), 0, "{}", report.to_text());
    assert_eq!(report.provenance_status, "affected");
    let complete = report.check("status.complete", "token", &after.subject.id).unwrap();
    assert!(complete.detail.contains(&format!("dataset {traits} revoked")), "{}", complete.detail);
    let proof = after.log_state.as_ref().unwrap().status_proofs.iter().find(|p| p.record.id == traits).unwrap();
    let proof: StatusProof = serde_json::from_value(proof.proof.clone()).unwrap();
    assert!(proof.value().is_some(), "membership of the revocation");

    // The same bundle with the revocation deleted (the event and its edge) fails.
    let mut omitted = after.clone();
    let event = omitted.records.iter().position(|r| r.kind.as_str() == "statusEvent").expect("the revocation");
    let event_id = omitted.records.remove(event).id;
    omitted.lineage.retain(|e| e.from.id != event_id);
    let report = verify_bundle(&omitted, &options(on_chain)).await;
    fails_at(&report, "status.complete", "token", &after.subject.id);
    assert!(report.to_text().contains("leaves out"), "{}", report.to_text());
    assert_eq!(report.provenance_status, "active", "the omission would have passed for active");

    // An absence proof from before does not hold against the new state, nor does no proof.
    let mut forged = after.clone();
    let old = before.log_state.as_ref().unwrap().status_proofs.iter().find(|p| p.record.id == traits).unwrap().clone();
    let ls = forged.log_state.as_mut().unwrap();
    ls.status_proofs.retain(|p| p.record.id != traits);
    ls.status_proofs.push(old);
    forged.records.retain(|r| r.kind.as_str() != "statusEvent");
    forged.lineage.retain(|e| e.from.id != event_id);
    fails_at(&verify_bundle(&forged, &options(on_chain)).await, "status.complete", "token", &after.subject.id);
    let mut unproven = after.clone();
    unproven.log_state.as_mut().unwrap().status_proofs.retain(|p| p.record.id != traits);
    let report = verify_bundle(&unproven, &options(on_chain)).await;
    fails_at(&report, "status.complete", "token", &after.subject.id);
    assert!(report.to_text().contains("no status-map proof"), "{}", report.to_text());

    // GraphQL `status`: the record's status, its event and the proof in the newest state.
    let q =
        "query($id: String!, $a: AsOf) { status(of: $id, asOf: $a) { status event { id } proof state { head kind } } }";
    let now = &app.ok(q, json!({ "id": traits })).await["status"];
    assert_eq!((now["status"].as_str(), now["event"]["id"].as_str()), (Some("REVOKED"), Some(event_id.as_str())));
    assert_eq!(now["state"]["head"].as_str(), Some(after.log_state.as_ref().unwrap().head.as_str()));
    let proven: StatusProof = serde_json::from_value(now["proof"].clone()).unwrap();
    proven.verify(&hex::decode(&after.log_state.as_ref().unwrap().status_root).unwrap().try_into().unwrap()).unwrap();
    assert!(proven.value().is_some());
    // As of the first state's last entry: active, proven absent in that state.
    let first_size = before.log_state.as_ref().unwrap().size;
    let then = &app.ok(q, json!({ "id": traits, "a": { "seq": first_size - 1 } })).await["status"];
    assert_eq!(then["status"], "ACTIVE");
    assert_eq!(then["state"]["head"].as_str(), Some(before.log_state.as_ref().unwrap().head.as_str()));
    let absent: StatusProof = serde_json::from_value(then["proof"].clone()).unwrap();
    assert_eq!(absent.value(), None);

    // A changed state head is caught offline.
    let mut moved = after.clone();
    moved.log_state.as_mut().unwrap().size += 1;
    let report = verify_bundle(&moved, &options(None)).await;
    assert!(report.to_text().contains("SHA-256(0x03"), "{}", report.to_text());
    assert_eq!(report.outcome, Outcome::Invalid);
}

crate::on_both_backends!(bundles_prove_complete_status_and_go_stale);
