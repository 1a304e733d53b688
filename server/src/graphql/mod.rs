//! The GraphQL schemas: the full API and the read-only audit API (no Mutation type at all).
use async_graphql::{Context, EmptyMutation, EmptySubscription, MergedObject, Schema};

use crate::auth::{Principal, Role};
use crate::error::{AppError, AppResult};
use crate::service::{Registry, parse_id};

mod collections;
mod compliance;
pub mod cost;
mod evidence;
mod exports;
pub mod lineage;
mod mutation;
pub mod provenance;
mod query;
pub mod records;
mod search;
mod tokens;
mod transparency;

pub use mutation::Mutation;

/// Reads: the query root of both schemas.
#[derive(MergedObject, Default)]
pub struct Query(
    query::CoreQuery,
    tokens::TokenQuery,
    collections::CollectionQuery,
    compliance::ComplianceQuery,
    evidence::EvidenceQuery,
    exports::ExportQuery,
    search::SearchQuery,
    transparency::TransparencyQuery,
);

/// The full schema (`/graphql`).
pub type FullSchema = Schema<Query, Mutation, EmptySubscription>;
/// The audit schema (`/audit/graphql`): the same queries, no mutations.
pub type AuditSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Limits the resolvers enforce (the depth and complexity limits are set on the schema).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_page_size: usize,
    pub max_lineage_depth: u32,
}

/// Whether a caller without a key may read.
#[derive(Debug, Clone, Copy)]
pub struct AnonymousReads(pub bool);

/// What the schemas need.
#[derive(Debug, Clone)]
pub struct Deps {
    pub registry: Registry,
    pub query_depth: usize,
    pub query_complexity: usize,
    pub limits: Limits,
    pub cost: cost::CostLimits,
    pub anchor_worker: Option<std::sync::Arc<crate::anchoring::AnchorWorker>>,
}

/// Builds the full schema.
pub fn build_schema(deps: Deps) -> FullSchema {
    full_schema_builder()
        .data(deps.registry)
        .data(deps.limits)
        .data(deps.cost)
        .data(deps.anchor_worker)
        .extension(crate::metrics::OperationMetrics)
        .limit_depth(deps.query_depth)
        .limit_complexity(deps.query_complexity)
        .finish()
}

/// Builds the audit schema.
pub fn build_audit_schema(deps: Deps) -> AuditSchema {
    audit_schema_builder()
        .data(deps.registry)
        .data(deps.limits)
        .data(deps.cost)
        .extension(crate::metrics::OperationMetrics)
        .limit_depth(deps.query_depth)
        .limit_complexity(deps.query_complexity)
        .finish()
}

/// The SDL of the full schema, or with `audit` of the audit schema. The types do not depend on
/// the schema's data or limits, so this needs no database.
pub fn sdl(audit: bool) -> String {
    if audit { audit_schema_builder().finish().sdl() } else { full_schema_builder().finish().sdl() }
}

fn full_schema_builder() -> async_graphql::SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation, EmptySubscription)
}

fn audit_schema_builder() -> async_graphql::SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
}

/// The caller of this request (anonymous when none was attached).
pub(crate) fn principal(ctx: &Context<'_>) -> Principal {
    ctx.data_opt::<Principal>().copied().unwrap_or(Principal::Anonymous)
}

pub(crate) fn registry<'a>(ctx: &Context<'a>) -> AppResult<&'a Registry> {
    ctx.data::<Registry>().map_err(|_| AppError::Internal("registry missing from context".into()))
}

/// The registry, if the caller may read.
pub(crate) fn reader<'a>(ctx: &Context<'a>) -> AppResult<&'a Registry> {
    let anonymous_ok = ctx.data_opt::<AnonymousReads>().is_some_and(|a| a.0);
    let who = principal(ctx);
    if !(anonymous_ok && who == Principal::Anonymous) {
        who.require(Role::Auditor, "read")?;
    }
    registry(ctx)
}

/// Parses an ID argument named `field`.
pub(crate) fn id_arg(field: &str, s: &str) -> AppResult<uuid::Uuid> {
    parse_id(field, s)
}
