//! Chain-assigned seeds (`CHAIN`): the collection contract assigns them. The minter commits
//! to a range of token IDs in block `c`; once block `r = c + delay` is mined, anyone reveals
//! the range's randomness, `blockhash(r)`, and the seed of token `t` is
//!
//! `SHA-256("provreg.chain-seed.v1" ‖ chain_id ‖ contract ‖ randomness ‖ t)`
//!
//! with `chain_id` 8 bytes big-endian, `contract` the address's 20 bytes, `randomness` 32
//! bytes and `t` 32 bytes big-endian (a uint256). The contract computes the same (`seedOf`)
//! and mints a token only with its seed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::SeedError;

/// Domain separation prefix of chain-assigned seeds.
pub const DOMAIN: &[u8] = b"provreg.chain-seed.v1";

/// The seed of token `token_id` of the collection `contract` on chain `chain_id` whose range
/// was revealed with `randomness`.
pub fn chain_seed(chain_id: u64, contract: &[u8; 20], randomness: &[u8; 32], token_id: u64) -> [u8; 32] {
    let mut t = [0u8; 32];
    t[24..].copy_from_slice(&token_id.to_be_bytes());
    Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(chain_id.to_be_bytes())
        .chain_update(contract)
        .chain_update(randomness)
        .chain_update(t)
        .finalize()
        .into()
}

/// What a chain-assigned seed came from, as the registry read it from the chain when it
/// registered the token (the token record's `seed` object, without `source` and
/// `verified`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainSeedOrigin {
    /// The commitment's ID in the collection (0, 1, …).
    pub commit_id: u64,
    /// The first token of the committed range.
    pub first_token_id: u64,
    /// How many tokens the range holds.
    pub count: u64,
    /// The block of the commitment.
    pub commit_block: u64,
    /// The `commitSeeds` transaction, `0x` hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_tx: Option<String>,
    /// The block whose hash is the randomness (`commit_block` + the collection's delay).
    pub randomness_block: u64,
    /// That block's hash, `0x` and 64 hex digits.
    pub randomness: String,
    /// The `revealSeeds` transaction, `0x` hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal_tx: Option<String>,
    /// Its block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal_block: Option<u64>,
}

impl ChainSeedOrigin {
    /// The randomness as bytes.
    pub fn randomness_bytes(&self) -> Result<[u8; 32], SeedError> {
        crate::hex32(&self.randomness, "randomness")
    }

