//! `provreg fsck`: re-derives the log from the stored records and compares it with what the
//! database and the chain say, the check to run after a restore from backup.
//!
//! For every log entry: the record's canonical bytes hash to the entry's record digest, its
//! certificate's manifest store hashes to the entry's certificate digest, and the leaf is the
//! leaf of those. For every anchor: its entries carry the gap-free sequence numbers of its
//! range, and their leaves give its stored root. Against the chain (when one is given): every
//! confirmed anchor's range is on the contract with the same root and size, and the contract
//! holds nothing this database does not know. Nothing is changed; every divergence is reported.
use std::collections::{BTreeMap, HashMap};

use provreg_anchor::alloy_types::B256;
use provreg_anchor::{BatchTree, ChainReader, NO_CERTIFICATE, log_leaf};
use provreg_entities::{anchor, certificate, log_entry};
use provreg_schema::RecordKind;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::log::CONFIRMED;
use crate::service::seal::digest_bytes;

/// Log entries read per page.
const PAGE: u64 = 1000;

/// What a check found.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Log entries checked.
    pub entries: u64,
    /// Anchors checked against their entries.
    pub anchors: u64,
    /// Confirmed anchors compared with the chain (0 when no chain was given).
    pub on_chain: u64,
    /// Everything that does not agree, one sentence each.
    pub divergences: Vec<String>,
}

impl Report {
    /// Whether nothing diverged.
    pub fn is_clean(&self) -> bool {
        self.divergences.is_empty()
    }
}

/// The chain to compare with: a reader of the contract and the chain ID anchors were recorded on.
#[derive(Debug)]
pub struct Chain {
    pub reader: ChainReader,
    pub chain_id: i64,
    /// Set when the contract is a `ProvenanceLog`: its states are compared instead of batches.
    pub log: Option<provreg_anchor::LogReader>,
}

/// Every confirmed state of the contract must be anchored there (its event found by its
/// head), and the contract's head must be the newest.
async fn check_states_on_chain(
    registry: &Registry,
    log: &provreg_anchor::LogReader,
    chain_id: i64,
    contract: provreg_anchor::alloy_types::Address,
    report: &mut Report,
) -> AppResult<()> {
    let chain_error = |e: provreg_anchor::AnchorError| AppError::Internal(format!("chain: {e}"));
    let contract = contract.to_checksum(None);
    let confirmed = registry.confirmed_states(chain_id, &contract).await?;
    for a in &confirmed {
        report.on_chain += 1;
        let name = format!("state {} (size {})", a.id, a.first_seq + a.size);
        let head = B256::from(crate::service::seal::digest_bytes(a.head.as_deref().unwrap_or_default())?);
        if log.find_state(head, 0).await.map_err(chain_error)?.is_none() {
            report.divergences.push(format!(
                "{name}: confirmed here, but contract {contract} never anchored head {head}; the anchor worker \
                 anchors it again on its next round"
            ));
        }
    }
    let on_chain = log.head().await.map_err(chain_error)?;
    let newest = confirmed.last().and_then(|a| a.head.clone());
    if on_chain.map(|h| hex::encode(h.0)) != newest {
        report.divergences.push(format!(
            "contract {contract}'s head is {}, this database's newest confirmed state is {}",
            on_chain.map_or_else(|| "empty".to_owned(), |h| h.to_string()),
            newest.unwrap_or_else(|| "none".to_owned())
        ));
    }
    Ok(())
}

/// Checks the whole log of `registry`, and the chain when given. `progress` is called with the
/// number of entries checked so far after each page.
pub async fn check(registry: &Registry, chain: Option<&Chain>, mut progress: impl FnMut(u64)) -> AppResult<Report> {
    let mut report = Report::default();
    // seq → (anchor, leaf) of every batched entry.
    let mut batched: BTreeMap<i64, (Uuid, [u8; 32])> = BTreeMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = log_entry::Entity::find().order_by_asc(log_entry::Column::Id).limit(PAGE);
        if let Some(last) = after {
            q = q.filter(log_entry::Column::Id.gt(last));
        }
        let page = q.all(&registry.db).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        check_entries(registry, &page, &mut report, &mut batched).await?;
        progress(report.entries);
    }
    check_anchors(registry, &batched, &mut report).await?;
    if let Some(chain) = chain {
        check_chain(registry, chain, &mut report).await?;
    }
    Ok(report)
}

