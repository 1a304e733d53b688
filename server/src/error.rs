//! The server's one error type and its single boundary into coded GraphQL errors.
use async_graphql::{ErrorExtensionValues, ServerError, Value};
use provreg_schema::Violation;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The payload broke a schema or domain rule; `violations[0]` is the one reported first.
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_else(|| "invalid input".into()))]
    BadInput(Vec<Violation>),
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// The write would duplicate or contradict an existing record.
    #[error("{message}")]
    Conflict { message: String, existing_id: Option<String> },
    #[error("an API key is required: send `Authorization: Bearer <key>`")]
    Unauthenticated,
    #[error("this API key is not valid (unknown or revoked)")]
    BadKey,
    #[error("role {have} may not {action}; needs {need}")]
    Forbidden { have: &'static str, need: &'static str, action: &'static str },
    /// A zero-knowledge proof did not prove what the request claims; `pointer` names the
    /// field that did not match.
    #[error("{pointer}: {message}")]
    ProofInvalid { pointer: String, message: String },
    /// A part the request needs (e.g. the proof verifier) is not configured or not running.
    #[error("{0}")]
    Unavailable(String),
    /// The request asks for more expensive work than one request may do.
    #[error("{0}")]
    TooExpensive(String),
    /// The answer would be larger than the configured limit.
    #[error("the answer would exceed {limit} bytes (limits.max_response_bytes); ask for less per request")]
    ResponseTooLarge { limit: usize },
    /// The request body is larger than this caller may send.
    #[error("the request body exceeds {limit} bytes{hint}")]
    PayloadTooLarge { limit: usize, hint: &'static str },
    /// The caller sent more requests than `limit` allows; the next passes in `retry_after_secs`.
    #[error("too many requests ({limit}); retry in {retry_after_secs} s")]
    RateLimited { limit: &'static str, retry_after_secs: u64 },
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result of the server's fallible operations.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A single violation at `pointer`.
    pub fn bad_input(pointer: &str, rule: &str, message: impl Into<String>) -> Self {
        Self::BadInput(vec![Violation { pointer: pointer.into(), rule: rule.into(), message: message.into() }])
    }

    /// A proof that does not prove what the request claims, at `pointer`.
    pub fn proof_invalid(pointer: &str, message: impl Into<String>) -> Self {
        Self::ProofInvalid { pointer: pointer.into(), message: message.into() }
    }

    /// An internal error from anything displayable.
    pub fn from_display(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    /// The `extensions.code` this error carries.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadInput(_) => "BAD_USER_INPUT",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Conflict { .. } => "CONFLICT",
            Self::Unauthenticated | Self::BadKey => "UNAUTHENTICATED",
            Self::Forbidden { .. } => "FORBIDDEN",
            Self::ProofInvalid { .. } => "PROOF_INVALID",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::TooExpensive(_) => "TOO_EXPENSIVE",
            Self::ResponseTooLarge { .. } => "RESPONSE_TOO_LARGE",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Database(_) | Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<provreg_schema::Error> for AppError {
    fn from(e: provreg_schema::Error) -> Self {
        match e {
            provreg_schema::Error::Invalid(v) => Self::BadInput(v),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl AppError {
    /// The public message and extensions of this error. Internal errors are logged here,
    /// once, under an incident ID, and their details never leave the server.
    pub fn publish(&self) -> (String, ErrorExtensionValues) {
        let mut ext = ErrorExtensionValues::default();
        let code = self.code();
        ext.set("code", code);
        if code == "INTERNAL" {
            let incident = uuid::Uuid::now_v7();
            tracing::error!(%incident, error = %self, "request failed");
            ext.set("incident", incident.to_string());
            return (format!("internal error (incident {incident})"), ext);
        }
        match self {
            AppError::BadInput(violations) => {
                if let Some(first) = violations.first() {
                    ext.set("pointer", first.pointer.as_str());
                    ext.set("rule", first.rule.as_str());
                }
                let all: Vec<Value> = violations
                    .iter()
                    .map(|v| {
                        Value::from_json(
                            serde_json::json!({"pointer": v.pointer, "rule": v.rule, "message": v.message}),
                        )
                        .unwrap_or(Value::Null)
                    })
                    .collect();
                ext.set("violations", all);
            }
            AppError::ProofInvalid { pointer, .. } => ext.set("pointer", pointer.as_str()),
            AppError::Conflict { existing_id: Some(id), .. } => ext.set("existingId", id.as_str()),
            AppError::RateLimited { retry_after_secs, .. } => ext.set("retryAfter", *retry_after_secs),
            AppError::NotFound { kind, id } => {
                ext.set("kind", *kind);
                ext.set("id", id.as_str());
            }
            _ => {}
        }
        (self.to_string(), ext)
    }
}

/// The error boundary: every error of a GraphQL response leaves through here. Errors raised
/// as [`AppError`] get their code; query-level failures (parse, validation, depth and
/// complexity limits) get `GRAPHQL_VALIDATION_FAILED`.
pub fn publish_errors(errors: &mut [ServerError]) {
    for err in errors {
        if let Some(app) = err.source::<AppError>() {
            let (message, ext) = app.publish();
            err.message = message;
            err.extensions = Some(ext);
        } else if err.extensions.as_ref().is_none_or(|e| e.get("code").is_none()) {
            err.extensions.get_or_insert_with(Default::default).set("code", "GRAPHQL_VALIDATION_FAILED");
        }
    }
}

/// Maps a unique-constraint violation to a conflict, anything else to a database error.
pub fn map_unique(e: sea_orm::DbErr, message: impl FnOnce() -> String) -> AppError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict { message: message(), existing_id: None }
        }
        _ => AppError::Database(e),
    }
}
