//! Clients of the `ProvenanceAnchor` contract: [`ChainReader`] reads with no key (feature
//! `chain`); [`ChainClient`] deploys and anchors with a private key and reads through a
//! [`ChainReader`] (feature `chain-write`).

#[cfg(feature = "chain-write")]
mod client;
mod collection;
#[cfg(feature = "chain-write")]
mod collection_client;
mod log;
mod reader;
#[cfg(feature = "chain-write")]
mod sender;

#[cfg(feature = "chain-write")]
pub use client::{AnchorReceipt, ChainClient, RetryPolicy};
pub use collection::{
    CollectionParams, CollectionReader, MetadataUpdateEvent, MintedToken, SeedCommitment, SeedEvents, SeedMode,
    aigc_data_from_field_elements,
};
#[cfg(feature = "chain-write")]
pub use collection_client::{CollectionClient, CollectionDeployment, TxOutcome, VerifierDeployment};
#[cfg(feature = "chain-write")]
pub use log::{LogAnchorReceipt, LogClient};
pub use log::{LogReader, StateEvent};
pub use reader::{AnchoredEvent, ChainReader};
