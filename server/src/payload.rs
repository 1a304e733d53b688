//! The payloads the API accepts, as GraphQL input objects that serialise to the JSON the
//! bundled JSON Schemas describe (camelCase keys, absent optionals omitted).
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
