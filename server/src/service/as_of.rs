//! Points in the registry's past: lineage, status and impact *as of* a log sequence number
//! or a time.
//!
//! Records are never changed and every record (a status change included) has one log entry,
//! so the registry as of a point is exact: the records whose log entries the point covers.
//!
//! - As of seq `N`: the log entries with `seq <= N`. A seq past the end of the sequenced log
//!   is now (entries not yet taken into a batch included, since they will all be numbered
//!   after it).
//! - As of time `T`: the log entries created at or before `T` (equivalently, entries are
//!   numbered in the order they were created, the largest seq created at or before `T`,
//!   with the entries not yet numbered that were).
//!
//! A record only ever names records registered before it (a model version its parent and
//! training data, a dataset its sources, either its licence), so a walk upstream of a record
//! in the state stays in the state; walks downstream test each record they reach.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use provreg_entities::log_entry;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Value};
use uuid::Uuid;

use super::affected::IN_BATCH;
use crate::error::{AppError, AppResult};

/// A point in the registry's history, as asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The state made of the log entries with `seq` at most this.
    Seq(i64),
    /// The state made of the log entries created at or before this time.
    Time(DateTime<Utc>),
}

impl AsOf {
    /// Exactly one of `time` (named `time_field`) and `seq` (named `seq_field`): a coded
    /// `BAD_USER_INPUT` naming `field` when both or neither are given, `seq_field` when the
    /// seq is negative.
    pub fn from_parts(
        field: &str,
        time_field: &str,
        seq_field: &str,
        time: Option<DateTime<Utc>>,
        seq: Option<i64>,
    ) -> AppResult<Self> {
        match (time, seq) {
            (Some(_), Some(_)) => Err(AppError::bad_input(
                field,
                "oneOf",
                format!("give only one of {time_field} and {seq_field}, not both"),
            )),
            (None, None) => {
                Err(AppError::bad_input(field, "oneOf", format!("give one of {time_field} and {seq_field}")))
            }
            (None, Some(seq)) if seq < 0 => Err(AppError::bad_input(
                seq_field,
                "minimum",
                format!("{seq_field} is a log sequence number, 0 or more; {seq} is not"),
            )),
            (None, Some(seq)) => Ok(Self::Seq(seq)),
            (Some(time), None) => Ok(Self::Time(time)),
        }
    }

    /// Parses the HTTP query parameters `asOf` (RFC 3339) and `asOfSeq`; `None` when neither
    /// is given.
    pub fn from_params(time: Option<&str>, seq: Option<&str>) -> AppResult<Option<Self>> {
        if time.is_none() && seq.is_none() {
            return Ok(None);
        }
        let time = time
            .map(|t| {
                DateTime::parse_from_rfc3339(t.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                    AppError::bad_input(
                        "asOf",
                        "format",
                        format!("{:?} is not an RFC 3339 time", provreg_schema::echo(t)),
                    )
                })
            })
            .transpose()?;
        let seq = seq
            .map(|s| {
                s.trim().parse::<i64>().map_err(|_| {
                    AppError::bad_input(
                        "asOfSeq",
                        "type",
                        format!("{:?} is not a whole number", provreg_schema::echo(s)),
                    )
                })
            })
            .transpose()?;
        Self::from_parts("asOf", "asOf", "asOfSeq", time, seq).map(Some)
    }
}

/// A point resolved against the log: which log entries make the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Every entry: the registry as it is.
    Now,
    /// Entries with `seq <= n`.
    Seq(i64),
    /// Entries created at or before this time.
    Time(DateTime<Utc>),
}

impl Cut {
    /// The cut of `as_of` (now when `None`), read through `conn`: a seq past the end of the
    /// sequenced log is now.
    pub async fn resolve(conn: &impl ConnectionTrait, as_of: Option<AsOf>) -> AppResult<Self> {
        match as_of {
            None => Ok(Self::Now),
            Some(AsOf::Time(t)) => Ok(Self::Time(t)),
            Some(AsOf::Seq(n)) => {
                let last: Option<i64> = log_entry::Entity::find()
                    .select_only()
                    .column_as(log_entry::Column::Seq.max(), "max_seq")
                    .into_tuple::<Option<i64>>()
                    .one(conn)
                    .await?
                    .flatten();
                Ok(if last.is_some_and(|last| n <= last) { Self::Seq(n) } else { Self::Now })
            }
        }
    }

