//! `GET /exports/…`: the exports as files with their content types. Readable like the audit
//! API: with an auditor (or higher) key, or by anyone when `auth.public_audit` or
//! `auth.anonymous_reads` is set. Bad options are `400` with a coded error naming the
//! parameter, unknown records `404`, in the GraphQL error shape.
use std::collections::HashMap;
use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, Route, get, handler};
use provreg_schema::RecordKind;

use crate::auth::Role;
use crate::error::AppError;
use crate::http::{AppState, caller};
use crate::service::as_of::AsOf;

/// Content type of PROV-O documents.
pub const JSON_LD: &str = "application/ld+json";
/// Content type of CSV exports.
pub const CSV: &str = "text/csv; charset=utf-8";
/// Content type of Markdown documents.
pub const MARKDOWN: &str = "text/markdown; charset=utf-8";

/// The export routes, to nest under `/exports`.
pub fn routes() -> Route {
    Route::new().at("/openlineage.json", get(openlineage)).at("/:id/:file", get(export_file))
}

/// A coded error as a response with its HTTP status.
pub(crate) fn refusal(e: AppError) -> Response {
    let status = match e.code() {
        "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let (message, extensions) = e.publish();
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

/// Whether the caller of `req` may read exports.
async fn allowed(state: &AppState, req: &Request) -> Result<(), AppError> {
    if state.public_audit || state.anonymous_reads {
        return Ok(());
    }
    caller(state, req).await?.require(Role::Auditor, "read exports")
}

fn file(content_type: &str, name: &str, body: String) -> Response {
    Response::builder()
        .content_type(content_type)
        .header("content-disposition", format!("inline; filename=\"{name}\""))
        // Statuses change and anchors get confirmed: caches revalidate.
        .header("cache-control", "no-cache")
        .body(body)
}

/// `GET /exports/{id}/prov.jsonld`, `/exports/{id}/lineage.csv`, `/exports/{id}/impact.csv`,
/// `/exports/{id}/training-summary.json`, `/exports/{id}/training-summary.md`; the CSV files
/// also as of a point (`?asOfSeq=N` or `?asOf=<RFC 3339 time>`).
#[handler]
async fn export_file(
    Data(state): Data<&Arc<AppState>>,
    req: &Request,
    Path((id, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match export(state, req, &id, &name, &params).await {
        Ok(resp) => resp,
        Err(e) => refusal(e),
    }
}

async fn export(
    state: &AppState,
    req: &Request,
    id: &str,
    name: &str,
    params: &HashMap<String, String>,
) -> Result<Response, AppError> {
    allowed(state, req).await?;
    let param = |key: &str| params.get(key).map(String::as_str);
    let limit = state.max_lineage_depth;
    let registry = &state.registry;
    if !matches!(name, "prov.jsonld" | "lineage.csv" | "impact.csv" | "training-summary.json" | "training-summary.md") {
        return Err(AppError::NotFound { kind: "export", id: format!("{id}/{name}") });
    }
    let of = super::parse_id("of", id)?;
    // `?asOfSeq=N` or `?asOf=<RFC 3339>`: the CSV exports as of a point; the other files are
    // of the registry as it is, and say so rather than ignore the parameter.
    let as_of = AsOf::from_params(param("asOf"), param("asOfSeq"))?;
    if as_of.is_some() && !name.ends_with(".csv") {
        let field = if param("asOf").is_some() { "asOf" } else { "asOfSeq" };
        return Err(AppError::bad_input(
            field,
            "unsupported",
            format!("{name} has no as-of form; only the CSV exports"),
        ));
    }
    if let Some(format) = name.strip_prefix("training-summary.") {
        let summary = super::summary::summary(registry, of).await?;
        return Ok(match format {
            "md" => file(MARKDOWN, &format!("{of}.training-summary.md"), super::summary_markdown(&summary)),
            _ => file("application/json", &format!("{of}.training-summary.json"), summary.to_string()),
        });
    }
    let depth = super::parse_depth("maxDepth", param("maxDepth"), limit)?;
    match name {
        "prov.jsonld" => {
            let direction = super::parse_direction("direction", param("direction"))?;
            let doc = super::prov_document(registry, of, direction, depth).await?;
            Ok(file(JSON_LD, &format!("{of}.prov.jsonld"), doc.to_string()))
        }
        "lineage.csv" => {
            let direction = super::parse_direction("direction", param("direction"))?;
            let kinds = super::parse_kinds("kinds", param("kinds"), &LINEAGE_KINDS)?;
            let csv = super::lineage_csv(registry, of, direction, depth, &kinds, as_of).await?;
            Ok(file(CSV, &format!("{of}.lineage.csv"), csv))
        }
        _ => {
            let kinds = super::parse_kinds("kinds", param("kinds"), &IMPACT_KINDS)?;
            let impact = super::impact::of(registry, of, depth, as_of).await?;
            Ok(file(CSV, &format!("{of}.impact.csv"), super::csv::impact(&impact, &kinds)?))
        }
    }
}

/// Kinds a lineage export lists.
pub const LINEAGE_KINDS: [RecordKind; 4] =
    [RecordKind::ModelVersion, RecordKind::Dataset, RecordKind::License, RecordKind::Token];
/// Kinds an impact export lists.
pub const IMPACT_KINDS: [RecordKind; 4] =
    [RecordKind::ModelVersion, RecordKind::Dataset, RecordKind::License, RecordKind::Token];

/// Most run events per request.
pub const MAX_EVENTS: u64 = 1_000;

/// `GET /exports/openlineage.json[?modelVersion=ID | ?first=N&after=ID]`: run events as a
/// JSON array.
#[handler]
async fn openlineage(
    Data(state): Data<&Arc<AppState>>,
    req: &Request,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let run = async {
        allowed(state, req).await?;
        let param = |key: &str| params.get(key).map(String::as_str);
        let only = param("modelVersion").map(|s| super::parse_id("modelVersion", s)).transpose()?;
        let after = param("after").map(|s| super::parse_id("after", s)).transpose()?;
        let first = super::parse_depth("first", param("first"), MAX_EVENTS as u32)?;
        let events = super::openlineage::events(&state.registry, only, after, u64::from(first)).await?;
        Ok::<_, AppError>(file("application/json", "openlineage.json", serde_json::Value::Array(events).to_string()))
    };
    match run.await {
        Ok(resp) => resp,
        Err(e) => refusal(e),
    }
}
