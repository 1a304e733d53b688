//! Checking zero-knowledge proofs at ingest: the registry's handle on the prover client's
//! verifier, and the circuit files it verifies against.
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use provreg_entities::{circuit, circuit_file};
use provreg_prover_client::{Circuit, CircuitFileBytes, EzklBackend, ProofRecord, Verifier, write_circuit_files};
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
        let circuit = self.materialise(db, row).await?;
        self.backend.verify(&circuit, record).await.map_err(unavailable)
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

fn unavailable(e: provreg_prover_client::ProverError) -> AppError {
    AppError::Unavailable(format!("the proof verifier failed: {e}"))
}
