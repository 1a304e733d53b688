//! The whole log as one RFC 6962 Merkle tree (the tree of C2SP `tlog-checkpoint`), with
//! inclusion and consistency proofs, on the `tlog_tiles` crate.
//!
//! Entry `i` of the tree is the log leaf of sequence number `i` ([`log_leaf`](crate::log_leaf)):
//!
//! ```text
//! entry hash  = SHA-256(0x00 || log_leaf)
//! inner node  = SHA-256(0x01 || left || right)
//! tree of n   = RFC 6962: split at the largest power of two below n
//! ```
//!
//! A registry keeps the tree as *stored hashes* (the hashes of every complete subtree, indexed
//! as `tlog_tiles::stored_hash_index`), about two per entry, written once when entries are
//! appended. Every function that needs stored hashes comes in two parts: one that lists the
//! indexes it reads (`*_indexes`, so a caller can fetch them in one query) and one that computes
//! from a map holding them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tlog_tiles::{Hash, HashReader};

use crate::error::{AnchorError, Result};
use crate::merkle::Digest;

/// The only JSON version of [`LogInclusionProof`] and [`ConsistencyProof`].
pub const LOG_PROOF_VERSION: u32 = 1;

/// The tree's hash of one log leaf.
pub fn entry_hash(leaf: &Digest) -> Digest {
    tlog_tiles::record_hash(leaf).0
}

/// Stored hashes, by stored hash index.
pub type StoredHashes = BTreeMap<u64, Digest>;

/// The number of stored hashes of a tree of `n` entries.
pub fn stored_hash_count(n: u64) -> u64 {
    tlog_tiles::stored_hash_count(n)
}

/// Reads from a map; reports the first missing index.
struct MapReader<'a>(&'a StoredHashes);

impl HashReader for MapReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(i)
                    .map(|h| Hash(*h))
                    .ok_or_else(|| tlog_tiles::Error::InvalidInput(format!("stored hash {i} is missing")))
            })
            .collect()
    }
}

/// Answers every read with a zero hash and writes down what was asked. Which hashes a proof or
/// an append reads depends only on the sizes, not on the hashes, so one dry run lists them.
#[derive(Default)]
struct Recorder(std::cell::RefCell<Vec<u64>>);

impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash([0u8; 32]); indexes.len()])
    }
}

