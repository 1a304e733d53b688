//! `TestApp`: a migrated database of its own and the server on port 0.
use std::net::SocketAddr;
use std::sync::Arc;

use provreg_anchor::ChainClient;
use provreg_anchor::alloy_types::Address;
use provreg_server::anchoring::AnchorWorker;

use provreg_server::auth::{self, Role};
use provreg_server::config::Config;
use provreg_server::service::Registry;
use provreg_server::service::collection::ChainAccess;
use provreg_server::{BoundServer, db};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

/// Runs one async test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await
                }
            }
        )*
    };
}

/// Runs one async test body that takes the backend (and spawns what it needs) on both.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("PROVREG_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A data directory with a development CA, made once per test process.
pub fn test_data_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("provreg-test-data-{}", std::process::id()));
        provreg_certs::init_dev_ca(&dir.join("ca")).expect("dev CA");
        dir
    })
    .clone()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub registry: Registry,
    pub admin: String,
    pub registrar: String,
    pub auditor: String,
    client: reqwest::Client,
    cleanup: Cleanup,
    /// The anchor worker, when spawned with a chain.
    pub worker: Option<Arc<AnchorWorker>>,
    /// The database URL.
    pub url: String,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database(String),
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database(name) => {
                let name = name.clone();
                // A runtime of its own: Drop cannot await, and the test's runtime may be ending.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    rt.block_on(async {
                        let admin = Database::connect(postgres_admin_url()).await.ok()?;
                        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.ok()
                    })
                })
                .join();
            }
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with a configuration adjusted by `tweak`.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_inner(backend, tweak, None).await
    }

    /// Spawns with an anchor worker on the chain at `rpc` (contract `contract`, owner `key`),
    /// served behind `anchorNow`; rounds run only when a test asks.
    pub async fn spawn_anchored(backend: Backend, rpc: &str, key: &str, contract: Address) -> Self {
        Self::spawn_anchored_with(backend, rpc, key, contract, |_| {}).await
    }

    /// [`spawn_anchored`](Self::spawn_anchored) with a configuration adjusted by `tweak`.
    pub async fn spawn_anchored_with(
        backend: Backend,
        rpc: &str,
        key: &str,
        contract: Address,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        Self::spawn_inner(backend, tweak, Some((rpc.to_owned(), key.to_owned(), contract))).await
    }

    async fn spawn_inner(
        backend: Backend,
        tweak: impl FnOnce(&mut Config),
        chain: Option<(String, String, Address)>,
    ) -> Self {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("provreg-test-{tag}.db"));
                (format!("sqlite://{}?mode=rwc", path.display()), Cleanup::File(path))
            }
            Backend::Postgres => {
                let name = format!("provreg_test_{tag}");
                let admin = Database::connect(postgres_admin_url())
                    .await
                    .expect("PostgreSQL must be running for the tests (scripts/test starts it)");
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
                let base = postgres_admin_url();
                let server = base.rsplit_once('/').map(|(s, _)| s.to_owned()).expect("database URL has a path");
                (format!("{server}/{name}"), Cleanup::Database(name))
            }
        };
        let mut config =
            Config { database_url: url, max_connections: 4, data_dir: test_data_dir(), ..Config::default() };
        // Tests send many requests from one address; the rate-limit tests turn the limits on.
        config.limits.requests_per_minute_per_address = Some(0);
        config.limits.requests_per_minute_per_key = Some(0);
        tweak(&mut config);
        let conn = db::connect(&config.database_url, config.max_connections).await.expect("connect");
        db::migrate(&conn).await.expect("migrations run");
        let circuits = config.data_dir.join(format!("circuits-{tag}"));
        let verifier = provreg_prover_client::EzklBackend::new(
            provreg_prover_client::EzklConfig::new(circuits.join("prover")).with_python(crate::zk::python()),
        );
        let mut registry = Registry::new(conn)
            .expect("registry")
            .with_signing(provreg_server::signing(&config).expect("signing"))
            .with_proofs(provreg_server::service::proofs::ProofChecker::new(verifier, circuits.join("registered")));
        if let Some(beacon) = &config.collections.beacon {
            registry = registry.with_beacon(beacon.key().expect("the test beacon key"));
        }
        let key = |role: Role| {
            let db = registry.db.clone();
            async move { auth::create_key(&db, role.as_str(), role).await.expect("create key").1 }
        };
        let (admin, registrar, auditor) =
            (key(Role::Admin).await, key(Role::Registrar).await, key(Role::Auditor).await);
        let server = BoundServer::bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
        let addr = server.addr;
        let worker = match chain.clone() {
            Some((rpc, key, contract)) => {
                let client = ChainClient::connect(&rpc, &key, Some(contract), 1)
                    .expect("chain client")
                    .with_receipt_polling(std::time::Duration::from_millis(50), std::time::Duration::from_secs(5));
                let worker = AnchorWorker::new(
                    registry.clone(),
                    client,
                    &config.database_url,
                    config.anchoring.max_batch,
                    std::time::Duration::from_secs(3600),
                )
                .await
                .expect("anchor worker");
                let kind = provreg_server::anchoring::contract_kind(&rpc, contract).await.expect("contract kind");
                let worker = if kind == provreg_server::anchoring::ContractKind::States {
                    let heartbeat = (config.anchoring.heartbeat_secs > 0)
                        .then(|| std::time::Duration::from_secs(config.anchoring.heartbeat_secs));
                    let log = provreg_anchor::LogClient::connect(&rpc, &key, Some(contract), 1).expect("log client");
                    worker.with_states(log, heartbeat)
                } else {
                    worker
                };
                Some(Arc::new(worker))
            }
            None => None,
        };
        // Collections are deployed on the anchoring chain with the anchoring key, as in `serve`.
        let registry = match (chain, &worker) {
            (Some((rpc_url, private_key, _)), Some(worker)) => {
                let chain_id = u64::try_from(worker.chain_id()).expect("chain ID");
                let confirmations = config.anchoring.confirmations.max(1);
                registry
                    .with_chain(ChainAccess { rpc_url, private_key, chain_id, confirmations }, format!("http://{addr}"))
            }
            _ => registry,
        };
        let serving = registry.clone();
        let served_worker = worker.clone();
        let url = config.database_url.clone();
        tokio::spawn(async move { server.run_with(serving, &config, served_worker).await });
        Self { addr, registry, admin, registrar, auditor, client: reqwest::Client::new(), cleanup, worker, url }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a GraphQL request to `path` with an optional bearer key; returns the JSON body.
    pub async fn post(&self, path: &str, key: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self.client.post(self.url(path)).json(&json!({"query": query, "variables": variables}));
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        let resp = req.send().await.expect("request sent");
        assert!(resp.status().is_success(), "HTTP {}", resp.status());
        resp.json().await.expect("JSON body")
    }

    /// A request on `/graphql` with the registrar key.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.post("/graphql", Some(&self.registrar), query, variables).await
    }

    /// Like `gql`, but fails the test on any error and returns `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Counts the rows of `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let db = &self.registry.db;
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("a row");
        row.try_get("", "n").expect("n")
    }

    pub async fn license(&self, name: &str, ai_training: &str) -> String {
        let data = self.ok(REGISTER_LICENSE, json!({"input": license_input(name, ai_training)})).await;
        data["registerLicense"]["id"].as_str().expect("id").to_owned()
    }

    pub async fn dataset(&self, name: &str, license: &str, derived_from: &[&str]) -> String {
        let data = self.ok(REGISTER_DATASET, json!({"input": dataset_input(name, license, derived_from)})).await;
        data["registerDataset"]["id"].as_str().expect("id").to_owned()
    }

    pub async fn version(
        &self,
        model: &str,
        label: &str,
        license: &str,
        parent: Option<(&str, &str)>,
        data: &[(&str, &str)],
    ) -> String {
        let input = version_input(model, label, license, parent, data);
        let data = self.ok(REGISTER_VERSION, json!({"input": input})).await;
        data["registerModelVersion"]["id"].as_str().expect("id").to_owned()
    }
}

