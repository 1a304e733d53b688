#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;

const OCTETS: &str = "application/octet-stream";

fn dev_identity(dir: &Path) -> (SigningIdentity, String) {
    let paths = init_dev_ca(dir).unwrap();
    let identity = SigningIdentity::from_pem_files(&paths.signer_chain, &paths.signer_key).unwrap();
    (identity, std::fs::read_to_string(&paths.ca_cert).unwrap())
}

fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn request<'a>(
    subject: Subject,
    title: &str,
    asset: &[u8],
    action: Action,
    ingredients: Vec<Ingredient<'a>>,
) -> CertificateRequest<'a> {
    CertificateRequest {
        subject,
        title: title.into(),
        format: OCTETS.into(),
        bound_sha256: sha(asset),
        action,
        record: json!({ "title": title }),
        lineage: None,
        license_terms: None,
        ingredients,
    }
}

fn parent<'a>(title: &str, cert: &'a IssuedCertificate, asset: &[u8]) -> Ingredient<'a> {
    Ingredient {
        title: title.into(),
        relation: IngredientRelation::ParentOf,
        manifest_store: &cert.manifest_store,
        bound_sha256: sha(asset),
    }
}

fn ingredient_labels(manifest: &Value) -> Vec<String> {
    manifest["ingredients"]
        .as_array()
        .map(|list| list.iter().filter_map(|i| i["active_manifest"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[test]
fn sidecar_binds_the_whole_asset_by_data_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, ca) = dev_identity(dir.path());
    let weights = b"model weights, held elsewhere".to_vec();
    let mut req = request(Subject::Dataset, "corpus", &weights, Action::Created, vec![]);
    req.license_terms = Some(json!({ "name": "CC-BY-4.0", "aiTraining": "allowed" }));
    req.lineage = Some(json!({ "derivedFrom": [] }));
    let cert = issue(&identity, &req).unwrap();
    assert_eq!(cert.digest, sha(&cert.manifest_store));
    assert_eq!(cert.signer, "provreg development signer");

    let view = inspect(&cert.manifest_store, OCTETS, Some(&weights), Some(&ca)).unwrap();
    assert_eq!(view.manifest_label, cert.manifest_label);
    assert_eq!(view.validation_state, "Trusted", "{:?}", view.validation_errors);
    assert!(view.status_codes.iter().any(|c| c == "assertion.dataHash.match"));
    let labels: Vec<&str> =
        view.manifest["assertions"].as_array().unwrap().iter().filter_map(|a| a["label"].as_str()).collect();
    for expected in
        ["c2pa.actions.v2", "org.provreg.record", "org.provreg.lineage", "org.provreg.license", "cawg.training-mining"]
    {
        assert!(labels.contains(&expected), "{expected} missing from {labels:?}");
    }

    let mut changed = weights.clone();
    changed[3] ^= 1;
    let view = inspect(&cert.manifest_store, OCTETS, Some(&changed), Some(&ca)).unwrap();
    assert_eq!(view.validation_state, "Invalid");
    assert!(view.validation_errors.iter().any(|e| e.starts_with("assertion.dataHash.mismatch")));

    // Without the asset only the binding goes unchecked; without anchors, trust.
    let view = inspect(&cert.manifest_store, OCTETS, None, Some(&ca)).unwrap();
    assert!(!view.asset_checked);
    assert_eq!(view.validation_state, "Trusted", "{:?}", view.validation_errors);
    let view = inspect(&cert.manifest_store, OCTETS, Some(&weights), None).unwrap();
    assert_eq!(view.validation_state, "Valid", "{:?}", view.validation_errors);
}

#[test]
fn lineage_reads_back_from_the_newest_certificate_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, ca) = dev_identity(dir.path());
    let (w1, w2, w3) = (b"v1 weights".as_slice(), b"v2 weights".as_slice(), b"v3".as_slice());
    let data = b"training data".as_slice();

    let dataset = issue(&identity, &request(Subject::Dataset, "data", data, Action::Created, vec![])).unwrap();
    let training_input = Ingredient {
        title: "data".into(),
        relation: IngredientRelation::InputTo,
        manifest_store: &dataset.manifest_store,
        bound_sha256: sha(data),
    };
    let v1 =
        issue(&identity, &request(Subject::ModelVersion, "m 1", w1, Action::Created, vec![training_input])).unwrap();
    let v2 =
        issue(&identity, &request(Subject::ModelVersion, "m 2", w2, Action::Retrained, vec![parent("m 1", &v1, w1)]))
            .unwrap();
    let v3 =
        issue(&identity, &request(Subject::ModelVersion, "m 3", w3, Action::FineTuned, vec![parent("m 2", &v2, w2)]))
            .unwrap();

    let view = inspect(&v3.manifest_store, OCTETS, Some(w3), Some(&ca)).unwrap();
    assert_eq!(view.validation_state, "Trusted", "{:?}", view.validation_errors);
    assert_eq!(ingredient_labels(&view.manifest), vec![v2.manifest_label.clone()]);
    let v2_manifest = &view.manifests[&v2.manifest_label];
    assert_eq!(ingredient_labels(v2_manifest), vec![v1.manifest_label.clone()]);
    let v1_manifest = &view.manifests[&v1.manifest_label];
    assert_eq!(ingredient_labels(v1_manifest), vec![dataset.manifest_label.clone()]);
    assert_eq!(v1_manifest["ingredients"][0]["relationship"], "inputTo");
    assert_eq!(v2_manifest["ingredients"][0]["relationship"], "parentOf");
}

