//! The collection spec: a TOML file naming the registry, the token contract, the model
//! version and the seeds of a collection. `fixtures/demo-collection.toml` is a commented
//! example.
//!
//! ```toml
//! # The registry (default http://127.0.0.1:8080); `--server` overrides it.
//! server = "http://127.0.0.1:8080"
//!
//! [collection]
//! chain_id = 31337                                       # EIP-155 chain ID of the contract
//! contract = "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707" # 0x and 40 hex digits; optional
//!                                                        # with [onchain] (then deployed)
//! name = "Pixel Trait"      # token N is named "Pixel Trait #N" (at most 150 characters)
//! description = "…"         # optional, given to every token (at most 2000 characters)
//!
//! [model]
//! name = "trait-generator"  # the model
//! version = "v3-zk"         # the version label
//! onnx = "fixture"          # the built-in fixture model, or a path to an ONNX file
//!                           # (relative to this file) with its calibration.json beside it
//! license = "Apache License 2.0"  # licence name (or ID) the version is released under
//! parent = "v2"             # optional: a version of the same model (label or ID) …
//! relation = "retrain"      # … and how this one came from it: retrain or finetune
//! training_data = [         # optional: datasets by name (or ID), `version` when the name
//!   { dataset = "pixel-traits", role = "finetune" },  # has several; role pretrain,
//! ]                                                   # finetune or eval
//! architecture = "onnx mlp 8-16-4"  # optional (default "onnx")
//! renderer = { name = "pixel-bands", version = 1 }  # optional: what draws each asset from
//!                           # its proven outputs (default palette-8x8 v1 for
//!                           # onnx = "fixture-image", pixel-bands v1 otherwise)
//! hyper_parameters = { epochs = 40 } # optional: strings, numbers, booleans
//! training_run = { id = "run-1", started_at = "2025-01-01T00:00:00Z",
//!                  ended_at = "2025-01-01T02:00:00Z", compute = "1x A100" }  # optional
//!
//! [seeds]
//! first_token_id = 1        # tokens first_token_id, first_token_id + 1, …
//! count = 5                 # how many (optional when `seeds` lists them)
//! kind = "operator"         # operator (unverified) or chain (assigned by the contract)
//! salt = "demo-2025"        # operator: derived seeds (when `seeds` is not given)
//! # seeds = ["0x…", …]      # operator: one explicit 32-byte seed (64 hex digits) per token
//! # delay = 2               # chain: blocks from the commitment to its randomness block
//! # beacon_url = "…"        # beacon: the drand endpoint (default quicknet's)
//!
//! [onchain]                 # optional: mint every token on chain before registering it
//! name = "Pixel Traits"     # the collection contract's ERC-721 name (default collection.name)
//! symbol = "PXT"            # its ERC-721 symbol (1 to 16 letters and digits)
//! # rpc_url = "http://127.0.0.1:8545"  # the chain's JSON-RPC endpoint (see below)
//! ```
//!
//! The `[model]` fields other than `name`, `version` and `onnx` are used only when the
//! version is not registered yet; a registered version's weights hash must equal the
//! ONNX file's SHA-256.
//!
//! **Derived seeds.** Without `seeds`, the seed of token `t` is
//! `SHA-256("provreg.collection.v1" ‖ chain_id ‖ contract ‖ t ‖ salt)`, where `chain_id`
//! is 8 bytes big-endian, `contract` the address's 20 bytes, `t` 32 bytes big-endian (a
//! uint256) and `salt` its UTF-8 bytes. Anyone holding the spec can recompute them.
//!
//! **Chain seeds.** With `kind = "chain"` (which needs `[onchain]`) the collection contract
//! assigns the seeds: the run commits to the token IDs no commitment holds yet
//! (`commitSeeds`), waits for the block `delay` blocks later, reveals its hash
//! (`revealSeeds`) and proves the seed the contract derives for each token (`seedOf`; see
//! `provreg-seed`). A collection deployed by the run takes chain seeds with that delay.
//! With `kind = "beacon"` the run commits the same way, then fetches the first round of the
//! drand beacon at `beacon_url` published after the commitment's block, checks its
//! signature, and derives each token's seed from it (the registry checks it again against
//! its configured beacon; `serve --dev` serves a local development beacon at
//! `<server>/beacon`).
//!
//! **On chain.** With `[onchain]`, the tokens live in a `ProvregCollection` contract that
//! verifies each token's proof when it is minted. Without `collection.contract`, the run
//! uses the model version's collection recorded by the registry on `chain_id` with this
//! name, symbol and minter, and deploys one through the registry (`deployCollection`) when
//! there is none; with it, the contract must be such a recorded collection. The minter is
//! the account of the minter key (`--minter-key-file`, `PROVREG_MINTER_KEY`, or the
//! `dev-minter.key` that `serve --dev` writes). The endpoint is `--rpc-url`, else
//! `onchain.rpc_url`, else `anchoring.rpc_url` of the configuration, else the local chain
//! `serve --dev` runs (its URL is in `dev-chain.url` in the data directory).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;

