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
use provreg_anchor::{AnchorError, ChainClient, ContractRevert};
use provreg_entities::anchor;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tokio::sync::{Mutex, Notify};

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::log::{CONFIRMED, PENDING, SENT};
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
        })
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
