//! `anchor` and `anchor.chain`: the entry's batch is confirmed on chain, at the registry's
//! contract, and (with an RPC URL) the chain itself says so.
use std::collections::HashMap;
use std::time::Duration;

use provreg_anchor::alloy_types::{Address, B256, TxHash};
use provreg_anchor::batch_commitment;

use crate::bundle::EvidenceAnchor;
use crate::checks::Checks;
use crate::parse::ParsedRecord;
use crate::report::{CheckName, Status};
use crate::{CheckError, VerifyOptions, parse_digest};

/// How long one look-up on the chain may take.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) async fn check(
    checks: &mut Checks,
    r: &ParsedRecord<'_>,
    opts: &VerifyOptions,
    chain_cache: &mut HashMap<EvidenceAnchor, Result<String, CheckError>>,
) {
    let me = &r.reference;
    let confirmed = match &r.record.anchor {
        None => {
            checks.with(CheckName::Anchor, me, Status::Unconfirmed, "not yet anchored");
            None
        }
        Some(a) => match confirmed(a, opts.contract.as_deref()) {
            Ok(Some(detail)) => {
                checks.push(CheckName::Anchor, me, Ok(detail));
                Some(a)
            }
            Ok(None) => {
                checks.with(
                    CheckName::Anchor,
                    me,
                    Status::Unconfirmed,
                    format!("the batch is {} but not confirmed on chain yet", a.status),
                );
                None
            }
            Err(e) => {
                checks.push(CheckName::Anchor, me, Err(e));
                None
            }
        },
    };

    // anchor.chain: only an anchor read back from the chain, at a contract the verifier was
    // told is the registry's, makes the entry valid (anyone can deploy a contract and anchor
    // any leaves on it, and a status event has no certificate: its anchor is its proof).
    match (&opts.rpc_url, confirmed) {
        (None, _) => checks.with(
            CheckName::AnchorChain,
            me,
            Status::Unconfirmed,
            "not compared with the chain (no RPC URL given): the anchor is the bundle's own claim",
        ),
        (Some(_), None) => {
            checks.with(CheckName::AnchorChain, me, Status::Unconfirmed, "no confirmed anchor to look up")
        }
        (Some(rpc), Some(a)) => {
            let result = match chain_cache.get(a) {
                Some(cached) => cached.clone(),
                None => {
                    let result = match tokio::time::timeout(CHAIN_TIMEOUT, read_back(rpc, a)).await {
                        Ok(r) => r,
                        Err(_) => Err(CheckError::ChainTimeout(rpc.clone(), CHAIN_TIMEOUT.as_secs())),
                    };
                    chain_cache.insert(a.clone(), result.clone());
                    result
                }
            };
            match (result, &opts.contract) {
                (Ok(detail), None) => checks.with(
                    CheckName::AnchorChain,
                    me,
                    Status::Unconfirmed,
                    format!(
                        "{detail}; but that contract is only the bundle's claim: give the registry's contract \
                         address to pin it"
                    ),
                ),
                (result, _) => checks.push(CheckName::AnchorChain, me, result),
            }
        }
    }
}

/// `Ok(Some(detail))` for a confirmed anchor (at `contract`, when given), `Ok(None)` for one
/// not confirmed yet.
fn confirmed(a: &EvidenceAnchor, contract: Option<&str>) -> Result<Option<String>, CheckError> {
    if let Some(expected) = contract.map(str::trim)
        && !expected.eq_ignore_ascii_case(&a.contract)
    {
        return Err(CheckError::WrongContract { found: a.contract.clone(), expected: expected.to_owned() });
    }
    match (a.status.as_str(), &a.tx_hash, a.block_number, a.batch_id) {
        ("confirmed", Some(tx), Some(block), Some(batch)) => Ok(Some(format!(
            "batch {batch} (seq {}..{}) confirmed in block {block}, transaction {tx}, contract {} on chain {}",
            a.first_seq,
            i128::from(a.first_seq) + i128::from(a.size) - 1,
            a.contract,
            a.chain_id
        ))),
        ("confirmed", ..) => Err(CheckError::ConfirmedIncomplete),
        ("pending" | "sent", ..) => Ok(None),
        (other, ..) => Err(CheckError::UnknownAnchorStatus(other.to_owned())),
    }
}

fn non_negative(field: &'static str, value: i64) -> Result<u64, CheckError> {
    u64::try_from(value).map_err(|_| CheckError::Negative { field, value })
}

/// Reads the anchor back from the chain at `rpc`.
async fn read_back(rpc: &str, a: &EvidenceAnchor) -> Result<String, CheckError> {
    let read = |e: String| CheckError::ChainRead(e);
    let contract: Address =
        a.contract.parse().map_err(|e| read(format!("contract {:?} is not an address: {e}", a.contract)))?;
    let (Some(tx), Some(block), Some(batch)) = (&a.tx_hash, a.block_number, a.batch_id) else {
        return Err(CheckError::ConfirmedIncomplete);
    };
    let tx: TxHash = tx.parse().map_err(|e| read(format!("transaction {tx:?} is not a hash: {e}")))?;
    let block = non_negative("block", block)?;
    let batch = non_negative("batch", batch)?;
    let size = non_negative("size", a.size)?;
    let first_seq = non_negative("first seq", a.first_seq)?;
    let root = parse_digest(&a.root).ok_or_else(|| CheckError::BadRoot(a.root.clone()))?;
    let chain = provreg_anchor::ChainReader::connect(rpc, contract).map_err(|e| read(e.to_string()))?;
    let chain_id = chain.chain_id().await.map_err(|e| read(format!("asking {rpc} for its chain ID: {e}")))?;
    if i64::try_from(chain_id).ok() != Some(a.chain_id) {
        return Err(CheckError::ChainId { served: chain_id, anchor: a.chain_id });
    }
    let stored = chain
        .batch(batch)
        .await
        .map_err(|e| read(format!("reading batch {batch} from contract {}: {e}", a.contract)))?
        .ok_or_else(|| CheckError::NoBatch { contract: a.contract.clone(), batch })?;
    let expected = B256::from(batch_commitment(&root, size));
    if stored != expected {
        return Err(CheckError::Commitment {
            contract: a.contract.clone(),
            batch,
            stored: stored.to_string(),
            expected: expected.to_string(),
        });
    }
    let events = chain
        .anchored_events(block)
        .await
        .map_err(|e| read(format!("reading Anchored events of contract {} from block {block}: {e}", a.contract)))?;
    let event = events
        .iter()
        .find(|e| e.tx_hash == Some(tx))
        .ok_or_else(|| CheckError::NoAnchoredEvent { tx: tx.to_string(), contract: a.contract.clone() })?;
    let stated = (batch, B256::from(root), first_seq, size, Some(block));
    let found = (event.batch_id, event.root, event.first_seq, event.size, event.block_number);
    if stated != found {
        return Err(CheckError::EventMismatch {
            tx: tx.to_string(),
            found: format!(
                "batch {}, root {}, first seq {}, size {} in block {:?}",
                event.batch_id, event.root, event.first_seq, event.size, event.block_number
            ),
            stated: format!("batch {batch}, root {}, first seq {first_seq}, size {size} in block {block}", a.root),
        });
    }
    Ok(format!(
        "contract {} on chain {chain_id} stores the commitment of batch {batch}; transaction {tx} anchored it in block {block}",
        a.contract
    ))
}
