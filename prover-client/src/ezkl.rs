//! The EZKL backend: drives the embedded Python worker (`python/ezkl_worker.py`,
//! running the PyPI `ezkl` package) as worker processes.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OnceCell};

use crate::error::{ProverError, Result};
use crate::field::{dequantise, quantise};
use crate::record::{Circuit, EZKL_SYSTEM, ProofRecord, model_commitment, sha256_file};
use crate::venv::{stderr_tail, write_atomically};
use crate::worker::WorkerPool;
use crate::{Prover, Verifier};

/// The circuit settings file in a circuit directory.
pub const SETTINGS_FILE: &str = "settings.json";
/// The verifying key file in a circuit directory.
pub const VK_FILE: &str = "vk.key";
/// The structured reference string file in a circuit directory.
pub const SRS_FILE: &str = "kzg.srs";
/// The ONNX model in a key derivation directory ([`EzklBackend::derive_verifying_key_of`]).
pub const MODEL_FILE: &str = "model.onnx";

/// The worker script, written into the work directory on first use.
const WORKER_SCRIPT: &str = include_str!("../python/ezkl_worker.py");

/// The script that builds the fixture model (see [`build_fixture_model`]).
const BUILD_MODEL_SCRIPT: &str = include_str!("../../fixtures/generator/build_model.py");

/// The file name [`build_fixture_model`] gives the model.
pub const FIXTURE_MODEL_FILE: &str = "trait_generator.onnx";

/// The file name [`build_fixture_image_model`] gives the model.
pub const FIXTURE_IMAGE_MODEL_FILE: &str = "image_generator.onnx";

/// How a circuit is laid out, the settings that decide the cost of a small circuit more
/// than its model does: EZKL's range-check table (`decomp_base`, `decomp_legs`: a value is
/// checked as `legs` digits of base `base`), which sets the fewest rows a circuit can have,
/// and its inner columns per block (`num_inner_cols`), which set how many column
/// commitments a proof carries and so the gas of verifying it on chain. Calibration then
/// picks the fewest rows (`logrows`) the model needs with them. They are written into the
/// circuit's settings, which the circuit's commitment, certificate and evidence bundle
/// cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CircuitLayout {
    /// `decomp_base`.
    pub base: u32,
    /// `decomp_legs`.
    pub legs: u32,
    /// `num_inner_cols`.
    pub inner_cols: u32,
}

impl CircuitLayout {
    /// Base 256, 3 legs, one inner column (the default): a value checked in the circuit must
    /// be below 2^24 in magnitude at its scale (below 2,048 at scale 13), and the fixture model
    /// calibrates to logrows 11 (1,828 rows). With the same scales it gives the same outputs
    /// as [`Self::FOUR_LEGS`] and [`Self::LEGACY`], with a proof of 1,952 bytes (3,072 with
    /// [`Self::LEGACY`]), proving in about half the time of [`Self::FOUR_LEGS`].
    pub const FAST: Self = Self { base: 256, legs: 3, inner_cols: 1 };
    /// Base 256, 4 legs, one inner column: the default before [`Self::FAST`] (logrows 12 for
    /// the fixture: its 2,104 rows are just over 2^11).
    pub const FOUR_LEGS: Self = Self { base: 256, legs: 4, inner_cols: 1 };
    /// Base 16384, 2 legs, two inner columns: EZKL's own defaults, used for circuits set up
    /// before [`Self::FOUR_LEGS`] (logrows 15 for the fixture).
    pub const LEGACY: Self = Self { base: 16384, legs: 2, inner_cols: 2 };
    /// The layouts earlier defaults used, newest first: a model version registered with one of
    /// them keeps proving with its own circuit.
    pub const EARLIER: [Self; 2] = [Self::FOUR_LEGS, Self::LEGACY];

    /// The circuit directory name of the model with SHA-256 `onnx_sha256`:
    /// `<onnx_sha256>` for [`Self::LEGACY`] (where such circuits were always made),
    /// `<onnx_sha256>-d<base>x<legs>c<inner_cols>` otherwise.
    pub fn dir_name(self, onnx_sha256: &str) -> String {
        if self == Self::LEGACY {
            onnx_sha256.to_owned()
        } else {
            format!("{onnx_sha256}-d{}x{}c{}", self.base, self.legs, self.inner_cols)
        }
    }
}

