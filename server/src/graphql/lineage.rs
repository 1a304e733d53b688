//! GraphQL types of lineage answers.
use async_graphql::{Context, Enum, Object, Result, SimpleObject, Union};

use super::records::{Dataset, License, ModelVersion};
use super::registry;
use crate::error::AppError;
use crate::payload::TrainingRole;
use crate::service::lineage::{self, EdgeKind, NodeRef};

/// Which way to walk the lineage.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum LineageDirection {
    /// Towards what the record came from: parents, training data, sources, licences.
    Upstream,
    /// Towards what came from the record: derived datasets, trained and child model versions.
    Downstream,
}

impl From<LineageDirection> for lineage::Direction {
    fn from(d: LineageDirection) -> Self {
        match d {
            LineageDirection::Upstream => Self::Upstream,
            LineageDirection::Downstream => Self::Downstream,
        }
    }
}

/// The kind of a record.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum RecordKind {
    ModelVersion,
    Dataset,
    License,
}

/// What an edge means; edges point from the derived record to what it came from.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum LineageEdgeKind {
    DerivedFrom,
    TrainedOn,
    FineTunedFrom,
    RetrainedFrom,
    LicensedUnder,
}

/// Any record a lineage node can be.
#[derive(Union)]
pub enum LineageRecord {
    ModelVersion(ModelVersion),
    Dataset(Dataset),
    License(License),
}

/// A record reached by a lineage query.
pub struct LineageNode {
    node: NodeRef,
    depth: u32,
}

#[Object]
impl LineageNode {
    async fn id(&self) -> String {
        self.node.id().to_string()
    }
    async fn kind(&self) -> RecordKind {
        match self.node {
            NodeRef::ModelVersion(_) => RecordKind::ModelVersion,
            NodeRef::Dataset(_) => RecordKind::Dataset,
            NodeRef::License(_) => RecordKind::License,
        }
    }
    /// Hops from the start (0 for the start itself).
    async fn depth(&self) -> u32 {
        self.depth
    }
    /// The record itself.
    async fn record(&self, ctx: &Context<'_>) -> Result<LineageRecord> {
        let r = registry(ctx)?;
        let missing = || AppError::Internal(format!("record {} vanished", self.node.id()));
        Ok(match self.node {
            NodeRef::ModelVersion(id) => {
                LineageRecord::ModelVersion(ModelVersion::new(r.model_version(id).await?.ok_or_else(missing)?)?)
            }
            NodeRef::Dataset(id) => LineageRecord::Dataset(Dataset::new(r.dataset(id).await?.ok_or_else(missing)?)?),
            NodeRef::License(id) => LineageRecord::License(License::new(r.license(id).await?.ok_or_else(missing)?)?),
        })
    }
}

/// `from` came from `to`.
#[derive(SimpleObject)]
pub struct LineageEdge {
    pub from: String,
    pub to: String,
    pub kind: LineageEdgeKind,
    /// For `TRAINED_ON`: what the dataset was used for.
    pub role: Option<TrainingRole>,
}

/// The answer to a lineage query.
pub struct Lineage {
    pub inner: lineage::Lineage,
    pub direction: LineageDirection,
}

#[Object]
impl Lineage {
    async fn start(&self) -> String {
        self.inner.start.id().to_string()
    }
    async fn direction(&self) -> LineageDirection {
        self.direction
    }
    /// Every record reached, nearest first.
    async fn nodes(&self) -> Vec<LineageNode> {
        self.inner.nodes.iter().map(|&(node, depth)| LineageNode { node, depth }).collect()
    }
    async fn edges(&self) -> Vec<LineageEdge> {
        self.inner
            .edges
            .iter()
            .map(|e| {
                let (kind, role) = match e.kind {
                    EdgeKind::DerivedFrom => (LineageEdgeKind::DerivedFrom, None),
                    EdgeKind::TrainedOn(role) => (LineageEdgeKind::TrainedOn, Some(role)),
                    EdgeKind::FineTunedFrom => (LineageEdgeKind::FineTunedFrom, None),
                    EdgeKind::RetrainedFrom => (LineageEdgeKind::RetrainedFrom, None),
                    EdgeKind::LicensedUnder => (LineageEdgeKind::LicensedUnder, None),
                };
                LineageEdge { from: e.from.id().to_string(), to: e.to.id().to_string(), kind, role }
            })
            .collect()
    }
    async fn node_count(&self) -> usize {
        self.inner.nodes.len()
    }
}
