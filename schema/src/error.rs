use std::fmt;

/// One rule a payload broke: where (a JSON pointer into the payload) and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// JSON pointer of the offending value, `""` for the payload itself.
    pub pointer: String,
    /// The schema keyword that failed, e.g. `pattern`, `required`.
    pub rule: String,
    /// A readable explanation.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() { "/" } else { &self.pointer };
        write!(f, "{at}: {} ({})", self.message, self.rule)
    }
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The payload does not satisfy its JSON Schema.
    #[error("payload is invalid: {}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<Violation>),
    /// A bundled schema failed to compile (a bug in this crate).
    #[error("schema {name} does not compile: {message}")]
    BadSchema { name: &'static str, message: String },
    /// The payload could not be serialised canonically.
    #[error("payload cannot be canonicalised: {0}")]
    Canonical(#[from] serde_json::Error),
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;
