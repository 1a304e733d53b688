//! Turning an earlier certificate into a C2PA ingredient, with a cache of checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use c2pa::Reader;
use c2pa::assertions::DataHash;
use serde_json::{Value, json};

use super::assertions::LABEL_RECORD;
use super::error::{CertError, Result};
use super::identity::SigningIdentity;
use super::inspect::check_store;
use super::request::Ingredient;

/// How long a successful ingredient check is reused: validation results describe a
/// moment, and certificates expire.
const CHECK_TTL: Duration = Duration::from_secs(600);
const CACHE_CAPACITY: usize = 4096;

/// What checking an ingredient's manifest store found.
#[derive(Debug)]
struct IngredientCheck {
    label: String,
    /// Validation results without the data-hash statuses (the bytes are not here).
    results: Value,
    format: String,
    bound: [u8; 32],
    checked_at: Instant,
}

/// Successful ingredient checks by SHA-256 of the manifest store. Certificates are
/// reused as ingredients many times (a model version's certificate in every token it
/// generates), and checking one costs several signature verifications.
#[derive(Debug, Default)]
pub(crate) struct IngredientCache(Mutex<HashMap<[u8; 32], Arc<IngredientCheck>>>);

impl IngredientCache {
    fn get(&self, key: &[u8; 32]) -> Option<Arc<IngredientCheck>> {
        let map = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(key).filter(|c| c.checked_at.elapsed() < CHECK_TTL).cloned()
    }

    fn put(&self, key: [u8; 32], check: Arc<IngredientCheck>) {
        let mut map = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.len() >= CACHE_CAPACITY {
            map.retain(|_, c| c.checked_at.elapsed() < CHECK_TTL);
            if map.len() >= CACHE_CAPACITY {
                map.clear();
            }
        }
        map.insert(key, check);
    }
}

/// Validates an ingredient's manifest store (or reuses a recent check of the same
/// bytes) and turns it into a C2PA ingredient carrying the whole store and the
/// validation results. `digest` is the SHA-256 of the store.
pub(crate) fn prepare(
    identity: &SigningIdentity,
    ingredient: &Ingredient<'_>,
    digest: &[u8; 32],
    id: &str,
) -> Result<c2pa::Ingredient> {
    let fail = |reason: String| CertError::Ingredient { title: ingredient.title.clone(), reason };
    let check = match identity.ingredient_checks.get(digest) {
        Some(check) => check,
        None => {
            let check = Arc::new(check(identity, ingredient.manifest_store).map_err(fail)?);
            identity.ingredient_checks.put(*digest, Arc::clone(&check));
            check
        }
    };
    if check.bound != ingredient.bound_sha256 {
        return Err(fail(format!(
            "its manifest is bound to SHA-256 {}, the request says {}",
            hex::encode(check.bound),
            hex::encode(ingredient.bound_sha256)
        )));
    }
    let mut c2pa_ingredient = c2pa::Ingredient::from_json(&serde_json::to_string(&json!({
        "title": ingredient.title,
        "format": check.format,
        "relationship": ingredient.relation.as_c2pa(),
        "label": id,
        "active_manifest": check.label,
        "validation_results": check.results,
        "description": format!(
            "Bound by data hash to SHA-256 {}; those bytes are not held by the registry, so \
             the data-hash binding was compared, not recomputed, when this ingredient was added.",
            hex::encode(check.bound)
        ),
    }))?)?;
    c2pa_ingredient.set_manifest_data(ingredient.manifest_store.to_vec())?;
    Ok(c2pa_ingredient)
}

/// An ingredient referred to by the SHA-256 of its manifest store, without copying the
/// store: for stores above the identity's embedding limit. Nothing is validated (there is
/// nothing to carry); the reference is the digest (SHA-256 of the store), which the
/// registry's log commits to.
pub(crate) fn reference(ingredient: &Ingredient<'_>, digest: &[u8; 32], id: &str) -> Result<c2pa::Ingredient> {
    let digest = hex::encode(digest);
    Ok(c2pa::Ingredient::from_json(&serde_json::to_string(&json!({
        "title": ingredient.title,
        "relationship": ingredient.relation.as_c2pa(),
        "label": id,
        "instance_id": format!("urn:provreg:certificate:sha256:{digest}"),
        "description": format!(
            "Referred to, not embedded: the certificate whose manifest store has SHA-256 {digest} \
             (bound to SHA-256 {}). Its store ({} bytes) is above the embedding limit; the \
             registry's append-only log commits to this digest and anchors it on chain, and \
             evidence bundles carry the store.",
            hex::encode(ingredient.bound_sha256),
            ingredient.manifest_store.len()
        ),
    }))?)?)
}

/// Validates `store` with the identity's ingredient settings, without the asset.
fn check(identity: &SigningIdentity, store: &[u8]) -> Result<IngredientCheck, String> {
    let reader = Reader::from_shared_context(&identity.ingredient_context);
    let checked = check_store(reader, store, "application/octet-stream", None)
        .map_err(|e| format!("unreadable manifest store: {e}"))?;
    if checked.state == "Invalid" {
        return Err(format!("manifest store does not validate: {}", checked.errors.join("; ")));
    }
    let bound = active_data_hash(&checked.reader, &checked.label)
        .ok_or_else(|| "its manifest has no c2pa.hash.data binding".to_owned())?;
    // C2PA 2.x claims carry no format; ours is in the record assertion.
    let format = recorded_format(&checked.reader).unwrap_or_else(|| "application/octet-stream".to_owned());
    Ok(IngredientCheck { label: checked.label, results: checked.results, format, bound, checked_at: Instant::now() })
}

/// The `hash` of the active manifest's `c2pa.hash.data` assertion.
fn active_data_hash(reader: &Reader, label: &str) -> Option<[u8; 32]> {
    let report: Value = serde_json::from_str(&reader.detailed_json()).ok()?;
    let hash = &report["manifests"][label]["assertion_store"][DataHash::LABEL]["hash"];
    let bytes: Vec<u8> = match hash {
        Value::Array(items) => {
            items.iter().map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok())).collect::<Option<_>>()?
        }
        // The report shows byte strings in standard base64.
        Value::String(s) => base64::engine::general_purpose::STANDARD.decode(s).ok()?,
        _ => return None,
    };
    bytes.try_into().ok()
}

/// The bound asset's format as our `org.provreg.record` assertion states it.
fn recorded_format(reader: &Reader) -> Option<String> {
    let manifest = reader.active_manifest()?;
    let record = manifest.assertions().iter().find(|a| a.label() == LABEL_RECORD)?;
    let value: Value = record.to_assertion().ok()?;
    value["format"].as_str().map(str::to_owned)
}
