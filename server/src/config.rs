//! Typed configuration, read once at start-up from a TOML file and `PROVREG_*` variables.
//!
//! Precedence, lowest first: built-in defaults, the TOML file (`--config`, or
//! `PROVREG_CONFIG`, or `./provreg.toml` when present), then environment variables
//! (`PROVREG_DATABASE_URL`, `PROVREG_LISTEN`, `PROVREG_AUTH__ANONYMOUS_READS`, …:
//! a double underscore separates nested keys). See `provreg.sample.toml`.
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Database URL: `sqlite://PATH?mode=rwc` or `postgres://USER@HOST:PORT/DB`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Maximum pooled database connections.
    pub max_connections: u32,
    /// Folder for generated development material (dev API key, later the dev CA).
    pub data_dir: PathBuf,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub signing: SigningConfig,
    pub anchoring: AnchoringConfig,
    pub prover: ProverConfig,
    pub collections: CollectionsConfig,
    pub explorer: ExplorerConfig,
}

/// The provenance explorer at `/explorer` (`[explorer]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplorerConfig {
    /// The `node_modules` folder the explorer's graph library (Cytoscape.js and its dagre
    /// layout) is served from. Unset: `server/explorer/node_modules` of the source tree
    /// (installed by `npm ci` there, which `scripts/dev` and `scripts/test` run).
    pub node_modules: Option<PathBuf>,
}

/// Deploying on-chain collections (`deployCollection`), on the anchoring chain with the
/// anchoring key (`anchoring.rpc_url`, `anchoring.private_key`; `serve --dev`: the local chain).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionsConfig {
    /// The registry's public base URL, e.g. `https://registry.example`: a collection's
    /// `tokenURI(id)` is `<public_url>/tokens/<chain id>/<collection>/<id>`. Unset:
    /// `http://<listen>`.
    pub public_url: Option<String>,
    /// The npm `solc` package EVM verifiers are compiled with (`…/node_modules/solc`). Unset:
    /// the one `npm ci` installs in `anchor/contracts` of the source tree.
    pub solc_package: Option<PathBuf>,
    /// The Node.js interpreter that runs it. Unset: `node` from `PATH`.
    pub node: Option<PathBuf>,
    /// The drand beacon `BEACON` seeds must come from. Unset: drand's quicknet.
    pub beacon: Option<BeaconConfig>,
}

/// A drand beacon of the `bls-unchained-g1-rfc9380` scheme (`[collections.beacon]`): a
/// drand network by its public key, or a local development beacon by its secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeaconConfig {
    /// The network's group public key: 96 bytes (G2, compressed), hex.
    #[serde(default)]
    pub public_key: Option<String>,
    /// Its genesis time, unix seconds.
    pub genesis_time: u64,
    /// Its period, seconds.
    pub period: u64,
    /// A local development beacon instead (32 bytes, hex): the registry signs rounds with a key
    /// derived from it and serves them at `/beacon` as a drand node does. Its seeds prove
    /// nothing (whoever holds the secret can sign any round at any time); records and reports
    /// say so. `serve --dev` sets one up.
    #[serde(default)]
    pub local_secret: Option<String>,
}

impl BeaconConfig {
    /// The beacon's key, checked.
    pub fn key(&self) -> Result<provreg_seed::BeaconKey, String> {
        if let Some(local) = self.local_beacon()? {
            return Ok(*local.key());
        }
        let Some(hex) = &self.public_key else {
            return Err("give public_key (a drand network's) or local_secret (a local beacon's)".into());
        };
        let origin = provreg_seed::beacon::KeyOrigin::Drand;
        provreg_seed::BeaconKey::from_hex(hex, self.genesis_time, self.period, origin).map_err(|e| e.to_string())
    }

