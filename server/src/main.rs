//! `provreg`: the provenance registry server and its command-line tool.
mod cli_collection;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use provreg_anchor::{ChainClient, ChainReader};
use provreg_certs as certs;
use provreg_server::anchoring::{AnchorWorker, ContractKind};
use provreg_server::auth::{self, Role};
use provreg_server::config::Config;
use provreg_server::outbox::MetadataOutbox;
use provreg_server::service::Registry;
use provreg_server::service::collection::ChainAccess;
use provreg_server::{BoundServer, db, graphql, import};

/// provreg: a provenance registry and lineage database for generative-AI assets.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML); defaults to ./provreg.toml when present. See provreg.sample.toml.
    #[arg(long, global = true, env = "PROVREG_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL, overriding the configuration (sqlite://FILE?mode=rwc or postgres://…).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP server: GraphQL (with GraphiQL) on /graphql, the read-only audit API on
    /// /audit/graphql, certificates on /certificates/{id}.c2pa, /healthz and /readyz.
    /// Migrations run first; the anchor worker runs when a chain is configured.
    Serve {
        /// Development mode: anonymous reads, a public audit API, the demo fixtures loaded into an
        /// empty database, an admin key written to DATA_DIR/dev-admin.key, a development CA in
        /// DATA_DIR/ca, and a local chain (the npm anvil in anchor/contracts) with the anchor
        /// contract, anchored every 10 seconds.
        #[arg(long)]
        dev: bool,
        /// Address to listen on, overriding the configuration.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys (sent as `Authorization: Bearer <key>`).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Import a collection file (licences, datasets, model versions; see fixtures/), reusing
    /// records that are already registered.
    Import {
        /// The collection file (JSON).
        file: PathBuf,
    },
    /// Generate a token collection from a spec (prove, register, wait for anchors); see
    /// fixtures/demo-collection.toml.
    Collection {
        #[command(subcommand)]
        command: cli_collection::CollectionCommand,
    },
    /// Check a token's evidence bundle offline: every digest, birth certificate, log inclusion
    /// proof and (with --rpc and --contract) on-chain anchor, and the zero-knowledge proof.
    /// Needs no database and no server. Exits 0 when valid, 1 naming the first failed check,
    /// 2 when something is not proven on chain (not anchored yet, or no --rpc and
    /// --contract), 3 when the bundle cannot be read at all.
    Verify(provreg_evidence::cli::VerifyArgs),
    /// Set up anchoring on a chain: `provreg anchor deploy` deploys the ProvenanceAnchor
    /// contract.
    Anchor {
        #[command(subcommand)]
        command: provreg_server::anchoring::cli::AnchorCommand,
    },
    /// Check the stored log: re-derive every leaf and batch root from the stored records and
    /// certificates, and compare the anchors with the contract on the configured chain (or
    /// --rpc-url/--contract). Changes nothing; exits 1 when anything diverges. Run it after
    /// restoring a backup.
    Fsck {
        /// JSON-RPC URL of the chain, instead of anchoring.rpc_url.
        #[arg(long)]
        rpc_url: Option<String>,
        /// The ProvenanceAnchor contract, instead of anchoring.contract.
        #[arg(long)]
        contract: Option<String>,
    },
    /// Compliance exports from the database: PROV-O (JSON-LD), lineage and impact CSV,
    /// OpenLineage run events (see docs/exports.md).
    Export {
        #[command(subcommand)]
        command: provreg_server::export::cli::ExportCommand,
    },
    /// Print the GraphQL schema (SDL). Needs no database.
    Sdl {
        /// The read-only audit schema instead of the full one.
        #[arg(long)]
        audit: bool,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Create a key and print it once; only its hash is stored.
    Create {
        /// auditor (reads), registrar (reads and registrations) or admin (everything).
        #[arg(long, value_enum)]
        role: Role,
        /// A name to recognise the key by.
        #[arg(long, default_value = "unnamed")]
        name: String,
    },
    /// List keys (never the secrets).
    List,
    /// Create the development CA and a signing certificate for birth certificates in
    /// DATA_DIR/ca (kept if they exist). For production, point signing.chain/signing.key at
    /// your own PEM files instead.
    InitCa,
    /// Issue a new development signing certificate under the same CA. Certificates signed
    /// before stay valid; a running server picks the new one up on its next write.
    RotateSigner,
    /// Revoke a key by ID; requests with it are rejected from then on.
    Revoke { id: uuid::Uuid },
}

const DEMO_FIXTURES: &str = "fixtures/demo-collection.json";
/// Port of the local chain `serve --dev` starts, when free.
const DEV_CHAIN_PORT: u16 = 8545;

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PROVREG_LOG")
                .unwrap_or_else(|_| "info,sea_orm_migration=warn,c2pa=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref()).context("reading configuration")?;
    if let Some(url) = cli.database_url {
        config.database_url = url;
    }
    match cli.command {
        Command::Serve { dev, listen } => {
            if dev {
                config.apply_dev_defaults();
            }
            if let Some(listen) = listen {
                config.listen = listen;
            }
            serve(config, dev).await
        }
        Command::Migrate => {
            let conn = db::connect(&config.database_url, config.max_connections).await.context("connecting")?;
            let ran = db::migrate(&conn).await.context("migrating")?;
            println!("applied {ran} migration(s) on {}", db::backend_name(&conn));
            Ok(())
        }
        Command::Keys { command } => keys(&config, command).await,
        Command::Import { file } => {
            let registry = open(&config).await?.with_signing(provreg_server::signing(&config)?);
            let report = import::import_file(&registry, &file).await?;
            println!("imported {}: {} created, {} already registered", file.display(), report.created, report.existing);
            Ok(())
        }
        Command::Collection { command } => cli_collection::command(command, &config).await,
        Command::Verify(args) => {
            let defaults = provreg_evidence::cli::ProverDefaults {
                python: config.prover.python.clone(),
                data_dir: config.data_dir.clone(),
            };
            match provreg_evidence::cli::command(args, &defaults).await {
                Ok(code) => std::process::exit(code),
                Err(e) => {
                    eprintln!("error: {e:#}");
                    std::process::exit(3)
                }
            }
        }
        Command::Anchor { command } => provreg_server::anchoring::cli::command(command, &config).await,
        // Exit 1 means "diverges"; a check that could not run exits 2.
        Command::Fsck { rpc_url, contract } => match fsck(&config, rpc_url, contract).await {
            Ok(()) => Ok(()),
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::exit(2)
            }
        },
        Command::Export { command } => {
            let registry = open(&config).await?;
            provreg_server::export::cli::command(command, &registry, config.limits.max_lineage_depth).await
        }
        Command::Sdl { audit } => {
            print!("{}", graphql::sdl(audit));
            Ok(())
        }
    }
}

