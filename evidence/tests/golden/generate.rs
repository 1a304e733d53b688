//! The test-only helper that makes an evidence bundle the way the registry does, with no
//! registry: real canonical records, real C2PA certificates from a development CA, a real
//! log batch with inclusion proofs, a proof record whose public values follow the seed rule.
//! Only the anchor's transaction and the proof bytes are invented (no chain, no prover here).
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_anchor::{BatchTree, Digest, NO_CERTIFICATE, log_leaf};
use provreg_certs::{
    Action, CertificateRequest, Ingredient, IngredientRelation, IssuedCertificate, SigningIdentity, Subject,
};
use provreg_evidence::Bundle;
use provreg_evidence::bundle::{
    BUNDLE_VERSION, BundleSubject, CircuitFiles, EvidenceAnchor, EvidenceCertificate, EvidenceLogEntry, EvidenceRecord,
    LineageEdge, ProofEvidence, RecordRef,
};
use provreg_prover_client::{EZKL_SYSTEM, ProofRecord, field, model_commitment, seed};
use provreg_schema::RecordKind;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

pub const CHAIN: i64 = 31337;
pub const CONTRACT: &str = "0x00000000000000000000000000000000000c0de1";
pub const ANCHOR_CONTRACT: &str = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
pub const TOKEN_ID: &str = "7";
pub const SEED: &str = "2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a";
const INPUT_SCALE: u32 = 7;
const OUTPUT_SCALE: u32 = 7;
const INPUT_LEN: usize = 8;
pub const TRAITS: [f64; 4] = [0.5, -1.25, 2.0, 0.0078125];

/// What to get wrong on purpose, consistently signed (what tampering cannot reach).
#[derive(Debug, Clone, Copy, Default)]
pub struct Variant {
    /// The proof's public inputs are those of another seed.
    pub other_seed: bool,
    /// The proof's public outputs are other traits.
    pub other_traits: bool,
    /// The circuit was registered before circuits were bound to their weights.
    pub unbound: bool,
}

/// The fixed IDs of the bundle's records (UUIDv7-shaped).
pub mod ids {
    pub const LICENSE: &str = "019ad000-0000-7000-8000-000000000001";
    pub const DATASET: &str = "019ad000-0000-7000-8000-000000000002";
    pub const VERSION: &str = "019ad000-0000-7000-8000-000000000003";
    pub const CIRCUIT: &str = "019ad000-0000-7000-8000-000000000004";
    pub const TOKEN: &str = "019ad000-0000-7000-8000-000000000005";
    pub const EVENT: &str = "019ad000-0000-7000-8000-000000000006";
}

fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn hex32(bytes: &[u8]) -> String {
    hex::encode(sha(bytes))
}

fn digest_bytes(hex_digest: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut out).expect("a hex digest");
    out
}

struct Made {
    kind: RecordKind,
    id: &'static str,
    canonical: Vec<u8>,
    digest: String,
    certificate: Option<IssuedCertificate>,
    bound: Option<String>,
}

fn canonical(kind: RecordKind, id: &str, at: &str, payload: &Value) -> (Vec<u8>, String, Value) {
    let value = json!({ "kind": kind.as_str(), "id": id, "registeredAt": at, "payload": payload });
    let record = provreg_schema::canonicalize(&value).expect("canonical");
    let digest = record.digest_hex();
    (record.bytes, digest, value)
}

struct Signer<'a> {
    identity: &'a SigningIdentity,
}

impl Signer<'_> {
    #[allow(clippy::too_many_arguments)]
    fn make(
        &self,
        kind: RecordKind,
        id: &'static str,
        at: &str,
        payload: Value,
        subject: Subject,
        bound: Option<String>,
        ingredients: Vec<(&str, IngredientRelation, &Made)>,
    ) -> Made {
        let (bytes, digest, value) = canonical(kind, id, at, &payload);
        let bound_hex = bound.unwrap_or_else(|| digest.clone());
        let ingredients = ingredients
            .into_iter()
            .map(|(title, relation, made)| {
                let cert = made.certificate.as_ref().expect("ingredient certificate");
                Ingredient {
                    title: title.to_owned(),
                    relation,
                    manifest_store: &cert.manifest_store,
                    bound_sha256: digest_bytes(made.bound.as_deref().unwrap_or(&made.digest)),
                }
            })
            .collect::<Vec<_>>();
        let action = match (kind, ingredients.is_empty()) {
            (RecordKind::Token, _) => Action::Generated,
            (RecordKind::Circuit, false) => Action::Compiled,
            _ => Action::Created,
        };
        let request = CertificateRequest {
            subject,
            title: format!("golden {kind}"),
            format: if kind == RecordKind::Token { "image/png".into() } else { "application/octet-stream".into() },
            bound_sha256: digest_bytes(&bound_hex),
            action,
            record: json!({ "digest": digest, "canonical": value }),
            lineage: None,
            license_terms: None,
            ingredients,
        };
        let certificate = provreg_certs::issue(self.identity, &request).expect("certificate");
        Made { kind, id, canonical: bytes, digest, certificate: Some(certificate), bound: Some(bound_hex) }
    }
}

