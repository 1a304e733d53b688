//! `provreg collection …`: the command line of the collection pipeline
//! (`provreg-collection`), with its key and prover settings taken from the environment
//! and the configuration.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use provreg_collection::{
    API_KEY_ENV, ChainSources, Client, DeployRequest, MINTER_KEY_ENV, RunOptions, Spec, api_key, chain_options, deploy,
    run,
};
use provreg_server::config::Config;

/// `provreg collection …`
#[derive(Debug, clap::Subcommand)]
pub enum CollectionCommand {
    /// Generate a token collection: register the model version and its circuit when
    /// missing, prove and register every token of the spec that is not registered yet (with
    /// a PNG drawn from its traits), wait for the anchors, and print a summary. A spec with
    /// [onchain] also deploys its collection through the registry (once) and mints each token
    /// on chain before registering it, reporting the gas. Exits non-zero when a token
    /// failed. See fixtures/demo-collection.toml for the spec format.
    Run(RunArgs),
    /// Deploy a model version's on-chain collection through the registry: the registry
    /// deploys its circuit's EZKL verifier (once per circuit) and a ProvregCollection
    /// (ERC-721 + ERC-7007) on its chain, then records, certifies and logs it. Prints the
    /// collection's address, its verifier, and a `cast call` that reads a token's URI.
    Deploy(DeployArgs),
}

/// Options of `provreg collection deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The model version: its ID, or `model@label` (e.g. `trait-generator@v1`). It needs a
    /// registered circuit.
    #[arg(long)]
    pub model_version: String,
    /// The collection's ERC-721 name.
    #[arg(long)]
    pub name: String,
    /// The collection's ERC-721 symbol (1 to 16 letters and digits).
    #[arg(long)]
    pub symbol: String,
    /// The only account that may mint (default: the registry's account).
    #[arg(long)]
    pub minter: Option<String>,
    /// Where the tokens' seeds come from: `chain` (the contract assigns them from a block mined
    /// after the minter commits to the token IDs), `beacon` (a drand round after the
    /// commitment) or `operator` (unverified).
    #[arg(long, value_parser = ["chain", "beacon", "operator"], default_value = "operator")]
    pub seed_source: String,
    /// `chain` seeds: blocks from a commitment to its randomness block (1 to 128; default 2).
    #[arg(long)]
    pub seed_delay: Option<u64>,
    /// The registry's base URL (default http://<listen> of the configuration).
    #[arg(long)]
    pub server: Option<String>,
    /// A file holding the API key (registrar or admin). Without it the key comes from
    /// PROVREG_API_KEY, else from DATA_DIR/dev-admin.key (which `serve --dev` writes).
    #[arg(long)]
    pub api_key_file: Option<PathBuf>,
}

/// Options of `provreg collection run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The collection spec (TOML).
    pub spec: PathBuf,
    /// The registry's base URL, overriding the spec's `server`.
    #[arg(long)]
    pub server: Option<String>,
    /// A file holding the API key (registrar or admin). Without it the key comes from
    /// PROVREG_API_KEY, else from DATA_DIR/dev-admin.key (which `serve --dev` writes).
    #[arg(long)]
    pub api_key_file: Option<PathBuf>,
    /// The Python interpreter with the prover packages (default: prover.python from the
    /// configuration, else a virtual environment made once in DATA_DIR).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Where circuits and keys are made and kept (default DATA_DIR/prover).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// The longest wait for the tokens' anchors, in seconds.
    #[arg(long, default_value_t = 120)]
    pub anchor_timeout: u64,
    /// Do not wait for anchors.
    #[arg(long)]
    pub no_wait: bool,
    /// The chain's JSON-RPC endpoint for an [onchain] spec (default: the spec's
    /// onchain.rpc_url, else anchoring.rpc_url, else the local chain of `serve --dev`).
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// A file holding the minter's private key for an [onchain] spec. Without it the key
    /// comes from PROVREG_MINTER_KEY, else from DATA_DIR/dev-minter.key (which `serve --dev`
    /// writes).
    #[arg(long)]
    pub minter_key_file: Option<PathBuf>,
    /// How many tokens are proven at once, each by its own prover process (default: the
    /// number of cores; EZKL proves on one core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// No progress output (the summary is still printed).
    #[arg(long)]
    pub quiet: bool,
}

/// Runs a `collection` command with `config` (for the data directory and prover settings)
/// and the API key in PROVREG_API_KEY, when set.
pub async fn command(command: CollectionCommand, config: &Config) -> Result<()> {
    match command {
        CollectionCommand::Run(args) => {
            let spec = Spec::load(&args.spec)?;
            let key = api_key(args.api_key_file.as_deref(), std::env::var(API_KEY_ENV).ok(), &config.data_dir)?;
            let mut opts = RunOptions::new(&config.data_dir, key);
            opts.server = args.server;
            opts.python = args.python.or_else(|| config.prover.python.clone());
            if let Some(work_dir) = args.work_dir {
                opts.work_dir = work_dir;
            }
            opts.wait = !args.no_wait;
            opts.anchor_timeout = Duration::from_secs(args.anchor_timeout);
            opts.progress = !args.quiet;
            if let Some(workers) = args.workers {
                if workers == 0 {
                    bail!("--workers must be at least 1");
                }
                opts.workers = workers;
            }
            if spec.onchain.is_some() {
                let sources = ChainSources {
                    rpc_url: args.rpc_url,
                    configured_rpc_url: config.anchoring.rpc_url.clone(),
                    minter_key_file: args.minter_key_file,
                    minter_key_env: std::env::var(MINTER_KEY_ENV).ok(),
                };
                opts.chain = Some(chain_options(&spec, sources, &config.data_dir)?);
            }
            let rpc = opts.chain.as_ref().map(|c| c.rpc_url.clone());
            let summary = run(&spec, &opts).await?;
            print!("{summary}");
            if let (Some(c), Some(rpc)) = (&summary.collection, rpc) {
                println!("token URIs on chain:");
                println!(
                    "  cast call {} \"tokenURI(uint256)(string)\" {} --rpc-url {rpc}",
                    c.address, spec.seeds.first_token_id
                );
            }
            if !summary.succeeded() {
                bail!("{} of {} tokens failed (see above)", summary.failed, summary.tokens.len());
            }
            Ok(())
        }
        CollectionCommand::Deploy(args) => {
            let key = api_key(args.api_key_file.as_deref(), std::env::var(API_KEY_ENV).ok(), &config.data_dir)?;
            let server = args.server.unwrap_or_else(|| format!("http://{}", config.listen));
            let client = Client::new(&server, &key)?;
            let request = DeployRequest {
                model_version: args.model_version,
                name: args.name,
                symbol: args.symbol,
                minter: args.minter,
                seed_source: Some(args.seed_source.to_ascii_uppercase()),
                seed_delay: args.seed_delay,
            };
            let deployed = deploy(&client, &request).await?;
            println!("collection {} on chain {} (record {})", deployed.address, deployed.chain_id, deployed.id);
            println!("  deployed in:  {}", deployed.deploy_tx);
            println!("  minter:       {}", deployed.minter);
            println!("  verifier:     {} (code hash {})", deployed.verifier, deployed.verifier_code_hash);
            // Without a configured chain the registry runs the local one (`serve --dev`), which
            // is where `cast` looks by default.
            let rpc = config.anchoring.rpc_url.as_deref().map(|url| format!(" --rpc-url {url}")).unwrap_or_default();
            println!("token URIs, once minted:");
            println!("  cast call {} \"tokenURI(uint256)(string)\" 1{rpc}", deployed.address);
            Ok(())
        }
    }
}
