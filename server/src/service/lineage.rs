//! Lineage: which records a record came from (upstream) or which came from it (downstream).
//!
//! Edges always point from the derived record to what it came from: a model version to its
//! parent and its training datasets, a dataset to its sources, either to its licence. The
//! graph around the start is gathered with recursive queries (CTEs, the same SQL on SQLite
//! and PostgreSQL), then walked breadth-first to give each node its depth.
use std::collections::{HashMap, HashSet, VecDeque};

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use super::Registry;
use super::as_of::{AsOf, Cut, CutSql};
use crate::error::{AppError, AppResult};
use crate::payload::TrainingRole;

/// A record in the lineage graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeRef {
    ModelVersion(Uuid),
    Dataset(Uuid),
    License(Uuid),
}

impl NodeRef {
    pub fn id(self) -> Uuid {
        match self {
            Self::ModelVersion(id) | Self::Dataset(id) | Self::License(id) => id,
        }
    }

    /// The kind of record this is.
    pub fn kind(self) -> provreg_schema::RecordKind {
        use provreg_schema::RecordKind;
        match self {
            Self::ModelVersion(_) => RecordKind::ModelVersion,
            Self::Dataset(_) => RecordKind::Dataset,
            Self::License(_) => RecordKind::License,
        }
    }
}

/// What an edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    DerivedFrom,
    TrainedOn(TrainingRole),
    FineTunedFrom,
    RetrainedFrom,
    LicensedUnder,
}

/// `from` came from `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    pub from: NodeRef,
    pub to: NodeRef,
    pub kind: EdgeKind,
}

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upstream,
    Downstream,
}

/// The answer: every node reached with its distance from the start, and the edges walked.
#[derive(Debug, Clone)]
pub struct Lineage {
    pub start: NodeRef,
    pub nodes: Vec<(NodeRef, u32)>,
    pub edges: Vec<Edge>,
}

/// Largest graph a lineage query gathers before it asks the caller to narrow it.
const MAX_NODES: usize = 500_000;

/// The model versions upstream of `$1` along parent edges, at most `$2` hops away.
const CHAIN: &str = "chain(id, depth) AS ( \
       SELECT id, CAST(0 AS BIGINT) FROM model_versions WHERE id = $1 \
       UNION ALL \
       SELECT mv.parent_id, chain.depth + 1 FROM chain CROSS JOIN model_versions mv \
       WHERE mv.id = chain.id AND mv.parent_id IS NOT NULL AND chain.depth < $2)";

/// The whole graph around a start, as one recursive query that returns one text value: a line
/// per row, `;`-separated, each a tag and comma-separated fields:
///
/// - `v,<version>,<parent or empty>,<relation or empty>,<licence>`: a model version,
/// - `t,<version>,<dataset>,<role>`: a training input,
/// - `d,<dataset>,<licence>`: a dataset,
/// - `r,<dataset>,<source>`: a derived-from edge.
///
/// One round trip and one row, whatever the size of the graph: a deep lineage is thousands of
/// edges, and fetching them as rows costs more than finding them. Joins are written
/// `cte CROSS JOIN table WHERE …`: SQLite then keeps the small recursive set as the outer loop
/// and probes the table's index, instead of scanning a million-row table (its planner has no
/// statistics for a CTE); PostgreSQL plans them as ordinary inner joins.
struct GraphQuery {
    backend: DbBackend,
}

impl GraphQuery {
    /// An ID as text (SQLite keeps UUIDs as 16-byte blobs; PostgreSQL as `uuid`).
    fn id(&self, col: &str) -> String {
        match self.backend {
            DbBackend::Sqlite => format!("hex({col})"),
            _ => format!("CAST({col} AS TEXT)"),
        }
    }

    fn aggregate(&self, expr: &str) -> String {
        match self.backend {
            DbBackend::Sqlite => format!("group_concat({expr}, ';')"),
            _ => format!("string_agg({expr}, ';')"),
        }
    }