impl Default for CircuitLayout {
    fn default() -> Self {
        Self::FAST
    }
}

/// Where the worker and the circuits live.
#[derive(Debug, Clone)]
pub struct EzklConfig {
    /// The Python interpreter that has `ezkl` installed (default `python3`;
    /// see [`crate::venv::ensure_venv`]).
    pub python: PathBuf,
    /// A worker script to run instead of the embedded one. `None` (the
    /// default) writes the embedded worker to
    /// `work_dir/.worker/ezkl_worker-<first 12 hex digits of its SHA-256>.py`
    /// on first use.
    pub worker_script: Option<PathBuf>,
    /// Circuits are made in `work_dir/<`[`CircuitLayout::dir_name`]`>/`.
    pub work_dir: PathBuf,
    /// How many worker processes may run at once (default 1, at least 1).
    pub workers: usize,
    /// The layout of circuits set up from now on (default [`CircuitLayout::FAST`]).
    pub layout: CircuitLayout,
}

impl EzklConfig {
    /// Defaults (`python3`, the embedded worker, one worker process),
    /// circuits under `work_dir`.
    pub fn new(work_dir: impl Into<PathBuf>) -> Self {
        Self {
            python: PathBuf::from("python3"),
            worker_script: None,
            work_dir: work_dir.into(),
            workers: 1,
            layout: CircuitLayout::FAST,
        }
    }

    /// Set circuits up with this layout.
    pub fn with_layout(mut self, layout: CircuitLayout) -> Self {
        self.layout = layout;
        self
    }

    /// Use this Python interpreter.
    pub fn with_python(mut self, python: impl Into<PathBuf>) -> Self {
        self.python = python.into();
        self
    }

    /// Use this worker script instead of the embedded one.
    pub fn with_worker_script(mut self, script: impl Into<PathBuf>) -> Self {
        self.worker_script = Some(script.into());
        self
    }

    /// Keep up to `n` worker processes (at least one), so `n` calls run in parallel.
    pub fn with_workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// The worker script the backend runs: the override, or where the
    /// embedded worker is written.
    pub fn worker_script_path(&self) -> PathBuf {
        self.worker_script.clone().unwrap_or_else(|| embedded_worker_path(&self.work_dir))
    }
}

/// `work_dir/.worker/ezkl_worker-<first 12 hex of the embedded worker's SHA-256>.py`.
fn embedded_worker_path(work_dir: &Path) -> PathBuf {
    let digest = hex::encode(Sha256::digest(WORKER_SCRIPT.as_bytes()));
    work_dir.join(".worker").join(format!("ezkl_worker-{}.py", &digest[..12]))
}

/// A verifying key derived from a model ([`EzklBackend::derive_verifying_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedKey {
    /// The verifying key file's bytes.
    pub verifying_key: Vec<u8>,
    /// Its SHA-256, lower-case hex.
    pub vk_sha256: String,
    /// SHA-256 of the compiled circuit it was derived from (not reproducible byte for byte
    /// across compilations; the key is).
    pub compiled_sha256: String,
    /// The version of the proof system that derived it.
    pub system_version: String,
}

/// [`Prover`] and [`Verifier`] over EZKL. Worker processes start on first
/// use; each handles one request at a time, and up to
/// [`EzklConfig::workers`] requests run at once.
#[derive(Debug)]
pub struct EzklBackend {
    config: EzklConfig,
    script: PathBuf,
    /// Set once the worker script is in place.
    script_ready: OnceCell<()>,
    pool: WorkerPool,
    /// Setups write the circuit files; one at a time.
    setup_lock: Mutex<()>,
}

impl EzklBackend {
    /// A backend with `config`; nothing is written or started until the first call.
    pub fn new(config: EzklConfig) -> Self {
        let script = config.worker_script_path();
        let pool = WorkerPool::new(&config.python, std::slice::from_ref(&script), config.workers);
        Self { config, script, script_ready: OnceCell::new(), pool, setup_lock: Mutex::new(()) }
    }

