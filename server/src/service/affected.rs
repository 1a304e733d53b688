//! What a record's lineage reaches downstream, at any depth: the model versions that came
//! from it, the tokens those generated, and the metadata updates (ERC-4906 style token
//! ranges) a status change writes for them.
//!
//! - A licence reaches the datasets under it and the model versions released under it.
//! - A dataset reaches the datasets derived from it, at any depth, and every model version
//!   trained on any of them.
//! - A model version reaches itself and its descendants (children through `parent_id`, at
//!   any depth); so does every model version reached the other ways.
//!
//! The tokens of the model versions reached are the affected tokens. They are listed in
//! registration order, by registry ID (a UUIDv7): a stable order a cursor (`after`, the last
//! registry ID seen) pages through, and one that new tokens only ever extend.
//!
//! The walk is one recursive query, the same SQL on SQLite and PostgreSQL, with the tokens
//! joined in: however wide the lineage, no list of IDs goes to the client and back. Each
//! join probes an index from the small recursive set (`dataset_derivations(source_id,
//! dataset_id)`, `training_inputs(dataset_id, model_version_id)`,
//! `model_versions(parent_id)`, `datasets(license_id)`, `model_versions(license_id)`,
//! `tokens(model_version_id)`). The functions read through any connection, so a status
//! change walks inside its own transaction and the updates it writes match what that
//! transaction saw.
use std::collections::{HashMap, HashSet};

use provreg_entities::{collection, metadata_update, status_event, token};
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement, Value,
};
use uuid::Uuid;

use super::Registry;
use super::as_of::{AsOf, Cut, CutSql};
use super::impact::{Affecting, TokenRange, token_ranges};
use super::lineage::NodeRef;
use crate::error::AppResult;
use crate::outbox::{OFF_CHAIN, PENDING};

/// The recursive part of every walk: `walk(id)`, the datasets reached, and `versions(id)`,
/// the model versions reached, from the start `$1`, only through records in the state of
/// `cut` (every record when it is now). Joins are written `cte CROSS JOIN table WHERE …` so
/// that SQLite keeps the recursive set as the outer loop and probes the table's index (it
/// has no statistics for a CTE); PostgreSQL plans them as ordinary joins.
fn reach(start: NodeRef, cut: &CutSql) -> String {
    let (datasets, versions) = match start {
        NodeRef::License(_) => (
            format!("SELECT id FROM datasets WHERE license_id = $1{}", cut.and("datasets.id")),
            format!("SELECT id FROM model_versions WHERE license_id = $1{}", cut.and("model_versions.id")),
        ),
        NodeRef::Dataset(_) => {
            ("SELECT id FROM datasets WHERE id = $1".to_owned(), "SELECT id FROM model_versions WHERE 1 = 0".to_owned())
        }
        NodeRef::ModelVersion(_) => {
            ("SELECT id FROM datasets WHERE 1 = 0".to_owned(), "SELECT id FROM model_versions WHERE id = $1".to_owned())
        }
    };
    let (dd, ti, mv) = (cut.and("dd.dataset_id"), cut.and("ti.model_version_id"), cut.and("mv.id"));
    format!(
        "WITH RECURSIVE \
         walk(id) AS ({datasets} \
           UNION SELECT dd.dataset_id FROM walk CROSS JOIN dataset_derivations dd WHERE dd.source_id = walk.id{dd}), \
         versions(id) AS (SELECT ti.model_version_id FROM walk CROSS JOIN training_inputs ti WHERE ti.dataset_id = walk.id{ti} \
           UNION {versions} \
           UNION SELECT mv.id FROM versions CROSS JOIN model_versions mv WHERE mv.parent_id = versions.id{mv}) "
    )
}

/// The tokens of the model versions reached (in the state of `cut`), as `FROM … WHERE …`
/// for `SELECT t.…`.
fn tokens_reached(cut: &CutSql) -> String {
    format!("FROM versions CROSS JOIN tokens t WHERE t.model_version_id = versions.id{}", cut.and("t.id"))
}

