//! The log for transparency tooling: `GET /checkpoint` (the anchored log tree's head as a C2SP
//! signed checkpoint), `GET /checkpoint/key` (the verifier key that signs it) and
//! `GET /log/consistency?oldSize=N&newSize=M` (an RFC 6962 consistency proof between two sizes). They
//! reveal sizes and hashes only, so they need no key.
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Response, handler};
use provreg_anchor::checkpoint::LogKey;

use crate::error::AppError;
use crate::export::http::refusal;
use crate::http::AppState;

/// The log's checkpoint signer: its origin line and key.
#[derive(Debug)]
pub struct LogSigner {
    pub origin: String,
    pub key: LogKey,
}

impl LogSigner {
    /// The signer of `origin` with the Ed25519 seed in `file` (64 hex digits), made there
    /// (readable by its owner only) when the file does not exist.
    pub fn load_or_create(origin: &str, file: &Path) -> Result<Self, String> {
        let seed = match std::fs::read_to_string(file) {
            Ok(text) => {
                let mut seed = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut seed)
                    .map_err(|e| format!("{}: not 64 hex digits: {e}", file.display()))?;
                seed
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let seed: [u8; 32] = rand::random();
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                write_secret(file, &format!("{}\n", hex::encode(seed)))
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                seed
            }
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        let key = LogKey::from_seed(origin, &seed).map_err(|e| format!("anchoring.log_origin {origin:?}: {e}"))?;
        Ok(Self { origin: origin.to_owned(), key })
    }
}

#[cfg(unix)]
fn write_secret(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file)?.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_secret(file: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(file, text)
}

fn text(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/plain; charset=utf-8")
        .header("cache-control", "no-cache")
        .body(body)
}

fn unavailable(why: &str) -> Response {
    refusal(AppError::Unavailable(why.to_owned()))
}

/// `GET /checkpoint`.
#[handler]
pub(crate) async fn checkpoint(Data(state): Data<&Arc<AppState>>) -> Response {
    let Some(signer) = state.log_signer.as_deref() else { return unavailable("this registry has no log key") };
    match state.registry.checkpoint(&signer.origin, &signer.key).await {
        Ok(Some(c)) => text(StatusCode::OK, c.note),
        Ok(None) => unavailable("no log entry has been anchored yet"),
        Err(e) => refusal(e),
    }
}

/// `GET /checkpoint/key`.
#[handler]
pub(crate) async fn checkpoint_key(Data(state): Data<&Arc<AppState>>) -> Response {
    match state.log_signer.as_deref() {
        Some(signer) => text(StatusCode::OK, format!("{}\n", signer.key.verifier_key())),
        None => unavailable("this registry has no log key"),
    }
}

/// `GET /log/consistency`.
#[handler]
pub(crate) async fn consistency(
    Data(state): Data<&Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let size = |name: &str| -> Result<u64, AppError> {
        let value = params
            .get(name)
            .ok_or_else(|| AppError::bad_input(&format!("/{name}"), "required", format!("`{name}` is required")))?;
        value
            .parse()
            .map_err(|_| AppError::bad_input(&format!("/{name}"), "type", format!("`{name}` must be a whole number")))
    };
    let proof = match (size("oldSize"), size("newSize")) {
        (Ok(old), Ok(new)) => state.registry.consistency_proof(old, new).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match proof {
        Ok(p) => Response::builder()
            .content_type("application/json")
            .header("cache-control", "public, max-age=31536000, immutable")
            .body(serde_json::to_string(&p).unwrap_or_default()),
        Err(e) => refusal(e),
    }
}