fn recorded(run: impl FnOnce(&Recorder) -> std::result::Result<(), tlog_tiles::Error>) -> Result<Vec<u64>> {
    let recorder = Recorder::default();
    run(&recorder).map_err(tree_error)?;
    let mut out = recorder.0.into_inner();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn tree_error(e: tlog_tiles::Error) -> AnchorError {
    AnchorError::ProofMismatch(match e {
        tlog_tiles::Error::InvalidProof => "the proof does not verify",
        tlog_tiles::Error::IndexesNotInTree => "an index is not in the tree",
        _ => "the log tree's stored hashes are incomplete or the sizes are inconsistent",
    })
}

/// The stored hashes (of a tree of `old` entries) that appending entries `old..new` reads.
pub fn append_indexes(old: u64, new: u64) -> Result<Vec<u64>> {
    let existing = stored_hash_count(old);
    let mut all = Vec::new();
    // Each append reads only hashes stored by earlier appends; those at or past `existing` are
    // made by this very run, so only the rest is needed from the store.
    for n in old..new {
        let needed = recorded(|r| tlog_tiles::stored_hashes_for_record_hash(n, Hash([0u8; 32]), r).map(|_| ()))?;
        all.extend(needed.into_iter().filter(|i| *i < existing));
    }
    all.sort_unstable();
    all.dedup();
    Ok(all)
}

/// Appends `leaves` as entries `old..old + leaves.len()` to a tree whose stored hashes `known`
/// holds (at least those [`append_indexes`] lists), returning the new stored hashes in index
/// order. `known` is extended with them.
pub fn append(old: u64, leaves: &[Digest], known: &mut StoredHashes) -> Result<Vec<(u64, Digest)>> {
    let mut added = Vec::new();
    for (offset, leaf) in leaves.iter().enumerate() {
        let n = old + offset as u64;
        let hashes = tlog_tiles::stored_hashes(n, leaf, &MapReader(known)).map_err(tree_error)?;
        let start = tlog_tiles::stored_hash_index(0, n);
        for (k, h) in hashes.into_iter().enumerate() {
            known.insert(start + k as u64, h.0);
            added.push((start + k as u64, h.0));
        }
    }
    Ok(added)
}

/// The stored hashes the root of a tree of `n` entries is made of.
pub fn root_indexes(n: u64) -> Result<Vec<u64>> {
    recorded(|r| tlog_tiles::tree_hash(n, r).map(|_| ()))
}

/// The root of the tree of its first `n` entries.
pub fn root(n: u64, known: &StoredHashes) -> Result<Digest> {
    Ok(tlog_tiles::tree_hash(n, &MapReader(known)).map_err(tree_error)?.0)
}

/// The stored hashes an inclusion proof of entry `index` in the tree of `n` entries reads
/// (the root's included).
pub fn inclusion_indexes(index: u64, n: u64) -> Result<Vec<u64>> {
    check_inclusion_sizes(index, n)?;
    recorded(|r| {
        tlog_tiles::prove_record(n, index, r)?;
        tlog_tiles::tree_hash(n, r).map(|_| ())
    })
}

/// The inclusion proof of entry `index` (whose log leaf is `leaf`) in the tree of `n` entries.
pub fn prove_inclusion(leaf: &Digest, index: u64, n: u64, known: &StoredHashes) -> Result<LogInclusionProof> {
    check_inclusion_sizes(index, n)?;
    let hashes = tlog_tiles::prove_record(n, index, &MapReader(known)).map_err(tree_error)?;
    Ok(LogInclusionProof {
        leaf: *leaf,
        index,
        size: n,
        hashes: hashes.into_iter().map(|h| h.0).collect(),
        root: root(n, known)?,
    })
}

fn check_inclusion_sizes(index: u64, n: u64) -> Result<()> {
    if index >= n {
        return Err(AnchorError::IndexOutOfRange { index, size: n });
    }
    Ok(())
}

/// The stored hashes a consistency proof from `old` to `new` entries reads (both roots'
/// included).
pub fn consistency_indexes(old: u64, new: u64) -> Result<Vec<u64>> {
    check_consistency_sizes(old, new)?;
    recorded(|r| {
        tlog_tiles::prove_tree(new, old, r)?;
        tlog_tiles::tree_hash(old, r)?;
        tlog_tiles::tree_hash(new, r).map(|_| ())
    })
}

/// The proof that the tree of `old` entries is a prefix of the tree of `new` entries.
pub fn prove_consistency(old: u64, new: u64, known: &StoredHashes) -> Result<ConsistencyProof> {
    check_consistency_sizes(old, new)?;
    let hashes = tlog_tiles::prove_tree(new, old, &MapReader(known)).map_err(tree_error)?;
    Ok(ConsistencyProof {
        old_size: old,
        new_size: new,
        old_root: root(old, known)?,
        new_root: root(new, known)?,
        hashes: hashes.into_iter().map(|h| h.0).collect(),
    })
}

fn check_consistency_sizes(old: u64, new: u64) -> Result<()> {
    if old == 0 || old > new {
        return Err(AnchorError::MalformedProof(format!(
            "a consistency proof needs 0 < old size <= new size (got {old} and {new})"
        )));
    }
    Ok(())
}

/// A proof that `leaf` is entry `index` of the log tree of `size` entries with root `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "InclusionJson", into = "InclusionJson")]
pub struct LogInclusionProof {
    /// The log leaf (before the 0x00 entry prefix).
    pub leaf: Digest,
    /// The entry's sequence number.
    pub index: u64,
    /// The tree's size.
    pub size: u64,
    /// The RFC 6962 audit path, leaf level first.
    pub hashes: Vec<Digest>,
    /// The tree's root.
    pub root: Digest,
}

impl LogInclusionProof {
    /// Recomputes the root from the path and compares it with `root`.
    pub fn verify(&self) -> Result<()> {
        check_inclusion_sizes(self.index, self.size)?;
        let proof: Vec<Hash> = self.hashes.iter().map(|h| Hash(*h)).collect();
        tlog_tiles::check_record(&proof, self.size, Hash(self.root), self.index, Hash(entry_hash(&self.leaf)))
            .map_err(|_| AnchorError::ProofMismatch("the audit path does not lead to the log tree's root"))
    }

    /// Checks the proof against a tree head known from elsewhere (an anchored state).
    pub fn verify_against(&self, root: &Digest, size: u64) -> Result<()> {
        if self.size != size || self.root != *root {
            return Err(AnchorError::ProofMismatch("the proof is for another tree head"));
        }
        self.verify()
    }
}

/// A proof that the log tree of `old_size` entries is a prefix of that of `new_size` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ConsistencyJson", into = "ConsistencyJson")]
pub struct ConsistencyProof {
    /// The older tree's size.
    pub old_size: u64,
    /// The newer tree's size.
    pub new_size: u64,
    /// The older tree's root.
    pub old_root: Digest,
    /// The newer tree's root.
    pub new_root: Digest,
    /// The RFC 6962 consistency proof.
    pub hashes: Vec<Digest>,
}

impl ConsistencyProof {
    /// Checks that the older root is a prefix of the newer.
    pub fn verify(&self) -> Result<()> {
        check_consistency_sizes(self.old_size, self.new_size)?;
        if self.old_size == self.new_size {
            return if self.old_root == self.new_root && self.hashes.is_empty() {
                Ok(())
            } else {
                Err(AnchorError::ProofMismatch("two trees of one size with different roots"))
            };
        }
        let proof: Vec<Hash> = self.hashes.iter().map(|h| Hash(*h)).collect();
        tlog_tiles::check_tree(&proof, self.new_size, Hash(self.new_root), self.old_size, Hash(self.old_root))
            .map_err(|_| AnchorError::ProofMismatch("the older tree is not a prefix of the newer one"))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionJson {
    version: u32,
    #[serde(with = "crate::hex32::one")]
    leaf: Digest,
    index: u64,
    size: u64,
    #[serde(with = "crate::hex32::many")]
    hashes: Vec<Digest>,
    #[serde(with = "crate::hex32::one")]
    root: Digest,
}

impl TryFrom<InclusionJson> for LogInclusionProof {
    type Error = AnchorError;

    fn try_from(j: InclusionJson) -> Result<Self> {
        check_version(j.version)?;
        Ok(Self { leaf: j.leaf, index: j.index, size: j.size, hashes: j.hashes, root: j.root })
    }
}

impl From<LogInclusionProof> for InclusionJson {
    fn from(p: LogInclusionProof) -> Self {
        Self { version: LOG_PROOF_VERSION, leaf: p.leaf, index: p.index, size: p.size, hashes: p.hashes, root: p.root }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConsistencyJson {
    version: u32,
    old_size: u64,
    new_size: u64,
    #[serde(with = "crate::hex32::one")]
    old_root: Digest,
    #[serde(with = "crate::hex32::one")]
    new_root: Digest,
    #[serde(with = "crate::hex32::many")]
    hashes: Vec<Digest>,
}

impl TryFrom<ConsistencyJson> for ConsistencyProof {
    type Error = AnchorError;

    fn try_from(j: ConsistencyJson) -> Result<Self> {
        check_version(j.version)?;
        Ok(Self {
            old_size: j.old_size,
            new_size: j.new_size,
            old_root: j.old_root,
            new_root: j.new_root,
            hashes: j.hashes,
        })
    }
}

impl From<ConsistencyProof> for ConsistencyJson {
    fn from(p: ConsistencyProof) -> Self {
        Self {
            version: LOG_PROOF_VERSION,
            old_size: p.old_size,
            new_size: p.new_size,
            old_root: p.old_root,
            new_root: p.new_root,
            hashes: p.hashes,
        }
    }
}

fn check_version(version: u32) -> Result<()> {
    if version != LOG_PROOF_VERSION {
        return Err(AnchorError::MalformedProof(format!(
            "log proof version {version} (this build reads {LOG_PROOF_VERSION})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Digest> {
        (0..n).map(|i| crate::log_leaf("license", &[i as u8; 32], &[0u8; 32])).collect()
    }

    /// Appends in slices, fetching only what `append_indexes` lists, like a registry does.
    fn grown(slices: &[u64]) -> (StoredHashes, u64, Vec<Digest>) {
        let total: u64 = slices.iter().sum();
        let all = leaves(total);
        let mut store = StoredHashes::new();
        let mut size = 0;
        for s in slices {
            let mut fetched: StoredHashes =
                append_indexes(size, size + s).unwrap().into_iter().map(|i| (i, store[&i])).collect();
            let added = append(size, &all[size as usize..(size + s) as usize], &mut fetched).unwrap();
            store.extend(added);
            size += s;
        }
        assert_eq!(store.len() as u64, stored_hash_count(size));
        (store, size, all)
    }

    #[test]
    fn appending_in_slices_gives_the_same_tree_and_proofs_verify() {
        let (a, n, all) = grown(&[1, 2, 5, 13, 1, 40]);
        let (b, _, _) = grown(&[n]);
        assert_eq!(a, b);
        let r = root(n, &a).unwrap();
        for i in [0, 1, 7, 30, n - 1] {
            let p = prove_inclusion(&all[i as usize], i, n, &a).unwrap();
            p.verify_against(&r, n).unwrap();
            let needed = inclusion_indexes(i, n).unwrap();
            let only: StoredHashes = needed.iter().map(|k| (*k, a[k])).collect();
            assert_eq!(prove_inclusion(&all[i as usize], i, n, &only).unwrap(), p);
        }
        for (old, new) in [(1, n), (8, 9), (13, 40), (n, n)] {
            let p = prove_consistency(old, new, &a).unwrap();
            p.verify().unwrap();
            let only: StoredHashes = consistency_indexes(old, new).unwrap().iter().map(|k| (*k, a[k])).collect();
            assert_eq!(prove_consistency(old, new, &only).unwrap(), p);
            assert_eq!(p.new_root, root(new, &a).unwrap());
        }
    }

    #[test]
    fn forged_paths_and_forks_are_refused() {
        let (a, n, all) = grown(&[20]);
        let mut p = prove_inclusion(&all[5], 5, n, &a).unwrap();
        p.leaf = all[6];
        assert!(p.verify().is_err());
        let mut c = prove_consistency(7, n, &a).unwrap();
        c.old_root[0] ^= 1;
        assert!(c.verify().is_err());
        // A history that differs at entry 3.
        let mut other = leaves(n);
        other[3][0] ^= 1;
        let mut forked = StoredHashes::new();
        append(0, &other, &mut forked).unwrap();
        let mut c = prove_consistency(7, n, &forked).unwrap();
        c.old_root = root(7, &a).unwrap();
        assert!(c.verify().is_err());
    }

    /// RFC 6962 test data (the certificate-transparency reference tests): the roots of the
    /// trees over the first 1 to 8 of eight fixed inputs.
    #[test]
    fn rfc6962_reference_roots() {
        let inputs: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
        ];
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut store = StoredHashes::new();
        for (n, input) in inputs.iter().enumerate() {
            let hashes = tlog_tiles::stored_hashes(n as u64, input, &MapReader(&store)).unwrap();
            let start = tlog_tiles::stored_hash_index(0, n as u64);
            for (k, h) in hashes.into_iter().enumerate() {
                store.insert(start + k as u64, h.0);
            }
            assert_eq!(hex::encode(root(n as u64 + 1, &store).unwrap()), expected[n], "tree of {}", n + 1);
        }
    }
}
