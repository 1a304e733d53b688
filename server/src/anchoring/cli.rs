//! `provreg anchor …`: setting up the chain side of anchoring.
use anyhow::{Context, Result, bail};
use provreg_anchor::alloy_types::Address;
use provreg_anchor::{ChainClient, ChainReader, LogClient};

use crate::config::Config;

/// The environment variable that sets `anchoring.contract`.
pub const CONTRACT_ENV: &str = "PROVREG_ANCHORING__CONTRACT";
/// The environment variable that sets `anchoring.rpc_url`.
const RPC_URL_ENV: &str = "PROVREG_ANCHORING__RPC_URL";
/// The environment variable that sets `anchoring.private_key`.
const PRIVATE_KEY_ENV: &str = "PROVREG_ANCHORING__PRIVATE_KEY";

/// `provreg anchor …`
#[derive(Debug, clap::Subcommand)]
pub enum AnchorCommand {
    /// Deploy a new ProvenanceLog contract (linked states of the whole log, with the status
    /// map; `--batches`: the older ProvenanceAnchor of batch roots) on the configured chain
    /// (anchoring.rpc_url), owned by the account of anchoring.private_key, the account the
    /// anchor worker then signs with. Waits until it is mined and answers, then prints its
    /// address and the setting to add (anchoring.contract).
    Deploy(DeployArgs),
}

/// Options of `provreg anchor deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// JSON-RPC URL of the chain, instead of anchoring.rpc_url.
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// Deploy a ProvenanceAnchor (one commitment per batch, no status map, 52,900 gas per
    /// anchor) instead of a ProvenanceLog.
    #[arg(long)]
    pub batches: bool,
}

/// What a deployment made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Deployed {
    /// The new contract.
    pub contract: Address,
    /// Its owner, the deploying account.
    pub owner: Address,
    /// The chain it is on.
    pub chain_id: u64,
    /// `ProvenanceLog` or `ProvenanceAnchor`.
    pub name: &'static str,
}

/// Runs an `anchor` command with `config`.
pub async fn command(command: AnchorCommand, config: &Config) -> Result<()> {
    match command {
        AnchorCommand::Deploy(args) => {
            let rpc_url = args.rpc_url.as_deref().or(config.anchoring.rpc_url.as_deref());
            let Some(rpc_url) = rpc_url.filter(|u| !u.trim().is_empty()) else {
                bail!("no chain to deploy on: set anchoring.rpc_url ({RPC_URL_ENV}) or pass --rpc-url");
            };
            let Some(key) = config.anchoring.private_key.as_deref().filter(|k| !k.trim().is_empty()) else {
                bail!(
                    "no deployer key: set anchoring.private_key ({PRIVATE_KEY_ENV}); its account owns the \
                     contract and is the one the anchor worker signs with"
                );
            };
            if let Some(current) = &config.anchoring.contract {
                eprintln!("note: anchoring.contract is set to {current}; it stays in use until you change it");
            }
            let deployed = if args.batches { deploy(rpc_url, key).await? } else { deploy_log(rpc_url, key).await? };
            print!("{}", report(&deployed));
            Ok(())
        }
    }
}

/// Deploys the contract through `rpc_url`, signed with `private_key`, and reads it back.
async fn deploy(rpc_url: &str, private_key: &str) -> Result<Deployed> {
    let mut client = ChainClient::connect(rpc_url, private_key, None, 1).context("anchoring settings")?;
    let chain_id = client.chain_id().await.context("asking the chain for its id")?;
    let contract = client.deploy().await.context("deploying ProvenanceAnchor")?;
    let reader = ChainReader::connect(rpc_url, contract).context("anchoring settings")?;
    let next_seq = reader
        .next_seq()
        .await
        .with_context(|| format!("ProvenanceAnchor was deployed at {contract}, but reading it back failed"))?;
    if next_seq != 0 {
        bail!("the contract at {contract} is not a new ProvenanceAnchor: it expects sequence number {next_seq}");
    }
    Ok(Deployed { contract, owner: client.sender(), chain_id, name: "ProvenanceAnchor" })
}

/// Deploys a `ProvenanceLog` through `rpc_url`, signed with `private_key`, and reads it back.
async fn deploy_log(rpc_url: &str, private_key: &str) -> Result<Deployed> {
    let mut client = LogClient::connect(rpc_url, private_key, None, 1).context("anchoring settings")?;
    let chain_id = client.chain_id().await.context("asking the chain for its id")?;
    let contract = client.deploy().await.context("deploying ProvenanceLog")?;
    let head = client
        .reader()
        .context("anchoring settings")?
        .head()
        .await
        .with_context(|| format!("ProvenanceLog was deployed at {contract}, but reading it back failed"))?;
    if let Some(head) = head {
        bail!("the contract at {contract} is not a new ProvenanceLog: it holds head {head}");
    }
    Ok(Deployed { contract, owner: client.sender(), chain_id, name: "ProvenanceLog" })
}

/// What `anchor deploy` prints: the address, and the setting in both its forms.
fn report(d: &Deployed) -> String {
    let contract = d.contract.to_string();
    format!(
        "deployed {} at {contract} on chain {} (owner {})\n\
         set it in the configuration (in provreg.toml: `contract = \"{contract}\"` under [anchoring]):\n\
         anchoring.contract = \"{contract}\"\n\
         or in the environment:\n\
         {CONTRACT_ENV}={contract}\n",
        d.name, d.chain_id, d.owner,
    )
}