/// Connects, migrates and wraps the database.
async fn open(config: &Config) -> Result<Registry> {
    let conn = db::connect(&config.database_url, config.max_connections)
        .await
        .with_context(|| format!("connecting to {}", config.database_url))?;
    db::migrate(&conn).await.context("running migrations")?;
    Ok(Registry::new(conn)?)
}

async fn keys(config: &Config, command: KeysCommand) -> Result<()> {
    let ca_dir = config.data_dir.join("ca");
    match command {
        KeysCommand::InitCa => {
            let paths = certs::init_dev_ca(&ca_dir)?;
            print_ca(&paths, "development CA ready");
            return Ok(());
        }
        KeysCommand::RotateSigner => {
            let paths = certs::rotate_dev_signer(&ca_dir)?;
            print_ca(&paths, "new development signing certificate issued");
            return Ok(());
        }
        _ => {}
    }
    let registry = open(config).await?;
    match command {
        KeysCommand::InitCa | KeysCommand::RotateSigner => {}
        KeysCommand::Create { role, name } => {
            let (key, secret) = auth::create_key(&registry.db, &name, role).await?;
            eprintln!("created {} key {} ({}); it is shown only once:", key.role, key.id, key.name);
            println!("{secret}");
        }
        KeysCommand::List => {
            println!("{:<36}  {:<9}  {:<20}  {:<25}  revoked", "id", "role", "name", "created");
            for k in auth::list_keys(&registry.db).await? {
                let revoked = k.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
                println!("{:<36}  {:<9}  {:<20}  {:<25}  {revoked}", k.id, k.role, k.name, k.created_at.to_rfc3339());
            }
        }
        KeysCommand::Revoke { id } => {
            let key = auth::revoke_key(&registry.db, id).await?;
            println!("revoked key {} ({})", key.id, key.name);
        }
    }
    Ok(())
}

