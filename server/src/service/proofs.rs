//! Checking zero-knowledge proofs at ingest: the registry's handle on the prover client's
//! verifier, and the circuit files it verifies against.
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use provreg_entities::{circuit, circuit_file};
use provreg_prover_client::{
    Circuit, CircuitFileBytes, DerivedKey, EzklBackend, ProofRecord, ProverError, VK_FILE, Verifier,
    write_circuit_files,
};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::error::{AppError, AppResult};

/// Verifies proofs against registered circuits. Each circuit's files are written once from
/// the database into `dir/<circuit id>/` and reused.
#[derive(Debug)]
pub struct ProofChecker {
    backend: EzklBackend,
    dir: PathBuf,
    ready: Mutex<HashSet<uuid::Uuid>>,
}

impl ProofChecker {
    /// A checker running `backend`, keeping circuit files under `dir`.
    pub fn new(backend: EzklBackend, dir: impl Into<PathBuf>) -> Self {
        Self { backend, dir: dir.into(), ready: Mutex::new(HashSet::new()) }
    }

    /// The version of the proof system the verifier runs.
    pub async fn system_version(&self) -> AppResult<String> {
        self.backend.system_version().await.map_err(unavailable)
    }

    /// Whether `record` is a valid proof for circuit `row`.
    pub async fn verify(&self, db: &DatabaseConnection, row: &circuit::Model, record: &ProofRecord) -> AppResult<bool> {
        let _timer = crate::metrics::metrics().proof_check();
        let circuit = self.materialise(db, row).await?;
        self.backend.verify(&circuit, record).await.map_err(unavailable)
    }

    /// The verifying key the ONNX model `onnx`, the settings and the SRS give: derived by
    /// the prover backend ([`EzklBackend::derive_verifying_key`]) in a directory of its own
    /// under `dir/derived/`, and kept there by the digests of the three inputs, so the same
    /// model, settings and SRS are derived once. A model that does not compile with the
    /// settings is `BAD_USER_INPUT` at `/onnx`; an SRS the key setup cannot use, at `/srs`.
    pub async fn derive(&self, onnx: &[u8], settings: &[u8], srs: &[u8]) -> AppResult<DerivedKey> {
        use sha2::{Digest, Sha256};
        let mut inputs = Sha256::new();
        for part in [onnx, settings, srs] {
            inputs.update(Sha256::digest(part));
        }
        let cached = self.dir.join("derived").join(hex::encode(inputs.finalize()));
        if let Some(key) = read_derived(&cached).await {
            return Ok(key);
        }
        let io = |what: &str, e: std::io::Error| AppError::Internal(format!("{what}: {e}"));
        let parent = self.dir.join("derived");
        tokio::fs::create_dir_all(&parent).await.map_err(|e| io("creating the key derivation directory", e))?;
        let work = parent.join(format!(".work-{}", uuid::Uuid::now_v7()));
        tokio::fs::create_dir_all(&work).await.map_err(|e| io("creating the key derivation directory", e))?;
        let result = async {
            let key = self.backend.derive_verifying_key_of(&work, onnx, settings, srs).await.map_err(|e| match e {
                ProverError::Worker(m) if m.contains("compile_circuit") => AppError::bad_input(
                    "/onnx",
                    "circuit",
                    format!("the model does not compile with the settings: {m}"),
                ),
                ProverError::Worker(m) if m.contains("setup") => {
                    AppError::bad_input("/srs", "srs", format!("no key can be made over this SRS: {m}"))
                }
                other => unavailable(other),
            })?;
            let meta = serde_json::json!({
                "compiledSha256": key.compiled_sha256,
                "systemVersion": key.system_version,
            });
            tokio::fs::write(work.join(DERIVED_FILE), meta.to_string()).await.map_err(|e| io("writing", e))?;
            Ok::<_, AppError>(key)
        }
        .await;
        match result {
            Ok(key) => {
                // Another derivation of the same inputs may have won the race: either is right.
                if tokio::fs::rename(&work, &cached).await.is_err() {
                    let _ = tokio::fs::remove_dir_all(&work).await;
                }
                Ok(key)
            }
            Err(e) => {
                let _ = tokio::fs::remove_dir_all(&work).await;
                Err(e)
            }
        }
    }

    async fn materialise(&self, db: &DatabaseConnection, row: &circuit::Model) -> AppResult<Circuit> {
        let dir = self.dir.join(row.id.to_string());
        let circuit = Circuit {
            dir: dir.clone(),
            onnx_sha256: row.onnx_sha256.clone(),
            settings_sha256: row.settings_sha256.clone(),
            vk_sha256: row.vk_sha256.clone(),
            srs_sha256: row.srs_sha256.clone(),
            commitment: row.commitment.clone(),
            input_scale: u32::try_from(row.input_scale).unwrap_or_default(),
            output_scale: u32::try_from(row.output_scale).unwrap_or_default(),
            input_len: usize::try_from(row.input_len).unwrap_or_default(),
            output_len: usize::try_from(row.output_len).unwrap_or_default(),
        };
        if self.is_ready(row.id) {
            return Ok(circuit);
        }
        let files = circuit_file::Entity::find_by_id(row.id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(format!("circuit {} has no files", row.id)))?;
        let bytes =
            CircuitFileBytes { settings: &files.settings, verifying_key: &files.verifying_key, srs: &files.srs };
        write_circuit_files(&circuit, bytes)
            .await
            .map_err(|e| AppError::Internal(format!("writing the files of circuit {}: {e}", row.id)))?;
        if let Ok(mut ready) = self.ready.lock() {
            ready.insert(row.id);
        }
        Ok(circuit)
    }

    fn is_ready(&self, id: uuid::Uuid) -> bool {
        self.ready.lock().is_ok_and(|r| r.contains(&id))
    }
}

/// What a key derivation gave besides the key.
const DERIVED_FILE: &str = "derived.json";

/// A key derived before, from its directory.
async fn read_derived(dir: &std::path::Path) -> Option<DerivedKey> {
    use sha2::{Digest, Sha256};
    let verifying_key = tokio::fs::read(dir.join(VK_FILE)).await.ok()?;
    let meta: serde_json::Value = serde_json::from_slice(&tokio::fs::read(dir.join(DERIVED_FILE)).await.ok()?).ok()?;
    Some(DerivedKey {
        vk_sha256: hex::encode(Sha256::digest(&verifying_key)),
        verifying_key,
        compiled_sha256: meta["compiledSha256"].as_str()?.to_owned(),
        system_version: meta["systemVersion"].as_str()?.to_owned(),
    })
}

fn unavailable(e: provreg_prover_client::ProverError) -> AppError {
    AppError::Unavailable(format!("the proof verifier failed: {e}"))
}