/// A bundle about token [`TOKEN_ID`] of [`CONTRACT`]: licence ← dataset ← model version ←
/// circuit and token, and a status event deprecating the dataset.
pub fn bundle(identity: &SigningIdentity, variant: Variant) -> Bundle {
    let signer = Signer { identity };
    let at = |n: u32| format!("2026-12-01T10:00:0{n}.000000Z");
    // The model's bytes (not an ONNX model: no prover runs here, only its digest is checked).
    let model = b"golden weights".to_vec();
    let weights = hex32(&model);
    let (settings, vk, srs) =
        (r#"{"run_args":{"logrows":11}}"#, b"golden verifying key".to_vec(), b"golden srs".to_vec());
    let (settings_sha, vk_sha) = (hex32(settings.as_bytes()), hex32(&vk));
    let commitment = model_commitment(&weights, &settings_sha, &vk_sha).expect("commitment");

    let license = signer.make(
        RecordKind::License,
        ids::LICENSE,
        &at(0),
        json!({ "name": "open", "commercialUse": true, "derivatives": "allowed", "attribution": false, "aiTraining": "allowed" }),
        Subject::License,
        None,
        vec![],
    );
    let dataset = signer.make(
        RecordKind::Dataset,
        ids::DATASET,
        &at(1),
        json!({ "name": "scans", "version": "1", "uri": "s3://golden/scans", "contentSha256": hex32(b"scans"),
                "recordCount": 10, "collectionPeriod": { "from": "2025-01-01", "to": "2025-06-30" },
                "license": ids::LICENSE }),
        Subject::Dataset,
        Some(hex32(b"scans")),
        vec![],
    );
    let version = signer.make(
        RecordKind::ModelVersion,
        ids::VERSION,
        &at(2),
        json!({ "model": "gen", "versionLabel": "v1", "weightsSha256": weights, "architecture": "mlp",
                "license": ids::LICENSE, "trainingRun": { "startedAt": "2026-01-01T00:00:00Z" },
                "trainingData": [{ "dataset": ids::DATASET, "role": "pretrain" }] }),
        Subject::ModelVersion,
        Some(weights.clone()),
        vec![("scans 1", IngredientRelation::InputTo, &dataset)],
    );
    let circuit = signer.make(
        RecordKind::Circuit,
        ids::CIRCUIT,
        &at(3),
        json!({ "modelVersion": ids::VERSION, "proofSystem": EZKL_SYSTEM, "systemVersion": "23.0.5",
                "onnxSha256": weights, "settingsSha256": settings_sha, "vkSha256": vk_sha, "srsSha256": hex32(&srs),
                "commitment": commitment, "inputScale": INPUT_SCALE, "outputScale": OUTPUT_SCALE,
                "inputLen": INPUT_LEN, "outputLen": TRAITS.len(), "boundToWeights": !variant.unbound,
                "compiledSha256": hex32(b"golden compiled circuit") }),
        Subject::Circuit,
        Some(vk_sha.clone()),
        vec![("gen v1", IngredientRelation::ParentOf, &version)],
    );

    let proven_seed = if variant.other_seed { "01".repeat(32) } else { SEED.to_owned() };
    let seed_bytes = seed::parse_seed(&proven_seed).expect("seed");
    let inputs = seed::model_input(&seed_bytes, INPUT_LEN, INPUT_SCALE)
        .expect("model input")
        .iter()
        .map(|v| field::quantise(f64::from(*v), INPUT_SCALE).expect("felt"))
        .collect();
    let outputs = TRAITS
        .iter()
        .map(|t| field::quantise(if variant.other_traits { t + 1.0 } else { *t }, OUTPUT_SCALE).expect("felt"))
        .collect();
    let record = ProofRecord {
        system: EZKL_SYSTEM.into(),
        system_version: "23.0.5".into(),
        vk_sha256: vk_sha.clone(),
        settings_sha256: settings_sha.clone(),
        model_commitment: commitment.clone(),
        public_inputs: inputs,
        public_outputs: outputs,
        proof: b"golden proof bytes".to_vec(),
    };
    let proof_digest = provreg_schema::canonicalize(&serde_json::to_value(&record).expect("proof json"))
        .expect("canonical")
        .digest_hex();
    let asset = hex32(b"golden png");
    let token = signer.make(
        RecordKind::Token,
        ids::TOKEN,
        &at(4),
        json!({ "chainId": CHAIN, "contract": CONTRACT, "tokenId": TOKEN_ID, "modelVersion": ids::VERSION,
                "assetSha256": asset, "mediaType": "image/png", "inputSeed": SEED,
                "seedSource": { "kind": "OPERATOR" }, "traits": TRAITS,
                "circuit": { "id": ids::CIRCUIT, "commitment": commitment },
                "proof": { "digest": proof_digest, "system": EZKL_SYSTEM, "systemVersion": "23.0.5",
                           "modelCommitment": commitment } }),
        Subject::Token,
        Some(asset),
        vec![("gen v1", IngredientRelation::InputTo, &version)],
    );
    let (bytes, digest, _) = canonical(
        RecordKind::StatusEvent,
        ids::EVENT,
        &at(5),
        &json!({ "subjectKind": "dataset", "subject": ids::DATASET, "status": "deprecated", "reason": "superseded" }),
    );
    let event = Made {
        kind: RecordKind::StatusEvent,
        id: ids::EVENT,
        canonical: bytes,
        digest,
        certificate: None,
        bound: None,
    };

    let made = [license, dataset, version, circuit, token, event];
    let leaves: Vec<Digest> = made
        .iter()
        .map(|m| {
            let cert = m.certificate.as_ref().map_or(NO_CERTIFICATE, |c| c.digest);
            log_leaf(m.kind.as_str(), &digest_bytes(&m.digest), &cert)
        })
        .collect();
    let tree = BatchTree::new(&leaves).expect("tree");
    let anchor = EvidenceAnchor {
        chain_id: CHAIN,
        contract: ANCHOR_CONTRACT.into(),
        tx_hash: Some(format!("0x{}", hex32(b"golden anchor transaction"))),
        block_number: Some(5),
        batch_id: Some(0),
        root: hex::encode(tree.root()),
        first_seq: 0,
        size: i64::try_from(leaves.len()).expect("size"),
        status: "confirmed".into(),
    };
    let records = made
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let index = u64::try_from(i).expect("index");
            let proof = tree.proof(index).expect("inclusion proof");
            EvidenceRecord {
                kind: m.kind,
                id: m.id.into(),
                canonical: B64.encode(&m.canonical),
                digest: m.digest.clone(),
                certificate: m.certificate.as_ref().map(|c| EvidenceCertificate {
                    id: format!("{}-certificate", m.id),
                    manifest_label: c.manifest_label.clone(),
                    format: if m.kind == RecordKind::Token { "image/png" } else { "application/octet-stream" }.into(),
                    bound_sha256: m.bound.clone().unwrap_or_default(),
                    digest: hex::encode(c.digest),
                    manifest_store: B64.encode(&c.manifest_store),
                }),
                log_entry: EvidenceLogEntry {
                    seq: Some(i64::try_from(i).expect("seq")),
                    leaf: hex::encode(leaves[i]),
                    record_digest: m.digest.clone(),
                    certificate_digest: hex::encode(m.certificate.as_ref().map_or(NO_CERTIFICATE, |c| c.digest)),
                },
                inclusion_proof: Some(serde_json::from_str(&proof.to_json()).expect("proof json")),
                anchor: Some(anchor.clone()),
                log_proof: None,
            }
        })
        .collect();
    let r = |kind, id: &str| RecordRef::new(kind, id);
    let edge = |from: RecordRef, to: RecordRef, relation: &str, role: Option<&str>| LineageEdge {
        from,
        to,
        relation: relation.into(),
        role: role.map(str::to_owned),
    };
    let (tok, cir, ver, dat, lic) = (
        r(RecordKind::Token, ids::TOKEN),
        r(RecordKind::Circuit, ids::CIRCUIT),
        r(RecordKind::ModelVersion, ids::VERSION),
        r(RecordKind::Dataset, ids::DATASET),
        r(RecordKind::License, ids::LICENSE),
    );
    let lineage = vec![
        edge(tok.clone(), ver.clone(), "generatedBy", None),
        edge(tok, cir.clone(), "provenWith", None),
        edge(cir, ver.clone(), "circuitOf", None),
        edge(ver.clone(), lic.clone(), "licensedUnder", None),
        edge(ver, dat.clone(), "trainedOn", Some("pretrain")),
        edge(dat.clone(), lic, "licensedUnder", None),
        edge(r(RecordKind::StatusEvent, ids::EVENT), dat, "statusOf", None),
    ];
    Bundle {
        version: BUNDLE_VERSION,
        subject: BundleSubject {
            chain_id: CHAIN,
            contract: CONTRACT.into(),
            token_id: TOKEN_ID.into(),
            id: ids::TOKEN.into(),
        },
        records,
        lineage,
        proof: ProofEvidence {
            record,
            circuit: CircuitFiles {
                id: ids::CIRCUIT.into(),
                settings: settings.into(),
                verifying_key: B64.encode(&vk),
                srs: B64.encode(&srs),
                onnx: (!variant.unbound).then(|| B64.encode(&model)),
            },
        },
        log_state: None,
    }
}
