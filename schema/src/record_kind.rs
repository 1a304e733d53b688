//! The kinds of record the registry keeps, with their one string form.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of record. Its string form ([`RecordKind::as_str`], the same in serde) is what the
/// canonical record's `kind`, the log leaf, the certificates' `org.provreg.record` assertion,
/// status events' `subjectKind` and evidence bundles carry; it is written only here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordKind {
    License,
    Dataset,
    ModelVersion,
    StatusEvent,
    Circuit,
    Token,
    /// A deployed on-chain collection (ERC-721 + ERC-7007 contract) of a model version.
    Collection,
}

impl RecordKind {
    /// Every record kind.
    pub const ALL: [RecordKind; 7] = [
        Self::License,
        Self::Dataset,
        Self::ModelVersion,
        Self::StatusEvent,
        Self::Circuit,
        Self::Token,
        Self::Collection,
    ];

    /// The string form: `license`, `dataset`, `modelVersion`, `statusEvent`, `circuit`, `token`,
    /// `collection`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::License => "license",
            Self::Dataset => "dataset",
            Self::ModelVersion => "modelVersion",
            Self::StatusEvent => "statusEvent",
            Self::Circuit => "circuit",
            Self::Token => "token",
            Self::Collection => "collection",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for RecordKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RecordKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A string that names no record kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown record kind {0:?} (expected license, dataset, modelVersion, statusEvent, circuit, token or collection)"
)]
pub struct UnknownRecordKind(pub String);

impl FromStr for RecordKind {
    type Err = UnknownRecordKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownRecordKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn string_form_round_trips_and_matches_serde() {
        for kind in RecordKind::ALL {
            assert_eq!(kind.as_str().parse::<RecordKind>().unwrap(), kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
        }
        assert_eq!(RecordKind::ModelVersion.to_string(), "modelVersion");
        assert!("model_version".parse::<RecordKind>().unwrap_err().to_string().contains("model_version"));
    }
}
