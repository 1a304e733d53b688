//! A bundle's records parsed once into typed values: the canonical bytes decoded, their
//! digest computed, the canonical JSON read into an [`Envelope`] and its payload into the
//! [`Payload`] of its kind. Every check reads these, never the raw JSON.
use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_schema::RecordKind;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::CheckError;
use crate::bundle::{Bundle, EvidenceRecord, RecordRef};
use crate::sha256_hex;

/// The canonical record: `{kind, id, registeredAt, payload}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope {
    pub kind: String,
    pub id: String,
    pub registered_at: String,
    pub payload: Value,
}

/// What the checks read of a token's payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenPayload {
    pub chain_id: i64,
    pub contract: String,
    pub token_id: String,
    pub model_version: String,
    pub asset_sha256: String,
    #[serde(default)]
    pub media_type: String,
    pub input_seed: String,
    pub traits: Vec<f64>,
    pub circuit: TokenCircuit,
    pub proof: TokenProof,
    /// The mint the registry checked on chain, for a token of a collection it deployed.
    #[serde(default)]
    pub on_chain: Option<TokenOnChain>,
    /// How the asset came from the proof (absent: registered before the registry recorded it).
    #[serde(default)]
    pub asset_derivation: Option<TokenAssetDerivation>,
    /// Where the seed came from, as the registry checked it (absent: registered before seeds
    /// were verified); read by `seed.source`.
    #[serde(default)]
    pub seed: Option<serde_json::Value>,
    /// The seed source the registration stated.
    #[serde(default)]
    pub seed_source: Option<TokenSeedSource>,
}

/// The seed source a registration stated.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenSeedSource {
    pub kind: String,
}

/// The signed statement of how a token's asset came from its proof.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenAssetDerivation {
    pub derived_from_proof: bool,
    #[serde(default)]
    pub renderer: Option<String>,
    #[serde(default)]
    pub version: Option<u32>,
}

/// The renderer a circuit names.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CircuitRenderer {
    pub name: String,
    pub version: u32,
}

/// The signed statement that a token was minted in a recorded collection.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenOnChain {
    /// The collection record's ID.
    pub collection: String,
}

/// The circuit a token names.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenCircuit {
    pub id: String,
    pub commitment: String,
}

/// The proof record a token names by digest.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenProof {
    pub digest: String,
    pub system: String,
    pub system_version: String,
    pub model_commitment: String,
}

/// What the checks read of a circuit's payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CircuitPayload {
    pub model_version: String,
    pub proof_system: String,
    pub onnx_sha256: String,
    pub settings_sha256: String,
    pub vk_sha256: String,
    pub srs_sha256: String,
    pub commitment: String,
    pub input_scale: u32,
    pub output_scale: u32,
    pub input_len: usize,
    pub output_len: usize,
    /// Whether the registry derived the verifying key from the model (absent: registered
    /// before circuits were bound to their weights).
    #[serde(default)]
    pub bound_to_weights: bool,
    /// The renderer of its tokens' assets (absent: assets are accepted by hash).
    #[serde(default)]
    pub renderer: Option<CircuitRenderer>,
}

/// What the checks read of a model version's payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModelVersionPayload {
    pub weights_sha256: String,
    pub license: String,
    #[serde(default)]
    pub parent: Option<Parent>,
    #[serde(default)]
    pub training_data: Vec<TrainingInput>,
}

/// A model version's parent.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Parent {
    pub id: String,
    /// `finetune` or `retrain`.
    pub relation: String,
}

/// A dataset a model version was trained on.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TrainingInput {
    pub dataset: String,
    pub role: String,
}

/// What the checks read of a dataset's payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DatasetPayload {
    pub content_sha256: String,
    pub license: String,
    #[serde(default)]
    pub derived_from: Vec<String>,
}

/// What the checks read of a status event's payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusEventPayload {
    pub subject_kind: RecordKind,
    pub subject: String,
    pub status: String,
    pub reason: String,
}

/// What the checks read of a collection's payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CollectionPayload {
    pub model_version: String,
    pub circuit: String,
    pub chain_id: i64,
    pub address: String,
    pub verifier: CollectionVerifier,
    pub deploy_block: u64,
    /// Where the tokens' seeds come from (absent: recorded before seeds were: operator).
    #[serde(default)]
    pub seeds: Option<CollectionSeeds>,
}

/// A collection's seed source.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CollectionSeeds {
    pub source: String,
    #[serde(default)]
    pub delay: Option<u64>,
}

/// The verifier contract a collection calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CollectionVerifier {
    pub address: String,
    pub code_hash: String,
}

/// A record's payload, typed by its kind.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    Token(Box<TokenPayload>),
    Circuit(Box<CircuitPayload>),
    ModelVersion(ModelVersionPayload),
    Dataset(DatasetPayload),
    License,
    StatusEvent(StatusEventPayload),
    Collection(Box<CollectionPayload>),
}