use crate::error::{CollectionError, Result};

mod plan;
#[cfg(test)]
mod tests;

pub(crate) use plan::parse_address;
pub use plan::{BeaconRound, PlannedToken, derive_seed};

/// The registry a spec talks to when it names none.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The `onnx` value that selects the built-in fixture model.
pub const FIXTURE: &str = "fixture";

/// The `onnx` value that selects the built-in fixture image generator (64 proven pixels).
pub const FIXTURE_IMAGE: &str = "fixture-image";

/// Domain separation prefix of derived seeds.
pub const SEED_DOMAIN: &[u8] = b"provreg.collection.v1";

/// The most tokens one spec may describe.
pub const MAX_TOKENS: u64 = 100_000;

/// Longest token name prefix (a token name is at most 200 characters).
const MAX_NAME: usize = 150;
/// Longest token description.
const MAX_DESCRIPTION: usize = 2000;
/// Largest chain ID the registry accepts (2^53 - 1).
const MAX_CHAIN_ID: i64 = 9_007_199_254_740_991;

/// A parsed and checked collection spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Base URL of the registry.
    #[serde(default = "default_server")]
    pub server: String,
    pub collection: CollectionSpec,
    pub model: ModelSpec,
    pub seeds: SeedsSpec,
    /// Minting on chain, when given.
    #[serde(default)]
    pub onchain: Option<OnchainSpec>,
    /// The directory relative ONNX paths are resolved against (the spec file's).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

fn default_server() -> String {
    DEFAULT_SERVER.to_owned()
}

/// `[collection]`: where the tokens live and what they are called.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionSpec {
    pub chain_id: i64,
    /// The token contract, `0x` and 40 hex digits; with `[onchain]` it may be left out (the
    /// run then finds or deploys the collection and sets it).
    #[serde(default)]
    pub contract: Option<String>,
    /// Token `t` is named `"{name} #{t}"`.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// `[onchain]`: the tokens are minted on chain, in a collection contract that verifies their
/// proofs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnchainSpec {
    /// The contract's ERC-721 name; default `collection.name`.
    #[serde(default)]
    pub name: Option<String>,
    /// The contract's ERC-721 symbol.
    pub symbol: String,
    /// The chain's JSON-RPC endpoint; `--rpc-url` overrides it.
    #[serde(default)]
    pub rpc_url: Option<String>,
}

/// `[model]`: the model version that generates the tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub name: String,
    /// The version label.
    pub version: String,
    /// [`FIXTURE`] or a path to an ONNX file.
    pub onnx: String,
    /// Licence name or ID.
    pub license: String,
    /// Parent version label or ID (same model).
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub relation: Option<Relation>,
    #[serde(default)]
    pub training_data: Vec<TrainingDataSpec>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub hyper_parameters: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub training_run: Option<TrainingRunSpec>,
    /// The renderer that draws each token's asset from its proven outputs; default
    /// `palette-8x8` v1 for the fixture image generator, `pixel-bands` v1 otherwise.
    #[serde(default)]
    pub renderer: Option<RendererSpec>,
}

/// A renderer by name and version (see `provreg-render`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RendererSpec {
    pub name: String,
    pub version: u32,
}

/// How a version came from its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    Retrain,
    Finetune,
}

