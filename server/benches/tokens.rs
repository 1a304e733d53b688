#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Token benchmark: proving time per token for the fixture model, proof verification time
//! at ingest, and tokens registered per second with verification (proving excluded).
//!
//! `cargo bench -p provreg-server --bench tokens -- [--tokens 200] [--proofs 8] [--workers 2]
//! [--postgres URL] [--layout legacy,four-legs,fast] [--model trait|image] [--proving-only]`
//!
//! Method: for each circuit layout (all three unless `--layout` names some: legacy, then
//! four-legs, the default before, then fast, the default; in one run, printed side by side
//! at the end) the fixture trait-generator model is
//! set up once (keys cached under the target directory) and `--proofs` different seeds are
//! proven, one after another, each timed; then twice as many other seeds are proven by
//! `--workers` worker processes at once, for the throughput. `--model image` proves the
//! fixture image generator (64 proven pixels) instead of the trait generator;
//! `--proving-only` stops after the proving figures.
//! Verification is timed through the registry's proof checker (one verifier process, the
//! circuit files already written). Registration runs `registerToken` through the service
//! layer on a fresh database (SQLite by default) with real C2PA certificates and log entries,
//! cycling through the proven seeds with new token IDs: first one at a time, then with as
//! many registrations in flight as there are verifier processes.
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use provreg_collection::proof_input;
use provreg_prover_client::{
    CircuitLayout, EzklBackend, EzklConfig, ProofRecord, Prover, SETTINGS_FILE, SRS_FILE, VK_FILE,
    build_fixture_image_model, build_fixture_model, default_venv_name, ensure_venv, seed,
};
use provreg_server::payload::{CircuitInput, LicenseInput, ModelVersionInput, TokenInput};
use provreg_server::service::Registry;
use provreg_server::service::proofs::ProofChecker;
use serde_json::json;
use sha2::{Digest, Sha256};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn token_input(version: &str, token_id: u64, seed: &[u8; 32], traits: &[f32], record: &ProofRecord) -> TokenInput {
    let asset = json!({ "traits": traits }).to_string();
    serde_json::from_value(json!({
        "chainId": 31337,
        // One contract per token: a seed makes one token per contract, and the proven seeds are
        // reused across token IDs here.
        "contract": format!("0x{token_id:040x}"),
        "tokenId": token_id.to_string(),
        "modelVersion": version,
        "assetSha256": hex::encode(Sha256::digest(asset.as_bytes())),
        "mediaType": "application/json",
        "inputSeed": hex::encode(seed),
        "seedSource": { "kind": "operator" },
        "traits": traits.iter().map(|t| f64::from(*t)).collect::<Vec<_>>(),
        "proof": proof_input(record),
    }))
    .unwrap()
}

/// What one circuit measured, as table rows (label, figure).
struct Figures {
    rows: Vec<(String, String)>,
}

impl Figures {
    fn push(&mut self, label: impl Into<String>, figure: impl Into<String>) {
        let (label, figure) = (label.into(), figure.into());
        println!("  {label:<58} {figure}");
        self.rows.push((label, figure));
    }

    fn times(&mut self, label: &str, mut times: Vec<Duration>) {
        times.sort();
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        self.push(
            format!("{label}, mean / p99 (n = {})", times.len()),
            format!("{:.1} ms / {:.1} ms", ms(mean), ms(percentile(&times, 0.99))),
        );
    }
}

fn file_size(path: &Path) -> String {
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or_default();
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    }
}

struct Options {
    tokens: u64,
    proofs: u64,
    workers: usize,
    postgres: Option<String>,
    /// Prove the fixture image generator (64 outputs) instead of the trait generator.
    image: bool,
    /// Stop after the proving figures.
    proving_only: bool,
}

