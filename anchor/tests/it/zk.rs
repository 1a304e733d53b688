//! The zkML fixture of the collection tests: the fixture trait generator and a model of the
//! same shape with other weights, their circuits, real EZKL proofs and the first circuit's
//! EVM verifier. Everything is made once per machine and cached under the target directory
//! (the circuits in `zk-fixture/circuits`, shared with the server's tests; proofs in
//! `zk-fixture/proofs`, one file per circuit and seed), on a thread of its own so the
//! worker processes do not belong to any test's runtime.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use provreg_prover_client::{
    Circuit, EvmVerifier, EzklBackend, EzklConfig, ProofRecord, Prover, SolcJs, build_fixture_model,
    build_fixture_model_variant, default_venv_name, ensure_venv, seed,
};
use sha2::{Digest as _, Sha256};

/// The weights seed of the second model (the server's tests use the same).
const OTHER_WEIGHTS: u64 = 7;

/// What the collection tests use.
pub struct ZkFixture {
    /// The fixture model's circuit.
    pub circuit: Circuit,
    /// Its EVM verifier.
    pub verifier: EvmVerifier,
    /// A token seed and the fixture's proof of it.
    pub seed: [u8; 32],
    pub proof: ProofRecord,
    /// Another seed and the fixture's proof of it.
    pub other_seed: [u8; 32],
    pub other_seed_proof: ProofRecord,
    /// The other model's proof of [`Self::seed`].
    pub other_model_proof: ProofRecord,
}

/// The 32-byte token seed numbered `n`.
pub fn token_seed(n: u64) -> [u8; 32] {
    Sha256::digest(format!("provreg test seed {n}").as_bytes()).into()
}

/// The fixture, made on first use (installs the prover packages the first time).
pub fn fixture() -> &'static ZkFixture {
    static FIXTURE: OnceLock<ZkFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(prepare())
        })
        .join()
        .unwrap_or_else(|_| panic!("preparing the zkML fixture failed (the tests need PyPI's ezkl and npm's solc)"))
    })
}

fn target_tmp() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// The pinned npm solc of this crate's contracts.
pub fn solc_js() -> SolcJs {
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/node_modules/solc");
    assert!(package.is_dir(), "no npm solc at {}: run `npm ci` in anchor/contracts", package.display());
    SolcJs::new(package)
}

async fn prepare() -> ZkFixture {
    let python = ensure_venv(&target_tmp().join("..").join(default_venv_name())).await.unwrap();
    let root = target_tmp().join("zk-fixture");
    let backend = EzklBackend::new(EzklConfig::new(root.join("circuits")).with_python(&python));
    let model = build_fixture_model(&python, &root.join("model")).await.unwrap();
    let circuit = backend.setup(&model).await.unwrap();
    let other_model = build_fixture_model_variant(&python, &root.join(format!("model-{OTHER_WEIGHTS}")), OTHER_WEIGHTS)
        .await
        .unwrap();
    let other_circuit = backend.setup(&other_model).await.unwrap();
    let verifier = backend.evm_verifier(&circuit, &solc_js()).await.unwrap();

    let proofs = root.join("proofs");
    let (seed, other_seed) = (token_seed(1), token_seed(2));
    ZkFixture {
        proof: cached_proof(&backend, &circuit, &seed, &proofs).await,
        other_seed_proof: cached_proof(&backend, &circuit, &other_seed, &proofs).await,
        other_model_proof: cached_proof(&backend, &other_circuit, &seed, &proofs).await,
        circuit,
        verifier,
        seed,
        other_seed,
    }
}

/// The proof of `circuit` for the input derived from `seed`, from `dir` when made before.
async fn cached_proof(backend: &EzklBackend, circuit: &Circuit, seed: &[u8; 32], dir: &Path) -> ProofRecord {
    let path: PathBuf = dir.join(format!("{}-{}.json", &circuit.vk_sha256[..16], hex::encode(seed)));
    if let Some(record) = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<ProofRecord>(&b).ok()) {
        return record;
    }
    let input = seed::model_input(seed, circuit.input_len, circuit.input_scale).unwrap();
    let (_, record) = backend.prove(circuit, &input).await.unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec(&record).unwrap()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    record
}
