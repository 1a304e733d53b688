//! The evidence bundle: one self-contained JSON document holding everything needed to check,
//! offline, every claim the registry makes about one token and its upstream lineage.
//!
//! The JSON Schema is `schema/json/evidence-bundle.schema.json`. Digests are lower-case hex
//! SHA-256 without `0x`, as the registry stores them; byte strings are standard base64.
//! Nothing in a bundle is trusted by the verifier: every digest is recomputed from the bytes
//! it describes (see [`crate::verify_bundle`]).
use provreg_prover_client::ProofRecord;
use provreg_schema::RecordKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The bundle format version this code writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

/// What a bundle says about one token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Always [`BUNDLE_VERSION`].
    pub version: u32,
    /// The token the bundle is about.
    pub subject: BundleSubject,
    /// The token, its circuit, every record upstream of its model version (parent versions at
    /// any depth, training datasets, the datasets they derive from, licences) and the status
    /// events of those records.
    pub records: Vec<EvidenceRecord>,
    /// The edges between the records, as the registry stores them; every one is backed by a
    /// reference in a canonical record.
    pub lineage: Vec<LineageEdge>,
    /// The token's proof and the circuit files it verifies against.
    pub proof: ProofEvidence,
    /// The newest anchored state of the whole log (a `ProvenanceLog` contract) the records'
    /// `logProof`s and the status-map proofs are against; absent in bundles of a registry
    /// that anchors batches, and in bundles made before states existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_state: Option<EvidenceLogState>,
}

/// An anchored state of the whole log, with the status-map proof of every record in the
/// lineage that can change status (licences, datasets, model versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceLogState {
    pub chain_id: i64,
    /// Address of the `ProvenanceLog` contract.
    pub contract: String,
    /// The state's head (hex, no `0x`): SHA-256(0x03 ‖ prevHead ‖ logRoot ‖ u64be(size) ‖ statusRoot).
    pub head: String,
    pub prev_head: String,
    /// Root of the log's RFC 6962 tree of `size` entries.
    pub log_root: String,
    pub size: i64,
    /// Root of the status map at that size.
    pub status_root: String,
    /// The anchoring transaction, its block and the block's time (Unix seconds).
    pub tx_hash: String,
    pub block_number: i64,
    pub block_time: i64,
    pub status_proofs: Vec<EvidenceStatusProof>,
}

/// One record's status-map proof (the anchor crate's status proof JSON, version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceStatusProof {
    pub record: RecordRef,
    pub proof: Value,
}

/// The token a bundle is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleSubject {
    /// EIP-155 chain ID of the token contract.
    pub chain_id: i64,
    /// The token contract, lower-case `0x` hex.
    pub contract: String,
    /// The token ID, decimal.
    pub token_id: String,
    /// The registry ID of the token record.
    pub id: String,
}

/// A record kind and ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordRef {
    /// `token`, `circuit`, `modelVersion`, `dataset`, `license` or `statusEvent`.
    pub kind: RecordKind,
    pub id: String,
}

impl RecordRef {
    pub fn new(kind: RecordKind, id: impl ToString) -> Self {
        Self { kind, id: id.to_string() }
    }
}

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

/// One record with everything that proves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceRecord {
    pub kind: RecordKind,
    pub id: String,
    /// Base64 of the exact canonical bytes (RFC 8785 JSON of `{kind, id, registeredAt,
    /// payload}`) the registry stored and signed.
    pub canonical: String,
    /// SHA-256 of the canonical bytes, as the registry states it.
    pub digest: String,
    /// The record's C2PA birth certificate; `null` for status events, which have none.
    pub certificate: Option<EvidenceCertificate>,
    /// The record's entry in the append-only log.
    pub log_entry: EvidenceLogEntry,
    /// The inclusion proof of the log leaf in its batch (the anchor crate's proof JSON,
    /// version 1); `null` until the entry is batched.
    pub inclusion_proof: Option<Value>,
    /// The anchor of the entry's batch; `null` until the entry is batched, and for an entry
    /// proven by `logProof` instead.
    pub anchor: Option<EvidenceAnchor>,
    /// The inclusion proof of the log leaf in the tree of the bundle's `logState` (the anchor
    /// crate's log proof JSON, version 1), for an entry of a state-anchored log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_proof: Option<Value>,
}

impl EvidenceRecord {
    /// The record's kind and ID.
    pub fn reference(&self) -> RecordRef {
        RecordRef::new(self.kind, &self.id)
    }
}

/// A C2PA birth certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceCertificate {
    pub id: String,
    /// Label of the active manifest (`urn:c2pa:…`).
    pub manifest_label: String,
    /// Media type of the bound bytes.
    pub format: String,
    /// SHA-256 the manifest's data hash binds it to.
    pub bound_sha256: String,
    /// SHA-256 of the manifest store, as the registry states it.
    pub digest: String,
    /// Base64 of the manifest store (the `.c2pa` sidecar's bytes).
    pub manifest_store: String,
}

