//! The anchor worker: cuts the log into gap-free batches and anchors each batch's Merkle root
//! on chain, one batch at a time, in order.
//!
//! Crash safety comes from the order of steps and from the contract: a batch is recorded as a
//! `pending` anchor (sequence numbers fixed) before anything is sent; the transaction hash is
//! saved once sent; and on every round the oldest unconfirmed anchor is reconciled with the
//! contract's `nextSeq` first. If the chain already holds it (the worker died between sending
//! and confirming), its event is read back and the row confirmed; if not, it is sent (again).
//! The contract accepts a range only at `nextSeq`, so a batch can never be anchored twice or
//! out of order. Records keep being accepted while the chain is unreachable; their entries wait
//! unbatched and are anchored when it returns.
//!
//! A chain can also lose anchors it had confirmed (a reorg, or a chain restarted from an older
//! state). Every round first compares the contract's `nextSeq` with the confirmed anchors; those
//! at or past it are marked pending again (the reason kept in `lastError`, a warning logged)
//! and sent again in order, with the same ranges and roots, so the chain ends up holding
//! exactly the registry's batches again.
//!
//! The background loop cuts a batch only when it is full (`max_batch` entries) or its oldest
//! entry has waited one interval, so a steady write load gives full batches; `anchorNow`
//! anchors everything waiting at once.
pub mod cli;

use std::sync::Arc;
use std::time::Duration;

use provreg_anchor::alloy_types::{Address, B256, TxHash};
use provreg_anchor::{AnchorError, ChainClient, ContractRevert, LogClient, StateEvent};
use provreg_entities::anchor;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tokio::sync::{Mutex, Notify};

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::log::{CONFIRMED, PENDING, SENT, STATE};
use crate::service::log_tree::state_of;
use crate::service::seal::digest_bytes;

/// Key of the PostgreSQL advisory lock the anchoring leader holds.
const LEADER_LOCK: i64 = 0x7072_6f76_7265_6701;

/// The anchor worker of one server.
pub struct AnchorWorker {
    registry: Registry,
    client: ChainClient,
    chain_id: i64,
    contract: String,
    max_batch: u64,
    interval: Duration,
    /// Serialises rounds between the background loop and `anchorNow`.
    round: Mutex<Leadership>,
    wake: Notify,
    /// Set when the contract is a `ProvenanceLog`: anchor linked states through this client.
    states: Option<States>,
}

/// Anchoring linked states of the whole log (a `ProvenanceLog` contract).
struct States {
    client: LogClient,
    /// Anchor the latest state again when it is older than this and nothing new waits.
    heartbeat: Option<Duration>,
}

/// What kind of anchor contract is deployed at an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractKind {
    /// `ProvenanceAnchor`: one commitment per batch.
    Batches,
    /// `ProvenanceLog`: one overwritten head of linked states.
    States,
}

/// Tells a `ProvenanceLog` (it answers `head()`) from a `ProvenanceAnchor` (it does not).
pub async fn contract_kind(rpc_url: &str, contract: Address) -> AppResult<ContractKind> {
    let reader = provreg_anchor::LogReader::connect(rpc_url, contract).map_err(chain_error)?;
    match reader.head().await {
        Ok(_) => Ok(ContractKind::States),
        Err(AnchorError::Reverted(_) | AnchorError::NodeRejected(_)) => Ok(ContractKind::Batches),
        Err(e) => Err(chain_error(e)),
    }
}

impl std::fmt::Debug for AnchorWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnchorWorker").field("chain_id", &self.chain_id).field("contract", &self.contract).finish()
    }
}

/// Whether this server is the one that anchors.
enum Leadership {
    /// SQLite: one process owns the database file.
    Alone,
    /// PostgreSQL: the advisory lock is held on this dedicated connection while it lives.
    Holding { conn: DatabaseConnection, url: String },
    /// PostgreSQL, lock not (yet) held: another replica anchors.
    Waiting { url: String },
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Another replica holds the anchoring lock.
    NotLeader,
    /// Nothing waited to be anchored.
    Idle,
    /// These anchors were confirmed (oldest first).
    Anchored(Vec<anchor::Model>),
}

