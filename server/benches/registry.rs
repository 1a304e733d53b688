#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Registry benchmark: lineage latency on a large generated registry, and registrations per
//! second through GraphQL over HTTP, on SQLite and PostgreSQL.
//!
//! `cargo bench -p provreg-server --bench registry -- [--backend sqlite|postgres|both]
//!  [--chains 100] [--depth 1000] [--inputs 10] [--datasets 10000] [--samples 200] [--registrations 4000]
//!  [--clients 16] [--log-entries 10000000] [--log-batch 10000] [--status-records 1000000] [--keep]`
//! (`--keep` leaves the generated database in place and prints its URL; `--registrations 0`
//! skips the registrations; `--log-entries 0` skips the log part: inclusion proofs, and status
//! and consistency proofs served from the anchored state of a log with `--status-records`
//! records whose status changed)
//!
//! Method and figures: BENCHMARKS.md.
use std::sync::Arc;
use std::time::{Duration, Instant};

use provreg_server::auth::{self, Role};
use provreg_server::config::Config;
use provreg_server::service::Registry;
use provreg_server::service::lineage::{Direction, NodeRef};
use provreg_server::{BoundServer, db};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

struct Args {
    backends: Vec<&'static str>,
    chains: usize,
    depth: usize,
    inputs: usize,
    datasets: usize,
    samples: usize,
    registrations: usize,
    clients: usize,
    keep: bool,
    log_entries: usize,
    log_batch: usize,
    status_records: usize,
}

fn args() -> Args {
    let mut a = Args {
        backends: vec!["sqlite", "postgres"],
        chains: 100,
        depth: 1000,
        inputs: 10,
        datasets: 10_000,
        samples: 200,
        registrations: 4000,
        clients: 16,
        keep: false,
        log_entries: 10_000_000,
        log_batch: 10_000,
        status_records: 1_000_000,
    };
    let argv: Vec<String> = std::env::args().skip(1).filter(|s| s != "--bench").collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        if flag == "--keep" {
            a.keep = true;
            continue;
        }
        let value = it.next().map(String::as_str).unwrap_or_default();
        let n = || value.parse::<usize>().unwrap_or_else(|_| panic!("{flag} takes a number"));
        match flag.as_str() {
            "--backend" => {
                a.backends = match value {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    _ => vec!["sqlite", "postgres"],
                }
            }
            "--chains" => a.chains = n(),
            "--depth" => a.depth = n(),
            "--inputs" => a.inputs = n(),
            "--datasets" => a.datasets = n(),
            "--samples" => a.samples = n(),
            "--registrations" => a.registrations = n(),
            "--clients" => a.clients = n(),
            "--log-entries" => a.log_entries = n(),
            "--log-batch" => a.log_batch = n(),
            "--status-records" => a.status_records = n(),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// How many foundation datasets every model family may train on; the rest are split into
/// per-family pools.
const SHARED: usize = 100;

/// A small deterministic generator (xorshift), so every run builds the same registry.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn insert_rows(db: &impl ConnectionTrait, table: &str, cols: &[&str], rows: Vec<Vec<Value>>) {
    let backend = db.get_database_backend();
    let per = 20_000 / cols.len().max(1) / 4;
    for chunk in rows.chunks(per.max(1)) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let mut values = Vec::with_capacity(chunk.len() * cols.len());
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if backend == DbBackend::Postgres {
                    sql.push_str(&format!("${n}"));
                } else {
                    sql.push_str(&format!("?{n}"));
                }
                values.push(v.clone());
            }
            sql.push(')');
        }
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.expect("insert");
    }
}

/// Sends `request` and parses the answer's body as JSON.
async fn send_json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.expect("send").json().await.expect("json")
}

fn record(kind: &str, id: Uuid) -> (Vec<u8>, String) {
    record_with(kind, id, json!({}))
}

fn record_with(kind: &str, id: Uuid, payload: serde_json::Value) -> (Vec<u8>, String) {
    let bytes = serde_json::to_vec(&json!({"kind": kind, "id": id.to_string(), "payload": payload})).expect("json");
    let digest = hex::encode(Sha256::digest(&bytes));
    (bytes, digest)
}

