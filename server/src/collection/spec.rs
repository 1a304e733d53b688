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
//! contract = "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707" # 0x and 40 hex digits
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
//! hyper_parameters = { epochs = 40 } # optional: strings, numbers, booleans
//! training_run = { id = "run-1", started_at = "2025-01-01T00:00:00Z",
//!                  ended_at = "2025-01-01T02:00:00Z", compute = "1x A100" }  # optional
//!
//! [seeds]
//! first_token_id = 1        # tokens first_token_id, first_token_id + 1, …
//! count = 5                 # how many (optional when `seeds` lists them)
//! kind = "operator"         # operator, vrf or commitReveal
//! salt = "demo-2025"        # derived seeds (when `seeds` is not given)
//! # seeds = ["0x…", …]      # or one explicit 32-byte seed (64 hex digits) per token
//! # request_ids = ["…", …]  # optional: the randomness request of each seed
//! # tx_hashes = ["0x…", …]  # optional: the transaction that delivered each seed
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
//! **Request IDs.** `vrf` and `commitReveal` seeds need the ID of the request that
//! produced them: `request_ids` lists one per token; without it the ID of token `t` is
//! `"{contract}:{t}"` (contract lower-case), a stand-in fit for demonstrations only.
//! `operator` seeds need none, but `request_ids` is passed on when given.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The registry a spec talks to when it names none.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The `onnx` value that selects the built-in fixture model.
pub const FIXTURE: &str = "fixture";

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
    /// The token contract, `0x` and 40 hex digits.
    pub contract: String,
    /// Token `t` is named `"{name} #{t}"`.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
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
    #[serde(default)]
    pub request_ids: Option<Vec<String>>,
    #[serde(default)]
    pub tx_hashes: Option<Vec<String>>,
}

/// Where the seeds came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SeedKind {
    Operator,
    Vrf,
    CommitReveal,
}

impl SeedKind {
    /// The GraphQL enum value.
    pub fn graphql(self) -> &'static str {
        match self {
            Self::Operator => "OPERATOR",
            Self::Vrf => "VRF",
            Self::CommitReveal => "COMMIT_REVEAL",
        }
    }
}

/// Where the model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnnxSource {
    /// The built-in fixture trait generator.
    Fixture,
    /// An ONNX file.
    File(PathBuf),
}

/// One token of the collection, as the spec determines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedToken {
    pub token_id: u64,
    pub seed: [u8; 32],
    pub request_id: Option<String>,
    pub tx_hash: Option<String>,
}