#[tokio::main]
async fn main() {
    let mut o = Options { tokens: 200, proofs: 8, workers: 2, postgres: None, image: false, proving_only: false };
    let mut checks =
        vec![("legacy", CircuitLayout::LEGACY), ("four-legs", CircuitLayout::FOUR_LEGS), ("fast", CircuitLayout::FAST)];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tokens" => o.tokens = args.next().and_then(|s| s.parse().ok()).unwrap_or(o.tokens),
            "--proofs" => o.proofs = args.next().and_then(|s| s.parse().ok()).unwrap_or(o.proofs),
            "--workers" => o.workers = args.next().and_then(|s| s.parse().ok()).unwrap_or(o.workers),
            "--postgres" => o.postgres = args.next(),
            "--model" => o.image = args.next().as_deref() == Some("image"),
            "--proving-only" => o.proving_only = true,
            "--layout" => {
                let names = args.next().unwrap_or_default();
                let names: Vec<&str> = names.split(',').collect();
                checks.retain(|(name, _)| names.contains(name));
                assert!(!checks.is_empty(), "--layout takes legacy, four-legs or fast (or several, comma-separated)");
            }
            _ => {}
        }
    }
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let python = ensure_venv(&target.join("..").join(default_venv_name())).await.unwrap();
    let fixture = target.join("zk-fixture");
    let model = if o.image {
        build_fixture_image_model(&python, &fixture.join("image-model")).await.unwrap()
    } else {
        build_fixture_model(&python, &fixture.join("model")).await.unwrap()
    };
    let mut all = Vec::new();
    for (name, check) in &checks {
        println!(
            "layout {name} (decomp_base {}, {} legs, {} inner columns):",
            check.base, check.legs, check.inner_cols
        );
        all.push((*name, measure(&o, &python, &fixture, &model, *check).await));
    }
    if all.len() > 1 {
        println!();
        println!("| | {} |", all.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(" | "));
        println!("|---|{}", "---:|".repeat(all.len()));
        for (i, (label, _)) in all[0].1.rows.iter().enumerate() {
            let figures: Vec<&str> = all.iter().map(|(_, f)| f.rows.get(i).map_or("", |r| r.1.as_str())).collect();
            println!("| {label} | {} |", figures.join(" | "));
        }
    }
}