    /// The configuration.
    pub fn config(&self) -> &EzklConfig {
        &self.config
    }

    /// How many worker processes may run at once.
    pub fn workers(&self) -> usize {
        self.pool.size()
    }

    /// The version of the `ezkl` package the worker runs.
    pub async fn system_version(&self) -> Result<String> {
        let answer = self.call(&json!({ "cmd": "version" })).await?;
        string_field(&answer, "ezkl_version")
    }

    /// Derives a circuit's verifying key from the model itself: compiles the ONNX model at
    /// `model` with the settings in `dir` ([`SETTINGS_FILE`]) and runs the key setup over
    /// the SRS in `dir` ([`SRS_FILE`]), which are given, not made. The key setup is
    /// deterministic for a circuit and an SRS, so the key is the one any prover of this
    /// model with these settings and SRS has. Leaves the compiled circuit and [`VK_FILE`]
    /// in `dir` (the proving key is removed). An error means the model does not compile
    /// with the settings or the SRS is not usable ([`ProverError::Worker`]).
    pub async fn derive_verifying_key(&self, model: &Path, dir: &Path) -> Result<DerivedKey> {
        let answer = self.call(&json!({ "cmd": "derive", "model": model, "dir": dir })).await?;
        let read = |key: &'static str| {
            let path = string_field(&answer, key).map(PathBuf::from);
            async move {
                let path = path?;
                tokio::fs::read(&path).await.map_err(|source| ProverError::ReadFile { path, source })
            }
        };
        let verifying_key = read("vk").await?;
        let compiled = read("compiled").await?;
        Ok(DerivedKey {
            vk_sha256: hex::encode(Sha256::digest(&verifying_key)),
            verifying_key,
            compiled_sha256: hex::encode(Sha256::digest(&compiled)),
            system_version: string_field(&answer, "ezkl_version")?,
        })
    }

    /// [`Self::derive_verifying_key`] from bytes: writes the ONNX model ([`MODEL_FILE`]), the
    /// settings and the SRS into `dir` (made if missing), then derives the key there.
    pub async fn derive_verifying_key_of(
        &self,
        dir: &Path,
        onnx: &[u8],
        settings: &[u8],
        srs: &[u8],
    ) -> Result<DerivedKey> {
        for (name, bytes) in [(MODEL_FILE, onnx), (SETTINGS_FILE, settings), (SRS_FILE, srs)] {
            write_atomically(&dir.join(name), bytes).await?;
        }
        self.derive_verifying_key(&dir.join(MODEL_FILE), dir).await
    }

    pub(crate) async fn call(&self, request: &Value) -> Result<Value> {
        self.script_ready.get_or_try_init(|| self.install_worker_script()).await?;
        self.pool.call(request).await
    }

    /// Write the embedded worker script unless it is overridden or already there.
    async fn install_worker_script(&self) -> Result<()> {
        if self.config.worker_script.is_some() {
            return Ok(());
        }
        if tokio::fs::read(&self.script).await.is_ok_and(|bytes| bytes == WORKER_SCRIPT.as_bytes()) {
            return Ok(());
        }
        write_atomically(&self.script, WORKER_SCRIPT.as_bytes()).await
    }
}

impl EzklBackend {
    /// [`Prover::setup`] with `layout` instead of the configured one, in that range
    /// check's directory; idempotent like it.
    pub async fn setup_with(&self, model: &Path, layout: CircuitLayout) -> Result<Circuit> {
        let (model, onnx_sha256) = self.identify(model).await?;
        self.setup_in(&model, &onnx_sha256, layout).await
    }

    /// The circuit of `model` with `layout` when one is set up in the work directory
    /// already (nothing is made); `Ok(None)` otherwise.
    pub async fn existing_circuit(&self, model: &Path, layout: CircuitLayout) -> Result<Option<Circuit>> {
        let (model, onnx_sha256) = self.identify(model).await?;
        let dir = self.config.work_dir.join(layout.dir_name(&onnx_sha256));
        if !dir.join(SETTINGS_FILE).is_file() || !dir.join(VK_FILE).is_file() {
            return Ok(None);
        }
        self.setup_in(&model, &onnx_sha256, layout).await.map(Some)
    }

