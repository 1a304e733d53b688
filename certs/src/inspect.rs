//! Decoding and validating a manifest store.

use std::collections::BTreeMap;
use std::io::Cursor;

use c2pa::{Context, Reader, ValidationResults};
use serde_json::Value;

use super::error::{CertError, Result};

/// A decoded, validated manifest store.
#[derive(Debug, Clone)]
pub struct CertificateView {
    /// Label of the active manifest.
    pub manifest_label: String,
    /// The active manifest, decoded as JSON (title, format, assertions, ingredients,
    /// signature info).
    pub manifest: Value,
    /// Every manifest in the store by label: the active one and those carried by its
    /// ingredients, at any depth.
    pub manifests: BTreeMap<String, Value>,
    /// `Trusted`, `Valid` or `Invalid`, as the C2PA specification defines them.
    pub validation_state: String,
    /// Failure codes with their explanations, e.g.
    /// `assertion.dataHash.mismatch: ...`.
    pub validation_errors: Vec<String>,
    /// Every status code reported (successes, informational and failures).
    pub status_codes: Vec<String>,
    /// Whether the data-hash binding was checked against asset bytes. When `false`
    /// the data-hash status is left out of the state: only signatures, certificates,
    /// assertion hashes and ingredients were checked.
    pub asset_checked: bool,
}

/// Decodes a manifest store and validates it.
///
/// `format` is the MIME type of the bound asset. With `asset`, the `c2pa.hash.data`
/// binding is checked against those bytes (so one changed byte yields
/// `assertion.dataHash.mismatch` and `Invalid`); without it, everything but the
/// binding is checked. With `trust_anchors_pem`, the signing certificate must chain
/// to one of those anchors for `Trusted`; without, trust is not checked and the best
/// state is `Valid`.
pub fn inspect(
    manifest_store: &[u8],
    format: &str,
    asset: Option<&[u8]>,
    trust_anchors_pem: Option<&str>,
) -> Result<CertificateView> {
    let context = reading_context(trust_anchors_pem)?;
    let checked = check_store(Reader::from_context(context), manifest_store, format, asset)?;
    let manifest = checked.reader.active_manifest().map(serde_json::to_value).transpose()?.unwrap_or(Value::Null);
    let manifests = checked
        .reader
        .manifests()
        .iter()
        .map(|(label, m)| Ok((label.clone(), serde_json::to_value(m)?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    Ok(CertificateView {
        manifest_label: checked.label,
        manifest,
        manifests,
        validation_state: checked.state,
        validation_errors: checked.errors,
        status_codes: checked.codes,
        asset_checked: asset.is_some(),
    })
}

/// Reading settings: offline; trust checked only against `anchors`.
pub(crate) fn reading_context(anchors: Option<&str>) -> Result<Context> {
    let mut settings = serde_json::json!({
        "verify": {
            "verify_after_reading": true,
            "verify_trust": anchors.is_some(),
            "verify_timestamp_trust": false,
            "remote_manifest_fetch": false,
            "ocsp_fetch": false
        }
    });
    if let Some(anchors) = anchors {
        settings["trust"] = serde_json::json!({ "trust_anchors": anchors });
    }
    Ok(Context::new().with_settings(settings)?)
}

/// The outcome of validating one store.
pub(crate) struct Checked {
    pub reader: Reader,
    pub label: String,
    /// Validation results with the data-hash statuses removed when no asset was given.
    pub results: Value,
    pub state: String,
    pub errors: Vec<String>,
    pub codes: Vec<String>,
}

/// Validates `store` with `reader`'s settings, against `asset` when given.
pub(crate) fn check_store(reader: Reader, store: &[u8], format: &str, asset: Option<&[u8]>) -> Result<Checked> {
    // Without the asset, validate against no bytes and drop the (necessarily failing)
    // data-hash statuses afterwards: the rest of the validation is unaffected.
    let bytes = asset.unwrap_or_default();
    let reader = reader.with_manifest_data_and_stream(store, format, Cursor::new(bytes))?;
    let label = reader.active_label().ok_or_else(|| CertError::C2pa(c2pa::Error::ProvenanceMissing))?.to_owned();
    let mut results = match reader.validation_results() {
        Some(r) => serde_json::to_value(r)?,
        None => serde_json::json!({}),
    };
    if asset.is_none() {
        strip_data_hash_statuses(&mut results);
    }
    let parsed: ValidationResults = serde_json::from_value(results.clone())?;
    let state = match serde_json::to_value(parsed.validation_state())? {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let mut errors = Vec::new();
    let mut codes = Vec::new();
    for (kind, status) in statuses(&results) {
        let code = status["code"].as_str().unwrap_or_default();
        codes.push(code.to_owned());
        if kind == "failure" {
            let explanation = status["explanation"].as_str().unwrap_or_default();
            errors.push(format!("{code}: {explanation}"));
        }
    }
    Ok(Checked { reader, label, results, state, errors, codes })
}

/// Every (kind, status) pair of validation results JSON: the active manifest's
/// and each ingredient delta's.
fn statuses(results: &Value) -> Vec<(&'static str, &Value)> {
    let mut out = Vec::new();
    let mut groups = vec![&results["activeManifest"]];
    if let Some(deltas) = results["ingredientDeltas"].as_array() {
        groups.extend(deltas.iter().map(|d| &d["validationDeltas"]));
    }
    for group in groups {
        for kind in ["success", "informational", "failure"] {
            if let Some(list) = group[kind].as_array() {
                out.extend(list.iter().map(|s| (kind, s)));
            }
        }
    }
    out
}

fn strip_data_hash_statuses(results: &mut Value) {
    let strip = |group: &mut Value| {
        for kind in ["success", "informational", "failure"] {
            if let Some(list) = group.get_mut(kind).and_then(Value::as_array_mut) {
                list.retain(|s| !s["code"].as_str().is_some_and(|c| c.starts_with("assertion.dataHash")));
            }
        }
    };
    if let Some(active) = results.get_mut("activeManifest") {
        strip(active);
    }
    if let Some(deltas) = results.get_mut("ingredientDeltas").and_then(Value::as_array_mut) {
        for delta in deltas {
            if let Some(group) = delta.get_mut("validationDeltas") {
                strip(group);
            }
        }
    }
}
