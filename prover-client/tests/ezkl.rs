#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end tests of the EZKL backend: a real model, setup, proofs and
//! verification through the embedded Python worker.
//!
//! The worker needs the packages of the embedded requirements; [`ensure_venv`]
//! installs them once into a cached virtual environment next to the target
//! directory. Without network access the end-to-end tests are skipped,
//! loudly, unless `CI` is set, in which case they fail.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use provreg_prover_client::{
    Circuit, CircuitLayout, EZKL_VERSION, EzklBackend, EzklConfig, ProofRecord, Prover, ProverError, SETTINGS_FILE,
    SRS_FILE, SolcJs, VK_FILE, Verifier, build_fixture_image_model, build_fixture_model, default_venv_name,
    ensure_venv, seed,
};
use tokio::sync::OnceCell;

const SEED: [f32; 8] = [0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8];
const OTHER_SEED: [f32; 8] = [-0.9, 0.35, 0.0, 0.25, -0.125, 0.6, -0.45, 0.05];
/// A token seed, as a VRF would give it.
const TOKEN_SEED: &str = "0x5eed5eed000102030405060708090a0b0c0d0e0f101112131415161718191a1b";

/// The model set up and proven once, shared by the end-to-end tests.
struct Prepared {
    root: PathBuf,
    python: PathBuf,
    model: PathBuf,
    circuit: Circuit,
    record: ProofRecord,
    traits: Vec<f32>,
}

impl Prepared {
    fn work_dir(&self) -> PathBuf {
        self.root.join("circuits")
    }
}

/// Why there is nothing prepared.
enum NotPrepared {
    /// The EZKL environment cannot be made (no network, no python3): a skip unless under CI.
    NoEnvironment(String),
    /// The environment is there but building or setting up the model failed.
    Failed(String),
}

static PREPARED: OnceCell<Result<Prepared, NotPrepared>> = OnceCell::const_new();

/// The shared model, circuit and proof, or `None` (after a loud message) when
/// there is no EZKL environment and `CI` is unset.
async fn prepared(test: &str) -> Option<&'static Prepared> {
    match PREPARED.get_or_init(prepare).await {
        Ok(prepared) => Some(prepared),
        Err(NotPrepared::NoEnvironment(why)) if std::env::var_os("CI").is_none() => {
            // Written to the real stderr: the test harness swallows `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!! SKIPPED {test}: no EZKL environment ({why}); set CI to make this a failure !!!!!\n"
            );
            None
        }
        Err(NotPrepared::NoEnvironment(why)) => panic!("cannot prepare the EZKL environment under CI: {why}"),
        Err(NotPrepared::Failed(why)) => panic!("{why}"),
    }
}

async fn prepare() -> Result<Prepared, NotPrepared> {
    let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    // Next to the target directory, so it survives between runs.
    let venv = target_tmp.join("..").join(default_venv_name());
    let python = ensure_venv(&venv).await.map_err(|e| NotPrepared::NoEnvironment(e.to_string()))?;

    // A fixed place (a static's temporary directory would never be removed),
    // emptied first so every run sets up from scratch.
    let root = target_tmp.join("ezkl-e2e");
    match std::fs::remove_dir_all(&root) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(NotPrepared::Failed(format!("cannot empty {}: {e}", root.display())));
        }
        _ => {}
    }
    let failed = |what: &str| {
        let what = what.to_owned();
        move |e: ProverError| NotPrepared::Failed(format!("{what}: {e}"))
    };
    let model = build_fixture_model(&python, &root.join("model")).await.map_err(failed("building the model"))?;
    assert!(model.ends_with("model/trait_generator.onnx"));
    assert!(model.with_file_name("calibration.json").is_file());

    // The embedded worker: no files from the source tree.
    let backend = EzklBackend::new(EzklConfig::new(root.join("circuits")).with_python(&python));
    let started = Instant::now();
    let circuit = backend.setup(&model).await.map_err(failed("setup"))?;
    eprintln!("setup: {:?}", started.elapsed());
    let started = Instant::now();
    let (traits, record) = backend.prove(&circuit, &SEED).await.map_err(failed("prove"))?;
    eprintln!("prove: {:?}", started.elapsed());
    Ok(Prepared { root, python, model, circuit, record, traits })
}

