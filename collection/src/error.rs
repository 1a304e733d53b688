//! The one error type of the crate.

use std::path::PathBuf;

use provreg_prover_client::ProverError;

use crate::registry_error::RegistryError;

/// Everything that can stop a collection run, or one of its steps.
///
/// Errors that concern a single token (a rejected proof, a token registered with another
/// seed) do not end a run: they are recorded in its [`Summary`](crate::Summary). The
/// variants below end it, or come from a step (reading a spec, drawing a PNG) called on its
/// own. Each names what it concerns: a file, a spec field, a token, the registry's
/// operation with its error code and message.
#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    /// The API key file could not be read.
    #[error("cannot read the API key file {path}")]
    ApiKeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The API key file holds nothing but white space.
    #[error("the API key file {path} is empty")]
    EmptyApiKeyFile { path: PathBuf },
    /// No key file was given, no key in the environment, and no development key exists.
    #[error(
        "no API key: pass --api-key-file, set {env}, or start the registry with `provreg serve --dev`, which writes \
         {dev_key}",
        env = crate::API_KEY_ENV,
        dev_key = dev_key.display()
    )]
    NoApiKey {
        /// Where the development key was looked for.
        dev_key: PathBuf,
    },

    /// The spec file could not be read.
    #[error("cannot read the collection spec {path}")]
    SpecFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The spec file was read but is not a valid spec; the source says where.
    #[error("invalid collection spec {path}")]
    InvalidSpecFile {
        path: PathBuf,
        #[source]
        source: Box<CollectionError>,
    },
    /// The spec is not TOML of the spec's shape: one `field.path: what is wrong` per line.
    #[error("{0}")]
    SpecSyntax(String),
    /// A spec field breaks a rule its type does not express.
    #[error("{field}: {reason}")]
    SpecField { field: String, reason: String },
    /// The registry has nothing (or more than one thing) by the name a spec field gives.
    #[error("{field}: {reason}")]
    NotFound { field: String, reason: String },
    /// A training dataset of the spec could not be resolved; the source says why.
    #[error("model.training_data[{index}]")]
    TrainingData {
        index: usize,
        #[source]
        source: Box<CollectionError>,
    },
    /// The spec's model version is registered with other weights than the ONNX file's.
    #[error(
        "model.onnx: model version {label} ({version_id}) is registered with weightsSha256 {registered}, but the ONNX \
         model ({onnx}) hashes to {actual}; use the model file it was registered with, or a new version label"
    )]
    WeightsMismatch { label: String, version_id: String, registered: String, onnx: String, actual: String },
    /// The spec's model version is revoked.
    #[error(
        "model.version: model version {label} ({version_id}) is revoked; the registry accepts no new tokens from it"
    )]
    VersionRevoked { label: String, version_id: String },
    /// The version's registered circuit is not the one set up locally.
    #[error(
        "model version {label} has circuit {circuit_id} with commitment {registered}, but the circuit set up here (in \
         {}) has commitment {local}: its keys were made elsewhere, so the registry would reject these proofs; use that \
         work directory (--work-dir) or register a new version",
        dir.display()
    )]
    CircuitMismatch { label: String, circuit_id: String, registered: String, dir: PathBuf, local: String },

    /// The prover's Python environment could not be made.
    #[error("preparing the prover's Python environment")]
    ProverEnvironment(#[source] ProverError),
    /// The built-in fixture model could not be built.
    #[error("building the fixture model")]
    FixtureModel(#[source] ProverError),
    /// The fixture model builder gave a path without a file name.
    #[error("the fixture model {} has no file name", .0.display())]
    FixtureModelPath(PathBuf),
    /// The ONNX file could not be hashed.
    #[error("model.onnx: hashing {path}")]
    HashModel {
        path: PathBuf,
        #[source]
        source: ProverError,
    },
    /// The circuit (settings, keys, SRS) could not be set up.
    #[error("setting up the circuit of {onnx}")]
    CircuitSetup {
        onnx: PathBuf,
        #[source]
        source: ProverError,
    },
    /// The prover did not say which EZKL version it runs.
    #[error("asking the prover for its EZKL version")]
    ProverVersion(#[source] ProverError),
    /// A local file could not be read, written or moved.
    #[error("{action} {path}")]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A built file could not be moved into place.
    #[error("moving {} to {}", from.display(), to.display())]
    Move {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A circuit file that should be text is not UTF-8.
    #[error("{path} is not UTF-8")]
    NotUtf8 { path: PathBuf },

    /// A spec with `[onchain]`, but no chain to mint on.
    #[error(
        "no chain to mint on: pass --rpc-url, set onchain.rpc_url in the spec or anchoring.rpc_url in the \
         configuration, or start the registry with `provreg serve --dev`, which writes {}",
        dev_file.display()
    )]
    NoChain {
        /// Where the dev chain's URL was looked for.
        dev_file: PathBuf,
    },
    /// A spec with `[onchain]`, but no key to mint with.
    #[error(
        "no minter key: pass --minter-key-file, set {env}, or start the registry with `provreg serve --dev`, which \
         writes {}",
        dev_key.display(),
        env = crate::onchain::MINTER_KEY_ENV
    )]
    NoMinterKey {
        /// Where the development minter key was looked for.
        dev_key: PathBuf,
    },
    /// A file that should hold a value holds only white space.
    #[error("{what} {path} is empty")]
    EmptyFile { what: &'static str, path: PathBuf },
    /// Talking to the chain failed.
    #[error("{action}: {reason}")]
    Chain { action: String, reason: String },
    /// The collection's minter is not the minter key's account.
    #[error(
        "collection {collection} is minted by {minter}, but the minter key is of {key}: use that account's key \
         (--minter-key-file), or leave collection.contract out to deploy a collection of your own"
    )]
    WrongMinter { collection: String, minter: String, key: String },

    /// The registry URL is not an http:// or https:// URL.
    #[error("the registry URL must start with http:// or https://, got {0:?}")]
    RegistryUrl(String),
    /// The API key is empty.
    #[error("the API key is empty")]
    EmptyApiKey,
    /// The HTTP client could not be made.
    #[error("cannot make an HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// The registry could not be reached; `reason` is the transport error with its causes.
    #[error("{operation}: cannot reach the registry at {endpoint}: {reason}")]
    Unreachable { operation: String, endpoint: String, reason: String },
    /// The registry's answer could not be read.
    #[error("{operation}: reading the registry's answer failed: {reason}")]
    ReadAnswer { operation: String, reason: String },
    /// The registry refused the request body as too large.
    #[error("{operation}: the registry rejected the request body as too large (HTTP 413)")]
    RequestTooLarge { operation: String },
    /// The registry's answer is not GraphQL JSON.
    #[error("{operation}: the registry answered HTTP {status}, not GraphQL JSON: {excerpt}")]
    NotGraphql {
        operation: String,
        status: reqwest::StatusCode,
        /// The start of the body.
        excerpt: String,
    },
    /// The registry answered GraphQL JSON with an unsuccessful HTTP status and no errors.
    #[error("{operation}: the registry answered HTTP {status}: {excerpt}")]
    HttpStatus {
        operation: String,
        status: reqwest::StatusCode,
        /// The start of the body.
        excerpt: String,
    },
    /// The registry's GraphQL answer has no `data`.
    #[error("{operation}: the registry's answer has no data: {excerpt}")]
    NoData { operation: String, excerpt: String },
    /// The registry's answer lacks a field the client needs.
    #[error("the registry's answer has no {0}")]
    MissingField(String),
    /// The registry refused an operation, with its coded errors.
    #[error(transparent)]
    Registry(#[from] RegistryError),

    /// A token's run stopped the whole run (the registry went away, the key was refused).
    #[error("token {token_id}: stopped ({registered} token(s) registered before; a new run skips them)")]
    TokenStopped {
        token_id: u64,
        /// Tokens this run registered before it stopped.
        registered: usize,
        #[source]
        source: Box<CollectionError>,
    },

    /// The asset could not be drawn.
    #[error("drawing the asset")]
    Render(#[from] provreg_render::RenderError),
}

impl CollectionError {
    pub(crate) fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::SpecField { field: field.into(), reason: reason.into() }
    }

    pub(crate) fn not_found(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::NotFound { field: field.into(), reason: reason.into() }
    }

    pub(crate) fn file(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::File { action, path: path.to_path_buf(), source }
    }

    /// The registry's refusal, when that is what this is.
    pub fn registry(&self) -> Option<&RegistryError> {
        match self {
            Self::Registry(refused) => Some(refused),
            Self::TokenStopped { source, .. } | Self::TrainingData { source, .. } => source.registry(),
            _ => None,
        }
    }

    /// The message with every cause, `a: b: c`, for one line of output.
    pub fn with_causes(&self) -> String {
        with_causes(self)
    }
}

/// An error with its sources, `a: b: c` (a source already quoted is not repeated).
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// The crate's result type.
pub type Result<T, E = CollectionError> = std::result::Result<T, E>;
