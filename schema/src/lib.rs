#![doc = include_str!("../README.md")]

mod canonical;
mod error;
mod record_kind;
mod validate;

pub use canonical::{CanonicalRecord, canonicalize};
pub use error::{Error, Result, Violation};
pub use record_kind::{RecordKind, UnknownRecordKind};
pub use validate::{ECHO_CHARS, Validators, echo};

/// The exported GraphQL SDL of the full API, kept equal to the server's schema by a test.
pub const GRAPHQL_SDL: &str = include_str!("../schema.graphql");
/// The JSON Schema of evidence bundles (`provreg verify`'s input).
pub const EVIDENCE_BUNDLE_SCHEMA: &str = include_str!("../json/evidence-bundle.schema.json");
/// The JSON Schema of the custom facets in exported OpenLineage run events (`$defs` per facet).
pub const OPENLINEAGE_FACETS_SCHEMA: &str = include_str!("../json/openlineage-facets.schema.json");
/// The exported GraphQL SDL of the read-only audit API.
pub const AUDIT_GRAPHQL_SDL: &str = include_str!("../audit.graphql");