fn backend(python: &Path, work_dir: &Path) -> EzklBackend {
    EzklBackend::new(EzklConfig::new(work_dir).with_python(python))
}

#[tokio::test]
async fn setup_prove_and_verify_the_trait_generator() {
    let Some(p) = prepared("setup_prove_and_verify_the_trait_generator").await else { return };
    let (circuit, record) = (&p.circuit, &p.record);
    let backend = backend(&p.python, &p.work_dir());
    assert_eq!(backend.system_version().await.unwrap(), EZKL_VERSION);

    let worker_dir = p.work_dir().join(".worker");
    let scripts: Vec<_> = std::fs::read_dir(&worker_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(scripts.len(), 1, "one worker script, no leftovers: {scripts:?}");
    assert!(scripts[0].to_string_lossy().starts_with("ezkl_worker-"));

    let again = backend.setup(&p.model).await.unwrap();
    assert_eq!(&again, circuit, "a second setup reuses the circuit and keys");
    assert_eq!((circuit.input_len, circuit.output_len), (8, 4));
    assert_eq!(circuit.srs_sha256.len(), 64);

    assert_eq!(p.traits.len(), 4);
    assert_eq!(record.system, "ezkl");
    assert_eq!(record.system_version, EZKL_VERSION);
    assert_eq!(record.model_commitment, circuit.commitment);
    assert_eq!(record.public_inputs, circuit.quantise_seed(&SEED).unwrap(), "public input is the quantised seed");
    assert_eq!(record.public_outputs.len(), 4);

    let started = Instant::now();
    assert!(backend.verify(circuit, record).await.unwrap());
    eprintln!("verify: {:?}", started.elapsed());

    // The record survives a trip through JSON.
    let json = serde_json::to_string(record).unwrap();
    assert!(backend.verify(circuit, &serde_json::from_str(&json).unwrap()).await.unwrap());

    // One byte of the proof changed.
    let mut tampered = record.clone();
    tampered.proof[100] ^= 0x01;
    assert!(!backend.verify(circuit, &tampered).await.unwrap());

    // The proof presented with another seed as its public input.
    let mut other_input = record.clone();
    other_input.public_inputs = circuit.quantise_seed(&OTHER_SEED).unwrap();
    assert!(!backend.verify(circuit, &other_input).await.unwrap());

    // A real proof of the other seed verifies, and gives other traits.
    let (other_traits, other) = backend.prove(circuit, &OTHER_SEED).await.unwrap();
    assert_ne!(other_traits, p.traits);
    assert!(backend.verify(circuit, &other).await.unwrap());

    // A record for another circuit is refused before any proof check.
    let mut foreign = record.clone();
    foreign.model_commitment = "00".repeat(32);
    assert!(!backend.verify(circuit, &foreign).await.unwrap());

    // More or fewer public values than the circuit has.
    let mut longer = record.clone();
    longer.public_inputs.push(longer.public_inputs[0].clone());
    assert!(!backend.verify(circuit, &longer).await.unwrap());
    let mut shorter = record.clone();
    shorter.public_outputs.pop();
    assert!(!backend.verify(circuit, &shorter).await.unwrap());
}

/// What a registry checks: the proof's public input is the input derived from the token's seed.
#[tokio::test]
async fn a_proof_of_the_input_derived_from_a_token_seed() {
    let Some(p) = prepared("a_proof_of_the_input_derived_from_a_token_seed").await else { return };
    let circuit = &p.circuit;
    let backend = backend(&p.python, &p.work_dir());
    let token_seed = seed::parse_seed(TOKEN_SEED).unwrap();
    let input = seed::model_input(&token_seed, circuit.input_len, circuit.input_scale).unwrap();
    let (_, record) = backend.prove(circuit, &input).await.unwrap();
    let expected = input
        .iter()
        .map(|v| provreg_prover_client::field::quantise(f64::from(*v), circuit.input_scale))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(record.public_inputs, expected, "the proven input is exactly the derived one");
    assert!(backend.verify(circuit, &record).await.unwrap());
}

/// Copies what a registry holds of `circuit` (settings, verifying key, SRS) into `root/circuit`.
fn copy_registry_files(circuit: &Circuit, root: &Path) -> PathBuf {
    let dir = root.join("circuit");
    std::fs::create_dir_all(&dir).unwrap();
    for name in [SETTINGS_FILE, VK_FILE, SRS_FILE] {
        std::fs::copy(circuit.dir.join(name), dir.join(name)).unwrap();
    }
    dir
}

/// A registry never holds the model or the proving key: the settings, the
/// verifying key and the SRS are enough to rebuild the circuit and verify.
#[tokio::test]
async fn a_registry_verifies_with_settings_vk_and_srs_alone() {
    let Some(p) = prepared("a_registry_verifies_with_settings_vk_and_srs_alone").await else { return };
    let registry = tempfile::tempdir().unwrap();
    let dir = copy_registry_files(&p.circuit, registry.path());
    let circuit = Circuit::from_dir(&dir, &p.circuit.onnx_sha256).await.unwrap();
    assert_eq!(circuit, Circuit { dir: dir.clone(), ..p.circuit.clone() });

    let backend = backend(&p.python, &registry.path().join("work"));
    assert!(backend.verify(&circuit, &p.record).await.unwrap());
    let mut tampered = p.record.clone();
    tampered.proof[200] ^= 0x80;
    assert!(!backend.verify(&circuit, &tampered).await.unwrap());
}

/// The pinned npm `solc` package (`npm ci` in anchor/contracts, as scripts/test does).
fn solc_js() -> SolcJs {
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("../anchor/contracts/node_modules/solc");
    assert!(
        package.join("package.json").is_file(),
        "no npm solc at {}: run `npm ci` in anchor/contracts",
        package.display()
    );
    SolcJs::new(package)
}

/// The EVM verifier of a circuit is the same bytes wherever it is generated from the circuit's
/// settings, verifying key and SRS, and a second call reads it from the circuit's cache.
#[tokio::test]
async fn the_evm_verifier_is_reproducible_and_cached() {
    let Some(p) = prepared("the_evm_verifier_is_reproducible_and_cached").await else { return };
    let solc = solc_js();
    let here = backend(&p.python, &p.work_dir());
    let started = Instant::now();
    let first = here.evm_verifier(&p.circuit, &solc).await.unwrap();
    eprintln!("EVM verifier generated and compiled: {:?}", started.elapsed());
    assert!(first.source.contains("contract Halo2Verifier"), "the generated source is EZKL's verifier");
    assert!(first.compiler.starts_with("solc 0.8.30+commit."), "{}", first.compiler);
    assert!(first.runtime_code.len() > 10_000 && first.creation_code.len() > first.runtime_code.len());
    assert_eq!(first.runtime_code_hash, provreg_prover_client::evm::keccak256(&first.runtime_code));
    assert!(p.circuit.dir.join("evm/Halo2Verifier.sol").is_file());

    let started = Instant::now();
    let cached = here.evm_verifier(&p.circuit, &solc).await.unwrap();
    assert!(started.elapsed().as_secs_f64() < 1.0, "a cached verifier is read, not made: {:?}", started.elapsed());
    assert_eq!(cached, first);

    // Elsewhere, from the three files a registry holds, with a fresh worker.
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = copy_registry_files(&p.circuit, elsewhere.path());
    let circuit = Circuit::from_dir(&dir, &p.circuit.onnx_sha256).await.unwrap();
    let again = backend(&p.python, &elsewhere.path().join("work")).evm_verifier(&circuit, &solc).await.unwrap();
    assert_eq!(again, first, "same circuit, same verifier bytes");
}

#[tokio::test]
async fn concurrent_verifications_on_two_workers() {
    let Some(p) = prepared("concurrent_verifications_on_two_workers").await else { return };
    let backend = EzklBackend::new(EzklConfig::new(p.work_dir()).with_python(&p.python).with_workers(2));
    assert_eq!(backend.workers(), 2);
    let mut tampered = p.record.clone();
    tampered.proof[100] ^= 0x01;

    let started = Instant::now();
    let (a, b) = tokio::join!(backend.verify(&p.circuit, &p.record), backend.verify(&p.circuit, &p.record));
    assert!(a.unwrap() && b.unwrap());
    eprintln!("two verifications on two workers: {:?}", started.elapsed());

    // More calls than workers: they queue, and each gets its own answer.
    let (a, b, c, d) = tokio::join!(
        backend.verify(&p.circuit, &p.record),
        backend.verify(&p.circuit, &tampered),
        backend.verify(&p.circuit, &p.record),
        backend.system_version(),
    );
    assert!(a.unwrap());
    assert!(!b.unwrap());
    assert!(c.unwrap());
    assert_eq!(d.unwrap(), EZKL_VERSION);
}

fn missing_circuit(dir: PathBuf) -> Circuit {
    Circuit {
        dir,
        onnx_sha256: String::new(),
        settings_sha256: String::new(),
        vk_sha256: String::new(),
        srs_sha256: String::new(),
        commitment: String::new(),
        input_scale: 13,
        output_scale: 13,
        input_len: 8,
        output_len: 4,
    }
}

#[tokio::test]
async fn worker_errors_come_back_as_prover_errors() {
    // The worker imports ezkl lazily, so this runs with any python3.
    let tmp = tempfile::tempdir().unwrap();
    let backend = backend(Path::new("python3"), tmp.path());
    let missing = missing_circuit(tmp.path().join("not-set-up"));
    match backend.prove(&missing, &SEED).await {
        Err(ProverError::Worker(message)) => assert!(message.contains("run setup first"), "{message}"),
        other => panic!("expected a worker error, got {other:?}"),
    }
    // The worker is still usable after an error.
    assert!(matches!(backend.prove(&missing, &SEED).await, Err(ProverError::Worker(_))));
    // The embedded worker was written into the work directory.
    let script = backend.config().worker_script_path();
    assert!(script.starts_with(tmp.path().join(".worker")), "{}", script.display());
    assert!(script.is_file());
}

#[tokio::test]
async fn a_missing_interpreter_is_a_spawn_error() {
    let tmp = tempfile::tempdir().unwrap();
    let backend = backend(Path::new("/nonexistent/python3"), tmp.path());
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    assert!(matches!(backend.setup(&model).await, Err(ProverError::Spawn { .. })));
    assert!(matches!(
        build_fixture_model(Path::new("/nonexistent/python3"), tmp.path()).await,
        Err(ProverError::Spawn { .. })
    ));
}

/// Records with the wrong number of public values are refused without
/// starting a worker (the interpreter here does not exist).
#[tokio::test]
async fn wrong_lengths_are_refused_before_the_worker() {
    let tmp = tempfile::tempdir().unwrap();
    let backend = backend(Path::new("/nonexistent/python3"), tmp.path());
    let circuit = missing_circuit(tmp.path().join("c"));
    let record = ProofRecord {
        system: "ezkl".into(),
        system_version: EZKL_VERSION.into(),
        vk_sha256: circuit.vk_sha256.clone(),
        settings_sha256: circuit.settings_sha256.clone(),
        model_commitment: circuit.commitment.clone(),
        public_inputs: vec!["00".repeat(32); 8],
        public_outputs: vec!["00".repeat(32); 4],
        proof: vec![1, 2, 3],
    };
    // The right lengths reach the worker, which cannot start.
    assert!(matches!(backend.verify(&circuit, &record).await, Err(ProverError::Spawn { .. })));
    for (inputs, outputs) in [(7, 4), (9, 4), (8, 3), (8, 5), (0, 0)] {
        let mut wrong = record.clone();
        wrong.public_inputs.truncate(inputs);
        wrong.public_inputs.resize(inputs, "00".repeat(32));
        wrong.public_outputs.resize(outputs, "00".repeat(32));
        assert!(!backend.verify(&circuit, &wrong).await.unwrap(), "{inputs} inputs, {outputs} outputs");
    }
}

#[tokio::test]
async fn the_verifying_key_is_derived_from_the_model_settings_and_srs_and_equals_the_provers() {
    let Some(p) = prepared("the_verifying_key_is_derived_from_the_model_settings_and_srs_and_equals_the_provers").await
    else {
        return;
    };
    let registry = tempfile::tempdir().unwrap();
    let dir = registry.path().join("derive");
    std::fs::create_dir_all(&dir).unwrap();
    for name in [SETTINGS_FILE, SRS_FILE] {
        std::fs::copy(p.circuit.dir.join(name), dir.join(name)).unwrap();
    }
    let backend = backend(&p.python, &registry.path().join("work"));
    let derived = backend.derive_verifying_key(&p.model, &dir).await.unwrap();
    // The key setup is deterministic: the registry's key is the prover's, byte for byte.
    assert_eq!(derived.verifying_key, std::fs::read(p.circuit.dir.join(VK_FILE)).unwrap());
    assert_eq!(derived.vk_sha256, p.circuit.vk_sha256);
    assert_eq!(derived.system_version, EZKL_VERSION);
    assert!(!dir.join("pk.key").exists(), "the proving key is not kept");

    // An SRS of the right size but not made of curve points is refused by the setup.
    let srs = std::fs::read(dir.join(SRS_FILE)).unwrap();
    let mut junk = srs.clone();
    junk[4..].fill(0xff);
    std::fs::write(dir.join(SRS_FILE), &junk).unwrap();
    let err = backend.derive_verifying_key(&p.model, &dir).await.unwrap_err();
    assert!(matches!(err, ProverError::Worker(ref m) if m.contains("setup failed")), "{err}");
}

/// The model's own outputs for `inputs`, from ONNX's reference evaluator (not EZKL).
fn onnx_reference(python: &Path, model: &Path, inputs: &[[f32; 8]]) -> Vec<Vec<f32>> {
    let script = "import json, sys\nimport numpy as np\nfrom onnx.reference import ReferenceEvaluator\n\
                  ev = ReferenceEvaluator(sys.argv[1])\n\
                  rows = json.loads(sys.argv[2])\n\
                  print(json.dumps([ev.run(None, {'seed': np.array([r], dtype=np.float32)})[0][0].tolist() for r in rows]))\n";
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(model)
        .arg(serde_json::to_string(inputs).unwrap())
        .output()
        .expect("the reference evaluator runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON outputs")
}

fn run_args(circuit: &Circuit) -> serde_json::Value {
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(circuit.dir.join(SETTINGS_FILE)).unwrap()).unwrap();
    settings["run_args"].clone()
}

