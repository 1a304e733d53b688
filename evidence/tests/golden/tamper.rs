//! One row per tampering: the field changed and the check that must be the first to fail.
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_evidence::bundle::{EvidenceRecord, LineageEdge, RecordRef};
use provreg_evidence::{Bundle, CheckError, Outcome, Report};
use provreg_schema::RecordKind;
use sha2::{Digest as _, Sha256};

use crate::generate::{self, Variant, ids};
use crate::{golden, identity, options, verify};

fn record<'a>(b: &'a mut Bundle, kind: RecordKind, id: &str) -> &'a mut EvidenceRecord {
    b.records.iter_mut().find(|r| r.kind == kind && r.id == id).expect("record in the golden bundle")
}

fn flip_base64(text: &str, at: impl FnOnce(usize) -> usize) -> String {
    let mut bytes = B64.decode(text).unwrap();
    let i = at(bytes.len());
    bytes[i] ^= 0x01;
    B64.encode(bytes)
}

/// Rewrites a record's canonical JSON (and states the new digest, so `record.digest` passes).
fn rewrite_canonical(r: &mut EvidenceRecord, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value = serde_json::from_slice(&B64.decode(&r.canonical).unwrap()).unwrap();
    edit(&mut value);
    let bytes = serde_json::to_vec(&value).unwrap();
    r.digest = hex::encode(Sha256::digest(&bytes));
    r.canonical = B64.encode(bytes);
}

fn first_failure(report: &Report) -> (&str, RecordKind, &str) {
    assert_eq!(report.outcome, Outcome::Invalid, "{}", report.to_text());
    let c = report.first_failure().expect("a failed check");
    (c.name.as_str(), c.subject.kind, c.subject.id.as_str())
}

type Tamper = fn(&mut Bundle);

#[test]
fn each_tampering_fails_at_its_own_check() {
    use RecordKind::*;
    let rows: Vec<(&str, Tamper, &str, RecordKind, &str)> = vec![
        ("subject token ID", |b| b.subject.token_id = "8".into(), "bundle", Token, ids::TOKEN),
        ("a record twice", |b| b.records.push(b.records[0].clone()), "bundle", Token, ids::TOKEN),
        (
            "stated record digest",
            |b| record(b, Dataset, ids::DATASET).digest = "00".repeat(32),
            "record.digest",
            Dataset,
            ids::DATASET,
        ),
        (
            "canonical bytes",
            |b| {
                let r = record(b, License, ids::LICENSE);
                r.canonical = flip_base64(&r.canonical, |n| n / 2);
            },
            "record.digest",
            License,
            ids::LICENSE,
        ),
        (
            "canonical kind, re-digested",
            |b| rewrite_canonical(record(b, License, ids::LICENSE), |v| v["kind"] = "dataset".into()),
            "record.identity",
            License,
            ids::LICENSE,
        ),
        (
            "canonical payload shape, re-digested",
            |b| rewrite_canonical(record(b, Dataset, ids::DATASET), |v| v["payload"]["license"] = 7.into()),
            "record.identity",
            Dataset,
            ids::DATASET,
        ),
        (
            "stated certificate digest",
            |b| {
                record(b, ModelVersion, ids::VERSION).certificate.as_mut().unwrap().digest = "11".repeat(32);
            },
            "certificate.digest",
            ModelVersion,
            ids::VERSION,
        ),
        (
            "manifest store, digests restated",
            |b| {
                let r = record(b, Dataset, ids::DATASET);
                let cert = r.certificate.as_mut().unwrap();
                cert.manifest_store = flip_base64(&cert.manifest_store, |n| n - 40);
                let digest = hex::encode(Sha256::digest(B64.decode(&cert.manifest_store).unwrap()));
                cert.digest.clone_from(&digest);
                r.log_entry.certificate_digest = digest;
            },
            "certificate.signature",
            Dataset,
            ids::DATASET,
        ),
        (
            "bound hash",
            |b| record(b, Token, ids::TOKEN).certificate.as_mut().unwrap().bound_sha256 = "22".repeat(32),
            "certificate.binding",
            Token,
            ids::TOKEN,
        ),
        (
            "an ingredient left out",
            |b| b.records.retain(|r| r.kind != Dataset),
            "certificate.ingredients",
            ModelVersion,
            ids::VERSION,
        ),
        (
            "log leaf",
            |b| record(b, Circuit, ids::CIRCUIT).log_entry.leaf = "33".repeat(32),
            "log.leaf",
            Circuit,
            ids::CIRCUIT,
        ),
        (
            "sequence number",
            |b| record(b, Token, ids::TOKEN).log_entry.seq = Some(0),
            "log.inclusion",
            Token,
            ids::TOKEN,
        ),
        (
            "anchor root",
            |b| record(b, License, ids::LICENSE).anchor.as_mut().unwrap().root = "44".repeat(32),
            "log.inclusion",
            License,
            ids::LICENSE,
        ),
        (
            "inclusion proof dropped",
            |b| record(b, Dataset, ids::DATASET).inclusion_proof = None,
            "log.inclusion",
            Dataset,
            ids::DATASET,
        ),
        (
            "anchor status",
            |b| record(b, License, ids::LICENSE).anchor.as_mut().unwrap().status = "forged".into(),
            "anchor",
            License,
            ids::LICENSE,
        ),
        (
            "confirmed without transaction",
            |b| record(b, License, ids::LICENSE).anchor.as_mut().unwrap().tx_hash = None,
            "anchor",
            License,
            ids::LICENSE,
        ),
        ("the licence left out", |b| b.records.retain(|r| r.kind != License), "lineage", Dataset, ids::DATASET),
        (
            "an edge added",
            |b| {
                b.lineage.push(LineageEdge {
                    from: RecordRef::new(Token, ids::TOKEN),
                    to: RecordRef::new(License, ids::LICENSE),
                    relation: "licensedUnder".into(),
                    role: None,
                })
            },
            "lineage.edges",
            Token,
            ids::TOKEN,
        ),
        (
            "an edge left out",
            |b| {
                b.lineage.pop();
            },
            "lineage.edges",
            Token,
            ids::TOKEN,
        ),
        ("proof record", |b| b.proof.record.system_version = "0.0.1".into(), "zk.record", Token, ids::TOKEN),
        (
            "circuit files of another circuit",
            |b| b.proof.circuit.id = ids::VERSION.into(),
            "zk.circuit",
            Token,
            ids::TOKEN,
        ),
        (
            "verifying key",
            |b| b.proof.circuit.verifying_key = B64.encode(b"another key"),
            "zk.files",
            Token,
            ids::TOKEN,
        ),
        ("SRS not base64", |b| b.proof.circuit.srs = "%%%".into(), "zk.files", Token, ids::TOKEN),
        (
            "the model swapped",
            |b| b.proof.circuit.onnx = Some(B64.encode(b"other weights")),
            "zk.binding",
            Token,
            ids::TOKEN,
        ),
    ];
    let (golden, ca) = golden();
    let opts = options(&ca);
    for (what, tamper, name, kind, id) in rows {
        let mut bundle = golden.clone();
        tamper(&mut bundle);
        let report = verify(&bundle, &opts);
        assert_eq!(first_failure(&report), (name, kind, id), "{what}:\n{}", report.to_text());
    }
}

