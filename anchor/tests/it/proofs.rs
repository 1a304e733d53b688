//! Batch trees and inclusion proofs, off-chain: known answers and exhaustive small sizes.

use provreg_anchor::{AnchorError, BatchTree, Digest, InclusionProof, batch_commitment, log_leaf};
use sha2::{Digest as _, Sha256};

use crate::support::{leaves, tree};

fn sha256(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// A straightforward, independent root: hash the leaves, then pair up level by level,
/// repeating the last node of an odd level.
fn reference_root(leaves: &[Digest]) -> Digest {
    let mut level: Vec<Digest> = leaves.iter().map(|l| sha256(&[&[0x00], l])).collect();
    while level.len() > 1 {
        if level.len() % 2 == 1 {
            level.push(*level.last().unwrap());
        }
        level = level.chunks(2).map(|p| sha256(&[&[0x01], &p[0], &p[1]])).collect();
    }
    level[0]
}

fn hex(d: &Digest) -> String {
    format!("0x{}", alloy::hex::encode(d))
}

/// Roots of the test leaves `0..n`, computed once by a separate implementation.
const KNOWN_ROOTS: [(u64, &str); 7] = [
    (1, "0x283d6bbd42a408f82b284e5d0e8b3ab0685de6b706ba4e454da3de8cbc3259b3"),
    (2, "0x4d10b85de1eb137c1a10d6cfebb6ce0dd935ca58566a756931229b5c798ceb48"),
    (3, "0xa742a3b4839adddcf9ef6b4977f6fcbb7e6840b0a46bc2d12a8f736ad45a85d6"),
    (4, "0xedbe56b6a32bca666696c6d16622e1758ccba7b6014a5e1f3fbcd15a623267fd"),
    (5, "0xa5396185196dfd703c6bcd7999044f8ff7bfc44cde45576cb6ad1f8bc9f08a64"),
    (7, "0xc22d01a4d632de31b483abe6553d2d0002f2f7c7618dc00d3b56b2990aa23faa"),
    (8, "0xfe59ac103c3604adde065f6565ad48fa740d514f1318f4b1ffdb91c606765bb2"),
];

#[test]
fn known_roots() {
    assert_eq!(hex(&crate::support::leaf(0)), "0x4db945eaa72a4766c887144d8f94d8d5e0d32b251cb39aafe8d21d5244c9597e");
    for (n, root) in KNOWN_ROOTS {
        let t = tree(0, n);
        assert_eq!(hex(&t.root()), root, "size {n}");
        assert_eq!(t.root(), reference_root(&leaves(0, n)), "size {n}");
        assert_eq!(t.size(), n);
    }
}

#[test]
fn roots_match_the_reference_for_sizes_1_to_100() {
    for n in 1..=100 {
        assert_eq!(tree(0, n).root(), reference_root(&leaves(0, n)), "size {n}");
    }
}

#[test]
fn known_commitment_and_log_leaf() {
    assert_eq!(hex(&tree(0, 3).commitment()), "0xfb983ff9ce75e9f25e705f7781fec879698cf3f4948bf24904e9a6bd67f7ce88");
    assert_eq!(tree(0, 3).commitment(), batch_commitment(&tree(0, 3).root(), 3));
    assert_eq!(
        hex(&log_leaf("model_version", &[0x11; 32], &[0x22; 32])),
        "0x326d714a5b7b99af97f650657a5322424cff9d328661e448e7a81079fb403142"
    );
    // The kind is length-prefixed: moving bytes between kind and digests changes the leaf.
    assert_ne!(log_leaf("ab", &[0; 32], &[0; 32]), log_leaf("a", &[0; 32], &[0; 32]));
}

#[test]
fn empty_batch_and_out_of_range_index_are_errors() {
    assert!(matches!(BatchTree::new(&[]), Err(AnchorError::EmptyBatch)));
    let t = tree(0, 3);
    assert!(matches!(t.proof(3), Err(AnchorError::IndexOutOfRange { index: 3, size: 3 })));
    assert!(matches!(t.proof(u64::MAX), Err(AnchorError::IndexOutOfRange { .. })));
}

#[test]
fn single_leaf_batch_has_an_empty_path() {
    let t = tree(0, 1);
    let p = t.proof(0).unwrap();
    assert!(p.siblings.is_empty());
    assert_eq!(t.root(), sha256(&[&[0x00], &crate::support::leaf(0)]));
    p.verify_against_commitment(&t.commitment()).unwrap();
}

/// Every way of changing one part of a valid proof that must make it fail against the
/// anchored commitment.
pub fn tampered(p: &InclusionProof) -> Vec<(String, InclusionProof)> {
    let mut out = Vec::new();
    for i in 0..p.siblings.len() {
        let mut q = p.clone();
        q.siblings[i][31] ^= 1;
        out.push((format!("sibling {i}"), q));
    }
    let mut q = p.clone();
    q.leaf[0] ^= 0x80;
    out.push(("leaf".into(), q));
    for index in [p.index ^ 1, p.index + 1, p.index.wrapping_sub(1)] {
        if index != p.index {
            let mut q = p.clone();
            q.index = index;
            out.push((format!("index {index}"), q));
        }
    }
    for size in [p.size + 1, p.size - 1, p.size * 2] {
        if size != p.size {
            let mut q = p.clone();
            q.size = size;
            out.push((format!("size {size}"), q));
        }
    }
    let mut q = p.clone();
    q.siblings.push([0; 32]);
    out.push(("extra sibling".into(), q));
    if !p.siblings.is_empty() {
        let mut q = p.clone();
        q.siblings.pop();
        out.push(("missing sibling".into(), q));
    }
    out
}

#[test]
fn every_index_of_sizes_1_to_33_verifies_and_every_change_fails() {
    for n in 1..=33u64 {
        let t = tree(0, n);
        let commitment = t.commitment();
        for index in 0..n {
            let p = t.proof(index).unwrap();
            assert_eq!(p.leaf, crate::support::leaf(index));
            p.verify().unwrap();
            p.verify_against(&t.root(), n).unwrap();
            p.verify_against_commitment(&commitment).unwrap();
            for (what, q) in tampered(&p) {
                assert!(
                    q.verify_against_commitment(&commitment).is_err(),
                    "size {n} index {index}: changed {what} still verifies"
                );
                assert!(q.verify_against(&t.root(), n).is_err(), "size {n} index {index}: changed {what}");
            }
        }
    }
}

#[test]
fn phantom_duplicate_leaf_is_rejected() {
    // [a, b, c] and [a, b, c, c] share a root; a proof of "entry 3" must still fail.
    let t3 = tree(0, 3);
    let mut four = leaves(0, 3);
    four.push(crate::support::leaf(2));
    let t4 = BatchTree::new(&four).unwrap();
    assert_eq!(t3.root(), t4.root());
    assert_ne!(t3.commitment(), t4.commitment());

    let phantom = t4.proof(3).unwrap();
    assert!(phantom.verify_against_commitment(&t3.commitment()).is_err());
    assert!(phantom.verify_against(&t3.root(), 3).is_err());
    let mut claimed = phantom.clone();
    claimed.size = 3;
    assert!(matches!(claimed.verify(), Err(AnchorError::IndexOutOfRange { index: 3, size: 3 })));
}

#[test]
fn odd_level_sibling_must_repeat_the_node() {
    let t = tree(0, 3);
    let mut p = t.proof(2).unwrap();
    p.verify().unwrap();
    p.siblings[0] = [7; 32];
    assert!(matches!(p.verify(), Err(AnchorError::ProofMismatch(_))));
}

#[test]
fn json_round_trip_and_format() {
    let p = tree(0, 5).proof(4).unwrap();
    let json = p.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["index"], 4);
    assert_eq!(value["size"], 5);
    assert_eq!(value["leaf"], hex(&p.leaf));
    assert_eq!(value["root"], hex(&p.root));
    assert_eq!(value["siblings"].as_array().unwrap().len(), 3);
    assert_eq!(InclusionProof::from_json(&json).unwrap(), p);
    let via_serde: InclusionProof = serde_json::from_value(value).unwrap();
    assert_eq!(via_serde, p);
}

