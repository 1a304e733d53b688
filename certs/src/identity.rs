//! The registry's signing identity: an ES256 (P-256) certificate chain and its key.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use c2pa::{BoxedSigner, Context, SigningAlg};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::error::{CertError, Result};
use super::ingredient::IngredientCache;

/// The certificate chain and key the registry signs manifests with.
///
/// The chain PEM holds the end-entity (signing) certificate first, then the CA
/// certificates that issued it; the key is the end-entity's P-256 private key as
/// PKCS#8 PEM. The key is checked against the certificate when loaded, so a
/// mismatched pair fails here rather than producing manifests no validator accepts.
///
/// The key is held only inside the C2PA signer: `Debug` shows the signer's name and
/// certificate fingerprint, never key material.
pub struct SigningIdentity {
    signer_name: String,
    fingerprint: String,
    /// Settings for issuing (no trust checks, no automatic actions, no network) and
    /// the signer, which holds the key.
    pub(crate) issue_context: Arc<Context>,
    /// Settings for checking ingredient manifests: trust anchored in this chain's CA
    /// certificates when the chain has any.
    pub(crate) ingredient_context: Arc<Context>,
    pub(crate) ingredient_checks: IngredientCache,
    /// Largest ingredient manifest store copied into a new certificate (see
    /// [`DEFAULT_EMBED_LIMIT`]).
    pub(crate) embed_limit: usize,
}

/// Largest ingredient manifest store, in bytes, a new certificate carries whole: 64 KiB,
/// a few manifests. A bigger ingredient (the head of a long retrain chain, or a model
/// version trained on many datasets) is referred to by the SHA-256 of its store instead,
/// which the registry's log commits to and anchors. So certificates stay bounded however
/// deep the lineage grows, and the nearest ancestors remain readable from the certificate.
pub const DEFAULT_EMBED_LIMIT: usize = 64 * 1024;

impl fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("signer_name", &self.signer_name)
            .field("certificate_fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl SigningIdentity {
    /// Loads the chain and key from PEM files.
    pub fn from_pem_files(chain: &Path, key: &Path) -> Result<Self> {
        let chain_pem = std::fs::read(chain).map_err(|e| CertError::io("reading", chain, e))?;
        let key_pem = std::fs::read(key).map_err(|e| CertError::io("reading", key, e))?;
        Self::from_pem(&chain_pem, &key_pem)
    }

    /// Builds an identity from the chain PEM (end-entity first) and the PKCS#8 key PEM.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        let blocks = certificate_blocks(chain_pem)?;
        let (leaf_pem, ca_pems) =
            blocks.split_first().ok_or_else(|| CertError::Certificate("no CERTIFICATE block found".into()))?;
        let leaf_der = pem_to_der(leaf_pem)?;
        for ca in ca_pems {
            pem_to_der(ca)?;
        }
        let (_, leaf) = X509Certificate::from_der(&leaf_der)
            .map_err(|e| CertError::Certificate(format!("end-entity certificate: {e}")))?;

        check_key_matches(key_pem, leaf.public_key().subject_public_key.data.as_ref())?;
        let signer_name = subject_name(&leaf);
        let fingerprint = hex::encode(Sha256::digest(&leaf_der));

        let signer: BoxedSigner = c2pa::create_signer::from_keys(chain_pem, key_pem, SigningAlg::Es256, None)
            .map_err(|e| CertError::Key(format!("the signing library refused the pair: {e}")))?;

        let issue_context = Context::new().with_settings(issue_settings())?.with_signer(signer).into_shared();
        let anchors = (!ca_pems.is_empty()).then(|| ca_pems.concat());
        let ingredient_context = super::inspect::reading_context(anchors.as_deref())?.into_shared();

        Ok(Self {
            signer_name,
            fingerprint,
            issue_context,
            ingredient_context,
            ingredient_checks: IngredientCache::default(),
            embed_limit: DEFAULT_EMBED_LIMIT,
        })
    }

    /// The same identity with another embedding limit (see [`DEFAULT_EMBED_LIMIT`]).
    pub fn with_embed_limit(mut self, bytes: usize) -> Self {
        self.embed_limit = bytes;
        self
    }

    /// The largest ingredient manifest store a new certificate carries whole.
    pub fn embed_limit(&self) -> usize {
        self.embed_limit
    }

    /// The signing certificate's subject common name, or its organisation when it has
    /// no common name.
    pub fn signer_name(&self) -> String {
        self.signer_name.clone()
    }

    /// SHA-256 of the signing (end-entity) certificate's DER, lower-case hex.
    pub fn certificate_fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    pub(crate) fn signer(&self) -> Result<&dyn c2pa::Signer> {
        Ok(self.issue_context.signer()?)
    }
}

/// Settings used while building and signing: offline, nothing added behind our back.
fn issue_settings() -> serde_json::Value {
    serde_json::json!({
        "verify": {
            "verify_after_sign": false,
            "verify_trust": false,
            "remote_manifest_fetch": false,
            "ocsp_fetch": false
        },
        "builder": {
            "thumbnail": { "enabled": false },
            "actions": {
                "auto_created_action": { "enabled": false },
                "auto_opened_action": { "enabled": false },
                "auto_placed_action": { "enabled": false }
            }
        }
    })
}

/// The text of each `CERTIFICATE` PEM block, in order.
pub(crate) fn certificate_blocks(pem: &[u8]) -> Result<Vec<String>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = std::str::from_utf8(pem).map_err(|_| CertError::Certificate("chain PEM is not UTF-8 text".into()))?;
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start..];
        let end = after.find(END).ok_or_else(|| CertError::Certificate("unterminated CERTIFICATE block".into()))?;
        let block_len = end + END.len();
        blocks.push(format!("{}\n", &after[..block_len]));
        rest = &after[block_len..];
    }
    Ok(blocks)
}

/// Decodes one PEM certificate block and checks it parses as X.509.
fn pem_to_der(block: &str) -> Result<Vec<u8>> {
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(block.as_bytes()).map_err(|e| CertError::Certificate(format!("PEM: {e}")))?;
    X509Certificate::from_der(&pem.contents).map_err(|e| CertError::Certificate(format!("X.509: {e}")))?;
    Ok(pem.contents)
}

/// Checks that `key_pem` is a P-256 PKCS#8 key whose public key is `cert_public_key`
/// (the uncompressed SEC1 point from the certificate's SubjectPublicKeyInfo).
fn check_key_matches(key_pem: &[u8], cert_public_key: &[u8]) -> Result<()> {
    let text = std::str::from_utf8(key_pem).map_err(|_| CertError::Key("key PEM is not UTF-8 text".into()))?;
    let secret = p256::SecretKey::from_pkcs8_pem(text)
        .map_err(|_| CertError::Key("not a P-256 PKCS#8 PEM private key".into()))?;
    let public = secret.public_key();
    let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&public, false);
    if point.as_bytes() != cert_public_key {
        return Err(CertError::Key("the key does not belong to the signing certificate".into()));
    }
    Ok(())
}

fn subject_name(cert: &X509Certificate<'_>) -> String {
    let subject = cert.subject();
    subject
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .or_else(|| subject.iter_organization().next().and_then(|a| a.as_str().ok()))
        .map(str::to_owned)
        .unwrap_or_else(|| subject.to_string())
}