fn print_ca(paths: &certs::DevCaPaths, what: &str) {
    println!("{what} (for development only):");
    println!("  trust anchor (CA certificate): {}", paths.ca_cert.display());
    println!("  signing chain:                 {}", paths.signer_chain.display());
    println!("  signing key:                   {}", paths.signer_key.display());
}

async fn serve(mut config: Config, dev: bool) -> Result<()> {
    if dev && config.collections.beacon.is_none() {
        config.collections.beacon = Some(dev_beacon(&config.data_dir)?);
    }
    if dev {
        if config.database_url.starts_with("postgres") {
            bail!("--dev uses the embedded SQLite database; unset the PostgreSQL URL or drop --dev");
        }
        let paths = certs::init_dev_ca(&config.data_dir.join("ca"))?;
        println!("development CA: {} (trust anchor for validating certificates)", paths.ca_cert.display());
    }
    let checker = provreg_server::proof_checker(&config, dev).await?;
    match checker.system_version().await {
        Ok(version) => println!("proof verifier: ezkl {version}"),
        Err(e) => {
            tracing::warn!(error = %e, "the proof verifier does not start; tokens cannot be registered until it does")
        }
    }
    let mut registry = open(&config).await?.with_signing(provreg_server::signing(&config)?).with_proofs(checker);
    if let Some(beacon) = &config.collections.beacon {
        let key = beacon.key().map_err(anyhow::Error::msg).context("collections.beacon")?;
        println!("beacon seeds: beacon {}… ({})", &key.public_key_hex()[..16], key.origin());
        registry = registry.with_beacon(key);
    }
    if dev {
        dev_setup(&registry, &config).await?;
    }
    let (worker, _chain, access) = start_anchoring(&registry, &config, dev).await?;
    let server = BoundServer::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let base = format!("http://{}", server.addr);
    // Collections are deployed on the anchoring chain with the anchoring key.
    // The metadata-update outbox sends ERC-4906 updates of deployed collections with that key.
    let registry = match access {
        Some(access) => {
            let interval = Duration::from_secs(config.anchoring.interval_secs.max(1));
            let outbox = MetadataOutbox::new(registry.clone(), access.clone(), &config.database_url, interval);
            tokio::spawn(Arc::new(outbox).run());
            registry.with_chain(access, config.collections.public_url.clone().unwrap_or(base.clone()))
        }
        None => registry,
    };
    tracing::info!(database = db::backend_name(&registry.db), "provreg listening on {base}");
    println!("provreg is serving on {base}");
    println!("  explorer:        {base}/explorer/");
    println!("  GraphiQL:        {base}/graphql");
    println!("  audit (read-only): {base}/audit/graphql");
    println!("  health:          {base}/healthz  {base}/readyz");
    server.run_with(registry, &config, worker).await.context("serving")?;
    Ok(())
}

