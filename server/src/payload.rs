//! The payloads the API accepts, as GraphQL input objects that serialise to the JSON the
//! bundled JSON Schemas describe (camelCase keys, absent optionals omitted).
mod source;
pub use source::{DatasetSource, Modality, SourceCategory, TdmHandling};

use async_graphql::{Enum, InputObject, Json, SimpleObject};
use serde::{Deserialize, Serialize};

/// Permission to train AI models on the licensed material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AiTraining {
    Allowed,
    NotAllowed,
    Constrained,
}

impl AiTraining {
    /// The value stored in the database and used in JSON payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::NotAllowed => "notAllowed",
            Self::Constrained => "constrained",
        }
    }
}

/// Whether derivative works are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Derivatives {
    Allowed,
    ShareAlike,
    NotAllowed,
}

/// Custom licence terms.
#[derive(Debug, Clone, InputObject, SimpleObject, Serialize, Deserialize)]
#[graphql(name = "CustomTerms", input_name = "CustomTermsInput")]
#[serde(rename_all = "camelCase")]
pub struct CustomTerms {
    pub summary: String,
    pub terms_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_sha256: Option<String>,
}

/// Licence terms to register (`license.schema.json`).
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "LicenseInput")]
#[serde(rename_all = "camelCase")]
pub struct LicenseInput {
    pub name: String,
    /// SPDX identifier; give this or `custom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spdx_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomTerms>,
    pub commercial_use: bool,
    pub derivatives: Derivatives,
    /// Attribution required.
    pub attribution: bool,
    pub ai_training: AiTraining,
    /// Required when `aiTraining` is `CONSTRAINED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai_training_constraints: Option<String>,
    /// RFC 3339 date-time after which the licence no longer applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// A collection period (RFC 3339 full dates).
#[derive(Debug, Clone, InputObject, SimpleObject, Serialize, Deserialize)]
#[graphql(name = "Period", input_name = "PeriodInput")]
pub struct Period {
    pub start: String,
    pub end: String,
}

/// A dataset descriptor to register (`dataset.schema.json`).
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "DatasetInput")]
#[serde(rename_all = "camelCase")]
pub struct DatasetInput {
    pub name: String,
    pub version: String,
    pub uri: String,
    /// Lower-case hex SHA-256 of the dataset's content manifest.
    pub content_sha256: String,
    pub record_count: i64,
    pub collection_period: Period,
    /// ID of a registered licence.
    pub license: String,
    /// IDs of registered datasets this one was derived from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the content came from (for the training-content summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DatasetSource>,
}

/// How a child model version came from its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ParentRelation {
    Finetune,
    Retrain,
}

impl ParentRelation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finetune => "finetune",
            Self::Retrain => "retrain",
        }
    }
}

/// What a dataset was used for in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TrainingRole {
    Pretrain,
    Finetune,
    Eval,
}

impl TrainingRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pretrain => "pretrain",
            Self::Finetune => "finetune",
            Self::Eval => "eval",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pretrain" => Some(Self::Pretrain),
            "finetune" => Some(Self::Finetune),
            "eval" => Some(Self::Eval),
            _ => None,
        }
    }
}

/// The training run that produced a model version.
#[derive(Debug, Clone, InputObject, SimpleObject, Serialize, Deserialize)]
#[graphql(name = "TrainingRun", input_name = "TrainingRunInput")]
#[serde(rename_all = "camelCase")]
pub struct TrainingRun {
    pub id: String,
    pub started_at: String,
    pub ended_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute: Option<String>,
}

/// The parent of a retrained or fine-tuned model version.
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "ParentInput")]
pub struct Parent {
    pub id: String,
    pub relation: ParentRelation,
}

/// One dataset a model version was trained (or evaluated) on.
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "TrainingDataInput")]
pub struct TrainingData {
    pub dataset: String,
    pub role: TrainingRole,
}

/// A model version to register (`model-version.schema.json`).
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "ModelVersionInput")]
#[serde(rename_all = "camelCase")]
pub struct ModelVersionInput {
    /// Model name; the model is created with its first version.
    pub model: String,
    pub version_label: String,
    /// Lower-case hex SHA-256 of the weights file.
    pub weights_sha256: String,
    pub architecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameters: Option<Json<serde_json::Map<String, serde_json::Value>>>,
    pub training_run: TrainingRun,
    /// ID of the licence the version is released under.
    pub license: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    pub training_data: Vec<TrainingData>,
}

/// Status a record can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordStatus {
    Active,
    Deprecated,
    Revoked,
    /// For licences: withdrawn by the licensor.
    Withdrawn,
}

impl RecordStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deprecated => "deprecated",
            Self::Revoked => "revoked",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "deprecated" => Some(Self::Deprecated),
            "revoked" => Some(Self::Revoked),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

