//! Minting on chain: the spec's `[onchain]` collection, found among the model version's
//! collections the registry recorded or deployed through the registry, and each token minted
//! (`addAigcData`, which verifies its proof on chain) by the minter key before it is
//! registered.
//!
//! A token's proof is kept before it is sent, as `MINTED_DIR/<chain id>-<collection>/<token
//! id>.json` (`{"seed", "traits", "record"}`, the record a [`ProofRecord`]), so a run stopped
//! between minting and registering registers the minted token on the next run with the
//! proof the chain accepted (a new proof of the same seed would be other bytes), and one
//! stopped before minting does not prove again.

use std::path::{Path, PathBuf};

use provreg_anchor::alloy_types::U256;
use provreg_anchor::{
    AnchorError, CollectionClient, CollectionReader, CollectionRevert, MintedToken, aigc_data_from_field_elements,
};
use provreg_prover_client::ProofRecord;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{Client, string_at};
use crate::deploy::{DeployRequest, deploy};
use crate::error::{CollectionError, Result};
use crate::spec::Spec;

/// The longest wait for a seed commitment's randomness block.
const REVEAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// The environment variable a minter key may be given in (read by the binary).
pub const MINTER_KEY_ENV: &str = "PROVREG_MINTER_KEY";

/// The minter key file `serve --dev` writes in the data directory (a dev account of the
/// local chain that is not the registry's).
pub const DEV_MINTER_KEY_FILE: &str = "dev-minter.key";

/// The file `serve --dev` writes in the data directory with its local chain's JSON-RPC URL.
pub const DEV_CHAIN_URL_FILE: &str = "dev-chain.url";

/// The chain a run mints on and the key it mints with.
#[derive(Clone)]
pub struct ChainOptions {
    /// JSON-RPC endpoint (HTTP).
    pub rpc_url: String,
    /// Hex private key of the minter.
    pub minter_key: String,
}

impl std::fmt::Debug for ChainOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainOptions").field("rpc_url", &self.rpc_url).field("minter_key", &"<redacted>").finish()
    }
}

/// Where a run's chain and minter key come from, most specific first.
#[derive(Debug, Clone, Default)]
pub struct ChainSources {
    /// `--rpc-url`.
    pub rpc_url: Option<String>,
    /// `anchoring.rpc_url` of the configuration.
    pub configured_rpc_url: Option<String>,
    /// `--minter-key-file`.
    pub minter_key_file: Option<PathBuf>,
    /// The value of [`MINTER_KEY_ENV`].
    pub minter_key_env: Option<String>,
}

/// The chain and minter key of `spec` (which must have `[onchain]`): the endpoint from
/// `--rpc-url`, else `onchain.rpc_url`, else `anchoring.rpc_url`, else the dev chain's
/// `data_dir/dev-chain.url`; the key from `--minter-key-file`, else [`MINTER_KEY_ENV`], else
/// `data_dir/dev-minter.key`. Reads no environment itself.
pub fn chain_options(spec: &Spec, sources: ChainSources, data_dir: &Path) -> Result<ChainOptions> {
    let dev_url = data_dir.join(DEV_CHAIN_URL_FILE);
    let rpc_url = match sources
        .rpc_url
        .or_else(|| spec.onchain.as_ref().and_then(|o| o.rpc_url.clone()))
        .or(sources.configured_rpc_url)
    {
        Some(url) => url,
        None if dev_url.is_file() => read_secret(&dev_url, "the dev chain URL file")?,
        None => {
            return Err(CollectionError::NoChain { dev_file: dev_url });
        }
    };
    let dev_key = data_dir.join(DEV_MINTER_KEY_FILE);
    let minter_key = match (sources.minter_key_file, sources.minter_key_env.filter(|k| !k.trim().is_empty())) {
        (Some(file), _) => read_secret(&file, "the minter key file")?,
        (None, Some(key)) => key.trim().to_owned(),
        (None, None) if dev_key.is_file() => read_secret(&dev_key, "the dev minter key file")?,
        (None, None) => return Err(CollectionError::NoMinterKey { dev_key }),
    };
    Ok(ChainOptions { rpc_url, minter_key })
}

