//! The metadata-update outbox: every feed row of a recorded collection becomes one ERC-4906
//! `BatchMetadataUpdate(from, to)` transaction from the registry's account, sent once.
//!
//! A row is written `pending` inside its status change's transaction (or `offChain` when its
//! contract is not a recorded collection: those are never sent). A round takes the oldest
//! unsettled row of the outbox's chain and:
//!
//! 1. with a saved transaction hash, reads its receipt: mined, the row is `confirmed`; still
//!    in the node's pool, it waits for it; unknown to the node (dropped), the hash is cleared
//!    and the row is sent as below;
//! 2. otherwise records the intent (the chain's newest block, once), then looks in the
//!    contract's logs (after that block, or from the collection's deploy block) for a
//!    `BatchMetadataUpdate(from, to)` no other row claims: a transaction sent before a crash
//!    that stopped its hash being saved. Only the registry's account may emit the event, so
//!    such a log is the registry's. Found, it is adopted; else the transaction is sent and
//!    its hash saved before waiting for the receipt.
//!
//! A failure (the chain is down, the receipt does not come) leaves the row as it was, with
//! `attempts` counted and `last_error`; the round stops there, so rows go out in feed order,
//! and the next round retries. Writes to the registry go on meanwhile. On PostgreSQL a round
//! holds an advisory lock, so that of several servers one sends.
use std::sync::Arc;
use std::time::Duration;

use provreg_anchor::alloy_types::{Address, TxHash, U256};
use provreg_anchor::{AnchorError, CollectionClient, TxOutcome};
use provreg_entities::{collection, metadata_update};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Statement,
};
use tokio::sync::Mutex;

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::collection::ChainAccess;

/// To send.
pub const PENDING: &str = "pending";
/// The transaction hash is saved; its receipt is not seen yet.
pub const SENT: &str = "sent";
/// The transaction is mined and succeeded.
pub const CONFIRMED: &str = "confirmed";
/// The contract was not a recorded collection when the row was written: never sent.
pub const OFF_CHAIN: &str = "offChain";

/// Key of the PostgreSQL advisory lock a round holds.
const OUTBOX_LOCK: i64 = 0x7072_6f76_7265_6702;

/// Longest `last_error` kept.
const MAX_ERROR: usize = 1_000;

/// Sends the feed's rows of recorded collections on one chain.
pub struct MetadataOutbox {
    registry: Registry,
    access: ChainAccess,
    database_url: String,
    interval: Duration,
    receipt_timeout: Duration,
    /// Serialises rounds of this process.
    round: Mutex<()>,
}

impl std::fmt::Debug for MetadataOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataOutbox").field("chain_id", &self.access.chain_id).finish_non_exhaustive()
    }
}

/// Whether this round sends.
enum Lead {
    Alone,
    Holding(sea_orm::DatabaseConnection),
    NotLeader,
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxRound {
    /// Another server holds the outbox lock.
    NotLeader,
    /// These rows were confirmed (oldest first); none is left to send.
    Settled(Vec<metadata_update::Model>),
}

impl MetadataOutbox {
    /// An outbox sending on `access`'s chain with its key (the registry's account, which each
    /// collection lets emit metadata updates), a round every `interval`. `database_url` opens
    /// the connection that holds the lock on PostgreSQL.
    pub fn new(registry: Registry, access: ChainAccess, database_url: &str, interval: Duration) -> Self {
        Self {
            registry,
            access,
            database_url: database_url.to_owned(),
            interval,
            receipt_timeout: Duration::from_secs(120),
            round: Mutex::new(()),
        }
    }

    /// How long a round waits for a receipt before leaving the row for the next round.
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// Runs rounds every interval until the process ends.
    pub async fn run(self: Arc<Self>) {
        loop {
            if let Err(e) = self.round().await {
                tracing::warn!(error = %e, "metadata-update round failed; retrying next round");
            }
            tokio::time::sleep(self.interval).await;
        }
    }

