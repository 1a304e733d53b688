#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The provable-status structures: a status map update per status event and a status proof,
//! in maps of 1,000 and 1,000,000 records; inclusion and consistency proofs in a log tree of
//! 1,000,000 entries (stored hashes in memory). Proof sizes are printed once per size.
//!
//! `cargo bench -p provreg-anchor --bench status` (`PROVREG_BENCH_RECORDS=N` changes the
//! larger map's size, `PROVREG_BENCH_ENTRIES=N` the log's).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use provreg_anchor::log_tree::{self, StoredHashes};
use provreg_anchor::{Digest, StatusMap, status_key};
use sha2::{Digest as _, Sha256};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn digest(i: u64) -> Digest {
    Sha256::digest(i.to_be_bytes()).into()
}

fn map(n: u64) -> StatusMap {
    StatusMap::from_entries((0..n).map(|i| (status_key(&format!("record-{i}")), digest(i))))
}

fn status_map(c: &mut Criterion) {
    for n in [1_000, env("PROVREG_BENCH_RECORDS", 1_000_000)] {
        let base = map(n);
        let present = status_key("record-7");
        let absent = status_key("never-changed");
        for (what, key) in [("membership", present), ("absence", absent)] {
            let proof = base.prove(&key);
            let json = serde_json::to_string(&proof).unwrap();
            eprintln!(
                "status map of {n}: {what} proof has {} siblings, {} bytes of JSON",
                proof.siblings.len(),
                json.len()
            );
        }
        let mut group = c.benchmark_group(format!("status map of {n} records"));
        group.sample_size(20);
        // Each iteration adds a record to the same map: it grows by the iterations' count,
        // small beside its size.
        let mut growing = base.clone();
        let mut next = n;
        group.bench_function("update: one status event (new record) and the new root", |b| {
            b.iter(|| {
                next += 1;
                growing.insert(status_key(&format!("record-{next}")), digest(next));
                black_box(growing.root())
            })
        });
        group.bench_function("prove (membership)", |b| b.iter(|| black_box(base.prove(black_box(&present)))));
        let proof = base.prove(&present);
        let root = base.root();
        group.bench_function("verify (membership)", |b| b.iter(|| black_box(proof.verify(black_box(&root)).is_ok())));
        group.finish();
    }
}

fn log_tree_proofs(c: &mut Criterion) {
    let n = env("PROVREG_BENCH_ENTRIES", 1_000_000);
    let leaves: Vec<Digest> = (0..n).map(digest).collect();
    let mut store = StoredHashes::new();
    log_tree::append(0, &leaves, &mut store).unwrap();
    let inclusion = log_tree::prove_inclusion(&leaves[12_345], 12_345, n, &store).unwrap();
    let consistency = log_tree::prove_consistency(n / 3, n, &store).unwrap();
    eprintln!(
        "log tree of {n}: inclusion proof {} hashes ({} bytes of JSON), consistency proof {} hashes ({} bytes)",
        inclusion.hashes.len(),
        serde_json::to_string(&inclusion).unwrap().len(),
        consistency.hashes.len(),
        serde_json::to_string(&consistency).unwrap().len()
    );
    let mut group = c.benchmark_group(format!("log tree of {n} entries"));
    group.sample_size(20);
    group.bench_function("inclusion proof", |b| {
        b.iter(|| black_box(log_tree::prove_inclusion(&leaves[12_345], 12_345, n, &store).unwrap()))
    });
    group.bench_function("consistency proof", |b| {
        b.iter(|| black_box(log_tree::prove_consistency(n / 3, n, &store).unwrap()))
    });
    group.bench_function("append one entry", |b| {
        b.iter_batched_ref(
            || {
                let needed = log_tree::append_indexes(n, n + 1).unwrap();
                needed.into_iter().map(|i| (i, store[&i])).collect::<StoredHashes>()
            },
            |known| black_box(log_tree::append(n, &[digest(n)], known).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, status_map, log_tree_proofs);
criterion_main!(benches);