const DATASET_COLUMNS: &[&str] = &[
    "id",
    "name",
    "version",
    "uri",
    "content_sha256",
    "record_count",
    "license_id",
    "canonical",
    "digest",
    "created_at",
];

/// A `datasets` row (columns [`DATASET_COLUMNS`]) of version 1 under `license`.
fn dataset_row(id: Uuid, name: &str, uri: &str, license: Uuid, now: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    let (bytes, digest) = record("dataset", id);
    vec![
        Value::from(id),
        Value::from(name),
        Value::from("1"),
        Value::from(uri),
        Value::from(digest.clone()),
        Value::from(1000i64),
        Value::from(license),
        Value::from(bytes),
        Value::from(digest),
        Value::from(now),
    ]
}

/// Builds the large registry straight into the tables (generation is not what is measured).
async fn generate(db: &DatabaseConnection, a: &Args) -> (Vec<Uuid>, Vec<Uuid>) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let now = chrono::Utc::now();
    let txn = db.begin().await.expect("begin");
    let ai = ["allowed", "notAllowed", "constrained"];
    let licenses: Vec<Uuid> = (0..12).map(|_| Uuid::now_v7()).collect();
    let rows = licenses
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let terms = json!({"name": format!("bench licence {i}"), "commercialUse": i % 2 == 0,
                               "derivatives": "allowed", "attribution": true, "aiTraining": ai[i % 3],
                               "aiTrainingConstraints": "research only"});
            let (bytes, digest) = record_with("license", *id, terms);
            vec![
                Value::from(*id),
                Value::from(format!("bench licence {i}")),
                Value::from(i % 2 == 0),
                Value::from(ai[i % 3]),
                Value::from(bytes),
                Value::from(digest),
                Value::from(now),
            ]
        })
        .collect();
    insert_rows(
        &txn,
        "licenses",
        &["id", "name", "commercial_use", "ai_training", "canonical", "digest", "created_at"],
        rows,
    )
    .await;

    let datasets: Vec<Uuid> = (0..a.datasets).map(|_| Uuid::now_v7()).collect();
    let rows = datasets
        .iter()
        .enumerate()
        .map(|(i, id)| {
            dataset_row(*id, &format!("bench-ds-{i}"), &format!("s3://bench/{i}"), licenses[i % licenses.len()], now)
        })
        .collect();
    insert_rows(&txn, "datasets", DATASET_COLUMNS, rows).await;
    // Derived-from chains of length 10: dataset i derives from i-1 unless i is a multiple of 10.
    let rows = (1..datasets.len())
        .filter(|i| i % 10 != 0)
        .map(|i| vec![Value::from(datasets[i]), Value::from(datasets[i - 1])])
        .collect();
    insert_rows(&txn, "dataset_derivations", &["dataset_id", "source_id"], rows).await;

    let model = Uuid::now_v7();
    insert_rows(
        &txn,
        "models",
        &["id", "name", "created_at"],
        vec![vec![Value::from(model), Value::from("bench"), Value::from(now)]],
    )
    .await;
    let pool = (datasets.len().saturating_sub(SHARED) / a.chains.max(1)).max(a.inputs).max(1);
    let mut tips = Vec::with_capacity(a.chains);
    let mut version_rows = Vec::new();
    let mut input_rows = Vec::new();
    for c in 0..a.chains {
        let mut parent: Option<Uuid> = None;
        for d in 0..a.depth {
            let id = Uuid::now_v7();
            let (bytes, digest) = record("modelVersion", id);
            version_rows.push(vec![
                Value::from(id),
                Value::from(model),
                Value::from(format!("c{c}-v{d}")),
                Value::from(digest.clone()),
                Value::from("mlp"),
                Value::from(licenses[(c + d) % licenses.len()]),
                Value::from(parent),
                Value::from(parent.map(|_| if d % 2 == 0 { "retrain" } else { "finetune" })),
                Value::from(bytes),
                Value::from(digest),
                Value::from(now),
            ]);
            // A model family trains on its own pool of datasets (whole derived-from chains),
            // plus now and then one of the shared foundation datasets (the first `SHARED`).
            let mut picked = std::collections::HashSet::new();
            while picked.len() < a.inputs.min(pool) {
                let ds = if rng.below(10) == 0 {
                    rng.below(SHARED.min(datasets.len()))
                } else {
                    (SHARED + c * pool + rng.below(pool)) % datasets.len()
                };
                picked.insert(ds);
            }
            for (k, ds) in picked.into_iter().enumerate() {
                let role = ["pretrain", "finetune", "eval"][k % 3];
                input_rows.push(vec![Value::from(id), Value::from(datasets[ds]), Value::from(role)]);
            }
            parent = Some(id);
        }
        tips.push(parent.expect("depth > 0"));
    }
    let (nv, ni) = (version_rows.len(), input_rows.len());
    insert_rows(
        &txn,
        "model_versions",
        &[
            "id",
            "model_id",
            "version_label",
            "weights_sha256",
            "architecture",
            "license_id",
            "parent_id",
            "parent_relation",
            "canonical",
            "digest",
            "created_at",
        ],
        version_rows,
    )
    .await;
    insert_rows(&txn, "training_inputs", &["model_version_id", "dataset_id", "role"], input_rows).await;
    txn.commit().await.expect("commit");
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    println!("  generated {} datasets, {nv} model versions, {ni} training inputs", datasets.len());
    (tips, datasets)
}

