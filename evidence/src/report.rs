//! The report of a bundle's checks: one [`Check`] per line, and what they add up to.
use provreg_schema::RecordKind;
use serde::Serialize;
use serde_json::{Value, json};

use crate::CheckError;
use crate::bundle::{BundleSubject, RecordRef};

/// The name of a check, as the report prints it (see the crate documentation for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CheckName {
    #[serde(rename = "bundle")]
    Bundle,
    #[serde(rename = "record.digest")]
    RecordDigest,
    #[serde(rename = "record.identity")]
    RecordIdentity,
    #[serde(rename = "certificate.digest")]
    CertificateDigest,
    #[serde(rename = "certificate.signature")]
    CertificateSignature,
    #[serde(rename = "certificate.binding")]
    CertificateBinding,
    #[serde(rename = "certificate.ingredients")]
    CertificateIngredients,
    #[serde(rename = "log.leaf")]
    LogLeaf,
    #[serde(rename = "log.inclusion")]
    LogInclusion,
    #[serde(rename = "anchor")]
    Anchor,
    #[serde(rename = "anchor.chain")]
    AnchorChain,
    #[serde(rename = "lineage")]
    Lineage,
    #[serde(rename = "lineage.edges")]
    LineageEdges,
    #[serde(rename = "status")]
    Status,
    #[serde(rename = "collection")]
    Collection,
    #[serde(rename = "collection.chain")]
    CollectionChain,
    #[serde(rename = "zk.record")]
    ZkRecord,
    #[serde(rename = "zk.circuit")]
    ZkCircuit,
    #[serde(rename = "zk.files")]
    ZkFiles,
    #[serde(rename = "zk.binding")]
    ZkBinding,
    #[serde(rename = "zk.inputs")]
    ZkInputs,
    #[serde(rename = "zk.outputs")]
    ZkOutputs,
    #[serde(rename = "zk.proof")]
    ZkProof,
    #[serde(rename = "asset.derivation")]
    AssetDerivation,
    #[serde(rename = "seed.source")]
    SeedSource,
    #[serde(rename = "status.complete")]
    StatusComplete,
    #[serde(rename = "anchor.latest")]
    AnchorLatest,
}

impl CheckName {
    /// The name as printed.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bundle => "bundle",
            Self::RecordDigest => "record.digest",
            Self::RecordIdentity => "record.identity",
            Self::CertificateDigest => "certificate.digest",
            Self::CertificateSignature => "certificate.signature",
            Self::CertificateBinding => "certificate.binding",
            Self::CertificateIngredients => "certificate.ingredients",
            Self::LogLeaf => "log.leaf",
            Self::LogInclusion => "log.inclusion",
            Self::Anchor => "anchor",
            Self::AnchorChain => "anchor.chain",
            Self::Lineage => "lineage",
            Self::LineageEdges => "lineage.edges",
            Self::Status => "status",
            Self::Collection => "collection",
            Self::CollectionChain => "collection.chain",
            Self::ZkRecord => "zk.record",
            Self::ZkCircuit => "zk.circuit",
            Self::ZkFiles => "zk.files",
            Self::ZkBinding => "zk.binding",
            Self::ZkInputs => "zk.inputs",
            Self::ZkOutputs => "zk.outputs",
            Self::ZkProof => "zk.proof",
            Self::AssetDerivation => "asset.derivation",
            Self::SeedSource => "seed.source",
            Self::StatusComplete => "status.complete",
            Self::AnchorLatest => "anchor.latest",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for CheckName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The status of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    Passed,
    Failed,
    /// Not anchored (or not confirmed) yet.
    Unconfirmed,
    /// Not asked for, or not applicable.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Unconfirmed => "unconfirmed",
            Self::Skipped => "skipped",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: CheckName,
    /// The record the check is about (the token for checks of the whole bundle).
    pub subject: RecordRef,
    pub status: Status,
    pub detail: String,
    /// What a failed check found (its text is the detail).
    #[serde(skip)]
    pub error: Option<CheckError>,
}

/// What the checks add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Nothing failed and everything is anchored and confirmed.
    Valid,
    /// Nothing failed, but something is not anchored or not confirmed yet.
    Unconfirmed,
    /// At least one check failed.
    Invalid,
}

