//! The tokens a spec describes, with their seeds.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{SEED_DOMAIN, SeedKind, Spec};
use crate::error::{CollectionError, Result};

/// One token of the collection, as the spec determines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedToken {
    pub token_id: u64,
    pub seed: [u8; 32],
    /// `beacon` seeds: the round the seed comes from.
    pub beacon: Option<BeaconRound>,
}

/// A drand round: its number and signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconRound {
    pub round: u64,
    pub signature: [u8; 48],
}

impl Spec {
    /// The tokens of a `chain`-seeded collection in order, with the seeds its contract
    /// assigned (`assigned[i]` is token `first_token_id + i`'s).
    pub fn plan_assigned(&self, assigned: &[([u8; 32], Option<BeaconRound>)]) -> Result<Vec<PlannedToken>> {
        let (first, count) = self.token_ids()?;
        if assigned.len() as u64 != count {
            return Err(CollectionError::field(
                "seeds.count",
                format!("is {count}, but the chain assigned {} seeds", assigned.len()),
            ));
        }
        Ok(assigned
            .iter()
            .enumerate()
            .map(|(i, (seed, beacon))| PlannedToken { token_id: first + i as u64, seed: *seed, beacon: *beacon })
            .collect())
    }

    /// The tokens of the collection in order, with their seeds (operator seeds).
    pub fn plan(&self) -> Result<Vec<PlannedToken>> {
        let s = &self.seeds;
        let Some(contract) = &self.collection.contract else {
            return Err(CollectionError::field("collection.contract", "not known until the collection is deployed"));
        };
        let contract =
            parse_address(contract).map_err(|reason| CollectionError::field("collection.contract", reason))?;
        if s.kind != SeedKind::Operator {
            return Err(CollectionError::field(
                "seeds.kind",
                "chain and beacon seeds are read from the collection contract and the beacon",
            ));
        }
        let (_, count) = self.token_ids()?;

        let explicit = match &s.seeds {
            Some(list) => {
                if s.salt.is_some() {
                    return Err(CollectionError::field(
                        "seeds.salt",
                        "only used for derived seeds; remove it or remove seeds.seeds",
                    ));
                }
                let mut seen = HashMap::new();
                let mut seeds = Vec::with_capacity(list.len());
                for (i, text) in list.iter().enumerate() {
                    let seed = provreg_prover_client::seed::parse_seed(text.trim())
                        .map_err(|e| CollectionError::field(format!("seeds.seeds[{i}]"), e.to_string()))?;
                    if let Some(first) = seen.insert(seed, i) {
                        return Err(CollectionError::field(
                            format!("seeds.seeds[{i}]"),
                            format!("repeats seeds.seeds[{first}]; every token needs its own seed"),
                        ));
                    }
                    seeds.push(seed);
                }
                Some(seeds)
            }
            None => None,
        };
        let salt = match (&explicit, &s.salt) {
            (None, None) => {
                return Err(CollectionError::field(
                    "seeds.salt",
                    "missing (derived seeds need a salt; or list seeds in seeds.seeds)",
                ));
            }
            (None, Some(salt)) => salt.as_str(),
            (Some(_), _) => "",
        };

        let mut plan = Vec::with_capacity(count as usize);
        for i in 0..count {
            let index = i as usize;
            let token_id = s.first_token_id + i;
            let seed = match &explicit {
                Some(seeds) => seeds[index],
                None => derive_seed(self.collection.chain_id, &contract, token_id, salt),
            };
            plan.push(PlannedToken { token_id, seed, beacon: None });
        }
        Ok(plan)
    }
}

/// The seed of token `token_id`: `SHA-256("provreg.collection.v1" ‖ chain_id (8 bytes BE) ‖
/// contract (20 bytes) ‖ token_id (32 bytes BE) ‖ salt (UTF-8))`.
pub fn derive_seed(chain_id: i64, contract: &[u8; 20], token_id: u64, salt: &str) -> [u8; 32] {
    let mut id = [0u8; 32];
    id[24..].copy_from_slice(&token_id.to_be_bytes());
    Sha256::new()
        .chain_update(SEED_DOMAIN)
        .chain_update(chain_id.to_be_bytes())
        .chain_update(contract)
        .chain_update(id)
        .chain_update(salt.as_bytes())
        .finalize()
        .into()
}

/// An address written as `0x` and 40 hex digits (either case); the error says what is
/// wrong with it.
pub(crate) fn parse_address(text: &str) -> std::result::Result<[u8; 20], String> {
    let Some(digits) = text.strip_prefix("0x") else {
        return Err(format!("an address is 0x followed by 40 hex digits, got {text:?}"));
    };
    let mut address = [0u8; 20];
    if digits.len() != 40 {
        return Err(format!("an address is 0x followed by 40 hex digits, got {} digits", digits.len()));
    }
    hex::decode_to_slice(digits, &mut address)
        .map_err(|e| format!("an address is 0x followed by 40 hex digits: {e}"))?;
    Ok(address)
}
