#![doc = include_str!("../README.md")]

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod import;
pub mod payload;
pub mod service;

use std::net::SocketAddr;
use std::sync::Arc;

use poem::listener::{Acceptor, Listener, TcpListener};

use crate::config::Config;
use crate::graphql::{Deps, Limits};
use crate::http::AppState;
use crate::service::Registry;

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
    }
}

/// Builds the HTTP application on a connected, migrated registry.
pub fn app(registry: Registry, config: &Config) -> impl poem::Endpoint + use<> {
    let deps = deps(registry.clone(), config);
    let state = AppState {
        registry,
        full: graphql::build_schema(deps.clone()),
        audit: graphql::build_audit_schema(deps),
        anonymous_reads: config.auth.anonymous_reads,
        public_audit: config.auth.public_audit,
    };
    http::routes(Arc::new(state))
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
        let app = app(registry, config);
        poem::Server::new_with_acceptor(self.acceptor).run(app).await
    }
}