    /// `ctes` define `versions(id)`, `inputs(model_version_id, dataset_id, role)` and
    /// `walk(id)` (datasets), and `derivation_join` says which end of a derivation is in `walk`.
    fn build(&self, ctes: &str, derivation_join: &str, cut: &CutSql) -> String {
        let id = |c: &str| self.id(c);
        let lines = [
            format!(
                "SELECT 'v,' || {} || ',' || COALESCE({}, '') || ',' || COALESCE(mv.parent_relation, '') || ',' || {} AS line \
                 FROM versions CROSS JOIN model_versions mv WHERE mv.id = versions.id",
                id("mv.id"),
                id("mv.parent_id"),
                id("mv.license_id")
            ),
            format!(
                "SELECT 't,' || {} || ',' || {} || ',' || inputs.role AS line FROM inputs",
                id("inputs.model_version_id"),
                id("inputs.dataset_id")
            ),
            format!(
                "SELECT 'd,' || {} || ',' || {} AS line FROM walk CROSS JOIN datasets d WHERE d.id = walk.id",
                id("d.id"),
                id("d.license_id")
            ),
            format!(
                "SELECT 'r,' || {} || ',' || {} AS line FROM walk CROSS JOIN dataset_derivations dd \
                 WHERE dd.{derivation_join} = walk.id{}",
                id("dd.dataset_id"),
                id("dd.source_id"),
                cut.and("dd.dataset_id")
            ),
        ];
        format!(
            "WITH RECURSIVE {ctes} SELECT {} AS graph FROM ({}) lines",
            self.aggregate("line"),
            lines.join(" UNION ALL ")
        )
    }

    /// Upstream of a model version: its parent chain, their training inputs, the datasets those
    /// derive from.
    fn upstream_of_version(&self, cut: &CutSql) -> String {
        let ctes = format!(
            "{CHAIN}, versions(id) AS MATERIALIZED (SELECT id FROM chain), \
             inputs AS MATERIALIZED (SELECT ti.model_version_id, ti.dataset_id, ti.role FROM chain \
               CROSS JOIN training_inputs ti WHERE ti.model_version_id = chain.id), \
             walk(id) AS (SELECT dataset_id FROM inputs \
               UNION SELECT dd.source_id FROM walk CROSS JOIN dataset_derivations dd WHERE dd.dataset_id = walk.id)"
        );
        self.build(&ctes, "dataset_id", cut)
    }

    /// Upstream of a dataset: what it derives from.
    fn upstream_of_dataset(&self, cut: &CutSql) -> String {
        let ctes = "versions(id) AS (SELECT id FROM model_versions WHERE 1 = 0), \
             inputs AS (SELECT model_version_id, dataset_id, role FROM training_inputs WHERE 1 = 0), \
             walk(id) AS (SELECT id FROM datasets WHERE id = $1 \
               UNION SELECT dd.source_id FROM walk CROSS JOIN dataset_derivations dd WHERE dd.dataset_id = walk.id)";
        self.build(ctes, "dataset_id", cut)
    }

    /// Downstream of seed datasets and seed versions (each a `SELECT id … $1`): the datasets
    /// derived from them, the versions trained on those, and every descendant version. As of a
    /// point (`cut`), only the records in its state: the seeds must test theirs themselves.
    fn downstream(&self, dataset_seeds: &str, version_seeds: &str, cut: &CutSql) -> String {
        let (dd, ti, mv) = (cut.and("dd.dataset_id"), cut.and("ti.model_version_id"), cut.and("mv.id"));
        let ctes = format!(
            "walk(id) AS ({dataset_seeds} \
               UNION SELECT dd.dataset_id FROM walk CROSS JOIN dataset_derivations dd WHERE dd.source_id = walk.id{dd}), \
             inputs AS MATERIALIZED (SELECT ti.model_version_id, ti.dataset_id, ti.role FROM walk \
               CROSS JOIN training_inputs ti WHERE ti.dataset_id = walk.id{ti}), \
             versions(id) AS (SELECT model_version_id FROM inputs UNION {version_seeds} \
               UNION SELECT mv.id FROM versions CROSS JOIN model_versions mv WHERE mv.parent_id = versions.id{mv})"
        );
        self.build(&ctes, "source_id", cut)
    }
}