    /// The local development beacon, when `local_secret` is set.
    pub fn local_beacon(&self) -> Result<Option<provreg_seed::beacon::LocalBeacon>, String> {
        let Some(secret) = &self.local_secret else { return Ok(None) };
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(secret.trim(), &mut bytes)
            .map_err(|e| format!("local_secret is not 64 hex digits: {e}"))?;
        provreg_seed::beacon::LocalBeacon::new(&bytes, self.genesis_time, self.period)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// Checking tokens' zero-knowledge proofs at registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProverConfig {
    /// Python interpreter with the pinned `ezkl` package. Unset: `serve --dev` makes a
    /// virtual environment in `DATA_DIR/ezkl-venv-<version>` (first run only); otherwise
    /// `python3`.
    pub python: Option<PathBuf>,
    /// Verifier processes; this many proofs are checked in parallel.
    pub workers: usize,
    /// Where circuit files are kept for verification. Unset: `DATA_DIR/circuits`.
    pub work_dir: Option<PathBuf>,
}

impl Default for ProverConfig {
    fn default() -> Self {
        Self { python: None, workers: 2, work_dir: None }
    }
}

/// The identity birth certificates are signed with. Unset paths default to the development
/// CA in `DATA_DIR/ca` (made by `provreg keys init-ca` or the first `serve --dev`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    /// PEM chain: the signing certificate first, then its issuers.
    pub chain: Option<PathBuf>,
    /// The signing key, PKCS#8 PEM (P-256, ES256).
    pub key: Option<PathBuf>,
    /// PEM trust anchors shown certificates are validated against (the CA certificate).
    pub trust_anchors: Option<PathBuf>,
    /// Largest ingredient manifest store (bytes) a certificate carries whole; bigger ones
    /// are referred to by digest. Unset: 65536. 0 refers to every ingredient by digest
    /// (smallest and fastest certificates, nothing to validate at issue time).
    pub embed_limit: Option<usize>,
}

impl Config {
    /// The signing chain, key and trust anchor paths, with the dev CA's as defaults.
    pub fn signing_paths(&self) -> (PathBuf, PathBuf, PathBuf) {
        let ca = self.data_dir.join("ca");
        (
            self.signing.chain.clone().unwrap_or_else(|| ca.join("signer-chain.pem")),
            self.signing.key.clone().unwrap_or_else(|| ca.join("signer.key")),
            self.signing.trust_anchors.clone().unwrap_or_else(|| ca.join("ca.pem")),
        )
    }
}

/// Anchoring the log's Merkle roots on an Ethereum-compatible chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchoringConfig {
    /// JSON-RPC endpoint of the chain. Unset: no anchoring (records are still logged).
    /// `serve --dev` starts a local chain and sets it.
    pub rpc_url: Option<String>,
    /// Address of the deployed ProvenanceAnchor contract. `provreg anchor deploy` deploys one
    /// on `rpc_url`; `serve --dev` deploys its own.
    pub contract: Option<String>,
    /// Hex private key of the contract's owner, which sends the anchor transactions.
    pub private_key: Option<String>,
    /// Seconds between anchoring rounds.
    pub interval_secs: u64,
    /// Most log entries one anchor covers.
    pub max_batch: u64,
    /// Blocks on top of the anchoring block before an anchor counts as confirmed.
    pub confirmations: u64,
    /// Seconds after which a `ProvenanceLog` contract gets the latest state again (a
    /// heartbeat) when nothing new was anchored, so a verifier's `--max-age` never depends on
    /// traffic; 0: no heartbeats.
    pub heartbeat_secs: u64,
    /// The origin line of the log's signed checkpoints (`GET /checkpoint`): the log's unique
    /// name, no spaces or `+`.
    pub log_origin: String,
    /// The Ed25519 seed (64 hex digits) that signs checkpoints. Default DATA_DIR/log-key.secret,
    /// made on first start when missing.
    pub log_key_file: Option<PathBuf>,
}

impl Default for AnchoringConfig {
    fn default() -> Self {
        Self {
            rpc_url: None,
            contract: None,
            private_key: None,
            interval_secs: 10,
            max_batch: 10_000,
            confirmations: 1,
            heartbeat_secs: 3600,
            log_origin: "provreg.local/log".to_owned(),
            log_key_file: None,
        }
    }
}

/// Who may do what without a key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Allow reads on `/graphql` without an API key.
    pub anonymous_reads: bool,
    /// Serve `/audit/graphql` without an API key (otherwise an auditor or admin key is required).
    pub public_audit: bool,
}

