//! `certificate.digest`, `certificate.signature`, `certificate.binding` and
//! `certificate.ingredients`: the birth certificate is the one the log commits to, signed by
//! a trusted signer, bound to what the record describes, and its ingredients are in the
//! bundle.
use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_anchor::NO_CERTIFICATE;
use provreg_certs::CertificateView;
use provreg_certs::assertions::{LABEL_INGREDIENTS, LABEL_RECORD};
use provreg_schema::RecordKind;
use serde_json::Value;

use crate::checks::Checks;
use crate::parse::{ParsedRecord, Payload};
use crate::report::{CheckName, Status};
use crate::{CheckError, VerifyOptions, sha256_hex};

const NAMES: [CheckName; 4] = [
    CheckName::CertificateDigest,
    CheckName::CertificateSignature,
    CheckName::CertificateBinding,
    CheckName::CertificateIngredients,
];

/// Runs the certificate checks of `r`; returns the certificate digest the log leaf must
/// commit to (zeros without a certificate), if known.
pub(super) async fn check(
    checks: &mut Checks,
    r: &ParsedRecord<'_>,
    opts: &VerifyOptions,
    certificates: &HashSet<&str>,
) -> Option<String> {
    let record = r.record;
    let me = &r.reference;
    let Some(cert) = &record.certificate else {
        if record.kind == RecordKind::StatusEvent {
            let zero = hex::encode(NO_CERTIFICATE);
            checks.push(
                CheckName::CertificateDigest,
                me,
                if record.log_entry.certificate_digest == zero {
                    Ok("a status event has no certificate; its log entry has the zero certificate digest".into())
                } else {
                    Err(CheckError::StatusEventLogsCertificate)
                },
            );
            for name in &NAMES[1..] {
                checks.with(*name, me, Status::Skipped, "status events have no certificate");
            }
            return Some(zero);
        }
        for name in NAMES {
            checks.push(name, me, Err(CheckError::CertificateMissing(record.kind)));
        }
        return None;
    };
    let store = B64.decode(cert.manifest_store.trim()).map_err(|e| CheckError::StoreNotBase64(e.to_string()));
    let store_digest = store.as_ref().ok().map(|s| sha256_hex(s));
    checks.push(
        CheckName::CertificateDigest,
        me,
        match (&store, &store_digest) {
            (Err(e), _) => Err(e.clone()),
            (Ok(_), Some(sd)) if record.kind == RecordKind::StatusEvent => {
                Err(CheckError::StatusEventCertified(sd.clone()))
            }
            (Ok(_), Some(sd)) if *sd != cert.digest => {
                Err(CheckError::StoreDigest { computed: sd.clone(), stated: cert.digest.clone() })
            }
            (Ok(_), Some(sd)) if *sd != record.log_entry.certificate_digest => Err(CheckError::StoreNotLogged {
                computed: sd.clone(),
                logged: record.log_entry.certificate_digest.clone(),
            }),
            (Ok(_), Some(sd)) => Ok(format!("SHA-256 of the manifest store is {sd}")),
            (Ok(_), None) => Err(CheckError::StoreNotBase64("no manifest store".into())),
        },
    );
    let view = match store {
        Ok(bytes) => {
            let format = cert.format.clone();
            let anchors = opts.trust_anchors.clone();
            tokio::task::spawn_blocking(move || {
                provreg_certs::inspect(&bytes, &format, None, anchors.as_deref())
                    .map_err(|e| CheckError::StoreUndecodable(e.to_string()))
            })
            .await
            .unwrap_or_else(|e| Err(CheckError::StoreUndecodable(format!("validation stopped: {e}"))))
        }
        Err(e) => Err(e),
    };
    checks.push(CheckName::CertificateSignature, me, signature(&view, &cert.manifest_label, opts));
    checks.push(CheckName::CertificateBinding, me, binding(r, &view));
    match ingredients(&view, certificates) {
        Some(result) => checks.push(CheckName::CertificateIngredients, me, result),
        None => checks.with(
            CheckName::CertificateIngredients,
            me,
            Status::Skipped,
            format!(
                "the certificate has no {LABEL_INGREDIENTS} list (issued before certificates listed their ingredients)"
            ),
        ),
    }
    store_digest
}