/// Starts the anchor worker when a chain is configured; `--dev` starts a local chain (kept
/// in DATA_DIR/anvil-state.json) and deploys the contract on it once. The returned chain
/// handle must live as long as the server; the returned access is the chain and key.
async fn start_anchoring(
    registry: &Registry,
    config: &Config,
    dev: bool,
) -> Result<(Option<Arc<AnchorWorker>>, Option<provreg_anchor::devchain::Anvil>, Option<ChainAccess>)> {
    let a = &config.anchoring;
    let interval = Duration::from_secs(a.interval_secs.max(1));
    let (client, chain, rpc_url, private_key) = match (&a.rpc_url, dev) {
        (Some(rpc), _) => {
            let key = a.private_key.as_deref().context("anchoring.rpc_url is set but anchoring.private_key is not")?;
            let contract = a.contract.as_deref().context(
                "anchoring.rpc_url is set but anchoring.contract is not (deploy one with `provreg anchor deploy`)",
            )?;
            let contract = provreg_server::anchoring::parse_address(contract)?;
            (ChainClient::connect(rpc, key, Some(contract), a.confirmations)?, None, rpc.clone(), key.to_owned())
        }
        (None, true) => {
            // The usual local-chain port when it is free, so `cast --rpc-url` examples work as
            // written; then the port recorded with the state file, so the chain comes back where
            // it was. A chain an earlier crashed server left running is stopped first.
            let state = config.data_dir.join("anvil-state.json");
            let anvil = match provreg_anchor::devchain::Anvil::spawn_persistent_on(&state, DEV_CHAIN_PORT) {
                Ok(anvil) => anvil,
                Err(e) => {
                    println!("anchoring is off: {e}");
                    return Ok((None, None, None));
                }
            };
            let key = anvil.private_key_hex(0).context("the local chain has no dev account")?;
            let saved = config.data_dir.join("dev-contract.txt");
            let existing = std::fs::read_to_string(&saved).ok().and_then(|s| s.trim().parse().ok());
            // The saved contract, if the chain still has it and it is a ProvenanceLog (an older
            // dev setup's ProvenanceAnchor is replaced: the new one anchors the whole log).
            let reuse = match existing {
                Some(address) => (provreg_server::anchoring::contract_kind(&anvil.endpoint(), address).await.ok()
                    == Some(ContractKind::States)
                    && provreg_anchor::LogReader::connect(&anvil.endpoint(), address)?.head().await.is_ok())
                .then_some(address),
                None => None,
            };
            let address = match reuse {
                Some(address) => address,
                None => {
                    let mut log = provreg_anchor::LogClient::connect(&anvil.endpoint(), &key, None, 1)?;
                    let address = log.deploy().await.context("deploying ProvenanceLog on the local chain")?;
                    std::fs::write(&saved, format!("{address}\n"))
                        .with_context(|| format!("writing {}", saved.display()))?;
                    address
                }
            };
            println!("local chain {} (chain id {}), ProvenanceLog at {address}", anvil.endpoint(), anvil.chain_id());
            dev_chain_files(config, &anvil)?;
            let client = ChainClient::connect(&anvil.endpoint(), &key, Some(address), 1)?;
            let endpoint = anvil.endpoint();
            (client, Some(anvil), endpoint, key)
        }
        (None, false) => {
            println!("anchoring is off (no anchoring.rpc_url); records are logged and wait to be anchored");
            return Ok((None, None, None));
        }
    };
    let contract = client.contract_address().context("the anchor client has no contract")?;
    let confirmations = if a.rpc_url.is_some() { a.confirmations.max(1) } else { 1 };
    let mut worker = AnchorWorker::new(registry.clone(), client, &config.database_url, a.max_batch, interval)
        .await
        .context("starting the anchor worker")?;
    if provreg_server::anchoring::contract_kind(&rpc_url, contract).await? == ContractKind::States {
        let heartbeat = (a.heartbeat_secs > 0).then(|| Duration::from_secs(a.heartbeat_secs));
        let log = provreg_anchor::LogClient::connect(&rpc_url, &private_key, Some(contract), confirmations)?;
        worker = worker.with_states(log, heartbeat);
    }
    let worker = Arc::new(worker);
    println!("anchoring the log every {}s on chain {} at {}", interval.as_secs(), worker.chain_id(), worker.contract());
    let chain_id = u64::try_from(worker.chain_id()).context("the chain ID is negative")?;
    let access = ChainAccess { rpc_url, private_key, chain_id, confirmations };
    tokio::spawn(worker.clone().run());
    Ok((Some(worker), chain, Some(access)))
}

