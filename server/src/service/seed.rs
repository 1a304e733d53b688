//! A token's seed checked against its source when the token is registered
//! ([`Registry::check_seed`]): `CHAIN` seeds against the collection contract's commitment and
//! the randomness block's hash, `BEACON` seeds against the commitment and the trusted drand
//! beacon's signature of the first round after it; `OPERATOR` seeds are accepted unverified.
//! The result is the token record's `seed` object ([`SeedRecord`]).
use provreg_anchor::alloy_types::{Address, U256};
use provreg_anchor::{CollectionReader, SeedCommitment, SeedMode};
use provreg_entities::collection;
use provreg_seed::beacon::{self, BeaconKey};
use provreg_seed::{BeaconSeedOrigin, ChainSeedOrigin, SeedError, SeedOrigin, SeedRecord};

use super::Registry;
use super::collection::seed_mode;
use super::mint::unreachable;
use crate::error::{AppError, AppResult};
use crate::payload::{SeedSource, SeedSourceKind};

/// The registration's token, as [`Registry::check_seed`] reads it.
pub(crate) struct SeededToken<'a> {
    pub chain_id: i64,
    /// Lower-case `0x` hex.
    pub contract: &'a str,
    /// Decimal, normalised.
    pub token_id: &'a str,
    pub seed: &'a [u8; 32],
    pub source: &'a SeedSource,
}

/// A refusal of the seed itself.
fn wrong_seed(token: &SeededToken<'_>, kind: &str, e: SeedError) -> AppError {
    let (pointer, rule) = match &e {
        SeedError::WrongSeed { .. } => ("/inputSeed", "seedSource"),
        SeedError::NotCommitted { .. } => ("/tokenId", "seedCommitment"),
        SeedError::Order(_) if kind == "beacon" => ("/seedSource/round", "afterCommitment"),
        SeedError::Order(_) => ("/seedSource", "afterCommitment"),
        SeedError::Beacon(_) | SeedError::Malformed { .. } => ("/seedSource/signature", "signature"),
    };
    AppError::bad_input(pointer, rule, format!("token {}'s {kind} seed: {e}", token.token_id))
}

