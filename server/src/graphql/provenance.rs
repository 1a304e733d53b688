//! GraphQL types for a record's provenance: its birth certificate, its log entry and the
//! anchor that put the entry on chain.
use async_graphql::{Context, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use provreg_entities::{anchor, certificate, log_entry};
use uuid::Uuid;

use super::{cost, registry};
use crate::error::AppError;
use provreg_certs as certs;

/// A record's C2PA birth certificate: a manifest store signed by the registry and bound by
/// data hash to the bytes the record describes.
pub struct Certificate(pub certificate::Model);

/// What validating a certificate found.
#[derive(SimpleObject)]
pub struct CertificateValidation {
    /// `Trusted` (valid and signed under a configured trust anchor), `Valid` or `Invalid`,
    /// as the C2PA specification defines them.
    pub state: String,
    /// Failure codes with explanations; empty when valid.
    pub errors: Vec<String>,
    /// Always `false` here: the registry checks signatures, certificate chain and assertions,
    /// but not the data-hash binding, because it does not hold the bound bytes. Validate
    /// the downloaded `.c2pa` beside the asset for that.
    pub data_hash_checked: bool,
}

impl Certificate {
    /// Decodes and validates the manifest store: expensive, so counted (see [`cost`]) and run
    /// off the async workers.
    async fn view(&self, ctx: &Context<'_>, what: &'static str) -> Result<certs::CertificateView, AppError> {
        let anchors = registry(ctx)?.signing().and_then(|s| s.trust_anchors()).map(str::to_owned);
        let _slot = cost::expensive(ctx, what).await?;
        let (store, format, id) = (self.0.manifest_store.clone(), self.0.format.clone(), self.0.id);
        tokio::task::spawn_blocking(move || certs::inspect(&store, &format, None, anchors.as_deref()))
            .await
            .map_err(AppError::from_display)?
            .map_err(|e| AppError::Internal(format!("certificate {id} does not decode: {e}")))
    }
}

#[Object]
impl Certificate {
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    /// Label of the active manifest (`urn:c2pa:…`).
    async fn manifest_label(&self) -> &str {
        &self.0.manifest_label
    }
    /// Lower-case hex SHA-256 of the manifest store (this is what the log leaf commits to).
    async fn digest(&self) -> &str {
        &self.0.digest
    }
    /// Subject of the signing certificate.
    async fn signer(&self) -> &str {
        &self.0.signer
    }
    /// Hex SHA-256 of the signing certificate (DER).
    async fn signer_fingerprint(&self) -> &str {
        &self.0.signer_fingerprint
    }
    /// Media type of the bound bytes.
    async fn format(&self) -> &str {
        &self.0.format
    }
    /// Hex SHA-256 the manifest's data hash binds it to.
    async fn bound_sha256(&self) -> &str {
        &self.0.bound_sha256
    }
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }
    /// Where the manifest store (`.c2pa`) can be downloaded.
    async fn download_path(&self) -> String {
        format!("/certificates/{}.c2pa", self.0.id)
    }
    /// The active manifest, decoded as JSON (assertions, ingredients, signature). Expensive:
    /// see `limits.max_expensive_per_request`.
    #[graphql(complexity = "cost::C2PA + child_complexity")]
    async fn manifest(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let manifest = self.view(ctx, "manifest").await?.manifest;
        cost::charge(ctx, &manifest)?;
        Ok(Json(manifest))
    }
    /// Validation of the manifest store without the bound bytes. Expensive: see
    /// `limits.max_expensive_per_request`.
    #[graphql(complexity = "cost::C2PA + child_complexity")]
    async fn validation(&self, ctx: &Context<'_>) -> Result<CertificateValidation> {
        let view = self.view(ctx, "validation").await?;
        Ok(CertificateValidation {
            state: view.validation_state,
            errors: view.validation_errors,
            data_hash_checked: false,
        })
    }
}

/// One entry of the append-only log.
pub struct LogEntry(pub log_entry::Model);

