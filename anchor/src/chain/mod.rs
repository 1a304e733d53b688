//! Clients of the `ProvenanceAnchor` contract: [`ChainReader`] reads with no key (feature
//! `chain`); [`ChainClient`] deploys and anchors with a private key and reads through a
//! [`ChainReader`] (feature `chain-write`).

#[cfg(feature = "chain-write")]
mod client;
mod reader;

#[cfg(feature = "chain-write")]
pub use client::{AnchorReceipt, ChainClient, RetryPolicy};
pub use reader::{AnchoredEvent, ChainReader};