/// `provreg fsck`: prints what it checked and every divergence; exits 1 if there is one.
async fn fsck(config: &Config, rpc_url: Option<String>, contract: Option<String>) -> Result<()> {
    let registry = open(config).await?;
    let rpc_url = rpc_url.or_else(|| config.anchoring.rpc_url.clone());
    let contract = contract.or_else(|| config.anchoring.contract.clone());
    let chain = match (rpc_url, contract) {
        (Some(rpc), Some(contract)) => {
            let reader = ChainReader::connect(&rpc, provreg_server::anchoring::parse_address(&contract)?)?;
            let chain_id = reader.chain_id().await.with_context(|| format!("reading the chain at {rpc}"))?;
            let log = (provreg_server::anchoring::contract_kind(&rpc, reader.contract_address()).await?
                == ContractKind::States)
                .then(|| provreg_anchor::LogReader::connect(&rpc, reader.contract_address()))
                .transpose()?;
            Some(provreg_server::fsck::Chain { reader, chain_id: i64::try_from(chain_id)?, log })
        }
        (Some(_), None) | (None, Some(_)) => {
            bail!(
                "comparing with the chain needs both anchoring.rpc_url and anchoring.contract (or --rpc-url and --contract)"
            )
        }
        (None, None) => {
            println!("the chain is not checked: no anchoring.rpc_url/anchoring.contract (or --rpc-url/--contract)");
            None
        }
    };
    let report = provreg_server::fsck::check(&registry, chain.as_ref(), |n| {
        if n % 10_000 == 0 {
            eprintln!("checked {n} log entries…");
        }
    })
    .await?;
    for d in &report.divergences {
        println!("DIVERGES: {d}");
    }
    println!(
        "checked {} log entries, {} anchors, {} on chain: {}",
        report.entries,
        report.anchors,
        report.on_chain,
        if report.is_clean() { "all agree".to_owned() } else { format!("{} divergences", report.divergences.len()) }
    );
    if !report.is_clean() {
        std::process::exit(1);
    }
    Ok(())
}

/// Writes where `provreg collection run` finds the local chain and a minter key of its own:
/// DATA_DIR/dev-chain.url and DATA_DIR/dev-minter.key (the second dev account, so minting
/// never races the registry's own transactions from the first).
fn dev_chain_files(config: &Config, anvil: &provreg_anchor::devchain::Anvil) -> Result<()> {
    let url = config.data_dir.join(provreg_collection::DEV_CHAIN_URL_FILE);
    std::fs::write(&url, format!("{}\n", anvil.endpoint())).with_context(|| format!("writing {}", url.display()))?;
    let key = anvil.private_key_hex(1).context("the local chain has no second dev account")?;
    let key_file = config.data_dir.join(provreg_collection::DEV_MINTER_KEY_FILE);
    std::fs::write(&key_file, format!("{key}\n")).with_context(|| format!("writing {}", key_file.display()))?;
    println!("dev minter key (local chain account 1) in {}", key_file.display());
    Ok(())
}

/// Loads the demo fixtures into an empty registry and makes sure a dev admin key exists.
/// The local development beacon of `serve --dev`: a secret kept in DATA_DIR/dev-beacon.secret
/// (made once), rounds every 3 seconds from 2023-08-23 (quicknet's genesis), served at
/// `/beacon`.
fn dev_beacon(data_dir: &Path) -> Result<provreg_server::config::BeaconConfig> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let file = data_dir.join("dev-beacon.secret");
    let secret = match std::fs::read_to_string(&file) {
        Ok(text) if text.trim().len() == 64 => text.trim().to_owned(),
        _ => {
            let secret = hex::encode(rand::random::<[u8; 32]>());
            std::fs::write(&file, format!("{secret}\n")).with_context(|| format!("writing {}", file.display()))?;
            secret
        }
    };
    let quicknet = provreg_seed::BeaconKey::QUICKNET;
    Ok(provreg_server::config::BeaconConfig {
        public_key: None,
        genesis_time: quicknet.genesis_time(),
        period: quicknet.period(),
        local_secret: Some(secret),
    })
}

async fn dev_setup(registry: &Registry, config: &Config) -> Result<()> {
    let fixtures = Path::new(DEMO_FIXTURES);
    if fixtures.exists() {
        let report = import::import_file(registry, fixtures).await?;
        println!("demo fixtures: {} created, {} already registered", report.created, report.existing);
    } else {
        println!("no {DEMO_FIXTURES} here; starting without demo data");
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    let key_file = config.data_dir.join("dev-admin.key");
    let valid = match std::fs::read_to_string(&key_file) {
        Ok(secret) => auth::authenticate(&registry.db, secret.trim()).await.is_ok(),
        Err(_) => false,
    };
    if !valid {
        let (_, secret) = auth::create_key(&registry.db, "dev admin", Role::Admin).await?;
        std::fs::write(&key_file, format!("{secret}\n")).with_context(|| format!("writing {}", key_file.display()))?;
    }
    println!("dev admin key in {} (send it as `Authorization: Bearer <key>`)", key_file.display());
    Ok(())
}
