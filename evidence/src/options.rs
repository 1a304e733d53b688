//! What to check beyond the bundle's own bytes, and the zero-knowledge proof verifier.
use std::path::PathBuf;
use std::sync::Arc;

use provreg_prover_client::{
    Circuit, CircuitFileBytes, EzklBackend, EzklConfig, ProofRecord, Verifier, write_circuit_files,
};

/// What to check beyond the bundle's own bytes.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// PEM trust anchors (CA certificates) the certificates' signers must chain to.
    pub trust_anchors: Option<String>,
    /// Without trust anchors, accept certificates whose signatures and assertions are valid
    /// (C2PA `Valid`) although nobody said whom to trust. Off by default: then every
    /// certificate fails with "not trusted: no trust anchor given".
    pub allow_untrusted: bool,
    /// A JSON-RPC URL of the anchor chain; without it `anchor.chain` is unconfirmed (the
    /// anchors are only the bundle's claim) and the bundle cannot be valid.
    pub rpc_url: Option<String>,
    /// The anchor contract the verifier knows to be the registry's (`0x…`): every anchor
    /// must be at this address. Without it the contract the bundle names is looked up, but
    /// `anchor.chain` stays unconfirmed (anyone can deploy a contract).
    pub contract: Option<String>,
    /// The token the verifier asked for (`chainId`, contract, token ID): the bundle must be
    /// about it. Without it the `bundle` check only reports which token the bundle is about.
    pub expected_subject: Option<(i64, String, String)>,
    /// How the zero-knowledge proof itself is checked.
    pub zk: ZkCheck,
    /// With an RPC URL: a bundle whose anchored state is not the contract's latest must have
    /// been anchored at most this long ago (`anchor.latest`); without it such a bundle is
    /// unconfirmed.
    pub max_age: Option<std::time::Duration>,
    /// The drand beacon `BEACON` seeds must come from; `None`: drand's quicknet (a seed of a
    /// local development beacon is then unconfirmed).
    pub beacon: Option<provreg_seed::BeaconKey>,
}

/// Whether and how `zk.proof` runs.
#[derive(Debug, Clone, Default)]
pub enum ZkCheck {
    /// Not asked for: `zk.proof` is skipped (the other `zk.*` checks run).
    #[default]
    Skip,
    /// Verify with this verifier.
    Verify(Arc<ProofVerifier>),
    /// Asked for, but no verifier could be set up (the reason): `zk.proof` fails.
    Unavailable(String),
}

/// The EZKL verifier `zk.proof` runs: the prover client's backend on a Python interpreter that
/// has the pinned `ezkl` package. Circuit files are written under a work directory for each
/// check and removed after it.
#[derive(Debug)]
pub struct ProofVerifier {
    backend: EzklBackend,
    work_dir: PathBuf,
}

impl ProofVerifier {
    /// A verifier running `python`, writing its files under `work_dir`.
    pub fn new(python: impl Into<PathBuf>, work_dir: impl Into<PathBuf>) -> Self {
        let work_dir = work_dir.into();
        let backend = EzklBackend::new(EzklConfig::new(work_dir.join("ezkl")).with_python(python));
        Self { backend, work_dir }
    }

    /// Derives the verifying key of the ONNX model `onnx` with `settings` over `srs` in a
    /// fresh directory; returns its SHA-256.
    pub(crate) async fn derive(&self, settings: &[u8], srs: &[u8], onnx: &[u8]) -> Result<String, String> {
        let dir = self.fresh_dir("derive-")?;
        let key = self
            .backend
            .derive_verifying_key_of(dir.path(), onnx, settings, srs)
            .await
            .map_err(|e| format!("deriving the verifying key failed: {e}"))?;
        Ok(key.vk_sha256)
    }

    /// A new directory under the work directory, removed when dropped.
    fn fresh_dir(&self, prefix: &str) -> Result<tempfile::TempDir, String> {
        std::fs::create_dir_all(&self.work_dir).map_err(|e| format!("creating {}: {e}", self.work_dir.display()))?;
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(&self.work_dir)
            .map_err(|e| format!("creating a directory in {}: {e}", self.work_dir.display()))
    }

    /// Writes the circuit's files into a fresh directory and asks EZKL.
    pub(crate) async fn verify(
        &self,
        files: CircuitFileBytes<'_>,
        circuit: Circuit,
        record: &ProofRecord,
    ) -> Result<bool, String> {
        let dir = self.fresh_dir("circuit-")?;
        let circuit = Circuit { dir: dir.path().to_path_buf(), ..circuit };
        write_circuit_files(&circuit, files).await.map_err(|e| e.to_string())?;
        self.backend.verify(&circuit, record).await.map_err(|e| format!("the EZKL verifier failed: {e}"))
    }
}
