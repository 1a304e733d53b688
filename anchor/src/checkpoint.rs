//! Signed checkpoints of the log tree in the C2SP `tlog-checkpoint` format, signed as a C2SP
//! `signed-note` with an Ed25519 log key (distinct from the C2PA signer), so the log can be
//! followed with standard transparency tooling.
//!
//! ```text
//! <origin>
//! <size>
//! <base64 log root>
//! status <base64 status map root>        (extension line)
//!
//! — <key name> <base64 key id || signature>
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

use crate::error::{AnchorError, Result};
use crate::merkle::Digest;

/// A checkpoint's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBody {
    /// The log's origin line (its unique name).
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The tree root.
    pub log_root: Digest,
    /// The status map root at that size.
    pub status_root: Digest,
}

impl CheckpointBody {
    /// The checkpoint text (the note's body), ending in a newline.
    pub fn text(&self) -> Result<String> {
        let extension = format!("status {}\n", BASE64.encode(self.status_root));
        let cp = Checkpoint::new(&self.origin, self.size, Hash(self.log_root), &extension)
            .map_err(|e| AnchorError::MalformedProof(format!("checkpoint: {e}")))?;
        String::from_utf8(cp.to_bytes()).map_err(|e| AnchorError::MalformedProof(e.to_string()))
    }

    fn parse(text: &[u8]) -> Result<Self> {
        let bad = |why: &str| AnchorError::MalformedProof(format!("checkpoint: {why}"));
        let cp = Checkpoint::from_bytes(text).map_err(|e| bad(&e.to_string()))?;
        let status =
            cp.extension().lines().find_map(|l| l.strip_prefix("status ")).ok_or_else(|| bad("no status line"))?;
        let bytes = BASE64.decode(status).map_err(|e| bad(&format!("status root: {e}")))?;
        let status_root: Digest = bytes.try_into().map_err(|_| bad("the status root is not 32 bytes"))?;
        Ok(Self { origin: cp.origin().to_owned(), size: cp.size(), log_root: cp.hash().0, status_root })
    }
}

/// The log's signing key.
pub struct LogKey {
    signer: StandardSigner,
    verifier_key: String,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey").field("verifier_key", &self.verifier_key).finish_non_exhaustive()
    }
}

impl LogKey {
    /// A key named `name` (the note's key name, e.g. the origin) from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self> {
        let signing = ed25519_dalek::SigningKey::from_bytes(seed);
        let verifier_key = signed_note::new_ed25519_verifier_key(name, &signing.verifying_key());
        let mut public = vec![1u8];
        public.extend_from_slice(signing.verifying_key().as_bytes());
        let id = signed_note::key_id(name, &public);
        let mut private = vec![1u8];
        private.extend_from_slice(seed);
        let skey = format!("PRIVATE+KEY+{name}+{id:08x}+{}", BASE64.encode(private));
        let signer = StandardSigner::new(&skey).map_err(|e| AnchorError::LogKey(e.to_string()))?;
        Ok(Self { signer, verifier_key })
    }

    /// The verifier key in the note format (`<name>+<hex id>+<base64 0x01 || public key>`),
    /// what followers configure.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// Signs a checkpoint: the signed note's text.
    pub fn sign(&self, body: &CheckpointBody) -> Result<String> {
        let mut note = Note::new(body.text()?.as_bytes(), &[])
            .map_err(|e| AnchorError::MalformedProof(format!("checkpoint note: {e}")))?;
        note.add_sigs(&[&self.signer]).map_err(|e| AnchorError::MalformedProof(format!("signing: {e}")))?;
        String::from_utf8(note.to_bytes()).map_err(|e| AnchorError::MalformedProof(e.to_string()))
    }
}

/// Checks a signed checkpoint against a verifier key and returns its content.
pub fn verify_checkpoint(note: &str, verifier_key: &str) -> Result<CheckpointBody> {
    let verifier =
        StandardVerifier::new(verifier_key).map_err(|e| AnchorError::LogKey(format!("verifier key: {e}")))?;
    let parsed = Note::from_bytes(note.as_bytes())
        .map_err(|e| AnchorError::MalformedProof(format!("signed checkpoint: {e}")))?;
    parsed
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|_| AnchorError::ProofMismatch("the checkpoint is not signed by the log key"))?;
    CheckpointBody::parse(parsed.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_and_tampering_fails() {
        let key = LogKey::from_seed("provreg.test/log", &[7u8; 32]).unwrap();
        let body =
            CheckpointBody { origin: "provreg.test/log".into(), size: 42, log_root: [1; 32], status_root: [2; 32] };
        let note = key.sign(&body).unwrap();
        assert!(note.starts_with("provreg.test/log\n42\n"), "{note}");
        assert!(
            note.contains("\nstatus AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n\n\u{2014} provreg.test/log "),
            "{note}"
        );
        assert_eq!(verify_checkpoint(&note, key.verifier_key()).unwrap(), body);
        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert!(verify_checkpoint(&tampered, key.verifier_key()).is_err());
        let other = LogKey::from_seed("provreg.test/log", &[8u8; 32]).unwrap();
        assert!(verify_checkpoint(&note, other.verifier_key()).is_err());
    }
}
