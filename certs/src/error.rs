//! The one error type of the certificate module.

use std::path::PathBuf;

/// Everything that can go wrong while loading a signing identity, creating the
/// development CA, issuing or inspecting a certificate.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The certificate chain PEM is empty or holds something that is not an X.509 certificate.
    #[error("invalid certificate chain: {0}")]
    Certificate(String),
    /// The private key is unreadable, not a P-256 PKCS#8 key, or does not belong to the
    /// signing certificate. The message never contains key material.
    #[error("invalid signing key: {0}")]
    Key(String),
    /// The development CA could not be created or loaded.
    #[error("development CA: {0}")]
    DevCa(String),
    /// The certificate request is inconsistent (e.g. a retrain without a parent).
    #[error("invalid certificate request: {0}")]
    InvalidRequest(String),
    /// An ingredient's manifest store does not validate or is not bound to the stated hash.
    #[error("ingredient {title:?}: {reason}")]
    Ingredient { title: String, reason: String },
    /// The asset format cannot carry an embedded manifest.
    #[error("cannot embed a manifest into {0:?}: only image/png and image/jpeg are supported")]
    UnsupportedFormat(String),
    /// The C2PA library refused to build, sign or read a manifest.
    #[error("c2pa: {0}")]
    C2pa(#[from] c2pa::Error),
    /// JSON (de)serialisation of a manifest part failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl CertError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io { action, path: path.to_path_buf(), source }
    }
}

/// The module's result type.
pub type Result<T, E = CertError> = std::result::Result<T, E>;
