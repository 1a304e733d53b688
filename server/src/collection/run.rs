//! Running a collection: make sure the model version and its circuit are registered, then
//! prove, draw and register every token not registered yet, and wait for their anchors.

use std::fmt;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use provreg_prover_client::{
    Circuit, EzklBackend, EzklConfig, ProofRecord, Prover, SETTINGS_FILE, SRS_FILE, VK_FILE, build_fixture_model,
    default_venv_name, ensure_venv, sha256_file,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::{Client, RegistryError};
use super::render::render_png;
use super::spec::{OnnxSource, PlannedToken, Spec};

/// How often anchors are polled.
const ANCHOR_POLL: Duration = Duration::from_secs(1);

/// How long to wait before concluding that a server which has never anchored anything
/// has no anchoring (a development server anchors every 10 seconds).
const NO_ANCHORING_GRACE: Duration = Duration::from_secs(30);

/// Tokens asked about in one anchor poll.
const POLL_CHUNK: usize = 100;

/// Where the built-in fixture model is built, under the work directory.
const FIXTURE_DIR: &str = "fixture-model";

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
            .finish()
    }
}

/// What became of one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenResult {
    /// Registered by this run.
    Registered,
    /// Registered before, with this seed and model version.
    AlreadyRegistered,
    /// Not registered; why.
    Failed(String),
}

/// Where a token's log entry stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorState {
    /// `CONFIRMED`, `SENT` or `PENDING` (the anchor's status), or `UNBATCHED` while the
    /// entry waits for an anchoring round.
    pub status: String,
    pub tx_hash: Option<String>,
    /// The anchor's last error talking to the chain.
    pub last_error: Option<String>,
}

/// One token of the run.
#[derive(Debug, Clone)]
pub struct TokenOutcome {
    pub token_id: u64,
    pub result: TokenResult,
    /// The token's ERC-721 metadata URL on the registry.
    pub metadata_url: Option<String>,
    /// The URL of the asset with its certificate embedded.
    pub asset_url: Option<String>,
    /// How long proving took (tokens proven by this run).
    pub proof_time: Option<Duration>,
    /// The anchor state last seen.
    pub anchor: Option<AnchorState>,
}

impl TokenOutcome {
    fn new(token_id: u64, result: TokenResult) -> Self {
        Self { token_id, result, metadata_url: None, asset_url: None, proof_time: None, anchor: None }
    }

    /// Registered now or before.
    pub fn is_registered(&self) -> bool {
        matches!(self.result, TokenResult::Registered | TokenResult::AlreadyRegistered)
    }
}

/// How waiting for anchors ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorReport {
    /// Not asked to wait.
    NotWaited,
    /// No token is registered, so there was nothing to wait for.
    NothingToWait,
    /// Every registered token's log entry is in a confirmed anchor.
    Confirmed { tokens: usize, waited: Duration },
    /// The server has never anchored anything and did not batch these entries: it has
    /// no anchoring configured (or it is not running).
    NoAnchoring { waited: Duration },
    /// The timeout passed first.
    TimedOut { confirmed: usize, pending: usize, last_error: Option<String> },
    /// Asking the registry failed.
    Failed(String),
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The registry's base URL.
    pub server: String,
    /// `model version` as the spec names it.
    pub model: String,
    pub model_version_id: String,
    /// The version was registered by this run.
    pub model_version_registered: bool,
    pub circuit_id: String,
    /// The circuit was registered by this run.
    pub circuit_registered: bool,
    /// Every token of the spec, in order.
    pub tokens: Vec<TokenOutcome>,
    pub registered: usize,
    pub already_registered: usize,
    pub failed: usize,
    pub anchors: AnchorReport,
    pub elapsed: Duration,
}

impl Summary {
    /// The proof times of the tokens proven by this run.
    pub fn proof_times(&self) -> Vec<Duration> {
        self.tokens.iter().filter_map(|t| t.proof_time).collect()
    }

