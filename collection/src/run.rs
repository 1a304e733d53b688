//! Running a collection: make sure the model version and its circuit are registered, then
//! prove, draw and register every token not registered yet, and wait for their anchors.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::StreamExt as _;

use provreg_prover_client::{
    CircuitLayout, EzklBackend, EzklConfig, Prover, build_fixture_image_model, build_fixture_model, default_venv_name,
    ensure_venv, sha256_file,
};
use serde_json::{Value, json};

use crate::anchors::wait_for_anchors;
use crate::client::{Client, string_at};
use crate::error::{CollectionError, Result};
use crate::onchain::{ChainOptions, Minter};
use crate::progress::Progress;
use crate::queries::{PING, REGISTER_CIRCUIT};
use crate::spec::{OnnxSource, Spec};
use crate::summary::{AnchorReport, Summary, TokenOutcome, TokenResult};
use crate::token::token;
use crate::{circuit, model_version};

/// Where the built-in fixture model is built, under the work directory.
const FIXTURE_DIR: &str = "fixture-model";

/// Where the built-in fixture image generator is built, under the work directory.
const FIXTURE_IMAGE_DIR: &str = "fixture-image-model";

/// The spec's model version: registered, or the input that registers it.
enum Found {
    Registered(model_version::Version),
    ToRegister(Value),
}

/// How a collection is run.
#[derive(Clone)]
pub struct RunOptions {
    /// The registry's base URL, overriding the spec's `server`.
    pub server: Option<String>,
    /// The API key (registrar or admin).
    pub api_key: String,
    /// The Python interpreter with the prover packages; `None` makes (once) and uses the
    /// virtual environment in `venv_dir`.
    pub python: Option<PathBuf>,
    /// The virtual environment used when `python` is `None`.
    pub venv_dir: PathBuf,
    /// Where circuits (keys) and the fixture model are kept; setups are reused from here.
    pub work_dir: PathBuf,
    /// Wait for the tokens' anchors.
    pub wait: bool,
    /// The longest wait for anchors.
    pub anchor_timeout: Duration,
    /// Show progress on stderr: a bar on a terminal, otherwise one line per step and token.
    pub progress: bool,
    /// How many tokens are proven at once, each by its own prover process (EZKL proves on
    /// one core); default the number of cores.
    pub workers: usize,
    /// The chain and minter key of an `[onchain]` spec (see [`chain_options`]).
    ///
    /// [`chain_options`]: crate::chain_options
    pub chain: Option<ChainOptions>,
    /// Where the proofs of tokens sent to the chain are kept until they are registered
    /// (default `work_dir/minted`).
    pub minted_dir: Option<PathBuf>,
}

impl RunOptions {
    /// Defaults for the data directory `data_dir`: the virtual environment
    /// `data_dir/ezkl-venv-<version>`, the work directory `data_dir/prover`, waiting up to
    /// 120 seconds for anchors, with progress.
    pub fn new(data_dir: &Path, api_key: impl Into<String>) -> Self {
        Self {
            server: None,
            api_key: api_key.into(),
            python: None,
            venv_dir: data_dir.join(default_venv_name()),
            work_dir: data_dir.join("prover"),
            wait: true,
            anchor_timeout: Duration::from_secs(120),
            progress: true,
            workers: std::thread::available_parallelism().map_or(1, usize::from),
            chain: None,
            minted_dir: None,
        }
    }
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("server", &self.server)
            .field("api_key", &"<redacted>")
            .field("python", &self.python)
            .field("venv_dir", &self.venv_dir)
            .field("work_dir", &self.work_dir)
            .field("wait", &self.wait)
            .field("anchor_timeout", &self.anchor_timeout)
            .field("progress", &self.progress)
            .field("workers", &self.workers)
            .field("chain", &self.chain)
            .field("minted_dir", &self.minted_dir)
            .finish()
    }
}

