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

/// How many IDs one `IN (…)` list carries.
const CHUNK: usize = 500;
/// Largest graph a lineage query gathers before it asks the caller to narrow it.
const MAX_NODES: usize = 500_000;

fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `$first, $first+1, …` for `n` parameters.
fn params(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Gathers edges, then walks them.
struct Gather<'a> {
    registry: &'a Registry,
    edges: HashSet<Edge>,
}

impl Gather<'_> {
    async fn rows(&self, sql: &str, values: Vec<Value>) -> AppResult<Vec<sea_orm::QueryResult>> {
        let db = &self.registry.db;
        Ok(db.query_all_raw(statement(db.get_database_backend(), sql, values)).await?)
    }

    /// Runs `sql` (with `{ids}` standing for a parameter list) once per chunk of `ids`.
    async fn chunked(&self, sql: &str, ids: &[Uuid], extra: &[Value]) -> AppResult<Vec<sea_orm::QueryResult>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let list = params(extra.len() + 1, chunk.len());
            let mut values: Vec<Value> = extra.to_vec();
            values.extend(chunk.iter().map(|&id| Value::from(id)));
            out.extend(self.rows(&sql.replace("{ids}", &list), values).await?);
        }
        Ok(out)
    }

    fn add(&mut self, from: NodeRef, to: NodeRef, kind: EdgeKind) -> AppResult<()> {
        self.edges.insert(Edge { from, to, kind });
        if self.edges.len() > MAX_NODES {
            return Err(AppError::bad_input(
                "/maxDepth",
                "maximum",
                format!("this lineage has over {MAX_NODES} edges; ask for a smaller maxDepth"),
            ));
        }
        Ok(())
    }

    /// Model version rows (id, parent_id, parent_relation, license_id): parent and licence edges.
    fn version_edges(&mut self, rows: &[sea_orm::QueryResult]) -> AppResult<Vec<Uuid>> {
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let parent: Option<Uuid> = row.try_get("", "parent_id")?;
            let relation: Option<String> = row.try_get("", "parent_relation")?;
            let license: Uuid = row.try_get("", "license_id")?;
            let me = NodeRef::ModelVersion(id);
            if let Some(parent) = parent {
                let kind = if relation.as_deref() == Some("finetune") {
                    EdgeKind::FineTunedFrom
                } else {
                    EdgeKind::RetrainedFrom
                };
                self.add(me, NodeRef::ModelVersion(parent), kind)?;
            }
            self.add(me, NodeRef::License(license), EdgeKind::LicensedUnder)?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Training-input rows (model_version_id, dataset_id, role): trained-on edges; returns dataset IDs.
    fn training_edges(&mut self, rows: &[sea_orm::QueryResult]) -> AppResult<(Vec<Uuid>, Vec<Uuid>)> {
        let (mut versions, mut datasets) = (Vec::new(), Vec::new());
        for row in rows {
            let mv: Uuid = row.try_get("", "model_version_id")?;
            let ds: Uuid = row.try_get("", "dataset_id")?;
            let role: String = row.try_get("", "role")?;
            let role = TrainingRole::parse(&role).unwrap_or(TrainingRole::Pretrain);
            self.add(NodeRef::ModelVersion(mv), NodeRef::Dataset(ds), EdgeKind::TrainedOn(role))?;
            versions.push(mv);
            datasets.push(ds);
        }
        Ok((versions, datasets))
    }

    /// Datasets reachable from `seeds` along derived-from edges (`up`: towards sources), with
    /// their derivation and licence edges.
    async fn dataset_closure(&mut self, seeds: &[Uuid], up: bool) -> AppResult<Vec<Uuid>> {
        let step = if up {
            "SELECT dd.source_id FROM dataset_derivations dd JOIN walk ON dd.dataset_id = walk.id"
        } else {
            "SELECT dd.dataset_id FROM dataset_derivations dd JOIN walk ON dd.source_id = walk.id"
        };
        let sql = format!(
            "WITH RECURSIVE walk(id) AS (SELECT id FROM datasets WHERE id IN ({{ids}}) UNION {step}) \
             SELECT d.id, d.license_id FROM datasets d WHERE d.id IN (SELECT id FROM walk)"
        );
        let rows = self.chunked(&sql, &dedup(seeds), &[]).await?;
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = row.try_get("", "id")?;
            let license: Uuid = row.try_get("", "license_id")?;
            self.add(NodeRef::Dataset(id), NodeRef::License(license), EdgeKind::LicensedUnder)?;
            ids.push(id);
        }
        let ids = dedup(&ids);
        let col = if up { "dataset_id" } else { "source_id" };
        let sql = format!("SELECT dataset_id, source_id FROM dataset_derivations WHERE {col} IN ({{ids}})");
        for row in self.chunked(&sql, &ids, &[]).await? {
            let from: Uuid = row.try_get("", "dataset_id")?;
            let to: Uuid = row.try_get("", "source_id")?;
            self.add(NodeRef::Dataset(from), NodeRef::Dataset(to), EdgeKind::DerivedFrom)?;
        }
        Ok(ids)
    }

    async fn upstream(&mut self, start: NodeRef, max_depth: u32) -> AppResult<()> {
        let seeds = match start {
            NodeRef::License(_) => return Ok(()),
            NodeRef::Dataset(id) => vec![id],
            NodeRef::ModelVersion(id) => {
                let rows = self
                    .rows(
                        "WITH RECURSIVE chain(id, depth) AS ( \
                           SELECT id, CAST(0 AS BIGINT) FROM model_versions WHERE id = $1 \
                           UNION ALL \
                           SELECT mv.parent_id, chain.depth + 1 FROM model_versions mv JOIN chain ON mv.id = chain.id \
                           WHERE mv.parent_id IS NOT NULL AND chain.depth < $2) \
                         SELECT mv.id, mv.parent_id, mv.parent_relation, mv.license_id \
                         FROM chain JOIN model_versions mv ON mv.id = chain.id",
                        vec![Value::from(id), Value::from(i64::from(max_depth))],
                    )
                    .await?;
                let versions = self.version_edges(&rows)?;
                let sql =
                    "SELECT model_version_id, dataset_id, role FROM training_inputs WHERE model_version_id IN ({ids})";
                let rows = self.chunked(sql, &versions, &[]).await?;
                self.training_edges(&rows)?.1
            }
        };
        if !seeds.is_empty() {
            self.dataset_closure(&seeds, true).await?;
        }
        Ok(())
    }

    async fn downstream(&mut self, start: NodeRef) -> AppResult<()> {
        let (mut datasets, mut versions) = (Vec::new(), Vec::new());
        match start {
            NodeRef::License(id) => {
                for row in self.rows("SELECT id FROM datasets WHERE license_id = $1", vec![Value::from(id)]).await? {
                    let ds: Uuid = row.try_get("", "id")?;
                    datasets.push(ds);
                }
                for row in
                    self.rows("SELECT id FROM model_versions WHERE license_id = $1", vec![Value::from(id)]).await?
                {
                    let mv: Uuid = row.try_get("", "id")?;
                    self.add(NodeRef::ModelVersion(mv), start, EdgeKind::LicensedUnder)?;
                    versions.push(mv);
                }
            }
            NodeRef::Dataset(id) => datasets.push(id),
            NodeRef::ModelVersion(id) => versions.push(id),
        }
        if !datasets.is_empty() {
            let closure = self.dataset_closure(&datasets, false).await?;
            let sql = "SELECT model_version_id, dataset_id, role FROM training_inputs WHERE dataset_id IN ({ids})";
            let rows = self.chunked(sql, &closure, &[]).await?;
            versions.extend(self.training_edges(&rows)?.0);
        }
        if !versions.is_empty() {
            let sql = "WITH RECURSIVE walk(id) AS (SELECT id FROM model_versions WHERE id IN ({ids}) \
                       UNION SELECT mv.id FROM model_versions mv JOIN walk ON mv.parent_id = walk.id) \
                       SELECT mv.id, mv.parent_id, mv.parent_relation, mv.license_id FROM model_versions mv \
                       WHERE mv.id IN (SELECT id FROM walk)";
            let rows = self.chunked(sql, &dedup(&versions), &[]).await?;
            self.version_edges(&rows)?;
        }
        Ok(())
    }
}

fn dedup(ids: &[Uuid]) -> Vec<Uuid> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    v
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
        let mut gather = Gather { registry: self, edges: HashSet::new() };
        match direction {
            Direction::Upstream => gather.upstream(start, max_depth).await?,
            Direction::Downstream => gather.downstream(start).await?,
        }
        Ok(walk(start, &gather.edges, direction, max_depth))
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
    fn params_are_numbered() {
        assert_eq!(params(2, 3), "$2, $3, $4");
    }
}