/// Writes `entries` log entries straight into the tables, in confirmed anchors of `batch`.
/// With `status_records`, that many of them, spread evenly through the log, are status events,
/// each revoking a dataset of its own (written with it under `license`); returns those datasets.
async fn generate_log(
    db: &DatabaseConnection,
    entries: usize,
    batch: usize,
    status_records: usize,
    license: Uuid,
) -> Vec<Uuid> {
    let now = chrono::Utc::now();
    let stride = entries.checked_div(status_records).map_or(usize::MAX, |s| s.max(1));
    let mut subjects = Vec::with_capacity(status_records.min(entries));
    let mut first = 0usize;
    while first < entries {
        let size = batch.min(entries - first);
        let leaves: Vec<[u8; 32]> = (first..first + size).map(|i| Sha256::digest(i.to_be_bytes()).into()).collect();
        let tree = provreg_anchor::BatchTree::new(&leaves).expect("tree");
        let anchor = Uuid::now_v7();
        let txn = db.begin().await.expect("begin");
        let row = vec![
            Value::from(anchor),
            Value::from(31337i64),
            Value::from("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
            Value::from(first as i64),
            Value::from(size as i64),
            Value::from(hex::encode(tree.root())),
            Value::from("confirmed"),
            Value::from(now),
        ];
        insert_rows(
            &txn,
            "anchors",
            &["id", "chain_id", "contract", "first_seq", "size", "root", "status", "created_at"],
            vec![row],
        )
        .await;
        insert_rows(
            &txn,
            "anchor_trees",
            &["anchor_id", "levels"],
            vec![vec![Value::from(anchor), Value::from(tree.levels())]],
        )
        .await;
        let (mut rows, mut dataset_rows, mut event_rows) = (Vec::new(), Vec::new(), Vec::new());
        for (i, leaf) in leaves.iter().enumerate() {
            let seq = first + i;
            let leaf = hex::encode(leaf);
            let (kind, record_id, record_digest) = if seq % stride == stride - 1 && subjects.len() < status_records {
                let (subject, event) = (Uuid::now_v7(), Uuid::now_v7());
                dataset_rows.push(dataset_row(
                    subject,
                    &format!("status-ds-{seq}"),
                    &format!("s3://bench/status/{seq}"),
                    license,
                    now,
                ));
                let (bytes, digest) =
                    record_with("statusEvent", event, json!({"subject": subject.to_string(), "status": "revoked"}));
                event_rows.push(vec![
                    Value::from(event),
                    Value::from("dataset"),
                    Value::from(subject),
                    Value::from("revoked"),
                    Value::from("bench"),
                    Value::from(bytes),
                    Value::from(digest.clone()),
                    Value::from(now),
                ]);
                subjects.push(subject);
                ("statusEvent", event, digest)
            } else {
                ("dataset", Uuid::now_v7(), leaf.clone())
            };
            rows.push(vec![
                Value::from(Uuid::now_v7()),
                Value::from(seq as i64),
                Value::from(kind),
                Value::from(record_id),
                Value::from(record_digest),
                Value::from(leaf.clone()),
                Value::from(leaf),
                Value::from(anchor),
                Value::from(now),
            ]);
        }
        insert_rows(&txn, "datasets", DATASET_COLUMNS, dataset_rows).await;
        insert_rows(
            &txn,
            "status_events",
            &["id", "subject_kind", "subject_id", "status", "reason", "canonical", "digest", "created_at"],
            event_rows,
        )
        .await;
        insert_rows(
            &txn,
            "log_entries",
            &[
                "id",
                "seq",
                "record_kind",
                "record_id",
                "record_digest",
                "certificate_digest",
                "leaf",
                "anchor_id",
                "created_at",
            ],
            rows,
        )
        .await;
        txn.commit().await.expect("commit");
        first += size;
        if first.is_multiple_of(batch * 100) {
            println!("    {first} log entries written");
        }
    }
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    subjects
}

/// Makes the newest batch of the generated log an anchored state, the way the anchor worker
/// prepares one: the whole-log tree's stored hashes and the status map, through the registry.
async fn make_state(registry: &Registry, db: &DatabaseConnection) -> provreg_entities::anchor::Model {
    use provreg_entities::anchor;
    use sea_orm::{EntityTrait, QueryOrder};
    let newest =
        anchor::Entity::find().order_by_desc(anchor::Column::FirstSeq).one(db).await.expect("anchors").expect("one");
    registry.prepare_state(newest, None).await.expect("state")
}

/// Serves status proofs the way the GraphQL `status(of:)` resolver does (the record's status,
/// the newest state, the status map's proof in it) and checks each against the state's root.
async fn status_latency(registry: &Registry, changed: &[Uuid], unchanged: &[Uuid], samples: usize) -> Vec<Duration> {
    use provreg_server::service::as_of::AsOf;
    let mut rng = Rng(11);
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        // One in ten asks about a record that never changed: a proof of absence.
        let (subject, member) = if i % 10 == 9 && !unchanged.is_empty() {
            (unchanged[rng.below(unchanged.len())], false)
        } else {
            (changed[rng.below(changed.len())], true)
        };
        let t = Instant::now();
        let row = registry.status_as_of(subject, AsOf::Seq(i64::MAX)).await.expect("status");
        let state = registry.state_as_of(None).await.expect("state").expect("a state");
        let proof = registry.status_proof(&subject.to_string(), &state).await.expect("proof");
        times.push(t.elapsed());
        let mut root = [0u8; 32];
        hex::decode_to_slice(state.status_root.as_deref().expect("status root"), &mut root).expect("hex");
        proof.verify(&root).expect("status proof verifies");
        assert_eq!(proof.value().is_some(), member, "membership of {subject}");
        assert_eq!(row.status, if member { "revoked" } else { "active" });
    }
    times.sort();
    times
}