/// A model version's zkML circuit to register. The files are the ones proofs are checked
/// with; the ONNX model itself stays with the model team (its SHA-256 must equal the model
/// version's `weightsSha256`).
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "CircuitInput")]
pub struct CircuitInput {
    /// ID of the model version the circuit proves runs of.
    pub model_version: String,
    /// The proof system; `ezkl` is the one supported.
    #[graphql(default = "ezkl")]
    pub proof_system: String,
    /// Version of the proof system the keys were made with.
    pub system_version: String,
    /// The ONNX model, base64: its SHA-256 must be the model version's `weightsSha256`. The
    /// registry compiles it with the settings and derives the verifying key from it.
    pub onnx: String,
    /// Lower-case hex SHA-256 of the ONNX model; when given, it must be the upload's.
    pub onnx_sha256: Option<String>,
    /// The circuit settings file (JSON text); its `version` must be `systemVersion`.
    pub settings: String,
    /// The verifying key the prover made, base64. Optional: the registry derives the key
    /// itself, and refuses one given here that differs.
    pub verifying_key: Option<String>,
    /// The structured reference string the keys are made with, base64: an SRS for the
    /// settings' `logrows`.
    pub srs: String,
    /// The renderer that turns the circuit's proven outputs into each token's asset (one
    /// the registry knows, e.g. `pixel-bands` version 1). Then a token's asset must be
    /// exactly that renderer's output for its proven traits. Without it, assets are
    /// accepted by hash only and marked as not derived from the proof.
    pub renderer: Option<RendererInput>,
}

/// A renderer, by name and version.
#[derive(Debug, Clone, InputObject, serde::Serialize)]
#[graphql(name = "RendererInput")]
pub struct RendererInput {
    /// E.g. `pixel-bands`.
    pub name: String,
    /// E.g. 1.
    pub version: i32,
}

/// A model version's on-chain collection to deploy.
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "CollectionInput")]
pub struct CollectionInput {
    /// ID of the model version; it must have a circuit bound to its weights and not be revoked.
    pub model_version: String,
    /// The ERC-721 name: 1 to 100 characters, no control characters (trimmed).
    pub name: String,
    /// The ERC-721 symbol: 1 to 16 ASCII letters and digits.
    pub symbol: String,
    /// The only account that may mint (`0x` address). Default: the registry's account.
    pub minter: Option<String>,
    /// Where the tokens' seeds come from: `CHAIN` (assigned by the contract), `BEACON` (a
    /// drand round after the contract's commitment) or `OPERATOR` (unverified).
    #[graphql(default_with = "SeedSourceKind::Operator")]
    pub seed_source: SeedSourceKind,
    /// `CHAIN`: how many blocks after a commitment its randomness block is, 1 to 128
    /// (default 2).
    pub seed_delay: Option<i32>,
}

/// Where a token's seed came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SeedSourceKind {
    /// Assigned by the token's collection contract from the hash of a block mined after the
    /// minter committed to the token's ID; checked by the registry and the contract.
    Chain,
    /// Derived from a drand beacon round published after the collection's on-chain
    /// commitment to the token's ID; checked by the registry against the beacon's key.
    Beacon,
    /// Chosen by the operator: accepted, but unverified.
    Operator,
}

impl From<provreg_anchor::SeedMode> for SeedSourceKind {
    /// The kind of seeds a collection of this mode takes.
    fn from(mode: provreg_anchor::SeedMode) -> Self {
        match mode {
            provreg_anchor::SeedMode::Operator => Self::Operator,
            provreg_anchor::SeedMode::Chain { .. } => Self::Chain,
            provreg_anchor::SeedMode::Beacon => Self::Beacon,
        }
    }
}

impl SeedSourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chain => "chain",
            Self::Beacon => "beacon",
            Self::Operator => "operator",
        }
    }
}

/// The source of a token's seed.
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "SeedSourceInput")]
#[serde(rename_all = "camelCase")]
pub struct SeedSource {
    pub kind: SeedSourceKind,
    /// `BEACON`: the drand round the seed was derived from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<i64>,
    /// `BEACON`: that round's BLS signature (48 bytes, hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// A zero-knowledge proof of one model run, as the prover client writes it.
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "ProofRecordInput")]
#[serde(rename_all = "camelCase")]
pub struct ProofInput {
    pub system: String,
    pub system_version: String,
    pub vk_sha256: String,
    pub settings_sha256: String,
    pub model_commitment: String,
    /// Public inputs as field elements (32 bytes little-endian, hex).
    pub public_inputs: Vec<String>,
    /// Public outputs as field elements.
    pub public_outputs: Vec<String>,
    /// The proof bytes, hex.
    pub proof: String,
}

/// A generated token to register (`token.schema.json`).
#[derive(Debug, Clone, InputObject, Serialize, Deserialize)]
#[graphql(name = "TokenInput")]
#[serde(rename_all = "camelCase")]
pub struct TokenInput {
    /// EIP-155 chain ID of the token contract.
    pub chain_id: i64,
    /// The token contract's address.
    pub contract: String,
    /// The token ID, decimal.
    pub token_id: String,
    /// ID of the model version that generated the token.
    pub model_version: String,
    /// Lower-case hex SHA-256 of the generated asset.
    pub asset_sha256: String,
    /// Media type of the asset.
    #[graphql(default = "application/json")]
    pub media_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The 32-byte seed, hex; the model input is derived from it.
    pub input_seed: String,
    pub seed_source: SeedSource,
    /// The generated output values; must equal the proof's public outputs.
    pub traits: Vec<f64>,
    pub proof: ProofInput,
    /// The asset itself, base64 (PNG or JPEG): the registry embeds the birth certificate
    /// in it and serves the signed asset.
    #[serde(skip)]
    pub asset: Option<String>,
}