    /// Whether log entry `entry` is in the state.
    pub fn covers(&self, entry: &log_entry::Model) -> bool {
        match self {
            Self::Now => true,
            Self::Seq(n) => entry.seq.is_some_and(|s| s <= *n),
            Self::Time(t) => entry.created_at <= *t,
        }
    }

    /// Of `ids`, the records in the state, read through `conn`, a few hundred per query.
    pub async fn known(&self, conn: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<HashSet<Uuid>> {
        if *self == Self::Now {
            return Ok(ids.iter().copied().collect());
        }
        let mut known = HashSet::new();
        for chunk in ids.chunks(IN_BATCH) {
            let entries =
                log_entry::Entity::find().filter(log_entry::Column::RecordId.is_in(chunk.to_vec())).all(conn).await?;
            known.extend(entries.iter().filter(|e| self.covers(e)).map(|e| e.record_id));
        }
        Ok(known)
    }

    /// `BAD_USER_INPUT` at `asOf` unless record `id` is in the state: a record registered
    /// after the point has no lineage, status or impact as of it.
    pub async fn require(&self, conn: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
        if self.known(conn, &[id]).await?.contains(&id) {
            Ok(())
        } else {
            Err(AppError::bad_input("asOf", "registered", format!("record {id} was registered after this point")))
        }
    }

    /// SQL that keeps a walk in the state, with the cut's value as parameter `$param`.
    pub(crate) fn sql(&self, param: usize) -> CutSql {
        let test = match self {
            Self::Now => None,
            Self::Seq(_) => Some(format!("le.seq <= ${param}")),
            Self::Time(_) => Some(format!("le.created_at <= ${param}")),
        };
        CutSql { test }
    }

    /// The parameter [`Cut::sql`] refers to, if any.
    pub(crate) fn value(&self) -> Option<Value> {
        match self {
            Self::Now => None,
            Self::Seq(n) => Some(Value::from(*n)),
            Self::Time(t) => Some(Value::from(*t)),
        }
    }
}

/// The SQL of a [`Cut`]: a condition per record column.
pub(crate) struct CutSql {
    test: Option<String>,
}

impl CutSql {
    /// ` AND <the record in column col is in the state>`, or nothing when the cut is now
    /// (the SQL is then what it was before there were cuts). `col` must be qualified by its
    /// table or alias. The test probes the log's `(record_id, record_kind)` index.
    pub(crate) fn and(&self, col: &str) -> String {
        match &self.test {
            None => String::new(),
            Some(test) => {
                format!(" AND EXISTS (SELECT 1 FROM log_entries le WHERE le.record_id = {col} AND {test})")
            }
        }
    }
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
    fn exactly_one_of_time_and_seq() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(AsOf::from_parts("asOf", "time", "seq", None, Some(3)).unwrap(), AsOf::Seq(3));
        assert_eq!(AsOf::from_parts("asOf", "time", "seq", Some(t), None).unwrap(), AsOf::Time(t));
        assert_eq!(pointer(AsOf::from_parts("asOf", "time", "seq", Some(t), Some(3)).unwrap_err()), "asOf");
        assert_eq!(pointer(AsOf::from_parts("asOf", "time", "seq", None, None).unwrap_err()), "asOf");
        assert_eq!(pointer(AsOf::from_parts("asOf", "time", "asOf.seq", None, Some(-1)).unwrap_err()), "asOf.seq");
        assert_eq!(AsOf::from_params(None, None).unwrap(), None);
        assert_eq!(AsOf::from_params(None, Some("7")).unwrap(), Some(AsOf::Seq(7)));
        assert_eq!(AsOf::from_params(Some("2026-01-01T00:00:00Z"), None).unwrap(), Some(AsOf::Time(t)));
        assert_eq!(pointer(AsOf::from_params(Some("yesterday"), None).unwrap_err()), "asOf");
        assert_eq!(pointer(AsOf::from_params(None, Some("x")).unwrap_err()), "asOfSeq");
        assert_eq!(pointer(AsOf::from_params(None, Some("-2")).unwrap_err()), "asOfSeq");
        assert_eq!(pointer(AsOf::from_params(Some("2026-01-01T00:00:00Z"), Some("1")).unwrap_err()), "asOf");
    }

    #[test]
    fn now_adds_no_sql() {
        assert_eq!(Cut::Now.sql(3).and("mv.id"), "");
        assert!(Cut::Now.value().is_none());
        assert!(Cut::Seq(4).sql(3).and("mv.id").contains("le.record_id = mv.id AND le.seq <= $3"));
    }
}