/// Serves consistency proofs between a random older size and the anchored size (every other
/// sample) or a random size between them, and checks each.
async fn consistency_latency(registry: &Registry, size: u64, log_root: &str, samples: usize) -> Vec<Duration> {
    let mut rng = Rng(13);
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let old = 1 + rng.next() % (size - 1);
        let new = if i % 2 == 0 { size } else { old + rng.next() % (size - old + 1) };
        let t = Instant::now();
        let proof = registry.consistency_proof(old, new).await.expect("consistency proof");
        times.push(t.elapsed());
        proof.verify().expect("consistency proof verifies");
        if new == size {
            assert_eq!(hex::encode(proof.new_root), log_root, "the state's log root");
        }
    }
    times.sort();
    times
}

/// The same two questions over HTTP: `GET /log/consistency` and GraphQL `status(of:)`.
async fn http_proof_latency(base: &str, size: u64, changed: &[Uuid], samples: usize) -> (Vec<Duration>, Vec<Duration>) {
    let client = reqwest::Client::new();
    let mut rng = Rng(17);
    let (mut consistency, mut status) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for _ in 0..samples {
        let old = 1 + rng.next() % (size - 1);
        let t = Instant::now();
        let body = send_json(client.get(format!("{base}/log/consistency?oldSize={old}&newSize={size}"))).await;
        consistency.push(t.elapsed());
        assert!(body["hashes"].as_array().is_some_and(|h| !h.is_empty()), "{body}");
        let q = json!({"query": "query($id: String!) { status(of: $id) { status proof } }",
                       "variables": {"id": changed[rng.below(changed.len())].to_string()}});
        let t = Instant::now();
        let body = send_json(client.post(format!("{base}/graphql")).json(&q)).await;
        status.push(t.elapsed());
        assert_eq!(body["data"]["status"]["status"], "REVOKED", "{body}");
        assert!(body["data"]["status"]["proof"].is_object(), "{body}");
    }
    consistency.sort();
    status.sort();
    (consistency, status)
}