impl Registry {
    /// Checks the registration's seed against its source; nothing is stored either way.
    ///
    /// - `OPERATOR`: accepted unverified, unless the token's collection assigns its seeds
    ///   (`/seedSource/kind`, rule `collection`).
    /// - `CHAIN`: the token's contract must be a recorded collection whose seeds the chain
    ///   assigns (`/seedSource/kind`, rule `collection`); a committed range must hold the
    ///   token (`/tokenId`, rule `seedCommitment`), its randomness must be revealed, with the
    ///   configured confirmations (`/seedSource`, rule `confirmations`), and equal to the hash
    ///   of the randomness block (`/seedSource`, rule `onChain`); the seed must be the
    ///   derivation's (`/inputSeed`, rule `seedSource`).
    /// - `BEACON`: a recorded collection of beacon seeds; the round and signature given
    ///   (`/seedSource/round`, `/seedSource/signature`, rule `required`); the commitment final
    ///   (rule `confirmations`); the round the first published after the commitment's block
    ///   (`/seedSource/round`, rule `afterCommitment`); the signature the trusted beacon's
    ///   (`/seedSource/signature`, rule `signature`); the seed the derivation's (`/inputSeed`).
    pub(crate) async fn check_seed(
        &self,
        collection: Option<&collection::Model>,
        token: &SeededToken<'_>,
    ) -> AppResult<SeedRecord> {
        let mode = collection.map(seed_mode).transpose()?.unwrap_or(SeedMode::Operator);
        let kind = token.source.kind;
        let expected = SeedSourceKind::from(mode);
        if kind != SeedSourceKind::Beacon && (token.source.round.is_some() || token.source.signature.is_some()) {
            return Err(AppError::bad_input(
                "/seedSource/round",
                "seedSource",
                "only BEACON seeds have a round and a signature",
            ));
        }
        if kind != expected {
            let message = match (collection, kind) {
                (None, _) => format!(
                    "a {} seed needs a collection the registry deployed with {} seeds; contract {} is not one",
                    kind.as_str(),
                    kind.as_str(),
                    token.contract
                ),
                (Some(c), _) => {
                    format!("collection {} takes {} seeds, not {} seeds", c.address, expected.as_str(), kind.as_str())
                }
            };
            return Err(AppError::bad_input("/seedSource/kind", "collection", message));
        }
        let Some(collection) = collection else {
            return Ok(SeedRecord { origin: SeedOrigin::Operator, verified: false });
        };
        if kind == SeedSourceKind::Operator {
            return Ok(SeedRecord { origin: SeedOrigin::Operator, verified: false });
        }
        let token_id: u64 = token
            .token_id
            .parse()
            .map_err(|_| AppError::bad_input("/tokenId", "seedCommitment", "committed token IDs are below 2^64"))?;
        let chain = self.collection_chain()?;
        let address: Address = collection
            .address
            .parse()
            .map_err(|e| AppError::Internal(format!("recorded collection address {:?}: {e}", collection.address)))?;
        let reader = CollectionReader::connect(&chain.access.rpc_url, address)
            .map_err(unreachable("the seed commitments of collection", collection))?;
        let Some(commitment) = reader
            .seed_commitment_of(U256::from(token_id))
            .await
            .map_err(unreachable("the seed commitments of collection", collection))?
        else {
            return Err(AppError::bad_input(
                "/tokenId",
                "seedCommitment",
                format!(
                    "collection {} holds no seed commitment for token {token_id}: commit its range with commitSeeds \
                     first",
                    collection.address
                ),
            ));
        };
        let head =
            reader.block_number().await.map_err(unreachable("the seed commitments of collection", collection))?;
        let confirmations = chain.access.confirmations.max(1);
        let unconfirmed = |what: String, block: u64| {
            let have = (head + 1).saturating_sub(block);
            (have < confirmations).then(|| {
                AppError::bad_input(
                    "/seedSource",
                    "confirmations",
                    format!(
                        "{what} is in block {block}, which has {have} of the {confirmations} confirmations required; \
                         register the token again later"
                    ),
                )
            })
        };
        let chain_id = u64::try_from(token.chain_id).map_err(AppError::from_display)?;
        let contract: [u8; 20] = address.into();
        let origin = match mode {
            SeedMode::Chain { delay } => {
                let origin = self.chain_origin(&reader, collection, &commitment, delay).await?;
                if let Some(e) = unconfirmed(
                    format!("the reveal of seed commitment {}", commitment.commit_id),
                    origin.reveal_block.unwrap_or(u64::MAX),
                ) {
                    return Err(e);
                }
                origin.check(chain_id, &contract, token_id, token.seed).map_err(|e| wrong_seed(token, "chain", e))?;
                SeedOrigin::Chain(origin)
            }
            SeedMode::Beacon => {
                if let Some(e) =
                    unconfirmed(format!("seed commitment {}", commitment.commit_id), commitment.commit_block)
                {
                    return Err(e);
                }
                let origin = self.beacon_origin(token, &commitment)?;
                origin
                    .check(self.beacon(), chain_id, &contract, token_id, token.seed)
                    .map_err(|e| wrong_seed(token, "beacon", e))?;
                SeedOrigin::Beacon(origin)
            }
            SeedMode::Operator => SeedOrigin::Operator,
        };
        Ok(SeedRecord { origin, verified: true })
    }

