//! Status changes: deprecate, revoke, withdraw. Records never change; each change is a new event.
use provreg_entities::status_event;
use provreg_schema::RecordKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use uuid::Uuid;

use super::affected;
use super::as_of::{AsOf, Cut};
use super::lineage::NodeRef;
use super::{Registry, StatusRow, envelope, now};
use crate::error::{AppError, AppResult};
use crate::payload::RecordStatus;

/// The kind of record a status event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    License,
    Dataset,
    ModelVersion,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        self.record_kind().as_str()
    }

    /// The record kind this is.
    pub fn record_kind(self) -> RecordKind {
        match self {
            Self::License => RecordKind::License,
            Self::Dataset => RecordKind::Dataset,
            Self::ModelVersion => RecordKind::ModelVersion,
        }
    }

    /// The table the records of this kind are in.
    fn table(self) -> &'static str {
        match self {
            Self::License => "licenses",
            Self::Dataset => "datasets",
            Self::ModelVersion => "model_versions",
        }
    }

    fn allows(self, status: RecordStatus) -> bool {
        match self {
            Self::License => matches!(status, RecordStatus::Active | RecordStatus::Withdrawn),
            Self::Dataset | Self::ModelVersion => !matches!(status, RecordStatus::Withdrawn),
        }
    }
}

impl Registry {
    /// Records a status change of a licence, dataset or model version, with the metadata
    /// updates of the tokens downstream of it, in one transaction. A revoked record stays
    /// revoked.
    pub async fn set_status(
        &self,
        kind: SubjectKind,
        subject: Uuid,
        status: RecordStatus,
        reason: &str,
        actor: Option<Uuid>,
    ) -> AppResult<status_event::Model> {
        let payload = serde_json::json!({
            "subjectKind": kind.as_str(),
            "subject": subject.to_string(),
            "status": status.as_str(),
            "reason": reason,
        });
        self.validated_payload(RecordKind::StatusEvent, &payload)?;
        if !kind.allows(status) {
            return Err(AppError::bad_input(
                "/status",
                "enum",
                format!("a {} cannot be given status {}", kind.as_str(), status.as_str()),
            ));
        }
        let exists = match kind {
            SubjectKind::License => self.license(subject).await?.is_some(),
            SubjectKind::Dataset => self.dataset(subject).await?.is_some(),
            SubjectKind::ModelVersion => self.model_version(subject).await?.is_some(),
        };
        if !exists {
            return Err(AppError::NotFound { kind: kind.as_str(), id: subject.to_string() });
        }
        // Status changes of one record run one after another, and each gets its ID (which
        // orders a record's events) only once it runs, so each sees the change before it:
        // SQLite takes the write lock at `BEGIN IMMEDIATE`; PostgreSQL locks the record's row
        // (`NO KEY UPDATE`, which registrations referring to the record do not wait for).
        let (txn, _turn) = self.begin_write().await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            let sql = format!("SELECT id FROM {} WHERE id = $1 FOR NO KEY UPDATE", kind.table());
            txn.query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [subject.into()])).await?;
        }
        let current = status_event::Entity::find()
            .filter(status_event::Column::SubjectId.eq(subject))
            .order_by_desc(status_event::Column::Id)
            .one(&txn)
            .await?;
        if let Some(current) = current.filter(|e| e.status == "revoked") {
            txn.rollback().await?;
            return Err(AppError::Conflict {
                message: format!("{} {subject} is revoked; a revoked record cannot change status", kind.as_str()),
                existing_id: Some(current.id.to_string()),
            });
        }
        let id = Uuid::now_v7();
        let at = now();
        let record = envelope(RecordKind::StatusEvent, id, at, &payload)?;
        let event = status_event::Model {
            id,
            subject_kind: kind.as_str().to_owned(),
            subject_id: subject,
            status: status.as_str().to_owned(),
            reason: reason.to_owned(),
            actor_key_id: actor,
            digest: record.digest_hex(),
            canonical: record.bytes,
            created_at: at,
        };
        status_event::Entity::insert(status_event::ActiveModel::from(event.clone()).reset_all())
            .exec_without_returning(&txn)
            .await?;
        // Every token generated downstream shows the change in its metadata: the feed gets
        // its token ranges in the same transaction, all or nothing with the event.
        let start = match kind {
            SubjectKind::License => NodeRef::License(subject),
            SubjectKind::Dataset => NodeRef::Dataset(subject),
            SubjectKind::ModelVersion => NodeRef::ModelVersion(subject),
        };
        affected::record_status_change(&txn, start, &event).await?;
        super::seal::store(&txn, RecordKind::StatusEvent, id, &event.digest, None).await?;
        txn.commit().await?;
        Ok(event)
    }

    /// The status of a licence, dataset or model version as of `as_of`: the newest of its
    /// status events in that state (`active` with no event when there is none), read in one
    /// transaction. `NOT_FOUND` for no such record, `BAD_USER_INPUT` at `asOf` when it was
    /// registered after the point.
    pub async fn status_as_of(&self, subject: Uuid, as_of: AsOf) -> AppResult<StatusRow> {
        use provreg_entities::{dataset, license, model_version};
        let txn = self.begin_read().await?;
        let exists = model_version::Entity::find_by_id(subject).one(&txn).await?.is_some()
            || dataset::Entity::find_by_id(subject).one(&txn).await?.is_some()
            || license::Entity::find_by_id(subject).one(&txn).await?.is_some();
        if !exists {
            return Err(AppError::NotFound { kind: "record", id: subject.to_string() });
        }
        let cut = Cut::resolve(&txn, Some(as_of)).await?;
        cut.require(&txn, subject).await?;
        let event = affected::newest_status_events(&txn, &[subject], &cut).await?.remove(&subject);
        txn.commit().await?;
        let status = event.as_ref().map_or_else(|| RecordStatus::Active.as_str().to_owned(), |e| e.status.clone());
        Ok(StatusRow { status, event })
    }
}
