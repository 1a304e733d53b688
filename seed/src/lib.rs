//! Where a token's seed comes from, and every derivation and check of it. A seed is one of:
//!
//! - `chain`: assigned by the token's collection contract from the hash of a block mined
//!   after the minter committed to the token's ID ([`chain`]);
//! - `beacon`: derived from a drand round published after that commitment ([`beacon`]);
//! - `operator`: chosen by whoever registered the token, accepted but unverified.
//!
//! A leaf crate: no provreg crate, no I/O. The registry checks seeds with it at
//! registration, the pipeline derives them, and the verifier checks them again.

pub mod beacon;
pub mod chain;