#[test]
fn json_literal_vector() {
    let json = r#"{
        "version": 1,
        "leaf": "0x4db945eaa72a4766c887144d8f94d8d5e0d32b251cb39aafe8d21d5244c9597e",
        "index": 0,
        "size": 1,
        "siblings": [],
        "root": "0x283d6bbd42a408f82b284e5d0e8b3ab0685de6b706ba4e454da3de8cbc3259b3"
    }"#;
    let p = InclusionProof::from_json(json).unwrap();
    p.verify().unwrap();
    assert_eq!(p, tree(0, 1).proof(0).unwrap());
}

#[test]
fn malformed_json_is_rejected() {
    let good = serde_json::to_value(tree(0, 2).proof(1).unwrap()).unwrap();
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("version 2", with(&good, "version", 2.into())),
        ("no 0x", with(&good, "root", good["root"].as_str().unwrap()[2..].into())),
        ("short digest", with(&good, "leaf", "0x1234".into())),
        ("negative index", with(&good, "index", (-1).into())),
        ("unknown field", with(&good, "extra", true.into())),
    ];
    for (what, value) in cases {
        assert!(
            matches!(InclusionProof::from_json(&value.to_string()), Err(AnchorError::MalformedProof(_))),
            "{what} accepted"
        );
    }
}

fn with(v: &serde_json::Value, key: &str, new: serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    v[key] = new;
    v
}

#[test]
fn proofs_from_stored_levels_equal_the_tree_proofs() {
    for size in 1..=40u64 {
        let t = tree(0, size);
        let levels = t.levels();
        for index in 0..size {
            let stored = provreg_anchor::proof_from_levels(&levels, size, index).unwrap();
            assert_eq!(stored, t.proof(index).unwrap(), "size {size} index {index}");
        }
        assert!(provreg_anchor::proof_from_levels(&levels, size, size).is_err());
        assert!(provreg_anchor::proof_from_levels(&levels[..levels.len() - 32], size, 0).is_err());
        let mut damaged = levels.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(provreg_anchor::proof_from_levels(&damaged, size, 0).is_err(), "a changed root is caught");
    }
}
