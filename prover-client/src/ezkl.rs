//! The EZKL backend: drives `fixtures/generator/ezkl_worker.py` (PyPI `ezkl`)
//! as a worker process.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::{ProverError, Result};
use crate::field::{dequantise, quantise};
use crate::record::{Circuit, EZKL_SYSTEM, ProofRecord, model_commitment, sha256_file};
use crate::worker::Worker;
use crate::{Prover, Verifier};

const SETTINGS_FILE: &str = "settings.json";
const VK_FILE: &str = "vk.key";

/// Where the worker and the circuits live.
#[derive(Debug, Clone)]
pub struct EzklConfig {
    /// The Python interpreter that has `ezkl` installed (default `python3`).
    pub python: PathBuf,
    /// The worker script (default `fixtures/generator/ezkl_worker.py`).
    pub worker_script: PathBuf,
    /// Circuits are made in `work_dir/<sha256 of the model>/`.
    pub work_dir: PathBuf,
}

impl EzklConfig {
    /// Defaults for `python` and `worker_script`, circuits under `work_dir`.
    pub fn new(work_dir: impl Into<PathBuf>) -> Self {
        Self {
            python: PathBuf::from("python3"),
            worker_script: PathBuf::from("fixtures/generator/ezkl_worker.py"),
            work_dir: work_dir.into(),
        }
    }

    /// Use this Python interpreter.
    pub fn with_python(mut self, python: impl Into<PathBuf>) -> Self {
        self.python = python.into();
        self
    }

    /// Use this worker script.
    pub fn with_worker_script(mut self, script: impl Into<PathBuf>) -> Self {
        self.worker_script = script.into();
        self
    }
}

/// [`Prover`] and [`Verifier`] over EZKL. One worker process, started on
/// first use, handles one request at a time.
#[derive(Debug)]
pub struct EzklBackend {
    config: EzklConfig,
    worker: Worker,
}

impl EzklBackend {
    /// A backend with `config`; nothing starts until the first call.
    pub fn new(config: EzklConfig) -> Self {
        let worker = Worker::new(&config.python, vec![config.worker_script.clone()]);
        Self { config, worker }
    }

    /// The version of the `ezkl` package the worker runs.
    pub async fn system_version(&self) -> Result<String> {
        let answer = self.worker.call(&json!({ "cmd": "version" })).await?;
        string_field(&answer, "ezkl_version")
    }
}

impl Prover for EzklBackend {
    async fn setup(&self, model: &Path) -> Result<Circuit> {
        let model = std::path::absolute(model).map_err(ProverError::WorkerIo)?;
        let onnx_sha256 = sha256_file(&model).await?;
        let dir = self.config.work_dir.join(&onnx_sha256);
        self.worker.call(&json!({ "cmd": "setup", "model": model, "dir": dir })).await?;

        let settings_path = dir.join(SETTINGS_FILE);
        let settings_sha256 = sha256_file(&settings_path).await?;
        let vk_sha256 = sha256_file(&dir.join(VK_FILE)).await?;
        let (input_scale, output_scale) = read_scales(&settings_path).await?;
        let commitment = model_commitment(&onnx_sha256, &settings_sha256, &vk_sha256)?;
        Ok(Circuit { dir, onnx_sha256, settings_sha256, vk_sha256, commitment, input_scale, output_scale })
    }

    async fn prove(&self, circuit: &Circuit, seed: &[f32]) -> Result<(Vec<f32>, ProofRecord)> {
        let answer = self.worker.call(&json!({ "cmd": "prove", "dir": circuit.dir, "seed": seed })).await?;
        let proof_hex = string_field(&answer, "proof_hex")?;
        let proof = hex::decode(&proof_hex).map_err(|e| ProverError::Protocol(format!("proof_hex: {e}")))?;
        let public_inputs = string_list(&answer, "inputs")?;
        let public_outputs = string_list(&answer, "outputs")?;
        if let Ok(path) = string_field(&answer, "proof_path") {
            // The record carries everything the proof file held.
            let _ = tokio::fs::remove_file(path).await;
        }
        let traits = public_outputs
            .iter()
            .map(|felt| dequantise(felt, circuit.output_scale).map(|v| v as f32))
            .collect::<Result<Vec<_>>>()?;
        let record = ProofRecord {
            system: EZKL_SYSTEM.to_owned(),
            system_version: string_field(&answer, "ezkl_version")?,
            vk_sha256: circuit.vk_sha256.clone(),
            settings_sha256: circuit.settings_sha256.clone(),
            model_commitment: circuit.commitment.clone(),
            public_inputs,
            public_outputs,
            proof,
        };
        Ok((traits, record))
    }
}

impl Verifier for EzklBackend {
    async fn verify(&self, circuit: &Circuit, record: &ProofRecord) -> Result<bool> {
        if record.system != EZKL_SYSTEM
            || record.vk_sha256 != circuit.vk_sha256
            || record.settings_sha256 != circuit.settings_sha256
            || record.model_commitment != circuit.commitment
        {
            return Ok(false);
        }
        let instances: Vec<&String> = record.public_inputs.iter().chain(&record.public_outputs).collect();
        let request = json!({
            "cmd": "verify",
            "dir": circuit.dir,
            "proof": { "proof_hex": hex::encode(&record.proof), "instances": instances },
        });
        let answer = self.worker.call(&request).await?;
        answer.get("ok").and_then(Value::as_bool).ok_or_else(|| ProverError::Protocol(format!("no `ok` in {answer}")))
    }
}

impl Circuit {
    /// The public inputs a proof of `seed` carries: each value quantised at
    /// the circuit's input scale.
    pub fn quantise_seed(&self, seed: &[f32]) -> Result<Vec<String>> {
        seed.iter().map(|&v| quantise(f64::from(v), self.input_scale)).collect()
    }
}

async fn read_scales(path: &Path) -> Result<(u32, u32)> {
    let bad = |reason: String| ProverError::Settings { path: path.to_path_buf(), reason };
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| ProverError::ReadFile { path: path.to_path_buf(), source })?;
    let settings: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let scale = |key: &str| {
        settings[key][0].as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(|| bad(format!("no `{key}[0]`")))
    };
    Ok((scale("model_input_scales")?, scale("model_output_scales")?))
}

fn string_field(answer: &Value, key: &str) -> Result<String> {
    answer
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ProverError::Protocol(format!("no string `{key}` in answer")))
}

fn string_list(answer: &Value, key: &str) -> Result<Vec<String>> {
    let items =
        answer.get(key).and_then(Value::as_array).ok_or_else(|| ProverError::Protocol(format!("no `{key}` list")))?;
    items
        .iter()
        .map(|v| {
            v.as_str().map(str::to_owned).ok_or_else(|| ProverError::Protocol(format!("`{key}` holds a non-string")))
        })
        .collect()
}
