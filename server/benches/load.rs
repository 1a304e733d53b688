#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Load test: `provreg serve` (not dev, SQLite, no chain) in a process of its own, and a few
//! concurrent clients on loopback sending a fixed mix of reads and registrations for a
//! bounded time. Reports throughput, p50 / p99 latency per kind, errors, and the server's
//! resident memory at the start, at its highest and at the end.
//!
//! `cargo bench -p provreg-server --bench load -- [--duration 60] [--clients 4] [--reads-only]`
//! (`--duration` in seconds; the long run is `--duration 600`; `--reads-only` sends
//! no registrations after the seed, so the data the reads walk stays the same size)
//!
//! A separate process, not a server in the bench's own: the server's memory is then its
//! own, read from /proc/<pid>/status, and the clients' work does not share its runtime.
//!
//! Method and figures: BENCHMARKS.md.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// Shared with the API tests, which use all of it.
#[allow(dead_code)]
#[path = "../tests/api/process.rs"]
mod process;

use process::ServerProcess;

struct Args {
    duration: Duration,
    clients: usize,
    /// Reads only (after the seed): the data, and so the answers, stay the same size.
    reads_only: bool,
}

fn args() -> Args {
    let mut a = Args { duration: Duration::from_secs(60), clients: 4, reads_only: false };
    let argv: Vec<String> = std::env::args().skip(1).filter(|s| s != "--bench").collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        if flag == "--reads-only" {
            a.reads_only = true;
            continue;
        }
        let value = it.next().map(String::as_str).unwrap_or_default();
        let n = || value.parse::<u64>().unwrap_or_else(|_| panic!("{flag} takes a whole number, not {value:?}"));
        match flag.as_str() {
            "--duration" => a.duration = Duration::from_secs(n().max(1)),
            "--clients" => a.clients = n().max(1) as usize,
            other => panic!("unknown flag {other} (use --duration SECONDS, --clients N, --reads-only)"),
        }
    }
    a
}

/// What one request does; each client cycles through [`MIX`] (see [`kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A record by ID (dataset, model version) or a page of datasets, on `/graphql`.
    Record,
    /// A model version's upstream lineage (a chain of ten versions and their datasets).
    Lineage,
    /// A token by chain, contract and ID (none exist: tokens need zk proofs, out of scope here).
    Token,
    /// A dataset with its licence and downstream lineage, on `/audit/graphql`.
    Audit,
    RegisterLicense,
    RegisterDataset,
    RegisterModelVersion,
}

/// Eight reads in ten, two registrations: a dataset, and a model version or (every other
/// round) a licence.
const MIX: [Kind; 10] = {
    use Kind::*;
    [Record, Lineage, Audit, Record, Token, RegisterDataset, Record, Lineage, Audit, RegisterModelVersion]
};

/// The `n`th request's kind; with `reads_only`, a record read stands for each registration.
fn kind(n: usize, reads_only: bool) -> Kind {
    match MIX[n % MIX.len()] {
        Kind::RegisterDataset | Kind::RegisterModelVersion if reads_only => Kind::Record,
        Kind::RegisterModelVersion if (n / MIX.len()) % 2 == 1 => Kind::RegisterLicense,
        k => k,
    }
}

/// The records the clients read and build on.
struct Seed {
    licenses: Vec<String>,
    datasets: Vec<String>,
    versions: Vec<String>,
}

struct Client {
    http: reqwest::Client,
    base: String,
    registrar: String,
    auditor: String,
}