/// Serves proofs of random log entries, as the `logEntry { inclusionProof }` resolver does.
async fn proof_latency(registry: &Registry, entries: usize, samples: usize) -> Vec<Duration> {
    let mut rng = Rng(7);
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let seq = rng.below(entries) as i64;
        let t = Instant::now();
        let entry = registry.log_entry_at(seq).await.expect("lookup").expect("entry");
        let proof = registry.inclusion_proof(&entry).await.expect("proof").expect("batched");
        times.push(t.elapsed());
        proof.verify().expect("proof verifies");
    }
    times.sort();
    times
}

async fn lineage_latency(
    registry: &Registry,
    starts: &[NodeRef],
    direction: Direction,
    samples: usize,
) -> (Vec<Duration>, f64) {
    let mut times = Vec::with_capacity(samples);
    let mut nodes = 0usize;
    // One warm-up pass.
    registry.lineage(starts[0], direction, 10_000).await.expect("lineage");
    for i in 0..samples {
        let start = starts[i % starts.len()];
        let t = Instant::now();
        let l = registry.lineage(start, direction, 10_000).await.expect("lineage");
        times.push(t.elapsed());
        nodes += l.nodes.len();
    }
    times.sort();
    (times, nodes as f64 / samples as f64)
}

async fn graphql_lineage(base: &str, tips: &[Uuid], samples: usize) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let q = json!({"query": "query($id: String!) { lineage(of: $id) { nodeCount edges { from to kind } } }",
                       "variables": {"id": tips[i % tips.len()].to_string()}});
        let t = Instant::now();
        let body = send_json(client.post(format!("{base}/graphql")).json(&q)).await;
        times.push(t.elapsed());
        assert!(body["data"]["lineage"]["nodeCount"].as_u64().unwrap_or(0) > 0, "{body}");
    }
    times.sort();
    times
}

async fn registrations(base: &str, key: &str, license: &str, datasets: &[Uuid], n: usize, clients: usize) -> f64 {
    let client = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let run = Uuid::now_v7().simple().to_string();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, next, base, key, license, run) =
            (client.clone(), next.clone(), base.to_owned(), key.to_owned(), license.to_owned(), run.clone());
        let datasets: Vec<String> = datasets.iter().take(50).map(Uuid::to_string).collect();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let input = json!({"model": format!("reg-{run}"), "versionLabel": format!("v{i}"),
                    "weightsSha256": hex::encode(Sha256::digest(format!("{run}/{i}"))), "architecture": "mlp",
                    "trainingRun": {"id": format!("r{i}"), "startedAt": "2024-01-01T00:00:00Z", "endedAt": "2024-01-02T00:00:00Z"},
                    "license": license,
                    "trainingData": [{"dataset": datasets[i % 50], "role": "PRETRAIN"}, {"dataset": datasets[(i + 7) % 50], "role": "EVAL"}]});
                let body = send_json(
                    client
                        .post(format!("{base}/graphql"))
                        .bearer_auth(&key)
                        .json(&json!({"query": "mutation($i: ModelVersionInput!) { registerModelVersion(input: $i) { id } }", "variables": {"i": input}})),
                )
                .await;
                assert!(body.get("errors").is_none(), "{body}");
            }
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

