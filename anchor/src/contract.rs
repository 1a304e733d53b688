//! The `ProvenanceAnchor` (batches, version 1) and `ProvenanceLog` (linked states) contracts:
//! their sources and compiled artifacts, and (feature `chain`) Rust bindings generated from
//! the artifacts.

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

/// The compiled artifact of `ProvenanceLog` (`contracts/ProvenanceLog.json`).
pub const LOG_ARTIFACT_JSON: &str = include_str!("../contracts/ProvenanceLog.json");

/// The `ProvenanceLog` source the artifact was compiled from.
pub const LOG_SOLIDITY_SOURCE: &str = include_str!("../contracts/ProvenanceLog.sol");

#[cfg(feature = "chain")]
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ProvenanceLog,
    "contracts/ProvenanceLog.json"
);
