//! The status map: an authenticated map from record ID to the digest of that record's latest
//! status event, as a compact sparse Merkle tree over 256-bit keys. A record that never changed
//! status is absent; a proof shows either its latest event's digest (membership) or that no
//! event exists (absence), against one 32-byte root.
//!
//! ```text
//! key(record_id) = SHA-256("provreg/status-key/v1" || record_id)      UTF-8 record ID
//! leaf(k, v)     = SHA-256(0x10 || k || v)       v = record digest of the latest status event
//! node(l, r)     = SHA-256(0x11 || l || r)
//! EMPTY          = 32 zero bytes
//! hash(S, d)     = EMPTY if S is empty; leaf(k, v) if S = {(k, v)};
//!                  otherwise node(hash(S0, d + 1), hash(S1, d + 1)), where S0 (S1) are the
//!                  entries whose key bit d is 0 (1); bit 0 is the high bit of the key's first byte
//! root           = hash(all entries, 0)
//! ```
//!
//! A subtree with one entry is that entry's leaf, wherever it sits, so a path is as long as the
//! entries that share its prefix make it (about log2 of the map's size), not 256.
//!
//! Proof JSON (version 1): `{"version": 1, "key": "0x…", "siblings": ["0x…", …],
//! "leaf": null | {"key": "0x…", "value": "0x…"}}`, siblings from the root down. It proves
//! membership when `leaf.key` is the key, absence when `leaf` is null (the path ends in an
//! empty subtree) or another key that shares the path's prefix.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::{AnchorError, Result};
use crate::merkle::Digest;

/// The domain tag of status-map keys.
pub const STATUS_KEY_TAG: &[u8] = b"provreg/status-key/v1";
/// The hash of an empty subtree (and the root of an empty map).
pub const EMPTY: Digest = [0u8; 32];
/// The only proof JSON version this crate reads and writes.
pub const STATUS_PROOF_VERSION: u32 = 1;

const LEAF_PREFIX: u8 = 0x10;
const NODE_PREFIX: u8 = 0x11;
const KEY_BITS: usize = 256;

/// The map key of a record ID.
pub fn status_key(record_id: &str) -> Digest {
    let mut h = Sha256::new();
    h.update(STATUS_KEY_TAG);
    h.update(record_id.as_bytes());
    h.finalize().into()
}

/// `SHA-256(0x10 || key || value)`.
pub fn leaf_hash(key: &Digest, value: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(key);
    h.update(value);
    h.finalize().into()
}

/// `SHA-256(0x11 || left || right)`.
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Bit `i` of a key, the high bit of byte 0 first.
fn bit(key: &Digest, i: usize) -> bool {
    key[i / 8] & (0x80 >> (i % 8)) != 0
}

/// The key with every bit from `depth` on cleared (`set = false`) or set (`set = true`).
fn fill_from(key: &Digest, depth: usize, set: bool) -> Digest {
    let mut out = *key;
    for (i, byte) in out.iter_mut().enumerate() {
        let start = i * 8;
        if start + 8 <= depth {
            continue;
        }
        let keep = depth.saturating_sub(start); // high bits of this byte that stay
        let mask: u8 = if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
        *byte = if set { *byte | !mask } else { *byte & mask };
    }
    out
}

/// The number of leading bits two keys share.
fn common_prefix(a: &Digest, b: &Digest) -> usize {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let diff = x ^ y;
        if diff != 0 {
            return i * 8 + diff.leading_zeros() as usize;
        }
    }
    KEY_BITS
}

/// An in-memory status map with the hashes of its inner nodes kept, so a root is free and a
/// proof or an update costs one walk down one path.
#[derive(Debug, Clone, Default)]
pub struct StatusMap {
    entries: BTreeMap<Digest, Digest>,
    /// Hash of every subtree with two or more entries, by (depth, key prefix with the bits
    /// from depth on cleared).
    nodes: HashMap<(u16, Digest), Digest>,
}

