#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod circuit_files;
mod error;
pub mod evm;
pub mod ezkl;
pub mod field;
pub mod jobs;
mod record;
pub mod seed;
pub mod srs;
pub mod venv;
mod worker;

use std::future::Future;
use std::path::Path;

pub use circuit_files::{CircuitFileBytes, write_circuit_files};
pub use error::{ProverError, Result};
pub use evm::{EvmVerifier, SolcJs};
pub use ezkl::{
    CircuitLayout, DerivedKey, EzklBackend, EzklConfig, SETTINGS_FILE, SRS_FILE, VK_FILE, build_fixture_image_model,
    build_fixture_model, build_fixture_model_variant,
};
pub use jobs::{JobId, JobStatus, Jobs};
pub use record::{Circuit, EZKL_SYSTEM, ProofRecord, model_commitment, sha256_file};
pub use venv::{EZKL_VERSION, default_venv_name, ensure_venv};

/// Turns a model into a circuit and proves runs of it.
pub trait Prover {
    /// Compile `model` (an ONNX file) into a circuit and make its keys.
    /// Repeating it for the same model reuses what exists.
    fn setup(&self, model: &Path) -> impl Future<Output = Result<Circuit>> + Send;

    /// Run the circuit's model on `seed` and prove it. Returns the output
    /// traits (dequantised from the proven public outputs) and the record.
    fn prove(&self, circuit: &Circuit, seed: &[f32]) -> impl Future<Output = Result<(Vec<f32>, ProofRecord)>> + Send;
}

/// Checks proof records.
pub trait Verifier {
    /// `Ok(true)` if `record` is a valid proof for `circuit` with its public
    /// inputs and outputs; `Ok(false)` if it is not (wrong circuit, altered
    /// proof or public values, more or fewer public values than the circuit
    /// has); `Err` only when checking could not be done.
    fn verify(&self, circuit: &Circuit, record: &ProofRecord) -> impl Future<Output = Result<bool>> + Send;
}
