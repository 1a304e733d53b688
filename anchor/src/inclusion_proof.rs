//! Inclusion proofs: that one leaf is entry `index` of a batch of `size` leaves with a given root.
//!
//! JSON form (version 1), every digest as `0x` + 64 hex digits, `index` and `size` as JSON
//! numbers (below 2^53 in practice, so every JSON reader keeps them exact):
//!
//! ```json
//! {
//!   "version": 1,
//!   "leaf": "0x…",
//!   "index": 2,
//!   "size": 3,
//!   "siblings": ["0x…", "0x…"],
//!   "root": "0x…"
//! }
//! ```
//!
//! `siblings` is the path from the leaf level up: one digest per level while the level has more
//! than one node. Where the node is the last of an odd level, its sibling is the node itself.

use serde::{Deserialize, Serialize};

use crate::error::{AnchorError, Result};
use crate::merkle::{Digest, batch_commitment, leaf_hash, node_hash};

/// The only JSON version this crate reads and writes.
pub const PROOF_VERSION: u32 = 1;

/// A proof that `leaf` is entry `index` of the batch of `size` leaves whose Merkle root is `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProofJson", into = "ProofJson")]
pub struct InclusionProof {
    /// The leaf, e.g. a [`log_leaf`](crate::log_leaf) (not yet hashed with the 0x00 prefix).
    pub leaf: Digest,
    /// The leaf's position in the batch, from 0.
    pub index: u64,
    /// The number of leaves in the batch.
    pub size: u64,
    /// The sibling path, leaf level first.
    pub siblings: Vec<Digest>,
    /// The batch's Merkle root.
    pub root: Digest,
}

impl InclusionProof {
    /// Checks the proof on its own: recomputes the root from leaf, index, size and siblings and
    /// compares it with `root`.
    pub fn verify(&self) -> Result<()> {
        let computed = compute_root(&self.leaf, self.index, self.size, &self.siblings)?;
        if computed != self.root {
            return Err(AnchorError::ProofMismatch("the path does not lead to the stated root"));
        }
        Ok(())
    }

    /// Checks the proof against a root and size known from elsewhere (an anchor record).
    pub fn verify_against(&self, root: &Digest, size: u64) -> Result<()> {
        if self.size != size {
            return Err(AnchorError::ProofMismatch("the proof is for a batch of another size"));
        }
        if self.root != *root {
            return Err(AnchorError::ProofMismatch("the proof is for another root"));
        }
        self.verify()
    }

    /// Checks the proof against an on-chain batch commitment (see
    /// [`batch_commitment`](crate::batch_commitment)).
    pub fn verify_against_commitment(&self, commitment: &Digest) -> Result<()> {
        if self.commitment() != *commitment {
            return Err(AnchorError::ProofMismatch("root and size do not match the commitment"));
        }
        self.verify()
    }

    /// The batch commitment this proof's root and size give.
    pub fn commitment(&self) -> Digest {
        batch_commitment(&self.root, self.size)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads the JSON form.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| AnchorError::MalformedProof(e.to_string()))
    }
}

/// Recomputes a batch root from a leaf, its index, the batch size and the sibling path.
pub fn compute_root(leaf: &Digest, index: u64, size: u64, siblings: &[Digest]) -> Result<Digest> {
    if index >= size {
        return Err(AnchorError::IndexOutOfRange { index, size });
    }
    let mut node = leaf_hash(leaf);
    let mut position = index;
    let mut width = size;
    let mut path = siblings.iter();
    while width > 1 {
        let sibling = path.next().ok_or(AnchorError::ProofMismatch("too few siblings for the batch size"))?;
        if position & 1 == 1 {
            node = node_hash(sibling, &node);
        } else {
            if position + 1 == width && *sibling != node {
                return Err(AnchorError::ProofMismatch("the last node of an odd level must pair with itself"));
            }
            node = node_hash(&node, sibling);
        }
        position >>= 1;
        width = width / 2 + width % 2;
    }
    if path.next().is_some() {
        return Err(AnchorError::ProofMismatch("too many siblings for the batch size"));
    }
    Ok(node)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofJson {
    version: u32,
    #[serde(with = "crate::hex32::one")]
    leaf: Digest,
    index: u64,
    size: u64,
    #[serde(with = "crate::hex32::many")]
    siblings: Vec<Digest>,
    #[serde(with = "crate::hex32::one")]
    root: Digest,
}

impl From<InclusionProof> for ProofJson {
    fn from(p: InclusionProof) -> Self {
        Self { version: PROOF_VERSION, leaf: p.leaf, index: p.index, size: p.size, siblings: p.siblings, root: p.root }
    }
}

impl TryFrom<ProofJson> for InclusionProof {
    type Error = String;

    fn try_from(j: ProofJson) -> Result<Self, String> {
        if j.version != PROOF_VERSION {
            return Err(format!("unsupported proof version {} (this reader knows {PROOF_VERSION})", j.version));
        }
        Ok(Self { leaf: j.leaf, index: j.index, size: j.size, siblings: j.siblings, root: j.root })
    }
}
