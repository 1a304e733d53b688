//! The zkML fixture shared by the token tests: the trait-generator model, its circuit and
//! real EZKL proofs. The model is set up once per machine (keys are cached under the
//! target directory) and each seed is proven once per test process, on a prover thread of
//! its own so the worker processes outlive each test's runtime.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, mpsc};

use provreg_collection::proof_input;
use provreg_prover_client::{
    Circuit, EzklBackend, EzklConfig, ProofRecord, Prover, SETTINGS_FILE, SRS_FILE, VK_FILE, build_fixture_model,
    build_fixture_model_variant, default_venv_name, ensure_venv,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

/// Where the prover packages are installed for the tests (shared with the prover client's tests).
pub fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("..").join(default_venv_name())
}

/// The venv's interpreter (it may not exist yet; [`fixture`] makes it).
pub fn python() -> PathBuf {
    provreg_prover_client::venv::venv_python(&venv_dir())
}

/// The model and its circuit, set up once.
#[derive(Clone)]
pub struct Fixture {
    pub circuit: Circuit,
    /// The ONNX model the circuit is of.
    pub model: std::path::PathBuf,
}

type Proven = (Vec<f32>, ProofRecord);

enum Job {
    /// Set up the fixture model, or with `Some(seed)` the same shape with other weights.
    Setup(Option<u64>, mpsc::Sender<Result<Fixture, String>>),
    Prove(Circuit, Vec<f32>, mpsc::Sender<Result<Proven, String>>),
}

/// The prover thread: one runtime and one backend for the whole test process.
fn prover() -> &'static Mutex<mpsc::Sender<Job>> {
    static PROVER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    PROVER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("prover runtime");
            rt.block_on(async move {
                let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zk-fixture");
                let mut backend: Option<EzklBackend> = None;
                while let Ok(job) = rx.recv() {
                    match job {
                        Job::Setup(variant, reply) => {
                            let result = async {
                                let python = ensure_venv(&venv_dir()).await.map_err(|e| e.to_string())?;
                                let model = match variant {
                                    None => build_fixture_model(&python, &root.join("model")).await,
                                    Some(seed) => {
                                        build_fixture_model_variant(&python, &root.join(format!("model-{seed}")), seed)
                                            .await
                                    }
                                }
                                .map_err(|e| e.to_string())?;
                                let b = backend.get_or_insert_with(|| {
                                    EzklBackend::new(EzklConfig::new(root.join("circuits")).with_python(&python))
                                });
                                let circuit = b.setup(&model).await.map_err(|e| e.to_string())?;
                                Ok(Fixture { circuit, model })
                            }
                            .await;
                            let _ = reply.send(result);
                        }
                        Job::Prove(circuit, input, reply) => {
                            let result = match &backend {
                                Some(b) => b.prove(&circuit, &input).await.map_err(|e| e.to_string()),
                                None => Err("prove before setup".into()),
                            };
                            let _ = reply.send(result);
                        }
                    }
                }
            });
        });
        Mutex::new(tx)
    })
}

fn send(job: Job) {
    prover().lock().expect("prover channel").send(job).expect("prover thread runs");
}

/// The set-up fixture (installs the prover packages and makes the keys on first use).
pub async fn fixture() -> Fixture {
    static FIXTURE: tokio::sync::OnceCell<Fixture> = tokio::sync::OnceCell::const_new();
    FIXTURE
        .get_or_init(|| async {
            let (tx, rx) = mpsc::channel();
            send(Job::Setup(None, tx));
            tokio::task::spawn_blocking(move || rx.recv().expect("setup reply"))
                .await
                .expect("join")
                .unwrap_or_else(|e| panic!("setting up the zkML fixture failed (the tests need PyPI's ezkl): {e}"))
        })
        .await
        .clone()
}

/// Another model of the fixture's shape (other weights), set up once: its proofs must not
/// pass for the fixture's circuit.
pub async fn other_fixture() -> Fixture {
    static OTHER: tokio::sync::OnceCell<Fixture> = tokio::sync::OnceCell::const_new();
    fixture().await;
    OTHER
        .get_or_init(|| async {
            let (tx, rx) = mpsc::channel();
            send(Job::Setup(Some(7), tx));
            tokio::task::spawn_blocking(move || rx.recv().expect("setup reply"))
                .await
                .expect("join")
                .unwrap_or_else(|e| panic!("setting up the second model failed: {e}"))
        })
        .await
        .clone()
}

/// A proof by the other model of the input derived from `seed`.
pub async fn prove_other(seed: [u8; 32]) -> Proven {
    let fx = other_fixture().await;
    let input = provreg_prover_client::seed::model_input(&seed, fx.circuit.input_len, fx.circuit.input_scale)
        .expect("model input");
    let (tx, rx) = mpsc::channel();
    send(Job::Prove(fx.circuit.clone(), input, tx));
    tokio::task::spawn_blocking(move || rx.recv().expect("prove reply"))
        .await
        .expect("join")
        .unwrap_or_else(|e| panic!("proving failed: {e}"))
}