impl StatusMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// A map holding `entries` (key, value); a later duplicate key wins.
    pub fn from_entries(entries: impl IntoIterator<Item = (Digest, Digest)>) -> Self {
        let entries: BTreeMap<Digest, Digest> = entries.into_iter().collect();
        let sorted: Vec<(Digest, Digest)> = entries.iter().map(|(k, v)| (*k, *v)).collect();
        let mut nodes = HashMap::with_capacity(sorted.len());
        build(&sorted, 0, &mut nodes);
        Self { entries, nodes }
    }

    /// How many records have a status event.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no record has a status event.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &Digest) -> Option<&Digest> {
        self.entries.get(key)
    }

    /// Sets `key` to `value` (the digest of the record's newest status event) and rehashes its
    /// path. Returns the previous value.
    pub fn insert(&mut self, key: Digest, value: Digest) -> Option<Digest> {
        let previous = self.entries.insert(key, value);
        // The deepest subtree on the key's path that has two or more entries.
        let mut deepest = None;
        for depth in 0..KEY_BITS {
            if !matches!(self.under(&key, depth), Under::Many) {
                break;
            }
            deepest = Some(depth);
        }
        if let Some(deepest) = deepest {
            for depth in (0..=deepest).rev() {
                let prefix = fill_from(&key, depth, false);
                let mut left = prefix;
                let mut right = prefix;
                // The children's prefixes: bit `depth` 0 and 1.
                right[depth / 8] |= 0x80 >> (depth % 8);
                left[depth / 8] &= !(0x80 >> (depth % 8));
                let hash = node_hash(&self.subtree(&left, depth + 1), &self.subtree(&right, depth + 1));
                self.nodes.insert((depth as u16, prefix), hash);
            }
        }
        previous
    }

    /// The map's root.
    pub fn root(&self) -> Digest {
        self.subtree(&EMPTY, 0)
    }

    /// A proof of the value under `key`, or of its absence.
    pub fn prove(&self, key: &Digest) -> StatusProof {
        let mut siblings = Vec::new();
        let mut depth = 0;
        loop {
            match self.under(key, depth) {
                Under::Empty => return StatusProof { key: *key, siblings, leaf: None },
                Under::One(k, v) => {
                    return StatusProof { key: *key, siblings, leaf: Some(ProofLeaf { key: k, value: v }) };
                }
                Under::Many => {
                    let mut sibling = fill_from(key, depth + 1, false);
                    sibling[depth / 8] ^= 0x80 >> (depth % 8);
                    siblings.push(self.subtree(&sibling, depth + 1));
                    depth += 1;
                }
            }
        }
    }

    /// What the subtree at `depth` whose keys start like `key` holds.
    fn under(&self, key: &Digest, depth: usize) -> Under {
        let mut range = self.entries.range(fill_from(key, depth, false)..=fill_from(key, depth, true));
        match (range.next(), range.next()) {
            (None, _) => Under::Empty,
            (Some((k, v)), None) => Under::One(*k, *v),
            (Some(_), Some(_)) => Under::Many,
        }
    }

    /// The hash of the subtree at `depth` whose keys start like `prefix`.
    fn subtree(&self, prefix: &Digest, depth: usize) -> Digest {
        match self.under(prefix, depth) {
            Under::Empty => EMPTY,
            Under::One(k, v) => leaf_hash(&k, &v),
            Under::Many => match self.nodes.get(&(depth as u16, fill_from(prefix, depth, false))) {
                Some(hash) => *hash,
                // Every inner node's hash is kept; should one be missing, hash it afresh.
                None => {
                    let range = fill_from(prefix, depth, false)..=fill_from(prefix, depth, true);
                    let entries: Vec<(Digest, Digest)> = self.entries.range(range).map(|(k, v)| (*k, *v)).collect();
                    build(&entries, depth, &mut HashMap::new())
                }
            },
        }
    }
}

/// The content of one subtree.
enum Under {
    Empty,
    One(Digest, Digest),
    Many,
}

/// Hashes the sorted `entries` (all sharing `depth` bits) as a subtree at `depth`, keeping the
/// hash of every subtree with two or more entries.
fn build(entries: &[(Digest, Digest)], depth: usize, nodes: &mut HashMap<(u16, Digest), Digest>) -> Digest {
    match entries {
        [] => EMPTY,
        [(k, v)] => leaf_hash(k, v),
        _ => {
            let split = entries.partition_point(|(k, _)| !bit(k, depth));
            let left = build(&entries[..split], depth + 1, nodes);
            let right = build(&entries[split..], depth + 1, nodes);
            let hash = node_hash(&left, &right);
            nodes.insert((depth as u16, fill_from(&entries[0].0, depth, false)), hash);
            hash
        }
    }
}

/// The entry a proof's path ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofLeaf {
    /// Its key.
    #[serde(with = "crate::hex32::one")]
    pub key: Digest,
    /// Its value.
    #[serde(with = "crate::hex32::one")]
    pub value: Digest,
}

/// A proof of one key's value in the status map, or of its absence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StatusProofJson", into = "StatusProofJson")]
pub struct StatusProof {
    /// The key asked about.
    pub key: Digest,
    /// The sibling hashes from the root down.
    pub siblings: Vec<Digest>,
    /// The entry the path ends in; `None` when it ends in an empty subtree.
    pub leaf: Option<ProofLeaf>,
}

impl StatusProof {
    /// The value the proof shows for its key: `Some` for membership, `None` for absence.
    pub fn value(&self) -> Option<Digest> {
        self.leaf.filter(|l| l.key == self.key).map(|l| l.value)
    }

    /// The root this proof leads to. Fails on a proof that cannot be part of any map: too long,
    /// or ending in another key that does not share the path.
    pub fn root(&self) -> Result<Digest> {
        let depth = self.siblings.len();
        if depth > KEY_BITS {
            return Err(AnchorError::ProofMismatch("a status proof has more than 256 siblings"));
        }
        let mut node = match &self.leaf {
            None => EMPTY,
            Some(leaf) => {
                if leaf.key != self.key && common_prefix(&leaf.key, &self.key) < depth {
                    return Err(AnchorError::ProofMismatch("the proof ends in a key off the path"));
                }
                leaf_hash(&leaf.key, &leaf.value)
            }
        };
        for (d, sibling) in self.siblings.iter().enumerate().rev() {
            node = if bit(&self.key, d) { node_hash(sibling, &node) } else { node_hash(&node, sibling) };
        }
        Ok(node)
    }