fn signature(
    view: &Result<CertificateView, CheckError>,
    manifest_label: &str,
    opts: &VerifyOptions,
) -> Result<String, CheckError> {
    let view = view.as_ref().map_err(Clone::clone)?;
    if view.manifest_label != manifest_label {
        return Err(CheckError::ActiveManifest {
            found: view.manifest_label.clone(),
            stated: manifest_label.to_owned(),
        });
    }
    let signer = view.manifest["signature_info"]["common_name"]
        .as_str()
        .or_else(|| view.manifest["signature_info"]["issuer"].as_str())
        .unwrap_or("the signer");
    let errors = errors_suffix(&view.validation_errors);
    match (view.validation_state.as_str(), opts.trust_anchors.is_some()) {
        ("Trusted", _) => Ok(format!("Trusted: signed by {signer}, who chains to the given trust anchors")),
        ("Valid", true) => Err(CheckError::NotTrusted { signer: signer.to_owned(), errors }),
        ("Valid", false) if opts.allow_untrusted => Ok(format!(
            "Valid: signature and assertions check out; trust not checked (no trust anchor given), signed by {signer}"
        )),
        ("Valid", false) => Err(CheckError::NoTrustAnchor),
        (state, _) => Err(CheckError::SignatureInvalid { state: state.to_owned(), errors }),
    }
}

fn errors_suffix(errors: &[String]) -> String {
    if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) }
}

/// The hash a record's certificate must be bound to.
fn expected_binding(payload: &Payload, record_digest: &str) -> Result<String, CheckError> {
    Ok(match payload {
        Payload::Token(t) => t.asset_sha256.clone(),
        Payload::ModelVersion(v) => v.weights_sha256.clone(),
        Payload::Dataset(d) => d.content_sha256.clone(),
        Payload::Circuit(c) => c.vk_sha256.clone(),
        Payload::License | Payload::Collection(_) => record_digest.to_owned(),
        Payload::StatusEvent(_) => return Err(CheckError::NoBinding(RecordKind::StatusEvent)),
    })
}

/// The signed assertion `label` of the manifest.
fn assertion<'v>(view: &'v CertificateView, label: &str) -> Option<&'v Value> {
    view.manifest["assertions"].as_array()?.iter().find(|a| a["label"].as_str() == Some(label)).map(|a| &a["data"])
}

fn binding(r: &ParsedRecord<'_>, view: &Result<CertificateView, CheckError>) -> Result<String, CheckError> {
    let Some(cert) = &r.record.certificate else { return Err(CheckError::CertificateMissing(r.record.kind)) };
    let (Some(payload), Some(record_digest)) = (r.payload(), r.digest.as_deref()) else {
        return Err(CheckError::RecordUnreadable);
    };
    let expected = expected_binding(payload, record_digest)?;
    if cert.bound_sha256 != expected {
        return Err(CheckError::BoundElsewhere { bound: cert.bound_sha256.clone(), expected });
    }
    let view = view.as_ref().map_err(Clone::clone)?;
    let signed = assertion(view, LABEL_RECORD).ok_or(CheckError::NoAssertion(LABEL_RECORD))?;
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    if signed["subject"].as_str() != Some(r.record.kind.as_str()) {
        return Err(CheckError::AssertionSubject { found: text(&signed["subject"]), expected: r.record.kind });
    }
    if signed["boundSha256"].as_str() != Some(cert.bound_sha256.as_str()) {
        return Err(CheckError::AssertionBinding {
            found: text(&signed["boundSha256"]),
            expected: cert.bound_sha256.clone(),
        });
    }
    if signed["format"].as_str() != Some(cert.format.as_str()) {
        return Err(CheckError::AssertionFormat { found: text(&signed["format"]), stated: cert.format.clone() });
    }
    if signed["record"]["digest"].as_str() != Some(record_digest) {
        return Err(CheckError::AssertionDigest {
            found: text(&signed["record"]["digest"]),
            expected: record_digest.to_owned(),
        });
    }
    Ok(format!("bound to {expected} ({}); the signed {LABEL_RECORD} assertion names this record's digest", cert.format))
}

/// Every ingredient the certificate's signed `org.provreg.ingredients` list names (embedded
/// or referred to by digest) is a certificate in the bundle; `None` without such a list.
fn ingredients(
    view: &Result<CertificateView, CheckError>,
    certificates: &HashSet<&str>,
) -> Option<Result<String, CheckError>> {
    let view = match view {
        Ok(view) => view,
        Err(e) => return Some(Err(e.clone())),
    };
    let list = &assertion(view, LABEL_INGREDIENTS)?["ingredients"];
    let Some(list) = list.as_array() else {
        return Some(Err(CheckError::NoIngredientList(LABEL_INGREDIENTS)));
    };
    let (mut embedded, mut referred) = (0, 0);
    for ingredient in list {
        let digest = ingredient["certificateSha256"].as_str().unwrap_or_default();
        if !certificates.contains(digest) {
            return Some(Err(CheckError::IngredientMissing {
                title: ingredient["title"].to_string(),
                relationship: ingredient["relationship"].to_string(),
                digest: digest.to_owned(),
            }));
        }
        if ingredient["embedded"].as_bool() == Some(true) {
            embedded += 1;
        } else {
            referred += 1;
        }
    }
    Some(Ok(format!(
        "the {} ingredient certificates it names are in the bundle ({embedded} carried inside it, {referred} referred to by digest)",
        list.len()
    )))
}
