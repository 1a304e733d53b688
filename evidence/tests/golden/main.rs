//! The checked-in golden bundle (`tests/data/golden-bundle.json`, signed by the CA in
//! `tests/data/golden-ca.pem`) passes every offline check, and each tampering of one field
//! fails at its own check. No server, database or chain.
//!
//! `PROVREG_UPDATE_GOLDEN=1 cargo test -p provreg-evidence --test golden` writes the golden
//! files anew with [`generate::bundle`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod generate;
mod tamper;

use std::path::PathBuf;

use provreg_evidence::{Bundle, Outcome, Report, Status, VerifyOptions, verify_bundle};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// A signing identity from a long-lived development CA in a fresh directory, and its CA PEM.
fn identity() -> (provreg_certs::SigningIdentity, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let paths = provreg_certs::init_dev_ca_for(dir.path(), 100, 100).unwrap();
    let identity = provreg_certs::SigningIdentity::from_pem_files(&paths.signer_chain, &paths.signer_key).unwrap();
    (identity, std::fs::read_to_string(&paths.ca_cert).unwrap(), dir)
}

/// The golden bundle and its CA, written first when asked to.
fn golden() -> (Bundle, String) {
    static UPDATED: std::sync::Once = std::sync::Once::new();
    UPDATED.call_once(|| {
        if std::env::var_os("PROVREG_UPDATE_GOLDEN").is_none() {
            return;
        }
        let (identity, ca, _dir) = identity();
        let bundle = generate::bundle(&identity, generate::Variant::default());
        std::fs::write(data("golden-bundle.json"), serde_json::to_string_pretty(&bundle.to_value()).unwrap() + "\n")
            .unwrap();
        std::fs::write(data("golden-ca.pem"), ca).unwrap();
    });
    let text = std::fs::read_to_string(data("golden-bundle.json")).unwrap();
    (Bundle::from_json(&text).unwrap(), std::fs::read_to_string(data("golden-ca.pem")).unwrap())
}

fn options(ca: &str) -> VerifyOptions {
    VerifyOptions { trust_anchors: Some(ca.to_owned()), ..VerifyOptions::default() }
}

/// Checks `bundle` with the golden CA, on a runtime of its own.
fn verify(bundle: &Bundle, opts: &VerifyOptions) -> Report {
    tokio::runtime::Runtime::new().unwrap().block_on(verify_bundle(bundle, opts))
}

#[test]
fn the_golden_bundle_passes_every_offline_check() {
    let (bundle, ca) = golden();
    let report = verify(&bundle, &options(&ca));
    assert_eq!(report.count(Status::Failed), 0, "{}", report.to_text());
    // Nothing was read back from a chain, and no proof verifier ran: not valid, nothing false.
    assert_eq!(report.outcome, Outcome::Unconfirmed, "{}", report.to_text());
    let unconfirmed: Vec<_> = report.checks.iter().filter(|c| c.status == Status::Unconfirmed).collect();
    assert_eq!(unconfirmed.len(), bundle.records.len(), "only anchor.chain, once per record: {}", report.to_text());
    assert!(unconfirmed.iter().all(|c| c.name == "anchor.chain"));
    assert_eq!(report.check("zk.proof", "token", generate::ids::TOKEN).unwrap().status, Status::Skipped);
    for name in ["record.digest", "certificate.signature", "certificate.binding", "log.inclusion", "anchor", "lineage"]
    {
        for r in bundle.records.iter().filter(|r| r.kind != "statusEvent" || !name.starts_with("certificate")) {
            assert_eq!(
                report.check(name, r.kind.as_str(), &r.id).unwrap().status,
                Status::Passed,
                "{name} of {}",
                r.kind
            );
        }
    }
    // The dataset is deprecated by the bundle's status event.
    assert_eq!(report.provenance_status, "affected");
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn a_freshly_generated_bundle_passes_too() {
    let (identity, ca, _dir) = identity();
    let bundle = generate::bundle(&identity, generate::Variant::default());
    let report = verify(&bundle, &options(&ca));
    assert_eq!(report.count(Status::Failed), 0, "{}", report.to_text());
}

#[test]
fn without_the_registrys_ca_every_certificate_is_untrusted() {
    let (bundle, _) = golden();
    let (_, other_ca, _dir) = identity();
    let report = verify(&bundle, &options(&other_ca));
    let first = report.first_failure().expect("a failure");
    assert_eq!((first.name.as_str(), first.subject.kind.as_str()), ("certificate.signature", "license"));
    assert!(matches!(first.error, Some(provreg_evidence::CheckError::NotTrusted { .. })), "{first:?}");
    let no_anchor = verify(&bundle, &VerifyOptions::default());
    assert!(matches!(
        no_anchor.first_failure().and_then(|c| c.error.clone()),
        Some(provreg_evidence::CheckError::NoTrustAnchor)
    ));
}
