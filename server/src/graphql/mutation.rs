//! Writes. Every mutation needs a registrar or admin key.
use async_graphql::{Context, Object, Result};

use super::provenance::Anchor;
use super::records::{Dataset, License, ModelVersion, StatusEvent};
use super::{id_arg, principal, registry};
use std::sync::Arc;

use super::collections::Collection;
use super::tokens::{Circuit, Token};
use crate::anchoring::{AnchorWorker, Round};
use crate::auth::Role;
use crate::error::AppError;
use crate::payload::{
    CircuitInput, CollectionInput, DatasetInput, LicenseInput, ModelVersionInput, RecordStatus, TokenInput,
};
use crate::service::status::SubjectKind;

/// Registrations and status changes.
#[derive(Default)]
pub struct Mutation;

async fn set_status(
    ctx: &Context<'_>,
    kind: SubjectKind,
    id: String,
    status: RecordStatus,
    reason: String,
) -> Result<StatusEvent> {
    let who = principal(ctx);
    who.require(Role::Registrar, "change a status")?;
    let id = id_arg("id", &id)?;
    Ok(StatusEvent(registry(ctx)?.set_status(kind, id, status, &reason, who.key_id()).await?))
}

#[Object]
impl Mutation {
    /// Registers licence terms (`license.schema.json`).
    async fn register_license(&self, ctx: &Context<'_>, input: LicenseInput) -> Result<License> {
        principal(ctx).require(Role::Registrar, "register")?;
        Ok(License::new(registry(ctx)?.register_license(&input).await?)?)
    }

    /// Registers a dataset descriptor (`dataset.schema.json`).
    async fn register_dataset(&self, ctx: &Context<'_>, input: DatasetInput) -> Result<Dataset> {
        principal(ctx).require(Role::Registrar, "register")?;
        Ok(Dataset::new(registry(ctx)?.register_dataset(&input).await?)?)
    }

    /// Registers a model version, optionally with its parent (`model-version.schema.json`).
    async fn register_model_version(&self, ctx: &Context<'_>, input: ModelVersionInput) -> Result<ModelVersion> {
        principal(ctx).require(Role::Registrar, "register")?;
        Ok(ModelVersion::new(registry(ctx)?.register_model_version(&input).await?)?)
    }

    /// Registers a model version's zkML circuit: the settings, verifying key and structured
    /// reference string proofs of its runs are checked with.
    async fn register_circuit(&self, ctx: &Context<'_>, input: CircuitInput) -> Result<Circuit> {
        principal(ctx).require(Role::Registrar, "register")?;
        Ok(Circuit(registry(ctx)?.register_circuit(&input).await?))
    }

    /// Registers a generated token with its proof (`token.schema.json`). The proof is verified
    /// first; a proof that does not prove this seed, these traits and this model version is
    /// rejected with `PROOF_INVALID` and nothing is stored.
    async fn register_token(&self, ctx: &Context<'_>, input: TokenInput) -> Result<Token> {
        principal(ctx).require(Role::Registrar, "register")?;
        Ok(Token(registry(ctx)?.register_token(&input).await?))
    }

    /// Deploys a model version's collection on the registry's chain: the circuit's EZKL
    /// verifier contract (once per circuit and chain) and a `ProvregCollection` calling it,
    /// whose `tokenURI` is this registry's metadata URL. Recorded, certified and logged once
    /// both are on chain. `UNAVAILABLE` when the registry has no chain.
    async fn deploy_collection(&self, ctx: &Context<'_>, input: CollectionInput) -> Result<Collection> {
        principal(ctx).require(Role::Registrar, "deploy a collection")?;
        Ok(Collection(registry(ctx)?.deploy_collection(&input).await?))
    }

    /// Deprecates, revokes or reactivates a model version. A revoked version stays revoked.
    async fn set_model_version_status(
        &self,
        ctx: &Context<'_>,
        id: String,
        status: RecordStatus,
        reason: String,
    ) -> Result<StatusEvent> {
        set_status(ctx, SubjectKind::ModelVersion, id, status, reason).await
    }

    /// Deprecates, revokes or reactivates a dataset.
    async fn set_dataset_status(
        &self,
        ctx: &Context<'_>,
        id: String,
        status: RecordStatus,
        reason: String,
    ) -> Result<StatusEvent> {
        set_status(ctx, SubjectKind::Dataset, id, status, reason).await
    }

    /// Runs an anchoring round now instead of waiting for the interval (admin only): batches
    /// the waiting log entries and anchors them; returns the anchors confirmed by this round.
    async fn anchor_now(&self, ctx: &Context<'_>) -> Result<Vec<Anchor>> {
        principal(ctx).require(Role::Admin, "anchor")?;
        let worker = ctx.data_opt::<Option<Arc<AnchorWorker>>>().and_then(|w| w.clone()).ok_or_else(|| {
            AppError::bad_input("anchorNow", "configured", "anchoring is not configured on this server")
        })?;
        Ok(match worker.round().await? {
            Round::Anchored(done) => done.into_iter().map(Anchor).collect(),
            Round::Idle => Vec::new(),
            Round::NotLeader => {
                return Err(AppError::Conflict {
                    message: "another server holds the anchoring lock; ask it".into(),
                    existing_id: None,
                }
                .into());
            }
        })
    }

    /// Marks a licence `WITHDRAWN` (or `ACTIVE` again).
    async fn set_license_status(
        &self,
        ctx: &Context<'_>,
        id: String,
        status: RecordStatus,
        reason: String,
    ) -> Result<StatusEvent> {
        set_status(ctx, SubjectKind::License, id, status, reason).await
    }
}