impl Spec {
    /// Reads, parses and checks the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the collection spec {}", path.display()))?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Spec::parse(&text, base).with_context(|| format!("invalid collection spec {}", path.display()))
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
            bail!("server: must be an http:// or https:// URL, got {:?}", self.server);
        }
        if !(1..=MAX_CHAIN_ID).contains(&c.chain_id) {
            bail!("collection.chain_id: must be between 1 and {MAX_CHAIN_ID}, got {}", c.chain_id);
        }
        parse_address(&c.contract).map_err(|e| anyhow!("collection.contract: {e}"))?;
        if c.name.trim().is_empty() || c.name.chars().count() > MAX_NAME {
            bail!("collection.name: must have 1 to {MAX_NAME} characters");
        }
        if c.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
            bail!("collection.description: must have at most {MAX_DESCRIPTION} characters");
        }

        let m = &self.model;
        for (field, value, max) in [("name", &m.name, 200), ("version", &m.version, 100), ("license", &m.license, 200)]
        {
            if value.trim().is_empty() || value.chars().count() > max {
                bail!("model.{field}: must have 1 to {max} characters");
            }
        }
        if m.onnx.trim().is_empty() {
            bail!("model.onnx: give \"{FIXTURE}\" or the path of an ONNX file");
        }
        match (&m.parent, m.relation) {
            (Some(_), None) => {
                bail!("model.relation: a version with a parent needs relation = \"retrain\" or \"finetune\"")
            }
            (None, Some(_)) => bail!("model.relation: given without model.parent"),
            (Some(p), _) if p == &m.version => bail!("model.parent: a version cannot be its own parent"),
            _ => {}
        }
        for (i, td) in m.training_data.iter().enumerate() {
            if td.dataset.trim().is_empty() {
                bail!("model.training_data[{i}].dataset: must not be empty");
            }
        }
        if let Some(run) = &m.training_run {
            for (field, value) in [("started_at", &run.started_at), ("ended_at", &run.ended_at)] {
                chrono::DateTime::parse_from_rfc3339(value).map_err(|e| {
                    anyhow!("model.training_run.{field}: not an RFC 3339 date-time ({e}), e.g. 2025-01-31T12:00:00Z")
                })?;
            }
        }

        self.plan().map(|_| ())
    }

    /// Where the model comes from.
    pub fn onnx(&self) -> OnnxSource {
        if self.model.onnx == FIXTURE {
            OnnxSource::Fixture
        } else {
            OnnxSource::File(self.base_dir.join(&self.model.onnx))
        }
    }

    /// The contract address, lower-case.
    pub fn contract(&self) -> String {
        self.collection.contract.to_ascii_lowercase()
    }

    /// The tokens of the collection in order, with their seeds.
    pub fn plan(&self) -> Result<Vec<PlannedToken>> {
        let s = &self.seeds;
        let contract = parse_address(&self.collection.contract).map_err(|e| anyhow!("collection.contract: {e}"))?;
        let count = match (s.count, &s.seeds) {
            (Some(n), Some(list)) if n != list.len() as u64 => {
                bail!("seeds.count: is {n} but seeds.seeds lists {} seeds", list.len())
            }
            (Some(n), _) => n,
            (None, Some(list)) => list.len() as u64,
            (None, None) => bail!("seeds.count: missing (give count, or list the seeds in seeds.seeds)"),
        };
        if count == 0 || count > MAX_TOKENS {
            bail!("seeds.count: must be between 1 and {MAX_TOKENS}, got {count}");
        }
        if s.first_token_id.checked_add(count - 1).is_none() {
            bail!("seeds.first_token_id: {} + {count} tokens overflows a 64-bit token ID", s.first_token_id);
        }
        let per_token = |field: &str, list: &Option<Vec<String>>| -> Result<()> {
            match list {
                Some(l) if l.len() as u64 != count => {
                    bail!("seeds.{field}: lists {} entries for {count} tokens; give one per token", l.len())
                }
                _ => Ok(()),
            }
        };
        per_token("request_ids", &s.request_ids)?;
        per_token("tx_hashes", &s.tx_hashes)?;

        let explicit = match &s.seeds {
            Some(list) => {
                if s.salt.is_some() {
                    bail!("seeds.salt: only used for derived seeds; remove it or remove seeds.seeds");
                }
                let mut seen = HashMap::new();
                let mut seeds = Vec::with_capacity(list.len());
                for (i, text) in list.iter().enumerate() {
                    let seed = provreg_prover_client::seed::parse_seed(text.trim())
                        .map_err(|e| anyhow!("seeds.seeds[{i}]: {e}"))?;
                    if let Some(first) = seen.insert(seed, i) {
                        bail!("seeds.seeds[{i}]: repeats seeds.seeds[{first}]; every token needs its own seed");
                    }
                    seeds.push(seed);
                }
                Some(seeds)
            }
            None => None,
        };
        let salt = match (&explicit, &s.salt) {
            (None, None) => bail!("seeds.salt: missing (derived seeds need a salt; or list seeds in seeds.seeds)"),
            (None, Some(salt)) => salt.as_str(),
            (Some(_), _) => "",
        };

        let contract_text = self.contract();
        let mut plan = Vec::with_capacity(count as usize);
        for i in 0..count {
            let index = i as usize;
            let token_id = s.first_token_id + i;
            let seed = match &explicit {
                Some(seeds) => seeds[index],
                None => derive_seed(self.collection.chain_id, &contract, token_id, salt),
            };
            let request_id = match &s.request_ids {
                Some(ids) => {
                    let id = ids[index].trim();
                    if id.is_empty() || id.chars().count() > 200 {
                        bail!("seeds.request_ids[{index}]: must have 1 to 200 characters");
                    }
                    Some(id.to_owned())
                }
                None if s.kind != SeedKind::Operator => Some(format!("{contract_text}:{token_id}")),
                None => None,
            };
            let tx_hash = match &s.tx_hashes {
                Some(hashes) => {
                    let hash = hashes[index].trim().to_ascii_lowercase();
                    let digits = hash.strip_prefix("0x").unwrap_or_default();
                    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                        bail!("seeds.tx_hashes[{index}]: a transaction hash is 0x and 64 hex digits");
                    }
                    Some(hash)
                }
                None => None,
            };
            plan.push(PlannedToken { token_id, seed, request_id, tx_hash });
        }
        Ok(plan)
    }
}