fn read_secret(path: &Path, what: &'static str) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| CollectionError::file("reading", path, e))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(CollectionError::EmptyFile { what, path: path.to_path_buf() });
    }
    Ok(text.to_owned())
}

const COLLECTIONS: &str = "query($version: String!) { collections(modelVersion: $version) { id chainId address name \
     symbol minter deployTx deployBlock seedSource modelVersion { id } } }";
const COLLECTION: &str = "query($chain: Int!, $address: String!) { collection(chainId: $chain, address: $address) { \
     id chainId address name symbol minter deployTx deployBlock seedSource modelVersion { id } } }";

/// The collection a run mints in, as the registry recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionReport {
    /// The registry's ID of the collection record.
    pub id: String,
    /// The contract, lower-case.
    pub address: String,
    /// The minter, lower-case.
    pub minter: String,
    /// The deployment transaction.
    pub deploy_tx: String,
    /// Deployed by this run (through the registry).
    pub deployed_now: bool,
}

/// A token's mint, by this run or an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintReport {
    /// The minting transaction.
    pub tx_hash: String,
    /// Its block.
    pub block_number: u64,
    /// Gas it used (tokens minted by this run).
    pub gas_used: Option<u64>,
}

/// What a token's proof is kept as before it is minted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Kept {
    /// `0x` hex of the seed.
    pub seed: String,
    pub traits: Vec<f32>,
    pub record: ProofRecord,
}

/// The collection a run mints in, with the minter's client.
pub(crate) struct Minter {
    client: CollectionClient,
    /// Whether the collection's committed ranges are minted in order (chain and beacon seeds).
    in_order: bool,
    reader: CollectionReader,
    deploy_block: u64,
    kept_dir: PathBuf,
    pub report: CollectionReport,
}

fn chain_error(action: impl Into<String>) -> impl FnOnce(AnchorError) -> CollectionError {
    move |e| CollectionError::Chain { action: action.into(), reason: e.to_string() }
}

/// A recorded collection of the answer `c`.
fn recorded(c: &Value, deployed_now: bool) -> Result<(CollectionReport, u64)> {
    let block =
        c["deployBlock"].as_u64().ok_or_else(|| CollectionError::MissingField("collection.deployBlock".into()))?;
    Ok((
        CollectionReport {
            id: string_at(c, &["id"])?,
            address: string_at(c, &["address"])?.to_ascii_lowercase(),
            minter: string_at(c, &["minter"])?.to_ascii_lowercase(),
            deploy_tx: string_at(c, &["deployTx"])?,
            deployed_now,
        },
        block,
    ))
}