async fn measure(o: &Options, python: &Path, fixture: &Path, model: &Path, check: CircuitLayout) -> Figures {
    let (tokens, proofs, workers) = (o.tokens, o.proofs, o.workers);
    let mut figures = Figures { rows: Vec::new() };
    let config = EzklConfig::new(fixture.join("circuits")).with_python(python).with_layout(check);
    let prover = EzklBackend::new(config.clone());
    let started = Instant::now();
    let circuit = prover.setup(model).await.unwrap();
    println!("  circuit setup (cached keys are reused): {:.1} s", started.elapsed().as_secs_f64());
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(circuit.dir.join(SETTINGS_FILE)).unwrap()).unwrap();
    figures.push("logrows", settings["run_args"]["logrows"].to_string());
    figures.push("proving key", file_size(&circuit.dir.join("pk.key")));
    figures.push("verifying key", file_size(&circuit.dir.join(VK_FILE)));
    figures.push("SRS", file_size(&circuit.dir.join(SRS_FILE)));

    let mut proven = Vec::new();
    let mut proving = Vec::new();
    for n in 0..proofs {
        let s: [u8; 32] = Sha256::digest(format!("bench seed {n}").as_bytes()).into();
        let input = seed::model_input(&s, circuit.input_len, circuit.input_scale).unwrap();
        let started = Instant::now();
        let (traits, record) = prover.prove(&circuit, &input).await.unwrap();
        proving.push(started.elapsed());
        proven.push((s, traits, record));
    }
    figures.times("proving one token, one worker", proving);
    figures.push("proof size", format!("{} bytes", proven[0].2.proof.len()));

    // Proving throughput with `workers` worker processes, each proving its share of the seeds.
    let parallel = Arc::new(EzklBackend::new(config.with_workers(workers)));
    let warm: Vec<_> = (0..workers)
        .map(|w| {
            let (parallel, circuit) = (parallel.clone(), circuit.clone());
            let input = seed::model_input(&proven[w % proven.len()].0, circuit.input_len, circuit.input_scale).unwrap();
            tokio::spawn(async move { parallel.prove(&circuit, &input).await.unwrap() })
        })
        .collect();
    for w in warm {
        w.await.unwrap();
    }
    let started = Instant::now();
    let jobs: Vec<_> = (0..proofs * 2)
        .map(|n| {
            let (parallel, circuit) = (parallel.clone(), circuit.clone());
            let s: [u8; 32] = Sha256::digest(format!("bench parallel seed {n}").as_bytes()).into();
            let input = seed::model_input(&s, circuit.input_len, circuit.input_scale).unwrap();
            tokio::spawn(async move { parallel.prove(&circuit, &input).await.unwrap() })
        })
        .collect();
    for job in jobs {
        job.await.unwrap();
    }
    let rate = (proofs * 2) as f64 / started.elapsed().as_secs_f64();
    figures.push(format!("proving throughput, {workers} workers"), format!("{rate:.2} tokens/s"));
    if o.proving_only {
        return figures;
    }

    let dir = tempfile::tempdir().unwrap();
    let (url, admin) = match &o.postgres {
        Some(base) => {
            let name = format!("provreg_bench_tokens_{}_{}", std::process::id(), check.base);
            let admin = sea_orm::Database::connect(base).await.unwrap();
            sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE \"{name}\"")).await.unwrap();
            let server = base.rsplit_once('/').unwrap().0.to_owned();
            (format!("{server}/{name}"), Some((admin, name)))
        }
        None => (format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()), None),
    };
    let ca = provreg_certs::init_dev_ca(&dir.path().join("ca")).unwrap();
    let conn = provreg_server::db::connect(&url, 8).await.unwrap();
    provreg_server::db::migrate(&conn).await.unwrap();
    let signing =
        provreg_server::service::seal::Signing::from_files(&ca.signer_chain, &ca.signer_key, Some(&ca.ca_cert))
            .unwrap();
    let verifier =
        EzklBackend::new(EzklConfig::new(dir.path().join("prover")).with_python(python).with_workers(workers));
    let registry = Registry::new(conn)
        .unwrap()
        .with_signing(signing)
        .with_proofs(ProofChecker::new(verifier, dir.path().join("registered")));

    let license: LicenseInput = serde_json::from_value(json!({"name": "weights", "spdxId": "Apache-2.0",
        "commercialUse": true, "derivatives": "allowed", "attribution": true, "aiTraining": "allowed"}))
    .unwrap();
    let license = registry.register_license(&license).await.unwrap();
    let version: ModelVersionInput = serde_json::from_value(json!({"model": "bench-generator", "versionLabel": "v1",
        "weightsSha256": circuit.onnx_sha256, "architecture": "onnx mlp",
        "trainingRun": {"id": "run", "startedAt": "2024-07-01T00:00:00Z", "endedAt": "2024-07-02T00:00:00Z"},
        "license": license.id.to_string(), "trainingData": []}))
    .unwrap();
    let version = registry.register_model_version(&version).await.unwrap().id.to_string();
    use base64::Engine as _;
    let b64 =
        |name: &str| base64::engine::general_purpose::STANDARD.encode(std::fs::read(circuit.dir.join(name)).unwrap());
    let circuit_row = registry
        .register_circuit(&CircuitInput {
            model_version: version.clone(),
            proof_system: "ezkl".into(),
            system_version: provreg_prover_client::EZKL_VERSION.into(),
            onnx: base64::engine::general_purpose::STANDARD.encode(std::fs::read(model).unwrap()),
            onnx_sha256: Some(circuit.onnx_sha256.clone()),
            settings: std::fs::read_to_string(circuit.dir.join(SETTINGS_FILE)).unwrap(),
            verifying_key: Some(b64(VK_FILE)),
            srs: b64(SRS_FILE),
            renderer: None,
        })
        .await
        .unwrap();

    // Verification alone, the circuit files written by a first call.
    let checker = ProofChecker::new(
        EzklBackend::new(EzklConfig::new(dir.path().join("prover-v")).with_python(python)),
        dir.path().join("registered-v"),
    );
    assert!(checker.verify(&registry.db, &circuit_row, &proven[0].2).await.unwrap());
    let mut verifying = Vec::new();
    for i in 0..(proofs * 4) {
        let record = &proven[(i % proofs) as usize].2;
        let started = Instant::now();
        assert!(checker.verify(&registry.db, &circuit_row, record).await.unwrap());
        verifying.push(started.elapsed());
    }
    figures.times("proof verification at ingest (1 process)", verifying);

    // Warm the registry's verifier processes.
    for w in 0..workers as u64 {
        let (s, traits, record) = &proven[0];
        registry.register_token(&token_input(&version, 1_000_000 + w, s, traits, record)).await.unwrap();
    }

    let started = Instant::now();
    let mut each = Vec::new();
    for i in 0..tokens {
        let (s, traits, record) = &proven[(i % proofs) as usize];
        let t = Instant::now();
        registry.register_token(&token_input(&version, i, s, traits, record)).await.unwrap();
        each.push(t.elapsed());
    }
    let rate = tokens as f64 / started.elapsed().as_secs_f64();
    figures.times("registerToken with verification, one at a time", each);
    figures.push("tokens registered per second, one at a time", format!("{rate:.0}"));

    let registry = Arc::new(registry);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers as u64 {
        let registry = registry.clone();
        let version = version.clone();
        let proven = proven.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < tokens {
                let (s, traits, record) = &proven[(i % proofs) as usize];
                registry.register_token(&token_input(&version, 10_000 + i, s, traits, record)).await.unwrap();
                i += workers as u64;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = tokens as f64 / started.elapsed().as_secs_f64();
    figures
        .push(format!("tokens registered per second, {workers} in flight, {workers} verifiers"), format!("{rate:.0}"));
    if let Some((admin, name)) = admin {
        drop(registry);
        let _ = sea_orm::ConnectionTrait::execute_unprepared(
            &admin,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await;
    }
    figures
}
