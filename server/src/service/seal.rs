//! Sealing a record inside the transaction that stores it (or, for a group-committed
//! registration, its savepoint): its C2PA birth certificate and its log entry.
//! No record without its certificate and log entry, and neither without the record.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use provreg_entities::{certificate, log_entry};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Registry, now};
use crate::error::{AppError, AppResult};
use provreg_certs::{self as certs, CertificateRequest, SigningIdentity};
use provreg_schema::RecordKind;

/// The registry's signing identity, read from PEM files. The files are read again when they
/// change, so a rotated signing certificate takes effect without a restart; certificates
/// issued under the old one stay valid.
#[derive(Debug)]
pub struct Signing {
    chain: PathBuf,
    key: PathBuf,
    /// PEM trust anchors the certificates are validated against when they are shown.
    trust_anchors: Option<String>,
    /// See [`certs::DEFAULT_EMBED_LIMIT`].
    embed_limit: usize,
    cached: Mutex<Option<(Stamp, Arc<SigningIdentity>)>>,
}

/// What the identity files looked like when they were read.
type Stamp = [(Option<SystemTime>, u64); 2];

fn stamp(paths: [&Path; 2]) -> Stamp {
    paths.map(|p| match std::fs::metadata(p) {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    })
}

impl Signing {
    /// Reads the end-entity chain (PEM, signer first) and its PKCS#8 key now, so a bad
    /// configuration fails at start. `trust_anchors` (PEM) is what shown certificates are
    /// validated against.
    pub fn from_files(chain: &Path, key: &Path, trust_anchors: Option<&Path>) -> AppResult<Self> {
        let trust_anchors = trust_anchors
            .map(|p| {
                std::fs::read_to_string(p)
                    .map_err(|e| AppError::Internal(format!("reading trust anchors {}: {e}", p.display())))
            })
            .transpose()?;
        let signing = Self {
            chain: chain.to_owned(),
            key: key.to_owned(),
            trust_anchors,
            embed_limit: certs::DEFAULT_EMBED_LIMIT,
            cached: Mutex::new(None),
        };
        signing.identity()?;
        Ok(signing)
    }

    /// The same, carrying ingredient stores whole only up to `bytes` (see
    /// [`certs::DEFAULT_EMBED_LIMIT`]).
    pub fn with_embed_limit(mut self, bytes: usize) -> Self {
        self.embed_limit = bytes;
        self.cached = Mutex::new(None);
        self
    }

    /// The current identity, read again if its files changed.
    pub fn identity(&self) -> AppResult<Arc<SigningIdentity>> {
        let now = stamp([&self.chain, &self.key]);
        let mut cached = self.cached.lock().map_err(|_| AppError::Internal("signing cache poisoned".into()))?;
        if let Some((seen, identity)) = cached.as_ref()
            && *seen == now
        {
            return Ok(identity.clone());
        }
        let identity = SigningIdentity::from_pem_files(&self.chain, &self.key)
            .map_err(|e| AppError::Internal(format!("signing identity {} unusable: {e}", self.chain.display())))?
            .with_embed_limit(self.embed_limit);
        let identity = Arc::new(identity);
        *cached = Some((now, identity.clone()));
        Ok(identity)
    }

    /// PEM trust anchors for validating shown certificates, if configured.
    pub fn trust_anchors(&self) -> Option<&str> {
        self.trust_anchors.as_deref()
    }
}

/// The stored row of a certificate just issued for record `kind`/`id`.
fn certificate_row(
    kind: RecordKind,
    id: Uuid,
    request: &CertificateRequest<'_>,
    identity: &SigningIdentity,
    issued: certs::IssuedCertificate,
) -> certificate::Model {
    certificate::Model {
        id: Uuid::now_v7(),
        subject_kind: kind.as_str().to_owned(),
        subject_id: id,
        manifest_label: issued.manifest_label,
        digest: hex::encode(issued.digest),
        format: request.format.clone(),
        bound_sha256: hex::encode(request.bound_sha256),
        signer: issued.signer,
        signer_fingerprint: identity.certificate_fingerprint(),
        manifest_store: issued.manifest_store,
        issued_at: issued.issued_at,
    }
}

/// 64 zero hex digits (`provreg_anchor::NO_CERTIFICATE` in hex): the certificate digest of a
/// log entry whose record has no certificate.
pub const NO_CERTIFICATE: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Decodes a lower-case hex SHA-256.
pub fn digest_bytes(hex_digest: &str) -> AppResult<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut out)
        .map_err(|e| AppError::Internal(format!("stored digest {hex_digest:?} is not hex SHA-256: {e}")))?;
    Ok(out)
}

/// `cert` as an ingredient of a new certificate, carrying its whole manifest store.
pub(crate) fn ingredient(
    title: String,
    relation: certs::IngredientRelation,
    cert: &certificate::Model,
) -> AppResult<certs::Ingredient<'_>> {
    Ok(certs::Ingredient {
        title,
        relation,
        manifest_store: &cert.manifest_store,
        bound_sha256: digest_bytes(&cert.bound_sha256)?,
    })
}