/// Runs the collection `spec`: registers the model version and its circuit when they are
/// missing, then proves, draws and registers each token that is not registered yet, and
/// (unless told not to) waits for the tokens' anchors. Tokens registered before are
/// skipped, so a run can be repeated until everything is done. Errors that concern one
/// token (a rejected proof, a conflicting registration) are recorded in the summary;
/// errors that concern the whole run (the registry unreachable, the key refused, the model
/// or its circuit not matching the registry) end the run with an error.
pub async fn run(spec: &Spec, opts: &RunOptions) -> Result<Summary> {
    let started = Instant::now();
    spec.check()?;
    if spec.onchain.is_some() && opts.chain.is_none() {
        return Err(CollectionError::field(
            "onchain",
            "the spec mints on chain, but the run has no chain and minter key (RunOptions::chain)",
        ));
    }
    let server = opts.server.clone().unwrap_or_else(|| spec.server.clone());
    let client = Client::new(&server, &opts.api_key)?;
    let progress = Progress::new(opts.progress);
    let label = format!("{} {}", spec.model.name, spec.model.version);

    progress.step(format!("connecting to {}", client.base()));
    client.request("connecting", PING, json!({})).await?;

    let python = match &opts.python {
        Some(python) => python.clone(),
        None => {
            progress.step(format!("preparing the prover environment in {}", opts.venv_dir.display()));
            ensure_venv(&opts.venv_dir).await.map_err(CollectionError::ProverEnvironment)?
        }
    };
    let onnx = match spec.onnx() {
        OnnxSource::Fixture => {
            progress.step("building the fixture model");
            fixture_model(&python, &opts.work_dir.join(FIXTURE_DIR), false).await?
        }
        OnnxSource::FixtureImage => {
            progress.step("building the fixture image generator");
            fixture_model(&python, &opts.work_dir.join(FIXTURE_IMAGE_DIR), true).await?
        }
        OnnxSource::File(path) => {
            if !path.is_file() {
                return Err(CollectionError::field("model.onnx", format!("{} is not a file", path.display())));
            }
            let calibration = path.with_file_name("calibration.json");
            if !calibration.is_file() {
                return Err(CollectionError::field(
                    "model.onnx",
                    format!("the circuit setup needs calibration data at {} (beside the model)", calibration.display()),
                ));
            }
            path
        }
    };
    let onnx_sha256 =
        sha256_file(&onnx).await.map_err(|source| CollectionError::HashModel { path: onnx.clone(), source })?;

    // Everything that can be checked before the (slow) setup is checked first.
    let found = match model_version::find(&client, spec).await? {
        Some(version) => {
            version.check(spec, &onnx_sha256)?;
            Found::Registered(version)
        }
        None => {
            progress.step(format!("resolving the licence, parent and datasets of {label}"));
            Found::ToRegister(model_version::input(&client, spec, &onnx_sha256).await?)
        }
    };

    progress.step(format!("setting up the circuit of {label} (once per model; later runs reuse it)"));
    let workers = opts.workers.max(1);
    let backend = EzklBackend::new(EzklConfig::new(&opts.work_dir).with_python(&python).with_workers(workers));
    let mut circuit =
        backend.setup(&onnx).await.map_err(|source| CollectionError::CircuitSetup { onnx: onnx.clone(), source })?;

    let version = match found {
        Found::Registered(version) => version,
        Found::ToRegister(input) => {
            progress.step(format!("registering model version {label}"));
            let version = model_version::register(&client, input, &onnx_sha256).await?;
            progress.note(format!("registered model version {label} ({})", version.id));
            version
        }
    };

    let (circuit_id, circuit_registered) = match &version.circuit {
        Some(registered) if registered.commitment == circuit.commitment => (registered.id.clone(), false),
        Some(registered) => {
            // A version registered while an earlier layout was the default: its circuit, set
            // up here then, is still in the work directory.
            let mut earlier = None;
            for layout in CircuitLayout::EARLIER {
                if let Ok(Some(old)) = backend.existing_circuit(&onnx, layout).await
                    && old.commitment == registered.commitment
                {
                    earlier = Some(old);
                    break;
                }
            }
            match earlier {
                Some(old) => {
                    progress.note(format!("using the circuit {label} was registered with ({})", old.dir.display()));
                    circuit = old;
                }
                None => circuit::check(&label, registered, &circuit)?,
            }
            (registered.id.clone(), false)
        }
        None => {
            progress.step(format!("registering the circuit of {label}"));
            let input = circuit::input(&backend, &circuit, &onnx, &version.id, spec.renderer()?).await?;
            let data = client.request("registerCircuit", REGISTER_CIRCUIT, json!({ "input": input })).await?;
            let id = string_at(&data, &["registerCircuit", "id"])?;
            progress.note(format!("registered the circuit of {label} ({id})"));
            (id, true)
        }
    };

    // An `[onchain]` spec's collection: found or deployed now; its address is the contract.
    let (minter, spec) = match &opts.chain {
        Some(chain) if spec.onchain.is_some() => {
            progress.step(format!("finding the on-chain collection of {label} on {}", chain.rpc_url));
            let minted_dir = opts.minted_dir.clone().unwrap_or_else(|| opts.work_dir.join("minted"));
            let minter = Minter::open(&client, spec, chain, &version.id, &minted_dir).await?;
            let r = &minter.report;
            if r.deployed_now {
                progress.note(format!("deployed collection {} (record {}) in {}", r.address, r.id, r.deploy_tx));
            } else {
                progress.note(format!("minting in collection {} (record {})", r.address, r.id));
            }
            let spec = spec.with_contract(&r.address);
            (Some(minter), spec)
        }
        _ => (None, spec.clone()),
    };
    let spec = &spec;
    let plan = match (&minter, spec.seeds.kind) {
        (Some(minter), crate::spec::SeedKind::Chain) => {
            let (first, count) = spec.token_ids()?;
            progress
                .step(format!("reading the seeds the collection assigns to tokens {first} to {}", first + count - 1));
            let seeds = minter.assign_seeds(first, count, |line| progress.note(line)).await?;
            spec.plan_assigned(&seeds.into_iter().map(|s| (s, None)).collect::<Vec<_>>())?
        }
        (Some(minter), crate::spec::SeedKind::Beacon) => {
            let (first, count) = spec.token_ids()?;
            let url = spec.seeds.beacon_url.as_deref().unwrap_or(crate::spec::QUICKNET_URL);
            progress.step(format!(
                "deriving the seeds of tokens {first} to {} from the beacon at {url}",
                first + count - 1
            ));
            let seeds = minter.beacon_seeds(first, count, url, |line| progress.note(line)).await?;
            spec.plan_assigned(&seeds)?
        }
        _ => spec.plan()?,
    };

    progress.start_tokens(plan.len());
    let mut tokens = Vec::with_capacity(plan.len());
    // `workers` tokens at a time, their outcomes taken in token order.
    let (client_ref, backend_ref, circuit_ref, minter_ref) = (&client, &backend, &circuit, minter.as_ref());
    let version_id = version.id.as_str();
    let mut outcomes = futures::stream::iter(&plan)
        .map(|planned| async move {
            let outcome = token(client_ref, spec, backend_ref, circuit_ref, version_id, planned, minter_ref).await;
            (planned, outcome)
        })
        .buffered(workers);
    while let Some((planned, outcome)) = outcomes.next().await {
        progress.status(format!("token {}", planned.token_id));
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                let registered = tokens.iter().filter(|t: &&TokenOutcome| t.result == TokenResult::Registered).count();
                return Err(CollectionError::TokenStopped {
                    token_id: planned.token_id,
                    registered,
                    source: Box::new(e),
                });
            }
        };
        progress.token_done(outcome.line());
        tokens.push(outcome);
    }
    drop(outcomes);

    let anchors = if !opts.wait {
        AnchorReport::NotWaited
    } else {
        progress.waiting();
        wait_for_anchors(&client, spec, &mut tokens, opts.anchor_timeout, &progress).await
    };
    progress.finish();

    let count = |wanted: fn(&TokenResult) -> bool| tokens.iter().filter(|t| wanted(&t.result)).count();
    Ok(Summary {
        server: client.base().to_owned(),
        model: label,
        model_version_id: version.id,
        model_version_registered: version.registered_now,
        circuit_id,
        circuit_registered,
        collection: minter.map(|m| m.report),
        registered: count(|r| *r == TokenResult::Registered),
        already_registered: count(|r| *r == TokenResult::AlreadyRegistered),
        failed: count(|r| matches!(r, TokenResult::Failed(_))),
        tokens,
        anchors,
        elapsed: started.elapsed(),
    })
}

/// Builds the fixture model in a directory of its own and moves the files into `dir`, so
/// runs building it at the same time never read a half-written file.
async fn fixture_model(python: &Path, dir: &Path, image: bool) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let scratch = dir.join(format!(".build-{}-{stamp}", std::process::id()));
    let built = if image {
        build_fixture_image_model(python, &scratch).await
    } else {
        build_fixture_model(python, &scratch).await
    };
    let built = built.map_err(CollectionError::FixtureModel);
    let moved = async {
        let model = built?;
        let Some(name) = model.file_name().map(ToOwned::to_owned) else {
            return Err(CollectionError::FixtureModelPath(model));
        };
        // Calibration first: once the model is in place, its calibration is too.
        for file in [Path::new("calibration.json"), Path::new(&name)] {
            let (from, to) = (scratch.join(file), dir.join(file));
            tokio::fs::rename(&from, &to).await.map_err(|source| CollectionError::Move { from, to, source })?;
        }
        Ok(dir.join(name))
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&scratch).await;
    moved
}
