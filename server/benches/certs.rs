#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Certificate issuing throughput against the raw ES256 signature it contains.
//!
//! `cargo bench -p provreg-server --bench certs -- [--seconds 3]`
//!
//! Measures, one after another on one thread: raw ES256 signatures (p256, the
//! implementation the C2PA library signs with) over a 1 KiB message; sidecar
//! certificates with no ingredient; certificates with a parent ingredient whose
//! manifest store is checked and copied in — each parent new ("cold": the check runs
//! every time) or the same parent again ("warm": the check is reused, as when a model
//! version's certificate goes into every token it generates); `inspect` with the
//! asset; and a retrain chain of 100 versions, each certified with the previous one as
//! parent, with the default embedding limit and with no limit (sizes and issue times).
use std::time::{Duration, Instant};

use p256::ecdsa::signature::Signer;
use p256::pkcs8::DecodePrivateKey;
use provreg_certs::{
    Action, CertificateRequest, Ingredient, IngredientRelation, SigningIdentity, Subject, init_dev_ca, inspect, issue,
};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Numbers of warm-up calls start here, far from the measured ones.
const WARM_UP: u64 = 1 << 40;

fn rate(label: &str, seconds: f64, op: impl FnMut(u64)) -> f64 {
    rate_at_most(label, seconds, u64::MAX, op)
}

/// Runs `op(0..)` (after 20 warm-up calls, numbered from [`WARM_UP`]) for
/// `seconds` or `max_n` calls, whichever comes first.
fn rate_at_most(label: &str, seconds: f64, max_n: u64, mut op: impl FnMut(u64)) -> f64 {
    for i in 0..20 {
        op(WARM_UP + i);
    }
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget && n < max_n {
        op(n);
        n += 1;
    }
    let per_second = n as f64 / start.elapsed().as_secs_f64();
    println!("{label:<42} {per_second:>10.0} /s  ({:>8.1} µs each, n = {n})", 1e6 / per_second);
    per_second
}