async fn check_entries(
    registry: &Registry,
    page: &[log_entry::Model],
    report: &mut Report,
    batched: &mut BTreeMap<i64, (Uuid, [u8; 32])>,
) -> AppResult<()> {
    let ids: Vec<Uuid> = page.iter().map(|e| e.record_id).collect();
    let records = canonical_digests(registry, page).await?;
    let certificates: HashMap<Uuid, String> = certificate::Entity::find()
        .filter(certificate::Column::SubjectId.is_in(ids))
        .all(&registry.db)
        .await?
        .into_iter()
        .map(|c| (c.subject_id, hex::encode(Sha256::digest(&c.manifest_store))))
        .collect();
    for entry in page {
        report.entries += 1;
        let name = format!("log entry {} ({} {})", entry.id, entry.record_kind, entry.record_id);
        match records.get(&entry.record_id) {
            None => report.divergences.push(format!("{name}: the record is missing")),
            Some(digest) if *digest != entry.record_digest => report.divergences.push(format!(
                "{name}: the record's canonical bytes hash to {digest}, the log says {}",
                entry.record_digest
            )),
            Some(_) => {}
        }
        let expected_certificate = certificates.get(&entry.record_id).cloned();
        let no_certificate = hex::encode(NO_CERTIFICATE);
        match expected_certificate {
            Some(digest) if digest != entry.certificate_digest => report.divergences.push(format!(
                "{name}: the certificate's manifest store hashes to {digest}, the log says {}",
                entry.certificate_digest
            )),
            None if entry.certificate_digest != no_certificate => {
                report.divergences.push(format!("{name}: the log names a certificate the database does not hold"))
            }
            _ => {}
        }
        let leaf = log_leaf(
            &entry.record_kind,
            &digest_bytes(&entry.record_digest)?,
            &digest_bytes(&entry.certificate_digest)?,
        );
        if hex::encode(leaf) != entry.leaf {
            report.divergences.push(format!(
                "{name}: its leaf is {}, its digests give {}",
                entry.leaf,
                hex::encode(leaf)
            ));
        }
        match (entry.seq, entry.anchor_id) {
            (Some(seq), Some(anchor)) => {
                if batched.insert(seq, (anchor, leaf)).is_some() {
                    report.divergences.push(format!("{name}: seq {seq} is given to two entries"));
                }
            }
            (None, None) => {}
            _ => report.divergences.push(format!("{name}: has a seq or an anchor but not both")),
        }
    }
    Ok(())
}

/// Record ID → hex SHA-256 of its stored canonical bytes, for the records of `page`.
async fn canonical_digests(registry: &Registry, page: &[log_entry::Model]) -> AppResult<HashMap<Uuid, String>> {
    let mut by_table: BTreeMap<&'static str, Vec<Uuid>> = BTreeMap::new();
    for entry in page {
        let kind: RecordKind = entry
            .record_kind
            .parse()
            .map_err(|_| AppError::Internal(format!("log entry {} has kind {:?}", entry.id, entry.record_kind)))?;
        by_table.entry(table(kind)).or_default().push(entry.record_id);
    }
    let backend = registry.db.get_database_backend();
    let mut digests = HashMap::new();
    for (table, ids) in by_table {
        let placeholders: Vec<String> = (1..=ids.len())
            .map(|i| if backend == DbBackend::Postgres { format!("${i}") } else { "?".to_owned() })
            .collect();
        let sql = format!("SELECT id, canonical FROM {table} WHERE id IN ({})", placeholders.join(", "));
        let values: Vec<sea_orm::Value> = ids.into_iter().map(Into::into).collect();
        for row in registry.db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            let id: Uuid = row.try_get("", "id")?;
            let canonical: Vec<u8> = row.try_get("", "canonical")?;
            digests.insert(id, hex::encode(Sha256::digest(&canonical)));
        }
    }
    Ok(digests)
}

/// The table holding records of `kind`.
fn table(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::License => "licenses",
        RecordKind::Dataset => "datasets",
        RecordKind::ModelVersion => "model_versions",
        RecordKind::StatusEvent => "status_events",
        RecordKind::Circuit => "circuits",
        RecordKind::Token => "tokens",
        RecordKind::Collection => "collections",
    }
}

