//! Batch trees: a merkle-light tree over one anchored range of log entries.
//!
//! Hashing (the contract does exactly the same):
//! - tree leaf: `SHA-256(0x00 || leaf)`
//! - inner node: `SHA-256(0x01 || left || right)`
//! - a level with an odd number of nodes pairs its last node with itself (merkle-light's rule);
//! - the value anchored on chain is the batch commitment `SHA-256(0x02 || root || u64be(size))`.
//!
//! Because of the odd-level rule, `[a, b, c]` and `[a, b, c, c]` have the same root. The size is
//! therefore part of every proof and of the anchored commitment, and a proof is checked against
//! it: an index at or past the size is rejected, and the path is recomputed level by level from
//! the size, so a proof for the phantom fourth leaf of a three-leaf batch never verifies.

use std::hash::Hasher;

use merkle_light::hash::Algorithm;
use merkle_light::merkle::MerkleTree;
use sha2::{Digest as _, Sha256};

use crate::error::{AnchorError, Result};
use crate::inclusion_proof::InclusionProof;

/// A 32-byte SHA-256 digest.
pub type Digest = [u8; 32];

/// Domain tag that starts every log leaf encoding.
pub const LOG_LEAF_TAG: &[u8] = b"provreg/log-leaf/v1";

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;
const COMMITMENT_PREFIX: u8 = 0x02;

/// The certificate digest in the log leaf of a record that has no certificate (a status
/// event): 32 zero bytes.
pub const NO_CERTIFICATE: Digest = [0u8; 32];

/// The leaf of one log entry:
/// `SHA-256("provreg/log-leaf/v1" || u64be(len(kind)) || kind || record_digest || certificate_digest)`,
/// where `kind` is the record kind as UTF-8 (e.g. `modelVersion`, `provreg_schema::RecordKind`'s string form). The tag has a fixed length
/// and the kind is length-prefixed, so no two inputs share an encoding.
pub fn log_leaf(kind: &str, record_digest: &Digest, certificate_digest: &Digest) -> Digest {
    let kind = kind.as_bytes();
    let mut h = Sha256::new();
    h.update(LOG_LEAF_TAG);
    h.update((kind.len() as u64).to_be_bytes());
    h.update(kind);
    h.update(record_digest);
    h.update(certificate_digest);
    h.finalize().into()
}

/// `SHA-256(0x00 || leaf)`.
pub(crate) fn leaf_hash(leaf: &Digest) -> Digest {
    let mut buf = [0u8; 33];
    buf[0] = LEAF_PREFIX;
    buf[1..].copy_from_slice(leaf);
    Sha256::digest(buf).into()
}

/// `SHA-256(0x01 || left || right)`.
pub(crate) fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut buf = [0u8; 65];
    buf[0] = NODE_PREFIX;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The value the contract stores per batch: `SHA-256(0x02 || root || u64be(size))`.
pub fn batch_commitment(root: &Digest, size: u64) -> Digest {
    let mut buf = [0u8; 41];
    buf[0] = COMMITMENT_PREFIX;
    buf[1..33].copy_from_slice(root);
    buf[33..].copy_from_slice(&size.to_be_bytes());
    Sha256::digest(buf).into()
}

/// merkle-light [`Algorithm`] for SHA-256 with 0x00 leaf / 0x01 node domain separation.
#[derive(Clone, Default)]
pub struct Sha256Algorithm(Sha256);

impl Hasher for Sha256Algorithm {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The first eight bytes of the current digest (`Hasher` needs a `u64`; the tree uses
    /// [`Algorithm::hash`]).
    fn finish(&self) -> u64 {
        let digest: Digest = self.0.clone().finalize().into();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first)
    }
}

impl Algorithm<Digest> for Sha256Algorithm {
    fn hash(&mut self) -> Digest {
        self.0.finalize_reset().into()
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    fn leaf(&mut self, leaf: Digest) -> Digest {
        leaf_hash(&leaf)
    }

    fn node(&mut self, left: Digest, right: Digest) -> Digest {
        node_hash(&left, &right)
    }
}

/// The Merkle tree of one batch: the leaves of a contiguous range of log entries, in order.
pub struct BatchTree {
    leaves: Vec<Digest>,
    /// merkle-light needs at least two leaves; a one-leaf batch has no tree, its root is the
    /// hashed leaf.
    tree: Option<MerkleTree<Digest, Sha256Algorithm>>,
    root: Digest,
}

impl std::fmt::Debug for BatchTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchTree")
            .field("size", &self.size())
            .field("root", &crate::hex32::encode(&self.root()))
            .finish()
    }
}