/// The seed of token `token_id`: `SHA-256("provreg.collection.v1" ‖ chain_id (8 bytes BE) ‖
/// contract (20 bytes) ‖ token_id (32 bytes BE) ‖ salt (UTF-8))`.
pub fn derive_seed(chain_id: i64, contract: &[u8; 20], token_id: u64, salt: &str) -> [u8; 32] {
    let mut id = [0u8; 32];
    id[24..].copy_from_slice(&token_id.to_be_bytes());
    Sha256::new()
        .chain_update(SEED_DOMAIN)
        .chain_update(chain_id.to_be_bytes())
        .chain_update(contract)
        .chain_update(id)
        .chain_update(salt.as_bytes())
        .finalize()
        .into()
}

/// An address written as `0x` and 40 hex digits (either case).
pub fn parse_address(text: &str) -> Result<[u8; 20]> {
    let digits =
        text.strip_prefix("0x").ok_or_else(|| anyhow!("an address is 0x followed by 40 hex digits, got {text:?}"))?;
    let mut address = [0u8; 20];
    if digits.len() != 40 {
        bail!("an address is 0x followed by 40 hex digits, got {} digits", digits.len());
    }
    hex::decode_to_slice(digits, &mut address)
        .map_err(|e| anyhow!("an address is 0x followed by 40 hex digits: {e}"))?;
    Ok(address)
}

