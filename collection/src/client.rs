//! A small GraphQL client for the registry's API over HTTP; the registry's coded errors
//! become a [`RegistryError`].

use std::time::Duration;

use serde_json::{Value, json};

use crate::error::{CollectionError, Result, with_causes};
use crate::registry_error::RegistryError;

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

impl Client {
    /// A client of the registry at `server` (its base URL) sending `key` as bearer token.
    pub fn new(server: &str, key: &str) -> Result<Self> {
        let base = server.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CollectionError::RegistryUrl(server.to_owned()));
        }
        let key = key.trim();
        if key.is_empty() {
            return Err(CollectionError::EmptyApiKey);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(CollectionError::HttpClient)?;
        Ok(Self { http, endpoint: format!("{base}/graphql"), base, key: key.to_owned() })
    }

    /// The registry's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Runs `query` (named `operation` in errors) and returns its `data`; GraphQL errors
    /// become [`CollectionError::Registry`].
    pub async fn request(&self, operation: &str, query: &str, variables: Value) -> Result<Value> {
        let body = json!({ "query": query, "variables": variables });
        let response = self.http.post(&self.endpoint).bearer_auth(&self.key).json(&body).send().await.map_err(|e| {
            CollectionError::Unreachable {
                operation: operation.to_owned(),
                endpoint: self.endpoint.clone(),
                reason: with_causes(&e),
            }
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| CollectionError::ReadAnswer { operation: operation.to_owned(), reason: with_causes(&e) })?;
        if status == reqwest::StatusCode::PAYLOAD_TOO_LARGE {
            return Err(CollectionError::RequestTooLarge { operation: operation.to_owned() });
        }
        let Ok(answer) = serde_json::from_str::<Value>(&text) else {
            return Err(CollectionError::NotGraphql {
                operation: operation.to_owned(),
                status,
                excerpt: excerpt(&text),
            });
        };
        if let Some(errors) = answer.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
            return Err(RegistryError::parse(operation, errors).into());
        }
        if !status.is_success() {
            return Err(CollectionError::HttpStatus {
                operation: operation.to_owned(),
                status,
                excerpt: excerpt(&text),
            });
        }
        match answer.get("data") {
            Some(data) if !data.is_null() => Ok(data.clone()),
            _ => Err(CollectionError::NoData { operation: operation.to_owned(), excerpt: excerpt(&text) }),
        }
    }
}

/// The string at `path` in the registry's answer `value`, or an error naming the path.
pub(crate) fn string_at(value: &Value, path: &[&str]) -> Result<String> {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    at.as_str().map(str::to_owned).ok_or_else(|| CollectionError::MissingField(path.join(".")))
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
    fn urls_and_keys_are_checked() {
        assert_eq!(Client::new("http://h:1/", "k").unwrap().base(), "http://h:1");
        assert!(matches!(Client::new("h:1", "k"), Err(CollectionError::RegistryUrl(url)) if url == "h:1"));
        assert!(matches!(Client::new("http://h:1", " \n"), Err(CollectionError::EmptyApiKey)));
    }

    #[tokio::test]
    async fn an_unreachable_registry_is_named() {
        // Port 9 (discard) on localhost: nothing listens in the test environment.
        let client = Client::new("http://127.0.0.1:9", "k").unwrap();
        let e = client.request("ping", "{ __typename }", json!({})).await.unwrap_err();
        assert!(matches!(e, CollectionError::Unreachable { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("ping: cannot reach the registry at http://127.0.0.1:9/graphql"), "{e}");
    }

    #[test]
    fn answers_without_a_field_name_the_path() {
        let e = string_at(&json!({ "a": { "b": 1 } }), &["a", "b"]).unwrap_err();
        assert_eq!(e.to_string(), "the registry's answer has no a.b");
        assert_eq!(string_at(&json!({ "a": { "b": "x" } }), &["a", "b"]).unwrap(), "x");
    }

    #[test]
    fn long_bodies_are_cut() {
        assert_eq!(excerpt("  short "), "short");
        assert_eq!(excerpt(&"é".repeat(1000)).chars().count(), BODY_EXCERPT + 1);
    }
}