fn parse_id(field: Option<&str>) -> AppResult<Uuid> {
    let text = field.unwrap_or_default();
    Uuid::parse_str(text).map_err(|e| AppError::Internal(format!("lineage row: bad ID {text:?}: {e}")))
}

/// Turns the lines of a [`GraphQuery`] answer into edges.
fn parse_graph(graph: &str, edges: &mut HashSet<Edge>) -> AppResult<()> {
    for line in graph.split(';').filter(|l| !l.is_empty()) {
        let mut f = line.split(',');
        let tag = f.next();
        let a = parse_id(f.next())?;
        let b = f.next();
        let (from, to, kind) = match tag {
            Some("v") => {
                let me = NodeRef::ModelVersion(a);
                let relation = f.next().unwrap_or_default();
                let license = parse_id(f.next())?;
                if let Some(parent) = b.filter(|p| !p.is_empty()) {
                    let kind = if relation == "finetune" { EdgeKind::FineTunedFrom } else { EdgeKind::RetrainedFrom };
                    edges.insert(Edge { from: me, to: NodeRef::ModelVersion(parse_id(Some(parent))?), kind });
                }
                (me, NodeRef::License(license), EdgeKind::LicensedUnder)
            }
            Some("t") => {
                let role = TrainingRole::parse(f.next().unwrap_or_default()).unwrap_or(TrainingRole::Pretrain);
                (NodeRef::ModelVersion(a), NodeRef::Dataset(parse_id(b)?), EdgeKind::TrainedOn(role))
            }
            Some("d") => (NodeRef::Dataset(a), NodeRef::License(parse_id(b)?), EdgeKind::LicensedUnder),
            Some("r") => (NodeRef::Dataset(a), NodeRef::Dataset(parse_id(b)?), EdgeKind::DerivedFrom),
            other => return Err(AppError::Internal(format!("lineage row: unknown tag {other:?}"))),
        };
        edges.insert(Edge { from, to, kind });
        if edges.len() > MAX_NODES {
            return Err(AppError::bad_input(
                "/maxDepth",
                "maximum",
                format!("this lineage has over {MAX_NODES} edges; ask for a smaller maxDepth"),
            ));
        }
    }
    Ok(())
}

