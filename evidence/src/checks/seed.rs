//! `seed.source`: the token's seed is its source's seed for the token.
//!
//! The token record's `seed` object (signed with it) says where the seed came from:
//! - `chain`: offline, the seed is the derivation from the revealed randomness, the token is in
//!   the committed range and the randomness block is the collection's delay after the
//!   commitment; with `--rpc`, the contract holds that commitment and randomness, the
//!   randomness is the randomness block's hash, and the contract's `seedOf` is the seed.
//! - `beacon`: the round is the first after the commitment, its signature verifies under the
//!   trusted beacon key (quicknet unless `--beacon-key` names another) and the seed is the
//!   derivation's; with `--rpc`, the contract holds that commitment at that time.
//! - `operator` (or a record made before seeds were verified): skipped, saying the seed is
//!   unverified.
use provreg_anchor::CollectionReader;
use provreg_anchor::alloy_types::{Address, U256};
use provreg_schema::RecordKind;
use provreg_seed::{BeaconKey, SeedOrigin, SeedRecord};

use crate::CheckError;
use crate::checks::Checks;
use crate::options::VerifyOptions;
use crate::parse::{CollectionPayload, ParsedBundle, TokenPayload};
use crate::report::{CheckName, Status};

pub(super) async fn check(checks: &mut Checks, parsed: &ParsedBundle<'_>, opts: &VerifyOptions) {
    let token_ref = &parsed.token_ref;
    let Some(token) = parsed.records.iter().find(|r| &r.reference == token_ref).and_then(|r| r.token()) else {
        return; // the bundle and zk checks report an unreadable token
    };
    let Some(seed) = &token.seed else {
        let kind = token.seed_source.as_ref().map(|s| s.kind.as_str()).unwrap_or("unknown");
        let detail = format!(
            "the token was registered before seeds were verified: its seed source ({kind}) is a label nothing \
             checked; unverified"
        );
        checks.with(CheckName::SeedSource, token_ref, Status::Skipped, detail);
        return;
    };
    let record: SeedRecord = match serde_json::from_value(seed.clone()) {
        Ok(record) => record,
        Err(e) => {
            checks.push(CheckName::SeedSource, token_ref, Err(CheckError::SeedSource(format!("unreadable: {e}"))));
            return;
        }
    };
    if let SeedOrigin::Operator = record.origin {
        let detail = "the seed was chosen by the operator: unverified (nothing shows it was not picked for its traits)";
        checks.with(CheckName::SeedSource, token_ref, Status::Skipped, detail);
        return;
    }
    let collection = parsed
        .records
        .iter()
        .filter(|r| r.reference.kind == RecordKind::Collection)
        .filter_map(|r| r.collection())
        .find(|c| c.chain_id == token.chain_id && c.address.eq_ignore_ascii_case(&token.contract));
    let result = match collection {
        None => Err(CheckError::SeedSource(format!(
            "a {} seed is assigned through a collection the registry deployed, but the bundle carries no collection \
             record of {}",
            record.origin.source(),
            token.contract
        ))),
        Some(c) => check_origin(&record, token, c, opts).await,
    };
    match result {
        Ok((status, detail)) => checks.with(CheckName::SeedSource, token_ref, status, detail),
        Err(e) => checks.push(CheckName::SeedSource, token_ref, Err(e)),
    }
}

