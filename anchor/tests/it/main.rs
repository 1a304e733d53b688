#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Integration tests of provreg-anchor, laid out like the crate: proofs, the contract
//! artifact, and the chain clients (signing, and reading with no key) against a real anvil;
//! the collection contract with real EZKL proofs.

mod artifact;
mod chain;
mod collection;
mod kept_chain;
mod log_chain;
mod proofs;
mod reader;
mod status_vectors;
mod support;
mod zk;