impl Client {
    /// POSTs `query` to `path`; the answer's `data`, or what went wrong.
    async fn graphql(&self, path: &str, key: &str, query: &str, vars: Value) -> Result<Value, String> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(&json!({"query": query, "variables": vars}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(|e| format!("HTTP {status}: {e}"))?;
        match body.get("errors") {
            None if status.is_success() => Ok(body["data"].clone()),
            _ => Err(format!("HTTP {status}: {}", body["errors"][0])),
        }
    }

    async fn register(&self, mutation: &str, field: &str, input: Value) -> Result<String, String> {
        let data = self.graphql("/graphql", &self.registrar, mutation, json!({"input": input})).await?;
        data[field]["id"].as_str().map(str::to_owned).ok_or_else(|| format!("no id in {data}"))
    }

    async fn license(&self, name: &str) -> Result<String, String> {
        let input = json!({"name": name, "spdxId": "CC-BY-4.0", "commercialUse": true, "derivatives": "ALLOWED",
            "attribution": true, "aiTraining": "ALLOWED"});
        self.register(
            "mutation($input: LicenseInput!) { registerLicense(input: $input) { id } }",
            "registerLicense",
            input,
        )
        .await
    }

    async fn dataset(&self, name: &str, license: &str, derived_from: &[&str]) -> Result<String, String> {
        let input = json!({"name": name, "version": "1.0", "uri": format!("https://data.example.org/{name}"),
            "contentSha256": sha(name), "recordCount": 1000,
            "collectionPeriod": {"start": "2024-01-01", "end": "2024-06-30"},
            "license": license, "derivedFrom": derived_from});
        self.register(
            "mutation($input: DatasetInput!) { registerDataset(input: $input) { id } }",
            "registerDataset",
            input,
        )
        .await
    }

    async fn version(
        &self,
        model: &str,
        label: &str,
        license: &str,
        parent: Option<&str>,
        data: &[&str],
    ) -> Result<String, String> {
        let mut input = json!({"model": model, "versionLabel": label, "weightsSha256": sha(&format!("{model}/{label}")),
            "architecture": "mlp", "license": license,
            "trainingRun": {"id": format!("run-{label}"), "startedAt": "2024-07-01T00:00:00Z", "endedAt": "2024-07-02T00:00:00Z"},
            "trainingData": data.iter().map(|d| json!({"dataset": d, "role": "PRETRAIN"})).collect::<Vec<_>>()});
        if let Some(parent) = parent {
            input["parent"] = json!({"id": parent, "relation": "FINETUNE"});
        }
        self.register(
            "mutation($input: ModelVersionInput!) { registerModelVersion(input: $input) { id } }",
            "registerModelVersion",
            input,
        )
        .await
    }

    /// Does one request of `kind`, the `n`th of client `who`.
    async fn one(&self, kind: Kind, seed: &Seed, who: usize, n: usize) -> Result<(), String> {
        let pick = |list: &[String]| list[(who * 7919 + n * 31) % list.len()].clone();
        let tag = format!("c{who}-{n}");
        match kind {
            Kind::Record => {
                let (query, id) = match n % 3 {
                    0 => (
                        "query($id: String!) { dataset(id: $id) { id name digest license { name } } }",
                        pick(&seed.datasets),
                    ),
                    1 => (
                        "query($id: String!) { modelVersion(id: $id) { id versionLabel weightsSha256 } }",
                        pick(&seed.versions),
                    ),
                    _ => (
                        "query($id: String!) { license(id: $id) { id } datasets(first: 20) { edges { node { id name } } } }",
                        pick(&seed.licenses),
                    ),
                };
                self.graphql("/graphql", &self.auditor, query, json!({"id": id})).await.map(drop)
            }
            Kind::Lineage => {
                let query = "query($id: String!) { lineage(of: $id) { nodeCount edges { from to kind } } }";
                let data = self.graphql("/graphql", &self.auditor, query, json!({"id": pick(&seed.versions)})).await?;
                match data["lineage"]["nodeCount"].as_u64() {
                    Some(n) if n > 0 => Ok(()),
                    _ => Err(format!("an empty lineage: {data}")),
                }
            }
            Kind::Token => {
                let query = "query($t: String!) { token(chainId: 31337, contract: \"0x0000000000000000000000000000000000000001\", tokenId: $t) { id } }";
                self.graphql("/graphql", &self.auditor, query, json!({"t": n.to_string()})).await.map(drop)
            }
            Kind::Audit => {
                let query = "query($id: String!) { dataset(id: $id) { name license { name } } lineage(of: $id, direction: DOWNSTREAM) { nodeCount } }";
                self.graphql("/audit/graphql", &self.auditor, query, json!({"id": pick(&seed.datasets)}))
                    .await
                    .map(drop)
            }
            Kind::RegisterLicense => self.license(&format!("Licence {tag}")).await.map(drop),
            Kind::RegisterDataset => {
                let from = pick(&seed.datasets);
                self.dataset(&format!("set-{tag}"), &pick(&seed.licenses), &[&from]).await.map(drop)
            }
            Kind::RegisterModelVersion => {
                let (parent, a, b) =
                    (pick(&seed.versions), pick(&seed.datasets), seed.datasets[n % seed.datasets.len()].clone());
                self.version(&format!("load-{who}"), &format!("v{n}"), &pick(&seed.licenses), Some(&parent), &[&a, &b])
                    .await
                    .map(drop)
            }
        }
    }
}

fn sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Three licences, twenty datasets in derived-from chains of five, one model with a
/// fine-tune chain of ten versions, each trained on two datasets.
async fn seed(client: &Client) -> Seed {
    let mut licenses = Vec::new();
    for i in 0..3 {
        licenses.push(client.license(&format!("Seed licence {i}")).await.expect("seed licence"));
    }
    let mut datasets: Vec<String> = Vec::new();
    for i in 0..20 {
        let from: Vec<&str> = if i % 5 == 0 { vec![] } else { vec![datasets[i - 1].as_str()] };
        let id = client.dataset(&format!("seed-{i}"), &licenses[i % 3], &from).await.expect("seed dataset");
        datasets.push(id);
    }
    let mut versions: Vec<String> = Vec::new();
    for i in 0..10 {
        let parent = versions.last().map(String::as_str);
        let data = [datasets[i].as_str(), datasets[(i * 3 + 1) % 20].as_str()];
        versions.push(
            client.version("seed-model", &format!("v{i}"), &licenses[0], parent, &data).await.expect("seed version"),
        );
    }
    Seed { licenses, datasets, versions }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let a = args();
    // No rate limits: the bench measures what the server can do, from one address.
    let config = "[limits]\nrequests_per_minute_per_address = 0\nrequests_per_minute_per_key = 0\n";
    let server = ServerProcess::start(Path::new(env!("CARGO_BIN_EXE_provreg")), config).expect("provreg serve starts");
    let client = Client {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.addr),
        registrar: server.registrar.clone(),
        auditor: server.auditor.clone(),
    };
    let seed = Arc::new(seed(&client).await);
    let client = Arc::new(client);
    println!(
        "provreg serve (pid {}) on {}: {} clients for {} s, mix {:?}{}",
        server.pid(),
        server.addr,
        a.clients,
        a.duration.as_secs(),
        MIX,
        if a.reads_only { ", registrations read records instead" } else { "" }
    );

