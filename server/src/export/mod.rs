//! Compliance exports: a record's lineage as W3C PROV-O (JSON-LD), lineage and impact as
//! CSV, training runs as OpenLineage run events, and a draft of a model version's EU AI Act
//! training-content summary (JSON and Markdown).
//!
//! Every export is read in one read-only transaction ([`snapshot::begin_read`]) through the
//! same lineage and impact queries the API answers with ([`crate::service::lineage`],
//! [`crate::service::affected`]), so it is one consistent state of the registry, and it names
//! the anchored log state it was built from ([`snapshot::LogState`]). The formats are pure
//! functions of what was read. They are served by GraphQL ([`crate::graphql`]), by
//! `GET /exports/…` ([`routes`]) and by `provreg export` ([`cli`]); docs/exports.md
//! describes each.
use chrono::{DateTime, Utc};
use provreg_schema::RecordKind;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::as_of::{AsOf, Cut};
use crate::service::lineage::Direction;

pub mod cli;
pub mod csv;
pub(crate) mod http;
pub mod impact;
pub mod openlineage;
pub mod prov;
pub mod snapshot;
pub mod summary;
mod summary_md;

pub use summary_md::markdown as summary_markdown;

pub use http::routes;

/// The current time, truncated to seconds (exports name when they were taken).
pub(crate) fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// The snapshot of `of`'s lineage in `direction`, at most `max_depth` hops, as of `as_of`
/// (now when `None`), in a read transaction of its own.
pub async fn lineage_snapshot(
    registry: &Registry,
    of: Uuid,
    direction: Direction,
    max_depth: u32,
    as_of: Option<AsOf>,
) -> AppResult<snapshot::Snapshot> {
    let txn = snapshot::begin_read(registry).await?;
    let cut = Cut::resolve(&txn, as_of).await?;
    let snap = snapshot::take(&txn, of, direction, max_depth, &cut).await?;
    txn.commit().await?;
    Ok(snap)
}

/// The PROV-O (JSON-LD) document of `of`'s lineage.
pub async fn prov_document(
    registry: &Registry,
    of: Uuid,
    direction: Direction,
    max_depth: u32,
) -> AppResult<serde_json::Value> {
    Ok(prov::document(&lineage_snapshot(registry, of, direction, max_depth, None).await?))
}

/// The CSV of `of`'s lineage nodes, of the `kinds` given (all when empty), as of `as_of`
/// (now when `None`).
pub async fn lineage_csv(
    registry: &Registry,
    of: Uuid,
    direction: Direction,
    max_depth: u32,
    kinds: &[RecordKind],
    as_of: Option<AsOf>,
) -> AppResult<String> {
    csv::lineage(&lineage_snapshot(registry, of, direction, max_depth, as_of).await?, kinds)
}

/// Parses an ID given as `field`.
pub fn parse_id(field: &str, s: &str) -> AppResult<Uuid> {
    crate::service::parse_id(field, s)
}

/// Parses a direction given as `field`: `upstream` or `downstream`, in any case.
pub fn parse_direction(field: &str, s: Option<&str>) -> AppResult<Direction> {
    match s.map(str::to_ascii_lowercase).as_deref() {
        None | Some("upstream") => Ok(Direction::Upstream),
        Some("downstream") => Ok(Direction::Downstream),
        Some(_) => Err(AppError::bad_input(
            field,
            "enum",
            format!("{:?} is not a direction; use upstream or downstream", provreg_schema::echo(s.unwrap_or(""))),
        )),
    }
}

/// Checks a depth given as `field`: between 0 and `limit`, `limit` when not given.
pub fn check_depth(field: &str, depth: Option<i64>, limit: u32) -> AppResult<u32> {
    match depth {
        None => Ok(limit),
        Some(d) if d >= 0 && d <= i64::from(limit) => Ok(u32::try_from(d).unwrap_or(limit)),
        Some(_) => Err(AppError::bad_input(field, "maximum", format!("{field} must be between 0 and {limit}"))),
    }
}

/// Parses a depth given as text in `field` (a query parameter or option).
pub fn parse_depth(field: &str, s: Option<&str>, limit: u32) -> AppResult<u32> {
    let depth = s
        .map(|s| {
            s.trim().parse::<i64>().map_err(|_| {
                AppError::bad_input(field, "type", format!("{:?} is not a whole number", provreg_schema::echo(s)))
            })
        })
        .transpose()?;
    check_depth(field, depth, limit)
}

/// Parses a comma-separated list of record kinds given as `field`, each one of `allowed`
/// (spelled as [`RecordKind::as_str`], in any case). Empty means every kind.
pub fn parse_kinds(field: &str, s: Option<&str>, allowed: &[RecordKind]) -> AppResult<Vec<RecordKind>> {
    let mut kinds = Vec::new();
    for word in s.unwrap_or("").split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let kind = allowed.iter().copied().find(|k| k.as_str().eq_ignore_ascii_case(word)).ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
            AppError::bad_input(
                field,
                "enum",
                format!("{:?} is not a kind here; use {}", provreg_schema::echo(word), names.join(", ")),
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer(e: AppError) -> String {
        match e {
            AppError::BadInput(v) => v[0].pointer.clone(),
            other => panic!("not bad input: {other:?}"),
        }
    }

    #[test]
    fn bad_options_are_coded_errors_naming_the_field() {
        assert_eq!(parse_direction("direction", None).unwrap(), Direction::Upstream);
        assert_eq!(parse_direction("direction", Some("DOWNSTREAM")).unwrap(), Direction::Downstream);
        assert_eq!(pointer(parse_direction("direction", Some("sideways")).unwrap_err()), "direction");
        assert_eq!(parse_depth("maxDepth", None, 10).unwrap(), 10);
        assert_eq!(parse_depth("maxDepth", Some("3"), 10).unwrap(), 3);
        assert_eq!(pointer(parse_depth("maxDepth", Some("11"), 10).unwrap_err()), "maxDepth");
        assert_eq!(pointer(parse_depth("maxDepth", Some("-1"), 10).unwrap_err()), "maxDepth");
        assert_eq!(pointer(parse_depth("maxDepth", Some("two"), 10).unwrap_err()), "maxDepth");
        let all = [RecordKind::Dataset, RecordKind::License];
        assert_eq!(
            parse_kinds("kinds", Some(" license,dataset,License "), &all).unwrap(),
            vec![RecordKind::License, RecordKind::Dataset]
        );
        assert!(parse_kinds("kinds", None, &all).unwrap().is_empty());
        assert_eq!(pointer(parse_kinds("kinds", Some("dataset,token"), &all).unwrap_err()), "kinds");
    }
}