impl Minter {
    /// The collection of `spec` for model version `version_id`, minted in with `chain`'s key:
    /// the spec's `collection.contract` when it gives one (a collection the registry recorded
    /// for this version, minted by this key), else the newest recorded one of this version on
    /// the spec's chain with the spec's name, symbol and this minter, else one deployed now
    /// through the registry. Checks that the endpoint is the spec's chain.
    pub async fn open(
        client: &Client,
        spec: &Spec,
        chain: &ChainOptions,
        version_id: &str,
        minted_dir: &Path,
    ) -> Result<Self> {
        let onchain = spec.onchain.as_ref().ok_or_else(|| CollectionError::field("onchain", "missing"))?;
        let name = spec.onchain_name().unwrap_or_default();
        let mut minter = CollectionClient::connect(&chain.rpc_url, &chain.minter_key, None)
            .map_err(chain_error("connecting to the chain with the minter key"))?;
        let chain_id = minter
            .chain_id()
            .await
            .map_err(chain_error(format!("asking the chain at {} for its chain ID", chain.rpc_url)))?;
        if i64::try_from(chain_id).ok() != Some(spec.collection.chain_id) {
            return Err(CollectionError::field(
                "collection.chain_id",
                format!("is {}, but the chain at {} is chain {chain_id}", spec.collection.chain_id, chain.rpc_url),
            ));
        }
        let account = format!("{:#x}", minter.sender());

        let found = match &spec.collection.contract {
            Some(contract) => {
                let vars = json!({ "chain": spec.collection.chain_id, "address": contract });
                let data = client.request("collection", COLLECTION, vars).await?;
                let c = &data["collection"];
                if c.is_null() {
                    return Err(CollectionError::field(
                        "collection.contract",
                        format!(
                            "{contract} is not a collection the registry recorded on chain {}; leave \
                             collection.contract out to deploy one",
                            spec.collection.chain_id
                        ),
                    ));
                }
                if c["seedSource"].as_str() != Some(spec.seeds.kind.graphql()) {
                    return Err(CollectionError::field(
                        "seeds.kind",
                        format!(
                            "collection {contract} takes {} seeds, not {}",
                            c["seedSource"].as_str().unwrap_or("?"),
                            spec.seeds.kind.graphql()
                        ),
                    ));
                }
                if c["modelVersion"]["id"].as_str() != Some(version_id) {
                    return Err(CollectionError::field(
                        "collection.contract",
                        format!("{contract} is the collection of another model version, not of {version_id}"),
                    ));
                }
                Some(recorded(c, false)?)
            }
            None => {
                let data = client.request("collections", COLLECTIONS, json!({ "version": version_id })).await?;
                let all = data["collections"].as_array().cloned().unwrap_or_default();
                all.iter()
                    .rev()
                    .find(|c| {
                        c["chainId"].as_i64() == Some(spec.collection.chain_id)
                            && c["name"].as_str() == Some(name.as_str())
                            && c["symbol"].as_str() == Some(onchain.symbol.as_str())
                            && c["minter"].as_str().is_some_and(|m| m.eq_ignore_ascii_case(&account))
                            && c["seedSource"].as_str() == Some(spec.seeds.kind.graphql())
                    })
                    .map(|c| recorded(c, false))
                    .transpose()?
            }
        };
        let (report, deploy_block) = match found {
            Some(found) => found,
            None => {
                let request = DeployRequest {
                    model_version: version_id.to_owned(),
                    name,
                    symbol: onchain.symbol.clone(),
                    minter: Some(account.clone()),
                    seed_source: Some(spec.seeds.kind.graphql().to_owned()),
                    seed_delay: spec.seeds.delay,
                };
                let deployed = deploy(client, &request).await?;
                let report = CollectionReport {
                    id: deployed.id,
                    address: deployed.address.to_ascii_lowercase(),
                    minter: deployed.minter.to_ascii_lowercase(),
                    deploy_tx: deployed.deploy_tx,
                    deployed_now: true,
                };
                (report, deployed.deploy_block)
            }
        };
        if !report.minter.eq_ignore_ascii_case(&account) {
            return Err(CollectionError::WrongMinter {
                collection: report.address,
                minter: report.minter,
                key: account,
            });
        }
        let address = report.address.parse().map_err(|e| CollectionError::Chain {
            action: format!("reading address {}", report.address),
            reason: format!("{e}"),
        })?;
        minter = CollectionClient::connect(&chain.rpc_url, &chain.minter_key, Some(address))
            .map_err(chain_error("connecting to the collection"))?;
        let reader = minter.reader().map_err(chain_error("reading the collection"))?;
        let kept_dir = minted_dir.join(format!("{}-{}", spec.collection.chain_id, report.address));
        let in_order = spec.seeds.kind != crate::spec::SeedKind::Operator;
        Ok(Self { client: minter, in_order, reader, deploy_block, kept_dir, report })
    }

    /// The seeds the collection assigns to tokens `first..first + count` (`chain` seeds):
    /// commits to the tokens no commitment holds yet (one range), waits for each
    /// commitment's randomness block, reveals what is not revealed, then reads each seed
    /// from the contract. `note` is told what is done and waited for.
    pub async fn assign_seeds(&self, first: u64, count: u64, note: impl Fn(String)) -> Result<Vec<[u8; 32]>> {
        let at = |what: String| chain_error(format!("{what} of {}", self.report.address));
        self.commit(first, count, &note).await?;
        let mut seeds = Vec::with_capacity(count as usize);
        let mut revealed = std::collections::HashSet::new();
        for t in first..first + count {
            let c = self.commitment_of(t).await?;
            if c.randomness.is_none() && revealed.insert(c.commit_id) {
                self.reveal(c.commit_id, &note).await?;
            }
            let seed =
                self.reader.seed_of(U256::from(t)).await.map_err(at(format!("reading the seed of token {t}")))?;
            seeds.push(seed.0);
        }
        Ok(seeds)
    }