/// The default layout makes a circuit of 2^11 rows whose outputs are the legacy
/// circuit's, bit for bit, and the model's own within the output scale's resolution; a
/// legacy proof still verifies against its own circuit, and not against the fast one.
#[tokio::test]
async fn the_fast_circuit_gives_the_reference_outputs_and_legacy_proofs_still_verify() {
    let Some(p) = prepared("the_fast_circuit_gives_the_reference_outputs_and_legacy_proofs_still_verify").await else {
        return;
    };
    let backend = backend(&p.python, &p.work_dir());
    let fast = &p.circuit;
    let fast_args = run_args(fast);
    let layout = |args: &serde_json::Value| {
        ["decomp_base", "decomp_legs", "num_inner_cols"].map(|k| args[k].as_u64().unwrap_or_default())
    };
    assert_eq!(layout(&fast_args), [256, 3, 1], "{fast_args}");
    assert_eq!(fast_args["logrows"].as_u64(), Some(11), "{fast_args}");
    assert_eq!(p.record.proof.len(), 1952, "one inner column: fewer commitments in the proof");
    assert!(fast.dir.ends_with(CircuitLayout::FAST.dir_name(&fast.onnx_sha256)));

    assert!(backend.existing_circuit(&p.model, CircuitLayout::LEGACY).await.unwrap().is_none(), "nothing made yet");
    let legacy = backend.setup_with(&p.model, CircuitLayout::LEGACY).await.unwrap();
    let legacy_args = run_args(&legacy);
    assert_eq!(layout(&legacy_args), [16384, 2, 2], "{legacy_args}");
    assert_eq!(legacy_args["logrows"].as_u64(), Some(15), "{legacy_args}");
    assert!(legacy.dir.ends_with(&legacy.onnx_sha256), "legacy circuits stay where they always were");
    assert_ne!(legacy.commitment, fast.commitment, "the settings are part of the commitment");
    assert_eq!(backend.existing_circuit(&p.model, CircuitLayout::LEGACY).await.unwrap().as_ref(), Some(&legacy));
    for (name, arg) in [("input_scale", "input_scale"), ("param_scale", "param_scale")] {
        assert_eq!(fast_args[arg], legacy_args[arg], "same {name}");
    }

    let seeds: Vec<[f32; 8]> = (0..6u64)
        .map(|n| {
            let token_seed = format!("0x{:064x}", 0x5eed_0000_u64 + n);
            let seed = seed::parse_seed(&token_seed).unwrap();
            seed::model_input(&seed, fast.input_len, fast.input_scale).unwrap().try_into().unwrap()
        })
        .collect();
    let reference = onnx_reference(&p.python, &p.model, &seeds);
    let resolution = 2f32.powi(-i32::try_from(fast.output_scale).unwrap());
    for (input, expected) in seeds.iter().zip(&reference) {
        let (fast_traits, _) = backend.prove(fast, input).await.unwrap();
        let (legacy_traits, legacy_record) = backend.prove(&legacy, input).await.unwrap();
        assert_eq!(fast_traits, legacy_traits, "same outputs for input {input:?}");
        for (got, want) in fast_traits.iter().zip(expected) {
            // Measured: at most 2.5 steps of the output scale for these seeds.
            let off = (got - want).abs() / resolution;
            assert!(off <= 8.0, "{got} vs the model's {want} for {input:?}: {off} steps");
        }
        assert_eq!(legacy_record.proof.len(), 3072);
        assert!(backend.verify(&legacy, &legacy_record).await.unwrap(), "a legacy proof verifies with its circuit");
        let mut as_fast = legacy_record.clone();
        as_fast.model_commitment = fast.commitment.clone();
        assert!(!backend.verify(fast, &as_fast).await.unwrap(), "but not with the fast circuit");
    }
}