/// `sql` with numbered parameters for `backend` (`$n` becomes `?n`, which SQLite reads as
/// the same numbered parameter).
fn statement(backend: DbBackend, sql: String, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Sqlite { sql.replace('$', "?") } else { sql };
    Statement::from_sql_and_values(backend, sql, values)
}

/// PostgreSQL cannot estimate how small a recursive set is: it would hash-join it against
/// whole tables, and the inflated cost estimate would switch on JIT compilation. Every join
/// of a walk is an index probe from a small set, so, for the rest of `conn`'s transaction,
/// only nested loops. Nothing on SQLite.
async fn probe_indexes(conn: &impl ConnectionTrait) -> AppResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off",
        )
        .await?;
    }
    Ok(())
}

/// Model versions reached from `start` (`start` itself when it is one) in the state of
/// `cut`, by ID, read through `conn` (a transaction on PostgreSQL, for the planner settings
/// to apply).
pub async fn model_versions_in(conn: &impl ConnectionTrait, start: NodeRef, cut: &Cut) -> AppResult<Vec<Uuid>> {
    probe_indexes(conn).await?;
    let sql = format!("{} SELECT id FROM versions ORDER BY id", reach(start, &cut.sql(2)));
    let mut values = vec![start.id().into()];
    values.extend(cut.value());
    let rows = conn.query_all_raw(statement(conn.get_database_backend(), sql, values)).await?;
    Ok(rows.iter().map(|r| r.try_get::<Uuid>("", "id")).collect::<Result<_, _>>()?)
}

/// The query of [`tokens_in`]: `$1` the start, then `$2` the cursor when `after`, then the
/// limit, then the cut's value when it has one. PostgreSQL, seeing `ORDER BY t.id LIMIT n`, would rather walk the whole token table
/// in ID order and test each token against the reached versions; `OFFSET 0` keeps the join
/// apart (an optimisation fence), so it probes `tokens(model_version_id)` from the versions
/// reached and sorts what it found. SQLite plans the join that way by itself (and has no
/// `OFFSET` without `LIMIT`).
fn tokens_sql(backend: DbBackend, start: NodeRef, after: bool, cut: &Cut) -> String {
    let (cursor, limit, param) = if after { (" AND t.id > $2", "$3", 4) } else { ("", "$2", 3) };
    let fence = if backend == DbBackend::Postgres { " OFFSET 0" } else { "" };
    let cut = cut.sql(param);
    format!(
        "{}SELECT * FROM (SELECT t.* {}{cursor}{fence}) reached ORDER BY id LIMIT {limit}",
        reach(start, &cut),
        tokens_reached(&cut)
    )
}

/// Up to `limit` tokens reached from `start` in the state of `cut`, in registration order
/// (registry ID), after the token with registry ID `after`.
pub async fn tokens_in(
    conn: &impl ConnectionTrait,
    start: NodeRef,
    after: Option<Uuid>,
    limit: u64,
    cut: &Cut,
) -> AppResult<Vec<token::Model>> {
    probe_indexes(conn).await?;
    let backend = conn.get_database_backend();
    let mut values = vec![Value::from(start.id())];
    values.extend(after.map(Value::from));
    values.push(Value::from(i64::try_from(limit).unwrap_or(i64::MAX)));
    values.extend(cut.value());
    let stmt = statement(backend, tokens_sql(backend, start, after.is_some(), cut), values);
    Ok(token::Entity::find().from_raw_sql(stmt).all(conn).await?)
}

/// The tokens reached from `start` as maximal runs of consecutive token IDs, per chain and
/// contract, in numeric order.
pub async fn token_ranges_in(conn: &impl ConnectionTrait, start: NodeRef) -> AppResult<Vec<TokenRange>> {
    probe_indexes(conn).await?;
    let now = Cut::Now.sql(2);
    let sql = format!("{} SELECT t.chain_id, t.contract, t.token_id {}", reach(start, &now), tokens_reached(&now));
    let rows = conn.query_all_raw(statement(conn.get_database_backend(), sql, vec![start.id().into()])).await?;
    let keys = rows
        .iter()
        .map(|r| Ok((r.try_get::<i64>("", "chain_id")?, r.try_get("", "contract")?, r.try_get("", "token_id")?)))
        .collect::<Result<Vec<(i64, String, String)>, sea_orm::DbErr>>()?;
    Ok(token_ranges(keys))
}