    /// The absolute path of `model` and its SHA-256.
    async fn identify(&self, model: &Path) -> Result<(PathBuf, String)> {
        let model =
            std::path::absolute(model).map_err(|source| ProverError::ReadFile { path: model.into(), source })?;
        let onnx_sha256 = sha256_file(&model).await?;
        Ok((model, onnx_sha256))
    }

    /// Sets up the circuit of the model at absolute path `model` (SHA-256 `onnx_sha256`)
    /// with `layout`, in that layout's directory.
    async fn setup_in(&self, model: &Path, onnx_sha256: &str, layout: CircuitLayout) -> Result<Circuit> {
        let dir = self.config.work_dir.join(layout.dir_name(onnx_sha256));
        let _setup = self.setup_lock.lock().await;
        let request = json!({
            "cmd": "setup",
            "model": model,
            "dir": dir,
            "decomp_base": layout.base,
            "decomp_legs": layout.legs,
            "num_inner_cols": layout.inner_cols,
        });
        self.call(&request).await?;
        Circuit::from_dir(&dir, onnx_sha256).await
    }
}

impl Prover for EzklBackend {
    /// Sets the circuit up with the configured [`CircuitLayout`] (see
    /// [`EzklBackend::setup_with`]).
    async fn setup(&self, model: &Path) -> Result<Circuit> {
        self.setup_with(model, self.config.layout).await
    }

    async fn prove(&self, circuit: &Circuit, seed: &[f32]) -> Result<(Vec<f32>, ProofRecord)> {
        let answer = self.call(&json!({ "cmd": "prove", "dir": circuit.dir, "seed": seed })).await?;
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
            || record.public_inputs.len() != circuit.input_len
            || record.public_outputs.len() != circuit.output_len
        {
            return Ok(false);
        }
        let instances: Vec<&String> = record.public_inputs.iter().chain(&record.public_outputs).collect();
        let request = json!({
            "cmd": "verify",
            "dir": circuit.dir,
            "proof": { "proof_hex": hex::encode(&record.proof), "instances": instances },
        });
        let answer = self.call(&request).await?;
        answer.get("ok").and_then(Value::as_bool).ok_or_else(|| ProverError::Protocol(format!("no `ok` in {answer}")))
    }
}

impl Circuit {
    /// The public inputs a proof of `seed` carries: each value quantised at
    /// the circuit's input scale.
    pub fn quantise_seed(&self, seed: &[f32]) -> Result<Vec<String>> {
        seed.iter().map(|&v| quantise(f64::from(v), self.input_scale)).collect()
    }

    /// The circuit in `dir`, which holds at least [`SETTINGS_FILE`],
    /// [`VK_FILE`] and [`SRS_FILE`] (all a verifier needs; the ONNX model and
    /// the proving key may be absent), for the model whose SHA-256 is
    /// `onnx_sha256`. Digests, scales and input and output lengths are read
    /// from the files.
    pub async fn from_dir(dir: &Path, onnx_sha256: &str) -> Result<Circuit> {
        let settings_path = dir.join(SETTINGS_FILE);
        let settings_text = tokio::fs::read(&settings_path)
            .await
            .map_err(|source| ProverError::ReadFile { path: settings_path.clone(), source })?;
        let settings_sha256 = hex::encode(Sha256::digest(&settings_text));
        let shape = CircuitShape::parse(&settings_path, &settings_text)?;
        let vk_sha256 = sha256_file(&dir.join(VK_FILE)).await?;
        let srs_sha256 = sha256_file(&dir.join(SRS_FILE)).await?;
        let commitment = model_commitment(onnx_sha256, &settings_sha256, &vk_sha256)?;
        Ok(Circuit {
            dir: dir.to_path_buf(),
            onnx_sha256: onnx_sha256.to_owned(),
            settings_sha256,
            vk_sha256,
            srs_sha256,
            commitment,
            input_scale: shape.input_scale,
            output_scale: shape.output_scale,
            input_len: shape.input_len,
            output_len: shape.output_len,
        })
    }
}

