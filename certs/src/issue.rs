//! Building and signing certificates.

use std::io::Cursor;

use c2pa::Builder;
use c2pa::assertions::DataHash;
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::assertions::{LABEL_INGREDIENTS, LABEL_LICENSE, LABEL_LINEAGE, LABEL_RECORD, training_mining};
use super::error::{CertError, Result};
use super::identity::SigningIdentity;
use super::request::{Action, CertificateRequest, IngredientRelation, IssuedCertificate, TRAINED_ALGORITHMIC_MEDIA};

/// Format under which a manifest store is written as a sidecar: a bare JUMBF
/// manifest store, the content of a `.c2pa` file.
pub const SIDECAR_FORMAT: &str = "application/c2pa";

/// Issues a sidecar certificate bound by data hash to bytes the registry need not hold.
///
/// The manifest's hard binding is a `c2pa.hash.data` assertion whose `hash` is
/// `req.bound_sha256` — the SHA-256 of the whole asset, with no exclusion ranges —
/// so a validator given this `.c2pa` store and the original bytes recomputes
/// SHA-256 over all of them and reports `assertion.dataHash.match`, or
/// `assertion.dataHash.mismatch` if any byte differs. The builder is given that
/// `c2pa.hash.data` assertion ready-made and signs it with `Builder::sign_embeddable`
/// (its "direct" mode, for bindings computed by the caller: no placeholder, no asset
/// read), asking for the manifest store in sidecar form ([`SIDECAR_FORMAT`]).
///
/// Assertions: `c2pa.actions` (see [`Action`]), `org.provreg.record` (subject,
/// bound hash, `req.record`), `org.provreg.ingredients` (every ingredient's
/// certificate digest; empty without ingredients), and when given
/// `org.provreg.lineage`, `org.provreg.license` and `cawg.training-mining`. An
/// ingredient whose manifest store is within the identity's embedding limit carries
/// that whole store, is checked first (signature, certificate chain against the
/// identity's CA, data hash equal to its `bound_sha256`) and records what that check
/// found as its `validationResults`; a successful check of the same store is reused
/// for ten minutes (the `bound_sha256` comparison is repeated every time). A bigger
/// ingredient is referred to by the SHA-256 of its store only (see
/// [`DEFAULT_EMBED_LIMIT`](super::identity::DEFAULT_EMBED_LIMIT)).
///
/// Signing is offline: no timestamp authority is contacted, so the claim carries no
/// trusted time and validators judge the certificate at validation time.
pub fn issue(identity: &SigningIdentity, req: &CertificateRequest<'_>) -> Result<IssuedCertificate> {
    let issued_at = Utc::now();
    let (mut builder, label) = build(identity, req)?;
    let mut data_hash = DataHash::new("asset", "sha256");
    data_hash.set_hash(req.bound_sha256.to_vec());
    builder.add_assertion(DataHash::LABEL, &data_hash)?;
    let manifest_store = builder.sign_embeddable(SIDECAR_FORMAT)?;
    Ok(finish(identity, manifest_store, label, issued_at))
}

/// Issues a certificate and embeds it into a PNG or JPEG the registry holds.
///
/// `asset_bytes` must hash to `req.bound_sha256`. The embedded manifest is bound to
/// the signed asset (the C2PA library excludes the manifest's own bytes from the
/// data hash); the returned [`IssuedCertificate`] holds the same manifest store.
pub fn issue_embedded(
    identity: &SigningIdentity,
    req: &CertificateRequest<'_>,
    asset_bytes: &[u8],
) -> Result<(Vec<u8>, IssuedCertificate)> {
    let format = req.format.as_str();
    if format != "image/png" && format != "image/jpeg" {
        return Err(CertError::UnsupportedFormat(req.format.clone()));
    }
    let actual: [u8; 32] = Sha256::digest(asset_bytes).into();
    if actual != req.bound_sha256 {
        return Err(CertError::InvalidRequest("bound_sha256 is not the SHA-256 of the asset bytes".into()));
    }
    let issued_at = Utc::now();
    let (mut builder, label) = build(identity, req)?;
    let mut source = Cursor::new(asset_bytes);
    let mut signed = Cursor::new(Vec::with_capacity(asset_bytes.len() + 16 * 1024));
    let manifest_store = builder.sign(identity.signer()?, format, &mut source, &mut signed)?;
    Ok((signed.into_inner(), finish(identity, manifest_store, label, issued_at)))
}

