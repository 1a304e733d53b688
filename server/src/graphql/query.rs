//! The query root, shared by the full and the audit schema.
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::lineage::{Lineage, LineageDirection};
use super::provenance::{Anchor, Certificate, LogEntry};
use super::records::{Dataset, License, Model, ModelVersion, StatusEvent};
use super::{Limits, id_arg, reader};
use crate::error::AppError;
use crate::payload::{AiTraining, RecordStatus};
use crate::service::as_of::AsOf;
use crate::service::lists::{self, Page};

/// A point in the registry's history: give exactly one of `time` and `seq`. Records are
/// append-only and each has a log entry, so the registry as of a point is exact.
#[derive(InputObject, Clone, Copy, Debug)]
#[graphql(name = "AsOf")]
pub struct AsOfInput {
    /// The registry as of this time: the records and status events logged at or before it.
    pub time: Option<DateTime<Utc>>,
    /// The registry as of this log sequence number (`logEntry { seq }`): the log entries with
    /// `seq` at most this. A seq past the end of the log means now.
    pub seq: Option<i64>,
}

/// The point an `asOf` argument named `field` gives, if any: `BAD_USER_INPUT` at `field`
/// unless exactly one of `time` and `seq` is given, at `field.seq` for a negative seq.
pub(crate) fn as_of_arg(field: &str, input: Option<AsOfInput>) -> Result<Option<AsOf>, AppError> {
    input.map(|a| AsOf::from_parts(field, &format!("{field}.time"), &format!("{field}.seq"), a.time, a.seq)).transpose()
}

/// A record's status as of a point, with the status event that set it.
#[derive(SimpleObject)]
pub struct StatusAsOf {
    /// `ACTIVE`, `DEPRECATED`, `REVOKED` or `WITHDRAWN`.
    pub status: RecordStatus,
    /// The newest status event at or before the point; `null` when there was none (the
    /// record was then as registered, `ACTIVE`).
    pub event: Option<StatusEvent>,
}

/// A record's status with the status map's proof of it in an anchored state.
#[derive(SimpleObject)]
pub struct ProvenStatus {
    /// `ACTIVE`, `DEPRECATED`, `REVOKED` or `WITHDRAWN`.
    pub status: RecordStatus,
    /// The newest status event (at or before `asOf`); `null` when there was none.
    pub event: Option<StatusEvent>,
    /// The status map's proof (JSON, version 1; the anchor crate's README) of the record's
    /// newest status event in `state`, or of its absence; `null` on a registry that anchors
    /// batches, or before its first state. It can be older than `event` while that event
    /// waits to be anchored.
    pub proof: Option<async_graphql::Json<serde_json::Value>>,
    /// The newest confirmed state (at or before `asOf`) the proof is against.
    pub state: Option<Anchor>,
}

/// Filters for `modelVersions`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct ModelVersionFilter {
    /// Versions of the model with this name.
    pub model: Option<String>,
    pub status: Option<RecordStatus>,
    /// Released under this licence.
    pub license: Option<String>,
    /// Directly trained (or evaluated) on this dataset.
    pub trained_on: Option<String>,
    /// Trained on at least one dataset whose licence has this AI-training permission,
    /// e.g. `NOT_ALLOWED` for versions trained on data that forbids it.
    pub training_data_ai_training: Option<AiTraining>,
    /// Direct children of this version.
    pub parent: Option<String>,
}

/// Filters for `datasets`.
#[derive(InputObject, Default)]
pub struct DatasetFilter {
    pub name: Option<String>,
    pub license: Option<String>,
    pub status: Option<RecordStatus>,
}

/// Filters for `licenses`.
#[derive(InputObject, Default)]
pub struct LicenseFilter {
    pub ai_training: Option<AiTraining>,
    pub commercial_use: Option<bool>,
    pub status: Option<RecordStatus>,
}

fn opt_id(field: &str, s: &Option<String>) -> Result<Option<uuid::Uuid>, AppError> {
    s.as_deref().map(|s| id_arg(field, s)).transpose()
}

/// Checks `first`/`after` and returns (after, first).
fn window(ctx: &Context<'_>, after: Option<String>, first: Option<i32>) -> Result<(Option<uuid::Uuid>, u64), AppError> {
    let max = ctx.data::<Limits>().map(|l| l.max_page_size).unwrap_or(100);
    let first = first.unwrap_or(50);
    if first < 0 || first as usize > max {
        return Err(AppError::bad_input("first", "maximum", format!("first must be between 0 and {max}")));
    }
    let after = after.as_deref().map(|a| id_arg("after", a)).transpose()?;
    Ok((after, first as u64))
}

