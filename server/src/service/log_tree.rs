//! The log as one RFC 6962 tree on the database side: its stored hashes are written as
//! numbered entries are anchored, and tree heads, the status map at a size, signed checkpoints
//! and consistency proofs are read from them.
//!
//! The tree covers the numbered entries (those cut into batches); its anchored size is the end
//! of the newest confirmed batch. Rows are a pure function of the log, so a replica that
//! extends the tree at the same time as another writes the same rows (`ON CONFLICT DO NOTHING`).
use provreg_anchor::checkpoint::{CheckpointBody, LogKey};
use provreg_anchor::log_tree::{self, ConsistencyProof, StoredHashes};
use provreg_anchor::state::GENESIS_HEAD;
use provreg_anchor::{Digest, LogState, StatusMap, status_key};
use provreg_entities::{anchor, log_entry, log_tree_hash, status_event};
use provreg_schema::RecordKind;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait as _, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Registry;
use super::log::{CONFIRMED, PENDING, STATE};
use crate::error::{AppError, AppResult};

/// Rows written per statement when the tree grows.
const INSERT_CHUNK: usize = 1000;

/// Log entries added to the tree per transaction: a registry that moves a long log onto a
/// state contract builds its tree in steps of bounded memory.
const EXTEND_CHUNK: u64 = 65_536;

/// The kept status map and the log size it is the map of.
#[derive(Debug, Default)]
pub struct StatusCache {
    size: u64,
    map: StatusMap,
}

/// A signed checkpoint and what it says.
#[derive(Debug, Clone)]
pub struct SignedCheckpoint {
    pub body: CheckpointBody,
    /// The C2SP signed note.
    pub note: String,
}

fn hex_digest(text: &str, what: &str) -> AppResult<Digest> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text.trim_start_matches("0x"), &mut out)
        .map_err(|e| AppError::Internal(format!("{what} {text:?} is not a SHA-256 digest: {e}")))?;
    Ok(out)
}

/// The tree size whose stored hash count is `count` (`2n - popcount(n)` grows with `n`).
fn size_of_count(count: u64) -> AppResult<u64> {
    let (mut lo, mut hi) = (0u64, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if log_tree::stored_hash_count(mid) < count { lo = mid + 1 } else { hi = mid }
    }
    if log_tree::stored_hash_count(lo) != count {
        return Err(AppError::Internal(format!("the log tree holds {count} stored hashes, which no tree size has")));
    }
    Ok(lo)
}

async fn read_hashes(conn: &impl ConnectionTrait, indexes: &[u64]) -> AppResult<StoredHashes> {
    let mut out = StoredHashes::new();
    for chunk in indexes.chunks(INSERT_CHUNK) {
        let ids: Vec<i64> =
            chunk.iter().map(|i| i64::try_from(*i).map_err(AppError::from_display)).collect::<AppResult<_>>()?;
        let rows = log_tree_hash::Entity::find().filter(log_tree_hash::Column::Idx.is_in(ids)).all(conn).await?;
        for row in rows {
            out.insert(u64::try_from(row.idx).map_err(AppError::from_display)?, hex_digest(&row.hash, "stored hash")?);
        }
    }
    if out.len() != indexes.len() {
        return Err(AppError::Internal("the log tree lacks stored hashes it should have".into()));
    }
    Ok(out)
}

/// The size of the stored tree. Stored hashes are numbered in the order a growing tree makes
/// them and written a whole tree at a time, so their count is the highest index plus one: an
/// index lookup, where counting the rows would read all of them.
async fn stored_tree_size(conn: &impl ConnectionTrait) -> AppResult<u64> {
    let highest: Option<Option<i64>> = log_tree_hash::Entity::find()
        .select_only()
        .column_as(log_tree_hash::Column::Idx.max(), "highest")
        .into_tuple()
        .one(conn)
        .await?;
    match highest.flatten() {
        None => Ok(0),
        Some(i) => size_of_count(u64::try_from(i).map_err(AppError::from_display)? + 1),
    }
}

