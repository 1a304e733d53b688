//! What an export is built from: one read transaction over the lineage of a record, the
//! records in it (with their status, digest, signer and canonical payload) and the latest
//! anchored state of the log. Every export format is a pure function of a [`Snapshot`].
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use provreg_entities::{anchor, certificate, dataset, license, log_entry, model, model_version, token};
use provreg_schema::RecordKind;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::affected::{IN_BATCH, newest_status_events};
use crate::service::as_of::Cut;
use crate::service::lineage::{Direction, EdgeKind, NodeRef, lineage_in};

/// The latest anchored state of the log when the snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// Log entries recorded (anchored or not).
    pub entries: u64,
    /// The newest confirmed anchor, or `None` when nothing is anchored yet.
    pub anchored: Option<AnchoredState>,
}

/// One confirmed anchor: the log up to `last_seq` has Merkle root `root` on chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchoredState {
    /// The last sequence number the anchor covers.
    pub last_seq: i64,
    /// The batch's Merkle root (hex).
    pub root: String,
    pub chain_id: i64,
    pub contract: String,
    pub tx_hash: Option<String>,
    pub block_number: Option<i64>,
}

impl LogState {
    /// A one-line description: `anchored through seq 11 (root …, tx …)` or `none anchored`.
    pub fn describe(&self) -> String {
        match &self.anchored {
            Some(a) => format!(
                "anchored through log seq {} (root {}, chain {}, contract {}, tx {})",
                a.last_seq,
                a.root,
                a.chain_id,
                a.contract,
                a.tx_hash.as_deref().unwrap_or("unknown")
            ),
            None => format!("none anchored ({} log entries recorded)", self.entries),
        }
    }
}

/// Who signed a record's birth certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The signing certificate's subject.
    pub name: String,
    /// SHA-256 fingerprint of the signing certificate (hex).
    pub fingerprint: String,
}

/// A record of the snapshot.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Uuid,
    pub kind: RecordKind,
    /// Model name for a model version, dataset or licence name, `chainId/contract/tokenId`
    /// for a token.
    pub name: String,
    /// Version label of a model version, version of a dataset, SPDX ID of a licence.
    pub version: Option<String>,
    /// Current status: `active`, `deprecated`, `revoked` or `withdrawn`.
    pub status: String,
    /// SHA-256 of the record's canonical bytes (hex).
    pub digest: String,
    pub registered_at: DateTime<Utc>,
    /// The record's canonical payload.
    pub payload: Value,
    pub signer: Option<Signer>,
    /// The licence the record is under (datasets and model versions).
    pub license: Option<Uuid>,
}

/// What an edge of the snapshot means; edges point from the derived record to what it came
/// from, as in [`crate::service::lineage`], plus a token's `generatedBy` its model version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Lineage(EdgeKind),
    GeneratedBy,
}

/// A record reached, with its distance from the start (0 for the start itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub id: Uuid,
    pub kind: RecordKind,
    pub depth: u32,
}

/// `from` came from `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub from: Uuid,
    pub to: Uuid,
    pub relation: Relation,
}

/// A record's lineage as read in one transaction.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The record the export is of.
    pub start: Uuid,
    pub direction: Direction,
    pub max_depth: u32,
    /// Every record reached, nearest first.
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    pub records: HashMap<Uuid, Record>,
    pub log: LogState,
    pub taken_at: DateTime<Utc>,
}

impl Snapshot {
    /// The record `id`, which every node and link end has.
    pub fn record(&self, id: Uuid) -> AppResult<&Record> {
        self.records.get(&id).ok_or_else(|| AppError::Internal(format!("record {id} missing from the snapshot")))
    }
}

/// A transaction that only reads, and sees one state of the database throughout: on
/// PostgreSQL `REPEATABLE READ, READ ONLY`; on SQLite a deferred transaction, whose first read
/// fixes what it sees (WAL mode).
pub async fn begin_read(registry: &Registry) -> AppResult<DatabaseTransaction> {
    registry.begin_read().await
}