    /// No token failed.
    pub fn succeeded(&self) -> bool {
        self.failed == 0
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = |now: bool| if now { "registered now" } else { "already registered" };
        writeln!(f, "collection run against {} finished in {}", self.server, secs(self.elapsed))?;
        writeln!(
            f,
            "  model version {} ({}): {}",
            self.model,
            self.model_version_id,
            done(self.model_version_registered)
        )?;
        writeln!(f, "  circuit {}: {}", self.circuit_id, done(self.circuit_registered))?;
        writeln!(
            f,
            "  tokens: {} registered, {} already registered, {} failed (of {})",
            self.registered,
            self.already_registered,
            self.failed,
            self.tokens.len()
        )?;
        let times = self.proof_times();
        if let (Some(min), Some(max)) = (times.iter().min(), times.iter().max()) {
            let total: Duration = times.iter().sum();
            let mean = total / times.len() as u32;
            writeln!(
                f,
                "  proofs: {} in {}, {} per proof (fastest {}, slowest {})",
                times.len(),
                secs(total),
                secs(mean),
                secs(*min),
                secs(*max)
            )?;
        }
        match &self.anchors {
            AnchorReport::NotWaited => writeln!(f, "  anchors: not waited for (--no-wait)")?,
            AnchorReport::NothingToWait => writeln!(f, "  anchors: no registered token to wait for")?,
            AnchorReport::Confirmed { tokens, waited } => {
                writeln!(f, "  anchors: all {tokens} tokens anchored and confirmed (waited {})", secs(*waited))?
            }
            AnchorReport::NoAnchoring { waited } => writeln!(
                f,
                "  anchors: the registry has never anchored anything and did not batch these tokens in {}; it \
                 seems to have no anchoring configured, so not waiting longer",
                secs(*waited)
            )?,
            AnchorReport::TimedOut { confirmed, pending, last_error } => {
                write!(f, "  anchors: timed out with {confirmed} confirmed and {pending} not yet")?;
                match last_error {
                    Some(e) => writeln!(f, " (last anchoring error: {e})")?,
                    None => writeln!(f, " (re-run to keep waiting; registered tokens are skipped)")?,
                }
            }
            AnchorReport::Failed(e) => writeln!(f, "  anchors: could not be checked: {e}")?,
        }
        for t in &self.tokens {
            let what = match &t.result {
                TokenResult::Registered => "registered",
                TokenResult::AlreadyRegistered => "already registered",
                TokenResult::Failed(_) => "FAILED",
            };
            write!(f, "  #{:<6} {what:<18}", t.token_id)?;
            if let Some(url) = &t.metadata_url {
                write!(f, " {url}")?;
            }
            if let Some(anchor) = &t.anchor {
                write!(f, "  anchor {}", anchor.status)?;
                if let Some(tx) = &anchor.tx_hash {
                    write!(f, " tx {tx}")?;
                }
            }
            if let TokenResult::Failed(why) = &t.result {
                write!(f, "\n           {why}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Progress on stderr: a bar on a terminal, one line per step and token otherwise, or
/// nothing.
struct Progress {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        if !enabled {
            return Self { bar: None, lines: false };
        }
        if !std::io::stderr().is_terminal() {
            return Self { bar: None, lines: true };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar: Some(bar), lines: false }
    }

    /// A step before or after the tokens.
    fn step(&self, message: impl Into<String>) {
        let message = message.into();
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        } else if self.lines {
            eprintln!("{message}");
        }
    }

    /// A message shown on the bar only (too frequent for lines).
    fn status(&self, message: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.into());
        }
    }

    /// A line that stays (printed above the bar).
    fn note(&self, message: impl AsRef<str>) {
        if let Some(bar) = &self.bar {
            bar.println(message);
        } else if self.lines {
            eprintln!("{}", message.as_ref());
        }
    }

    fn start_tokens(&self, count: usize) {
        if let Some(bar) = &self.bar {
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} tokens  {elapsed}  eta {eta}  {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_length(count as u64);
            bar.set_position(0);
            bar.reset_eta();
        }
    }

    fn token_done(&self, line: impl AsRef<str>) {
        self.note(line);
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn waiting(&self) {
        if let Some(bar) = &self.bar
            && let Ok(style) = ProgressStyle::with_template("{spinner} {msg}  {elapsed}")
        {
            bar.set_style(style);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A registered (or to be registered) model version.
struct Version {
    id: String,
    registered_now: bool,
    weights_sha256: String,
    /// `ACTIVE`, `DEPRECATED` or `REVOKED`.
    status: String,
    circuit: Option<RegisteredCircuit>,
}

struct RegisteredCircuit {
    id: String,
    commitment: String,
}

const PING: &str = "query { __typename }";
const MODEL: &str = "query($name: String!) { model(name: $name) { id versions { id versionLabel weightsSha256 \
     status circuit { id commitment } } } }";
const LICENSES: &str = "query($after: String) { licenses(first: 100, after: $after) { edges { node { id name \
     status } } pageInfo { hasNextPage endCursor } } }";
const LICENSE: &str = "query($id: String!) { license(id: $id) { id name status } }";
const DATASETS: &str = "query($name: String!, $after: String) { datasets(filter: { name: $name }, first: 100, \
     after: $after) { edges { node { id name version status } } pageInfo { hasNextPage endCursor } } }";
const DATASET: &str = "query($id: String!) { dataset(id: $id) { id name version status } }";
const REGISTER_VERSION: &str = "mutation($input: ModelVersionInput!) { registerModelVersion(input: $input) { id } }";
const REGISTER_CIRCUIT: &str = "mutation($input: CircuitInput!) { registerCircuit(input: $input) { id commitment } }";
const TOKEN: &str = "query($chain: Int!, $contract: String!, $id: String!) { token(chainId: $chain, contract: \
     $contract, tokenId: $id) { id inputSeed modelVersion { id } metadataPath assetPath } }";
const REGISTER_TOKEN: &str =
    "mutation($input: TokenInput!) { registerToken(input: $input) { id metadataPath assetPath } }";
const ANY_ANCHOR: &str = "query { anchors(first: 1) { edges { node { id } } } }";

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
    let plan = spec.plan()?;
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
            ensure_venv(&opts.venv_dir).await.context("preparing the prover's Python environment")?
        }
    };
    let onnx = match spec.onnx() {
        OnnxSource::Fixture => {
            progress.step("building the fixture model");
            fixture_model(&python, &opts.work_dir.join(FIXTURE_DIR)).await?
        }
        OnnxSource::File(path) => {
            if !path.is_file() {
                bail!("model.onnx: {} is not a file", path.display());
            }
            let calibration = path.with_file_name("calibration.json");
            if !calibration.is_file() {
                bail!(
                    "model.onnx: the circuit setup needs calibration data at {} (beside the model)",
                    calibration.display()
                );
            }
            path
        }
    };
    let onnx_sha256 = sha256_file(&onnx).await.with_context(|| format!("model.onnx: hashing {}", onnx.display()))?;

    // Everything that can be checked before the (slow) setup is checked first.
    let existing = find_version(&client, spec).await?;
    let new_version_input = match &existing {
        Some(version) => {
            check_existing_version(spec, version, &onnx_sha256)?;
            None
        }
        None => {
            progress.step(format!("resolving the licence, parent and datasets of {label}"));
            Some(version_input(&client, spec, &onnx_sha256).await?)
        }
    };

    progress.step(format!("setting up the circuit of {label} (once per model; later runs reuse it)"));
    let backend = EzklBackend::new(EzklConfig::new(&opts.work_dir).with_python(&python));
    let circuit =
        backend.setup(&onnx).await.with_context(|| format!("setting up the circuit of {}", onnx.display()))?;

    let version = match (existing, new_version_input) {
        (Some(existing), _) => existing,
        (None, Some(input)) => {
            progress.step(format!("registering model version {label}"));
            let data = client.request("registerModelVersion", REGISTER_VERSION, json!({ "input": input })).await?;
            let id = string_at(&data, &["registerModelVersion", "id"])?;
            progress.note(format!("registered model version {label} ({id})"));
            Version {
                id,
                registered_now: true,
                weights_sha256: onnx_sha256.clone(),
                status: "ACTIVE".into(),
                circuit: None,
            }
        }
        (None, None) => bail!("internal: no model version and nothing to register"),
    };

    let (circuit_id, circuit_registered) = match &version.circuit {
        Some(registered) => {
            if registered.commitment != circuit.commitment {
                bail!(
                    "model version {label} has circuit {} with commitment {}, but the circuit set up here (in {}) \
                     has commitment {}: its keys were made elsewhere, so the registry would reject these proofs; \
                     use that work directory (--work-dir) or register a new version",
                    registered.id,
                    registered.commitment,
                    circuit.dir.display(),
                    circuit.commitment
                );
            }
            (registered.id.clone(), false)
        }
        None => {
            progress.step(format!("registering the circuit of {label}"));
            let input = circuit_input(&backend, &circuit, &version.id).await?;
            let data = client.request("registerCircuit", REGISTER_CIRCUIT, json!({ "input": input })).await?;
            let id = string_at(&data, &["registerCircuit", "id"])?;
            progress.note(format!("registered the circuit of {label} ({id})"));
            (id, true)
        }
    };

    progress.start_tokens(plan.len());
    let mut tokens = Vec::with_capacity(plan.len());
    for planned in &plan {
        progress.status(format!("token {}", planned.token_id));
        let outcome = match token(&client, spec, &backend, &circuit, &version.id, planned).await {
            Ok(outcome) => outcome,
            Err(e) => {
                let done = tokens.iter().filter(|t: &&TokenOutcome| t.result == TokenResult::Registered).count();
                return Err(e.context(format!(
                    "token {}: stopped ({done} token(s) registered before; a new run skips them)",
                    planned.token_id
                )));
            }
        };
        progress.token_done(token_line(&outcome));
        tokens.push(outcome);
    }

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
        registered: count(|r| *r == TokenResult::Registered),
        already_registered: count(|r| *r == TokenResult::AlreadyRegistered),
        failed: count(|r| matches!(r, TokenResult::Failed(_))),
        tokens,
        anchors,
        elapsed: started.elapsed(),
    })
}