/// Writes the stored hashes that entries `have..end` add to the tree of `have` entries.
async fn extend_chunk(txn: &impl ConnectionTrait, have: u64, end: u64) -> AppResult<()> {
    let entries = log_entry::Entity::find()
        .filter(log_entry::Column::Seq.gte(i64::try_from(have).map_err(AppError::from_display)?))
        .filter(log_entry::Column::Seq.lt(i64::try_from(end).map_err(AppError::from_display)?))
        .select_only()
        .column(log_entry::Column::Seq)
        .column(log_entry::Column::Leaf)
        .order_by_asc(log_entry::Column::Seq)
        .into_tuple::<(Option<i64>, String)>()
        .all(txn)
        .await?;
    let mut leaves = Vec::with_capacity(entries.len());
    for (i, (seq, leaf)) in entries.iter().enumerate() {
        if *seq != Some(i64::try_from(have + i as u64).map_err(AppError::from_display)?) {
            return Err(AppError::Internal(format!("log entry {} is missing", have + i as u64)));
        }
        leaves.push(hex_digest(leaf, "log leaf")?);
    }
    if (leaves.len() as u64) < end - have {
        return Err(AppError::Internal(format!("log entries {have}..{end} are not all numbered")));
    }
    let mut known = read_hashes(txn, &log_tree::append_indexes(have, end).map_err(AppError::from_display)?).await?;
    let added = log_tree::append(have, &leaves, &mut known).map_err(AppError::from_display)?;
    for chunk in added.chunks(INSERT_CHUNK) {
        let rows = chunk
            .iter()
            .map(|(idx, hash)| {
                Ok(log_tree_hash::ActiveModel {
                    idx: sea_orm::Set(i64::try_from(*idx).map_err(AppError::from_display)?),
                    hash: sea_orm::Set(hex::encode(hash)),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        match log_tree_hash::Entity::insert_many(rows)
            .on_conflict(OnConflict::column(log_tree_hash::Column::Idx).do_nothing().to_owned())
            .exec_without_returning(txn)
            .await
        {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

impl Registry {
    /// How many entries the stored tree covers.
    pub async fn log_tree_size(&self) -> AppResult<u64> {
        stored_tree_size(&self.db).await
    }

    /// The end of the newest confirmed batch: the size of the anchored log tree.
    pub async fn anchored_log_size(&self) -> AppResult<u64> {
        let newest = anchor::Entity::find()
            .filter(anchor::Column::Status.eq(CONFIRMED))
            .order_by_desc(anchor::Column::FirstSeq)
            .one(&self.db)
            .await?;
        Ok(newest.map_or(0, |a| u64::try_from(a.first_seq + a.size).unwrap_or_default()))
    }

    /// Writes the stored hashes of numbered entries up to `upto` (exclusive) that are not yet
    /// in the tree, [`EXTEND_CHUNK`] entries per transaction (each chunk leaves a whole tree of
    /// a smaller size behind, so a stop between chunks is resumed by the next call).
    pub async fn extend_log_tree(&self, upto: u64) -> AppResult<()> {
        self.extend_log_tree_by(upto, EXTEND_CHUNK).await
    }

    async fn extend_log_tree_by(&self, upto: u64, chunk: u64) -> AppResult<()> {
        // Read the size first without the write lock: nothing to do is the common case.
        if self.log_tree_size().await? >= upto {
            return Ok(());
        }
        loop {
            let (txn, _turn) = self.begin_write().await?;
            let have = stored_tree_size(&txn).await?;
            if have >= upto {
                return Ok(());
            }
            extend_chunk(&txn, have, upto.min(have + chunk.max(1))).await?;
            txn.commit().await?;
        }
    }

    /// The RFC 6962 proof of `entry` in the newest confirmed state's log tree, with that
    /// state; `None` before a state covers the entry.
    pub async fn log_proof(
        &self,
        entry: &log_entry::Model,
    ) -> AppResult<Option<(provreg_anchor::LogInclusionProof, anchor::Model)>> {
        let (Some(seq), Some(state)) = (entry.seq, self.latest_state().await?) else { return Ok(None) };
        let size = u64::try_from(state.first_seq + state.size).map_err(AppError::from_display)?;
        let seq = u64::try_from(seq).map_err(AppError::from_display)?;
        if seq >= size {
            return Ok(None);
        }
        let known =
            read_hashes(&self.db, &log_tree::inclusion_indexes(seq, size).map_err(AppError::from_display)?).await?;
        let proof = log_tree::prove_inclusion(&hex_digest(&entry.leaf, "log leaf")?, seq, size, &known)
            .map_err(AppError::from_display)?;
        Ok(Some((proof, state)))
    }

    /// The newest confirmed state as of `as_of` (`None`: now): for a sequence number, the
    /// newest whose log ends at or before it; for a time, the newest confirmed by then.
    pub async fn state_as_of(&self, as_of: Option<&super::as_of::AsOf>) -> AppResult<Option<anchor::Model>> {
        let mut q =
            anchor::Entity::find().filter(anchor::Column::Kind.eq(STATE)).filter(anchor::Column::Status.eq(CONFIRMED));
        match as_of {
            None => {}
            Some(super::as_of::AsOf::Seq(seq)) => {
                use sea_orm::sea_query::{Expr, ExprTrait as _};
                let end = Expr::col(anchor::Column::FirstSeq).add(Expr::col(anchor::Column::Size));
                q = q.filter(end.lte(seq.saturating_add(1)));
            }
            Some(super::as_of::AsOf::Time(t)) => q = q.filter(anchor::Column::ConfirmedAt.lte(*t)),
        }
        Ok(q.order_by_desc(anchor::Column::FirstSeq).order_by_desc(anchor::Column::Id).one(&self.db).await?)
    }

    /// The status-map proof of `record` in `state`.
    pub async fn status_proof(&self, record: &str, state: &anchor::Model) -> AppResult<provreg_anchor::StatusProof> {
        let size = u64::try_from(state.first_seq + state.size).map_err(AppError::from_display)?;
        let key = status_key(record);
        let (root, proof) = self.with_status_map(size, |map| (map.root(), map.prove(&key))).await?;
        if Some(hex::encode(root)) != state.status_root {
            return Err(AppError::Internal(format!(
                "the status events no longer give state {}'s status root",
                state.id
            )));
        }
        Ok(proof)
    }

    /// The stored hashes at `indexes` (each must exist).
    pub async fn stored_hashes(&self, indexes: &[u64]) -> AppResult<StoredHashes> {
        read_hashes(&self.db, indexes).await
    }

    /// The root of the log tree of its first `size` entries.
    pub async fn log_tree_root(&self, size: u64) -> AppResult<Digest> {
        let known = read_hashes(&self.db, &log_tree::root_indexes(size).map_err(AppError::from_display)?).await?;
        log_tree::root(size, &known).map_err(AppError::from_display)
    }

    /// The status map as it stood after the first `size` log entries: each record with a status
    /// event among them, to the record digest of its newest. Built afresh from the database
    /// (what `provreg fsck` compares with); the registry's reads use [`Self::with_status_map`].
    pub async fn status_map_at(&self, size: u64) -> AppResult<StatusMap> {
        Ok(StatusMap::from_entries(self.status_entries(0, size).await?))
    }

    /// Runs `f` on the status map after the first `size` log entries. The map of the largest
    /// size asked for is kept and extended with the status events logged since (entries
    /// below an anchored size never change), so a bundle or a status proof reads only the
    /// events it has not seen; an older size is built afresh.
    pub async fn with_status_map<T>(&self, size: u64, f: impl FnOnce(&StatusMap) -> T) -> AppResult<T> {
        let mut cache = self.status_cache.lock().await;
        if cache.size > size {
            drop(cache);
            return Ok(f(&self.status_map_at(size).await?));
        }
        if cache.size < size {
            let from = cache.size;
            for (key, value) in self.status_entries(from, size).await? {
                cache.map.insert(key, value);
            }
            cache.size = size;
        }
        Ok(f(&cache.map))
    }

    /// The status-map entries of the status events logged at sequence numbers `from..to`, in
    /// log order (a later one of a record replaces an earlier).
    async fn status_entries(&self, from: u64, to: u64) -> AppResult<Vec<(Digest, Digest)>> {
        let entries = log_entry::Entity::find()
            .filter(log_entry::Column::RecordKind.eq(RecordKind::StatusEvent.as_str()))
            .filter(log_entry::Column::Seq.gte(i64::try_from(from).map_err(AppError::from_display)?))
            .filter(log_entry::Column::Seq.lt(i64::try_from(to).map_err(AppError::from_display)?))
            .order_by_asc(log_entry::Column::Seq)
            .all(&self.db)
            .await?;
        let ids: Vec<uuid::Uuid> = entries.iter().map(|e| e.record_id).collect();
        let mut subject = std::collections::HashMap::new();
        for chunk in ids.chunks(INSERT_CHUNK) {
            let events = status_event::Entity::find()
                .filter(status_event::Column::Id.is_in(chunk.to_vec()))
                .select_only()
                .column(status_event::Column::Id)
                .column(status_event::Column::SubjectId)
                .into_tuple::<(uuid::Uuid, uuid::Uuid)>()
                .all(&self.db)
                .await?;
            subject.extend(events);
        }
        let mut out = Vec::with_capacity(entries.len());
        for e in &entries {
            let subject = subject
                .get(&e.record_id)
                .ok_or_else(|| AppError::Internal(format!("status event {} is logged but not stored", e.record_id)))?;
            out.push((status_key(&subject.to_string()), hex_digest(&e.record_digest, "status event digest")?));
        }
        Ok(out)
    }

    /// The checkpoint of the anchored log tree, signed with `key`; `None` before the first
    /// confirmed anchor.
    pub async fn checkpoint(&self, origin: &str, key: &LogKey) -> AppResult<Option<SignedCheckpoint>> {
        let size = self.anchored_log_size().await?;
        if size == 0 {
            return Ok(None);
        }
        self.extend_log_tree(size).await?;
        let body = CheckpointBody {
            origin: origin.to_owned(),
            size,
            log_root: self.log_tree_root(size).await?,
            status_root: self.with_status_map(size, StatusMap::root).await?,
        };
        let note = key.sign(&body).map_err(AppError::from_display)?;
        Ok(Some(SignedCheckpoint { body, note }))
    }

    /// The proof that the log tree of `old` entries is a prefix of the tree of `new`; both at
    /// most the anchored size. Errors name the argument.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> AppResult<ConsistencyProof> {
        let anchored = self.anchored_log_size().await?;
        if old == 0 || old > new {
            return Err(AppError::bad_input(
                "/oldSize",
                "range",
                format!("oldSize must be at least 1 and at most newSize ({new})"),
            ));
        }
        if new > anchored {
            return Err(AppError::bad_input(
                "/newSize",
                "anchored",
                format!("newSize {new} is past the anchored log ({anchored} entries)"),
            ));
        }
        self.extend_log_tree(new).await?;
        let known =
            read_hashes(&self.db, &log_tree::consistency_indexes(old, new).map_err(AppError::from_display)?).await?;
        log_tree::prove_consistency(old, new, &known).map_err(AppError::from_display)
    }
}

/// The fields of a state anchor row.
pub fn state_of(row: &anchor::Model) -> AppResult<LogState> {
    let field = |v: &Option<String>, what: &str| -> AppResult<Digest> {
        hex_digest(
            v.as_deref().ok_or_else(|| AppError::Internal(format!("state anchor {} has no {what}", row.id)))?,
            what,
        )
    };
    Ok(LogState {
        prev_head: field(&row.prev_head, "previous head")?,
        log_root: field(&row.log_root, "log root")?,
        size: u64::try_from(row.first_seq + row.size).map_err(AppError::from_display)?,
        status_root: field(&row.status_root, "status root")?,
    })
}

impl Registry {
    /// Confirmed states on `contract`, oldest first.
    pub async fn confirmed_states(&self, chain_id: i64, contract: &str) -> AppResult<Vec<anchor::Model>> {
        let mut all = self.states(chain_id, contract).await?;
        all.retain(|r| r.status == CONFIRMED);
        Ok(all)
    }

    /// Every state on `contract` with its head fixed, in anchoring order.
    pub async fn states(&self, chain_id: i64, contract: &str) -> AppResult<Vec<anchor::Model>> {
        self.states_from(chain_id, contract, 0).await
    }

    /// The states on `contract` with their head fixed whose log ends start at or after
    /// `first_seq`, in anchoring order.
    pub async fn states_from(&self, chain_id: i64, contract: &str, first_seq: i64) -> AppResult<Vec<anchor::Model>> {
        Ok(anchor::Entity::find()
            .filter(anchor::Column::ChainId.eq(chain_id))
            .filter(anchor::Column::Contract.eq(contract))
            .filter(anchor::Column::Kind.eq(STATE))
            .filter(anchor::Column::Head.is_not_null())
            .filter(anchor::Column::FirstSeq.gte(first_seq))
            .order_by_asc(anchor::Column::FirstSeq)
            .order_by_asc(anchor::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// The newest confirmed state on `contract`, the one the next state follows.
    pub async fn newest_state_on(&self, chain_id: i64, contract: &str) -> AppResult<Option<anchor::Model>> {
        Ok(anchor::Entity::find()
            .filter(anchor::Column::ChainId.eq(chain_id))
            .filter(anchor::Column::Contract.eq(contract))
            .filter(anchor::Column::Kind.eq(STATE))
            .filter(anchor::Column::Status.eq(CONFIRMED))
            .order_by_desc(anchor::Column::FirstSeq)
            .order_by_desc(anchor::Column::Id)
            .one(&self.db)
            .await?)
    }

    /// The newest confirmed state on any contract (the one bundles prove against).
    pub async fn latest_state(&self) -> AppResult<Option<anchor::Model>> {
        Ok(anchor::Entity::find()
            .filter(anchor::Column::Kind.eq(STATE))
            .filter(anchor::Column::Status.eq(CONFIRMED))
            .order_by_desc(anchor::Column::FirstSeq)
            .order_by_desc(anchor::Column::Id)
            .one(&self.db)
            .await?)
    }

    /// The state anchor row with head `head` on `contract`.
    pub async fn state_by_head(
        &self,
        chain_id: i64,
        contract: &str,
        head: &Digest,
    ) -> AppResult<Option<anchor::Model>> {
        Ok(anchor::Entity::find()
            .filter(anchor::Column::ChainId.eq(chain_id))
            .filter(anchor::Column::Contract.eq(contract))
            .filter(anchor::Column::Head.eq(hex::encode(head)))
            .one(&self.db)
            .await?)
    }

    /// Completes a freshly cut batch as the state after `prev` (the newest confirmed state on
    /// its contract, `None` for the first): the log tree and status map at its end, and its
    /// head.
    pub async fn prepare_state(
        &self,
        mut row: anchor::Model,
        prev: Option<&anchor::Model>,
    ) -> AppResult<anchor::Model> {
        let end = u64::try_from(row.first_seq + row.size).map_err(AppError::from_display)?;
        self.extend_log_tree(end).await?;
        let state = LogState {
            prev_head: match prev {
                Some(p) => state_of(p)?.head(),
                None => GENESIS_HEAD,
            },
            log_root: self.log_tree_root(end).await?,
            size: end,
            status_root: self.with_status_map(end, StatusMap::root).await?,
        };
        row.kind = STATE.into();
        row.log_root = Some(hex::encode(state.log_root));
        row.status_root = Some(hex::encode(state.status_root));
        row.prev_head = Some(hex::encode(state.prev_head));
        row.head = Some(hex::encode(state.head()));
        self.save_anchor(row).await
    }

    /// A heartbeat: a pending state after `prev` with the same log and status map, so the chain
    /// shows the registry still stands by them.
    pub async fn heartbeat_state(&self, prev: &anchor::Model) -> AppResult<anchor::Model> {
        let before = state_of(prev)?;
        let state = LogState { prev_head: before.head(), ..before };
        let row = anchor::Model {
            id: uuid::Uuid::now_v7(),
            chain_id: prev.chain_id,
            contract: prev.contract.clone(),
            first_seq: prev.first_seq + prev.size,
            size: 0,
            root: hex::encode(state.log_root),
            status: PENDING.into(),
            tx_hash: None,
            block_number: None,
            batch_id: None,
            last_error: None,
            created_at: super::now(),
            confirmed_at: None,
            kind: STATE.into(),
            log_root: Some(hex::encode(state.log_root)),
            status_root: Some(hex::encode(state.status_root)),
            prev_head: Some(hex::encode(state.prev_head)),
            head: Some(hex::encode(state.head())),
            block_time: None,
        };
        let _turn = self.write_turn().await;
        anchor::Entity::insert(anchor::ActiveModel::from(row.clone()).reset_all())
            .exec_without_returning(&self.db)
            .await?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest as _;

    use super::*;

    /// A registry on an in-memory database holding `n` numbered log entries; their leaves.
    async fn numbered_log(n: u64) -> (Registry, Vec<Digest>) {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let mut leaves = Vec::new();
        for seq in 0..n {
            let leaf: Digest = sha2::Sha256::digest(seq.to_be_bytes()).into();
            log_entry::ActiveModel::from(log_entry::Model {
                id: uuid::Uuid::now_v7(),
                seq: Some(i64::try_from(seq).unwrap()),
                record_kind: "dataset".into(),
                record_id: uuid::Uuid::now_v7(),
                record_digest: hex::encode(leaf),
                certificate_digest: hex::encode([0u8; 32]),
                leaf: hex::encode(leaf),
                anchor_id: None,
                created_at: crate::service::now(),
            })
            .insert(&db)
            .await
            .unwrap();
            leaves.push(leaf);
        }
        (Registry::new(db).unwrap(), leaves)
    }

    #[tokio::test]
    async fn the_tree_grows_in_chunks_to_the_tree_of_the_whole_log() {
        let (registry, leaves) = numbered_log(23).await;
        let mut whole = StoredHashes::new();
        log_tree::append(0, &leaves, &mut whole).unwrap();
        assert_eq!(registry.log_tree_size().await.unwrap(), 0);
        // Grown 5 entries per transaction, first to 11, then to the end.
        registry.extend_log_tree_by(11, 5).await.unwrap();
        assert_eq!(registry.log_tree_size().await.unwrap(), 11);
        registry.extend_log_tree_by(23, 5).await.unwrap();
        assert_eq!(registry.log_tree_size().await.unwrap(), 23);
        for size in [1, 11, 16, 23] {
            assert_eq!(registry.log_tree_root(size).await.unwrap(), log_tree::root(size, &whole).unwrap(), "{size}");
        }
        let known = registry.stored_hashes(&log_tree::consistency_indexes(11, 23).unwrap()).await.unwrap();
        log_tree::prove_consistency(11, 23, &known).unwrap().verify().unwrap();
        // Past the numbered entries, nothing is written and the error says which are missing.
        let err = registry.extend_log_tree_by(30, 5).await.unwrap_err();
        assert!(err.to_string().contains("log entries 23.."), "{err}");
        assert_eq!(registry.log_tree_size().await.unwrap(), 23);
    }

    #[test]
    fn size_of_count_inverts_the_stored_hash_count() {
        for n in [0u64, 1, 2, 3, 7, 8, 1000, 1 << 20] {
            assert_eq!(size_of_count(log_tree::stored_hash_count(n)).unwrap(), n);
        }
        assert!(size_of_count(2).is_err());
    }
}