/// The feed's `reason` for a change of a `kind` record to `status`: `licenseWithdrawn`,
/// `datasetRevoked`, `modelVersionDeprecated`, … and `…Reactivated` back to `active`.
pub fn update_reason(kind: &str, status: &str) -> String {
    let change = match status {
        "active" => "Reactivated".to_owned(),
        other => {
            let mut s = other.to_owned();
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            s
        }
    };
    format!("{kind}{change}")
}

/// Rows per multi-row insert (17 parameters each; well under both databases' limits).
const INSERT_BATCH: usize = 1_000;

/// Inside status event `event`'s transaction `conn`: writes one metadata update per run of
/// consecutive token IDs reached from `start`, and returns how many it wrote.
pub(crate) async fn record_status_change(
    conn: &impl ConnectionTrait,
    start: NodeRef,
    event: &status_event::Model,
) -> AppResult<usize> {
    let ranges = token_ranges_in(conn, start).await?;
    let reason = update_reason(&event.subject_kind, &event.status);
    let collections = recorded_collections(conn, &ranges).await?;
    for batch in ranges.chunks(INSERT_BATCH) {
        let rows = batch.iter().map(|r| metadata_update::ActiveModel {
            seq: ActiveValue::NotSet,
            chain_id: ActiveValue::Set(r.chain_id),
            contract: ActiveValue::Set(r.contract.clone()),
            from_token_id: ActiveValue::Set(r.from.clone()),
            to_token_id: ActiveValue::Set(r.to.clone()),
            token_count: ActiveValue::Set(r.count),
            reason: ActiveValue::Set(reason.clone()),
            status_event_id: ActiveValue::Set(event.id),
            created_at: ActiveValue::Set(event.created_at),
            status: ActiveValue::Set(
                if collections.contains(&(r.chain_id, r.contract.clone())) { PENDING } else { OFF_CHAIN }.to_owned(),
            ),
            tx_hash: ActiveValue::Set(None),
            intent_block: ActiveValue::Set(None),
            sent_at: ActiveValue::Set(None),
            confirmed_block: ActiveValue::Set(None),
            attempts: ActiveValue::Set(0),
            last_error: ActiveValue::Set(None),
            last_attempt_at: ActiveValue::Set(None),
        });
        metadata_update::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(ranges.len())
}

/// Of the contracts of `ranges`, those that are recorded collections on their chain (whose
/// feed rows the outbox sends on chain), read through `conn`.
async fn recorded_collections(conn: &impl ConnectionTrait, ranges: &[TokenRange]) -> AppResult<HashSet<(i64, String)>> {
    let wanted: HashSet<(i64, String)> = ranges.iter().map(|r| (r.chain_id, r.contract.clone())).collect();
    let addresses: HashSet<&str> = wanted.iter().map(|(_, a)| a.as_str()).collect();
    let mut found = HashSet::new();
    let addresses: Vec<&str> = addresses.into_iter().collect();
    for chunk in addresses.chunks(IN_BATCH) {
        let rows = collection::Entity::find()
            .filter(collection::Column::Address.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        found.extend(rows.into_iter().map(|c| (c.chain_id, c.address)).filter(|key| wanted.contains(key)));
    }
    Ok(found)
}

/// IDs per `IN (…)` list.
pub(crate) const IN_BATCH: usize = 500;

/// The newest status event in the state of `cut` of each of `ids` that has one, read
/// through `conn` (a transaction, for answers that must agree with its other reads), a few
/// hundred IDs per query.
pub(crate) async fn newest_status_events(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
    cut: &Cut,
) -> AppResult<HashMap<Uuid, status_event::Model>> {
    let mut newest = HashMap::new();
    for chunk in ids.chunks(IN_BATCH) {
        let events = status_event::Entity::find()
            .filter(status_event::Column::SubjectId.is_in(chunk.iter().copied()))
            .order_by_asc(status_event::Column::Id)
            .all(conn)
            .await?;
        let known = if *cut == Cut::Now {
            None
        } else {
            Some(cut.known(conn, &events.iter().map(|e| e.id).collect::<Vec<_>>()).await?)
        };
        for event in events {
            if known.as_ref().is_none_or(|k| k.contains(&event.id)) {
                newest.insert(event.subject_id, event);
            }
        }
    }
    Ok(newest)
}

impl Registry {
    /// Model versions reached from `start` at any depth (`start` itself when it is one).
    pub async fn downstream_model_versions(&self, start: NodeRef) -> AppResult<Vec<Uuid>> {
        let txn = self.begin_read().await?;
        let versions = model_versions_in(&txn, start, &Cut::Now).await?;
        txn.commit().await?;
        Ok(versions)
    }

    /// Up to `limit` tokens generated by any model version reached from `start`, in
    /// registration order, after the token with registry ID `after`; as of `as_of` (now when
    /// `None`), when `BAD_USER_INPUT` at `asOf` if `start` was registered after the point.
    pub async fn downstream_tokens(
        &self,
        start: NodeRef,
        after: Option<Uuid>,
        limit: u64,
        as_of: Option<AsOf>,
    ) -> AppResult<Vec<token::Model>> {
        let txn = self.begin_read().await?;
        let cut = Cut::resolve(&txn, as_of).await?;
        if cut != Cut::Now {
            cut.require(&txn, start.id()).await?;
        }
        let tokens = tokens_in(&txn, start, after, limit, &cut).await?;
        txn.commit().await?;
        Ok(tokens)
    }

    /// Of `nodes`, those whose current status (their newest status event) is not `active`,
    /// with that event, in the order given. One query per few hundred records.
    pub async fn inactive_among(&self, nodes: &[NodeRef]) -> AppResult<Vec<Affecting>> {
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.id()).collect();
        let mut newest = newest_status_events(&self.db, &ids, &Cut::Now).await?;
        Ok(nodes
            .iter()
            .filter_map(|node| {
                let (kind, id) = (node.kind().as_str(), node.id());
                let event = newest.remove(&id)?;
                (event.status != "active" && event.subject_kind == kind).then_some(Affecting { kind, id, event })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_kind_and_the_change() {
        assert_eq!(update_reason("modelVersion", "revoked"), "modelVersionRevoked");
        assert_eq!(update_reason("dataset", "deprecated"), "datasetDeprecated");
        assert_eq!(update_reason("license", "withdrawn"), "licenseWithdrawn");
        assert_eq!(update_reason("dataset", "active"), "datasetReactivated");
    }

    /// Every join of a walk probes an index from the recursive set: a full scan of a base
    /// table would make a revoke's cost grow with the registry instead of with its lineage.
    #[tokio::test]
    async fn sqlite_walks_probe_indexes_and_never_scan_tables() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let id = Uuid::nil();
        for start in [NodeRef::License(id), NodeRef::Dataset(id), NodeRef::ModelVersion(id)] {
            for query in [
                format!("{}SELECT id FROM versions ORDER BY id", reach(start, &Cut::Now.sql(2))),
                tokens_sql(DbBackend::Sqlite, start, true, &Cut::Now),
                format!(
                    "{}SELECT t.chain_id, t.contract, t.token_id {}",
                    reach(start, &Cut::Now.sql(2)),
                    tokens_reached(&Cut::Now.sql(2))
                ),
                // As of a point: the test of each record probes the log's index too.
                format!("{}SELECT id FROM versions ORDER BY id", reach(start, &Cut::Seq(1).sql(4))),
                tokens_sql(DbBackend::Sqlite, start, true, &Cut::Seq(1)),
            ] {
                let sql = format!("EXPLAIN QUERY PLAN {query}");
                let values = vec![Value::from(id), Value::from(id), Value::from(10i64), Value::from(1i64)];
                let rows = db.query_all_raw(statement(DbBackend::Sqlite, sql, values)).await.unwrap();
                let plan: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect();
                let scans: Vec<&String> = plan
                    .iter()
                    .filter(|line| {
                        // The joined tables, by alias; an unaliased `… WHERE 1 = 0` seed never runs.
                        let table = line.trim_start_matches("SCAN ").split(' ').next().unwrap_or_default();
                        line.starts_with("SCAN ") && ["ti", "dd", "mv", "t", "le"].contains(&table)
                    })
                    .collect();
                assert!(scans.is_empty(), "{start:?}: table scans {scans:?} in plan {plan:#?}");
            }
        }
    }

    /// The walk reaches through licences, derivations, training inputs and parents, at any
    /// depth, and nothing else; the tokens come in registry-ID order and page by cursor.
    #[tokio::test]
    async fn walks_reach_every_depth_on_sqlite() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let ids: Vec<Uuid> = (0..16).map(|_| Uuid::now_v7()).collect();
        let (lic, other_lic) = (ids[0], ids[1]);
        let (source, mid, top, side) = (ids[2], ids[3], ids[4], ids[5]);
        let (grand, parent, child, unrelated) = (ids[6], ids[7], ids[8], ids[9]);
        let model = ids[10];
        let exec = |sql: String| {
            let db = db.clone();
            async move { db.execute_unprepared(&sql).await.unwrap() }
        };
        let x = |id: Uuid| format!("X'{}'", id.simple());
        let now = "'2026-01-01T00:00:00Z'";
        for l in [lic, other_lic] {
            exec(format!(
                "INSERT INTO licenses (id, name, commercial_use, ai_training, canonical, digest, created_at) \
                 VALUES ({}, '{l}', 1, 'ALLOWED', X'', '{}', {now})",
                x(l),
                l.simple()
            ))
            .await;
        }
        for (d, l) in [(source, lic), (mid, other_lic), (top, other_lic), (side, other_lic)] {
            exec(format!(
                "INSERT INTO datasets (id, name, version, uri, content_sha256, record_count, license_id, canonical, digest, created_at) \
                 VALUES ({}, '{d}', '1', 'u', 'h', 1, {}, X'', '{}', {now})",
                x(d),
                x(l),
                d.simple()
            ))
            .await;
        }
        for (d, s) in [(mid, source), (top, mid)] {
            exec(format!("INSERT INTO dataset_derivations (dataset_id, source_id) VALUES ({}, {})", x(d), x(s))).await;
        }
        exec(format!("INSERT INTO models (id, name, created_at) VALUES ({}, 'm', {now})", x(model))).await;
        for (v, parent_id) in [(grand, None), (parent, Some(grand)), (child, Some(parent)), (unrelated, None)] {
            exec(format!(
                "INSERT INTO model_versions (id, model_id, version_label, weights_sha256, architecture, license_id, parent_id, canonical, digest, created_at) \
                 VALUES ({}, {}, '{v}', 'w', 'a', {}, {}, X'', '{}', {now})",
                x(v),
                x(model),
                x(other_lic),
                parent_id.map_or("NULL".to_owned(), x),
                v.simple()
            ))
            .await;
        }
        for (v, d) in [(grand, top), (unrelated, side)] {
            exec(format!(
                "INSERT INTO training_inputs (model_version_id, dataset_id, role) VALUES ({}, {}, 'pretrain')",
                x(v),
                x(d)
            ))
            .await;
        }

        let versions = |start| {
            let db = db.clone();
            async move { model_versions_in(&db, start, &Cut::Now).await.unwrap() }
        };
        let mut lineage = vec![grand, parent, child];
        lineage.sort();
        assert_eq!(versions(NodeRef::License(lic)).await, lineage, "licence → two derivations → grandparent");
        assert_eq!(versions(NodeRef::Dataset(source)).await, lineage);
        assert_eq!(versions(NodeRef::ModelVersion(grand)).await, lineage);
        assert_eq!(versions(NodeRef::ModelVersion(parent)).await, vec![parent, child]);
        assert_eq!(versions(NodeRef::Dataset(side)).await, vec![unrelated]);
        assert_eq!(versions(NodeRef::License(other_lic)).await.len(), 4);
        assert!(versions(NodeRef::Dataset(Uuid::now_v7())).await.is_empty());
        assert!(tokens_in(&db, NodeRef::Dataset(source), None, 10, &Cut::Now).await.unwrap().is_empty());
        assert!(token_ranges_in(&db, NodeRef::Dataset(source)).await.unwrap().is_empty());
    }
}