#[test]
fn ingredients_above_the_embedding_limit_are_referred_to_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, ca) = dev_identity(dir.path());
    let (w1, w2, w3) = (b"v1 weights".as_slice(), b"v2 weights".as_slice(), b"v3".as_slice());
    let v1 = issue(&identity, &request(Subject::ModelVersion, "m 1", w1, Action::Created, vec![])).unwrap();
    // v1's store is at the limit, so v2 carries it; v2's is above it, so v3 only refers to it.
    let identity = identity.with_embed_limit(v1.manifest_store.len());
    let v2 =
        issue(&identity, &request(Subject::ModelVersion, "m 2", w2, Action::Retrained, vec![parent("m 1", &v1, w1)]))
            .unwrap();
    let v3 =
        issue(&identity, &request(Subject::ModelVersion, "m 3", w3, Action::FineTuned, vec![parent("m 2", &v2, w2)]))
            .unwrap();
    assert!(v2.manifest_store.len() > v1.manifest_store.len());
    assert!(v3.manifest_store.len() < v2.manifest_store.len(), "a deeper certificate need not be bigger");

    let v2_view = inspect(&v2.manifest_store, OCTETS, Some(w2), Some(&ca)).unwrap();
    assert!(v2_view.manifests.contains_key(&v1.manifest_label), "v2 carries v1");

    let view = inspect(&v3.manifest_store, OCTETS, Some(w3), Some(&ca)).unwrap();
    assert_eq!(view.validation_state, "Trusted", "{:?}", view.validation_errors);
    assert_eq!(view.manifests.keys().collect::<Vec<_>>(), vec![&v3.manifest_label], "v3 carries no other manifest");
    let ingredient = &view.manifest["ingredients"][0];
    let v2_digest = hex::encode(sha(&v2.manifest_store));
    assert_eq!(ingredient["relationship"], "parentOf");
    assert!(ingredient["active_manifest"].is_null(), "{ingredient:#}");
    assert_eq!(ingredient["instance_id"], format!("urn:provreg:certificate:sha256:{v2_digest}"));
    let listed = view.manifest["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == assertions::LABEL_INGREDIENTS)
        .expect("the signed ingredient list");
    assert_eq!(listed["data"]["ingredients"][0]["certificateSha256"], v2_digest.as_str());
    assert_eq!(listed["data"]["ingredients"][0]["boundSha256"], hex::encode(sha(w2)).as_str());
    assert_eq!(listed["data"]["ingredients"][0]["embedded"], false);
    let v2_listed = v2_view.manifest["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == assertions::LABEL_INGREDIENTS)
        .expect("the signed ingredient list");
    assert_eq!(v2_listed["data"]["ingredients"][0]["embedded"], true);
}

#[test]
fn inconsistent_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, _) = dev_identity(dir.path());
    let v1 = issue(&identity, &request(Subject::ModelVersion, "m 1", b"w1", Action::Created, vec![])).unwrap();

    let retrain_without_parent = request(Subject::ModelVersion, "m 2", b"w2", Action::Retrained, vec![]);
    assert!(matches!(issue(&identity, &retrain_without_parent), Err(CertError::InvalidRequest(_))));
    let created_with_parent =
        request(Subject::ModelVersion, "m 2", b"w2", Action::Created, vec![parent("m 1", &v1, b"w1")]);
    assert!(matches!(issue(&identity, &created_with_parent), Err(CertError::InvalidRequest(_))));
    // A correct use first, so the check of v1's store is cached: the bound hash is
    // still compared on every use.
    let good = request(Subject::ModelVersion, "m 2", b"w2", Action::Retrained, vec![parent("m 1", &v1, b"w1")]);
    issue(&identity, &good).unwrap();
    let wrong_parent_hash =
        request(Subject::ModelVersion, "m 2", b"w2", Action::Retrained, vec![parent("m 1", &v1, b"not w1")]);
    assert!(matches!(issue(&identity, &wrong_parent_hash), Err(CertError::Ingredient { .. })));
    let garbage = Ingredient {
        title: "junk".into(),
        relation: IngredientRelation::InputTo,
        manifest_store: b"not a manifest store",
        bound_sha256: [0; 32],
    };
    let with_garbage = request(Subject::Token, "t", b"t", Action::Generated, vec![garbage]);
    assert!(matches!(issue(&identity, &with_garbage), Err(CertError::Ingredient { .. })));
}