    let start_rss = server.rss_kib().expect("VmRSS");
    let peak_rss = Arc::new(AtomicU64::new(start_rss));
    let stop = Arc::new(AtomicBool::new(false));
    let samples: Arc<Mutex<BTreeMap<Kind, Vec<Duration>>>> = Arc::default();
    let errors: Arc<Mutex<Vec<(Kind, String)>>> = Arc::default();
    let began = Instant::now();
    let mut tasks = Vec::new();
    let reads_only = a.reads_only;
    for who in 0..a.clients {
        let (client, seed, stop, samples, errors) =
            (client.clone(), seed.clone(), stop.clone(), samples.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = who; // clients start at different places in the mix
            while !stop.load(Ordering::Relaxed) {
                let kind = kind(n, reads_only);
                let t = Instant::now();
                let result = client.one(kind, &seed, who, n).await;
                let took = t.elapsed();
                match result {
                    Ok(()) => samples.lock().unwrap().entry(kind).or_default().push(took),
                    Err(e) => errors.lock().unwrap().push((kind, e)),
                }
                n += 1;
            }
        }));
    }
    let mut next_report = Duration::from_secs(60);
    while began.elapsed() < a.duration {
        tokio::time::sleep(Duration::from_millis(500).min(a.duration.saturating_sub(began.elapsed()))).await;
        if let Some(rss) = server.rss_kib() {
            peak_rss.fetch_max(rss, Ordering::Relaxed);
        }
        if began.elapsed() >= next_report {
            let done: usize = samples.lock().unwrap().values().map(Vec::len).sum();
            println!(
                "  {:>4} s: {done} requests, VmRSS {} MiB",
                began.elapsed().as_secs(),
                server.rss_kib().unwrap_or(0) / 1024
            );
            next_report += Duration::from_secs(60);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("client");
    }
    let wall = began.elapsed().as_secs_f64();
    let end_rss = server.rss_kib().expect("VmRSS");

    let samples = samples.lock().unwrap();
    let errors = errors.lock().unwrap();
    let total: usize = samples.values().map(Vec::len).sum();
    println!("\n| kind | requests | per second | p50 | p99 | errors |");
    println!("|---|---|---|---|---|---|");
    for (kind, times) in samples.iter() {
        let mut sorted = times.clone();
        sorted.sort();
        let failed = errors.iter().filter(|(k, _)| k == kind).count();
        println!(
            "| {kind:?} | {} | {:.1} | {} | {} | {failed} |",
            sorted.len(),
            sorted.len() as f64 / wall,
            ms(percentile(&sorted, 0.5)),
            ms(percentile(&sorted, 0.99))
        );
    }
    println!("| all | {total} | {:.1} | | | {} |", total as f64 / wall, errors.len());
    println!(
        "\nserver VmRSS: {:.1} MiB at the start, {:.1} MiB at most, {:.1} MiB at the end",
        start_rss as f64 / 1024.0,
        peak_rss.load(Ordering::Relaxed) as f64 / 1024.0,
        end_rss as f64 / 1024.0
    );
    for (kind, e) in errors.iter().take(5) {
        println!("error ({kind:?}): {e}");
    }
    if !errors.is_empty() {
        eprintln!("server log (end):\n{}", server.log().lines().rev().take(20).collect::<Vec<_>>().join("\n"));
        std::process::exit(1);
    }
}