/// The 32-byte token seed numbered `n`.
pub fn seed(n: u64) -> [u8; 32] {
    Sha256::digest(format!("provreg test seed {n}").as_bytes()).into()
}

/// Traits and proof record of the model run on the input derived from `seed`, proven once
/// per process.
pub async fn prove(seed: [u8; 32]) -> Proven {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], Proven>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().expect("cache").get(&seed) {
        return hit.clone();
    }
    let fx = fixture().await;
    let input = provreg_prover_client::seed::model_input(&seed, fx.circuit.input_len, fx.circuit.input_scale)
        .expect("model input");
    let (tx, rx) = mpsc::channel();
    send(Job::Prove(fx.circuit.clone(), input, tx));
    let proven = tokio::task::spawn_blocking(move || rx.recv().expect("prove reply"))
        .await
        .expect("join")
        .unwrap_or_else(|e| panic!("proving failed: {e}"));
    cache.lock().expect("cache").insert(seed, proven.clone());
    proven
}

/// The `CircuitInput` of the fixture for model version `version`.
pub async fn circuit_input(version: &str) -> Value {
    use base64::Engine as _;
    let fx = fixture().await;
    let read = |name: &str| std::fs::read(fx.circuit.dir.join(name)).expect("circuit file");
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({
        "modelVersion": version,
        "systemVersion": provreg_prover_client::EZKL_VERSION,
        "onnx": b64(std::fs::read(&fx.model).expect("the fixture model")),
        "onnxSha256": fx.circuit.onnx_sha256,
        "settings": String::from_utf8(read(SETTINGS_FILE)).expect("settings are UTF-8"),
        "verifyingKey": b64(read(VK_FILE)),
        "srs": b64(read(SRS_FILE)),
    })
}

/// The test token contract.
pub const CONTRACT: &str = "0x00000000000000000000000000000000000C0FFE";
pub const CHAIN: i64 = 31337;

/// A `TokenInput` for token `token_id` of [`CONTRACT`] made by `version` from `seed`.
pub fn token_input(version: &str, token_id: u64, seed: [u8; 32], traits: &[f32], record: &ProofRecord) -> Value {
    let asset = json!({ "traits": traits }).to_string();
    json!({
        "chainId": CHAIN,
        "contract": CONTRACT,
        "tokenId": token_id.to_string(),
        "modelVersion": version,
        "assetSha256": hex::encode(Sha256::digest(asset.as_bytes())),
        "mediaType": "application/json",
        "name": format!("Trait #{token_id}"),
        "inputSeed": format!("0x{}", hex::encode(seed)),
        "seedSource": { "kind": "OPERATOR" },
        "traits": traits.iter().map(|t| f64::from(*t)).collect::<Vec<_>>(),
        "proof": proof_input(record),
    })
}

pub const REGISTER_CIRCUIT: &str = "mutation($input: CircuitInput!) { registerCircuit(input: $input) { id commitment inputLen outputLen inputScale outputScale digest certificate { id } logEntry { leaf } } }";
pub const REGISTER_TOKEN: &str = "mutation($input: TokenInput!) { registerToken(input: $input) { id tokenId contract traits inputSeed digest record metadataPath proofRecord { id digest modelCommitment publicInputs } certificate { id digest manifestLabel } logEntry { leaf } } }";

impl TestApp {
    /// Registers a licence and a model version whose weights are the fixture model, with its
    /// circuit; returns the version's ID.
    pub async fn proven_version(&self, model: &str) -> String {
        let version = self.proven_version_without_circuit(model).await;
        self.ok(REGISTER_CIRCUIT, json!({ "input": circuit_input(&version).await })).await;
        version
    }

    /// Registers a licence and a model version whose weights are the fixture model; returns
    /// the version's ID.
    pub async fn proven_version_without_circuit(&self, model: &str) -> String {
        let fx = fixture().await;
        let license = self.license(&format!("{model} weights licence"), "ALLOWED").await;
        let mut input = crate::helpers::version_input(model, "v1", &license, None, &[]);
        input["weightsSha256"] = json!(fx.circuit.onnx_sha256);
        input["architecture"] = json!("onnx mlp 8-16-4");
        let data = self.ok(crate::helpers::REGISTER_VERSION, json!({ "input": input })).await;
        data["registerModelVersion"]["id"].as_str().expect("id").to_owned()
    }

    /// Proves seed `seed_n` and registers it as token `token_id` of `version`; returns the
    /// `registerToken` result.
    pub async fn proven_token(&self, version: &str, token_id: u64, seed_n: u64) -> Value {
        let s = seed(seed_n);
        let (traits, record) = prove(s).await;
        let data =
            self.ok(REGISTER_TOKEN, json!({ "input": token_input(version, token_id, s, &traits, &record) })).await;
        data["registerToken"].clone()
    }
}
