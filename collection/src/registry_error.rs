//! The registry's refusal of an operation: its coded GraphQL errors (`extensions.code`,
//! `pointer`, `violations`, `existingId`) kept and printed readably.

use std::fmt;

use serde_json::Value;

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
    /// `extensions.rule`: the rule the input broke, e.g. `pattern`, `onChain`.
    pub rule: Option<String>,
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

    /// The first error's rule.
    pub fn rule(&self) -> Option<&str> {
        self.errors.first().and_then(|e| e.rule.as_deref())
    }

    /// Whether the error is about this request's input (so other requests may succeed),
    /// rather than about the key, the server or the query.
    pub fn is_about_the_input(&self) -> bool {
        matches!(self.code(), Some("BAD_USER_INPUT" | "PROOF_INVALID" | "CONFLICT" | "NOT_FOUND" | "INTERNAL"))
    }

    pub(crate) fn parse(operation: &str, errors: &[Value]) -> Self {
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
                    rule: text(&ext["rule"]),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

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
}
