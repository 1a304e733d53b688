//! Bundles of a state-anchored log (a `ProvenanceLog` contract): `log.inclusion` of each
//! entry in the whole log's RFC 6962 tree, `anchor` / `anchor.chain` of the state, and the two
//! checks only states make possible: `status.complete` (every record in the lineage has a
//! status-map proof, and the bundle holds exactly the status events the map says are the
//! latest) and `anchor.latest` (the state is the contract's latest, or recent enough).
use std::collections::HashMap;
use std::time::Duration;

use provreg_anchor::alloy_types::{Address, B256};
use provreg_anchor::{Digest, LogInclusionProof, LogReader, LogState, StateEvent, StatusProof, status_key};
use provreg_schema::RecordKind;

use crate::bundle::{EvidenceLogState, RecordRef};
use crate::checks::Checks;
use crate::parse::{ParsedBundle, ParsedRecord};
use crate::report::{CheckName, Status};
use crate::{CheckError, VerifyOptions, parse_digest};

/// How long one look-up on the chain may take.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A bundle's log state, read.
pub(super) struct State<'a> {
    pub stated: &'a EvidenceLogState,
    pub fields: Result<LogState, CheckError>,
    /// With an RPC URL and a readable state: what the chain says (the state's own event, and
    /// the contract's latest state).
    pub chain: Option<Result<(StateEvent, StateEvent), CheckError>>,
}

fn digest(field: &str, value: &str) -> Result<Digest, CheckError> {
    parse_digest(value).ok_or_else(|| CheckError::LogStateUnreadable(format!("{field} {value:?} is not a SHA-256")))
}

fn fields(ls: &EvidenceLogState) -> Result<LogState, CheckError> {
    let state = LogState {
        prev_head: digest("prevHead", &ls.prev_head)?,
        log_root: digest("logRoot", &ls.log_root)?,
        size: u64::try_from(ls.size).map_err(|_| CheckError::Negative { field: "size", value: ls.size })?,
        status_root: digest("statusRoot", &ls.status_root)?,
    };
    let head = digest("head", &ls.head)?;
    if state.head() != head {
        return Err(CheckError::StateHead { computed: hex::encode(state.head()), stated: ls.head.clone() });
    }
    Ok(state)
}

fn time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(|| unix.to_string(), |t| t.to_rfc3339())
}

/// Reads the bundle's log state and, with an RPC URL, looks it up on chain once.
pub(super) async fn read<'a>(ls: &'a EvidenceLogState, opts: &VerifyOptions) -> State<'a> {
    let fields = fields(ls);
    let chain = match (&opts.rpc_url, &fields) {
        (Some(rpc), Ok(_)) => Some(match tokio::time::timeout(CHAIN_TIMEOUT, look_up(rpc, ls)).await {
            Ok(r) => r,
            Err(_) => Err(CheckError::ChainTimeout(rpc.clone(), CHAIN_TIMEOUT.as_secs())),
        }),
        _ => None,
    };
    State { stated: ls, fields, chain }
}

async fn look_up(rpc: &str, ls: &EvidenceLogState) -> Result<(StateEvent, StateEvent), CheckError> {
    let read = CheckError::ChainRead;
    let contract: Address =
        ls.contract.parse().map_err(|e| read(format!("contract {:?} is not an address: {e}", ls.contract)))?;
    let reader = LogReader::connect(rpc, contract).map_err(|e| read(e.to_string()))?;
    let chain_id = reader.chain_id().await.map_err(|e| read(format!("asking {rpc} for its chain ID: {e}")))?;
    if i64::try_from(chain_id).ok() != Some(ls.chain_id) {
        return Err(CheckError::ChainId { served: chain_id, anchor: ls.chain_id });
    }
    let head = B256::from(digest("head", &ls.head)?);
    let from = u64::try_from(ls.block_number).unwrap_or_default();
    let event = reader
        .find_state(head, from)
        .await
        .map_err(|e| read(format!("reading the Anchored events of {}: {e}", ls.contract)))?
        .ok_or_else(|| CheckError::StateNotAnchored { contract: ls.contract.clone(), head: ls.head.clone() })?;
    let stated = (ls.tx_hash.to_lowercase(), ls.block_number, ls.block_time);
    let found = (
        format!("{:#x}", event.tx_hash),
        i64::try_from(event.block_number).unwrap_or(-1),
        i64::try_from(event.block_time).unwrap_or(-1),
    );
    if stated != found {
        return Err(CheckError::StateEventMismatch {
            head: ls.head.clone(),
            found: format!("transaction {} in block {} at {}", found.0, found.1, time(found.2)),
            stated: format!("transaction {} in block {} at {}", stated.0, stated.1, time(stated.2)),
        });
    }
    let latest = reader
        .latest(from)
        .await
        .map_err(|e| read(format!("reading the latest state of {}: {e}", ls.contract)))?
        .ok_or_else(|| CheckError::StateNotAnchored { contract: ls.contract.clone(), head: ls.head.clone() })?;
    Ok((event, latest))
}