/// What the settings say about the public values.
#[derive(Debug, PartialEq, Eq)]
struct CircuitShape {
    input_scale: u32,
    output_scale: u32,
    input_len: usize,
    output_len: usize,
}

impl CircuitShape {
    fn parse(path: &Path, text: &[u8]) -> Result<Self> {
        let bad = |reason: String| ProverError::Settings { path: path.to_path_buf(), reason };
        let settings: Value = serde_json::from_slice(text).map_err(|e| bad(e.to_string()))?;
        let scale = |key: &str| {
            settings
                .get(key)
                .and_then(|v| v.get(0))
                .and_then(Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| bad(format!("no `{key}[0]` scale")))
        };
        let shapes = settings
            .get("model_instance_shapes")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `model_instance_shapes` list".into()))?;
        let len = |index: usize, what: &str| -> Result<usize> {
            let shape = shapes
                .get(index)
                .and_then(Value::as_array)
                .ok_or_else(|| bad(format!("no {what} shape (`model_instance_shapes[{index}]`)")))?;
            shape.iter().try_fold(1usize, |product, dim| {
                dim.as_u64()
                    .and_then(|d| usize::try_from(d).ok())
                    .and_then(|d| product.checked_mul(d))
                    .ok_or_else(|| bad(format!("`model_instance_shapes[{index}]` is not a list of sizes: {dim}")))
            })
        };
        Ok(Self {
            input_scale: scale("model_input_scales")?,
            output_scale: scale("model_output_scales")?,
            input_len: len(0, "input")?,
            output_len: len(1, "output")?,
        })
    }
}

/// Build the fixture "trait generator" model (seed\[1,8\] → Gemm 8→16 → Relu
/// → Gemm 16→4, fixed seeded weights, the same bytes on every build) with
/// `python` (which needs `onnx` and `numpy`, as [`crate::venv::ensure_venv`]
/// provides). Writes `out_dir/trait_generator.onnx` and, beside it, the
/// `calibration.json` that [`Prover::setup`] uses; returns the model's path.
pub async fn build_fixture_model(python: &Path, out_dir: &Path) -> Result<PathBuf> {
    build_model(python, out_dir, None, false).await
}

/// The fixture "image generator" in `out_dir` (`image_generator.onnx` with its
/// `calibration.json`): the trait generator's layers with 64 outputs, an 8×8 image whose
/// pixels are the proof's public outputs (drawn by `provreg-render`'s `palette-8x8`).
pub async fn build_fixture_image_model(python: &Path, out_dir: &Path) -> Result<PathBuf> {
    build_model(python, out_dir, None, true).await
}

/// Like [`build_fixture_model`], but with other weights drawn from `weights_seed`: another
/// model of the same shape, e.g. to show that its proofs do not pass for the fixture's
/// circuit.
pub async fn build_fixture_model_variant(python: &Path, out_dir: &Path, weights_seed: u64) -> Result<PathBuf> {
    build_model(python, out_dir, Some(weights_seed), false).await
}

