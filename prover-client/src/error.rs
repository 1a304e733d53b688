use std::path::PathBuf;

/// Everything that can go wrong while setting up, proving or verifying.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// The worker process could not be started.
    #[error("cannot start the proving worker `{program}`: {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the worker's pipes failed.
    #[error("proving worker I/O failed: {0}")]
    WorkerIo(#[source] std::io::Error),
    /// The worker closed its output (it crashed or was killed).
    #[error("the proving worker exited before answering")]
    WorkerExited,
    /// The worker answered with an error message.
    #[error("the proving worker reported: {0}")]
    Worker(String),
    /// The worker's answer did not have the expected shape.
    #[error("malformed answer from the proving worker: {0}")]
    Protocol(String),
    /// A file of the circuit could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The circuit settings are not valid JSON or lack a field.
    #[error("invalid circuit settings {path}: {reason}")]
    Settings { path: PathBuf, reason: String },
    /// A field element is not 32 bytes of hex.
    #[error("invalid field element `{0}`")]
    FieldElement(String),
    /// A value is too large to quantise into a field element.
    #[error("value {0} cannot be quantised at scale {1}")]
    Quantise(f64, u32),
    /// A circuit file to be written does not hash to the circuit's digest for it.
    #[error("the circuit file {name} has SHA-256 {actual}, not the circuit's {expected}")]
    FileDigest { name: &'static str, expected: String, actual: String },
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The Python interpreter that should make the virtual environment cannot be run.
    #[error("cannot run `{program}` ({source}): Python 3 with its `venv` module is needed for the EZKL prover")]
    PythonMissing {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `python3 -m venv` failed.
    #[error("cannot create the virtual environment {dir} ({status}): {stderr}")]
    VenvCreate { dir: PathBuf, status: String, stderr: String },
    /// Installing the pinned Python packages failed.
    #[error("installing the EZKL prover packages into {dir} failed ({status}); pip said: {stderr}")]
    PipInstall { dir: PathBuf, status: String, stderr: String },
    /// The script that builds the fixture model failed.
    #[error("building the fixture model into {dir} failed ({status}): {stderr}")]
    FixtureModel { dir: PathBuf, status: String, stderr: String },
    /// A token seed, or the model input asked of it, is invalid.
    #[error("invalid seed: {0}")]
    Seed(String),
    /// Compiling a generated EVM verifier failed, or the compiler could not be run.
    #[error("compiling the EVM verifier: {0}")]
    EvmCompile(String),
    /// A generation job is unknown, not finished, or failed.
    #[error("{0}")]
    Job(String),
}

/// Result type of this crate.
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