fn token_line(t: &TokenOutcome) -> String {
    match &t.result {
        TokenResult::Registered => {
            let time = t.proof_time.map(|d| format!(" (proof {})", secs(d))).unwrap_or_default();
            format!("token {}: registered{time}", t.token_id)
        }
        TokenResult::AlreadyRegistered => format!("token {}: already registered, skipped", t.token_id),
        TokenResult::Failed(why) => format!("token {}: FAILED: {why}", t.token_id),
    }
}

/// Builds the fixture model in a directory of its own and moves the files into `dir`, so
/// runs building it at the same time never read a half-written file.
async fn fixture_model(python: &Path, dir: &Path) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let scratch = dir.join(format!(".build-{}-{stamp}", std::process::id()));
    let built = build_fixture_model(python, &scratch).await.context("building the fixture model");
    let moved = async {
        let model = built?;
        let name = model.file_name().ok_or_else(|| anyhow!("the fixture model has no file name"))?.to_owned();
        // Calibration first: once the model is in place, its calibration is too.
        for file in [Path::new("calibration.json"), Path::new(&name)] {
            let (from, to) = (scratch.join(file), dir.join(file));
            tokio::fs::rename(&from, &to)
                .await
                .with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
        }
        Ok(dir.join(name))
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&scratch).await;
    moved
}

