//! Proof records and circuit identities.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ProverError, Result};

/// The `system` value of records made by the EZKL backend.
pub const EZKL_SYSTEM: &str = "ezkl";

/// A proof that a committed model turned public inputs into public outputs.
///
/// Hashes are lower-case hex SHA-256 digests. Public inputs and outputs are
/// field elements in the proof system's encoding (for EZKL: 32 little-endian
/// bytes in hex, see [`crate::field`]). In JSON, `proof` is hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofRecord {
    /// The proof system, e.g. `"ezkl"`.
    pub system: String,
    /// The version of the proof system that made the proof.
    pub system_version: String,
    /// SHA-256 of the verifying key file.
    pub vk_sha256: String,
    /// SHA-256 of the circuit settings file.
    pub settings_sha256: String,
    /// See [`model_commitment`].
    pub model_commitment: String,
    /// The public inputs (the seed), as field elements.
    pub public_inputs: Vec<String>,
    /// The public outputs (the traits), as field elements.
    pub public_outputs: Vec<String>,
    /// The raw proof bytes.
    #[serde(with = "hex_bytes")]
    pub proof: Vec<u8>,
}

/// A model compiled into a circuit with its keys, as [`crate::Prover::setup`]
/// leaves it (or as [`Circuit::from_dir`] reads it back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    /// The directory holding the settings, compiled circuit, SRS and keys.
    pub dir: PathBuf,
    /// SHA-256 of the ONNX model file.
    pub onnx_sha256: String,
    /// SHA-256 of the circuit settings file.
    pub settings_sha256: String,
    /// SHA-256 of the verifying key file.
    pub vk_sha256: String,
    /// SHA-256 of the structured reference string file the keys were made with.
    pub srs_sha256: String,
    /// See [`model_commitment`].
    pub commitment: String,
    /// Fixed-point scale (log2) of the public inputs.
    pub input_scale: u32,
    /// Fixed-point scale (log2) of the public outputs.
    pub output_scale: u32,
    /// How many public input values a proof carries.
    pub input_len: usize,
    /// How many public output values a proof carries.
    pub output_len: usize,
}

/// SHA-256 over the raw digests `onnx ‖ settings ‖ vk` (32 bytes each), in hex.
///
/// It binds one model file to the exact circuit and verifying key a proof is
/// checked against.
pub fn model_commitment(onnx_sha256: &str, settings_sha256: &str, vk_sha256: &str) -> Result<String> {
    let mut hasher = Sha256::new();
    for digest in [onnx_sha256, settings_sha256, vk_sha256] {
        let bytes = hex::decode(digest).map_err(|_| ProverError::Protocol(format!("not a hex digest: {digest}")))?;
        if bytes.len() != 32 {
            return Err(ProverError::Protocol(format!("not a SHA-256 digest: {digest}")));
        }
        hasher.update(bytes);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// SHA-256 of a file's bytes, in hex.
pub async fn sha256_file(path: &Path) -> Result<String> {
    let bytes =
        tokio::fs::read(path).await.map_err(|source| ProverError::ReadFile { path: path.to_path_buf(), source })?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_hashes_the_three_digests_in_order() {
        let a = hex::encode([1u8; 32]);
        let b = hex::encode([2u8; 32]);
        let c = hex::encode([3u8; 32]);
        let mut expected = Sha256::new();
        expected.update([1u8; 32]);
        expected.update([2u8; 32]);
        expected.update([3u8; 32]);
        assert_eq!(model_commitment(&a, &b, &c).unwrap(), hex::encode(expected.finalize()));
        assert_ne!(model_commitment(&a, &b, &c).unwrap(), model_commitment(&b, &a, &c).unwrap());
        assert!(model_commitment("xy", &b, &c).is_err());
    }

    #[test]
    fn record_round_trips_through_json_with_hex_proof() {
        let record = ProofRecord {
            system: EZKL_SYSTEM.into(),
            system_version: "23.0.5".into(),
            vk_sha256: "aa".into(),
            settings_sha256: "bb".into(),
            model_commitment: "cc".into(),
            public_inputs: vec!["01".into()],
            public_outputs: vec!["02".into()],
            proof: vec![0xde, 0xad],
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["proof"], "dead");
        assert_eq!(serde_json::from_value::<ProofRecord>(json).unwrap(), record);
    }
}