impl AnchorWorker {
    /// A worker anchoring `registry`'s log through `client` (which must know its contract).
    /// `database_url` opens the dedicated leader-lock connection on PostgreSQL.
    pub async fn new(
        registry: Registry,
        client: ChainClient,
        database_url: &str,
        max_batch: u64,
        interval: Duration,
    ) -> AppResult<Self> {
        let contract = client
            .contract_address()
            .ok_or_else(|| AppError::Internal("the anchor worker needs a contract address".into()))?;
        let chain_id = client.chain_id().await.map_err(chain_error)?;
        let leadership = match registry.db.get_database_backend() {
            DbBackend::Postgres => Leadership::Waiting { url: database_url.to_owned() },
            _ => Leadership::Alone,
        };
        Ok(Self {
            registry,
            client,
            chain_id: i64::try_from(chain_id).map_err(AppError::from_display)?,
            contract: contract.to_checksum(None),
            max_batch,
            interval,
            round: Mutex::new(leadership),
            wake: Notify::new(),
            states: None,
        })
    }

    /// Anchors linked states through `client` (of a `ProvenanceLog` contract, the same one as
    /// the batch client's), re-anchoring the latest state as a heartbeat when it is older
    /// than `heartbeat` and nothing new waits.
    pub fn with_states(mut self, client: LogClient, heartbeat: Option<Duration>) -> Self {
        self.states = Some(States { client, heartbeat });
        self
    }

    /// The kind of contract this worker anchors on.
    pub fn kind(&self) -> ContractKind {
        if self.states.is_some() { ContractKind::States } else { ContractKind::Batches }
    }

    pub fn chain_id(&self) -> i64 {
        self.chain_id
    }

    pub fn contract(&self) -> &str {
        &self.contract
    }