    /// One round: settles rows oldest first until none is left or one fails (that error).
    pub async fn round(&self) -> AppResult<OutboxRound> {
        let _serial = self.round.lock().await;
        let lock = match self.lead().await? {
            Lead::NotLeader => return Ok(OutboxRound::NotLeader),
            lead => lead,
        };
        let result = self.settle_all().await;
        if let Lead::Holding(conn) = lock {
            // Closing the session releases the advisory lock.
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the outbox lock's connection");
            }
        }
        result
    }

    async fn settle_all(&self) -> AppResult<OutboxRound> {
        let mut done = Vec::new();
        while let Some(row) = self.next_row().await? {
            let (seq, attempts) = (row.seq, row.attempts);
            match self.settle(row).await {
                Ok(confirmed) => done.push(confirmed),
                Err(e) => {
                    self.record_failure(seq, attempts, &e).await?;
                    return Err(e);
                }
            }
        }
        Ok(OutboxRound::Settled(done))
    }

    /// On PostgreSQL, the advisory lock, on a connection of its own; on SQLite one process
    /// owns the database.
    async fn lead(&self) -> AppResult<Lead> {
        if self.registry.db.get_database_backend() != DbBackend::Postgres {
            return Ok(Lead::Alone);
        }
        let conn = crate::db::connect(&self.database_url, 1).await?;
        let row = conn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_try_advisory_lock({OUTBOX_LOCK}) AS held"),
            ))
            .await?;
        let held: bool = row.map(|r| r.try_get("", "held")).transpose()?.unwrap_or(false);
        if held {
            return Ok(Lead::Holding(conn));
        }
        conn.close().await?;
        Ok(Lead::NotLeader)
    }

    /// The oldest row of this chain that is pending or sent.
    async fn next_row(&self) -> AppResult<Option<metadata_update::Model>> {
        let chain_id = i64::try_from(self.access.chain_id).map_err(AppError::from_display)?;
        Ok(metadata_update::Entity::find()
            .filter(metadata_update::Column::Status.is_in([PENDING, SENT]))
            .filter(metadata_update::Column::ChainId.eq(chain_id))
            .order_by_asc(metadata_update::Column::Seq)
            .one(&self.registry.db)
            .await?)
    }

    async fn settle(&self, row: metadata_update::Model) -> AppResult<metadata_update::Model> {
        let Some(coll) = collection::Entity::find()
            .filter(collection::Column::ChainId.eq(row.chain_id))
            .filter(collection::Column::Address.eq(row.contract.as_str()))
            .one(&self.registry.db)
            .await?
        else {
            // Not a recorded collection (rows are written pending only for those).
            return self.update(row, |r| r.status = ActiveValue::Set(OFF_CHAIN.to_owned())).await;
        };
        let address: Address = coll.address.parse().map_err(AppError::from_display)?;
        let client = CollectionClient::connect(&self.access.rpc_url, &self.access.private_key, Some(address))
            .map_err(chain_error)?
            .with_receipt_timeout(self.receipt_timeout);
        let range = (token(&row.from_token_id)?, token(&row.to_token_id)?);

        let mut row = row;
        if let Some(saved) = row.tx_hash.as_deref() {
            let tx: TxHash = saved.parse().map_err(AppError::from_display)?;
            match client.receipt(tx).await {
                Ok(Some(outcome)) => return self.confirm(row, outcome).await,
                Ok(None) => {}
                Err(e @ AnchorError::TransactionFailed { .. }) => {
                    // Reverted: sending it again is a new decision, checked by gas estimation.
                    self.update(row, |r| {
                        r.tx_hash = ActiveValue::Set(None);
                        r.status = ActiveValue::Set(PENDING.to_owned());
                    })
                    .await?;
                    return Err(chain_error(e));
                }
                Err(e) => return Err(chain_error(e)),
            }
            if client.known(tx).await.map_err(chain_error)? {
                let outcome = client.wait_for(tx).await.map_err(chain_error)?;
                return self.confirm(row, outcome).await;
            }
            tracing::warn!(seq = row.seq, %tx, "the chain lost a metadata update; sending it again");
            row = self
                .update(row, |r| {
                    r.tx_hash = ActiveValue::Set(None);
                    r.status = ActiveValue::Set(PENDING.to_owned());
                })
                .await?;
        }

        // The intent, before anything is sent: the newest block, already mined, so a
        // transaction of this row can only be in a later one. A row whose intent was never
        // recorded was never sent by a round; its logs are searched from the collection's
        // deploy block.
        let search_from = match row.intent_block {
            Some(block) => block.saturating_add(1),
            None => {
                let head = client.block_number().await.map_err(chain_error)?;
                let head = i64::try_from(head).map_err(AppError::from_display)?;
                row = self.update(row, |r| r.intent_block = ActiveValue::Set(Some(head))).await?;
                coll.deploy_block
            }
        };
        let tx = match self.unclaimed_event(&client, &row, range, search_from).await? {
            Some(tx) => {
                tracing::info!(seq = row.seq, %tx, "adopting a BatchMetadataUpdate already on chain");
                tx
            }
            None => {
                let tx = client.send_batch_update_metadata(range.0, range.1).await.map_err(chain_error)?;
                tracing::info!(
                    seq = row.seq,
                    contract = %row.contract,
                    from = %row.from_token_id,
                    to = %row.to_token_id,
                    %tx,
                    "sent BatchMetadataUpdate"
                );
                tx
            }
        };
        let hash = format!("{tx:#x}");
        let row = self
            .update(row, |r| {
                r.tx_hash = ActiveValue::Set(Some(hash));
                r.status = ActiveValue::Set(SENT.to_owned());
                r.sent_at = ActiveValue::Set(Some(chrono::Utc::now()));
            })
            .await?;
        let outcome = client.wait_for(tx).await.map_err(chain_error)?;
        self.confirm(row, outcome).await
    }

    /// A `BatchMetadataUpdate(from, to)` of the collection in a block from `from_block` on
    /// whose transaction no row of the contract claims.
    async fn unclaimed_event(
        &self,
        client: &CollectionClient,
        row: &metadata_update::Model,
        (from, to): (U256, U256),
        from_block: i64,
    ) -> AppResult<Option<TxHash>> {
        let start = u64::try_from(from_block.max(0)).map_err(AppError::from_display)?;
        if start > client.block_number().await.map_err(chain_error)? {
            // No block since the intent (a node refuses a log query from a future block).
            return Ok(None);
        }
        let events = client.reader().map_err(chain_error)?.metadata_updates(start).await.map_err(chain_error)?;
        let claimed: std::collections::HashSet<String> = metadata_update::Entity::find()
            .filter(metadata_update::Column::ChainId.eq(row.chain_id))
            .filter(metadata_update::Column::Contract.eq(row.contract.as_str()))
            .filter(metadata_update::Column::TxHash.is_not_null())
            .all(&self.registry.db)
            .await?
            .into_iter()
            .filter_map(|r| r.tx_hash)
            .collect();
        Ok(events
            .into_iter()
            .filter(|e| e.from_token == from && e.to_token == to)
            .filter_map(|e| e.tx_hash)
            .find(|tx| !claimed.contains(&format!("{tx:#x}"))))
    }

    async fn confirm(&self, row: metadata_update::Model, outcome: TxOutcome) -> AppResult<metadata_update::Model> {
        let block = i64::try_from(outcome.block_number).map_err(AppError::from_display)?;
        let hash = format!("{:#x}", outcome.tx_hash);
        let row_attempts = row.attempts;
        let row = self
            .update(row, |r| {
                r.status = ActiveValue::Set(CONFIRMED.to_owned());
                r.tx_hash = ActiveValue::Set(Some(hash));
                r.confirmed_block = ActiveValue::Set(Some(block));
                r.last_error = ActiveValue::Set(None);
                r.attempts = ActiveValue::Set(row_attempts.saturating_add(1));
            })
            .await?;
        tracing::info!(seq = row.seq, tx = row.tx_hash.as_deref().unwrap_or(""), block, "metadata update confirmed");
        Ok(row)
    }

    async fn update(
        &self,
        row: metadata_update::Model,
        change: impl FnOnce(&mut metadata_update::ActiveModel),
    ) -> AppResult<metadata_update::Model> {
        let mut active = row.into_active_model();
        change(&mut active);
        let _turn = self.registry.write_turn().await;
        Ok(active.update(&self.registry.db).await?)
    }

    async fn record_failure(&self, seq: i64, attempts: i32, error: &AppError) -> AppResult<()> {
        let mut message = error.to_string();
        if message.len() > MAX_ERROR {
            let cut = (0..=MAX_ERROR).rev().find(|i| message.is_char_boundary(*i)).unwrap_or(0);
            message.truncate(cut);
        }
        tracing::warn!(seq, error = %message, "metadata update not sent; retrying next round");
        metadata_update::Entity::update_many()
            .col_expr(metadata_update::Column::Attempts, sea_orm::sea_query::Expr::value(attempts.saturating_add(1)))
            .col_expr(metadata_update::Column::LastError, sea_orm::sea_query::Expr::value(message))
            .col_expr(metadata_update::Column::LastAttemptAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
            .filter(metadata_update::Column::Seq.eq(seq))
            .exec(&self.registry.db)
            .await?;
        Ok(())
    }
}

