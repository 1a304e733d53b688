//! The `ProvenanceAnchor` contract: its source and compiled artifact, and (feature `chain`)
//! Rust bindings generated from the artifact.

#![allow(missing_docs, clippy::too_many_arguments)]

/// The compiled artifact (`contracts/ProvenanceAnchor.json`): ABI, bytecode, compiler version.
pub const ARTIFACT_JSON: &str = include_str!("../contracts/ProvenanceAnchor.json");

/// The contract source the artifact was compiled from.
pub const SOLIDITY_SOURCE: &str = include_str!("../contracts/ProvenanceAnchor.sol");

#[cfg(feature = "chain")]
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ProvenanceAnchor,
    "contracts/ProvenanceAnchor.json"
);