    /// Checks that `seed` is the seed this origin assigns to `token_id` of `contract` on
    /// `chain_id`: the token is in the committed range, the randomness block comes after the
    /// commitment (and the reveal after the randomness block), and the seed is the
    /// derivation's.
    pub fn check(&self, chain_id: u64, contract: &[u8; 20], token_id: u64, seed: &[u8; 32]) -> Result<(), SeedError> {
        let in_range = token_id >= self.first_token_id && token_id - self.first_token_id < self.count;
        if !in_range {
            return Err(SeedError::NotCommitted { token_id, first: self.first_token_id, count: self.count });
        }
        if self.randomness_block <= self.commit_block {
            return Err(SeedError::Order(format!(
                "the randomness block {} is not after the commitment's block {}",
                self.randomness_block, self.commit_block
            )));
        }
        if let Some(reveal) = self.reveal_block
            && reveal <= self.randomness_block
        {
            return Err(SeedError::Order(format!(
                "the reveal in block {reveal} is not after the randomness block {}",
                self.randomness_block
            )));
        }
        let expected = chain_seed(chain_id, contract, &self.randomness_bytes()?, token_id);
        if &expected != seed {
            return Err(SeedError::WrongSeed { expected: format!("0x{}", hex::encode(expected)) });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn origin() -> ChainSeedOrigin {
        ChainSeedOrigin {
            commit_id: 0,
            first_token_id: 1,
            count: 5,
            commit_block: 10,
            commit_tx: None,
            randomness_block: 12,
            randomness: format!("0x{}", "ab".repeat(32)),
            reveal_tx: None,
            reveal_block: Some(13),
        }
    }

    /// Computed independently:
    ///
    /// ```python
    /// import hashlib
    /// def seed(chain_id, contract, randomness, t):
    ///     return hashlib.sha256(b"provreg.chain-seed.v1" + chain_id.to_bytes(8, "big") + contract
    ///                           + randomness + t.to_bytes(32, "big")).hexdigest()
    /// print(seed(31337, bytes.fromhex("5fc8d32690cc91d4c39d9d3abcbd16989f875707"), bytes(range(32)), 1))
    /// print(seed(1, b"\x11" * 20, b"\xff" * 32, 2**64 - 1))
    /// print(seed(31337, bytes.fromhex("5fc8d32690cc91d4c39d9d3abcbd16989f875707"), b"\xab" * 32, 3))
    /// ```
    #[test]
    fn known_answers() {
        let contract: [u8; 20] = hex::decode("5fc8d32690cc91d4c39d9d3abcbd16989f875707").unwrap().try_into().unwrap();
        let counting: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(hex::encode(chain_seed(31337, &contract, &counting, 1)), KAT[0]);
        assert_eq!(hex::encode(chain_seed(1, &[0x11; 20], &[0xff; 32], u64::MAX)), KAT[1]);
        assert_eq!(hex::encode(chain_seed(31337, &contract, &[0xab; 32], 3)), KAT[2]);
    }

    const KAT: [&str; 3] = [
        "c6f6d3c174aff7191e22eff22355085276b965911b1014deace58402dff7093f",
        "b2ea4db542fd77657cdc235feabb2fac63743918999fa4e497e1d8a3b99b758b",
        "eb60d2d8cdc2a6081213214cf4c289c907c9d18426b789b3e5c01908e1da84aa",
    ];

    #[test]
    fn checks_range_order_and_seed() {
        let contract = [0x22u8; 20];
        let o = origin();
        let seed = chain_seed(31337, &contract, &[0xab; 32], 3);
        o.check(31337, &contract, 3, &seed).unwrap();
        let mut off = seed;
        off[31] ^= 1;
        assert!(matches!(o.check(31337, &contract, 3, &off), Err(SeedError::WrongSeed { .. })));
        // Another token's seed, another chain, another contract.
        assert!(matches!(o.check(31337, &contract, 4, &seed), Err(SeedError::WrongSeed { .. })));
        assert!(matches!(o.check(1, &contract, 3, &seed), Err(SeedError::WrongSeed { .. })));
        assert!(matches!(o.check(31337, &[0x23; 20], 3, &seed), Err(SeedError::WrongSeed { .. })));
        // Outside the range: 0 and 6.
        for t in [0, 6] {
            let s = chain_seed(31337, &contract, &[0xab; 32], t);
            assert!(matches!(o.check(31337, &contract, t, &s), Err(SeedError::NotCommitted { .. })), "{t}");
        }
        let early = ChainSeedOrigin { randomness_block: 10, ..origin() };
        assert!(matches!(early.check(31337, &contract, 3, &seed), Err(SeedError::Order(_))));
        let reveal_early = ChainSeedOrigin { reveal_block: Some(12), ..origin() };
        assert!(matches!(reveal_early.check(31337, &contract, 3, &seed), Err(SeedError::Order(_))));
        let bad = ChainSeedOrigin { randomness: "0x12".into(), ..origin() };
        assert!(matches!(bad.check(31337, &contract, 3, &seed), Err(SeedError::Malformed { .. })));
    }

    #[test]
    fn the_origin_round_trips_as_camel_case_json() {
        let json = serde_json::to_value(origin()).unwrap();
        assert_eq!(json["firstTokenId"], 1);
        assert_eq!(json["randomnessBlock"], 12);
        assert!(json.get("commitTx").is_none());
        assert_eq!(serde_json::from_value::<ChainSeedOrigin>(json).unwrap(), origin());
    }
}