fn connection<R, T>(
    page: Page<R>,
    id: impl Fn(&R) -> uuid::Uuid,
    wrap: impl Fn(R) -> Result<T, AppError>,
    had_after: bool,
) -> Result<Connection<String, T>>
where
    T: async_graphql::OutputType,
{
    let mut conn = Connection::new(had_after, page.has_next);
    for row in page.items {
        let cursor = id(&row).to_string();
        conn.edges.push(Edge::new(cursor, wrap(row)?));
    }
    Ok(conn)
}

type Conn<T> = Connection<String, T, EmptyFields, EmptyFields>;

/// Reads of licences, datasets, models, lineage and provenance.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    async fn license(&self, ctx: &Context<'_>, id: String) -> Result<Option<License>> {
        let id = id_arg("id", &id)?;
        Ok(reader(ctx)?.license(id).await?.map(License::new).transpose()?)
    }

    async fn dataset(&self, ctx: &Context<'_>, id: String) -> Result<Option<Dataset>> {
        let id = id_arg("id", &id)?;
        Ok(reader(ctx)?.dataset(id).await?.map(Dataset::new).transpose()?)
    }

    /// A model by ID or by name.
    async fn model(&self, ctx: &Context<'_>, id: Option<String>, name: Option<String>) -> Result<Option<Model>> {
        let r = reader(ctx)?;
        let row = match (id, name) {
            (Some(id), None) => r.model(id_arg("id", &id)?).await?,
            (None, Some(name)) => r.model_by_name(&name).await?,
            _ => {
                return Err(AppError::bad_input("id", "oneOf", "give exactly one of id and name").into());
            }
        };
        Ok(row.map(Model))
    }

    async fn model_version(&self, ctx: &Context<'_>, id: String) -> Result<Option<ModelVersion>> {
        let id = id_arg("id", &id)?;
        Ok(reader(ctx)?.model_version(id).await?.map(ModelVersion::new).transpose()?)
    }

    #[graphql(complexity = "super::cost::page(first, 50, child_complexity)")]
    async fn licenses(
        &self,
        ctx: &Context<'_>,
        filter: Option<LicenseFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<License>> {
        let r = reader(ctx)?;
        let (after, first) = window(ctx, after, first)?;
        let f = filter.unwrap_or_default();
        let f = lists::LicenseFilter { ai_training: f.ai_training, commercial_use: f.commercial_use, status: f.status };
        let page = r.list_licenses(&f, after, first).await?;
        connection(page, |r| r.id, License::new, after.is_some())
    }

    #[graphql(complexity = "super::cost::page(first, 50, child_complexity)")]
    async fn datasets(
        &self,
        ctx: &Context<'_>,
        filter: Option<DatasetFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Dataset>> {
        let r = reader(ctx)?;
        let (after, first) = window(ctx, after, first)?;
        let f = filter.unwrap_or_default();
        let f = lists::DatasetFilter { name: f.name, license: opt_id("filter.license", &f.license)?, status: f.status };
        let page = r.list_datasets(&f, after, first).await?;
        connection(page, |r| r.id, Dataset::new, after.is_some())
    }

    #[graphql(complexity = "super::cost::page(first, 50, child_complexity)")]
    async fn model_versions(
        &self,
        ctx: &Context<'_>,
        filter: Option<ModelVersionFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<ModelVersion>> {
        let r = reader(ctx)?;
        let (after, first) = window(ctx, after, first)?;
        let f = filter.unwrap_or_default();
        let f = lists::ModelVersionFilter {
            model: f.model,
            status: f.status,
            license: opt_id("filter.license", &f.license)?,
            trained_on: opt_id("filter.trainedOn", &f.trained_on)?,
            training_data_ai_training: f.training_data_ai_training,
            parent: opt_id("filter.parent", &f.parent)?,
        };
        let page = r.list_model_versions(&f, after, first).await?;
        connection(page, |r| r.id, ModelVersion::new, after.is_some())
    }

    /// A birth certificate by ID.
    async fn certificate(&self, ctx: &Context<'_>, id: String) -> Result<Option<Certificate>> {
        let id = id_arg("id", &id)?;
        Ok(reader(ctx)?.certificate(id).await?.map(Certificate))
    }

    /// The log entry at sequence number `seq`.
    async fn log_entry(&self, ctx: &Context<'_>, seq: i64) -> Result<Option<LogEntry>> {
        Ok(reader(ctx)?.log_entry_at(seq).await?.map(LogEntry))
    }

    /// Anchors in log order (`after` is a cursor from an earlier page).
    #[graphql(complexity = "super::cost::page(first, 50, child_complexity)")]
    async fn anchors(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Conn<Anchor>> {
        let r = reader(ctx)?;
        let max = ctx.data::<Limits>().map(|l| l.max_page_size).unwrap_or(100);
        let first = first.unwrap_or(50);
        if first < 0 || first as usize > max {
            return Err(AppError::bad_input("first", "maximum", format!("first must be between 0 and {max}")).into());
        }
        let after_seq = after
            .as_deref()
            .map(|a| a.parse::<i64>().map_err(|_| AppError::bad_input("after", "format", "not a cursor of this list")))
            .transpose()?;
        let mut rows = r.anchors_page(after_seq, first as u64 + 1).await?;
        let has_next = rows.len() > first as usize;
        rows.truncate(first as usize);
        let mut conn = Connection::new(after_seq.is_some(), has_next);
        for row in rows {
            conn.edges.push(Edge::new(row.first_seq.to_string(), Anchor(row)));
        }
        Ok(conn)
    }

    /// The lineage of a model version, dataset or licence: what it came from (`UPSTREAM`) or
    /// what came from it (`DOWNSTREAM`), at most `maxDepth` hops away (default: the configured maximum).
    /// With `asOf`, the lineage as it was at that point: records registered after it are not
    /// in it (`BAD_USER_INPUT` at `asOf` when `of` itself was).
    #[graphql(complexity = "super::cost::GRAPH_WALK + child_complexity")]
    async fn lineage(
        &self,
        ctx: &Context<'_>,
        of: String,
        #[graphql(default_with = "LineageDirection::Upstream")] direction: LineageDirection,
        max_depth: Option<i32>,
        as_of: Option<AsOfInput>,
    ) -> Result<Lineage> {
        let r = reader(ctx)?;
        let limit = ctx.data::<Limits>().map(|l| l.max_lineage_depth).unwrap_or(1000);
        let depth = match max_depth {
            None => limit,
            Some(d) if d >= 0 && (d as u32) <= limit => d as u32,
            Some(_) => {
                return Err(AppError::bad_input(
                    "maxDepth",
                    "maximum",
                    format!("maxDepth must be between 0 and {limit}"),
                )
                .into());
            }
        };
        let as_of = as_of_arg("asOf", as_of)?;
        let start = r.node_of(id_arg("of", &of)?).await?;
        let inner = r.lineage_as_of(start, direction.into(), depth, as_of).await?;
        Ok(Lineage { inner, direction })
    }

    /// The status of a licence, dataset or model version, now or as of a point, with the
    /// status map's proof of it in the newest anchored state (at or before the point: for
    /// `seq`, the newest state whose log ends at or before it; for `time`, the newest
    /// confirmed by then).
    async fn status(&self, ctx: &Context<'_>, of: String, as_of: Option<AsOfInput>) -> Result<ProvenStatus> {
        let r = reader(ctx)?;
        let as_of = as_of_arg("asOf", as_of)?;
        let subject = id_arg("of", &of)?;
        let point = as_of.unwrap_or(AsOf::Seq(i64::MAX));
        let row = r.status_as_of(subject, point).await?;
        let state = r.state_as_of(as_of.as_ref()).await?;
        let proof = match &state {
            Some(st) => Some(async_graphql::Json(
                serde_json::to_value(r.status_proof(&subject.to_string(), st).await?)
                    .map_err(AppError::from_display)?,
            )),
            None => None,
        };
        Ok(ProvenStatus {
            status: RecordStatus::parse(&row.status).unwrap_or(RecordStatus::Active),
            event: row.event.map(StatusEvent),
            proof,
            state: state.map(Anchor),
        })
    }

    /// The status of a licence, dataset or model version as of a point: the newest of its
    /// status events at or before it (`BAD_USER_INPUT` at `asOf` when the record was
    /// registered after it).
    async fn status_as_of(&self, ctx: &Context<'_>, of: String, as_of: AsOfInput) -> Result<StatusAsOf> {
        let r = reader(ctx)?;
        let as_of = as_of_arg("asOf", Some(as_of))?.ok_or_else(|| AppError::Internal("asOf vanished".into()))?;
        let row = r.status_as_of(id_arg("of", &of)?, as_of).await?;
        Ok(StatusAsOf {
            status: RecordStatus::parse(&row.status).unwrap_or(RecordStatus::Active),
            event: row.event.map(StatusEvent),
        })
    }
}