/// Limits that stop abusive queries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Maximum nesting depth of a GraphQL query.
    pub query_depth: usize,
    /// Maximum complexity (roughly, fields selected times list sizes) of a GraphQL query.
    pub query_complexity: usize,
    /// Largest page size a list accepts (`first`/`last`).
    pub max_page_size: usize,
    /// Largest `maxDepth` a lineage query accepts.
    pub max_lineage_depth: u32,
    /// Most expensive resolutions (evidence bundles, certificate manifests and validations)
    /// one request may make; the ones beyond are refused with `TOO_EXPENSIVE`.
    pub max_expensive_per_request: usize,
    /// Expensive resolutions running at once across all requests; the others wait. Kept below
    /// `max_connections`, so such reads never hold every database connection.
    pub max_concurrent_expensive: usize,
    /// Largest GraphQL response body (bytes); a larger answer is refused with
    /// `RESPONSE_TOO_LARGE`.
    pub max_response_bytes: usize,
    /// Largest request body (bytes) of a GraphQL request from anyone but a registrar or admin,
    /// refused with 413 before it is read.
    pub max_query_bytes: usize,
    /// Largest request body (bytes) of a registrar's or admin's request on `/graphql` (a
    /// circuit carries its SRS, a token its image).
    pub max_upload_bytes: usize,
    /// Requests a minute from one client address (every route but the health checks),
    /// before anything else is done with them; beyond it, 429 with `Retry-After`. 0: no
    /// limit. Unset: [`DEFAULT_PER_ADDRESS`], or no limit under `serve --dev`.
    pub requests_per_minute_per_address: Option<u32>,
    /// Requests a minute with one API key, counted after the address's limit. 0: no limit.
    /// Unset: [`DEFAULT_PER_KEY`], or no limit under `serve --dev`.
    pub requests_per_minute_per_key: Option<u32>,
    /// Requests one address may send at once above its steady rate. Unset: ten seconds' worth.
    pub burst_per_address: Option<NonZeroU32>,
    /// Requests one key may send at once above its steady rate. Unset: ten seconds' worth.
    pub burst_per_key: Option<NonZeroU32>,
    /// Take the client address from the last `X-Forwarded-For` entry (the one the proxy in
    /// front appended) instead of the connection's peer. Only behind a proxy that sets it:
    /// otherwise any client can claim any address.
    pub trust_forwarded_for: bool,
}

/// Requests a minute per client address when `limits.requests_per_minute_per_address` is unset.
pub const DEFAULT_PER_ADDRESS: u32 = 1200;
/// Requests a minute per API key when `limits.requests_per_minute_per_key` is unset.
pub const DEFAULT_PER_KEY: u32 = 600;

/// One rate limit as configured: a steady rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `per_minute` (unset: `default`; 0: none) with `burst` (unset: ten seconds' worth).
    fn resolve(per_minute: Option<u32>, default: u32, burst: Option<NonZeroU32>) -> Option<Self> {
        let per_minute = NonZeroU32::new(per_minute.unwrap_or(default))?;
        let burst = burst.unwrap_or_else(|| NonZeroU32::new(per_minute.get() / 6).unwrap_or(NonZeroU32::MIN));
        Some(Self { per_minute, burst })
    }
}

impl LimitsConfig {
    /// The per-address limit in force, if any.
    pub fn per_address(&self) -> Option<RateLimit> {
        RateLimit::resolve(self.requests_per_minute_per_address, DEFAULT_PER_ADDRESS, self.burst_per_address)
    }