async fn run_backend(backend: &str, a: &Args) {
    println!("== {backend} ==");
    let tag = Uuid::now_v7().simple().to_string();
    let (url, pg_name) = if backend == "sqlite" {
        let path = std::env::temp_dir().join(format!("provreg-bench-{tag}.db"));
        (format!("sqlite://{}?mode=rwc", path.display()), None)
    } else {
        let admin_url = std::env::var("PROVREG_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = Database::connect(&admin_url).await.expect("PostgreSQL");
        let name = format!("provreg_bench_{tag}");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("createdb");
        let server = admin_url.rsplit_once('/').expect("path").0.to_owned();
        (format!("{server}/{name}"), Some((admin, name)))
    };
    let data_dir = std::env::temp_dir().join(format!("provreg-bench-data-{}", std::process::id()));
    provreg_certs::init_dev_ca(&data_dir.join("ca")).expect("dev CA");
    let config = Config { database_url: url.clone(), max_connections: 8, data_dir, ..Config::default() };
    let conn = db::connect(&url, config.max_connections).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let registry =
        Registry::new(conn.clone()).expect("registry").with_signing(provreg_server::signing(&config).expect("signing"));
    let t = Instant::now();
    let (tips, datasets) = generate(&conn, a).await;
    println!("  generation took {:.1} s", t.elapsed().as_secs_f64());

    let starts: Vec<NodeRef> = tips.iter().map(|&t| NodeRef::ModelVersion(t)).collect();
    let (up, up_nodes) = lineage_latency(&registry, &starts, Direction::Upstream, a.samples).await;
    println!(
        "  upstream lineage of a depth-{} chain (service): p50 {}  p99 {}  ({:.0} nodes per answer, {} samples)",
        a.depth,
        ms(percentile(&up, 0.5)),
        ms(percentile(&up, 0.99)),
        up_nodes,
        up.len()
    );
    let mut rng = Rng(99);
    let shared = SHARED.min(datasets.len() / 2);
    let ds_starts: Vec<NodeRef> =
        (0..50).map(|_| NodeRef::Dataset(datasets[shared + rng.below(datasets.len() - shared)])).collect();
    let (down, down_nodes) = lineage_latency(&registry, &ds_starts, Direction::Downstream, a.samples).await;
    println!(
        "  downstream impact of one family dataset (service): p50 {}  p99 {}  ({:.0} nodes per answer, {} samples)",
        ms(percentile(&down, 0.5)),
        ms(percentile(&down, 0.99)),
        down_nodes,
        down.len()
    );
    let ds_starts: Vec<NodeRef> = (0..10).map(|_| NodeRef::Dataset(datasets[rng.below(shared.max(1))])).collect();
    let (down, down_nodes) = lineage_latency(&registry, &ds_starts, Direction::Downstream, 10).await;
    println!(
        "  downstream impact of one shared foundation dataset (service): p50 {}  max {}  ({:.0} nodes per answer, {} samples)",
        ms(percentile(&down, 0.5)),
        ms(percentile(&down, 1.0)),
        down_nodes,
        down.len()
    );

    let mut http_config = config.clone();
    http_config.auth.anonymous_reads = true;
    http_config.limits.query_complexity = 1_000_000;
    // No rate limits: the bench measures what the server can do, from one address and key.
    http_config.limits.requests_per_minute_per_address = Some(0);
    http_config.limits.requests_per_minute_per_key = Some(0);
    let server = BoundServer::bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    let base = format!("http://{}", server.addr);
    let serving = registry.clone();
    tokio::spawn(async move { server.run(serving, &http_config).await });
    let http = graphql_lineage(&base, &tips, a.samples.min(100)).await;
    println!(
        "  upstream lineage over GraphQL/HTTP (nodeCount + all edges): p50 {}  p99 {}",
        ms(percentile(&http, 0.5)),
        ms(percentile(&http, 0.99))
    );

    let (_, key) = auth::create_key(&conn, "bench", Role::Registrar).await.expect("key");
    let lic = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), "SELECT id FROM licenses LIMIT 1"))
        .await
        .expect("query")
        .expect("row");
    let lic: Uuid = lic.try_get("", "id").expect("id");
    if a.registrations > 0 {
        let rate = registrations(&base, &key, &lic.to_string(), &datasets, a.registrations, a.clients).await;
        println!(
            "  registerModelVersion over GraphQL/HTTP: {rate:.0} registrations/s ({} registrations, {} concurrent clients)",
            a.registrations, a.clients
        );
    }

    if a.log_entries > 0 {
        let t = Instant::now();
        let changed = generate_log(&conn, a.log_entries, a.log_batch.max(1), a.status_records, lic).await;
        println!(
            "  generated {} log entries in anchored batches of {} ({} of them status events) in {:.1} s",
            a.log_entries,
            a.log_batch,
            changed.len(),
            t.elapsed().as_secs_f64()
        );
        let times = proof_latency(&registry, a.log_entries, 1000).await;
        println!(
            "  inclusion proof of a random log entry (entry lookup, stored tree, proof, verified): p50 {}  p99 {}  ({} samples)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            times.len()
        );

        // The newest batch becomes an anchored state, prepared by the registry as the anchor
        // worker prepares one (its stored-hash tree of the whole log and its status map).
        let t = Instant::now();
        registry.extend_log_tree(a.log_entries as u64).await.expect("log tree");
        println!("  stored the whole-log tree's hashes in {:.1} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let state = make_state(&registry, &conn).await;
        println!(
            "  prepared the anchored state (status map of {} records built from the status events) in {:.1} s",
            changed.len(),
            t.elapsed().as_secs_f64()
        );
        if !changed.is_empty() {
            let times = status_latency(&registry, &changed, &datasets, 1000).await;
            println!(
                "  status proof of a record (status, newest state, status-map proof; 1 in 10 an absence): p50 {}  p99 {}  ({} samples)",
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99)),
                times.len()
            );
        }
        let log_root = state.log_root.clone().expect("log root");
        let times = consistency_latency(&registry, a.log_entries as u64, &log_root, 1000).await;
        println!(
            "  consistency proof between two sizes of the anchored log: p50 {}  p99 {}  ({} samples)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            times.len()
        );
        if !changed.is_empty() {
            let (consistency, status) = http_proof_latency(&base, a.log_entries as u64, &changed, 500).await;
            println!(
                "  over HTTP: GET /log/consistency p50 {}  p99 {};  GraphQL status(of:) {{ status proof }} p50 {}  p99 {}  ({} samples each)",
                ms(percentile(&consistency, 0.5)),
                ms(percentile(&consistency, 0.99)),
                ms(percentile(&status, 0.5)),
                ms(percentile(&status, 0.99)),
                consistency.len()
            );
        }
    }

    conn.close().await.ok();
    if a.keep {
        println!("  kept the database: {url}");
    } else if let Some((admin, name)) = pg_name {
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
    } else if let Some(path) = url.strip_prefix("sqlite://").and_then(|p| p.split('?').next()) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    println!(
        "registry benchmark: {} chains x depth {} = {} model versions, {} training inputs each, {} datasets",
        a.chains,
        a.depth,
        a.chains * a.depth,
        a.inputs,
        a.datasets
    );
    for backend in a.backends.clone() {
        run_backend(backend, &a).await;
    }
}