    /// A `CHAIN` commitment's origin, read from the chain: its transactions, and its revealed
    /// randomness checked against the randomness block's hash.
    async fn chain_origin(
        &self,
        reader: &CollectionReader,
        collection: &collection::Model,
        commitment: &SeedCommitment,
        delay: u64,
    ) -> AppResult<ChainSeedOrigin> {
        let not_revealed = || {
            AppError::bad_input(
                "/seedSource",
                "confirmations",
                format!(
                    "the randomness of seed commitment {} of collection {} is not revealed yet (revealSeeds, once block \
                     {} is mined); register the token again later",
                    commitment.commit_id,
                    collection.address,
                    commitment.commit_block + delay
                ),
            )
        };
        let Some(randomness) = commitment.randomness else { return Err(not_revealed()) };
        let from_block = u64::try_from(collection.deploy_block).unwrap_or_default();
        let events = reader
            .seed_events(commitment.commit_id, from_block)
            .await
            .map_err(unreachable("the seed commitments of collection", collection))?;
        let Some(events) = events else { return Err(not_revealed()) };
        let Some((reveal_tx, reveal_block)) = events.reveal else { return Err(not_revealed()) };
        let randomness_block = commitment.commit_block + delay;
        if events.randomness_block != randomness_block {
            return Err(AppError::Internal(format!(
                "seed commitment {} names randomness block {}, not {randomness_block}",
                commitment.commit_id, events.randomness_block
            )));
        }
        let block = reader
            .block(randomness_block)
            .await
            .map_err(unreachable("the seed commitments of collection", collection))?;
        if block.map(|(hash, _)| hash) != Some(randomness) {
            return Err(AppError::bad_input(
                "/seedSource",
                "onChain",
                format!(
                    "the revealed randomness {randomness:#x} of seed commitment {} is not the hash of block \
                     {randomness_block}",
                    commitment.commit_id
                ),
            ));
        }
        Ok(ChainSeedOrigin {
            commit_id: commitment.commit_id,
            first_token_id: commitment.first_token_id,
            count: commitment.count,
            commit_block: commitment.commit_block,
            commit_tx: events.commit_tx.map(|t| format!("{t:#x}")),
            randomness_block,
            randomness: format!("{randomness:#x}"),
            reveal_tx: Some(format!("{reveal_tx:#x}")),
            reveal_block: Some(reveal_block),
        })
    }

    /// A `BEACON` seed's origin: the commitment and the given round and signature.
    fn beacon_origin(&self, token: &SeededToken<'_>, commitment: &SeedCommitment) -> AppResult<BeaconSeedOrigin> {
        let key = self.beacon();
        let expected = beacon::seed_round(key, commitment.commit_time);
        let round = token.source.round.ok_or_else(|| {
            AppError::bad_input(
                "/seedSource/round",
                "required",
                format!(
                    "a BEACON seed needs its drand round: round {expected}, the first after the commitment's margin"
                ),
            )
        })?;
        let round = u64::try_from(round)
            .ok()
            .filter(|r| *r > 0)
            .ok_or_else(|| AppError::bad_input("/seedSource/round", "minimum", "a drand round is at least 1"))?;
        let signature = token.source.signature.as_deref().ok_or_else(|| {
            AppError::bad_input("/seedSource/signature", "required", "a BEACON seed needs its round's signature")
        })?;
        let digits = signature.strip_prefix("0x").unwrap_or(signature).to_ascii_lowercase();
        Ok(BeaconSeedOrigin {
            commit_id: commitment.commit_id,
            first_token_id: commitment.first_token_id,
            count: commitment.count,
            commit_block: commitment.commit_block,
            commit_time: commitment.commit_time,
            round,
            signature: format!("0x{digits}"),
            beacon_key: key.public_key_hex(),
            genesis_time: key.genesis_time(),
            period: key.period(),
            local_beacon: key.is_local_development(),
        })
    }

    /// The drand beacon whose rounds `BEACON` seeds must come from (quicknet unless
    /// configured otherwise).
    pub(crate) fn beacon(&self) -> &BeaconKey {
        self.beacon.as_deref().unwrap_or(&BeaconKey::QUICKNET)
    }
}