    /// Runs rounds every interval (or when woken) until the process ends.
    pub async fn run(self: Arc<Self>) {
        loop {
            match self.round_with(Cut::WhenDue).await {
                Ok(Round::Anchored(done)) => {
                    for a in done {
                        tracing::info!(
                            first_seq = a.first_seq,
                            size = a.size,
                            tx = a.tx_hash.as_deref().unwrap_or(""),
                            "anchored"
                        );
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "anchoring round failed; retrying next round"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// One round that anchors everything waiting (what `anchorNow` does): re-anchor what the
    /// chain lost, reconcile or send the unconfirmed anchor, then cut and anchor new batches
    /// until nothing waits.
    pub async fn round(&self) -> AppResult<Round> {
        self.round_with(Cut::All).await
    }

    /// One round cutting batches as `cut` says (the background loop uses [`Cut::WhenDue`]).
    pub async fn round_with(&self, cut: Cut) -> AppResult<Round> {
        let mut leadership = self.round.lock().await;
        if !self.lead(&mut leadership).await? {
            return Ok(Round::NotLeader);
        }
        if let Some(states) = &self.states {
            return self.state_round(states, cut).await;
        }
        self.reclaim_lost().await?;
        let mut done = Vec::new();
        loop {
            let anchor = match self.registry.unconfirmed_anchor(self.chain_id, &self.contract).await? {
                Some(a) => a,
                None => {
                    if cut == Cut::WhenDue {
                        let wait = chrono::Duration::from_std(self.interval).unwrap_or(chrono::Duration::MAX);
                        let oldest_before = chrono::Utc::now() - wait;
                        if !self.registry.batch_due(self.max_batch, oldest_before).await? {
                            break;
                        }
                    }
                    match self.registry.cut_batch(self.chain_id, &self.contract, self.max_batch).await? {
                        Some(a) => a,
                        None => break,
                    }
                }
            };
            match self.settle(anchor.clone()).await {
                Ok(confirmed) => done.push(confirmed),
                Err(e) => {
                    let message = e.to_string();
                    let mut failed = anchor;
                    if let Some(current) = self.registry.anchor(failed.id).await? {
                        failed = current;
                    }
                    failed.last_error = Some(message.clone());
                    self.registry.save_anchor(failed).await?;
                    return Err(AppError::Internal(message));
                }
            }
        }
        if let Some(last) = done.last() {
            // Keep the log tree's stored hashes in step with the anchored log, so checkpoints
            // and proofs are read, not computed, when asked for.
            let end = u64::try_from(last.first_seq + last.size).map_err(AppError::from_display)?;
            self.registry.extend_log_tree(end).await?;
        }
        Ok(if done.is_empty() { Round::Idle } else { Round::Anchored(done) })
    }

    /// Finds confirmed anchors the chain no longer holds (the contract's `nextSeq` is behind
    /// them: a reorg, or a chain restarted from an older state) and makes them pending again,
    /// so this round sends them again in order, with the same ranges and roots. Returns how
    /// many were lost.
    async fn reclaim_lost(&self) -> AppResult<usize> {
        let next = self.client.next_seq().await.map_err(chain_error)?;
        let from = i64::try_from(next).map_err(AppError::from_display)?;
        let lost = self.registry.confirmed_anchors_from(self.chain_id, &self.contract, from).await?;
        let Some(first) = lost.first() else { return Ok(0) };
        if first.first_seq != from {
            return Err(AppError::Internal(format!(
                "the contract expects seq {next} but this database's batches start at {} there: contract {} \
                 does not match this database's log (run `provreg fsck`)",
                first.first_seq, self.contract
            )));
        }
        let count = lost.len();
        crate::metrics::metrics().anchors_lost(count as u64);
        let last = lost.last().map_or(from, |a| a.first_seq + a.size - 1);
        tracing::warn!(
            contract = %self.contract,
            next_seq = next,
            lost_anchors = count,
            last_seq = last,
            "the chain lost anchors this registry had confirmed; anchoring seq {from}..={last} again"
        );
        for mut anchor in lost {
            anchor.status = PENDING.into();
            anchor.last_error = Some(format!(
                "lost from the chain (the contract's nextSeq went back to {next}); anchoring again, previously \
                 in transaction {}",
                anchor.tx_hash.as_deref().unwrap_or("?")
            ));
            anchor.tx_hash = None;
            anchor.block_number = None;
            anchor.batch_id = None;
            anchor.confirmed_at = None;
            self.registry.save_anchor(anchor).await?;
        }
        Ok(count)
    }

    /// Wakes the background loop for an early round.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn lead(&self, leadership: &mut Leadership) -> AppResult<bool> {
        match leadership {
            Leadership::Alone => Ok(true),
            Leadership::Holding { conn, url } => {
                // Still this session's lock? (A pool may have replaced the connection.)
                let check = sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                     AND pid = pg_backend_pid() AND granted) AS held",
                );
                let still: Option<bool> = match conn.query_one_raw(check).await {
                    Ok(Some(row)) => row.try_get("", "held").ok(),
                    _ => None,
                };
                if still == Some(true) {
                    return Ok(true);
                }
                // The connection (and with it the lock) is gone: compete again next round.
                tracing::warn!("lost the anchoring lock's connection; competing for it again");
                *leadership = Leadership::Waiting { url: url.clone() };
                Ok(false)
            }
            Leadership::Waiting { url } => {
                let url = url.clone();
                let conn = crate::db::connect(&url, 1).await?;
                let row = conn
                    .query_one_raw(sea_orm::Statement::from_string(
                        DbBackend::Postgres,
                        format!("SELECT pg_try_advisory_lock({LEADER_LOCK}) AS held"),
                    ))
                    .await?;
                let held: bool = row.map(|r| r.try_get("", "held")).transpose()?.unwrap_or(false);
                if held {
                    tracing::info!("this server now anchors the log (PostgreSQL advisory lock held)");
                    *leadership = Leadership::Holding { conn, url };
                }
                Ok(held)
            }
        }
    }

    /// Brings one anchor to `confirmed`: adopts it if the chain already has it, else sends it.
    async fn settle(&self, mut anchor: anchor::Model) -> AppResult<anchor::Model> {
        let first_seq = u64::try_from(anchor.first_seq).map_err(AppError::from_display)?;
        let size = u64::try_from(anchor.size).map_err(AppError::from_display)?;
        let root = B256::from(digest_bytes(&anchor.root)?);
        let next = self.client.next_seq().await.map_err(chain_error)?;
        if next > first_seq {
            // Already on chain: an earlier round sent it and stopped before confirming.
            let event = self.client.find_anchor(first_seq, 0).await.map_err(chain_error)?.ok_or_else(|| {
                AppError::Internal(format!("the contract is past seq {first_seq} but has no event for it"))
            })?;
            if event.root != root || event.size != size {
                return Err(AppError::Internal(format!(
                    "the contract holds a different batch at seq {first_seq} (root {}, size {}); this database \
                     does not belong to contract {}",
                    event.root, event.size, self.contract
                )));
            }
            let tx = event.tx_hash.ok_or_else(|| AppError::Internal("Anchored event without a transaction".into()))?;
            return self.confirm(anchor, tx).await;
        }
        if next < first_seq {
            return Err(AppError::Internal(format!(
                "the contract expects seq {next} but the next batch starts at {first_seq}: contract {} was not \
                 anchored from this database",
                self.contract
            )));
        }
        if anchor.status == SENT
            && let Some(tx) = anchor.tx_hash.as_deref().and_then(|t| t.parse::<TxHash>().ok())
        {
            // Sent before and not on chain yet: wait for it rather than send a second copy.
            match self.client.wait_confirmed(tx).await {
                Ok(_) => return self.confirm(anchor, tx).await,
                Err(e) => tracing::warn!(%tx, error = %e, "earlier anchor transaction did not confirm; sending again"),
            }
        }
        let tx = match self.client.send_anchor(root, first_seq, size).await {
            Ok(tx) => tx,
            Err(AnchorError::Reverted(ContractRevert::SequenceGap { .. })) => {
                return Err(AppError::Internal(format!("seq {first_seq} was taken meanwhile; reconciling next round")));
            }
            Err(e) => return Err(chain_error(e)),
        };
        anchor.status = SENT.into();
        anchor.tx_hash = Some(format!("{tx:#x}"));
        anchor.last_error = None;
        let anchor = self.registry.save_anchor(anchor).await?;
        self.confirm(anchor, tx).await
    }

    async fn confirm(&self, mut anchor: anchor::Model, tx: TxHash) -> AppResult<anchor::Model> {
        let receipt = self.client.wait_confirmed(tx).await.map_err(chain_error)?;
        anchor.status = CONFIRMED.into();
        anchor.tx_hash = Some(format!("{tx:#x}"));
        anchor.block_number = Some(i64::try_from(receipt.block_number).map_err(AppError::from_display)?);
        anchor.batch_id = Some(i64::try_from(receipt.batch_id).map_err(AppError::from_display)?);
        anchor.last_error = None;
        anchor.confirmed_at = Some(chrono::Utc::now());
        self.registry.save_anchor(anchor).await
    }
}

impl AnchorWorker {
    /// One round on a `ProvenanceLog`: re-anchor the states the chain lost, settle the oldest
    /// unconfirmed state, cut and anchor new batches as states, and send a heartbeat when
    /// nothing new waited and the latest state is older than the heartbeat interval.
    async fn state_round(&self, states: &States, cut: Cut) -> AppResult<Round> {
        self.reclaim_lost_states(states).await?;
        let mut done = Vec::new();
        loop {
            let row = match self.registry.unconfirmed_anchor(self.chain_id, &self.contract).await? {
                Some(a) => a,
                None => {
                    if cut == Cut::WhenDue {
                        let wait = chrono::Duration::from_std(self.interval).unwrap_or(chrono::Duration::MAX);
                        if !self.registry.batch_due(self.max_batch, chrono::Utc::now() - wait).await? {
                            break;
                        }
                    }
                    match self.registry.cut_batch(self.chain_id, &self.contract, self.max_batch).await? {
                        Some(a) => a,
                        None => break,
                    }
                }
            };
            let row = if row.head.is_none() {
                let prev = self.registry.newest_state_on(self.chain_id, &self.contract).await?;
                self.registry.prepare_state(row, prev.as_ref()).await?
            } else {
                row
            };
            done.push(self.settle_or_record(states, row).await?);
        }
        if done.is_empty()
            && let Some(every) = states.heartbeat
            && let Some(latest) = self.registry.newest_state_on(self.chain_id, &self.contract).await?
            && latest.confirmed_at.is_none_or(|t| {
                chrono::Utc::now() - t >= chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX)
            })
        {
            let beat = self.registry.heartbeat_state(&latest).await?;
            done.push(self.settle_or_record(states, beat).await?);
        }
        Ok(if done.is_empty() { Round::Idle } else { Round::Anchored(done) })
    }

    /// Settles `row`, recording the error on it when that fails.
    async fn settle_or_record(&self, states: &States, row: anchor::Model) -> AppResult<anchor::Model> {
        match self.settle_state(states, row.clone()).await {
            Ok(confirmed) => Ok(confirmed),
            Err(e) => {
                let message = e.to_string();
                let mut failed = self.registry.anchor(row.id).await?.unwrap_or(row);
                failed.last_error = Some(message.clone());
                self.registry.save_anchor(failed).await?;
                Err(AppError::Internal(message))
            }
        }
    }

    /// Finds confirmed states the chain no longer holds (its head is an older state of this
    /// database, or none) and makes them pending again, to be sent again in order with the
    /// same fields (so their heads, and the proofs handed out against them, stay the same).
    async fn reclaim_lost_states(&self, states: &States) -> AppResult<usize> {
        let reader = states.client.reader().map_err(chain_error)?;
        let head = reader.head().await.map_err(chain_error)?;
        // The states of this contract in order, confirmed or not (the chain may hold one this
        // database has not confirmed yet: sent, then the process stopped), from the one the
        // chain holds on; all of them when it holds none.
        let (all, keep) = match head {
            None => (self.registry.states(self.chain_id, &self.contract).await?, 0),
            Some(h) => {
                let held =
                    self.registry.state_by_head(self.chain_id, &self.contract, &h.0).await?.ok_or_else(|| {
                        AppError::Internal(format!(
                            "contract {} holds head {h}, a state this database never anchored (run `provreg fsck`)",
                            self.contract
                        ))
                    })?;
                let from = self.registry.states_from(self.chain_id, &self.contract, held.first_seq).await?;
                let at = from.iter().position(|r| r.id == held.id).map_or(0, |i| i + 1);
                (from, at)
            }
        };
        let lost: Vec<anchor::Model> = all.into_iter().skip(keep).filter(|r| r.status == CONFIRMED).collect();
        let count = lost.len();
        if count > 0 {
            crate::metrics::metrics().anchors_lost(count as u64);
            tracing::warn!(contract = %self.contract, lost_states = count, "the chain lost states this registry had confirmed; anchoring them again");
        }
        for mut row in lost {
            row.last_error = Some(format!(
                "lost from the chain (its head went back); anchoring again, previously in transaction {}",
                row.tx_hash.as_deref().unwrap_or("?")
            ));
            row.status = PENDING.into();
            row.tx_hash = None;
            row.block_number = None;
            row.block_time = None;
            row.confirmed_at = None;
            self.registry.save_anchor(row).await?;
        }
        Ok(count)
    }

    /// Brings one state to `confirmed`: adopts it when the contract's head is already it,
    /// sends it when the head is the state before, and refuses anything else.
    async fn settle_state(&self, states: &States, mut row: anchor::Model) -> AppResult<anchor::Model> {
        let next = state_of(&row)?;
        let head = B256::from(next.head());
        let reader = states.client.reader().map_err(chain_error)?;
        let on_chain = reader.head().await.map_err(chain_error)?;
        if on_chain == Some(head) {
            let event = reader
                .find_state(head, 0)
                .await
                .map_err(chain_error)?
                .ok_or_else(|| AppError::Internal(format!("the contract holds head {head} but no event of it")))?;
            return self.confirm_state(row, event).await;
        }
        if on_chain.map_or(provreg_anchor::state::GENESIS_HEAD, |h| h.0) != next.prev_head {
            return Err(AppError::Internal(format!(
                "the contract's head is {} but this state follows 0x{}; reconciling next round",
                on_chain.map_or_else(|| "empty".to_owned(), |h| h.to_string()),
                hex::encode(next.prev_head)
            )));
        }
        if row.status == SENT
            && let Some(tx) = row.tx_hash.as_deref().and_then(|t| t.parse::<TxHash>().ok())
        {
            match states.client.wait_confirmed(tx).await {
                Ok(receipt) => return self.confirm_state(row, receipt.event).await,
                Err(e) => tracing::warn!(%tx, error = %e, "earlier state transaction did not confirm; sending again"),
            }
        }
        let prev = if next.prev_head == provreg_anchor::state::GENESIS_HEAD {
            None
        } else {
            let row = self.registry.state_by_head(self.chain_id, &self.contract, &next.prev_head).await?.ok_or_else(
                || AppError::Internal(format!("the state before 0x{} is not stored", hex::encode(head.0))),
            )?;
            Some(state_of(&row)?)
        };
        let tx = match states.client.send_anchor(prev.as_ref(), &next).await {
            Ok(tx) => tx,
            Err(AnchorError::Reverted(ContractRevert::NotLatestState { .. })) => {
                return Err(AppError::Internal("another state was anchored meanwhile; reconciling next round".into()));
            }
            Err(e) => return Err(chain_error(e)),
        };
        row.status = SENT.into();
        row.tx_hash = Some(format!("{tx:#x}"));
        row.last_error = None;
        let row = self.registry.save_anchor(row).await?;
        let receipt = states.client.wait_confirmed(tx).await.map_err(chain_error)?;
        self.confirm_state(row, receipt.event).await
    }

    async fn confirm_state(&self, mut row: anchor::Model, event: StateEvent) -> AppResult<anchor::Model> {
        row.kind = STATE.into();
        row.status = CONFIRMED.into();
        row.tx_hash = Some(format!("{:#x}", event.tx_hash));
        row.block_number = Some(i64::try_from(event.block_number).map_err(AppError::from_display)?);
        row.block_time = Some(i64::try_from(event.block_time).map_err(AppError::from_display)?);
        row.last_error = None;
        row.confirmed_at = Some(chrono::Utc::now());
        self.registry.save_anchor(row).await
    }
}

/// Which batches a round cuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Everything waiting (`anchorNow`).
    All,
    /// Only full batches, or what has waited an interval (the background loop).
    WhenDue,
}

/// Chain failures are internal errors with the chain's message.
fn chain_error(e: AnchorError) -> AppError {
    AppError::Internal(format!("chain: {e}"))
}

/// Parses a configured contract address.
pub fn parse_address(s: &str) -> AppResult<Address> {
    s.parse().map_err(|e| AppError::Internal(format!("anchoring.contract {s:?} is not an address: {e}")))
}