/// `log.inclusion` of an entry proven in the state's tree.
pub(super) fn check_inclusion(
    checks: &mut Checks,
    r: &ParsedRecord<'_>,
    leaf: Option<Digest>,
    state: Option<&State<'_>>,
) {
    let result = (|| {
        let state = state.ok_or(CheckError::NoLogState)?;
        let fields = state.fields.as_ref().map_err(Clone::clone)?;
        let proof_json = r.record.log_proof.as_ref().ok_or(CheckError::NoLogState)?;
        let proof: LogInclusionProof =
            serde_json::from_value(proof_json.clone()).map_err(|e| CheckError::LogProof(e.to_string()))?;
        let leaf = leaf.ok_or(CheckError::NoLeaf)?;
        if proof.leaf != leaf {
            return Err(CheckError::InclusionLeaf { proof_leaf: hex::encode(proof.leaf), leaf: hex::encode(leaf) });
        }
        let seq = r.record.log_entry.seq.and_then(|s| u64::try_from(s).ok());
        if seq != Some(proof.index) {
            return Err(CheckError::LogProof(format!(
                "the proof is of entry {}, the log entry's sequence number is {:?}",
                proof.index, r.record.log_entry.seq
            )));
        }
        proof.verify_against(&fields.log_root, fields.size).map_err(|e| CheckError::LogProof(e.to_string()))?;
        Ok(format!("entry {} of the log tree of {} entries (root {})", proof.index, fields.size, state.stated.log_root))
    })();
    checks.push(CheckName::LogInclusion, &r.reference, result);
}

/// `anchor` and `anchor.chain` of an entry proven in the state's tree.
pub(super) fn check_anchor(checks: &mut Checks, r: &ParsedRecord<'_>, state: Option<&State<'_>>, opts: &VerifyOptions) {
    let me = &r.reference;
    let Some(state) = state else {
        checks.push(CheckName::Anchor, me, Err(CheckError::NoLogState));
        return;
    };
    let ls = state.stated;
    let anchor = match (&state.fields, &opts.contract) {
        (Err(e), _) => Err(e.clone()),
        (Ok(_), Some(expected)) if !expected.trim().eq_ignore_ascii_case(&ls.contract) => {
            Err(CheckError::WrongContract { found: ls.contract.clone(), expected: expected.trim().to_owned() })
        }
        (Ok(f), _) => Ok(format!(
            "in the state of {} entries (head {}) anchored in block {} at {}, transaction {}, contract {} on chain {}",
            f.size,
            ls.head,
            ls.block_number,
            time(ls.block_time),
            ls.tx_hash,
            ls.contract,
            ls.chain_id
        )),
    };
    let anchored = anchor.is_ok();
    checks.push(CheckName::Anchor, me, anchor);
    match (&state.chain, anchored) {
        (None, _) => checks.with(
            CheckName::AnchorChain,
            me,
            Status::Unconfirmed,
            "not compared with the chain (no RPC URL given): the state is the bundle's own claim",
        ),
        (Some(_), false) => {
            checks.with(CheckName::AnchorChain, me, Status::Unconfirmed, "no readable state to look up")
        }
        (Some(Err(e)), true) => checks.push(CheckName::AnchorChain, me, Err(e.clone())),
        (Some(Ok((event, _))), true) => {
            let detail = format!(
                "contract {} on chain {} anchored head {} in block {}",
                ls.contract, ls.chain_id, ls.head, event.block_number
            );
            if opts.contract.is_none() {
                checks.with(
                    CheckName::AnchorChain,
                    me,
                    Status::Unconfirmed,
                    format!("{detail}; but that contract is only the bundle's claim: give the registry's contract address to pin it"),
                );
            } else {
                checks.push(CheckName::AnchorChain, me, Ok(detail));
            }
        }
    }
}

