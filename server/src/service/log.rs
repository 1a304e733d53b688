//! The append-only log on the database side: batching entries into anchors, and proofs.
use chrono::{DateTime, Utc};
use provreg_anchor::{BatchTree, InclusionProof, proof_from_levels};
use provreg_entities::{anchor, anchor_tree, log_entry};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement, Value,
};
use uuid::Uuid;

use super::seal::digest_bytes;
use super::{Registry, now};
use crate::error::{AppError, AppResult};

/// Anchor statuses, as stored.
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const CONFIRMED: &str = "confirmed";

/// Anchor kinds, as stored.
pub const BATCH: &str = "batch";
pub const STATE: &str = "state";

impl Registry {
    /// An anchor by ID.
    pub async fn anchor(&self, id: Uuid) -> AppResult<Option<anchor::Model>> {
        Ok(anchor::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// The log entry at `seq`.
    pub async fn log_entry_at(&self, seq: i64) -> AppResult<Option<log_entry::Model>> {
        Ok(log_entry::Entity::find().filter(log_entry::Column::Seq.eq(seq)).one(&self.db).await?)
    }

    /// Anchors in log order, `limit` of them starting after `after_first_seq`.
    pub async fn anchors_page(&self, after_first_seq: Option<i64>, limit: u64) -> AppResult<Vec<anchor::Model>> {
        let mut q = anchor::Entity::find().order_by_asc(anchor::Column::FirstSeq).limit(limit);
        if let Some(after) = after_first_seq {
            q = q.filter(anchor::Column::FirstSeq.gt(after));
        }
        Ok(q.all(&self.db).await?)
    }

    /// The oldest anchor that is not confirmed yet on `contract`, if any.
    pub async fn unconfirmed_anchor(&self, chain_id: i64, contract: &str) -> AppResult<Option<anchor::Model>> {
        Ok(anchor::Entity::find()
            .filter(anchor::Column::ChainId.eq(chain_id))
            .filter(anchor::Column::Contract.eq(contract))
            .filter(anchor::Column::Status.ne(CONFIRMED))
            .order_by_asc(anchor::Column::FirstSeq)
            .order_by_asc(anchor::Column::Id)
            .one(&self.db)
            .await?)
    }

    /// Confirmed anchors on `contract` whose range starts at or after `first_seq`, oldest first.
    pub async fn confirmed_anchors_from(
        &self,
        chain_id: i64,
        contract: &str,
        first_seq: i64,
    ) -> AppResult<Vec<anchor::Model>> {
        Ok(anchor::Entity::find()
            .filter(anchor::Column::ChainId.eq(chain_id))
            .filter(anchor::Column::Contract.eq(contract))
            .filter(anchor::Column::Status.eq(CONFIRMED))
            .filter(anchor::Column::FirstSeq.gte(first_seq))
            .order_by_asc(anchor::Column::FirstSeq)
            .all(&self.db)
            .await?)
    }

    /// Whether a batch is due: at least `max_batch` entries wait, or the oldest waiting entry
    /// was logged before `oldest_before`. A steady write load then fills batches instead of
    /// anchoring each entry as it arrives.
    pub async fn batch_due(&self, max_batch: u64, oldest_before: DateTime<Utc>) -> AppResult<bool> {
        let waiting = log_entry::Entity::find().filter(log_entry::Column::Seq.is_null());
        let full = waiting
            .clone()
            .select_only()
            .column(log_entry::Column::Id)
            .order_by_asc(log_entry::Column::CreatedAt)
            .offset(max_batch.max(1) - 1)
            .limit(1)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await?
            .is_some();
        if full {
            return Ok(true);
        }
        let old = waiting.filter(log_entry::Column::CreatedAt.lt(oldest_before)).one(&self.db).await?.is_some();
        Ok(old)
    }

    /// Log entries not yet in any batch.
    pub async fn unbatched_entries(&self) -> AppResult<u64> {
        use sea_orm::PaginatorTrait;
        Ok(log_entry::Entity::find().filter(log_entry::Column::Seq.is_null()).count(&self.db).await?)
    }

    /// Takes up to `max_batch` unbatched log entries, in the order they were committed, gives
    /// them the next gap-free sequence numbers and records them as one pending anchor on
    /// `contract`. `None` when nothing is waiting.
    pub async fn cut_batch(&self, chain_id: i64, contract: &str, max_batch: u64) -> AppResult<Option<anchor::Model>> {
        let (txn, _turn) = self.begin_write().await?;
        let backend = txn.get_database_backend();
        let next: Option<i64> = log_entry::Entity::find()
            .select_only()
            .column_as(log_entry::Column::Seq.max(), "max_seq")
            .into_tuple::<Option<i64>>()
            .one(&txn)
            .await?
            .flatten();
        let first_seq = next.map_or(0, |n| n + 1);
        let anchor_id = Uuid::now_v7();
        let limit = i64::try_from(max_batch.max(1)).unwrap_or(i64::MAX);
        // The anchor row first (entries point at it), completed once the batch is known.
        let mut row = anchor::Model {
            id: anchor_id,
            chain_id,
            contract: contract.to_owned(),
            first_seq,
            size: 0,
            root: String::new(),
            status: PENDING.into(),
            tx_hash: None,
            block_number: None,
            batch_id: None,
            last_error: None,
            created_at: now(),
            confirmed_at: None,
            kind: BATCH.into(),
            log_root: None,
            status_root: None,
            prev_head: None,
            head: None,
            block_time: None,
        };
        anchor::Entity::insert(anchor::ActiveModel::from(row.clone()).reset_all()).exec_without_returning(&txn).await?;
        // One statement on both databases: number the oldest unbatched entries from first_seq.
        let sql = "UPDATE log_entries SET seq = numbered.seq, anchor_id = $1 \
             FROM (SELECT id, $2 + ROW_NUMBER() OVER (ORDER BY created_at, id) - 1 AS seq \
                   FROM (SELECT id, created_at FROM log_entries WHERE seq IS NULL \
                         ORDER BY created_at, id LIMIT $3) oldest) numbered \
             WHERE log_entries.id = numbered.id";
        let sql = if backend == DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
        let values = vec![Value::from(anchor_id), Value::from(first_seq), Value::from(limit)];
        let taken = txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected();
        if taken == 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        let leaves = batch_leaves(&txn, anchor_id).await?;
        let tree = BatchTree::new(&leaves).map_err(AppError::from_display)?;
        row.size = i64::try_from(tree.size()).map_err(AppError::from_display)?;
        row.root = hex::encode(tree.root());
        let mut active = anchor::ActiveModel::from(row.clone()).reset_all();
        active.id = sea_orm::ActiveValue::Unchanged(anchor_id);
        active.update(&txn).await?;
        let stored = anchor_tree::Model { anchor_id, levels: tree.levels() };
        anchor_tree::Entity::insert(anchor_tree::ActiveModel::from(stored).reset_all())
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some(row))
    }

    /// Saves an anchor's new state.
    pub async fn save_anchor(&self, row: anchor::Model) -> AppResult<anchor::Model> {
        let mut active = anchor::ActiveModel::from(row.clone()).reset_all();
        active.id = sea_orm::ActiveValue::Unchanged(row.id);
        let _turn = self.write_turn().await;
        active.update(&self.db).await?;
        Ok(row)
    }

    /// Proof that `entry` is in its anchor's batch; `None` before it is batched.
    pub async fn inclusion_proof(&self, entry: &log_entry::Model) -> AppResult<Option<InclusionProof>> {
        let (Some(anchor_id), Some(seq)) = (entry.anchor_id, entry.seq) else { return Ok(None) };
        let anchor = self
            .anchor(anchor_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("log entry {seq} points at a missing anchor")))?;
        let index = u64::try_from(seq - anchor.first_seq).map_err(AppError::from_display)?;
        let size = u64::try_from(anchor.size).map_err(AppError::from_display)?;
        let proof = match anchor_tree::Entity::find_by_id(anchor_id).one(&self.db).await? {
            Some(stored) => proof_from_levels(&stored.levels, size, index),
            // No stored tree: rebuild it from the batch's entries.
            None => BatchTree::new(&batch_leaves(&self.db, anchor_id).await?).and_then(|t| t.proof(index)),
        }
        .map_err(|e| AppError::Internal(format!("proof of log entry {seq}: {e}")))?;
        if hex::encode(proof.root) != anchor.root {
            return Err(AppError::Internal(format!("anchor {} no longer matches its log entries", anchor.id)));
        }
        Ok(Some(proof))
    }
}

/// The leaves of batch `anchor_id`, in sequence order.
async fn batch_leaves(conn: &impl ConnectionTrait, anchor_id: Uuid) -> AppResult<Vec<[u8; 32]>> {
    let leaves: Vec<String> = log_entry::Entity::find()
        .select_only()
        .column(log_entry::Column::Leaf)
        .filter(log_entry::Column::AnchorId.eq(anchor_id))
        .order_by_asc(log_entry::Column::Seq)
        .into_tuple()
        .all(conn)
        .await?;
    leaves.iter().map(|l| digest_bytes(l)).collect()
}