/// A log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceLogEntry {
    /// Position in the log; `null` until the entry is batched.
    pub seq: Option<i64>,
    /// The log leaf: SHA-256 over kind, record digest and certificate digest.
    pub leaf: String,
    pub record_digest: String,
    /// SHA-256 of the certificate's manifest store; 64 zeros for a record without one.
    pub certificate_digest: String,
}

/// One batch of the log committed on chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceAnchor {
    pub chain_id: i64,
    /// Address of the ProvenanceAnchor contract.
    pub contract: String,
    /// The `anchor` transaction, once sent.
    pub tx_hash: Option<String>,
    /// The block holding the transaction, once confirmed.
    pub block_number: Option<i64>,
    /// The contract's number for the batch, once confirmed.
    pub batch_id: Option<i64>,
    /// Hex Merkle root of the batch.
    pub root: String,
    pub first_seq: i64,
    pub size: i64,
    /// `pending` (not on chain yet), `sent` (transaction sent) or `confirmed`.
    pub status: String,
}

/// `from` came from (or is about) `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineageEdge {
    pub from: RecordRef,
    pub to: RecordRef,
    /// `generatedBy` (token → model version), `provenWith` (token → circuit), `circuitOf`
    /// (circuit → model version), `fineTunedFrom` / `retrainedFrom` (model version → parent),
    /// `trainedOn` (model version → dataset, with `role`), `derivedFrom` (dataset → source),
    /// `licensedUnder` (model version or dataset → licence), `statusOf` (status event →
    /// its record).
    pub relation: String,
    /// For `trainedOn`: `pretrain`, `finetune` or `eval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// The token's proof and the circuit files needed to verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofEvidence {
    /// The proof record as the prover client writes it (its canonical SHA-256 is the token
    /// record's `proof.digest`).
    pub record: ProofRecord,
    /// The circuit's verification files.
    pub circuit: CircuitFiles,
}

/// The files of a circuit a proof is verified with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitFiles {
    /// The circuit record's ID.
    pub id: String,
    /// The circuit settings, as registered (JSON text; its SHA-256 is `settingsSha256`).
    pub settings: String,
    /// Base64 of the verifying key (its SHA-256 is `vkSha256`).
    pub verifying_key: String,
    /// Base64 of the structured reference string (its SHA-256 is `srsSha256`).
    pub srs: String,
    /// Base64 of the ONNX model the registry derived the verifying key from (its SHA-256 is
    /// `onnxSha256`), when the model is at most [`crate::MAX_BUNDLED_MODEL`] bytes; absent for
    /// larger models and for circuits registered before circuits were bound to their
    /// weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnx: Option<String>,
}

/// Why a document could not be read as a bundle: the crate's error type (what a check finds
/// is a [`crate::CheckError`] in the report, not an error).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    /// An object names a key twice (JSON readers differ on which one counts).
    #[error("not a valid evidence bundle: an object names the key {0} twice")]
    DuplicateKey(String),
    #[error("not an evidence bundle: the document has no numeric `version`")]
    NoVersion,
    #[error("evidence bundle version {0} is not supported (this verifier reads version {BUNDLE_VERSION})")]
    Version(u64),
    #[error("not a valid evidence bundle: {0}")]
    Shape(serde_json::Error),
}

impl Bundle {
    /// Reads a bundle from its JSON text, refusing an object that names a key twice, and
    /// checking the version before the shape so an unsupported version is named as such.
    pub fn from_json(text: &str) -> Result<Self, BundleError> {
        crate::strict_json::check_no_duplicate_keys(text).map_err(|e| match e {
            crate::strict_json::StrictError::NotJson(e) => BundleError::NotJson(e),
            crate::strict_json::StrictError::Duplicate(key) => BundleError::DuplicateKey(key),
        })?;
        let value: Value = serde_json::from_str(text).map_err(BundleError::NotJson)?;
        Self::from_value(value)
    }

    /// Reads a bundle from parsed JSON.
    pub fn from_value(value: Value) -> Result<Self, BundleError> {
        match value.get("version").and_then(Value::as_u64) {
            None => return Err(BundleError::NoVersion),
            Some(v) if v != u64::from(BUNDLE_VERSION) => return Err(BundleError::Version(v)),
            Some(_) => {}
        }
        serde_json::from_value(value).map_err(BundleError::Shape)
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        // Plain strings, numbers and arrays: serialising cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The record `kind`/`id`, if the bundle holds it.
    pub fn record(&self, kind: RecordKind, id: &str) -> Option<&EvidenceRecord> {
        self.records.iter().find(|r| r.kind == kind && r.id == id)
    }
}
