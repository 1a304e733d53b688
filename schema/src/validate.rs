use jsonschema::Validator;
use serde_json::Value;

use crate::{Error, RecordKind, Result, Violation};

/// Each record kind's payload has its JSON Schema.
impl RecordKind {
    /// The schema's file name under `schema/json/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::License => "license.schema.json",
            Self::Dataset => "dataset.schema.json",
            Self::ModelVersion => "model-version.schema.json",
            Self::StatusEvent => "status-event.schema.json",
            Self::Circuit => "circuit.schema.json",
            Self::Token => "token.schema.json",
            Self::Collection => "collection.schema.json",
        }
    }

    /// The JSON Schema text.
    pub fn schema_text(self) -> &'static str {
        match self {
            Self::License => include_str!("../json/license.schema.json"),
            Self::Dataset => include_str!("../json/dataset.schema.json"),
            Self::ModelVersion => include_str!("../json/model-version.schema.json"),
            Self::StatusEvent => include_str!("../json/status-event.schema.json"),
            Self::Circuit => include_str!("../json/circuit.schema.json"),
            Self::Token => include_str!("../json/token.schema.json"),
            Self::Collection => include_str!("../json/collection.schema.json"),
        }
    }
}

/// Compiled validators for every payload kind; build once, share freely.
pub struct Validators {
    compiled: Vec<(RecordKind, Validator)>,
}

impl std::fmt::Debug for Validators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validators").finish_non_exhaustive()
    }
}

impl Validators {
    /// Compiles the bundled schemas (draft 2020-12, formats checked).
    pub fn new() -> Result<Self> {
        let mut compiled = Vec::with_capacity(RecordKind::ALL.len());
        for kind in RecordKind::ALL {
            let bad = |message: String| Error::BadSchema { name: kind.file_name(), message };
            let schema: Value = serde_json::from_str(kind.schema_text()).map_err(|e| bad(e.to_string()))?;
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| bad(e.to_string()))?;
            compiled.push((kind, validator));
        }
        Ok(Self { compiled })
    }

    /// Checks `payload` against the schema of `kind`; every violation is reported, sorted by pointer.
    pub fn validate(&self, kind: RecordKind, payload: &Value) -> Result<()> {
        let Some((_, validator)) = self.compiled.iter().find(|(k, _)| *k == kind) else {
            return Err(Error::BadSchema { name: kind.file_name(), message: "not compiled".into() });
        };
        let mut violations: Vec<Violation> = validator
            .iter_errors(payload)
            .map(|e| Violation {
                pointer: e.instance_path().to_string(),
                rule: rule_of(&e.schema_path().to_string()),
                message: message_of(&e),
            })
            .collect();
        if violations.is_empty() {
            return Ok(());
        }
        violations.sort_by(|a, b| b.pointer.len().cmp(&a.pointer.len()).then(a.pointer.cmp(&b.pointer)));
        violations.dedup();
        Err(Error::Invalid(violations))
    }
}

/// Most characters of a caller's value an error message repeats.
pub const ECHO_CHARS: usize = 80;

/// `value` as an error message may repeat it: whole when short, else its first
/// [`ECHO_CHARS`] characters and an ellipsis, so an error never returns a large input.
pub fn echo(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(ECHO_CHARS) {
        None => value.into(),
        Some((end, _)) => format!("{}…", &value[..end]).into(),
    }
}

/// The message of a violation, with the offending value shortened by [`echo`].
fn message_of(e: &jsonschema::ValidationError<'_>) -> String {
    let instance = e.instance().to_string();
    match echo(&instance) {
        std::borrow::Cow::Borrowed(_) => e.to_string(),
        std::borrow::Cow::Owned(short) => e.masked_with(short).to_string(),
    }
}

/// The last keyword of a schema path, e.g. `/properties/name/minLength` → `minLength`.
fn rule_of(schema_path: &str) -> String {
    schema_path.rsplit('/').next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn license() -> Value {
        json!({
            "name": "Creative Commons Attribution 4.0",
            "spdxId": "CC-BY-4.0",
            "commercialUse": true,
            "derivatives": "allowed",
            "attribution": true,
            "aiTraining": "allowed"
        })
    }

    fn violations(kind: RecordKind, v: &Value) -> Vec<Violation> {
        match Validators::new().unwrap().validate(kind, v) {
            Err(Error::Invalid(v)) => v,
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn a_long_value_is_echoed_as_a_short_prefix() {
        let mut l = license();
        l["name"] = json!("é".repeat(100_000));
        let v = violations(RecordKind::License, &l);
        assert_eq!(v[0].pointer, "/name");
        assert!(v[0].message.chars().count() < 200, "{}", v[0].message);
        assert!(v[0].message.contains(&format!("\"{}…", "é".repeat(ECHO_CHARS - 1))), "{}", v[0].message);
        assert_eq!(echo("short"), "short");
        assert_eq!(echo(&"x".repeat(ECHO_CHARS)), "x".repeat(ECHO_CHARS));
        assert_eq!(echo(&"x".repeat(ECHO_CHARS + 1)), format!("{}…", "x".repeat(ECHO_CHARS)));
    }

    #[test]
    fn every_bundled_schema_compiles_and_accepts_a_good_license() {
        let v = Validators::new().unwrap();
        v.validate(RecordKind::License, &license()).unwrap();
    }

    #[test]
    fn constrained_ai_training_needs_constraints() {
        let mut l = license();
        l["aiTraining"] = json!("constrained");
        let v = violations(RecordKind::License, &l);
        assert!(v.iter().any(|v| v.rule == "required" && v.message.contains("aiTrainingConstraints")), "{v:?}");
    }

    #[test]
    fn spdx_and_custom_are_exclusive() {
        let mut l = license();
        l["custom"] = json!({"summary": "x", "termsUri": "https://example.org/t"});
        assert!(!violations(RecordKind::License, &l).is_empty());
        l.as_object_mut().unwrap().remove("spdxId");
        Validators::new().unwrap().validate(RecordKind::License, &l).unwrap();
    }

    #[test]
    fn bad_hash_is_reported_at_its_pointer() {
        let ds = json!({
            "name": "d", "version": "1", "uri": "s3://bucket/d", "contentSha256": "XYZ",
            "recordCount": 3, "collectionPeriod": {"start": "2024-01-01", "end": "2024-02-01"},
            "license": "0190a7e4-0000-7000-8000-000000000000"
        });
        let v = violations(RecordKind::Dataset, &ds);
        assert_eq!(v[0].pointer, "/contentSha256");
        assert_eq!(v[0].rule, "pattern");
    }

    #[test]
    fn bad_date_format_is_rejected() {
        let ds = json!({
            "name": "d", "version": "1", "uri": "s3://bucket/d", "contentSha256": "a".repeat(64),
            "recordCount": 3, "collectionPeriod": {"start": "2024-13-01", "end": "2024-02-01"},
            "license": "0190a7e4-0000-7000-8000-000000000000"
        });
        let v = violations(RecordKind::Dataset, &ds);
        assert_eq!(v[0].pointer, "/collectionPeriod/start");
        assert_eq!(v[0].rule, "format");
    }
}