/// A feed token ID (decimal) as a uint256.
fn token(decimal: &str) -> AppResult<U256> {
    U256::from_str_radix(decimal, 10).map_err(|e| AppError::Internal(format!("feed token ID {decimal:?}: {e}")))
}

fn chain_error(e: AnchorError) -> AppError {
    AppError::Unavailable(format!("sending a metadata update: {e}"))
}

#[cfg(test)]
mod tests {
    use provreg_migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, EntityTrait};

    /// Feed rows written before the outbox existed: those of recorded collections are still
    /// to send, the others are never sent.
    #[tokio::test]
    async fn the_migration_makes_earlier_rows_of_collections_pending() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        Migrator::up(&db, Some(6)).await.unwrap();
        let exec = |sql: String| {
            let db = db.clone();
            async move { db.execute_unprepared(&sql).await.unwrap() }
        };
        exec("PRAGMA foreign_keys = OFF".into()).await;
        let (collection, other) =
            ("0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb");
        let now = "'2026-01-01T00:00:00Z'";
        exec(format!(
            "INSERT INTO collections (id, model_version_id, circuit_id, chain_id, address, name, symbol, minter, \
             registry_account, verifier_address, verifier_code_hash, verifier_compiler, deploy_tx, deploy_block, \
             canonical, digest, created_at) VALUES (X'01', X'02', X'03', 31337, '{collection}', 'n', 'S', 'm', 'r', \
             'v', 'h', 'c', 't', 1, X'', 'd', {now})"
        ))
        .await;
        let event = uuid::Uuid::now_v7().simple();
        for (chain, contract) in [(31337, collection), (31337, other), (1, collection)] {
            exec(format!(
                "INSERT INTO metadata_updates (chain_id, contract, from_token_id, to_token_id, token_count, reason, \
                 status_event_id, created_at) VALUES ({chain}, '{contract}', '1', '2', 2, 'modelVersionRevoked', X'{event}', {now})"
            ))
            .await;
        }
        Migrator::up(&db, None).await.unwrap();
        let rows = provreg_entities::metadata_update::Entity::find().all(&db).await.unwrap();
        let statuses: Vec<(&str, i32, Option<&str>)> =
            rows.iter().map(|r| (r.status.as_str(), r.attempts, r.tx_hash.as_deref())).collect();
        assert_eq!(
            statuses,
            [(super::PENDING, 0, None), (super::OFF_CHAIN, 0, None), (super::OFF_CHAIN, 0, None)],
            "only the recorded collection's row on its own chain is to send"
        );
    }
}
