#![doc = include_str!("../README.md")]

pub mod anchoring;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod evidence;
pub mod explorer;
pub mod export;
pub mod fsck;
pub mod graphql;
pub mod http;
pub mod import;
pub mod metadata;
pub mod metrics;
pub mod outbox;
pub mod payload;
pub mod rate_limit;
pub mod service;
pub mod transparency;

use std::net::SocketAddr;
use std::sync::Arc;

use poem::listener::{Acceptor, Listener, TcpListener};

use crate::config::Config;
use crate::graphql::{Deps, Limits};
use crate::http::AppState;
use crate::service::Registry;

/// Every binary built on this crate (the server, its tests and benchmarks) allocates with
/// mimalloc: with many threads allocating and freeing small buffers, the system allocator took
/// about a sixth of a registration's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The signing identity `config` names (by default the development CA's in `DATA_DIR/ca`).
pub fn signing(config: &Config) -> Result<service::seal::Signing, error::AppError> {
    let (chain, key, anchors) = config.signing_paths();
    if !chain.exists() || !key.exists() {
        return Err(error::AppError::Internal(format!(
            "no signing identity at {} / {}: run `provreg keys init-ca` for a development CA, or set \
             signing.chain and signing.key",
            chain.display(),
            key.display()
        )));
    }
    Ok(service::seal::Signing::from_files(&chain, &key, anchors.exists().then_some(anchors.as_path()))?
        .with_embed_limit(config.signing.embed_limit.unwrap_or(provreg_certs::DEFAULT_EMBED_LIMIT)))
}

/// The proof checker `config` asks for. With `dev` and no `prover.python`, the pinned
/// prover packages are installed into a virtual environment in `DATA_DIR` first (once).
pub async fn proof_checker(config: &Config, dev: bool) -> anyhow::Result<service::proofs::ProofChecker> {
    use provreg_prover_client::{EzklBackend, EzklConfig, default_venv_name, ensure_venv};
    let python = match (&config.prover.python, dev) {
        (Some(python), _) => python.clone(),
        (None, true) => ensure_venv(&config.data_dir.join(default_venv_name())).await?,
        (None, false) => std::path::PathBuf::from("python3"),
    };
    let work_dir = config.prover.work_dir.clone().unwrap_or_else(|| config.data_dir.join("circuits"));
    let backend = EzklBackend::new(
        EzklConfig::new(work_dir.join("prover")).with_python(python).with_workers(config.prover.workers.max(1)),
    );
    let mut checker = service::proofs::ProofChecker::new(backend, work_dir.join("registered"));
    let c = &config.collections;
    if c.solc_package.is_some() || c.node.is_some() {
        let package = c.solc_package.clone().unwrap_or_else(provreg_anchor::devchain::bundled_solc_package);
        let solc = provreg_prover_client::SolcJs::new(package);
        checker = checker.with_solc(match &c.node {
            Some(node) => solc.with_node(node),
            None => solc,
        });
    }
    Ok(checker)
}

/// The schema dependencies `config` asks for.
pub fn deps(registry: Registry, config: &Config) -> Deps {
    Deps {
        registry,
        query_depth: config.limits.query_depth,
        query_complexity: config.limits.query_complexity,
        limits: Limits {
            max_page_size: config.limits.max_page_size,
            max_lineage_depth: config.limits.max_lineage_depth,
        },
        // Below the pool size, so the anchor worker and cheap reads always find a connection.
        cost: graphql::cost::CostLimits::new(
            config.limits.max_expensive_per_request,
            config.limits.max_concurrent_expensive.min(config.max_connections.saturating_sub(1) as usize),
            config.limits.max_response_bytes,
        ),
        anchor_worker: None,
    }
}

/// Builds the HTTP application on a connected, migrated registry.
pub fn app(registry: Registry, config: &Config) -> impl poem::Endpoint + use<> {
    app_with(registry, config, None)
}

/// Builds the HTTP application, with `anchor_worker` behind the `anchorNow` mutation.
pub fn app_with(
    registry: Registry,
    config: &Config,
    anchor_worker: Option<Arc<anchoring::AnchorWorker>>,
) -> impl poem::Endpoint + use<> {
    let mut deps = deps(registry.clone(), config);
    deps.anchor_worker = anchor_worker;
    let state = AppState {
        registry,
        full: graphql::build_schema(deps.clone()),
        audit: graphql::build_audit_schema(deps),
        anonymous_reads: config.auth.anonymous_reads,
        public_audit: config.auth.public_audit,
        body: http::BodyLimits {
            query_bytes: config.limits.max_query_bytes,
            upload_bytes: config.limits.max_upload_bytes,
        },
        max_response_bytes: config.limits.max_response_bytes,
        rate: rate_limit::RateLimits::new(&config.limits),
        max_lineage_depth: config.limits.max_lineage_depth,
        beacon: config.collections.beacon.as_ref().and_then(|b| b.local_beacon().ok().flatten()).map(Arc::new),
        log_signer: log_signer(config),
        explorer: explorer::ExplorerAssets::new(config.explorer.node_modules.clone()),
    };
    http::routes(Arc::new(state))
}

/// The checkpoint signer `config` names (its key file made when missing); `None`, with a
/// warning, when the key cannot be read or made.
fn log_signer(config: &Config) -> Option<Arc<transparency::LogSigner>> {
    let file = config.anchoring.log_key_file.clone().unwrap_or_else(|| config.data_dir.join("log-key.secret"));
    match transparency::LogSigner::load_or_create(&config.anchoring.log_origin, &file) {
        Ok(signer) => Some(Arc::new(signer)),
        Err(e) => {
            tracing::warn!(error = %e, "no log key: GET /checkpoint is unavailable");
            None
        }
    }
}

/// A bound, not yet running server.
pub struct BoundServer {
    pub addr: SocketAddr,
    acceptor: poem::listener::TcpAcceptor,
}

impl std::fmt::Debug for BoundServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundServer").field("addr", &self.addr).finish()
    }
}

impl BoundServer {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let acceptor = TcpListener::bind(addr).into_acceptor().await?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or_else(|| std::io::Error::other("listener has no address"))?;
        Ok(Self { addr, acceptor })
    }

    /// Serves `registry` until the process ends.
    pub async fn run(self, registry: Registry, config: &Config) -> std::io::Result<()> {
        self.run_with(registry, config, None).await
    }

    /// Serves `registry`, with `anchor_worker` behind `anchorNow`, until the process ends.
    pub async fn run_with(
        self,
        registry: Registry,
        config: &Config,
        anchor_worker: Option<Arc<anchoring::AnchorWorker>>,
    ) -> std::io::Result<()> {
        let app = app_with(registry, config, anchor_worker);
        poem::Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown_signal(), Some(std::time::Duration::from_secs(5)))
            .await
    }
}

/// Resolves on Ctrl-C or SIGTERM, so the server stops cleanly and what it started (the dev
/// chain) stops with it.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