/// The RGB pixels of a PNG `encode_png` wrote (8-bit RGB, filter 0 rows, one IDAT).
fn decode_rgb(png: &[u8]) -> (usize, Vec<[u8; 3]>) {
    use std::io::Read as _;
    let mut rest = &png[8..];
    let (mut width, mut idat) = (0usize, Vec::new());
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let (kind, data) = (&rest[4..8], &rest[8..8 + len]);
        match kind {
            b"IHDR" => width = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize,
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        rest = &rest[12 + len..];
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
    let pixels = raw
        .chunks(1 + 3 * width)
        .flat_map(|row| {
            assert_eq!(row[0], 0, "filter type 0");
            row[1..].chunks(3).map(|p| [p[0], p[1], p[2]]).collect::<Vec<_>>()
        })
        .collect();
    (width, pixels)
}

/// The image generator: its proof's public outputs are an 8×8 image, the proof verifies,
/// and the PNG `palette-8x8` draws shows exactly the proven pixels.
#[tokio::test]
async fn the_image_generator_proves_its_pixels_and_the_png_shows_them() {
    let Some(p) = prepared("the_image_generator_proves_its_pixels_and_the_png_shows_them").await else { return };
    let model = build_fixture_image_model(&p.python, &p.root.join("image-model")).await.unwrap();
    assert!(model.ends_with("image-model/image_generator.onnx"));
    let backend = backend(&p.python, &p.work_dir());
    let started = Instant::now();
    let circuit = backend.setup(&model).await.unwrap();
    eprintln!("image generator setup: {:?}", started.elapsed());
    assert_eq!((circuit.input_len, circuit.output_len), (8, 64));

    let started = Instant::now();
    let (pixels, record) = backend.prove(&circuit, &SEED).await.unwrap();
    eprintln!("image generator prove: {:?}", started.elapsed());
    assert!(backend.verify(&circuit, &record).await.unwrap(), "the image's proof verifies");
    let proven = provreg_prover_client::field::outputs_f32(&record.public_outputs, circuit.output_scale).unwrap();
    assert_eq!(proven, pixels, "the pixels are the proof's public outputs");
    let indices: Vec<usize> = proven.iter().map(|v| provreg_render::palette_index(*v)).collect();
    let distinct: std::collections::BTreeSet<_> = indices.iter().collect();
    assert!(distinct.len() >= 3, "the image is not flat: {indices:?}");

    let png = provreg_render::PALETTE_8X8.render(&proven).unwrap();
    let (width, drawn) = decode_rgb(&png);
    assert_eq!((width, drawn.len()), (64, 64 * 64));
    for (i, index) in indices.iter().enumerate() {
        let (row, col) = (i / 8, i % 8);
        for (y, x) in [(row * 8, col * 8), (row * 8 + 7, col * 8 + 7), (row * 8 + 3, col * 8 + 4)] {
            assert_eq!(drawn[y * 64 + x], provreg_render::PALETTE[*index], "pixel {i} at ({x}, {y})");
        }
    }
    // Another seed proves another image.
    let (other, _) = backend.prove(&circuit, &OTHER_SEED).await.unwrap();
    assert_ne!(provreg_render::PALETTE_8X8.render(&other).unwrap(), png);
}