/// The first error's `extensions.code`.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body:#}"))
}

pub const REGISTER_LICENSE: &str =
    "mutation($input: LicenseInput!) { registerLicense(input: $input) { id name aiTraining digest record } }";
pub const REGISTER_DATASET: &str =
    "mutation($input: DatasetInput!) { registerDataset(input: $input) { id name digest record } }";
pub const REGISTER_VERSION: &str =
    "mutation($input: ModelVersionInput!) { registerModelVersion(input: $input) { id versionLabel digest record } }";

pub fn sha(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

pub fn license_input(name: &str, ai_training: &str) -> Value {
    json!({"name": name, "spdxId": "CC-BY-4.0", "commercialUse": true, "derivatives": "ALLOWED",
           "attribution": true, "aiTraining": ai_training})
}

pub fn dataset_input(name: &str, license: &str, derived_from: &[&str]) -> Value {
    json!({"name": name, "version": "1.0", "uri": format!("https://data.example.org/{name}"),
           "contentSha256": sha(name), "recordCount": 1000,
           "collectionPeriod": {"start": "2024-01-01", "end": "2024-06-30"},
           "license": license, "derivedFrom": derived_from})
}

pub fn version_input(
    model: &str,
    label: &str,
    license: &str,
    parent: Option<(&str, &str)>,
    data: &[(&str, &str)],
) -> Value {
    let mut v = json!({"model": model, "versionLabel": label, "weightsSha256": sha(&format!("{model}/{label}")),
        "architecture": "mlp", "hyperParameters": {"lr": 0.001},
        "trainingRun": {"id": format!("run-{label}"), "startedAt": "2024-07-01T00:00:00Z", "endedAt": "2024-07-02T00:00:00Z"},
        "license": license,
        "trainingData": data.iter().map(|(d, role)| json!({"dataset": d, "role": role})).collect::<Vec<_>>()});
    if let Some((id, relation)) = parent {
        v["parent"] = json!({"id": id, "relation": relation});
    }
    v
}