/// Every check of a bundle, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub outcome: Outcome,
    /// `active`, or `affected` when a record in the token's lineage is deprecated, revoked
    /// or withdrawn (by the status events in the bundle).
    pub provenance_status: String,
    /// The token the bundle says it is about (checked against the token's signed record by
    /// the `bundle` check).
    pub subject: BundleSubject,
    pub checks: Vec<Check>,
}

impl Report {
    pub(crate) fn from_checks(subject: BundleSubject, checks: Vec<Check>) -> Self {
        let outcome = if checks.iter().any(|c| c.status == Status::Failed) {
            Outcome::Invalid
        } else if checks.iter().any(|c| c.status == Status::Unconfirmed) {
            Outcome::Unconfirmed
        } else {
            Outcome::Valid
        };
        Self { outcome, provenance_status: "active".into(), subject, checks }
    }

    /// Whether every claim checked out and is anchored.
    pub fn is_valid(&self) -> bool {
        self.outcome == Outcome::Valid
    }

    /// The first check that failed.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == Status::Failed)
    }

    /// The first check that is not confirmed yet.
    pub fn first_unconfirmed(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == Status::Unconfirmed)
    }

    /// The check `name` of record `kind`/`id`.
    pub fn check(&self, name: &str, kind: &str, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name && c.subject.kind == kind && c.subject.id == id)
    }

    /// The check `name` of record `kind`/`id`, by type.
    pub fn get(&self, name: CheckName, kind: RecordKind, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name && c.subject.kind == kind && c.subject.id == id)
    }

    /// How many checks have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// The process exit code of `provreg verify`: 0 valid, 1 a check failed, 2 not
    /// (completely) anchored yet.
    pub fn exit_code(&self) -> i32 {
        match self.outcome {
            Outcome::Valid => 0,
            Outcome::Invalid => 1,
            Outcome::Unconfirmed => 2,
        }
    }

    /// One summary line: the outcome, and the first failed (or unconfirmed) check.
    pub fn summary(&self) -> String {
        let counts = format!(
            "{} passed, {} failed, {} unconfirmed, {} skipped",
            self.count(Status::Passed),
            self.count(Status::Failed),
            self.count(Status::Unconfirmed),
            self.count(Status::Skipped)
        );
        match (self.outcome, self.first_failure(), self.first_unconfirmed()) {
            (Outcome::Invalid, Some(c), _) => format!(
                "INVALID ({counts}): first failed check {} of {}: {}",
                c.name.as_str(),
                printable(&c.subject.to_string()),
                printable(&c.detail)
            ),
            (Outcome::Unconfirmed, _, Some(c)) => format!(
                "UNCONFIRMED ({counts}): not valid yet, {} of {}: {}",
                c.name.as_str(),
                printable(&c.subject.to_string()),
                printable(&c.detail)
            ),
            _ if self.provenance_status != "active" => {
                format!("VALID ({counts}); provenance {}", self.status_detail().unwrap_or_default())
            }
            _ => format!("VALID ({counts})"),
        }
    }

    /// The `status` check's description, when there is one.
    fn status_detail(&self) -> Option<String> {
        self.checks.iter().find(|c| c.name == CheckName::Status).map(|c| printable(&c.detail))
    }

    /// The readable report: one line per check, then the summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.checks {
            let status = match c.status {
                Status::Passed => "ok  ",
                Status::Failed => "FAIL",
                Status::Unconfirmed => "WAIT",
                Status::Skipped => "skip",
            };
            out.push_str(&format!(
                "{status}  {:<23}  {:<12} {}  {}\n",
                c.name.as_str(),
                c.subject.kind.as_str(),
                printable(&c.subject.id),
                printable(&c.detail)
            ));
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The JSON report: `outcome`, `firstFailure` (or null) and every check.
    pub fn to_json(&self) -> Value {
        json!({
            "outcome": self.outcome,
            "provenanceStatus": self.provenance_status,
            "subject": self.subject,
            "firstFailure": self.first_failure(),
            "checks": self.checks,
        })
    }
}

/// `s` with control characters escaped: text from a bundle must not move the terminal's
/// cursor or rewrite earlier lines of the report.
fn printable(s: &str) -> String {
    if s.chars().any(char::is_control) { s.chars().flat_map(char::escape_default).collect() } else { s.to_owned() }
}
