//! Evidence bundles: everything needed to check one token's provenance offline, and the
//! checks themselves.
//!
//! [`Registry::evidence_for_token`](crate::service::Registry::evidence_for_token) assembles a
//! bundle from the database; [`verify_bundle`] checks one with nothing but its bytes, the trust
//! anchors, and optionally a chain RPC URL and the EZKL verifier. `provreg verify` is the
//! command-line face of [`verify_bundle`] (see [`cli`]).
mod build;
pub mod bundle;
pub mod cli;
mod verify;

pub use bundle::{BUNDLE_VERSION, Bundle, BundleError, RecordRef};
pub use verify::{Check, Outcome, ProofVerifier, Report, Status, VerifyOptions, ZkCheck, verify_bundle};