/// Datasets `datasets` whose certificates are in `certs`, as `InputTo` ingredients.
pub(crate) fn dataset_ingredients<'a>(
    datasets: &[provreg_entities::dataset::Model],
    certs: &'a [certificate::Model],
) -> AppResult<Vec<certs::Ingredient<'a>>> {
    let mut out = Vec::new();
    for d in datasets {
        if let Some(cert) = certs.iter().find(|c| c.subject_id == d.id) {
            out.push(ingredient(format!("{} {}", d.name, d.version), certs::IngredientRelation::InputTo, cert)?);
        }
    }
    Ok(out)
}

impl Registry {
    /// The certificate issued for a record, if any.
    pub async fn certificate_of(&self, subject: Uuid) -> AppResult<Option<certificate::Model>> {
        Ok(certificate::Entity::find().filter(certificate::Column::SubjectId.eq(subject)).one(&self.db).await?)
    }

    /// A certificate by its ID.
    pub async fn certificate(&self, id: Uuid) -> AppResult<Option<certificate::Model>> {
        Ok(certificate::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// The certificates of several records, in no particular order.
    pub async fn certificates_of(&self, subjects: Vec<Uuid>) -> AppResult<Vec<certificate::Model>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        Ok(certificate::Entity::find().filter(certificate::Column::SubjectId.is_in(subjects)).all(&self.db).await?)
    }

    /// The log entry of a record.
    pub async fn log_entry_of(&self, record: Uuid) -> AppResult<Option<log_entry::Model>> {
        Ok(log_entry::Entity::find().filter(log_entry::Column::RecordId.eq(record)).one(&self.db).await?)
    }

    /// Signs the birth certificate `request` describes for record `kind`/`id`. CPU work only,
    /// done before the record's transaction opens so the database's write lock is not held
    /// while signing; [`store`] stores it with the record.
    pub(crate) fn issue_certificate(
        &self,
        kind: RecordKind,
        id: Uuid,
        request: &CertificateRequest<'_>,
    ) -> AppResult<certificate::Model> {
        let identity = self.signing_identity()?;
        let issued = certs::issue(&identity, request)
            .map_err(|e| AppError::Internal(format!("issuing the certificate of {kind} {id}: {e}")))?;
        Ok(certificate_row(kind, id, request, &identity, issued))
    }

    /// Like [`issue_certificate`](Self::issue_certificate), but embeds the certificate in
    /// `asset` (PNG or JPEG bytes hashing to the request's bound hash). Returns the signed
    /// asset and the certificate row.
    pub(crate) fn issue_embedded_certificate(
        &self,
        kind: RecordKind,
        id: Uuid,
        request: &CertificateRequest<'_>,
        asset: &[u8],
    ) -> AppResult<(Vec<u8>, certificate::Model)> {
        let identity = self.signing_identity()?;
        let (signed, issued) = certs::issue_embedded(&identity, request, asset)
            .map_err(|e| AppError::Internal(format!("embedding the certificate of {kind} {id}: {e}")))?;
        Ok((signed, certificate_row(kind, id, request, &identity, issued)))
    }

    fn signing_identity(&self) -> AppResult<Arc<SigningIdentity>> {
        let signing = self.signing.as_ref().ok_or_else(|| {
            AppError::Internal(
                "no signing identity is configured (set signing.chain and signing.key, or run \
                 `provreg keys init-ca`)"
                    .into(),
            )
        })?;
        signing.identity()
    }
}

/// Stores record `kind`/`id`'s certificate (when it has one) and appends its log entry,
/// inside `txn`. Any failure fails the caller's transaction: no record without its
/// certificate and log entry, and neither without the record.
pub(crate) async fn store(
    txn: &impl ConnectionTrait,
    kind: RecordKind,
    id: Uuid,
    record_digest: &str,
    cert: Option<certificate::Model>,
) -> AppResult<Option<certificate::Model>> {
    if let Some(row) = &cert {
        certificate::Entity::insert(certificate::ActiveModel::from(row.clone()).reset_all())
            .exec_without_returning(txn)
            .await?;
    }
    let certificate_digest = cert.as_ref().map_or(NO_CERTIFICATE, |c| c.digest.as_str());
    let leaf =
        provreg_anchor::log_leaf(kind.as_str(), &digest_bytes(record_digest)?, &digest_bytes(certificate_digest)?);
    let entry = log_entry::Model {
        id: Uuid::now_v7(),
        seq: None,
        record_kind: kind.as_str().to_owned(),
        record_id: id,
        record_digest: record_digest.to_owned(),
        certificate_digest: certificate_digest.to_owned(),
        leaf: hex::encode(leaf),
        anchor_id: None,
        created_at: now(),
    };
    log_entry::Entity::insert(log_entry::ActiveModel::from(entry).reset_all()).exec_without_returning(txn).await?;
    Ok(cert)
}
