//! The service layer: every read and write the API offers, independent of HTTP and GraphQL.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use provreg_schema::{CanonicalRecord, RecordKind, Validators};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub mod affected;
pub mod as_of;
mod circuit;
pub mod collection;
mod dataset;
mod group_commit;
pub mod impact;
mod license;
pub mod lineage;
pub mod lists;
pub mod log;
pub mod log_tree;
mod mint;
mod model_version;
pub mod proofs;
mod reads;
pub mod seal;
mod search;
mod seed;
pub mod status;
pub mod token;

pub use reads::StatusRow;
pub use search::SearchHit;

/// See [`Registry::begin_write`].
async fn begin_immediate(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// Handle to the registry: a database pool and the compiled payload validators. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Registry {
    pub db: DatabaseConnection,
    validators: Arc<Validators>,
    signing: Option<Arc<seal::Signing>>,
    proofs: Option<Arc<proofs::ProofChecker>>,
    chain: Option<Arc<collection::CollectionChain>>,
    beacon: Option<Arc<provreg_seed::BeaconKey>>,
    /// The status map at the largest size asked for so far, extended as the log grows
    /// (`log_tree::with_status_map`).
    status_cache: Arc<tokio::sync::Mutex<log_tree::StatusCache>>,
    /// The queue of writes committed together on SQLite (`group_commit`).
    committer: Arc<group_commit::Committer>,
}

impl Registry {
    /// Wraps a connected, migrated database.
    pub fn new(db: DatabaseConnection) -> AppResult<Self> {
        let validators = Validators::new().map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Self {
            db,
            validators: Arc::new(validators),
            signing: None,
            proofs: None,
            chain: None,
            beacon: None,
            status_cache: Arc::default(),
            committer: Arc::default(),
        })
    }

    /// Signs records' birth certificates with `signing`. Without it, registrations fail with
    /// an error that says how to configure a signing identity.
    pub fn with_signing(mut self, signing: seal::Signing) -> Self {
        self.signing = Some(Arc::new(signing));
        self
    }

    /// Takes `BEACON` seeds from the drand beacon `key` (default: drand's quicknet).
    pub fn with_beacon(mut self, key: provreg_seed::BeaconKey) -> Self {
        self.beacon = Some(Arc::new(key));
        self
    }

    /// Checks tokens' zero-knowledge proofs with `checker`. Without it, token registrations
    /// fail with `UNAVAILABLE`.
    /// The proof checker, or `UNAVAILABLE` when none is configured.
    pub(crate) fn proof_checker(&self) -> AppResult<&proofs::ProofChecker> {
        self.proofs.as_deref().ok_or_else(|| {
            AppError::Unavailable("no proof verifier is configured: set [prover] in the configuration".into())
        })
    }

    pub fn with_proofs(mut self, checker: proofs::ProofChecker) -> Self {
        self.proofs = Some(Arc::new(checker));
        self
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at `BEGIN`
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later cannot
    /// wait for a concurrent writer (SQLite answers "database is locked" at once instead of
    /// using the busy timeout), so every write transaction starts this way.
    ///
    /// On SQLite it first waits for this process's turn to write ([`write_turn`](Self::write_turn)),
    /// returned with the transaction: keep it until the transaction is committed or dropped.
    pub(crate) async fn begin_write(&self) -> AppResult<(sea_orm::DatabaseTransaction, group_commit::WriteTurn)> {
        let turn = self.write_turn().await;
        Ok((begin_immediate(&self.db).await?, turn))
    }

    /// A transaction that only reads, and sees one state of the database throughout: on
    /// PostgreSQL `REPEATABLE READ, READ ONLY`; on SQLite a deferred transaction, whose first
    /// read fixes what it sees (WAL mode).
    pub async fn begin_read(&self) -> AppResult<sea_orm::DatabaseTransaction> {
        use sea_orm::{AccessMode, DbBackend, IsolationLevel, TransactionOptions, TransactionTrait};
        let options = if self.db.get_database_backend() == DbBackend::Postgres {
            TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..TransactionOptions::default()
            }
        } else {
            TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    /// The signing identity, if configured.
    pub fn signing(&self) -> Option<&seal::Signing> {
        self.signing.as_deref()
    }

    /// Serialises an input to its JSON payload and validates it against its schema.
    fn validated_payload(&self, kind: RecordKind, input: &impl Serialize) -> AppResult<serde_json::Value> {
        let payload = serde_json::to_value(input).map_err(|e| AppError::Internal(e.to_string()))?;
        self.validators.validate(kind, &payload)?;
        Ok(payload)
    }
}

/// The signed-over form of a record: kind, id, registration time and payload, canonicalised.
fn envelope(kind: RecordKind, id: Uuid, at: DateTime<Utc>, payload: &serde_json::Value) -> AppResult<CanonicalRecord> {
    let value = serde_json::json!({
        "kind": kind.as_str(),
        "id": id.to_string(),
        "registeredAt": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "payload": payload,
    });
    Ok(provreg_schema::canonicalize(&value)?)
}

/// The `org.provreg.record` content of a certificate: the record's kind, ID, digest and
/// canonical form.
fn record_claim(record: &CanonicalRecord) -> AppResult<serde_json::Value> {
    let value: serde_json::Value =
        serde_json::from_slice(&record.bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(serde_json::json!({ "digest": record.digest_hex(), "canonical": value }))
}

/// The licence terms of a licence row: the payload of its canonical record.
fn license_payload(row: &provreg_entities::license::Model) -> AppResult<serde_json::Value> {
    let mut record: serde_json::Value =
        serde_json::from_slice(&row.canonical).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(record["payload"].take())
}

/// The current time, truncated to microseconds so it round-trips through both databases.
fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Parses an ID given at `pointer` (the schema already checked its shape).
pub fn parse_id(pointer: &str, s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s)
        .map_err(|_| AppError::bad_input(pointer, "pattern", format!("{:?} is not an ID", provreg_schema::echo(s))))
}

/// Parses an RFC 3339 date-time given at `pointer`.
fn parse_time(pointer: &str, s: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        AppError::bad_input(pointer, "format", format!("{:?} is not an RFC 3339 date-time", provreg_schema::echo(s)))
    })
}