async fn check_origin(
    record: &SeedRecord,
    token: &TokenPayload,
    collection: &CollectionPayload,
    opts: &VerifyOptions,
) -> Result<(Status, String), CheckError> {
    let fail = |why: String| CheckError::SeedSource(why);
    if !record.verified {
        return Err(fail(format!("the record says its {} seed was not verified", record.origin.source())));
    }
    let stated = collection.seeds.as_ref().map(|s| s.source.as_str()).unwrap_or("operator");
    if stated != record.origin.source() {
        return Err(fail(format!(
            "the token says its seed is a {} seed, but its collection takes {stated} seeds",
            record.origin.source()
        )));
    }
    let seed = provreg_prover_client::seed::parse_seed(&token.input_seed).map_err(|e| fail(e.to_string()))?;
    let chain_id = u64::try_from(token.chain_id).map_err(|e| fail(format!("chain ID: {e}")))?;
    let address: Address = collection.address.parse().map_err(|e| fail(format!("collection address: {e}")))?;
    let contract: [u8; 20] = address.into();
    let token_id: u64 =
        token.token_id.parse().map_err(|_| fail(format!("token ID {} is not below 2^64", token.token_id)))?;
    let reader = match &opts.rpc_url {
        Some(rpc) => Some(CollectionReader::connect(rpc, address).map_err(|e| fail(e.to_string()))?),
        None => None,
    };
    match &record.origin {
        SeedOrigin::Chain(origin) => {
            let delay = collection.seeds.as_ref().and_then(|s| s.delay).unwrap_or_default();
            if origin.commit_block.checked_add(delay) != Some(origin.randomness_block) {
                return Err(fail(format!(
                    "the randomness block {} is not the collection's delay of {delay} blocks after the commitment's \
                     block {}",
                    origin.randomness_block, origin.commit_block
                )));
            }
            origin.check(chain_id, &contract, token_id, &seed).map_err(|e| fail(e.to_string()))?;
            let offline = format!(
                "chain seed: token {token_id} of commitment {} (block {}), derived from the hash of block {}",
                origin.commit_id, origin.commit_block, origin.randomness_block
            );
            let Some(reader) = reader else {
                return Ok((
                    Status::Unconfirmed,
                    format!(
                        "{offline}; no --rpc: that the hash is block {}'s is the record's word",
                        origin.randomness_block
                    ),
                ));
            };
            let on_chain = |e: provreg_anchor::AnchorError| fail(format!("reading the chain: {e}"));
            let held = reader.seed_commitment(origin.commit_id).await.map_err(on_chain)?;
            let Some(held) = held else {
                return Err(fail(format!("the collection holds no seed commitment {}", origin.commit_id)));
            };
            if (held.first_token_id, held.count, held.commit_block)
                != (origin.first_token_id, origin.count, origin.commit_block)
            {
                return Err(fail(format!(
                    "the collection's commitment {} is of {} tokens from {} in block {}, not the record's",
                    origin.commit_id, held.count, held.first_token_id, held.commit_block
                )));
            }
            let block = reader.block(origin.randomness_block).await.map_err(on_chain)?;
            let hash = block.map(|(hash, _)| format!("{hash:#x}"));
            if hash.as_deref() != Some(origin.randomness.as_str()) {
                return Err(fail(format!(
                    "the hash of block {} is {}, not the record's randomness {}",
                    origin.randomness_block,
                    hash.as_deref().unwrap_or("unknown"),
                    origin.randomness
                )));
            }
            if held.randomness.map(|r| format!("{r:#x}")).as_deref() != Some(origin.randomness.as_str()) {
                return Err(fail("the collection holds other randomness for the commitment".to_owned()));
            }
            let assigned = reader.seed_of(U256::from(token_id)).await.map_err(on_chain)?;
            if assigned.0 != seed {
                return Err(fail(format!("the collection assigns seed {assigned:#x} to token {token_id}")));
            }
            Ok((Status::Passed, format!("{offline}; the chain holds the commitment, the hash and the seed")))
        }
        SeedOrigin::Beacon(origin) => {
            let key = match &opts.beacon {
                Some(key) => *key,
                None if origin.local_beacon => {
                    return Ok((
                        Status::Unconfirmed,
                        "beacon seed from a local development beacon, whose seeds prove nothing; pass --beacon-key to \
                         check it against that key"
                            .to_owned(),
                    ));
                }
                None => BeaconKey::QUICKNET,
            };
            origin.check(&key, chain_id, &contract, token_id, &seed).map_err(|e| fail(e.to_string()))?;
            let offline = format!(
                "beacon seed: drand round {} signed by {} beacon {}…, the first round after commitment {} (block {})",
                origin.round,
                key.origin(),
                &origin.beacon_key[..16.min(origin.beacon_key.len())],
                origin.commit_id,
                origin.commit_block
            );
            if key.is_local_development() {
                return Ok((
                    Status::Unconfirmed,
                    format!("{offline}; a key other than a drand network's proves nothing about the seed"),
                ));
            }
            let Some(reader) = reader else {
                return Ok((
                    Status::Unconfirmed,
                    format!("{offline}; no --rpc: the commitment's time is the record's word"),
                ));
            };
            let on_chain = |e: provreg_anchor::AnchorError| fail(format!("reading the chain: {e}"));
            let held = reader.seed_commitment(origin.commit_id).await.map_err(on_chain)?;
            match held {
                Some(h)
                    if (h.first_token_id, h.count, h.commit_block, h.commit_time)
                        == (origin.first_token_id, origin.count, origin.commit_block, origin.commit_time) =>
                {
                    Ok((Status::Passed, format!("{offline}; the chain holds the commitment at that time")))
                }
                _ => Err(fail(format!("the collection does not hold the record's commitment {}", origin.commit_id))),
            }
        }
        SeedOrigin::Operator => Ok((Status::Skipped, "operator seed".to_owned())),
    }
}
