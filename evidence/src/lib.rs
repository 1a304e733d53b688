#![doc = include_str!("../README.md")]

pub mod bundle;
mod check_error;
mod checks;
#[cfg(feature = "cli")]
pub mod cli;
mod options;
mod parse;
mod report;
mod strict_json;

use sha2::{Digest as _, Sha256};

pub use bundle::{BUNDLE_VERSION, Bundle, BundleError, RecordRef};
pub use check_error::CheckError;
pub use checks::verify_bundle;
pub use options::{ProofVerifier, VerifyOptions, ZkCheck};
pub use report::{Check, CheckName, Outcome, Report, Status};

/// The largest ONNX model (in bytes) an evidence bundle carries for `zk.binding` to derive
/// the circuit's verifying key from again: 4 MiB.
pub const MAX_BUNDLED_MODEL: usize = 4 << 20;

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A 32-byte digest in hex, with or without `0x`.
fn parse_digest(s: &str) -> Option<[u8; 32]> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out).ok().map(|()| out)
}