    /// The seeds of tokens `first..first + count` (`beacon` seeds): commits to the tokens no
    /// commitment holds yet, then for each commitment fetches the first round of the beacon at
    /// `url` published after it (waiting for it), checks its signature under the beacon's
    /// key, and derives each token's seed from it.
    pub async fn beacon_seeds(
        &self,
        first: u64,
        count: u64,
        url: &str,
        note: impl Fn(String),
    ) -> Result<Vec<([u8; 32], Option<crate::spec::BeaconRound>)>> {
        let beacon = crate::beacon::Beacon::connect(url).await?;
        note(format!("beacon {}… at {url} ({})", &beacon.key.public_key_hex()[..16], beacon.key.origin()));
        self.commit(first, count, &note).await?;
        let contract: [u8; 20] = self.reader.address().into();
        let chain_id = self.client.chain_id().await.map_err(chain_error("reading the chain ID"))?;
        let mut rounds = std::collections::HashMap::new();
        let mut seeds = Vec::with_capacity(count as usize);
        for t in first..first + count {
            let c = self.commitment_of(t).await?;
            let round = provreg_seed::beacon::seed_round(&beacon.key, c.commit_time);
            let signature = match rounds.get(&round) {
                Some(signature) => *signature,
                None => {
                    let signature = beacon.round(round, &note).await?;
                    rounds.insert(round, signature);
                    signature
                }
            };
            let mut id = [0u8; 32];
            id[24..].copy_from_slice(&t.to_be_bytes());
            let seed = provreg_seed::beacon::beacon_seed(chain_id, contract, round, &signature, id);
            seeds.push((seed, Some(crate::spec::BeaconRound { round, signature })));
        }
        Ok(seeds)
    }

    /// The commitment holding token `t`.
    async fn commitment_of(&self, t: u64) -> Result<provreg_anchor::SeedCommitment> {
        let at = |what: String| chain_error(format!("{what} of {}", self.report.address));
        self.reader.seed_commitment_of(U256::from(t)).await.map_err(at(format!("reading token {t}")))?.ok_or_else(
            || CollectionError::Chain {
                action: format!("reading the seed commitment of token {t}"),
                reason: "no commitment holds it".into(),
            },
        )
    }

    /// Commits to the tokens of `first..first + count` no commitment holds yet (they follow
    /// every committed one: ranges increase), as one range.
    async fn commit(&self, first: u64, count: u64, note: &impl Fn(String)) -> Result<()> {
        let at = |what: String| chain_error(format!("{what} of {}", self.report.address));
        // The first token no commitment holds: ranges increase, so the rest follow it.
        let mut uncommitted = None;
        for t in first..first + count {
            let held = self.reader.seed_commitment_of(U256::from(t)).await.map_err(at(format!("reading token {t}")))?;
            if held.is_none() {
                uncommitted = Some(t);
                break;
            }
        }
        if let Some(from) = uncommitted {
            let n = first + count - from;
            let (id, outcome) = self
                .client
                .commit_seeds(from, n)
                .await
                .map_err(at(format!("committing to the seeds of tokens {from} to {}", from + n - 1)))?;
            note(format!(
                "committed to the seeds of tokens {from} to {} (commitment {id}, block {}, {:#x})",
                from + n - 1,
                outcome.block_number,
                outcome.tx_hash
            ));
        }
        Ok(())
    }

