//! Writing a circuit's verification files (settings, verifying key, SRS) to disk: the one
//! place that does it, for the registry (circuits read from its database) and the offline
//! verifier (circuits read from an evidence bundle).
use sha2::{Digest, Sha256};

use crate::ezkl::{SETTINGS_FILE, SRS_FILE, VK_FILE};
use crate::venv::write_atomically;
use crate::{Circuit, ProverError, Result};

/// The bytes of a circuit's verification files.
#[derive(Debug, Clone, Copy)]
pub struct CircuitFileBytes<'a> {
    /// The circuit settings (JSON), whose SHA-256 is [`Circuit::settings_sha256`].
    pub settings: &'a [u8],
    /// The verifying key, whose SHA-256 is [`Circuit::vk_sha256`].
    pub verifying_key: &'a [u8],
    /// The structured reference string, whose SHA-256 is [`Circuit::srs_sha256`].
    pub srs: &'a [u8],
}

/// Writes `files` into `circuit.dir` under the names EZKL reads ([`SETTINGS_FILE`],
/// [`VK_FILE`], [`SRS_FILE`]). Every file must hash to the circuit's digest for it, or nothing
/// more is written ([`ProverError::FileDigest`]). A file already there with the right digest
/// is kept; each new one is written through a temporary file and a rename, so a reader sees
/// either the old file or the whole new one.
pub async fn write_circuit_files(circuit: &Circuit, files: CircuitFileBytes<'_>) -> Result<()> {
    let expected = [
        (SETTINGS_FILE, files.settings, circuit.settings_sha256.as_str()),
        (VK_FILE, files.verifying_key, circuit.vk_sha256.as_str()),
        (SRS_FILE, files.srs, circuit.srs_sha256.as_str()),
    ];
    for (name, bytes, sha) in expected {
        let actual = hex::encode(Sha256::digest(bytes));
        if !actual.eq_ignore_ascii_case(sha) {
            return Err(ProverError::FileDigest { name, expected: sha.to_owned(), actual });
        }
    }
    for (name, bytes, sha) in expected {
        let path = circuit.dir.join(name);
        if let Ok(existing) = tokio::fs::read(&path).await
            && hex::encode(Sha256::digest(&existing)).eq_ignore_ascii_case(sha)
        {
            continue;
        }
        write_atomically(&path, bytes).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::PathBuf;

    use super::*;

    fn circuit(dir: PathBuf, settings: &[u8], vk: &[u8], srs: &[u8]) -> Circuit {
        let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
        Circuit {
            dir,
            onnx_sha256: "00".repeat(32),
            settings_sha256: sha(settings),
            vk_sha256: sha(vk),
            srs_sha256: sha(srs),
            commitment: String::new(),
            input_scale: 0,
            output_scale: 0,
            input_len: 0,
            output_len: 0,
        }
    }

    #[tokio::test]
    async fn writes_files_that_match_their_digests_and_refuses_others() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        let c = circuit(dir.clone(), b"{}", b"vk", b"srs");
        let files = CircuitFileBytes { settings: b"{}", verifying_key: b"vk", srs: b"srs" };
        write_circuit_files(&c, files).await.unwrap();
        assert_eq!(std::fs::read(dir.join(VK_FILE)).unwrap(), b"vk");
        assert_eq!(std::fs::read(dir.join(SRS_FILE)).unwrap(), b"srs");
        // Again: kept as they are.
        write_circuit_files(&c, files).await.unwrap();

        let other = tmp.path().join("d");
        let c = circuit(other.clone(), b"{}", b"vk", b"srs");
        let bad = CircuitFileBytes { settings: b"{}", verifying_key: b"vk!", srs: b"srs" };
        let err = write_circuit_files(&c, bad).await.unwrap_err();
        assert!(matches!(err, ProverError::FileDigest { name: VK_FILE, .. }), "{err}");
        assert!(!other.join(SETTINGS_FILE).exists(), "nothing is written when a file does not match");
    }
}