/// What kind of record `id` is, read through `conn`: `NOT_FOUND` when it is none.
pub async fn resolve(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<RecordKind> {
    if model_version::Entity::find_by_id(id).one(conn).await?.is_some() {
        Ok(RecordKind::ModelVersion)
    } else if dataset::Entity::find_by_id(id).one(conn).await?.is_some() {
        Ok(RecordKind::Dataset)
    } else if license::Entity::find_by_id(id).one(conn).await?.is_some() {
        Ok(RecordKind::License)
    } else if token::Entity::find_by_id(id).one(conn).await?.is_some() {
        Ok(RecordKind::Token)
    } else {
        Err(AppError::NotFound { kind: "record", id: id.to_string() })
    }
}

/// The lineage node of a licence, dataset or model version.
pub fn node(kind: RecordKind, id: Uuid) -> Option<NodeRef> {
    match kind {
        RecordKind::ModelVersion => Some(NodeRef::ModelVersion(id)),
        RecordKind::Dataset => Some(NodeRef::Dataset(id)),
        RecordKind::License => Some(NodeRef::License(id)),
        _ => None,
    }
}

/// The lineage of record `start` (a licence, dataset, model version or token) in `direction`,
/// at most `max_depth` hops, with its records (and their status) in the state of `cut`, and
/// the log state, read through `conn`. A token's lineage is upstream only: the token, then
/// its model version's lineage one hop further. `BAD_USER_INPUT` at `asOf` when `start` was
/// registered after the cut.
pub async fn take(
    conn: &impl ConnectionTrait,
    start: Uuid,
    direction: Direction,
    max_depth: u32,
    cut: &Cut,
) -> AppResult<Snapshot> {
    let kind = resolve(conn, start).await?;
    if *cut != Cut::Now {
        cut.require(conn, start).await?;
    }
    let (mut nodes, mut links) = (Vec::new(), Vec::new());
    let lineage = match (kind, node(kind, start)) {
        (_, Some(node)) => Some(lineage_in(conn, node, direction, max_depth, cut).await?),
        (RecordKind::Token, None) => {
            if direction == Direction::Downstream {
                return Err(AppError::bad_input(
                    "direction",
                    "enum",
                    "a token has no downstream lineage; ask for UPSTREAM",
                ));
            }
            nodes.push(Node { id: start, kind, depth: 0 });
            let row = token::Entity::find_by_id(start)
                .one(conn)
                .await?
                .ok_or_else(|| AppError::Internal(format!("token {start} vanished")))?;
            if max_depth == 0 {
                None
            } else {
                links.push(Link { from: start, to: row.model_version_id, relation: Relation::GeneratedBy });
                let node = NodeRef::ModelVersion(row.model_version_id);
                Some(lineage_in(conn, node, Direction::Upstream, max_depth - 1, cut).await?)
            }
        }
        (_, None) => return Err(AppError::Internal(format!("record {start} has no lineage"))),
    };
    let shift = u32::from(kind == RecordKind::Token);
    if let Some(lineage) = lineage {
        nodes.extend(lineage.nodes.iter().map(|(n, d)| Node { id: n.id(), kind: n.kind(), depth: d + shift }));
        links.extend(lineage.edges.iter().map(|e| Link {
            from: e.from.id(),
            to: e.to.id(),
            relation: Relation::Lineage(e.kind),
        }));
    }
    let ids: Vec<(Uuid, RecordKind)> = nodes.iter().map(|n| (n.id, n.kind)).collect();
    let records = records(conn, &ids, cut).await?;
    Ok(Snapshot {
        start,
        direction,
        max_depth,
        nodes,
        links,
        records,
        log: log_state(conn).await?,
        taken_at: crate::export::now(),
    })
}

/// The latest anchored state of the log, read through `conn`.
pub async fn log_state(conn: &impl ConnectionTrait) -> AppResult<LogState> {
    let entries = log_entry::Entity::find().count(conn).await?;
    let newest = anchor::Entity::find()
        .filter(anchor::Column::Status.eq(crate::service::log::CONFIRMED))
        .order_by_desc(anchor::Column::FirstSeq)
        .one(conn)
        .await?;
    Ok(LogState {
        entries,
        anchored: newest.map(|a| AnchoredState {
            last_seq: a.first_seq + a.size - 1,
            root: a.root,
            chain_id: a.chain_id,
            contract: a.contract,
            tx_hash: a.tx_hash,
            block_number: a.block_number,
        }),
    })
}

/// The canonical payload of a stored record.
fn payload_of(canonical: &[u8]) -> AppResult<Value> {
    let mut record: Value = serde_json::from_slice(canonical).map_err(AppError::from_display)?;
    Ok(record["payload"].take())
}

/// The records `ids` (with their kinds), with their status in the state of `cut` and their
/// signer, read through `conn`.
pub async fn records(
    conn: &impl ConnectionTrait,
    ids: &[(Uuid, RecordKind)],
    cut: &Cut,
) -> AppResult<HashMap<Uuid, Record>> {
    let of = |k: RecordKind| ids.iter().filter(|(_, kind)| *kind == k).map(|(id, _)| *id).collect::<Vec<_>>();
    let mut out = HashMap::new();
    for chunk in of(RecordKind::License).chunks(IN_BATCH) {
        for row in license::Entity::find().filter(license::Column::Id.is_in(chunk.to_vec())).all(conn).await? {
            out.insert(
                row.id,
                Record {
                    id: row.id,
                    kind: RecordKind::License,
                    name: row.name,
                    version: row.spdx_id,
                    status: String::new(),
                    digest: row.digest,
                    registered_at: row.created_at,
                    payload: payload_of(&row.canonical)?,
                    signer: None,
                    license: None,
                },
            );
        }
    }
    for chunk in of(RecordKind::Dataset).chunks(IN_BATCH) {
        for row in dataset::Entity::find().filter(dataset::Column::Id.is_in(chunk.to_vec())).all(conn).await? {
            out.insert(
                row.id,
                Record {
                    id: row.id,
                    kind: RecordKind::Dataset,
                    name: row.name,
                    version: Some(row.version),
                    status: String::new(),
                    digest: row.digest,
                    registered_at: row.created_at,
                    payload: payload_of(&row.canonical)?,
                    signer: None,
                    license: Some(row.license_id),
                },
            );
        }
    }
    let versions = of(RecordKind::ModelVersion);
    let mut model_names: HashMap<Uuid, String> = HashMap::new();
    for chunk in versions.chunks(IN_BATCH) {
        let rows =
            model_version::Entity::find().filter(model_version::Column::Id.is_in(chunk.to_vec())).all(conn).await?;
        let wanted: Vec<Uuid> = rows.iter().map(|r| r.model_id).filter(|m| !model_names.contains_key(m)).collect();
        if !wanted.is_empty() {
            for m in model::Entity::find().filter(model::Column::Id.is_in(wanted)).all(conn).await? {
                model_names.insert(m.id, m.name);
            }
        }
        for row in rows {
            out.insert(
                row.id,
                Record {
                    id: row.id,
                    kind: RecordKind::ModelVersion,
                    name: model_names.get(&row.model_id).cloned().unwrap_or_default(),
                    version: Some(row.version_label),
                    status: String::new(),
                    digest: row.digest,
                    registered_at: row.created_at,
                    payload: payload_of(&row.canonical)?,
                    signer: None,
                    license: Some(row.license_id),
                },
            );
        }
    }
    for chunk in of(RecordKind::Token).chunks(IN_BATCH) {
        for row in token::Entity::find().filter(token::Column::Id.is_in(chunk.to_vec())).all(conn).await? {
            out.insert(
                row.id,
                Record {
                    id: row.id,
                    kind: RecordKind::Token,
                    name: format!("{}/{}/{}", row.chain_id, row.contract, row.token_id),
                    version: None,
                    status: String::new(),
                    digest: row.digest,
                    registered_at: row.created_at,
                    payload: payload_of(&row.canonical)?,
                    signer: None,
                    license: None,
                },
            );
        }
    }
    let all: Vec<Uuid> = out.keys().copied().collect();
    for chunk in all.chunks(IN_BATCH) {
        for (subject, e) in newest_status_events(conn, chunk, cut).await? {
            if let Some(r) = out.get_mut(&subject) {
                r.status = e.status;
            }
        }
        let certs = certificate::Entity::find()
            .filter(certificate::Column::SubjectId.is_in(chunk.to_vec()))
            .order_by_asc(certificate::Column::IssuedAt)
            .all(conn)
            .await?;
        for c in certs {
            if let Some(r) = out.get_mut(&c.subject_id) {
                r.signer = Some(Signer { name: c.signer, fingerprint: c.signer_fingerprint });
            }
        }
    }
    for r in out.values_mut() {
        if r.status.is_empty() {
            r.status = "active".to_owned();
        }
    }
    Ok(out)
}
