#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod chain;
pub mod contract;
pub mod devchain;
mod error;
mod hex32;
pub mod inclusion_proof;
pub mod merkle;
mod revert;

pub use chain::{AnchorReceipt, AnchoredEvent, ChainClient, RetryPolicy};
pub use contract::{ARTIFACT_JSON, ProvenanceAnchor, SOLIDITY_SOURCE};
pub use error::{AnchorError, ContractRevert, Result};
pub use inclusion_proof::InclusionProof;
pub use merkle::{BatchTree, Digest, NO_CERTIFICATE, batch_commitment, log_leaf, proof_from_levels};

/// The chain types this crate's API uses.
pub mod alloy_types {
    pub use alloy::primitives::{Address, B256, TxHash};
}