fn finish(
    identity: &SigningIdentity,
    manifest_store: Vec<u8>,
    manifest_label: String,
    issued_at: chrono::DateTime<Utc>,
) -> IssuedCertificate {
    let digest = Sha256::digest(&manifest_store).into();
    IssuedCertificate { manifest_store, manifest_label, digest, signer: identity.signer_name(), issued_at }
}

/// A builder holding every assertion and ingredient of `req`, and the manifest label.
fn build(identity: &SigningIdentity, req: &CertificateRequest<'_>) -> Result<(Builder, String)> {
    check_relations(req)?;
    let label = new_manifest_label();
    let mut builder = Builder::from_shared_context(&identity.issue_context);
    builder.definition = serde_json::from_value(json!({
        "claim_generator_info": [{ "name": "provreg", "version": env!("CARGO_PKG_VERSION") }],
        "title": req.title,
        "format": req.format,
        "label": label,
    }))?;

    let mut parent_id = None;
    let mut listed = Vec::with_capacity(req.ingredients.len());
    for (index, ingredient) in req.ingredients.iter().enumerate() {
        let id = format!("ingredient-{index}");
        let digest: [u8; 32] = Sha256::digest(ingredient.manifest_store).into();
        let embedded = ingredient.manifest_store.len() <= identity.embed_limit;
        builder.add_ingredient(if embedded {
            super::ingredient::prepare(identity, ingredient, &digest, &id)?
        } else {
            super::ingredient::reference(ingredient, &digest, &id)?
        });
        listed.push(json!({
            "title": ingredient.title,
            "relationship": ingredient.relation.as_c2pa(),
            "certificateSha256": hex::encode(digest),
            "boundSha256": hex::encode(ingredient.bound_sha256),
            "embedded": embedded,
        }));
        if ingredient.relation == IngredientRelation::ParentOf {
            parent_id = Some(id);
        }
    }
    builder.add_assertion(LABEL_INGREDIENTS, &json!({ "ingredients": listed }))?;
    for action in actions(req, parent_id.as_deref()) {
        builder.add_action(action)?;
    }

    builder.add_assertion(
        LABEL_RECORD,
        &json!({
            "subject": req.subject.as_str(),
            "format": req.format,
            "boundSha256": hex::encode(req.bound_sha256),
            "record": req.record,
        }),
    )?;
    if let Some(lineage) = &req.lineage {
        builder.add_assertion(LABEL_LINEAGE, lineage)?;
    }
    if let Some(terms) = &req.license_terms {
        builder.add_assertion(LABEL_LICENSE, terms)?;
        let (label, assertion) = training_mining(terms)?;
        builder.add_assertion(label, &assertion)?;
    }
    Ok((builder, label))
}

/// At most one `parentOf`; retrains and fine-tunes have one, creations none
/// (C2PA: `c2pa.created` must not have a parent, `c2pa.opened` must).
fn check_relations(req: &CertificateRequest<'_>) -> Result<()> {
    let parents = req.ingredients.iter().filter(|i| i.relation == IngredientRelation::ParentOf).count();
    match (req.action, parents) {
        (_, n) if n > 1 => Err(CertError::InvalidRequest("at most one parentOf ingredient is allowed".into())),
        (Action::Retrained | Action::FineTuned | Action::Compiled, 0) => Err(CertError::InvalidRequest(
            "a retrain, fine-tune or compiled circuit needs its parent as a parentOf ingredient".into(),
        )),
        (Action::Created | Action::Generated, 1) => {
            Err(CertError::InvalidRequest("a created or generated record cannot have a parentOf ingredient".into()))
        }
        _ => Ok(()),
    }
}

fn actions(req: &CertificateRequest<'_>, parent_id: Option<&str>) -> Vec<Value> {
    let created = |source_type: &str| {
        json!({
            "action": "c2pa.created",
            "digitalSourceType": source_type,
        })
    };
    let derived = |action: &str, description: &str| {
        vec![
            json!({
                "action": "c2pa.opened",
                "parameters": { "ingredientIds": [parent_id.unwrap_or_default()] },
            }),
            json!({ "action": action, "description": description }),
        ]
    };
    match req.action {
        Action::Created => vec![created(req.subject.created_source_type())],
        Action::Generated => vec![created(TRAINED_ALGORITHMIC_MEDIA)],
        Action::Retrained => derived("c2pa.edited", "Retrained from the parent model version"),
        Action::FineTuned => derived("c2pa.edited", "Fine-tuned from the parent model version"),
        Action::Compiled => derived("c2pa.converted", "Compiled into a zero-knowledge circuit"),
    }
}

/// `urn:c2pa:<random UUID>`: chosen here so the caller learns the label without
/// decoding the signed store.
fn new_manifest_label() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    format!("urn:c2pa:{uuid}")
}