    /// The per-key limit in force, if any.
    pub fn per_key(&self) -> Option<RateLimit> {
        RateLimit::resolve(self.requests_per_minute_per_key, DEFAULT_PER_KEY, self.burst_per_key)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://provreg.db?mode=rwc".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_connections: 8,
            data_dir: PathBuf::from("provreg-data"),
            auth: AuthConfig { anonymous_reads: false, public_audit: false },
            limits: LimitsConfig {
                query_depth: 12,
                query_complexity: 5_000,
                max_page_size: 500,
                max_lineage_depth: 10_000,
                max_expensive_per_request: 20,
                max_concurrent_expensive: 4,
                max_response_bytes: 32 * 1024 * 1024,
                max_query_bytes: 256 * 1024,
                max_upload_bytes: 256 * 1024 * 1024,
                requests_per_minute_per_address: None,
                requests_per_minute_per_key: None,
                burst_per_address: None,
                burst_per_key: None,
                trust_forwarded_for: false,
            },
            signing: SigningConfig::default(),
            anchoring: AnchoringConfig::default(),
            prover: ProverConfig::default(),
            collections: CollectionsConfig::default(),
            explorer: ExplorerConfig::default(),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (or `./provreg.toml` if it exists), then `PROVREG_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("provreg.toml").exists() => figment = figment.merge(Toml::file("provreg.toml")),
            None => {}
        }
        figment
            .merge(
                Env::prefixed("PROVREG_")
                    .ignore(&["CONFIG", "LOG", "TEST_POSTGRES_URL", "ANVIL", "API_KEY"])
                    .split("__"),
            )
            .extract()
            .map_err(Box::new)
    }

    /// The settings `serve --dev` uses unless told otherwise: anonymous reads, a public audit
    /// API, and no rate limits unless they are set.
    pub fn apply_dev_defaults(&mut self) {
        self.auth.anonymous_reads = true;
        self.auth.public_audit = true;
        self.limits.requests_per_minute_per_address.get_or_insert(0);
        self.limits.requests_per_minute_per_key.get_or_insert(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_file_parses_and_matches_defaults() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../provreg.sample.toml");
        let cfg: Config = Figment::from(Toml::file_exact(&sample)).extract().unwrap();
        let def = Config::default();
        assert_eq!(cfg.database_url, def.database_url);
        assert_eq!(cfg.listen, def.listen);
        assert_eq!(cfg.limits.query_depth, def.limits.query_depth);
        assert_eq!(cfg.limits.max_expensive_per_request, def.limits.max_expensive_per_request);
        assert_eq!(cfg.limits.max_concurrent_expensive, def.limits.max_concurrent_expensive);
        assert_eq!(cfg.limits.max_response_bytes, def.limits.max_response_bytes);
        assert_eq!(cfg.limits.max_query_bytes, def.limits.max_query_bytes);
        assert_eq!(cfg.limits.max_upload_bytes, def.limits.max_upload_bytes);
        assert_eq!(cfg.anchoring.interval_secs, def.anchoring.interval_secs);
        assert_eq!(cfg.anchoring.max_batch, def.anchoring.max_batch);
        assert_eq!(cfg.anchoring.confirmations, def.anchoring.confirmations);
        assert_eq!(cfg.prover.workers, def.prover.workers);
        // The sample leaves the rate limits unset (so `--dev` keeps them off): the defaults.
        assert_eq!(cfg.limits.per_address(), def.limits.per_address());
        assert_eq!(cfg.limits.per_key(), def.limits.per_key());
        assert_eq!(cfg.limits.trust_forwarded_for, def.limits.trust_forwarded_for);
    }

    #[test]
    fn rate_limits_default_on_and_off_under_dev_unless_set() {
        let mut cfg = Config::default();
        let on = cfg.limits.per_address().unwrap();
        assert_eq!((on.per_minute.get(), on.burst.get()), (DEFAULT_PER_ADDRESS, DEFAULT_PER_ADDRESS / 6));
        assert_eq!(cfg.limits.per_key().unwrap().per_minute.get(), DEFAULT_PER_KEY);
        cfg.apply_dev_defaults();
        assert_eq!((cfg.limits.per_address(), cfg.limits.per_key()), (None, None));

        let mut set = Config::default();
        set.limits.requests_per_minute_per_key = Some(30);
        set.apply_dev_defaults();
        assert_eq!(set.limits.per_key().unwrap().per_minute.get(), 30);
        assert_eq!(set.limits.per_address(), None);
    }

    #[test]
    fn a_zero_burst_is_refused_by_name() {
        let err = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[limits]\nburst_per_key = 0"))
            .extract::<Config>()
            .unwrap_err();
        assert!(err.to_string().contains("burst_per_key"), "{err}");
    }
}
