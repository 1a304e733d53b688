//! Where a token's seed comes from, and every derivation and check of it. A seed is one of:
//!
//! - `chain`: assigned by the token's collection contract from the hash of a block mined
//!   after the minter committed to the token's ID ([`chain`]);
//! - `beacon`: derived from a drand round published after that commitment ([`beacon`]);
//! - `operator`: chosen by whoever registered the token, accepted but unverified.
//!
//! A leaf crate: no provreg crate, no I/O. The registry checks seeds with it at
//! registration, the pipeline derives them, and the verifier checks them again.

use serde::{Deserialize, Serialize};

pub mod beacon;
pub mod chain;

pub use beacon::{BeaconKey, BeaconSeedOrigin};
pub use chain::{ChainSeedOrigin, chain_seed};

/// Why a seed is not its source's seed for a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// The token is not in the committed range.
    #[error("token {token_id} is not in the committed range of {count} tokens from {first}")]
    NotCommitted {
        /// The token.
        token_id: u64,
        /// The range's first token.
        first: u64,
        /// Its length.
        count: u64,
    },
    /// The seed is not the derivation's.
    #[error("the seed is not the one its source assigns to this token ({expected})")]
    WrongSeed {
        /// The seed the source assigns, `0x` hex.
        expected: String,
    },
    /// The randomness does not come after the commitment.
    #[error("{0}")]
    Order(String),
    /// The beacon round is not the trusted beacon's, or its signature does not verify.
    #[error("{0}")]
    Beacon(String),
    /// A value of the origin is malformed.
    #[error("{field} is not {expected}")]
    Malformed {
        /// The field.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
}

/// Where a token's seed came from, as its record states it (the `seed` object of a token
/// record, tagged by `source`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "camelCase")]
pub enum SeedOrigin {
    /// Assigned by the collection contract.
    Chain(ChainSeedOrigin),
    /// Derived from a drand round after the collection's commitment.
    Beacon(BeaconSeedOrigin),
    /// Chosen by the operator: nothing to check.
    Operator,
}

impl SeedOrigin {
    /// The source's name: `chain`, `beacon` or `operator`.
    pub fn source(&self) -> &'static str {
        match self {
            Self::Chain(_) => "chain",
            Self::Beacon(_) => "beacon",
            Self::Operator => "operator",
        }
    }
}

/// A token record's `seed` object: the origin and whether the registry verified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedRecord {
    /// Where the seed came from.
    #[serde(flatten)]
    pub origin: SeedOrigin,
    /// Whether the registry checked the seed against its source when it registered the
    /// token (always false for operator seeds).
    pub verified: bool,
}

/// 32 bytes from `0x` and 64 hex digits.
pub(crate) fn hex32(text: &str, field: &'static str) -> Result<[u8; 32], SeedError> {
    let malformed = SeedError::Malformed { field, expected: "0x and 64 hex digits" };
    let digits = text.strip_prefix("0x").ok_or(malformed.clone())?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out).map_err(|_| malformed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn records_are_tagged_by_source() {
        let operator = SeedRecord { origin: SeedOrigin::Operator, verified: false };
        let json = serde_json::to_value(&operator).unwrap();
        assert_eq!(json, serde_json::json!({ "source": "operator", "verified": false }));
        assert_eq!(serde_json::from_value::<SeedRecord>(json).unwrap(), operator);
        let chain = serde_json::json!({
            "source": "chain", "verified": true, "commitId": 0, "firstTokenId": 1, "count": 5,
            "commitBlock": 10, "randomnessBlock": 12, "randomness": format!("0x{}", "00".repeat(32)),
        });
        let parsed: SeedRecord = serde_json::from_value(chain.clone()).unwrap();
        assert_eq!(parsed.origin.source(), "chain");
        assert!(parsed.verified);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), chain);
        assert!(
            serde_json::from_value::<SeedRecord>(serde_json::json!({ "source": "vrf", "verified": false })).is_err()
        );
    }

    #[test]
    fn hex32_needs_the_prefix_and_64_digits() {
        assert_eq!(hex32(&format!("0x{}", "0f".repeat(32)), "f").unwrap(), [0x0f; 32]);
        for bad in ["", "0x", &"0f".repeat(32), &format!("0x{}", "0f".repeat(31)), &format!("0x{}zz", "0f".repeat(31))]
        {
            assert!(hex32(bad, "f").is_err(), "{bad}");
        }
    }
}
