#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[cfg(feature = "chain")]
pub mod chain;
pub mod checkpoint;
pub mod collection_contract;
pub mod contract;
#[cfg(feature = "devchain")]
pub mod devchain;
mod error;
mod hex32;
pub mod inclusion_proof;
pub mod log_tree;
pub mod merkle;
#[cfg(feature = "chain")]
mod revert;
pub mod state;
pub mod status_map;

#[cfg(feature = "chain-write")]
pub use chain::{AnchorReceipt, ChainClient, RetryPolicy};
#[cfg(feature = "chain")]
pub use chain::{AnchoredEvent, ChainReader, LogReader, StateEvent};
#[cfg(feature = "chain-write")]
pub use chain::{CollectionClient, CollectionDeployment, TxOutcome, VerifierDeployment};
#[cfg(feature = "chain")]
pub use chain::{
    CollectionParams, CollectionReader, MetadataUpdateEvent, MintedToken, SeedCommitment, SeedEvents, SeedMode,
    aigc_data_from_field_elements,
};
#[cfg(feature = "chain-write")]
pub use chain::{LogAnchorReceipt, LogClient};
pub use collection_contract::{COLLECTION_ARTIFACT_JSON, COLLECTION_SOLIDITY_SOURCE, SEED_VECTORS_JSON};
#[cfg(feature = "chain")]
pub use collection_contract::{Halo2Verifier, ProvregCollection};
pub use contract::{ARTIFACT_JSON, LOG_ARTIFACT_JSON, LOG_SOLIDITY_SOURCE, SOLIDITY_SOURCE};
#[cfg(feature = "chain")]
pub use contract::{ProvenanceAnchor, ProvenanceLog};
pub use error::{AnchorError, Result};
#[cfg(feature = "chain")]
pub use error::{CollectionRevert, ContractRevert};
pub use inclusion_proof::InclusionProof;
pub use log_tree::{ConsistencyProof, LogInclusionProof};
pub use merkle::{BatchTree, Digest, NO_CERTIFICATE, batch_commitment, log_leaf, proof_from_levels};
pub use state::LogState;
pub use status_map::{StatusMap, StatusProof, status_key};

/// The chain types this crate's API uses.
#[cfg(feature = "chain")]
pub mod alloy_types {
    pub use alloy::primitives::{Address, B256, TxHash, U256};
}