/// The model version the spec names, if registered.
async fn find_version(client: &Client, spec: &Spec) -> Result<Option<Version>> {
    let data = client.request("model", MODEL, json!({ "name": spec.model.name })).await?;
    let Some(versions) = data["model"]["versions"].as_array() else { return Ok(None) };
    let Some(found) = versions.iter().find(|v| v["versionLabel"].as_str() == Some(spec.model.version.as_str())) else {
        return Ok(None);
    };
    let circuit = match &found["circuit"] {
        Value::Null => None,
        c => Some(RegisteredCircuit { id: string_at(c, &["id"])?, commitment: string_at(c, &["commitment"])? }),
    };
    Ok(Some(Version {
        id: string_at(found, &["id"])?,
        registered_now: false,
        weights_sha256: string_at(found, &["weightsSha256"])?,
        status: found["status"].as_str().unwrap_or_default().to_owned(),
        circuit,
    }))
}

/// A registered version can generate these tokens: its weights are this ONNX model and it
/// is not revoked.
fn check_existing_version(spec: &Spec, version: &Version, onnx_sha256: &str) -> Result<()> {
    let label = format!("{} {}", spec.model.name, spec.model.version);
    if !version.weights_sha256.eq_ignore_ascii_case(onnx_sha256) {
        bail!(
            "model.onnx: model version {label} ({}) is registered with weightsSha256 {}, but the ONNX model \
             ({}) hashes to {onnx_sha256}; use the model file it was registered with, or a new version label",
            version.id,
            version.weights_sha256,
            spec.model.onnx
        );
    }
    if version.status == "REVOKED" {
        bail!(
            "model.version: model version {label} ({}) is revoked; the registry accepts no new tokens from it",
            version.id
        );
    }
    Ok(())
}