async fn check_anchors(
    registry: &Registry,
    batched: &BTreeMap<i64, (Uuid, [u8; 32])>,
    report: &mut Report,
) -> AppResult<()> {
    // A heartbeat state (size 0) comes before the batch that starts where it does.
    let anchors = anchor::Entity::find()
        .order_by_asc(anchor::Column::FirstSeq)
        .order_by_asc(anchor::Column::Size)
        .order_by_asc(anchor::Column::Id)
        .all(&registry.db)
        .await?;
    // Each seq must be covered by exactly the anchor its entry names, from 0 with no gap.
    let mut expected_next = 0i64;
    for a in &anchors {
        report.anchors += 1;
        let name = format!("anchor {} (seq {}, size {})", a.id, a.first_seq, a.size);
        if a.first_seq != expected_next {
            report.divergences.push(format!("{name}: the previous batches end before seq {expected_next}"));
        }
        expected_next = a.first_seq + a.size;
        let mut leaves = Vec::new();
        for seq in a.first_seq..a.first_seq + a.size {
            match batched.get(&seq) {
                Some((owner, leaf)) if *owner == a.id => leaves.push(*leaf),
                Some((owner, _)) => report.divergences.push(format!("{name}: seq {seq} belongs to anchor {owner}")),
                None => report.divergences.push(format!("{name}: no log entry has seq {seq}")),
            }
        }
        if a.kind == crate::service::log::STATE && a.head.is_some() {
            check_state(registry, a, &name, report).await?;
        }
        if leaves.len() as i64 == a.size && !leaves.is_empty() {
            let root = BatchTree::new(&leaves).map_err(AppError::from_display)?.root();
            if hex::encode(root) != a.root {
                report.divergences.push(format!(
                    "{name}: its entries give root {}, it says {}",
                    hex::encode(root),
                    a.root
                ));
            }
        }
    }
    if let Some((&last, _)) = batched.last_key_value()
        && last >= expected_next
    {
        report
            .divergences
            .push(format!("log entries up to seq {last} are batched, anchors end before {expected_next}"));
    }
    Ok(())
}

/// A state's log root, status root and head, derived again from the log.
async fn check_state(registry: &Registry, a: &anchor::Model, name: &str, report: &mut Report) -> AppResult<()> {
    let stated = crate::service::log_tree::state_of(a)?;
    registry.extend_log_tree(stated.size).await?;
    let log_root = registry.log_tree_root(stated.size).await?;
    if log_root != stated.log_root {
        report.divergences.push(format!(
            "{name}: the log gives tree root {}, the state says {}",
            hex::encode(log_root),
            hex::encode(stated.log_root)
        ));
    }
    let status_root = registry.status_map_at(stated.size).await?.root();
    if status_root != stated.status_root {
        report.divergences.push(format!(
            "{name}: the status events give status root {}, the state says {}",
            hex::encode(status_root),
            hex::encode(stated.status_root)
        ));
    }
    if a.head.as_deref() != Some(hex::encode(stated.head()).as_str()) {
        report.divergences.push(format!("{name}: its head is not the hash of its fields"));
    }
    Ok(())
}

async fn check_chain(registry: &Registry, chain: &Chain, report: &mut Report) -> AppResult<()> {
    let rpc_contract = chain.reader.contract_address();
    if let Some(log) = &chain.log {
        return check_states_on_chain(registry, log, chain.chain_id, rpc_contract, report).await;
    }
    let chain_error = |e: provreg_anchor::AnchorError| AppError::Internal(format!("chain: {e}"));
    let contract = chain.reader.contract_address().to_checksum(None);
    let events = chain.reader.anchored_events(0).await.map_err(chain_error)?;
    let next_seq = chain.reader.next_seq().await.map_err(chain_error)?;
    let on_chain: HashMap<u64, (B256, u64)> = events.iter().map(|e| (e.first_seq, (e.root, e.size))).collect();
    let confirmed = anchor::Entity::find()
        .filter(anchor::Column::ChainId.eq(chain.chain_id))
        .filter(anchor::Column::Contract.eq(contract.as_str()))
        .filter(anchor::Column::Status.eq(CONFIRMED))
        .order_by_asc(anchor::Column::FirstSeq)
        .all(&registry.db)
        .await?;
    for a in &confirmed {
        report.on_chain += 1;
        let name = format!("anchor {} (seq {}, size {})", a.id, a.first_seq, a.size);
        let (first, size) = (u64::try_from(a.first_seq).unwrap_or(0), u64::try_from(a.size).unwrap_or(0));
        match on_chain.get(&first) {
            None => report.divergences.push(format!(
                "{name}: confirmed here, but contract {contract} holds no batch at seq {first} (its nextSeq is \
                 {next_seq}); the anchor worker anchors it again on its next round"
            )),
            Some((root, chain_size)) => {
                if hex::encode(root) != a.root || *chain_size != size {
                    report.divergences.push(format!(
                        "{name}: contract {contract} holds root {} (size {chain_size}) at seq {first}, this \
                         database root {}",
                        hex::encode(root),
                        a.root
                    ));
                }
            }
        }
    }
    // Pending anchors may be on chain already (sent, not yet confirmed): known as well.
    let all = anchor::Entity::find()
        .filter(anchor::Column::ChainId.eq(chain.chain_id))
        .filter(anchor::Column::Contract.eq(contract.as_str()))
        .all(&registry.db)
        .await?;
    let known: std::collections::HashSet<i64> = all.iter().map(|a| a.first_seq).collect();
    for e in &events {
        if i64::try_from(e.first_seq).map_or(true, |s| !known.contains(&s)) {
            report.divergences.push(format!(
                "contract {contract} holds a batch at seq {} (size {}) this database does not know",
                e.first_seq, e.size
            ));
        }
    }
    Ok(())
}