async fn build_model(python: &Path, out_dir: &Path, weights_seed: Option<u64>, image: bool) -> Result<PathBuf> {
    let scratch = tempfile::Builder::new()
        .prefix("provreg-build-model-")
        .tempdir()
        .map_err(|source| ProverError::WriteFile { path: std::env::temp_dir(), source })?;
    let script = scratch.path().join("build_model.py");
    tokio::fs::write(&script, BUILD_MODEL_SCRIPT)
        .await
        .map_err(|source| ProverError::WriteFile { path: script.clone(), source })?;
    tokio::fs::create_dir_all(out_dir)
        .await
        .map_err(|source| ProverError::WriteFile { path: out_dir.to_path_buf(), source })?;
    let model = out_dir.join(if image { FIXTURE_IMAGE_MODEL_FILE } else { FIXTURE_MODEL_FILE });
    let mut command = tokio::process::Command::new(python);
    command.arg(&script);
    if let Some(seed) = weights_seed {
        command.arg("--weights-seed").arg(seed.to_string());
    }
    if image {
        command.arg("--image");
    }
    let output = command
        .arg(&model)
        .output()
        .await
        .map_err(|source| ProverError::Spawn { program: python.to_path_buf(), source })?;
    if !output.status.success() {
        return Err(ProverError::FixtureModel {
            dir: out_dir.to_path_buf(),
            status: output.status.to_string(),
            stderr: stderr_tail(&output),
        });
    }
    Ok(model)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn settings(shapes: &str) -> String {
        format!(r#"{{"model_input_scales": [13], "model_output_scales": [12], "model_instance_shapes": {shapes}}}"#)
    }

    #[test]
    fn reads_scales_and_lengths_from_settings() {
        let shape = CircuitShape::parse(Path::new("s.json"), settings("[[1, 8], [1, 4]]").as_bytes()).unwrap();
        assert_eq!(shape, CircuitShape { input_scale: 13, output_scale: 12, input_len: 8, output_len: 4 });
        let shape = CircuitShape::parse(Path::new("s.json"), settings("[[2, 3, 4], [5], [7]]").as_bytes()).unwrap();
        assert_eq!((shape.input_len, shape.output_len), (24, 5));
    }

    #[test]
    fn rejects_settings_without_usable_shapes() {
        for shapes in
            ["[[1, 8]]", "[]", "[[1, -8], [4]]", "[[1, 8], \"4\"]", "null", "[[18446744073709551615, 2], [1]]"]
        {
            let err = CircuitShape::parse(Path::new("s.json"), settings(shapes).as_bytes()).unwrap_err();
            assert!(matches!(err, ProverError::Settings { .. }), "{shapes}: {err:?}");
        }
        assert!(CircuitShape::parse(Path::new("s.json"), b"not json").is_err());
        assert!(CircuitShape::parse(Path::new("s.json"), br#"{"model_instance_shapes": [[1], [1]]}"#).is_err());
    }

    #[test]
    fn embedded_worker_lives_under_a_content_named_file() {
        let config = EzklConfig::new("/w");
        let path = config.worker_script_path();
        let digest = hex::encode(Sha256::digest(WORKER_SCRIPT.as_bytes()));
        assert_eq!(path, Path::new("/w/.worker").join(format!("ezkl_worker-{}.py", &digest[..12])));
        assert_eq!(config.with_worker_script("/x/w.py").worker_script_path(), Path::new("/x/w.py"));
        assert_eq!(EzklConfig::new("/w").with_workers(0).workers, 1);
    }

    #[tokio::test]
    async fn from_dir_reads_a_registry_style_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = settings("[[1, 8], [1, 4]]");
        std::fs::write(tmp.path().join(SETTINGS_FILE), &settings).unwrap();
        std::fs::write(tmp.path().join(VK_FILE), b"vk").unwrap();
        std::fs::write(tmp.path().join(SRS_FILE), b"srs").unwrap();
        let onnx = hex::encode([9u8; 32]);
        let circuit = Circuit::from_dir(tmp.path(), &onnx).await.unwrap();
        let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
        assert_eq!(circuit.settings_sha256, sha(settings.as_bytes()));
        assert_eq!(circuit.vk_sha256, sha(b"vk"));
        assert_eq!(circuit.srs_sha256, sha(b"srs"));
        assert_eq!(circuit.commitment, model_commitment(&onnx, &sha(settings.as_bytes()), &sha(b"vk")).unwrap());
        assert_eq!((circuit.input_len, circuit.output_len, circuit.input_scale, circuit.output_scale), (8, 4, 13, 12));

        std::fs::remove_file(tmp.path().join(SRS_FILE)).unwrap();
        assert!(matches!(Circuit::from_dir(tmp.path(), &onnx).await, Err(ProverError::ReadFile { .. })));
        std::fs::write(tmp.path().join(SRS_FILE), b"srs").unwrap();
        assert!(Circuit::from_dir(tmp.path(), "not a digest").await.is_err());
    }
}