/// The `ModelVersionInput` of the spec's version, with names resolved to IDs.
async fn version_input(client: &Client, spec: &Spec, onnx_sha256: &str) -> Result<Value> {
    let m = &spec.model;
    let license = resolve_license(client, &m.license).await?;
    let parent = match (&m.parent, m.relation) {
        (Some(parent), Some(relation)) => {
            let id = resolve_parent(client, spec, parent).await?;
            Some(json!({ "id": id, "relation": relation.graphql() }))
        }
        _ => None,
    };
    let mut training = Vec::with_capacity(m.training_data.len());
    for (i, td) in m.training_data.iter().enumerate() {
        let id = resolve_dataset(client, &td.dataset, td.version.as_deref())
            .await
            .with_context(|| format!("model.training_data[{i}]"))?;
        training.push(json!({ "dataset": id, "role": td.role.graphql() }));
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let run = match &m.training_run {
        Some(run) => {
            let mut v = json!({ "id": run.id, "startedAt": run.started_at, "endedAt": run.ended_at });
            if let Some(compute) = &run.compute {
                v["compute"] = json!(compute);
            }
            v
        }
        None => json!({ "id": format!("{}-{}", m.name, m.version), "startedAt": now, "endedAt": now }),
    };
    let mut input = json!({
        "model": m.name,
        "versionLabel": m.version,
        "weightsSha256": onnx_sha256,
        "architecture": m.architecture.as_deref().unwrap_or("onnx"),
        "trainingRun": run,
        "license": license,
        "trainingData": training,
    });
    if let Some(hyper) = &m.hyper_parameters {
        input["hyperParameters"] = Value::Object(hyper.clone());
    }
    if let Some(parent) = parent {
        input["parent"] = parent;
    }
    Ok(input)
}

fn is_id(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

/// A licence ID from a name (or an ID).
async fn resolve_license(client: &Client, name: &str) -> Result<String> {
    if is_id(name) {
        let data = client.request("license", LICENSE, json!({ "id": name })).await?;
        return match data["license"]["id"].as_str() {
            Some(id) => Ok(id.to_owned()),
            None => bail!("model.license: no licence with ID {name}"),
        };
    }
    let mut after = Value::Null;
    let mut names = Vec::new();
    let mut matches = Vec::new();
    loop {
        let data = client.request("licenses", LICENSES, json!({ "after": after })).await?;
        let page = &data["licenses"];
        for node in page["edges"].as_array().into_iter().flatten().map(|e| &e["node"]) {
            let this = node["name"].as_str().unwrap_or_default();
            if this == name {
                matches.push((string_at(node, &["id"])?, node["status"].as_str().unwrap_or_default().to_owned()));
            }
            names.push(this.to_owned());
        }
        if page["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    match matches.as_slice() {
        [(id, _)] => Ok(id.clone()),
        [] => {
            names.sort();
            names.dedup();
            bail!("model.license: no licence is named {name:?}; registered licences: {}", quoted_list(&names))
        }
        several => {
            let active: Vec<&(String, String)> = several.iter().filter(|(_, s)| s == "ACTIVE").collect();
            match active.as_slice() {
                [(id, _)] => Ok(id.clone()),
                _ => bail!(
                    "model.license: {} licences are named {name:?} ({}); give the ID instead",
                    several.len(),
                    several.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
}

/// The parent version's ID from its label (or ID), within the spec's model.
async fn resolve_parent(client: &Client, spec: &Spec, parent: &str) -> Result<String> {
    let data = client.request("model", MODEL, json!({ "name": spec.model.name })).await?;
    let versions = data["model"]["versions"].as_array().cloned().unwrap_or_default();
    let found =
        versions.iter().find(|v| v["versionLabel"].as_str() == Some(parent) || v["id"].as_str() == Some(parent));
    match found {
        Some(v) => string_at(v, &["id"]),
        None => {
            let labels: Vec<String> =
                versions.iter().filter_map(|v| v["versionLabel"].as_str().map(str::to_owned)).collect();
            if labels.is_empty() {
                bail!(
                    "model.parent: model {:?} has no registered version {parent:?} (it has no versions)",
                    spec.model.name
                )
            }
            bail!(
                "model.parent: model {:?} has no version {parent:?}; its versions: {}",
                spec.model.name,
                quoted_list(&labels)
            )
        }
    }
}

/// A dataset ID from a name and optional version (or an ID).
async fn resolve_dataset(client: &Client, name: &str, version: Option<&str>) -> Result<String> {
    if is_id(name) {
        let data = client.request("dataset", DATASET, json!({ "id": name })).await?;
        return match data["dataset"]["id"].as_str() {
            Some(id) => Ok(id.to_owned()),
            None => bail!("dataset: no dataset with ID {name}"),
        };
    }
    let mut after = Value::Null;
    let mut found = Vec::new();
    loop {
        let data = client.request("datasets", DATASETS, json!({ "name": name, "after": after })).await?;
        let page = &data["datasets"];
        for node in page["edges"].as_array().into_iter().flatten().map(|e| &e["node"]) {
            found.push((string_at(node, &["id"])?, node["version"].as_str().unwrap_or_default().to_owned()));
        }
        if page["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let versions: Vec<String> = found.iter().map(|(_, v)| v.clone()).collect();
    if let Some(wanted) = version {
        return match found.iter().find(|(_, v)| v == wanted) {
            Some((id, _)) => Ok(id.clone()),
            None if found.is_empty() => bail!("dataset: no dataset is named {name:?}"),
            None => bail!("version: dataset {name:?} has no version {wanted:?}; it has {}", quoted_list(&versions)),
        };
    }
    match found.as_slice() {
        [(id, _)] => Ok(id.clone()),
        [] => bail!("dataset: no dataset is named {name:?}"),
        _ => bail!("dataset: {name:?} has several versions ({}); say which with `version`", quoted_list(&versions)),
    }
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
}

/// The `CircuitInput` of `circuit` for model version `version`.
async fn circuit_input(backend: &EzklBackend, circuit: &Circuit, version: &str) -> Result<Value> {
    let read = |name: &'static str| {
        let path = circuit.dir.join(name);
        async move { tokio::fs::read(&path).await.with_context(|| format!("reading {}", path.display())) }
    };
    let settings = String::from_utf8(read(SETTINGS_FILE).await?)
        .map_err(|_| anyhow!("{} is not UTF-8", circuit.dir.join(SETTINGS_FILE).display()))?;
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let system_version = backend.system_version().await.context("asking the prover for its EZKL version")?;
    Ok(json!({
        "modelVersion": version,
        "systemVersion": system_version,
        "onnxSha256": circuit.onnx_sha256,
        "settings": settings,
        "verifyingKey": b64(read(VK_FILE).await?),
        "srs": b64(read(SRS_FILE).await?),
    }))
}

/// One token: skipped when registered, otherwise proven, drawn and registered. `Err` only
/// for errors that concern the whole run.
async fn token(
    client: &Client,
    spec: &Spec,
    backend: &EzklBackend,
    circuit: &Circuit,
    version: &str,
    planned: &PlannedToken,
) -> Result<TokenOutcome> {
    let id = planned.token_id;
    let seed_hex = hex::encode(planned.seed);
    let key = json!({ "chain": spec.collection.chain_id, "contract": spec.contract(), "id": id.to_string() });
    let data = client.request("token", TOKEN, key).await?;
    if !data["token"].is_null() {
        return Ok(existing_token(client, id, &data["token"], &seed_hex, version));
    }

    let input = match provreg_prover_client::seed::model_input(&planned.seed, circuit.input_len, circuit.input_scale) {
        Ok(input) => input,
        Err(e) => return Ok(TokenOutcome::new(id, TokenResult::Failed(format!("deriving the model input: {e}")))),
    };
    let proving = Instant::now();
    let (traits, record) = match backend.prove(circuit, &input).await {
        Ok(proven) => proven,
        Err(e) => return Ok(TokenOutcome::new(id, TokenResult::Failed(format!("proving: {e}")))),
    };
    let proof_time = proving.elapsed();
    let png = match render_png(&traits) {
        Ok(png) => png,
        Err(e) => return Ok(TokenOutcome::new(id, TokenResult::Failed(format!("drawing the asset: {e}")))),
    };

    let mut seed_source = json!({ "kind": spec.seeds.kind.graphql() });
    if let Some(request) = &planned.request_id {
        seed_source["requestId"] = json!(request);
    }
    if let Some(tx) = &planned.tx_hash {
        seed_source["txHash"] = json!(tx);
    }
    let mut input = json!({
        "chainId": spec.collection.chain_id,
        "contract": spec.contract(),
        "tokenId": id.to_string(),
        "modelVersion": version,
        "assetSha256": hex::encode(Sha256::digest(&png)),
        "mediaType": "image/png",
        "name": format!("{} #{id}", spec.collection.name.trim()),
        "inputSeed": format!("0x{seed_hex}"),
        "seedSource": seed_source,
        "traits": traits.iter().map(|t| f64::from(*t)).collect::<Vec<_>>(),
        "proof": proof_input(&record),
        "asset": base64::engine::general_purpose::STANDARD.encode(&png),
    });
    if let Some(description) = &spec.collection.description {
        input["description"] = json!(description);
    }
    match client.request("registerToken", REGISTER_TOKEN, json!({ "input": input })).await {
        Ok(data) => {
            let mut outcome = TokenOutcome::new(id, TokenResult::Registered);
            outcome.proof_time = Some(proof_time);
            outcome.metadata_url = data["registerToken"]["metadataPath"].as_str().map(|p| url(client, p));
            outcome.asset_url = data["registerToken"]["assetPath"].as_str().map(|p| url(client, p));
            Ok(outcome)
        }
        Err(e) => match e.downcast_ref::<RegistryError>() {
            Some(refused) if refused.code() == Some("CONFLICT") => {
                // Registered by someone else since the check: look at what is there.
                let key =
                    json!({ "chain": spec.collection.chain_id, "contract": spec.contract(), "id": id.to_string() });
                let data = client.request("token", TOKEN, key).await?;
                if data["token"].is_null() {
                    return Ok(TokenOutcome::new(id, TokenResult::Failed(refused.to_string())));
                }
                Ok(existing_token(client, id, &data["token"], &seed_hex, version))
            }
            Some(refused) if refused.is_about_the_input() => {
                Ok(TokenOutcome::new(id, TokenResult::Failed(refused.to_string())))
            }
            _ => Err(e),
        },
    }
}

/// A token found registered: skipped if it is this seed from this version, failed otherwise.
fn existing_token(client: &Client, id: u64, token: &Value, seed_hex: &str, version: &str) -> TokenOutcome {
    let seed = token["inputSeed"].as_str().unwrap_or_default().trim_start_matches("0x");
    let by = token["modelVersion"]["id"].as_str().unwrap_or_default();
    let result = if !seed.eq_ignore_ascii_case(seed_hex) {
        TokenResult::Failed(format!(
            "already registered with another seed (0x{seed}, the spec gives 0x{seed_hex}); not overwritten"
        ))
    } else if by != version {
        TokenResult::Failed(format!("already registered from model version {by}, not {version}; not overwritten"))
    } else {
        TokenResult::AlreadyRegistered
    };
    let mut outcome = TokenOutcome::new(id, result);
    outcome.metadata_url = token["metadataPath"].as_str().map(|p| url(client, p));
    outcome.asset_url = token["assetPath"].as_str().map(|p| url(client, p));
    outcome
}

fn url(client: &Client, path: &str) -> String {
    format!("{}{path}", client.base())
}

/// The `ProofRecordInput` (GraphQL `registerToken`) of `record`.
pub fn proof_input(record: &ProofRecord) -> Value {
    json!({
        "system": record.system,
        "systemVersion": record.system_version,
        "vkSha256": record.vk_sha256,
        "settingsSha256": record.settings_sha256,
        "modelCommitment": record.model_commitment,
        "publicInputs": record.public_inputs,
        "publicOutputs": record.public_outputs,
        "proof": hex::encode(&record.proof),
    })
}

/// Polls the registered tokens' log entries until all are in confirmed anchors, the
/// timeout passes, or the server turns out to have no anchoring.
async fn wait_for_anchors(
    client: &Client,
    spec: &Spec,
    tokens: &mut [TokenOutcome],
    timeout: Duration,
    progress: &Progress,
) -> AnchorReport {
    let watched: Vec<usize> = (0..tokens.len()).filter(|&i| tokens[i].is_registered()).collect();
    if watched.is_empty() {
        return AnchorReport::NothingToWait;
    }
    let started = Instant::now();
    let grace = timeout.min(NO_ANCHORING_GRACE);
    let mut last_confirmed = None;
    loop {
        for chunk in watched.chunks(POLL_CHUNK) {
            match anchor_states(client, spec, chunk.iter().map(|&i| tokens[i].token_id)).await {
                Ok(states) => {
                    for (&i, state) in chunk.iter().zip(states) {
                        tokens[i].anchor = Some(state);
                    }
                }
                Err(e) => return AnchorReport::Failed(format!("{e:#}")),
            }
        }
        let states: Vec<&AnchorState> = watched.iter().filter_map(|&i| tokens[i].anchor.as_ref()).collect();
        let confirmed = states.iter().filter(|s| s.status == "CONFIRMED").count();
        let message = format!("waiting for anchors: {confirmed}/{} confirmed", watched.len());
        if last_confirmed.replace(confirmed) == Some(confirmed) {
            progress.status(message);
        } else {
            progress.step(message);
        }
        let waited = started.elapsed();
        if confirmed == watched.len() {
            return AnchorReport::Confirmed { tokens: confirmed, waited };
        }
        let none_batched = states.iter().all(|s| s.status == "UNBATCHED");
        if none_batched && waited >= grace {
            match client.request("anchors", ANY_ANCHOR, json!({})).await {
                Ok(data) if data["anchors"]["edges"].as_array().is_some_and(Vec::is_empty) => {
                    return AnchorReport::NoAnchoring { waited };
                }
                Ok(_) => {}
                Err(e) => return AnchorReport::Failed(format!("{e:#}")),
            }
        }
        if waited >= timeout {
            let last_error = states.iter().find_map(|s| s.last_error.clone());
            return AnchorReport::TimedOut { confirmed, pending: watched.len() - confirmed, last_error };
        }
        tokio::time::sleep(ANCHOR_POLL.min(timeout.saturating_sub(waited))).await;
    }
}

/// The anchor state of each of `ids`, in order, in one request.
async fn anchor_states(client: &Client, spec: &Spec, ids: impl Iterator<Item = u64>) -> Result<Vec<AnchorState>> {
    let ids: Vec<u64> = ids.collect();
    let mut query = String::from("query($chain: Int!, $contract: String!) {");
    for (i, id) in ids.iter().enumerate() {
        // Token IDs are integers, so the query text is safe to build.
        query.push_str(&format!(
            " t{i}: token(chainId: $chain, contract: $contract, tokenId: \"{id}\") {{ logEntry {{ seq anchor {{ \
             status txHash lastError }} }} }}"
        ));
    }
    query.push_str(" }");
    let data = client
        .request("anchor status", &query, json!({ "chain": spec.collection.chain_id, "contract": spec.contract() }))
        .await?;
    Ok((0..ids.len())
        .map(|i| {
            let entry = &data[format!("t{i}")]["logEntry"];
            let anchor = &entry["anchor"];
            let status = match anchor["status"].as_str() {
                Some(status) => status.to_owned(),
                None => "UNBATCHED".to_owned(),
            };
            AnchorState {
                status,
                tx_hash: anchor["txHash"].as_str().map(str::to_owned),
                last_error: anchor["lastError"].as_str().map(str::to_owned),
            }
        })
        .collect())
}

/// The string at `path` in `value`, or an error naming the path.
fn string_at(value: &Value, path: &[&str]) -> Result<String> {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    at.as_str().map(str::to_owned).ok_or_else(|| anyhow!("the registry's answer has no {}", path.join(".")))
}
