#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[cfg(feature = "chain")]
pub mod chain;
pub mod collection_contract;
pub mod contract;
#[cfg(feature = "devchain")]
pub mod devchain;
mod error;
mod hex32;
pub mod inclusion_proof;
pub mod merkle;
#[cfg(feature = "chain")]
mod revert;

#[cfg(feature = "chain-write")]
pub use chain::{AnchorReceipt, ChainClient, RetryPolicy};
#[cfg(feature = "chain")]
pub use chain::{AnchoredEvent, ChainReader};
#[cfg(feature = "chain-write")]
pub use chain::{CollectionClient, CollectionDeployment, TxOutcome, VerifierDeployment};
#[cfg(feature = "chain")]
pub use chain::{
    CollectionParams, CollectionReader, MetadataUpdateEvent, MintedToken, SeedCommitment, SeedEvents, SeedMode,
    aigc_data_from_field_elements,
};
pub use collection_contract::{COLLECTION_ARTIFACT_JSON, COLLECTION_SOLIDITY_SOURCE, SEED_VECTORS_JSON};
#[cfg(feature = "chain")]
pub use collection_contract::{Halo2Verifier, ProvregCollection};
#[cfg(feature = "chain")]
pub use contract::ProvenanceAnchor;
pub use contract::{ARTIFACT_JSON, SOLIDITY_SOURCE};
pub use error::{AnchorError, Result};
#[cfg(feature = "chain")]
pub use error::{CollectionRevert, ContractRevert};
pub use inclusion_proof::InclusionProof;
pub use merkle::{BatchTree, Digest, NO_CERTIFICATE, batch_commitment, log_leaf, proof_from_levels};

/// The chain types this crate's API uses.
#[cfg(feature = "chain")]
pub mod alloy_types {
    pub use alloy::primitives::{Address, B256, TxHash, U256};
}