    /// Checks the proof against a map root.
    pub fn verify(&self, root: &Digest) -> Result<()> {
        if self.root()? != *root {
            return Err(AnchorError::ProofMismatch("the status proof does not lead to the status map's root"));
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusProofJson {
    version: u32,
    #[serde(with = "crate::hex32::one")]
    key: Digest,
    #[serde(with = "crate::hex32::many")]
    siblings: Vec<Digest>,
    leaf: Option<ProofLeaf>,
}

impl TryFrom<StatusProofJson> for StatusProof {
    type Error = AnchorError;

    fn try_from(j: StatusProofJson) -> Result<Self> {
        if j.version != STATUS_PROOF_VERSION {
            return Err(AnchorError::MalformedProof(format!(
                "status proof version {} (this build reads {STATUS_PROOF_VERSION})",
                j.version
            )));
        }
        if j.siblings.len() > KEY_BITS {
            return Err(AnchorError::MalformedProof("a status proof has more than 256 siblings".into()));
        }
        Ok(Self { key: j.key, siblings: j.siblings, leaf: j.leaf })
    }
}

impl From<StatusProof> for StatusProofJson {
    fn from(p: StatusProof) -> Self {
        Self { version: STATUS_PROOF_VERSION, key: p.key, siblings: p.siblings, leaf: p.leaf }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u32) -> Digest {
        Sha256::digest(n.to_be_bytes()).into()
    }

    #[test]
    fn incremental_inserts_give_the_bulk_root_and_proofs_verify() {
        let entries: Vec<(Digest, Digest)> = (0..300).map(|i| (status_key(&format!("rec-{i}")), digest(i))).collect();
        let bulk = StatusMap::from_entries(entries.clone());
        let mut map = StatusMap::new();
        assert_eq!(map.root(), EMPTY);
        for (k, v) in &entries {
            map.insert(*k, *v);
        }
        assert_eq!(map.root(), bulk.root());
        let root = map.root();
        for (k, v) in entries.iter().step_by(7) {
            let proof = map.prove(k);
            assert_eq!(proof.value(), Some(*v));
            proof.verify(&root).unwrap();
        }
        let absent = status_key("never-changed");
        let proof = map.prove(&absent);
        assert_eq!(proof.value(), None);
        proof.verify(&root).unwrap();
        // Overwriting a value changes the root, and the old proof no longer verifies.
        map.insert(entries[3].0, digest(9999));
        let old = bulk.prove(&entries[3].0);
        assert!(old.verify(&map.root()).is_err());
        assert_eq!(map.prove(&entries[3].0).value(), Some(digest(9999)));
    }

    #[test]
    fn a_forged_absence_or_value_does_not_verify() {
        let entries: Vec<(Digest, Digest)> = (0..50).map(|i| (status_key(&format!("r{i}")), digest(i))).collect();
        let map = StatusMap::from_entries(entries.clone());
        let root = map.root();
        let (k, _) = entries[10];
        let mut proof = map.prove(&k);
        // Claim absence by dropping the leaf.
        proof.leaf = None;
        assert!(proof.verify(&root).is_err());
        // Claim another value.
        let mut proof = map.prove(&k);
        proof.leaf.as_mut().unwrap().value = digest(777);
        assert!(proof.verify(&root).is_err());
        // Cut the path short.
        let mut proof = map.prove(&k);
        proof.siblings.pop();
        assert!(proof.verify(&root).is_err());
    }

    #[test]
    fn proof_json_round_trips_and_rejects_other_versions() {
        let map = StatusMap::from_entries([(status_key("a"), digest(1)), (status_key("b"), digest(2))]);
        let proof = map.prove(&status_key("a"));
        let text = serde_json::to_string(&proof).unwrap();
        assert!(text.starts_with(r#"{"version":1,"key":"0x"#), "{text}");
        let back: StatusProof = serde_json::from_str(&text).unwrap();
        assert_eq!(back, proof);
        let other = text.replace(r#""version":1"#, r#""version":2"#);
        assert!(serde_json::from_str::<StatusProof>(&other).is_err());
    }

    #[test]
    fn fill_from_clears_and_sets_the_tail() {
        let key = [0xffu8; 32];
        let cleared = fill_from(&key, 9, false);
        assert_eq!(cleared[0], 0xff);
        assert_eq!(cleared[1], 0x80);
        assert!(cleared[2..].iter().all(|b| *b == 0));
        let set = fill_from(&EMPTY, 9, true);
        assert_eq!(set[0], 0);
        assert_eq!(set[1], 0x7f);
        assert!(set[2..].iter().all(|b| *b == 0xff));
        assert_eq!(common_prefix(&cleared, &key), 9);
    }
}