impl Payload {
    fn parse(kind: RecordKind, value: &Value) -> Result<Self, CheckError> {
        fn typed<T: DeserializeOwned>(kind: RecordKind, value: &Value) -> Result<T, CheckError> {
            T::deserialize(value).map_err(|e| CheckError::BadPayload { kind, reason: e.to_string() })
        }
        if !value.is_object() {
            return Err(CheckError::BadPayload { kind, reason: "not an object".into() });
        }
        Ok(match kind {
            RecordKind::Token => Self::Token(Box::new(typed(kind, value)?)),
            RecordKind::Circuit => Self::Circuit(Box::new(typed(kind, value)?)),
            RecordKind::ModelVersion => Self::ModelVersion(typed(kind, value)?),
            RecordKind::Dataset => Self::Dataset(typed(kind, value)?),
            RecordKind::License => Self::License,
            RecordKind::StatusEvent => Self::StatusEvent(typed(kind, value)?),
            RecordKind::Collection => Self::Collection(Box::new(typed(kind, value)?)),
        })
    }
}

/// One record of the bundle, parsed.
#[derive(Debug)]
pub(crate) struct ParsedRecord<'a> {
    pub record: &'a EvidenceRecord,
    pub reference: RecordRef,
    /// The canonical bytes, or why they are not base64.
    pub canonical: Result<Vec<u8>, CheckError>,
    /// SHA-256 of the canonical bytes, when they decode.
    pub digest: Option<String>,
    /// The canonical record, or why the bytes are not one (of this kind and ID).
    pub envelope: Result<Envelope, CheckError>,
    /// The typed payload, or why it cannot be read.
    pub payload: Result<Payload, CheckError>,
}

impl<'a> ParsedRecord<'a> {
    fn parse(record: &'a EvidenceRecord) -> Self {
        let canonical = B64.decode(record.canonical.trim()).map_err(|e| CheckError::CanonicalNotBase64(e.to_string()));
        let digest = canonical.as_ref().ok().map(|b| sha256_hex(b));
        let envelope = match &canonical {
            Err(e) => Err(e.clone()),
            Ok(bytes) => serde_json::from_slice::<Envelope>(bytes).map_err(|e| CheckError::NotARecord(e.to_string())),
        };
        let payload = match &envelope {
            Err(e) => Err(e.clone()),
            Ok(env) => Payload::parse(record.kind, &env.payload),
        };
        Self { record, reference: record.reference(), canonical, digest, envelope, payload }
    }

    /// The payload, if it could be read.
    pub fn payload(&self) -> Option<&Payload> {
        self.payload.as_ref().ok()
    }

    pub fn token(&self) -> Option<&TokenPayload> {
        match self.payload() {
            Some(Payload::Token(t)) => Some(t),
            _ => None,
        }
    }

    pub fn collection(&self) -> Option<&CollectionPayload> {
        match self.payload() {
            Some(Payload::Collection(c)) => Some(c),
            _ => None,
        }
    }

    pub fn circuit(&self) -> Option<&CircuitPayload> {
        match self.payload() {
            Some(Payload::Circuit(c)) => Some(c),
            _ => None,
        }
    }

    pub fn model_version(&self) -> Option<&ModelVersionPayload> {
        match self.payload() {
            Some(Payload::ModelVersion(v)) => Some(v),
            _ => None,
        }
    }

    pub fn status_event(&self) -> Option<&StatusEventPayload> {
        match self.payload() {
            Some(Payload::StatusEvent(e)) => Some(e),
            _ => None,
        }
    }
}

/// Every record of a bundle, parsed, and an index by kind and ID.
#[derive(Debug)]
pub(crate) struct ParsedBundle<'a> {
    pub bundle: &'a Bundle,
    pub records: Vec<ParsedRecord<'a>>,
    /// The subject token's reference.
    pub token_ref: RecordRef,
}

impl<'a> ParsedBundle<'a> {
    pub fn parse(bundle: &'a Bundle) -> Self {
        Self {
            bundle,
            records: bundle.records.iter().map(ParsedRecord::parse).collect(),
            token_ref: RecordRef::new(RecordKind::Token, &bundle.subject.id),
        }
    }

    /// The records by reference (the first of each, when one appears twice).
    pub fn index(&self) -> HashMap<&RecordRef, &ParsedRecord<'a>> {
        let mut map = HashMap::new();
        for r in &self.records {
            map.entry(&r.reference).or_insert(r);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_collection_record_without_its_fields_is_refused() {
        let e = Payload::parse(RecordKind::Collection, &serde_json::json!({ "address": "0x00" })).unwrap_err();
        assert!(matches!(e, CheckError::BadPayload { kind: RecordKind::Collection, .. }), "{e:?}");
    }
}