    /// Waits for commitment `commit_id`'s randomness block, then reveals it (someone else's
    /// reveal is as good).
    async fn reveal(&self, commit_id: u64, note: &impl Fn(String)) -> Result<()> {
        let at = |what: &str| chain_error(format!("{what} seed commitment {commit_id} of {}", self.report.address));
        let events = self.reader.seed_events(commit_id, self.deploy_block).await.map_err(at("reading"))?;
        let Some(events) = events else {
            return Err(CollectionError::Chain {
                action: format!("reading seed commitment {commit_id}"),
                reason: "no SeedsCommitted event".into(),
            });
        };
        let wanted = events.randomness_block + 1;
        let mut said = false;
        let deadline = std::time::Instant::now() + REVEAL_TIMEOUT;
        loop {
            let head = self.reader.block_number().await.map_err(at("waiting for the randomness block of"))?;
            if head >= wanted {
                break;
            }
            if !said {
                note(format!(
                    "waiting for block {} (the randomness of commitment {commit_id}; now {head})",
                    wanted - 1
                ));
                said = true;
            }
            if std::time::Instant::now() > deadline {
                return Err(CollectionError::Chain {
                    action: format!("waiting for block {wanted}"),
                    reason: format!("the chain is still at block {head} after {} s", REVEAL_TIMEOUT.as_secs()),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        match self.client.reveal_seeds(commit_id).await {
            Ok(outcome) => {
                note(format!(
                    "revealed the randomness of commitment {commit_id}: the hash of block {} ({:#x})",
                    events.randomness_block, outcome.tx_hash
                ));
                Ok(())
            }
            Err(AnchorError::CollectionReverted(CollectionRevert::SeedsAlreadyRevealed(_))) => Ok(()),
            Err(e) => Err(at("revealing")(e)),
        }
    }

    /// Waits until `token_id` is the next token of its committed range (ranges are minted in
    /// order; tokens proven at once finish in any order). `Ok(Err(why))` when the token
    /// before it is not minted in time.
    async fn wait_for_turn(&self, token_id: u64) -> Result<std::result::Result<(), String>> {
        let deadline = std::time::Instant::now() + REVEAL_TIMEOUT;
        loop {
            let c = self.commitment_of(token_id).await?;
            let next = c.first_token_id + c.minted;
            if token_id <= next {
                return Ok(Ok(()));
            }
            if std::time::Instant::now() > deadline {
                return Ok(Err(format!(
                    "token {next}, before it in its committed range, was not minted within {} s (a range is minted \
                     in order); nothing was minted",
                    REVEAL_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }

    /// The token's `AigcData` event, when it is minted.
    pub async fn minted(&self, token_id: u64) -> Result<Option<MintedToken>> {
        self.reader
            .minted_token(U256::from(token_id), self.deploy_block)
            .await
            .map_err(chain_error(format!("reading token {token_id} of {}", self.report.address)))
    }

    /// Mints `token_id` with `record`'s seed, traits and proof. `Ok(Err(why))` when the
    /// collection refuses the proof (nothing is sent); `Err` when the chain does not answer.
    pub async fn mint(
        &self,
        token_id: u64,
        seed: &[u8; 32],
        record: &ProofRecord,
    ) -> Result<std::result::Result<MintReport, String>> {
        let aigc = match aigc_data_from_field_elements(&record.public_outputs) {
            Ok(aigc) => aigc,
            Err(e) => return Ok(Err(format!("encoding the traits for the chain: {e}"))),
        };
        if self.in_order
            && let Err(why) = self.wait_for_turn(token_id).await?
        {
            return Ok(Err(why));
        }
        match self.client.add_aigc_data(U256::from(token_id), seed, &aigc, &record.proof).await {
            Ok(outcome) => Ok(Ok(MintReport {
                tx_hash: format!("{:#x}", outcome.tx_hash),
                block_number: outcome.block_number,
                gas_used: Some(outcome.gas_used),
            })),
            Err(AnchorError::CollectionReverted(revert)) => Ok(Err(match revert {
                CollectionRevert::ProofRejected => {
                    "the collection contract refused the proof: its verifier does not accept it for this seed and \
                     these traits; nothing was minted"
                        .to_owned()
                }
                other => format!("the collection contract refused the mint ({other}); nothing was minted"),
            })),
            Err(e) => Err(chain_error(format!("minting token {token_id} in {}", self.report.address))(e)),
        }
    }

    fn kept_path(&self, token_id: u64) -> PathBuf {
        self.kept_dir.join(format!("{token_id}.json"))
    }

    /// The proof kept for `token_id`, when there is one of this seed.
    pub fn kept(&self, token_id: u64, seed_hex: &str) -> Option<Kept> {
        let text = std::fs::read(self.kept_path(token_id)).ok()?;
        let kept: Kept = serde_json::from_slice(&text).ok()?;
        kept.seed.trim_start_matches("0x").eq_ignore_ascii_case(seed_hex).then_some(kept)
    }

    /// Keeps `kept` for `token_id` (written whole, then moved into place).
    pub fn keep(&self, token_id: u64, kept: &Kept) -> Result<()> {
        std::fs::create_dir_all(&self.kept_dir).map_err(|e| CollectionError::file("creating", &self.kept_dir, e))?;
        let path = self.kept_path(token_id);
        let scratch = path.with_extension(format!("json.{}", std::process::id()));
        let bytes = serde_json::to_vec(kept).map_err(|e| CollectionError::Chain {
            action: format!("keeping the proof of token {token_id}"),
            reason: e.to_string(),
        })?;
        std::fs::write(&scratch, bytes).map_err(|e| CollectionError::file("writing", &scratch, e))?;
        std::fs::rename(&scratch, &path).map_err(|source| CollectionError::Move { from: scratch, to: path, source })
    }

    /// Where proofs are kept.
    pub fn kept_dir(&self) -> &Path {
        &self.kept_dir
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const SPEC: &str = r#"
        [collection]
        chain_id = 31337
        name = "Pixel"
        [model]
        name = "m"
        version = "v1"
        onnx = "fixture"
        license = "L"
        [seeds]
        first_token_id = 1
        count = 1
        kind = "operator"
        salt = "s"
        [onchain]
        symbol = "PX"
    "#;

    #[test]
    fn the_chain_and_key_come_from_the_flags_then_the_spec_then_the_configuration_then_the_dev_files() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let spec = Spec::parse(SPEC, Path::new(".")).unwrap();
        let with_url = Spec::parse(&format!("{SPEC}rpc_url = \"http://spec:1\"\n"), Path::new(".")).unwrap();

        let none = chain_options(&spec, ChainSources::default(), data).unwrap_err();
        assert!(matches!(none, CollectionError::NoChain { .. }) && none.to_string().contains("--rpc-url"), "{none}");
        std::fs::write(data.join(DEV_CHAIN_URL_FILE), "http://dev:8545\n").unwrap();
        let no_key = chain_options(&spec, ChainSources::default(), data).unwrap_err();
        assert!(no_key.to_string().contains(MINTER_KEY_ENV) && no_key.to_string().contains(DEV_MINTER_KEY_FILE));
        std::fs::write(data.join(DEV_MINTER_KEY_FILE), "0xdev\n").unwrap();

        let dev = chain_options(&spec, ChainSources::default(), data).unwrap();
        assert_eq!((dev.rpc_url.as_str(), dev.minter_key.as_str()), ("http://dev:8545", "0xdev"));
        let configured = ChainSources { configured_rpc_url: Some("http://conf:1".into()), ..Default::default() };
        assert_eq!(chain_options(&spec, configured.clone(), data).unwrap().rpc_url, "http://conf:1");
        assert_eq!(chain_options(&with_url, configured.clone(), data).unwrap().rpc_url, "http://spec:1");
        let flag = ChainSources { rpc_url: Some("http://flag:1".into()), ..configured };
        assert_eq!(chain_options(&with_url, flag, data).unwrap().rpc_url, "http://flag:1");

        let env = ChainSources { minter_key_env: Some(" 0xenv ".into()), ..Default::default() };
        assert_eq!(chain_options(&spec, env.clone(), data).unwrap().minter_key, "0xenv");
        let file = data.join("key");
        std::fs::write(&file, "0xfile").unwrap();
        let from_file = ChainSources { minter_key_file: Some(file.clone()), ..env };
        assert_eq!(chain_options(&spec, from_file.clone(), data).unwrap().minter_key, "0xfile");
        std::fs::write(&file, " \n").unwrap();
        let empty = chain_options(&spec, from_file, data).unwrap_err();
        assert!(empty.to_string().contains("empty") && empty.to_string().contains("key"), "{empty}");
        assert!(!format!("{dev:?}").contains("0xdev"), "the key is not printed");
    }
}