/// `anchor.latest`: the bundle's state is the contract's latest (or has its log and status
/// map), or was anchored within `--max-age`.
pub(super) fn check_latest(checks: &mut Checks, token: &RecordRef, state: Option<&State<'_>>, opts: &VerifyOptions) {
    let Some(state) = state else {
        checks.with(
            CheckName::AnchorLatest,
            token,
            Status::Skipped,
            "the bundle has no anchored state of the whole log",
        );
        return;
    };
    let ls = state.stated;
    let (event, latest) = match &state.chain {
        None => {
            checks.with(
                CheckName::AnchorLatest,
                token,
                Status::Unconfirmed,
                "not compared with the chain (no RPC URL given)",
            );
            return;
        }
        Some(Err(_)) => {
            checks.with(
                CheckName::AnchorLatest,
                token,
                Status::Unconfirmed,
                "the state could not be read from the chain",
            );
            return;
        }
        Some(Ok(pair)) => pair,
    };
    let current = latest.head == event.head
        || (latest.state.size == event.state.size
            && latest.state.log_root == event.state.log_root
            && latest.state.status_root == event.state.status_root);
    if current {
        let detail = if latest.head == event.head {
            format!("the contract's latest state (checkpoint {})", event.state.size)
        } else {
            format!(
                "the contract's latest state (a heartbeat in block {} at {}) has the same log and status map",
                latest.block_number,
                time(i64::try_from(latest.block_time).unwrap_or_default())
            )
        };
        checks.push(CheckName::AnchorLatest, token, Ok(detail));
        return;
    }
    let now = chrono::Utc::now().timestamp();
    let age = u64::try_from(now - ls.block_time).unwrap_or_default();
    let newer = format!(
        "the contract's latest state is checkpoint {} anchored at {} (block {}, head {})",
        latest.state.size,
        time(i64::try_from(latest.block_time).unwrap_or_default()),
        latest.block_number,
        hex::encode(latest.head.0)
    );
    match opts.max_age {
        Some(max) if age > max.as_secs() => checks.push(
            CheckName::AnchorLatest,
            token,
            Err(CheckError::StaleState {
                size: event.state.size,
                time: time(ls.block_time),
                block: ls.block_number,
                max_age: max.as_secs(),
                latest_size: latest.state.size,
                latest_time: time(i64::try_from(latest.block_time).unwrap_or_default()),
                latest_block: latest.block_number,
                latest_head: hex::encode(latest.head.0),
            }),
        ),
        Some(max) => checks.push(
            CheckName::AnchorLatest,
            token,
            Ok(format!("anchored {age}s ago, within --max-age {}s; {newer}", max.as_secs())),
        ),
        None => checks.with(
            CheckName::AnchorLatest,
            token,
            Status::Unconfirmed,
            format!("{newer}; this bundle proves status as of checkpoint {}: give --max-age to accept it, or fetch a fresh bundle", event.state.size),
        ),
    }
}

/// `status.complete`.
pub(super) fn check_status(checks: &mut Checks, parsed: &ParsedBundle<'_>, state: Option<&State<'_>>) {
    let token = &parsed.token_ref;
    let Some(state) = state else {
        checks.with(
            CheckName::StatusComplete,
            token,
            Status::Skipped,
            "the bundle carries no status-map proofs (a batch-anchored registry, or a bundle made before them): it \
             cannot show that no status event was left out",
        );
        return;
    };
    checks.push(CheckName::StatusComplete, token, status_complete(parsed, state));
}

fn status_complete(parsed: &ParsedBundle<'_>, state: &State<'_>) -> Result<String, CheckError> {
    let fields = state.fields.as_ref().map_err(Clone::clone)?;
    let proofs: HashMap<&RecordRef, &serde_json::Value> =
        state.stated.status_proofs.iter().map(|p| (&p.record, &p.proof)).collect();
    // The anchored status events of each record (in the state's log), newest last.
    let mut events: HashMap<RecordRef, Vec<(u64, &str, &str, &str)>> = HashMap::new();
    for r in &parsed.records {
        let (Some(e), Some(seq)) = (r.status_event(), r.record.log_entry.seq.and_then(|s| u64::try_from(s).ok()))
        else {
            continue;
        };
        if seq < fields.size {
            events.entry(RecordRef::new(e.subject_kind, &e.subject)).or_default().push((
                seq,
                r.record.digest.as_str(),
                e.status.as_str(),
                r.record.id.as_str(),
            ));
        }
    }
    for list in events.values_mut() {
        list.sort_unstable();
    }
    let mut changed = Vec::new();
    let mut checked = 0;
    for r in &parsed.records {
        if !matches!(r.record.kind, RecordKind::License | RecordKind::Dataset | RecordKind::ModelVersion) {
            continue;
        }
        let me = &r.reference;
        let proof_json = proofs.get(me).ok_or_else(|| CheckError::StatusProofMissing(me.clone()))?;
        let invalid = |reason: String| CheckError::StatusProofInvalid { record: me.clone(), reason };
        let proof: StatusProof = serde_json::from_value((*proof_json).clone()).map_err(|e| invalid(e.to_string()))?;
        if proof.key != status_key(&me.id) {
            return Err(invalid("it is the proof of another record's key".into()));
        }
        proof.verify(&fields.status_root).map_err(|e| invalid(e.to_string()))?;
        let anchored = events.get(me).map(Vec::as_slice).unwrap_or_default();
        match (proof.value(), anchored.last()) {
            (None, None) => {}
            (None, Some((_, _, _, id))) => {
                return Err(CheckError::StatusEventUnmapped { record: me.clone(), event: (*id).to_owned() });
            }
            (Some(value), latest) => {
                let value = hex::encode(value);
                match latest {
                    Some((_, digest, status, _)) if *digest == value => {
                        if *status != "active" {
                            changed.push(format!("{me} {status}"));
                        }
                    }
                    _ => return Err(CheckError::StatusEventOmitted { record: me.clone(), digest: value }),
                }
            }
        }
        checked += 1;
    }
    let at = format!(
        "as of checkpoint {} (block {}, {})",
        fields.size,
        state.stated.block_number,
        time(state.stated.block_time)
    );
    Ok(if changed.is_empty() {
        format!(
            "{at}: no record in the lineage is deprecated, revoked or withdrawn ({checked} records proven by the status map)"
        )
    } else {
        format!("{at}: {} ({checked} records proven by the status map)", changed.join("; "))
    })
}