impl Relation {
    /// The GraphQL enum value.
    pub fn graphql(self) -> &'static str {
        match self {
            Self::Retrain => "RETRAIN",
            Self::Finetune => "FINETUNE",
        }
    }
}

/// One dataset the version was trained or evaluated on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingDataSpec {
    /// Dataset name or ID.
    pub dataset: String,
    /// The dataset version, needed when several versions share the name.
    #[serde(default)]
    pub version: Option<String>,
    pub role: TrainingRole,
}

/// What a dataset was used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainingRole {
    Pretrain,
    Finetune,
    Eval,
}

impl TrainingRole {
    /// The GraphQL enum value.
    pub fn graphql(self) -> &'static str {
        match self {
            Self::Pretrain => "PRETRAIN",
            Self::Finetune => "FINETUNE",
            Self::Eval => "EVAL",
        }
    }
}

/// The training run of a version registered by the spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRunSpec {
    pub id: String,
    pub started_at: String,
    pub ended_at: String,
    #[serde(default)]
    pub compute: Option<String>,
}

/// `[seeds]`: which tokens, and the seed of each.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedsSpec {
    pub first_token_id: u64,
    #[serde(default)]
    pub count: Option<u64>,
    pub kind: SeedKind,
    #[serde(default)]
    pub salt: Option<String>,
    #[serde(default)]
    pub seeds: Option<Vec<String>>,
    /// `chain` seeds of a collection deployed by the run: blocks from a commitment to its
    /// randomness block (1 to 128, default 2).
    #[serde(default)]
    pub delay: Option<u64>,
    /// `beacon` seeds: the drand HTTP endpoint of the beacon (its chain's base URL, serving
    /// `/info` and `/public/{round}`); default drand's quicknet.
    #[serde(default)]
    pub beacon_url: Option<String>,
}

/// drand's quicknet, as its public HTTP API serves it.
pub const QUICKNET_URL: &str = "https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";

/// Where the seeds come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SeedKind {
    /// Chosen by the operator (a salt or a list): accepted, unverified.
    Operator,
    /// Assigned by the collection contract from a block mined after the run commits to the
    /// token IDs.
    Chain,
    /// From the first drand round published after the run commits to the token IDs.
    Beacon,
}

impl SeedKind {
    /// The GraphQL enum value.
    pub fn graphql(self) -> &'static str {
        match self {
            Self::Operator => "OPERATOR",
            Self::Chain => "CHAIN",
            Self::Beacon => "BEACON",
        }
    }
}

/// Where the model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnnxSource {
    /// The built-in fixture trait generator.
    Fixture,
    /// The built-in fixture image generator.
    FixtureImage,
    /// An ONNX file.
    File(PathBuf),
}