/// Every edge around `start` in `direction` (upstream: at most `max_depth` parent hops),
/// in the state of `cut`, read through `conn`. On PostgreSQL `conn` must be a transaction:
/// the planner settings the query needs are set for the rest of it.
async fn gather_in(
    conn: &impl ConnectionTrait,
    start: NodeRef,
    direction: Direction,
    max_depth: u32,
    cut: &Cut,
) -> AppResult<HashSet<Edge>> {
    let backend = conn.get_database_backend();
    let q = GraphQuery { backend };
    let mut values = vec![Value::from(start.id())];
    if direction == Direction::Upstream && matches!(start, NodeRef::ModelVersion(_)) {
        values.push(Value::from(i64::from(max_depth)));
    }
    // The cut's value, when it has one, is the last parameter.
    let c = cut.sql(values.len() + 1);
    values.extend(cut.value());
    let sql = match (direction, start) {
        (Direction::Upstream, NodeRef::License(_)) => return Ok(HashSet::new()),
        (Direction::Upstream, NodeRef::Dataset(_)) => q.upstream_of_dataset(&c),
        (Direction::Upstream, NodeRef::ModelVersion(_)) => q.upstream_of_version(&c),
        (Direction::Downstream, NodeRef::License(_)) => q.downstream(
            &format!("SELECT id FROM datasets WHERE license_id = $1{}", c.and("datasets.id")),
            &format!("SELECT id FROM model_versions WHERE license_id = $1{}", c.and("model_versions.id")),
            &c,
        ),
        (Direction::Downstream, NodeRef::Dataset(_)) => {
            q.downstream("SELECT id FROM datasets WHERE id = $1", "SELECT id FROM model_versions WHERE 1 = 0", &c)
        }
        (Direction::Downstream, NodeRef::ModelVersion(_)) => {
            q.downstream("SELECT id FROM datasets WHERE 1 = 0", "SELECT id FROM model_versions WHERE id = $1", &c)
        }
    };
    // `$n` becomes `?n`, which SQLite reads as the same numbered parameter.
    let sql = if backend == DbBackend::Sqlite { sql.replace('$', "?") } else { sql };
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    if backend == DbBackend::Postgres {
        // PostgreSQL cannot estimate how small a recursive set is: it would hash-join it
        // against whole tables, and the inflated cost estimate would switch on JIT
        // compilation (about 200 ms). Every join here is an index probe from a small set.
        conn.execute_unprepared(
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off",
        )
        .await?;
    }
    let graph: Option<String> = match conn.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "graph")?,
        None => None,
    };
    let mut edges = HashSet::new();
    parse_graph(graph.as_deref().unwrap_or_default(), &mut edges)?;
    Ok(edges)
}

/// The lineage of `start` in `direction`, at most `max_depth` hops away, in the state of
/// `cut`, read through `conn` (on PostgreSQL a transaction, see [`gather_in`]): for answers
/// that must agree with other reads of the same transaction, such as exports.
pub async fn lineage_in(
    conn: &impl ConnectionTrait,
    start: NodeRef,
    direction: Direction,
    max_depth: u32,
    cut: &Cut,
) -> AppResult<Lineage> {
    let edges = gather_in(conn, start, direction, max_depth, cut).await?;
    Ok(walk(start, &edges, direction, max_depth))
}

impl Registry {
    /// Every edge around `start` in `direction` (upstream: at most `max_depth` parent hops).
    async fn gather(&self, start: NodeRef, direction: Direction, max_depth: u32) -> AppResult<HashSet<Edge>> {
        if self.db.get_database_backend() == DbBackend::Postgres {
            let txn = self.begin_read().await?;
            let edges = gather_in(&txn, start, direction, max_depth, &Cut::Now).await?;
            txn.commit().await?;
            Ok(edges)
        } else {
            gather_in(&self.db, start, direction, max_depth, &Cut::Now).await
        }
    }
}

/// Breadth-first walk from `start` over `edges` in `direction`, at most `max_depth` hops.
pub fn walk(start: NodeRef, edges: &HashSet<Edge>, direction: Direction, max_depth: u32) -> Lineage {
    let mut adjacency: HashMap<NodeRef, Vec<Edge>> = HashMap::new();
    for e in edges {
        let key = if direction == Direction::Upstream { e.from } else { e.to };
        adjacency.entry(key).or_default().push(*e);
    }
    let mut depth: HashMap<NodeRef, u32> = HashMap::from([(start, 0)]);
    let mut order = vec![(start, 0)];
    let mut walked = Vec::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let d = depth.get(&node).copied().unwrap_or(0);
        if d >= max_depth {
            continue;
        }
        for e in adjacency.get(&node).into_iter().flatten() {
            walked.push(*e);
            let next = if direction == Direction::Upstream { e.to } else { e.from };
            if let std::collections::hash_map::Entry::Vacant(v) = depth.entry(next) {
                v.insert(d + 1);
                order.push((next, d + 1));
                queue.push_back(next);
            }
        }
    }
    order.sort_by_key(|&(n, d)| (d, n));
    walked.sort_by_key(|e| (e.from, e.to));
    Lineage { start, nodes: order, edges: walked }
}