fn request(i: u64, action: Action, ingredients: Vec<Ingredient<'_>>) -> CertificateRequest<'_> {
    CertificateRequest {
        subject: Subject::ModelVersion,
        title: format!("bench model {i}"),
        format: "application/octet-stream".into(),
        bound_sha256: Sha256::digest(i.to_le_bytes()).into(),
        action,
        record: json!({ "id": i, "versionLabel": format!("v{i}"), "architecture": "mlp" }),
        lineage: None,
        license_terms: Some(json!({ "name": "Apache-2.0", "aiTraining": "allowed" })),
        ingredients,
    }
}

fn main() {
    let mut seconds = 3.0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(seconds);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let paths = init_dev_ca(dir.path()).unwrap();
    let identity = SigningIdentity::from_pem_files(&paths.signer_chain, &paths.signer_key).unwrap();
    let ca = std::fs::read_to_string(&paths.ca_cert).unwrap();
    let key_pem = std::fs::read_to_string(&paths.signer_key).unwrap();
    let raw_key = p256::ecdsa::SigningKey::from_pkcs8_pem(&key_pem).unwrap();

    let message = vec![0x5a_u8; 1024];
    let raw = rate("raw ES256 signature (p256, 1 KiB)", seconds, |i| {
        let mut m = message.clone();
        m[..8].copy_from_slice(&i.to_le_bytes());
        let _: p256::ecdsa::Signature = raw_key.sign(&m);
    });

    let plain = rate("issue: sidecar, no ingredient", seconds, |i| {
        issue(&identity, &request(i, Action::Created, vec![])).unwrap();
    });

    // Distinct parents for the cold run, one per call.
    const POOL: u64 = 4000;
    let parents: Vec<_> = (0..POOL)
        .map(|i| {
            let cert = issue(&identity, &request(1_000_000 + i, Action::Created, vec![])).unwrap();
            (cert, Sha256::digest((1_000_000 + i).to_le_bytes()).into())
        })
        .collect();
    let warm_up_parent = &parents[0];
    let child = |i: u64, parent: &(provreg_certs::IssuedCertificate, [u8; 32])| {
        let ingredient = Ingredient {
            title: "parent".into(),
            relation: IngredientRelation::ParentOf,
            manifest_store: &parent.0.manifest_store,
            bound_sha256: parent.1,
        };
        issue(&identity, &request(i, Action::Retrained, vec![ingredient])).unwrap();
    };
    let cold = rate_at_most("issue: with a new parentOf ingredient (cold)", seconds, POOL - 1, |i| {
        let parent = if i >= WARM_UP { warm_up_parent } else { &parents[(i + 1) as usize] };
        child(i, parent)
    });
    let warm = rate("issue: with a known parentOf ingredient (warm)", seconds, |i| child(i, warm_up_parent));
    let referring =
        SigningIdentity::from_pem_files(&paths.signer_chain, &paths.signer_key).unwrap().with_embed_limit(0);
    let referred = rate_at_most("issue: new parent referred to by digest (limit 0)", seconds, POOL - 1, |i| {
        let parent = if i >= WARM_UP { warm_up_parent } else { &parents[(i + 1) as usize] };
        let ingredient = Ingredient {
            title: "parent".into(),
            relation: IngredientRelation::ParentOf,
            manifest_store: &parent.0.manifest_store,
            bound_sha256: parent.1,
        };
        issue(&referring, &request(i, Action::Retrained, vec![ingredient])).unwrap();
    });

    let parent = &parents[0].0;
    let asset = 1_000_000u64.to_le_bytes();
    rate("inspect: with asset and trust anchor", seconds, |_| {
        let view = inspect(&parent.manifest_store, "application/octet-stream", Some(&asset), Some(&ca)).unwrap();
        assert_eq!(view.validation_state, "Trusted");
    });

    // A retrain chain: each version's certificate has the previous one as parent, with the
    // default embedding limit and with everything carried (no limit), for comparison.
    println!("\nretrain chain (each certificate has the previous version's as parentOf):");
    println!("{:>6}  {:>14}  {:>12}  {:>18}  {:>12}", "depth", "limit: issue", "size", "no limit: issue", "size");
    let unlimited =
        SigningIdentity::from_pem_files(&paths.signer_chain, &paths.signer_key).unwrap().with_embed_limit(usize::MAX);
    let mut heads: [Option<(provreg_certs::IssuedCertificate, [u8; 32])>; 2] = [None, None];
    for depth in 0..=100u64 {
        let mut line = format!("{depth:>6}");
        for (head, id) in heads.iter_mut().zip([&identity, &unlimited]) {
            let i = 2_000_000 + depth;
            let ingredients = match head.as_ref() {
                None => vec![],
                Some((cert, bound)) => vec![Ingredient {
                    title: "previous version".into(),
                    relation: IngredientRelation::ParentOf,
                    manifest_store: &cert.manifest_store,
                    bound_sha256: *bound,
                }],
            };
            let action = if depth == 0 { Action::Created } else { Action::Retrained };
            let start = Instant::now();
            let cert = issue(id, &request(i, action, ingredients)).unwrap();
            let elapsed = start.elapsed();
            line.push_str(&format!(
                "  {:>11.2} ms  {:>9.1} KB",
                elapsed.as_secs_f64() * 1e3,
                cert.manifest_store.len() as f64 / 1e3
            ));
            *head = Some((cert, Sha256::digest(i.to_le_bytes()).into()));
        }
        if [0, 1, 2, 3, 4, 5, 10, 25, 50, 100].contains(&depth) {
            println!("{line}");
        }
    }

    println!("\nmanifest store: {} bytes without ingredients", parent.manifest_store.len());
    println!(
        "issuing costs {:.1}× a raw signature without ingredients, {:.1}× with a known parent, \
         {:.1}× with a new parent carried whole, {:.1}× with a new parent referred to by digest (goal ≤ 5×)",
        raw / plain,
        raw / warm,
        raw / cold,
        raw / referred
    );
}
