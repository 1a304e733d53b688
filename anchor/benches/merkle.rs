#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Batch tree root over 1,000,000 leaves, against plain SHA-256 over the same 32 MB and against
//! the rs_merkle crate.
//!
//! `cargo bench -p provreg-anchor --bench merkle` (sample size 10; `PROVREG_BENCH_LEAVES=N`
//! changes the leaf count).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use provreg_anchor::{BatchTree, Digest};
use rs_merkle::Hasher as _;
use sha2::{Digest as _, Sha256};

fn leaf_count() -> usize {
    std::env::var("PROVREG_BENCH_LEAVES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

fn leaves(n: usize) -> Vec<Digest> {
    (0..n as u64).map(|i| Sha256::digest(i.to_be_bytes()).into()).collect()
}

fn roots(c: &mut Criterion) {
    let n = leaf_count();
    let leaves = leaves(n);
    let mut group = c.benchmark_group(format!("root of {n} leaves"));
    group.sample_size(10);
    group.throughput(Throughput::Bytes((n * 32) as u64));

    group.bench_function("sha256 over the leaf bytes", |b| {
        b.iter(|| {
            let mut h = Sha256::new();
            for leaf in black_box(&leaves) {
                h.update(leaf);
            }
            let digest: Digest = h.finalize().into();
            digest
        })
    });
    group.bench_function("sha256 of each leaf", |b| {
        b.iter(|| {
            let mut acc = [0u8; 32];
            for leaf in black_box(&leaves) {
                let d: Digest = Sha256::digest(leaf).into();
                acc[0] ^= d[0];
            }
            acc
        })
    });
    group.bench_function("BatchTree (merkle_light)", |b| b.iter(|| BatchTree::new(black_box(&leaves)).unwrap().root()));
    group.bench_function("rs_merkle", |b| {
        b.iter(|| {
            let hashed: Vec<[u8; 32]> =
                black_box(&leaves).iter().map(|l| rs_merkle::algorithms::Sha256::hash(l)).collect();
            rs_merkle::MerkleTree::<rs_merkle::algorithms::Sha256>::from_leaves(&hashed).root().unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, roots);
criterion_main!(benches);