#[Object]
impl LogEntry {
    /// Position in the log; null until the anchor worker takes the entry into a batch.
    async fn seq(&self) -> Option<i64> {
        self.0.seq
    }
    /// `license`, `dataset`, `modelVersion`, `statusEvent`, `circuit`, `token` or `collection`.
    async fn record_kind(&self) -> &str {
        &self.0.record_kind
    }
    async fn record_id(&self) -> String {
        self.0.record_id.to_string()
    }
    async fn record_digest(&self) -> &str {
        &self.0.record_digest
    }
    /// 64 zeros for records without a certificate (status events).
    async fn certificate_digest(&self) -> &str {
        &self.0.certificate_digest
    }
    /// Hex SHA-256 over the record kind, record digest and certificate digest.
    async fn leaf(&self) -> &str {
        &self.0.leaf
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The anchor covering this entry, once it is batched.
    async fn anchor(&self, ctx: &Context<'_>) -> Result<Option<Anchor>> {
        let Some(id) = self.0.anchor_id else { return Ok(None) };
        Ok(registry(ctx)?.anchor(id).await?.map(Anchor))
    }
    /// Proof that this entry's leaf is in its anchor's Merkle tree (JSON, version 1; see
    /// the anchor crate's README), once it is batched.
    async fn inclusion_proof(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
        let proof = registry(ctx)?.inclusion_proof(&self.0).await?;
        Ok(proof.map(|p| serde_json::from_str(&p.to_json()).map(Json)).transpose().map_err(AppError::from_display)?)
    }
    /// On a state-anchored log: the RFC 6962 proof of this entry's leaf in the whole log's
    /// tree of the newest confirmed state (`logState`), JSON version 1 (`leaf`, `index`,
    /// `size`, `hashes`, `root`); null before a state covers the entry.
    async fn log_proof(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
        let proof = registry(ctx)?.log_proof(&self.0).await?;
        Ok(proof.map(|(p, _)| serde_json::to_value(p).map(Json)).transpose().map_err(AppError::from_display)?)
    }
    /// The newest confirmed state, which `logProof` is against.
    async fn log_state(&self, ctx: &Context<'_>) -> Result<Option<Anchor>> {
        Ok(registry(ctx)?.log_proof(&self.0).await?.map(|(_, state)| Anchor(state)))
    }
}

/// One anchored (or pending) batch of consecutive log entries: its Merkle root on a
/// `ProvenanceAnchor` (`kind: "batch"`), or the state of the whole log after it on a
/// `ProvenanceLog` (`kind: "state"`; a heartbeat state covers no new entry).
pub struct Anchor(pub anchor::Model);

#[Object]
impl Anchor {
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    async fn chain_id(&self) -> i64 {
        self.0.chain_id
    }
    /// Address of the ProvenanceAnchor or ProvenanceLog contract.
    async fn contract(&self) -> &str {
        &self.0.contract
    }
    /// `batch` or `state`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// `state`: hex root of the whole log's RFC 6962 tree of `firstSeq + size` entries.
    async fn log_root(&self) -> Option<&str> {
        self.0.log_root.as_deref()
    }
    /// `state`: hex root of the status map at that size.
    async fn status_root(&self) -> Option<&str> {
        self.0.status_root.as_deref()
    }
    /// `state`: hex head of the state before (64 zeros for the first).
    async fn prev_head(&self) -> Option<&str> {
        self.0.prev_head.as_deref()
    }
    /// `state`: hex SHA-256(0x03 || prevHead || logRoot || u64be(size) || statusRoot), the
    /// value the contract stores.
    async fn head(&self) -> Option<&str> {
        self.0.head.as_deref()
    }
    /// `state`: the anchoring block's timestamp, Unix seconds.
    async fn block_time(&self) -> Option<i64> {
        self.0.block_time
    }
    async fn first_seq(&self) -> i64 {
        self.0.first_seq
    }
    async fn size(&self) -> i64 {
        self.0.size
    }
    /// Hex Merkle root of the batch.
    async fn root(&self) -> &str {
        &self.0.root
    }
    /// Hex SHA-256(0x02 || root || size): the value a ProvenanceAnchor stores.
    async fn commitment(&self) -> Result<String> {
        let root = crate::service::seal::digest_bytes(&self.0.root)?;
        let size = u64::try_from(self.0.size).map_err(AppError::from_display)?;
        Ok(hex::encode(provreg_anchor::batch_commitment(&root, size)))
    }
    /// `PENDING` (built, not yet on chain), `SENT` (transaction sent) or `CONFIRMED`.
    async fn status(&self) -> String {
        self.0.status.to_uppercase()
    }
    async fn tx_hash(&self) -> Option<&str> {
        self.0.tx_hash.as_deref()
    }
    async fn block_number(&self) -> Option<i64> {
        self.0.block_number
    }
    /// The contract's batch number.
    async fn batch_id(&self) -> Option<i64> {
        self.0.batch_id
    }
    /// The last error talking to the chain, if the anchor is not confirmed yet.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }
}

/// The certificate of record `id`, for the record types' `certificate` field.
pub(crate) async fn certificate_of(ctx: &Context<'_>, id: Uuid) -> Result<Option<Certificate>> {
    Ok(registry(ctx)?.certificate_of(id).await?.map(Certificate))
}

/// The log entry of record `id`, for the record types' `logEntry` field.
pub(crate) async fn log_entry_of(ctx: &Context<'_>, id: Uuid) -> Result<Option<LogEntry>> {
    Ok(registry(ctx)?.log_entry_of(id).await?.map(LogEntry))
}
