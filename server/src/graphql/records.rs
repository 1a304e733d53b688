//! GraphQL object types for licences, datasets, models, model versions and status events.
use async_graphql::{ComplexObject, Context, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use provreg_entities::{dataset, license, model, model_version, status_event};
use serde::de::DeserializeOwned;

use super::provenance::{Certificate, LogEntry, certificate_of, log_entry_of};
use super::registry;
use crate::error::AppError;
use crate::payload::{
    AiTraining, CustomTerms, DatasetInput, Derivatives, LicenseInput, ModelVersionInput, ParentRelation, Period,
    RecordStatus, TrainingRole, TrainingRun,
};

/// Decodes the payload inside a record's canonical envelope.
fn payload<T: DeserializeOwned>(canonical: &[u8]) -> Result<T, AppError> {
    #[derive(serde::Deserialize)]
    struct Envelope<T> {
        payload: T,
    }
    serde_json::from_slice::<Envelope<T>>(canonical)
        .map(|e| e.payload)
        .map_err(|e| AppError::Internal(format!("stored record does not decode: {e}")))
}

fn record_json(canonical: &[u8]) -> Result<Json<serde_json::Value>> {
    Ok(Json(serde_json::from_slice(canonical).map_err(|e| AppError::Internal(e.to_string()))?))
}

async fn status(ctx: &Context<'_>, id: uuid::Uuid) -> Result<RecordStatus> {
    let row = registry(ctx)?.status_of(id).await?;
    Ok(RecordStatus::parse(&row.status).unwrap_or(RecordStatus::Active))
}

async fn history(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Vec<StatusEvent>> {
    Ok(registry(ctx)?.status_history(id).await?.into_iter().map(StatusEvent).collect())
}

/// Registered licence terms.
pub struct License {
    row: license::Model,
    terms: LicenseInput,
}

impl License {
    pub fn new(row: license::Model) -> Result<Self, AppError> {
        let terms = payload(&row.canonical)?;
        Ok(Self { row, terms })
    }
}

#[Object]
impl License {
    async fn id(&self) -> String {
        self.row.id.to_string()
    }
    async fn name(&self) -> &str {
        &self.terms.name
    }
    async fn spdx_id(&self) -> Option<&str> {
        self.terms.spdx_id.as_deref()
    }
    async fn custom(&self) -> Option<&CustomTerms> {
        self.terms.custom.as_ref()
    }
    async fn commercial_use(&self) -> bool {
        self.terms.commercial_use
    }
    async fn derivatives(&self) -> Derivatives {
        self.terms.derivatives
    }
    /// Attribution required.
    async fn attribution(&self) -> bool {
        self.terms.attribution
    }
    async fn ai_training(&self) -> AiTraining {
        self.terms.ai_training
    }
    async fn ai_training_constraints(&self) -> Option<&str> {
        self.terms.ai_training_constraints.as_deref()
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.row.expires_at
    }
    /// `ACTIVE` or `WITHDRAWN` (newest status event).
    async fn status(&self, ctx: &Context<'_>) -> Result<RecordStatus> {
        status(ctx, self.row.id).await
    }
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<StatusEvent>> {
        history(ctx, self.row.id).await
    }
    /// Lower-case hex SHA-256 of the canonical record.
    async fn digest(&self) -> &str {
        &self.row.digest
    }
    /// The canonical record (RFC 8785) the digest is computed over.
    async fn record(&self) -> Result<Json<serde_json::Value>> {
        record_json(&self.row.canonical)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// The C2PA birth certificate issued with this record.
    async fn certificate(&self, ctx: &Context<'_>) -> Result<Option<Certificate>> {
        certificate_of(ctx, self.row.id).await
    }
    /// This record's entry in the append-only log, with its anchor and inclusion proof.
    async fn log_entry(&self, ctx: &Context<'_>) -> Result<Option<LogEntry>> {
        log_entry_of(ctx, self.row.id).await
    }
}

/// A registered dataset.
pub struct Dataset {
    row: dataset::Model,
    descriptor: DatasetInput,
}

impl Dataset {
    pub fn new(row: dataset::Model) -> Result<Self, AppError> {
        let descriptor = payload(&row.canonical)?;
        Ok(Self { row, descriptor })
    }
}

#[Object]
impl Dataset {
    async fn id(&self) -> String {
        self.row.id.to_string()
    }
    async fn name(&self) -> &str {
        &self.row.name
    }
    async fn version(&self) -> &str {
        &self.row.version
    }
    async fn uri(&self) -> &str {
        &self.row.uri
    }
    async fn content_sha256(&self) -> &str {
        &self.row.content_sha256
    }
    async fn record_count(&self) -> i64 {
        self.row.record_count
    }
    async fn collection_period(&self) -> &Period {
        &self.descriptor.collection_period
    }
    async fn description(&self) -> Option<&str> {
        self.descriptor.description.as_deref()
    }
    /// Where the content came from, when the registrant said (for the training-content
    /// summary).
    async fn source(&self) -> Option<&crate::payload::DatasetSource> {
        self.descriptor.source.as_ref()
    }
    async fn license(&self, ctx: &Context<'_>) -> Result<License> {
        let row = registry(ctx)?
            .license(self.row.license_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("licence {} missing", self.row.license_id)))?;
        Ok(License::new(row)?)
    }
    /// Datasets this one was derived from.
    async fn derived_from(&self, ctx: &Context<'_>) -> Result<Vec<Dataset>> {
        let rows = registry(ctx)?.sources_of(self.row.id).await?;
        Ok(rows.into_iter().map(Dataset::new).collect::<Result<_, _>>()?)
    }
    /// `ACTIVE`, `DEPRECATED` or `REVOKED` (newest status event).
    async fn status(&self, ctx: &Context<'_>) -> Result<RecordStatus> {
        status(ctx, self.row.id).await
    }
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<StatusEvent>> {
        history(ctx, self.row.id).await
    }
    async fn digest(&self) -> &str {
        &self.row.digest
    }
    async fn record(&self) -> Result<Json<serde_json::Value>> {
        record_json(&self.row.canonical)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// The C2PA birth certificate issued with this record.
    async fn certificate(&self, ctx: &Context<'_>) -> Result<Option<Certificate>> {
        certificate_of(ctx, self.row.id).await
    }
    /// This record's entry in the append-only log, with its anchor and inclusion proof.
    async fn log_entry(&self, ctx: &Context<'_>) -> Result<Option<LogEntry>> {
        log_entry_of(ctx, self.row.id).await
    }
}

/// A model: a name grouping its versions.
pub struct Model(pub model::Model);

#[Object]
impl Model {
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Every version, oldest first.
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<ModelVersion>> {
        let rows = registry(ctx)?.versions_of_model(self.0.id).await?;
        Ok(rows.into_iter().map(ModelVersion::new).collect::<Result<_, _>>()?)
    }
}

/// One dataset a model version was trained or evaluated on.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TrainingInput {
    pub role: TrainingRole,
    #[graphql(skip)]
    dataset: dataset::Model,
}

#[ComplexObject]
impl TrainingInput {
    async fn dataset(&self) -> Result<Dataset> {
        Ok(Dataset::new(self.dataset.clone())?)
    }
}

/// A registered model version.
pub struct ModelVersion {
    row: model_version::Model,
    spec: ModelVersionInput,
}

impl ModelVersion {
    pub fn new(row: model_version::Model) -> Result<Self, AppError> {
        let spec = payload(&row.canonical)?;
        Ok(Self { row, spec })
    }
}

#[Object]
impl ModelVersion {
    async fn id(&self) -> String {
        self.row.id.to_string()
    }
    async fn model(&self, ctx: &Context<'_>) -> Result<Model> {
        let row = registry(ctx)?
            .model(self.row.model_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("model {} missing", self.row.model_id)))?;
        Ok(Model(row))
    }
    async fn version_label(&self) -> &str {
        &self.row.version_label
    }
    async fn weights_sha256(&self) -> &str {
        &self.row.weights_sha256
    }
    /// The zkML circuit proofs of this version's runs are checked against, once registered.
    async fn circuit(&self, ctx: &Context<'_>) -> Result<Option<super::tokens::Circuit>> {
        Ok(registry(ctx)?.circuit_of(self.row.id).await?.map(super::tokens::Circuit))
    }
    /// Tokens this version generated, oldest first.
    #[graphql(complexity = "super::cost::page(Some(first), 50, child_complexity)")]
    async fn tokens(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        #[graphql(default = 50, validator(minimum = 0, maximum = 500))] first: i32,
    ) -> Result<Vec<super::tokens::Token>> {
        let after = after.as_deref().map(|a| super::id_arg("after", a)).transpose()?;
        let rows = registry(ctx)?.tokens_of_model_version(self.row.id, after, first as u64).await?;
        Ok(rows.into_iter().map(super::tokens::Token).collect())
    }
    async fn architecture(&self) -> &str {
        &self.row.architecture
    }
    async fn hyper_parameters(&self) -> Option<&Json<serde_json::Map<String, serde_json::Value>>> {
        self.spec.hyper_parameters.as_ref()
    }
    async fn training_run(&self) -> &TrainingRun {
        &self.spec.training_run
    }
    async fn license(&self, ctx: &Context<'_>) -> Result<License> {
        let row = registry(ctx)?
            .license(self.row.license_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("licence {} missing", self.row.license_id)))?;
        Ok(License::new(row)?)
    }
    /// The version this one was fine-tuned or retrained from.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<ModelVersion>> {
        let Some(parent) = self.row.parent_id else {
            return Ok(None);
        };
        Ok(registry(ctx)?.model_version(parent).await?.map(ModelVersion::new).transpose()?)
    }
    async fn parent_relation(&self) -> Option<ParentRelation> {
        self.spec.parent.as_ref().map(|p| p.relation)
    }
    /// Versions fine-tuned or retrained from this one.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<ModelVersion>> {
        let rows = registry(ctx)?.children_of(self.row.id).await?;
        Ok(rows.into_iter().map(ModelVersion::new).collect::<Result<_, _>>()?)
    }
    async fn training_data(&self, ctx: &Context<'_>) -> Result<Vec<TrainingInput>> {
        let rows = registry(ctx)?.training_data_of(self.row.id).await?;
        Ok(rows
            .into_iter()
            .map(|(input, dataset)| TrainingInput {
                role: TrainingRole::parse(&input.role).unwrap_or(TrainingRole::Pretrain),
                dataset,
            })
            .collect())
    }
    /// `ACTIVE`, `DEPRECATED` or `REVOKED` (newest status event).
    async fn status(&self, ctx: &Context<'_>) -> Result<RecordStatus> {
        status(ctx, self.row.id).await
    }
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<StatusEvent>> {
        history(ctx, self.row.id).await
    }
    async fn digest(&self) -> &str {
        &self.row.digest
    }
    async fn record(&self) -> Result<Json<serde_json::Value>> {
        record_json(&self.row.canonical)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// The C2PA birth certificate issued with this record.
    async fn certificate(&self, ctx: &Context<'_>) -> Result<Option<Certificate>> {
        certificate_of(ctx, self.row.id).await
    }
    /// This record's entry in the append-only log, with its anchor and inclusion proof.
    async fn log_entry(&self, ctx: &Context<'_>) -> Result<Option<LogEntry>> {
        log_entry_of(ctx, self.row.id).await
    }
}

/// A status change of a record.
pub struct StatusEvent(pub status_event::Model);

#[Object]
impl StatusEvent {
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    /// `license`, `dataset` or `modelVersion`.
    async fn subject_kind(&self) -> &str {
        &self.0.subject_kind
    }
    async fn subject_id(&self) -> String {
        self.0.subject_id.to_string()
    }
    async fn status(&self) -> RecordStatus {
        RecordStatus::parse(&self.0.status).unwrap_or(RecordStatus::Active)
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn digest(&self) -> &str {
        &self.0.digest
    }
    async fn record(&self) -> Result<Json<serde_json::Value>> {
        record_json(&self.0.canonical)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// This event's entry in the append-only log (status events have no certificate).
    async fn log_entry(&self, ctx: &Context<'_>) -> Result<Option<LogEntry>> {
        log_entry_of(ctx, self.0.id).await
    }
}
