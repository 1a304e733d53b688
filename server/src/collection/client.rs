//! A small GraphQL client for the registry's API over HTTP, with the registry's coded
//! errors (`extensions.code`, `pointer`, `violations`) kept and printed readably.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

/// How long one request may take (registering a token verifies its proof first).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// The most characters of an unexpected response body an error quotes.
const BODY_EXCERPT: usize = 400;

/// Talks to one registry with one API key.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    endpoint: String,
    key: String,
}

/// One error of a GraphQL response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    pub message: String,
    /// `extensions.code`, e.g. `BAD_USER_INPUT`, `PROOF_INVALID`, `CONFLICT`.
    pub code: Option<String>,
    /// `extensions.pointer`: the JSON pointer of the input field at fault.
    pub pointer: Option<String>,
    /// Further violations as (pointer, message), beyond the first.
    pub violations: Vec<(String, String)>,
    /// `extensions.existingId` of a conflict.
    pub existing_id: Option<String>,
}

/// The registry refused an operation.
#[derive(Debug, Clone)]
pub struct RegistryError {
    /// The operation, e.g. `registerToken`.
    pub operation: String,
    pub errors: Vec<ErrorDetail>,
}

impl RegistryError {
    /// The first error's code.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().and_then(|e| e.code.as_deref())
    }

    /// Whether the error is about this request's input (so other requests may succeed),
    /// rather than about the key, the server or the query.
    pub fn is_about_the_input(&self) -> bool {
        matches!(self.code(), Some("BAD_USER_INPUT" | "PROOF_INVALID" | "CONFLICT" | "NOT_FOUND" | "INTERNAL"))
    }

    fn parse(operation: &str, errors: &[Value]) -> Self {
        let errors = errors
            .iter()
            .map(|e| {
                let ext = &e["extensions"];
                let text = |v: &Value| v.as_str().map(str::to_owned);
                let pointer = text(&ext["pointer"]);
                let violations = ext["violations"]
                    .as_array()
                    .map(|all| {
                        all.iter()
                            .skip(1)
                            .map(|v| (text(&v["pointer"]).unwrap_or_default(), text(&v["message"]).unwrap_or_default()))
                            .collect()
                    })
                    .unwrap_or_default();
                ErrorDetail {
                    message: text(&e["message"]).unwrap_or_else(|| e.to_string()),
                    code: text(&ext["code"]),
                    pointer,
                    violations,
                    existing_id: text(&ext["existingId"]),
                }
            })
            .collect();
        Self { operation: operation.to_owned(), errors }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the registry refused {}", self.operation)?;
        for (i, e) in self.errors.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            match (&e.code, &e.pointer) {
                (Some(code), Some(pointer)) => write!(f, "[{code} at {pointer}] ")?,
                (Some(code), None) => write!(f, "[{code}] ")?,
                _ => {}
            }
            f.write_str(&e.message)?;
            for (pointer, message) in &e.violations {
                write!(f, "; also {pointer}: {message}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for RegistryError {}

impl Client {
    /// A client of the registry at `server` (its base URL) sending `key` as bearer token.
    pub fn new(server: &str, key: &str) -> Result<Self> {
        let base = server.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("the registry URL must start with http:// or https://, got {server:?}");
        }
        let key = key.trim();
        if key.is_empty() {
            bail!("the API key is empty");
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("cannot make an HTTP client")?;
        Ok(Self { http, endpoint: format!("{base}/graphql"), base, key: key.to_owned() })
    }

    /// The registry's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Runs `query` (named `operation` in errors) and returns its `data`; GraphQL errors
    /// become a [`RegistryError`].
    pub async fn request(&self, operation: &str, query: &str, variables: Value) -> Result<Value> {
        let body = json!({ "query": query, "variables": variables });
        let response = self
            .http
            .post(&self.endpoint)
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .map_err(|e| anyhow!("{operation}: cannot reach the registry at {}: {}", self.endpoint, chain(&e)))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| anyhow!("{operation}: reading the registry's answer failed: {}", chain(&e)))?;
        if status == reqwest::StatusCode::PAYLOAD_TOO_LARGE {
            bail!("{operation}: the registry rejected the request body as too large (HTTP 413)");
        }
        let answer: Value = match serde_json::from_str(&text) {
            Ok(answer) => answer,
            Err(_) => bail!("{operation}: the registry answered HTTP {status}, not GraphQL JSON: {}", excerpt(&text)),
        };
        if let Some(errors) = answer.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
            return Err(RegistryError::parse(operation, errors).into());
        }
        if !status.is_success() {
            bail!("{operation}: the registry answered HTTP {status}: {}", excerpt(&text));
        }
        match answer.get("data") {
            Some(data) if !data.is_null() => Ok(data.clone()),
            _ => bail!("{operation}: the registry's answer has no data: {}", excerpt(&text)),
        }
    }
}

/// An error with its sources, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.chars().count() <= BODY_EXCERPT {
        return trimmed.to_owned();
    }
    let cut: String = trimmed.chars().take(BODY_EXCERPT).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn registry_errors_print_code_pointer_and_further_violations() {
        let errors = json!([{
            "message": "/traits/2: the traits are not the proof's public outputs",
            "extensions": { "code": "PROOF_INVALID", "pointer": "/traits/2" }
        }, {
            "message": "bad", "extensions": { "code": "BAD_USER_INPUT", "pointer": "/a",
              "violations": [{"pointer": "/a", "message": "bad"}, {"pointer": "/b", "message": "worse"}] }
        }, { "message": "plain" }]);
        let e = RegistryError::parse("registerToken", errors.as_array().unwrap());
        assert_eq!(e.code(), Some("PROOF_INVALID"));
        assert!(e.is_about_the_input());
        assert_eq!(
            e.to_string(),
            "the registry refused registerToken: [PROOF_INVALID at /traits/2] /traits/2: the traits are not the \
             proof's public outputs; [BAD_USER_INPUT at /a] bad; also /b: worse; plain"
        );
        let denied = RegistryError::parse(
            "x",
            json!([{ "message": "no", "extensions": { "code": "FORBIDDEN" } }]).as_array().unwrap(),
        );
        assert!(!denied.is_about_the_input());
        assert_eq!(denied.to_string(), "the registry refused x: [FORBIDDEN] no");
    }

    #[test]
    fn urls_and_keys_are_checked() {
        assert_eq!(Client::new("http://h:1/", "k").unwrap().base(), "http://h:1");
        assert!(Client::new("h:1", "k").is_err());
        assert!(Client::new("http://h:1", " \n").is_err());
    }

    #[tokio::test]
    async fn an_unreachable_registry_is_named() {
        // Port 9 (discard) on localhost: nothing listens in the test environment.
        let client = Client::new("http://127.0.0.1:9", "k").unwrap();
        let e = client.request("ping", "{ __typename }", json!({})).await.unwrap_err().to_string();
        assert!(e.contains("ping: cannot reach the registry at http://127.0.0.1:9/graphql"), "{e}");
    }

    #[test]
    fn long_bodies_are_cut() {
        assert_eq!(excerpt("  short "), "short");
        assert_eq!(excerpt(&"é".repeat(1000)).chars().count(), BODY_EXCERPT + 1);
    }
}