impl Registry {
    /// Finds which kind of record `id` is.
    pub async fn node_of(&self, id: Uuid) -> AppResult<NodeRef> {
        if self.model_version(id).await?.is_some() {
            Ok(NodeRef::ModelVersion(id))
        } else if self.dataset(id).await?.is_some() {
            Ok(NodeRef::Dataset(id))
        } else if self.license(id).await?.is_some() {
            Ok(NodeRef::License(id))
        } else {
            Err(AppError::NotFound { kind: "record", id: id.to_string() })
        }
    }

    /// The lineage of `start` in `direction`, at most `max_depth` hops away.
    pub async fn lineage(&self, start: NodeRef, direction: Direction, max_depth: u32) -> AppResult<Lineage> {
        let edges = self.gather(start, direction, max_depth).await?;
        Ok(walk(start, &edges, direction, max_depth))
    }

    /// The lineage of `start` in `direction`, at most `max_depth` hops away, as of `as_of`
    /// (now when `None`), in one read transaction: `BAD_USER_INPUT` at `asOf` when `start`
    /// was registered after the point.
    pub async fn lineage_as_of(
        &self,
        start: NodeRef,
        direction: Direction,
        max_depth: u32,
        as_of: Option<AsOf>,
    ) -> AppResult<Lineage> {
        let Some(as_of) = as_of else { return self.lineage(start, direction, max_depth).await };
        let txn = self.begin_read().await?;
        let cut = Cut::resolve(&txn, Some(as_of)).await?;
        cut.require(&txn, start.id()).await?;
        let lineage = lineage_in(&txn, start, direction, max_depth, &cut).await?;
        txn.commit().await?;
        Ok(lineage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn walk_respects_direction_and_depth() {
        let (v1, v2, v3) = (NodeRef::ModelVersion(id(1)), NodeRef::ModelVersion(id(2)), NodeRef::ModelVersion(id(3)));
        let d = NodeRef::Dataset(id(10));
        let edges: HashSet<Edge> = [
            Edge { from: v2, to: v1, kind: EdgeKind::FineTunedFrom },
            Edge { from: v3, to: v2, kind: EdgeKind::RetrainedFrom },
            Edge { from: v1, to: d, kind: EdgeKind::TrainedOn(TrainingRole::Pretrain) },
        ]
        .into();
        let up = walk(v3, &edges, Direction::Upstream, 10);
        assert_eq!(up.nodes, vec![(v3, 0), (v2, 1), (v1, 2), (d, 3)]);
        assert_eq!(up.edges.len(), 3);
        let up2 = walk(v3, &edges, Direction::Upstream, 2);
        assert_eq!(up2.nodes.last(), Some(&(v1, 2)));
        assert_eq!(up2.edges.len(), 2);
        let down = walk(d, &edges, Direction::Downstream, 10);
        assert_eq!(down.nodes, vec![(d, 0), (v1, 1), (v2, 2), (v3, 3)]);
    }

    #[test]
    fn shortest_depth_wins_in_a_diamond() {
        let (a, b, c, s) =
            (NodeRef::Dataset(id(1)), NodeRef::Dataset(id(2)), NodeRef::Dataset(id(3)), NodeRef::Dataset(id(4)));
        let edges: HashSet<Edge> = [
            Edge { from: a, to: b, kind: EdgeKind::DerivedFrom },
            Edge { from: a, to: c, kind: EdgeKind::DerivedFrom },
            Edge { from: b, to: s, kind: EdgeKind::DerivedFrom },
            Edge { from: c, to: s, kind: EdgeKind::DerivedFrom },
        ]
        .into();
        let up = walk(a, &edges, Direction::Upstream, 5);
        assert_eq!(up.nodes.iter().filter(|(n, _)| *n == s).count(), 1);
        assert!(up.nodes.contains(&(s, 2)));
        assert_eq!(up.edges.len(), 4);
    }

    #[test]
    fn graph_text_becomes_typed_edges() {
        let (v1, v2, lic, ds, src) = (id(1), id(2), id(3), id(4), id(5));
        let text = format!(
            "v,{v2},{v1},finetune,{lic};v,{v1},,,{lic};t,{v2},{ds},finetune;d,{ds},{lic};r,{ds},{src};",
            v1 = v1.simple(),
            v2 = v2.simple(),
            lic = lic.simple(),
            ds = ds.simple(),
            src = src.simple()
        );
        let mut edges = HashSet::new();
        parse_graph(&text, &mut edges).unwrap();
        let (mv1, mv2, l, d) =
            (NodeRef::ModelVersion(v1), NodeRef::ModelVersion(v2), NodeRef::License(lic), NodeRef::Dataset(ds));
        assert!(edges.contains(&Edge { from: mv2, to: mv1, kind: EdgeKind::FineTunedFrom }));
        assert!(edges.contains(&Edge { from: mv1, to: l, kind: EdgeKind::LicensedUnder }));
        assert!(edges.contains(&Edge { from: mv2, to: d, kind: EdgeKind::TrainedOn(TrainingRole::Finetune) }));
        assert!(edges.contains(&Edge { from: d, to: NodeRef::Dataset(src), kind: EdgeKind::DerivedFrom }));
        assert_eq!(edges.len(), 6);
    }

    #[test]
    fn malformed_graph_text_is_an_error_not_a_panic() {
        let mut edges = HashSet::new();
        assert!(parse_graph("", &mut edges).is_ok());
        assert!(edges.is_empty());
        assert!(parse_graph("x,00000000000000000000000000000001,", &mut edges).is_err());
        assert!(parse_graph("d,not-a-uuid,00000000000000000000000000000001", &mut edges).is_err());
        assert!(parse_graph("t,00000000000000000000000000000001", &mut edges).is_err());
    }

    /// On SQLite every join of the lineage queries probes an index from the recursive set; a
    /// full scan of a base table turns a 10 ms answer into 150 ms at a million training inputs.
    #[tokio::test]
    async fn sqlite_plans_probe_indexes_and_never_scan_tables() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let q = GraphQuery { backend: DbBackend::Sqlite };
        let mut queries = Vec::new();
        // Now, and as of a point (whose test probes the log's index, never scans it).
        for cut in [Cut::Now.sql(3), Cut::Seq(1).sql(3)] {
            let and = |col: &str| cut.and(col);
            queries.extend([
                q.upstream_of_version(&cut),
                q.upstream_of_dataset(&cut),
                q.downstream(
                    &format!("SELECT id FROM datasets WHERE license_id = $1{}", and("datasets.id")),
                    &format!("SELECT id FROM model_versions WHERE license_id = $1{}", and("model_versions.id")),
                    &cut,
                ),
                q.downstream(
                    "SELECT id FROM datasets WHERE id = $1",
                    "SELECT id FROM model_versions WHERE 1 = 0",
                    &cut,
                ),
                q.downstream(
                    "SELECT id FROM datasets WHERE 1 = 0",
                    "SELECT id FROM model_versions WHERE id = $1",
                    &cut,
                ),
            ]);
        }
        for sql in queries {
            let sql = format!("EXPLAIN QUERY PLAN {}", sql.replace('$', "?"));
            let values = vec![Value::from(Uuid::nil()), Value::from(10i64), Value::from(1i64)];
            let rows = db.query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)).await.unwrap();
            let plan: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect();
            let scans: Vec<&String> = plan
                .iter()
                .filter(|line| {
                    // The joined tables, by alias; an unaliased `… WHERE 1 = 0` seed never runs.
                    let table = line.trim_start_matches("SCAN ").split(' ').next().unwrap_or_default();
                    line.starts_with("SCAN ") && ["ti", "dd", "mv", "d", "le"].contains(&table)
                })
                .collect();
            assert!(scans.is_empty(), "table scans {scans:?} in plan {plan:#?}");
        }
    }
}
