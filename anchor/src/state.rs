//! Anchored states: what the `ProvenanceLog` contract holds, one 32-byte head per state.
//!
//! ```text
//! head = SHA-256(0x03 || prev_head || log_root || u64be(size) || status_root)
//! ```
//!
//! `log_root` is the root of the whole log's RFC 6962 tree of `size` entries
//! ([`log_tree`](crate::log_tree)), `status_root` the root of the status map at that size
//! ([`status_map`](crate::status_map)), and `prev_head` the head of the state before (zero for
//! the first). Each state thus commits to every state before it.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::merkle::Digest;

/// The domain byte of a state head.
pub const STATE_PREFIX: u8 = 0x03;
/// The `prev_head` of the first state.
pub const GENESIS_HEAD: Digest = [0u8; 32];

/// One anchored state's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogState {
    /// The head of the state before; zero for the first.
    #[serde(with = "crate::hex32::one")]
    pub prev_head: Digest,
    /// The log tree's root.
    #[serde(with = "crate::hex32::one")]
    pub log_root: Digest,
    /// The log tree's size (entries `0..size`).
    pub size: u64,
    /// The status map's root at that size.
    #[serde(with = "crate::hex32::one")]
    pub status_root: Digest,
}

impl LogState {
    /// The state's head, the value the contract stores.
    pub fn head(&self) -> Digest {
        let mut h = Sha256::new();
        h.update([STATE_PREFIX]);
        h.update(self.prev_head);
        h.update(self.log_root);
        h.update(self.size.to_be_bytes());
        h.update(self.status_root);
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_binds_every_field() {
        let s = LogState { prev_head: GENESIS_HEAD, log_root: [1; 32], size: 7, status_root: [2; 32] };
        let h = s.head();
        assert_ne!(LogState { size: 8, ..s }.head(), h);
        assert_ne!(LogState { prev_head: [9; 32], ..s }.head(), h);
        assert_ne!(LogState { status_root: [3; 32], ..s }.head(), h);
        assert_ne!(LogState { log_root: [4; 32], ..s }.head(), h);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""prevHead":"0x0000"#), "{text}");
        assert_eq!(serde_json::from_str::<LogState>(&text).unwrap(), s);
    }
}