impl Spec {
    /// Reads, parses and checks the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| CollectionError::SpecFile { path: path.to_path_buf(), source })?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Spec::parse(&text, base)
            .map_err(|e| CollectionError::InvalidSpecFile { path: path.to_path_buf(), source: Box::new(e) })
    }

    /// Parses and checks spec text; relative ONNX paths are resolved against `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Spec> {
        let mut spec: Spec = Figment::from(Toml::string(text)).extract().map_err(describe_figment)?;
        spec.base_dir = base_dir.to_path_buf();
        spec.check()?;
        Ok(spec)
    }

    /// Every rule a spec must follow that its types do not express; the first broken rule
    /// is reported, naming its field.
    pub fn check(&self) -> Result<()> {
        let c = &self.collection;
        let server = self.server.trim();
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(CollectionError::field(
                "server",
                format!("must be an http:// or https:// URL, got {:?}", self.server),
            ));
        }
        if !(1..=MAX_CHAIN_ID).contains(&c.chain_id) {
            return Err(CollectionError::field(
                "collection.chain_id",
                format!("must be between 1 and {MAX_CHAIN_ID}, got {}", c.chain_id),
            ));
        }
        match (&c.contract, &self.onchain) {
            (Some(contract), _) => {
                parse_address(contract).map_err(|reason| CollectionError::field("collection.contract", reason))?;
            }
            (None, Some(_)) => {}
            (None, None) => {
                return Err(CollectionError::field(
                    "collection.contract",
                    "missing: give the token contract, or add an [onchain] section to mint in a collection the \
                     registry deploys",
                ));
            }
        }
        if let Some(onchain) = &self.onchain {
            let name = onchain.name.as_deref().unwrap_or(&c.name).trim();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(CollectionError::field(
                    "onchain.name",
                    "must have 1 to 100 characters without control characters",
                ));
            }
            let symbol = &onchain.symbol;
            if symbol.is_empty() || symbol.len() > 16 || !symbol.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                return Err(CollectionError::field("onchain.symbol", "must be 1 to 16 ASCII letters and digits"));
            }
            if let Some(url) = &onchain.rpc_url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(CollectionError::field("onchain.rpc_url", format!("must be an http(s) URL, got {url:?}")));
            }
        }
        if c.name.trim().is_empty() || c.name.chars().count() > MAX_NAME {
            return Err(CollectionError::field("collection.name", format!("must have 1 to {MAX_NAME} characters")));
        }
        if c.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
            return Err(CollectionError::field(
                "collection.description",
                format!("must have at most {MAX_DESCRIPTION} characters"),
            ));
        }

        let m = &self.model;
        for (field, value, max) in [("name", &m.name, 200), ("version", &m.version, 100), ("license", &m.license, 200)]
        {
            if value.trim().is_empty() || value.chars().count() > max {
                return Err(CollectionError::field(
                    format!("model.{field}"),
                    format!("must have 1 to {max} characters"),
                ));
            }
        }
        if m.onnx.trim().is_empty() {
            return Err(CollectionError::field(
                "model.onnx",
                format!("give \"{FIXTURE}\", \"{FIXTURE_IMAGE}\" or the path of an ONNX file"),
            ));
        }
        match (&m.parent, m.relation) {
            (Some(_), None) => {
                return Err(CollectionError::field(
                    "model.relation",
                    "a version with a parent needs relation = \"retrain\" or \"finetune\"",
                ));
            }
            (None, Some(_)) => return Err(CollectionError::field("model.relation", "given without model.parent")),
            (Some(p), _) if p == &m.version => {
                return Err(CollectionError::field("model.parent", "a version cannot be its own parent"));
            }
            _ => {}
        }
        for (i, td) in m.training_data.iter().enumerate() {
            if td.dataset.trim().is_empty() {
                return Err(CollectionError::field(format!("model.training_data[{i}].dataset"), "must not be empty"));
            }
        }
        if let Some(run) = &m.training_run {
            for (field, value) in [("started_at", &run.started_at), ("ended_at", &run.ended_at)] {
                chrono::DateTime::parse_from_rfc3339(value).map_err(|e| {
                    CollectionError::field(
                        format!("model.training_run.{field}"),
                        format!("not an RFC 3339 date-time ({e}), e.g. 2025-01-31T12:00:00Z"),
                    )
                })?;
            }
        }

        self.renderer()?;
        if self.seeds.kind != SeedKind::Beacon && self.seeds.beacon_url.is_some() {
            return Err(CollectionError::field("seeds.beacon_url", "only beacon seeds have a beacon"));
        }
        if self.seeds.kind != SeedKind::Operator {
            return self.check_chain_seeds();
        }
        if self.seeds.delay.is_some() {
            return Err(CollectionError::field("seeds.delay", "only chain seeds have a delay"));
        }
        if self.collection.contract.is_some() {
            self.plan().map(|_| ())
        } else {
            // The seeds of a collection not deployed yet: checked with a stand-in address.
            self.with_contract(&format!("0x{}", "00".repeat(20))).plan().map(|_| ())
        }
    }

    /// The rules of `kind = "chain"` and `"beacon"`: minted on chain, no seeds of the
    /// operator's, a delay in range (chain only), a beacon URL (beacon only), a token range
    /// that fits.
    fn check_chain_seeds(&self) -> Result<()> {
        let s = &self.seeds;
        let kind = if s.kind == SeedKind::Beacon { "beacon" } else { "chain" };
        if self.onchain.is_none() {
            return Err(CollectionError::field(
                "seeds.kind",
                format!("{kind} seeds are committed to in the collection contract: add an [onchain] section"),
            ));
        }
        if s.salt.is_some() || s.seeds.is_some() {
            let field = if s.salt.is_some() { "seeds.salt" } else { "seeds.seeds" };
            return Err(CollectionError::field(
                field,
                format!("{kind} seeds are not chosen by the operator; remove it"),
            ));
        }
        if s.kind == SeedKind::Beacon && s.delay.is_some() {
            return Err(CollectionError::field("seeds.delay", "only chain seeds have a delay"));
        }
        if let Some(url) = &s.beacon_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(CollectionError::field("seeds.beacon_url", format!("must be an http(s) URL, got {url:?}")));
        }
        if let Some(delay) = s.delay
            && !(1..=128).contains(&delay)
        {
            return Err(CollectionError::field("seeds.delay", format!("must be 1 to 128 blocks, got {delay}")));
        }
        self.token_ids().map(|_| ())
    }

    /// The first token ID and the number of tokens.
    pub fn token_ids(&self) -> Result<(u64, u64)> {
        let s = &self.seeds;
        let count = match (s.count, &s.seeds) {
            (Some(n), Some(list)) if n != list.len() as u64 => {
                return Err(CollectionError::field(
                    "seeds.count",
                    format!("is {n} but seeds.seeds lists {} seeds", list.len()),
                ));
            }
            (Some(n), _) => n,
            (None, Some(list)) => list.len() as u64,
            (None, None) => {
                return Err(CollectionError::field(
                    "seeds.count",
                    "missing (give count, or list the seeds in seeds.seeds)",
                ));
            }
        };
        if count == 0 || count > MAX_TOKENS {
            return Err(CollectionError::field(
                "seeds.count",
                format!("must be between 1 and {MAX_TOKENS}, got {count}"),
            ));
        }
        if s.first_token_id.checked_add(count - 1).is_none() {
            return Err(CollectionError::field(
                "seeds.first_token_id",
                format!("{} + {count} tokens overflows a 64-bit token ID", s.first_token_id),
            ));
        }
        Ok((s.first_token_id, count))
    }

    /// This spec with `contract` as its token contract.
    pub fn with_contract(&self, contract: &str) -> Spec {
        let mut spec = self.clone();
        spec.collection.contract = Some(contract.to_ascii_lowercase());
        spec
    }

    /// The `[onchain]` collection's ERC-721 name.
    pub fn onchain_name(&self) -> Option<String> {
        let onchain = self.onchain.as_ref()?;
        Some(onchain.name.as_deref().unwrap_or(&self.collection.name).trim().to_owned())
    }

    /// The renderer of the tokens' assets (checked by [`Spec::check`]).
    pub fn renderer(&self) -> Result<provreg_render::Renderer> {
        match &self.model.renderer {
            Some(r) => provreg_render::Renderer::find(&r.name, r.version).ok_or_else(|| {
                let known: Vec<String> =
                    provreg_render::RENDERERS.iter().map(|k| format!("{} v{}", k.name, k.version)).collect();
                CollectionError::field(
                    "model.renderer",
                    format!("no renderer {} version {}; known: {}", r.name, r.version, known.join(", ")),
                )
            }),
            None if self.model.onnx == FIXTURE_IMAGE => Ok(provreg_render::PALETTE_8X8),
            None => Ok(provreg_render::PIXEL_BANDS),
        }
    }

    /// Where the model comes from.
    pub fn onnx(&self) -> OnnxSource {
        if self.model.onnx == FIXTURE {
            OnnxSource::Fixture
        } else if self.model.onnx == FIXTURE_IMAGE {
            OnnxSource::FixtureImage
        } else {
            OnnxSource::File(self.base_dir.join(&self.model.onnx))
        }
    }

    /// The contract address, lower-case (empty while an `[onchain]` collection is not known).
    pub fn contract(&self) -> String {
        self.collection.contract.as_deref().unwrap_or_default().to_ascii_lowercase()
    }
}

/// Figment's errors as `field.path: what is wrong`, one per line.
fn describe_figment(error: figment::Error) -> CollectionError {
    let mut text = String::new();
    for e in error {
        if !text.is_empty() {
            text.push('\n');
        }
        let path = e.path.join(".");
        if path.is_empty() {
            let _ = write!(text, "{}", e.kind);
        } else {
            let _ = write!(text, "{path}: {}", e.kind);
        }
    }
    CollectionError::SpecSyntax(text)
}