#[test]
fn rotated_signer_leaves_old_certificates_valid() {
    let dir = tempfile::tempdir().unwrap();
    let (old_identity, ca) = dev_identity(dir.path());
    let old = issue(&old_identity, &request(Subject::License, "licence", b"terms", Action::Created, vec![])).unwrap();

    let paths = rotate_dev_signer(dir.path()).unwrap();
    assert_eq!(std::fs::read_to_string(&paths.ca_cert).unwrap(), ca);
    let new_identity = SigningIdentity::from_pem_files(&paths.signer_chain, &paths.signer_key).unwrap();
    assert_ne!(new_identity.certificate_fingerprint(), old_identity.certificate_fingerprint());
    let new = issue(&new_identity, &request(Subject::License, "licence", b"terms", Action::Created, vec![])).unwrap();

    for cert in [&old, &new] {
        let view = inspect(&cert.manifest_store, OCTETS, Some(b"terms"), Some(&ca)).unwrap();
        assert_eq!(view.validation_state, "Trusted", "{:?}", view.validation_errors);
    }
    // The new signer can still build on certificates the old one issued.
    let req = request(
        Subject::License,
        "licence 2",
        b"terms 2",
        Action::Created,
        vec![Ingredient {
            title: "licence".into(),
            relation: IngredientRelation::ComponentOf,
            manifest_store: &old.manifest_store,
            bound_sha256: sha(b"terms"),
        }],
    );
    issue(&new_identity, &req).unwrap();
}

#[test]
fn dev_ca_is_idempotent_and_keeps_keys_private() {
    let dir = tempfile::tempdir().unwrap();
    let first = init_dev_ca(dir.path()).unwrap();
    let chain = std::fs::read(&first.signer_chain).unwrap();
    let second = init_dev_ca(dir.path()).unwrap();
    assert_eq!(first, second);
    assert_eq!(std::fs::read(&second.signer_chain).unwrap(), chain);
    #[cfg(unix)]
    for key in [&first.ca_key, &first.signer_key] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    }
    // A CA certificate without its key is not silently replaced.
    std::fs::remove_file(&first.ca_key).unwrap();
    assert!(matches!(init_dev_ca(dir.path()), Err(CertError::DevCa(_))));
}

#[test]
fn unreadable_or_mismatched_keys_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let paths = init_dev_ca(dir.path()).unwrap();
    let chain = std::fs::read(&paths.signer_chain).unwrap();

    let missing = dir.path().join("missing.key");
    assert!(matches!(SigningIdentity::from_pem_files(&paths.signer_chain, &missing), Err(CertError::Io { .. })));
    assert!(matches!(
        SigningIdentity::from_pem(&chain, b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        Err(CertError::Key(_))
    ));
    assert!(matches!(SigningIdentity::from_pem(&chain, &[0xff, 0xfe, 0x00]), Err(CertError::Key(_))));
    // The CA's key is a valid P-256 key, but not the signer's.
    let ca_key = std::fs::read(&paths.ca_key).unwrap();
    assert!(matches!(SigningIdentity::from_pem(&chain, &ca_key), Err(CertError::Key(_))));
    let signer_key = std::fs::read(&paths.signer_key).unwrap();
    assert!(matches!(SigningIdentity::from_pem(b"no certificates here", &signer_key), Err(CertError::Certificate(_))));

    let identity = SigningIdentity::from_pem(&chain, &signer_key).unwrap();
    let debug = format!("{identity:?}");
    assert!(!debug.contains("PRIVATE") && debug.contains("provreg development signer"));
    assert_eq!(identity.certificate_fingerprint().len(), 64);
}

#[test]
fn signing_identity_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SigningIdentity>();
}

/// A 1×1 RGB PNG.
const TINY_PNG: &str = "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de\
                        0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082";

#[test]
fn embedded_certificate_validates_inside_the_png() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, ca) = dev_identity(dir.path());
    let png = hex::decode(TINY_PNG).unwrap();
    let model = issue(&identity, &request(Subject::ModelVersion, "m", b"w", Action::Created, vec![])).unwrap();
    let mut req = request(
        Subject::Token,
        "token 1",
        &png,
        Action::Generated,
        vec![Ingredient {
            title: "m".into(),
            relation: IngredientRelation::InputTo,
            manifest_store: &model.manifest_store,
            bound_sha256: sha(b"w"),
        }],
    );
    req.format = "image/png".into();
    let (signed, cert) = issue_embedded(&identity, &req, &png).unwrap();

    let context = inspect::reading_context(Some(&ca)).unwrap();
    let reader = c2pa::Reader::from_context(context).with_stream("image/png", std::io::Cursor::new(&signed)).unwrap();
    assert_eq!(reader.active_label(), Some(cert.manifest_label.as_str()));
    assert_eq!(
        serde_json::to_value(reader.validation_state()).unwrap(),
        json!("Trusted"),
        "{:?}",
        reader.validation_results()
    );

    req.format = "video/mp4".into();
    assert!(matches!(issue_embedded(&identity, &req, &png), Err(CertError::UnsupportedFormat(_))));
}
