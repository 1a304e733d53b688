//! Typed configuration, read once at start-up from a TOML file and `PROVREG_*` variables.
//!
//! Precedence, lowest first: built-in defaults, the TOML file (`--config`, or
//! `PROVREG_CONFIG`, or `./provreg.toml` when present), then environment variables
//! (`PROVREG_DATABASE_URL`, `PROVREG_LISTEN`, `PROVREG_AUTH__ANONYMOUS_READS`, …:
//! a double underscore separates nested keys). See `provreg.sample.toml`.
use std::net::SocketAddr;
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
            },
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
        figment.merge(Env::prefixed("PROVREG_").ignore(&["CONFIG"]).split("__")).extract().map_err(Box::new)
    }

    /// The settings `serve --dev` uses unless told otherwise: anonymous reads and a public audit API.
    pub fn apply_dev_defaults(&mut self) {
        self.auth.anonymous_reads = true;
        self.auth.public_audit = true;
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
    }
}