impl BatchTree {
    /// Builds the tree over `leaves` (e.g. [`log_leaf`] values in sequence order).
    pub fn new(leaves: &[Digest]) -> Result<Self> {
        let (tree, root) = match leaves {
            [] => return Err(AnchorError::EmptyBatch),
            [only] => (None, leaf_hash(only)),
            _ => {
                let tree: MerkleTree<Digest, Sha256Algorithm> = leaves.iter().copied().collect();
                let root = tree.root();
                (Some(tree), root)
            }
        };
        Ok(Self { leaves: leaves.to_vec(), tree, root })
    }

    /// The Merkle root.
    pub fn root(&self) -> Digest {
        self.root
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// The value anchored on chain, [`batch_commitment`] of the root and the size.
    pub fn commitment(&self) -> Digest {
        batch_commitment(&self.root(), self.size())
    }

    /// The leaves, in order.
    pub fn leaves(&self) -> &[Digest] {
        &self.leaves
    }

    /// The whole tree as bytes, for storing beside the batch: the leaves (32 bytes each), then
    /// every level of nodes from the hashed leaves up to the root. [`proof_from_levels`] proves
    /// any index from it by slicing, without hashing the batch again.
    pub fn levels(&self) -> Vec<u8> {
        let n = self.leaves.len();
        let mut out = Vec::with_capacity(32 * (3 * n + 64));
        self.leaves.iter().for_each(|l| out.extend_from_slice(l));
        let mut level: Vec<Digest> = self.leaves.iter().map(leaf_hash).collect();
        loop {
            level.iter().for_each(|node| out.extend_from_slice(node));
            if level.len() <= 1 {
                return out;
            }
            level = level
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node_hash(left, right),
                    [last] => node_hash(last, last),
                    _ => unreachable_pair(),
                })
                .collect();
        }
    }

    /// The inclusion proof of leaf `index`.
    pub fn proof(&self, index: u64) -> Result<InclusionProof> {
        let size = self.size();
        let (i, leaf) = usize::try_from(index)
            .ok()
            .and_then(|i| self.leaves.get(i).map(|leaf| (i, leaf)))
            .ok_or(AnchorError::IndexOutOfRange { index, size })?;
        let siblings = match &self.tree {
            None => Vec::new(),
            Some(tree) => {
                // merkle-light asserts that the index is in range; it is, by the check above.
                // Its lemma is [hashed leaf, siblings…, root].
                let path = tree.gen_proof(i);
                match path.lemma() {
                    [first, siblings @ .., root] if *first == leaf_hash(leaf) && *root == self.root => {
                        siblings.to_vec()
                    }
                    _ => return Err(AnchorError::ProofMismatch("merkle-light returned a path for another leaf")),
                }
            }
        };
        let proof = InclusionProof { leaf: *leaf, index, size, siblings, root: self.root };
        proof.verify()?;
        Ok(proof)
    }
}

/// `chunks(2)` yields one or two items; anything else cannot happen.
fn unreachable_pair() -> Digest {
    [0; 32]
}

/// The inclusion proof of leaf `index` of a batch of `size` leaves, sliced out of the bytes
/// [`BatchTree::levels`] produced. The proof is verified before it is returned, so damaged bytes
/// give an error, never a wrong proof.
pub fn proof_from_levels(levels: &[u8], size: u64, index: u64) -> Result<InclusionProof> {
    if index >= size {
        return Err(AnchorError::IndexOutOfRange { index, size });
    }
    let malformed = || AnchorError::ProofMismatch("stored tree levels do not match the batch size");
    let digest = |at: u64| -> Result<Digest> {
        let start = usize::try_from(at).map_err(|_| malformed())?.checked_mul(32).ok_or_else(malformed)?;
        levels.get(start..start + 32).and_then(|b| b.try_into().ok()).ok_or_else(malformed)
    };
    let leaf = digest(index)?;
    // Node offsets (in digests): the leaves, then each level of hashed nodes.
    let mut offset = size;
    let mut width = size;
    let mut position = index;
    let mut siblings = Vec::new();
    while width > 1 {
        let sibling = if position ^ 1 < width { position ^ 1 } else { position };
        siblings.push(digest(offset + sibling)?);
        offset += width;
        position >>= 1;
        width = width / 2 + width % 2;
    }
    let root = digest(offset)?;
    if (offset + 1).checked_mul(32) != Some(levels.len() as u64) {
        return Err(malformed());
    }
    let proof = InclusionProof { leaf, index, size, siblings, root };
    proof.verify()?;
    Ok(proof)
}