/// Figment's errors as `field.path: what is wrong`, one per line.
fn describe_figment(error: figment::Error) -> anyhow::Error {
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
    anyhow!(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const GOOD: &str = r#"
        [collection]
        chain_id = 31337
        contract = "0x00000000000000000000000000000000000C0FFE"
        name = "Pixel"

        [model]
        name = "trait-generator"
        version = "v3"
        onnx = "fixture"
        license = "Apache License 2.0"
        parent = "v2"
        relation = "retrain"
        training_data = [{ dataset = "pixel-traits", role = "finetune" }]

        [seeds]
        first_token_id = 10
        count = 3
        kind = "vrf"
        salt = "s"
    "#;

    fn parse(text: &str) -> Result<Spec> {
        Spec::parse(text, Path::new("/specs"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    #[test]
    fn parses_a_full_spec_with_defaults() {
        let spec = parse(GOOD).unwrap();
        assert_eq!(spec.server, DEFAULT_SERVER);
        assert_eq!(spec.onnx(), OnnxSource::Fixture);
        assert_eq!(spec.model.relation, Some(Relation::Retrain));
        assert_eq!(spec.model.training_data[0].role, TrainingRole::Finetune);
        assert_eq!(spec.seeds.kind, SeedKind::Vrf);
        let plan = spec.plan().unwrap();
        assert_eq!(plan.iter().map(|t| t.token_id).collect::<Vec<_>>(), [10, 11, 12]);
        assert_eq!(plan[1].request_id.as_deref(), Some("0x00000000000000000000000000000000000c0ffe:11"));
        assert_ne!(plan[0].seed, plan[1].seed);

        let with_file = parse(&GOOD.replace("onnx = \"fixture\"", "onnx = \"models/m.onnx\"")).unwrap();
        assert_eq!(with_file.onnx(), OnnxSource::File(PathBuf::from("/specs/models/m.onnx")));
        let operator = parse(&GOOD.replace("\"vrf\"", "\"operator\"")).unwrap();
        assert_eq!(operator.plan().unwrap()[0].request_id, None);
        let reveal = parse(&GOOD.replace("\"vrf\"", "\"commitReveal\"")).unwrap();
        assert_eq!(reveal.seeds.kind.graphql(), "COMMIT_REVEAL");
    }

    /// The derivation written out independently:
    ///
    /// ```python
    /// import hashlib
    /// contract = bytes.fromhex("00000000000000000000000000000000000c0ffe")
    /// h = hashlib.sha256(b"provreg.collection.v1" + (31337).to_bytes(8, "big") + contract
    ///                    + (10).to_bytes(32, "big") + b"s").hexdigest()
    /// ```
    #[test]
    fn derived_seeds_follow_the_documented_layout() {
        let spec = parse(GOOD).unwrap();
        let contract = parse_address(&spec.collection.contract).unwrap();
        let mut bytes = SEED_DOMAIN.to_vec();
        bytes.extend(31337u64.to_be_bytes());
        bytes.extend(contract);
        bytes.extend([0u8; 24]);
        bytes.extend(10u64.to_be_bytes());
        bytes.extend(b"s");
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(spec.plan().unwrap()[0].seed, expected);
        assert_eq!(derive_seed(31337, &contract, 10, "s"), expected);
        assert_ne!(derive_seed(31337, &contract, 10, "t"), expected);
        assert_ne!(derive_seed(1, &contract, 10, "s"), expected);
    }

    #[test]
    fn explicit_seeds_request_ids_and_tx_hashes() {
        let a = format!("0x{}", "ab".repeat(32));
        let b = "CD".repeat(32);
        let tx = format!("0x{}", "EF".repeat(32));
        let text = GOOD.replace("count = 3", "").replace("salt = \"s\"", "").replace(
            "kind = \"vrf\"",
            &format!(
                "kind = \"vrf\"\nseeds = [\"{a}\", \"{b}\"]\nrequest_ids = [\"r1\", \"r2\"]\ntx_hashes = [\"{tx}\", \"{tx}\"]"
            ),
        );
        let plan = parse(&text).unwrap().plan().unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].seed, [0xab; 32]);
        assert_eq!(plan[1].seed, [0xcd; 32]);
        assert_eq!(plan[1].request_id.as_deref(), Some("r2"));
        assert_eq!(plan[0].tx_hash.as_deref(), Some(format!("0x{}", "ef".repeat(32)).as_str()));
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&str, &str, &str)] = &[
            ("chain_id = 31337", "chain_id = 0", "collection.chain_id"),
            ("0x00000000000000000000000000000000000C0FFE", "0x123", "collection.contract"),
            (
                "0x00000000000000000000000000000000000C0FFE",
                "0x00000000000000000000000000000000000C0FFG",
                "collection.contract",
            ),
            ("name = \"Pixel\"", "name = \"\"", "collection.name"),
            ("relation = \"retrain\"", "", "model.relation"),
            ("relation = \"retrain\"", "relation = \"clone\"", "model.relation"),
            ("role = \"finetune\"", "role = \"train\"", "model.training_data"),
            ("count = 3", "count = 0", "seeds.count"),
            ("count = 3", "count = -1", "seeds.count"),
            ("count = 3", "", "seeds.count"),
            ("salt = \"s\"", "", "seeds.salt"),
            ("kind = \"vrf\"", "kind = \"random\"", "seeds.kind"),
            ("kind = \"vrf\"", "kind = \"vrf\"\nseeds = [\"0x12\", \"0x34\", \"0x56\"]", "seeds.salt"),
            ("kind = \"vrf\"", "kind = \"vrf\"\nrequest_ids = [\"a\"]", "seeds.request_ids"),
            ("kind = \"vrf\"", "kind = \"vrf\"\ntx_hashes = [\"0x1\", \"0x2\", \"0x3\"]", "seeds.tx_hashes"),
            // Beyond TOML's integers: the parse error quotes the line.
            ("first_token_id = 10", "first_token_id = 18446744073709551615", "first_token_id"),
            ("first_token_id = 10", "", "first_token_id"),
            ("[seeds]", "[seeds]\nbogus = 1", "bogus"),
            ("[collection]", "server = \"ftp://x\"\n[collection]", "server"),
        ];
        for (from, to, field) in cases {
            assert!(GOOD.contains(from), "{from}");
            let message = error(&GOOD.replacen(from, to, 1));
            assert!(message.contains(field), "{to:?}: expected {field} in {message}");
        }
        let bad_seed = GOOD
            .replace("count = 3", "")
            .replace("salt = \"s\"", "")
            .replace("kind = \"vrf\"", &format!("kind = \"vrf\"\nseeds = [\"0x{}\", \"0x12\"]", "ab".repeat(32)));
        assert!(error(&bad_seed).contains("seeds.seeds[1]"), "{}", error(&bad_seed));
        let repeated = GOOD
            .replace("count = 3", "")
            .replace("salt = \"s\"", "")
            .replace("kind = \"vrf\"", &format!("kind = \"vrf\"\nseeds = [\"{0}\", \"{0}\"]", "ab".repeat(32)));
        assert!(error(&repeated).contains("repeats seeds.seeds[0]"), "{}", error(&repeated));
        assert!(error("not = [toml").contains('='), "{}", error("not = [toml"));
        assert!(error("").contains("collection"), "{}", error(""));
    }

    #[test]
    fn a_missing_file_is_named() {
        let message = format!("{:#}", Spec::load(Path::new("/nonexistent/spec.toml")).unwrap_err());
        assert!(message.contains("/nonexistent/spec.toml"), "{message}");
    }

    #[test]
    fn the_demo_spec_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-collection.toml");
        let spec = Spec::load(&path).unwrap();
        assert_eq!(spec.plan().unwrap().len(), 5);
        assert_eq!(spec.collection.chain_id, 31337);
        assert_eq!(spec.model.name, "trait-generator");
        assert_eq!(spec.model.parent.as_deref(), Some("v2"));
        assert_eq!(spec.onnx(), OnnxSource::Fixture);
    }
}
