//! Compliance exports as GraphQL fields (on the full and the audit API): thin resolvers over
//! [`crate::export`], the same code as `GET /exports/…` and `provreg export`.
use async_graphql::{Context, Enum, Json, Object, Result};
use provreg_schema::RecordKind;
use serde_json::Value;

use super::lineage::LineageDirection;
use super::query::{AsOfInput, as_of_arg};
use super::{Limits, id_arg, reader};
use crate::export;

/// A kind of record an export lists.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExportKind {
    ModelVersion,
    Dataset,
    License,
    Token,
}

impl From<ExportKind> for RecordKind {
    fn from(k: ExportKind) -> Self {
        match k {
            ExportKind::ModelVersion => Self::ModelVersion,
            ExportKind::Dataset => Self::Dataset,
            ExportKind::License => Self::License,
            ExportKind::Token => Self::Token,
        }
    }
}

fn depth(ctx: &Context<'_>, max_depth: Option<i32>) -> Result<u32> {
    let limit = ctx.data::<Limits>().map(|l| l.max_lineage_depth).unwrap_or(1000);
    Ok(export::check_depth("maxDepth", max_depth.map(i64::from), limit)?)
}

fn kinds(kinds: Option<Vec<ExportKind>>) -> Vec<RecordKind> {
    kinds.unwrap_or_default().into_iter().map(RecordKind::from).collect()
}

/// The export fields.
#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// The lineage of a licence, dataset, model version or token as a W3C PROV-O document
    /// (JSON-LD, with its `@context` inline): training runs as `prov:Activity`s that
    /// `prov:used` datasets and `prov:generated` versions, retrains as `prov:wasRevisionOf`,
    /// licences as `dcterms:license`, signers as `prov:wasAttributedTo`. The document's
    /// `provreg:Export` node names the anchored log state it was built from. Also
    /// `GET /exports/{id}/prov.jsonld`.
    #[graphql(complexity = "super::cost::GRAPH_WALK")]
    async fn prov_export(
        &self,
        ctx: &Context<'_>,
        of: String,
        #[graphql(default_with = "LineageDirection::Upstream")] direction: LineageDirection,
        max_depth: Option<i32>,
    ) -> Result<Json<Value>> {
        let r = reader(ctx)?;
        let of = id_arg("of", &of)?;
        Ok(Json(export::prov_document(r, of, direction.into(), depth(ctx, max_depth)?).await?))
    }

    /// The lineage nodes of a record as CSV (RFC 4180; cells that a spreadsheet would run as
    /// a formula start with an apostrophe): `id,kind,name,version,status,digest,depth,
    /// direction` and the anchored log state (`anchoredSeq,anchoredRoot,anchoredTx`). Only
    /// the `kinds` given, when given. With `asOf`, the lineage and statuses as of that point
    /// (the anchored log state is still the latest). Also `GET /exports/{id}/lineage.csv`.
    #[graphql(complexity = "super::cost::GRAPH_WALK")]
    async fn lineage_csv(
        &self,
        ctx: &Context<'_>,
        of: String,
        #[graphql(default_with = "LineageDirection::Upstream")] direction: LineageDirection,
        max_depth: Option<i32>,
        kinds: Option<Vec<ExportKind>>,
        as_of: Option<AsOfInput>,
    ) -> Result<String> {
        let r = reader(ctx)?;
        let as_of = as_of_arg("asOf", as_of)?;
        let of = id_arg("of", &of)?;
        let depth = depth(ctx, max_depth)?;
        Ok(export::lineage_csv(r, of, direction.into(), depth, &self::kinds(kinds), as_of).await?)
    }

    /// What a licence, dataset or model version reaches downstream, as CSV: the datasets and
    /// model versions (with their depth) and the tokens they generated (`affectedTokens`, one
    /// hop beyond their model version, with `chainId,contract,tokenId` and their provenance
    /// status), and the anchored log state. With `asOf`, the impact as of that point: records,
    /// tokens and status events after it are left out (the anchored log state is still the
    /// latest). Also `GET /exports/{id}/impact.csv`.
    #[graphql(complexity = "super::cost::GRAPH_WALK")]
    async fn impact_csv(
        &self,
        ctx: &Context<'_>,
        of: String,
        max_depth: Option<i32>,
        kinds: Option<Vec<ExportKind>>,
        as_of: Option<AsOfInput>,
    ) -> Result<String> {
        let r = reader(ctx)?;
        let as_of = as_of_arg("asOf", as_of)?;
        let of = id_arg("of", &of)?;
        let impact = export::impact::of(r, of, depth(ctx, max_depth)?, as_of).await?;
        Ok(export::csv::impact(&impact, &self::kinds(kinds))?)
    }

    /// A draft of the model version's public summary of training content (EU AI Act,
    /// Article 53(1)(d); the AI Office's template of July 2025): section 1 (provider, model,
    /// dependencies, modalities, size, knowledge cut-off), section 2 (its own training data by
    /// source category), section 3 (text-and-data-mining reservations). What the registry
    /// does not record is `null` and listed under `missing` with its JSON pointer. Also
    /// `GET /exports/{id}/training-summary.json`.
    async fn training_content_summary(&self, ctx: &Context<'_>, model_version: String) -> Result<Json<Value>> {
        let r = reader(ctx)?;
        let id = id_arg("modelVersion", &model_version)?;
        Ok(Json(export::summary::summary(r, id).await?))
    }

    /// The same summary as a Markdown document. Also `GET /exports/{id}/training-summary.md`.
    async fn training_content_summary_markdown(&self, ctx: &Context<'_>, model_version: String) -> Result<String> {
        let r = reader(ctx)?;
        let id = id_arg("modelVersion", &model_version)?;
        Ok(export::summary_markdown(&export::summary::summary(r, id).await?))
    }

    /// Registered training runs as OpenLineage run events (spec 2-0-2, `COMPLETE`): the
    /// training datasets as inputs, the model version as output, digests and licences as
    /// facets. Of `modelVersion`, or of every model version in registration order (pass the
    /// last event's `run.runId` as `after`). Also `GET /exports/openlineage.json`.
    #[graphql(complexity = "super::cost::page(Some(first), 50, 10)")]
    async fn open_lineage_events(
        &self,
        ctx: &Context<'_>,
        model_version: Option<String>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> Result<Vec<Json<Value>>> {
        let r = reader(ctx)?;
        let max = ctx.data::<Limits>().map(|l| l.max_page_size).unwrap_or(100);
        let first = export::check_depth("first", Some(i64::from(first)), u32::try_from(max).unwrap_or(u32::MAX))?;
        let only = model_version.as_deref().map(|s| id_arg("modelVersion", s)).transpose()?;
        let after = after.as_deref().map(|s| id_arg("after", s)).transpose()?;
        let events = export::openlineage::events(r, only, after, u64::from(first)).await?;
        Ok(events.into_iter().map(Json).collect())
    }
}