#[test]
fn a_proof_of_another_seed_or_other_traits_fails_at_its_check() {
    let (identity, ca, _dir) = identity();
    let opts = options(&ca);
    let seed = verify(&generate::bundle(&identity, Variant { other_seed: true, ..Variant::default() }), &opts);
    assert_eq!(first_failure(&seed), ("zk.inputs", RecordKind::Token, ids::TOKEN), "{}", seed.to_text());
    assert!(matches!(seed.first_failure().unwrap().error, Some(CheckError::InputMismatch(_))));
    let traits = verify(&generate::bundle(&identity, Variant { other_traits: true, ..Variant::default() }), &opts);
    assert_eq!(first_failure(&traits), ("zk.outputs", RecordKind::Token, ids::TOKEN), "{}", traits.to_text());
    assert!(matches!(traits.first_failure().unwrap().error, Some(CheckError::OutputMismatch { index: 0, .. })));
}

#[test]
fn a_circuit_not_bound_to_its_weights_is_unconfirmed_and_a_missing_model_is_not_rederived() {
    use provreg_evidence::Status;
    let (identity, ca, _dir) = identity();
    let opts = options(&ca);
    let unbound = verify(&generate::bundle(&identity, Variant { unbound: true, ..Variant::default() }), &opts);
    let binding = unbound.check("zk.binding", "token", ids::TOKEN).unwrap();
    assert_eq!(binding.status, Status::Unconfirmed, "{}", unbound.to_text());
    assert!(binding.detail.contains("before circuits were bound"), "{}", binding.detail);
    assert_eq!(unbound.count(Status::Failed), 0, "{}", unbound.to_text());

    let (mut golden, ca) = golden();
    let skipped = verify(&golden, &options(&ca));
    assert_eq!(skipped.check("zk.binding", "token", ids::TOKEN).unwrap().status, Status::Skipped);
    golden.proof.circuit.onnx = None;
    let large = verify(&golden, &options(&ca));
    let binding = large.check("zk.binding", "token", ids::TOKEN).unwrap();
    assert_eq!(binding.status, Status::Skipped, "never passed without the model");
    assert!(binding.detail.contains("not re-derived"), "{}", binding.detail);
}

#[test]
fn a_bundle_of_another_version_or_not_json_is_not_read() {
    let (golden, _) = golden();
    // A key named twice: readers differ on which counts, so the bundle is refused.
    let text = golden.to_value().to_string();
    let twice = text.replacen("\"version\":1", "\"version\":1,\"version\":1", 1);
    assert_ne!(text, twice);
    assert!(matches!(Bundle::from_json(&twice), Err(provreg_evidence::BundleError::DuplicateKey(_))));
    let digest = &golden.records[0].digest;
    let nested = text.replacen(
        &format!("\"digest\":\"{digest}\""),
        &format!("\"digest\":\"{digest}\",\"digest\":\"{digest}\""),
        1,
    );
    assert_ne!(text, nested);
    assert!(
        matches!(Bundle::from_json(&nested), Err(provreg_evidence::BundleError::DuplicateKey(k)) if k.contains("digest"))
    );
    let mut value = golden.to_value();
    value["version"] = 2.into();
    assert!(matches!(Bundle::from_value(value), Err(provreg_evidence::BundleError::Version(2))));
    assert!(matches!(Bundle::from_json("{"), Err(provreg_evidence::BundleError::NotJson(_))));
    let mut value = golden.to_value();
    value["records"][0]["kind"] = "model_version".into();
    assert!(matches!(Bundle::from_value(value), Err(provreg_evidence::BundleError::Shape(_))));
}
