//! Checking an evidence bundle without the registry: every digest recomputed from the bytes,
//! every certificate validated, every inclusion proof recomputed, optionally every anchor
//! read back from the chain, and the token's zero-knowledge proof verified.
//!
//! Each check gives one [`Check`] line: a name, the record it is about, a status and a
//! detail. The checks, in the order they are reported:
//!
//! | name | per | passes when |
//! | --- | --- | --- |
//! | `bundle` | bundle | the subject token is in the bundle, its canonical record names the subject's chain, contract and token ID (and those are the token asked for, when given), and no record appears twice |
//! | `record.digest` | record | SHA-256 of the canonical bytes is the stated digest |
//! | `record.identity` | record | the canonical JSON's `kind` and `id` are the record's |
//! | `certificate.digest` | record | SHA-256 of the manifest store is the certificate's digest and the log entry's certificate digest (status events: no certificate, zero digest) |
//! | `certificate.signature` | record | C2PA validation gives `Trusted` against the trust anchors, and the active manifest is the stated one |
//! | `certificate.binding` | record | the bound hash the certificate states (and its signed `org.provreg.record` assertion repeats) is what the record describes (token: `assetSha256`, model version: `weightsSha256`, dataset: `contentSha256`, circuit: `vkSha256`, licence: its own record digest) and the signed `org.provreg.record` assertion names this record's kind, digest and bound hash |
//! | `certificate.ingredients` | record | every ingredient the certificate's signed `org.provreg.ingredients` list names (carried inside it or referred to by certificate digest) is a certificate in the bundle (skipped for certificates without the list) |
//! | `log.leaf` | record | `log_leaf(kind, record digest, certificate digest)` of the recomputed digests is the log entry's leaf |
//! | `log.inclusion` | record | the inclusion proof leads from that leaf, at index `seq - firstSeq`, to the anchor's root for the anchor's size |
//! | `anchor` | record | the anchor is confirmed (transaction, block and batch known), at the given contract when one is given |
//! | `anchor.chain` | record | with an RPC URL: the chain ID is the anchor's, the contract's stored commitment of the batch is SHA-256(0x02 ‖ root ‖ size), and the stated transaction emitted `Anchored` with that batch, root, first seq and size in the stated block; unconfirmed without an RPC URL or without the registry's contract address pinned |
//! | `lineage` | record | every record its canonical payload references is in the bundle (token: model version and circuit; circuit: model version; model version: licence, parent, training datasets; dataset: licence, sources; status event: its record), and the record is upstream of the token |
//! | `lineage.edges` | bundle | the stated edges are exactly those the canonical records make |
//! | `status` | bundle | always passes: reports `active`, or `affected` with the records whose latest status event in the bundle deprecates, revokes or withdraws them |
//! | `zk.record` | token | the proof record's canonical SHA-256 is the token record's `proof.digest`, with the same system, version and model commitment |
//! | `zk.circuit` | token | the circuit is the token's and its model version's, its commitment is SHA-256(onnx ‖ settings ‖ vk) with the ONNX hash the model version's weights hash, and the proof is for it |
//! | `zk.files` | token | the settings, verifying key and SRS hash to the circuit record's digests |
//! | `zk.inputs` | token | the public input is the model input derived from the token's `inputSeed` |
//! | `zk.outputs` | token | the public outputs are the token's traits |
//! | `zk.proof` | token | EZKL verifies the proof with the bundle's circuit files |
//!
//! A check is `passed`, `failed`, `unconfirmed` (an entry not yet batched or an anchor not yet
//! confirmed, or not read back from the chain at the registry's contract: nothing false, but
//! nothing proven on chain either) or `skipped` (what was not asked for or does not apply:
//! the proof without a verifier, certificates of status events, which have none). The bundle
//! is [`Outcome::Valid`] when nothing failed and nothing is unconfirmed, so only with an RPC
//! URL and the registry's contract address.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_anchor::alloy_types::{Address, B256, TxHash};
use provreg_anchor::{ChainReader, InclusionProof, batch_commitment, log_leaf};
use provreg_prover_client::{
    Circuit, EzklBackend, EzklConfig, ProofRecord, SETTINGS_FILE, SRS_FILE, VK_FILE, Verifier, field, model_commitment,
    seed,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::bundle::{Bundle, EvidenceAnchor, EvidenceRecord, LineageEdge, RecordRef};
use crate::service::seal::NO_CERTIFICATE;
use provreg_certs::{self as certs, CertificateView};

/// The label of the registry's record assertion in a certificate.
const RECORD_ASSERTION: &str = "org.provreg.record";
/// The label of the signed list of a certificate's ingredients by certificate digest.
const INGREDIENTS_ASSERTION: &str = "org.provreg.ingredients";

/// How long one look-up on the chain may take.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What to check beyond the bundle's own bytes.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// PEM trust anchors (CA certificates) the certificates' signers must chain to.
    pub trust_anchors: Option<String>,
    /// Without trust anchors, accept certificates whose signatures and assertions are valid
    /// (C2PA `Valid`) although nobody said whom to trust. Off by default: then every
    /// certificate fails with "not trusted: no trust anchor given".
    pub allow_untrusted: bool,
    /// A JSON-RPC URL of the anchor chain; without it `anchor.chain` is unconfirmed (the
    /// anchors are only the bundle's claim) and the bundle cannot be valid.
    pub rpc_url: Option<String>,
    /// The anchor contract the verifier knows to be the registry's (`0x…`): every anchor
    /// must be at this address. Without it the contract the bundle names is looked up, but
    /// `anchor.chain` stays unconfirmed (anyone can deploy a contract).
    pub contract: Option<String>,
    /// The token the verifier asked for (`chainId`, contract, token ID): the bundle must be
    /// about it. Without it the `bundle` check only reports which token the bundle is about.
    pub expected_subject: Option<(i64, String, String)>,
    /// How the zero-knowledge proof itself is checked.
    pub zk: ZkCheck,
}

/// Whether and how `zk.proof` runs.
#[derive(Debug, Clone, Default)]
pub enum ZkCheck {
    /// Not asked for: `zk.proof` is skipped (the other `zk.*` checks run).
    #[default]
    Skip,
    /// Verify with this verifier.
    Verify(Arc<ProofVerifier>),
    /// Asked for, but no verifier could be set up (the reason): `zk.proof` fails.
    Unavailable(String),
}

/// The EZKL verifier `zk.proof` runs: the prover client's backend on a Python interpreter that
/// has the pinned `ezkl` package. Circuit files are written under a work directory for each
/// check and removed after it.
#[derive(Debug)]
pub struct ProofVerifier {
    backend: EzklBackend,
    work_dir: PathBuf,
}

impl ProofVerifier {
    /// A verifier running `python`, writing its files under `work_dir`.
    pub fn new(python: impl Into<PathBuf>, work_dir: impl Into<PathBuf>) -> Self {
        let work_dir = work_dir.into();
        let backend = EzklBackend::new(EzklConfig::new(work_dir.join("ezkl")).with_python(python));
        Self { backend, work_dir }
    }

    /// Writes the files into a fresh directory and asks EZKL.
    async fn verify(&self, files: &[(&str, &[u8]); 3], circuit: Circuit, record: &ProofRecord) -> Result<bool, String> {
        let dir = self.work_dir.join(format!("circuit-{}", uuid::Uuid::now_v7()));
        let result = async {
            tokio::fs::create_dir_all(&dir).await.map_err(|e| format!("creating {}: {e}", dir.display()))?;
            for (name, bytes) in files {
                let path = dir.join(name);
                tokio::fs::write(&path, bytes).await.map_err(|e| format!("writing {}: {e}", path.display()))?;
            }
            let circuit = Circuit { dir: dir.clone(), ..circuit };
            self.backend.verify(&circuit, record).await.map_err(|e| format!("the EZKL verifier failed: {e}"))
        }
        .await;
        let _ = tokio::fs::remove_dir_all(&dir).await;
        result
    }
}

/// The status of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    /// The record the check is about (the token for checks of the whole bundle).
    pub subject: RecordRef,
    pub status: Status,
    pub detail: String,
}

/// What the checks add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub outcome: Outcome,
    /// `active`, or `affected` when a record in the token's lineage is deprecated, revoked
    /// or withdrawn (by the status events in the bundle).
    pub provenance_status: String,
    /// The token the bundle says it is about (checked against the token's signed record by
    /// the `bundle` check).
    pub subject: super::bundle::BundleSubject,
    pub checks: Vec<Check>,
}

impl Report {
    fn from_checks(subject: super::bundle::BundleSubject, checks: Vec<Check>) -> Self {
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
                printable(&c.name),
                printable(&c.subject.to_string()),
                printable(&c.detail)
            ),
            (Outcome::Unconfirmed, _, Some(c)) => format!(
                "UNCONFIRMED ({counts}): not valid yet, {} of {}: {}",
                printable(&c.name),
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
        self.checks.iter().find(|c| c.name == "status").map(|c| printable(&c.detail))
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
                printable(&c.name),
                printable(&c.subject.kind),
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

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A 32-byte digest in hex, with or without `0x`.
fn parse_digest(s: &str) -> Option<[u8; 32]> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out).ok().map(|()| out)
}

fn felt_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("0x").eq_ignore_ascii_case(b.trim_start_matches("0x"))
}

/// A record decoded once for all checks.
struct Decoded<'a> {
    record: &'a EvidenceRecord,
    reference: RecordRef,
    /// The canonical bytes, or why they are not base64.
    canonical: Result<Vec<u8>, String>,
    /// The parsed canonical JSON.
    value: Option<Value>,
}

impl Decoded<'_> {
    fn payload(&self) -> Option<&Value> {
        self.value.as_ref().map(|v| &v["payload"]).filter(|p| p.is_object())
    }

    fn digest(&self) -> Option<String> {
        self.canonical.as_ref().ok().map(|b| sha256_hex(b))
    }
}

/// Collects the checks.
struct Checks {
    list: Vec<Check>,
}

impl Checks {
    fn push(&mut self, name: &str, subject: &RecordRef, result: Result<String, String>) {
        let (status, detail) = match result {
            Ok(detail) => (Status::Passed, detail),
            Err(detail) => (Status::Failed, detail),
        };
        self.with(name, subject, status, detail);
    }

    fn with(&mut self, name: &str, subject: &RecordRef, status: Status, detail: impl Into<String>) {
        self.list.push(Check { name: name.to_owned(), subject: subject.clone(), status, detail: detail.into() });
    }
}

/// Checks every claim of `bundle` (see the [module documentation](self) for the checks).
pub async fn verify_bundle(bundle: &Bundle, opts: &VerifyOptions) -> Report {
    let mut checks = Checks { list: Vec::new() };
    let token_ref = RecordRef::new("token", &bundle.subject.id);
    let decoded: Vec<Decoded<'_>> = bundle.records.iter().map(decode).collect();
    let by_ref: HashMap<&RecordRef, &Decoded<'_>> = decoded.iter().map(|d| (&d.reference, d)).collect();

    checks.push(
        "bundle",
        &token_ref,
        check_bundle(bundle, &decoded, by_ref.get(&token_ref).copied(), opts.expected_subject.as_ref()),
    );

    // The certificate digests the bundle states, for the signed ingredient lists (each is
    // compared with its bytes by that record's `certificate.digest`).
    let certificates: HashSet<String> =
        bundle.records.iter().filter_map(|r| r.certificate.as_ref()).map(|c| c.digest.clone()).collect();
    let mut chain_cache: HashMap<EvidenceAnchor, Result<String, String>> = HashMap::new();
    for d in &decoded {
        check_record(&mut checks, d, opts, &certificates, &mut chain_cache).await;
    }

    check_lineage(&mut checks, bundle, &decoded, &by_ref, &token_ref);
    let (provenance_status, detail) = lineage_status(&decoded);
    checks.push("status", &token_ref, Ok(detail));
    check_zk(&mut checks, bundle, &by_ref, &token_ref, opts).await;
    let mut report = Report::from_checks(bundle.subject.clone(), checks.list);
    report.provenance_status = provenance_status.to_owned();
    report
}

/// The token's provenance status from the bundle's status events: `affected` when the
/// latest event of any record in its lineage is not `active` (deprecated, revoked,
/// withdrawn), else `active`; with a description of what affects it. Only the events the
/// bundle holds are known (see the README on what a bundle cannot prove).
fn lineage_status(decoded: &[Decoded<'_>]) -> (&'static str, String) {
    // Latest event per record, by registration time then ID (UUIDv7, time-ordered).
    fn text(v: &Value) -> &str {
        v.as_str().unwrap_or("?")
    }
    // (kind, id) of a record → ((registeredAt, event ID), status, reason) of its latest event.
    type Latest<'a> = BTreeMap<(&'a str, &'a str), ((&'a str, &'a str), &'a str, &'a str)>;
    let mut latest: Latest<'_> = BTreeMap::new();
    for d in decoded.iter().filter(|d| d.record.kind == "statusEvent") {
        let (Some(value), Some(p)) = (d.value.as_ref(), d.payload()) else { continue };
        let record = (text(&p["subjectKind"]), text(&p["subject"]));
        let event = (
            (text(&value["registeredAt"]), d.record.id.as_str()),
            text(&p["status"]),
            p["reason"].as_str().unwrap_or_default(),
        );
        if latest.get(&record).is_none_or(|seen| seen.0 < event.0) {
            latest.insert(record, event);
        }
    }
    let affecting: Vec<String> = latest
        .iter()
        .filter(|(_, (_, status, _))| *status != "active")
        .map(|((kind, id), (_, status, reason))| format!("{kind} {id} {status} ({reason})"))
        .collect();
    if affecting.is_empty() {
        ("active", "active: no record in the token's lineage is deprecated, revoked or withdrawn".into())
    } else {
        ("affected", format!("affected: {}", affecting.join("; ")))
    }
}

fn decode(record: &EvidenceRecord) -> Decoded<'_> {
    let canonical = B64.decode(record.canonical.trim()).map_err(|e| format!("the canonical bytes are not base64: {e}"));
    let value = canonical.as_ref().ok().and_then(|b| serde_json::from_slice::<Value>(b).ok());
    Decoded { record, reference: record.reference(), canonical, value }
}

fn check_bundle(
    bundle: &Bundle,
    decoded: &[Decoded<'_>],
    token: Option<&Decoded<'_>>,
    expected: Option<&(i64, String, String)>,
) -> Result<String, String> {
    let mut seen = HashSet::new();
    for d in decoded {
        if !seen.insert(&d.reference) {
            return Err(format!("{} appears more than once", d.reference));
        }
    }
    let Some(token) = token else {
        return Err(format!("the subject token {} is not among the records", bundle.subject.id));
    };
    let Some(payload) = token.payload() else {
        return Err("the subject token's canonical record cannot be read".into());
    };
    let s = &bundle.subject;
    if let Some((chain, contract, token_id)) = expected
        && (s.chain_id != *chain
            || !s.contract.eq_ignore_ascii_case(contract.trim())
            || s.token_id.trim_start_matches('0') != token_id.trim().trim_start_matches('0'))
    {
        return Err(format!(
            "the bundle is about token {} of {} on chain {}, not the token asked for ({token_id} of {contract} on chain {chain})",
            s.token_id, s.contract, s.chain_id
        ));
    }
    if payload["chainId"].as_i64() != Some(s.chain_id) {
        return Err(format!("the token record is on chain {}, not {}", payload["chainId"], s.chain_id));
    }
    if !payload["contract"].as_str().is_some_and(|c| c.eq_ignore_ascii_case(&s.contract)) {
        return Err(format!("the token record is of contract {}, not {}", payload["contract"], s.contract));
    }
    if payload["tokenId"].as_str() != Some(s.token_id.as_str()) {
        return Err(format!("the token record is token {}, not {}", payload["tokenId"], s.token_id));
    }
    Ok(format!(
        "token {} of {} on chain {}; {} records, {} lineage edges",
        s.token_id,
        s.contract,
        s.chain_id,
        bundle.records.len(),
        bundle.lineage.len()
    ))
}

/// The checks of one record, `record.digest` to `anchor.chain`.
async fn check_record(
    checks: &mut Checks,
    d: &Decoded<'_>,
    opts: &VerifyOptions,
    certificates: &HashSet<String>,
    chain_cache: &mut HashMap<EvidenceAnchor, Result<String, String>>,
) {
    let r = d.record;
    let me = &d.reference;
    let digest = d.digest();

    // record.digest
    checks.push(
        "record.digest",
        me,
        match (&d.canonical, &digest) {
            (Err(e), _) => Err(e.clone()),
            (Ok(_), Some(digest)) if *digest == r.digest => Ok(format!("SHA-256 of the canonical record is {digest}")),
            (Ok(_), Some(digest)) => {
                Err(format!("SHA-256 of the canonical record is {digest}, but the bundle states {}", r.digest))
            }
            (Ok(_), None) => Err("no canonical bytes".into()),
        },
    );

    // record.identity
    checks.push(
        "record.identity",
        me,
        match &d.value {
            None if d.canonical.is_ok() => Err("the canonical bytes are not JSON".into()),
            None => Err("the canonical bytes are not base64".into()),
            Some(v) if v["kind"].as_str() != Some(r.kind.as_str()) => {
                Err(format!("the canonical record is of kind {}, not {}", v["kind"], r.kind))
            }
            Some(v) if v["id"].as_str() != Some(r.id.as_str()) => {
                Err(format!("the canonical record has ID {}, not {}", v["id"], r.id))
            }
            Some(_) if d.payload().is_none() => Err("the canonical record has no payload object".into()),
            Some(v) => Ok(format!("{} {} registered at {}", r.kind, r.id, v["registeredAt"].as_str().unwrap_or("?"))),
        },
    );

    // certificate.*
    let cert_digest = check_certificate(checks, d, digest.as_deref(), opts, certificates).await;

    // log.leaf
    let leaf = match (&digest, &cert_digest) {
        (Some(digest), Some(cert_digest)) => match (parse_digest(digest), parse_digest(cert_digest)) {
            (Some(rd), Some(cd)) => Some(log_leaf(&r.kind, &rd, &cd)),
            _ => None,
        },
        _ => None,
    };
    let le = &r.log_entry;
    checks.push(
        "log.leaf",
        me,
        match (&leaf, &digest, &cert_digest) {
            (Some(leaf), Some(digest), Some(cert_digest)) => {
                let leaf_hex = hex::encode(leaf);
                if le.record_digest != *digest {
                    Err(format!("the log entry is for record digest {}, not {digest}", le.record_digest))
                } else if le.certificate_digest != *cert_digest {
                    Err(format!("the log entry is for certificate digest {}, not {cert_digest}", le.certificate_digest))
                } else if parse_digest(&le.leaf) != Some(*leaf) {
                    Err(format!("the log entry's leaf is {}, but the record and certificate give {leaf_hex}", le.leaf))
                } else {
                    Ok(format!("leaf {leaf_hex} commits to the record and its certificate"))
                }
            }
            _ => Err("no leaf can be computed: the record or certificate bytes are unreadable".into()),
        },
    );

    // log.inclusion
    match (le.seq, &r.inclusion_proof, &r.anchor) {
        (None, None, None) => {
            checks.with("log.inclusion", me, Status::Unconfirmed, "not yet taken into an anchored batch")
        }
        (Some(seq), Some(proof), Some(anchor)) => {
            checks.push("log.inclusion", me, check_inclusion(leaf, seq, proof, anchor));
        }
        (seq, proof, anchor) => checks.push(
            "log.inclusion",
            me,
            Err(format!(
                "inconsistent: the entry has {}, {} and {}",
                seq.map_or("no sequence number".to_owned(), |s| format!("sequence number {s}")),
                if proof.is_some() { "an inclusion proof" } else { "no inclusion proof" },
                if anchor.is_some() { "an anchor" } else { "no anchor" },
            )),
        ),
    }

    // anchor
    let confirmed = match &r.anchor {
        None => {
            checks.with("anchor", me, Status::Unconfirmed, "not yet anchored");
            None
        }
        Some(a) if opts.contract.as_deref().is_some_and(|c| !c.trim().eq_ignore_ascii_case(&a.contract)) => {
            let expected = opts.contract.as_deref().unwrap_or_default().trim();
            checks.push("anchor", me, Err(format!("anchored at contract {}, not at the given {expected}", a.contract)));
            None
        }
        Some(a) => match (a.status.as_str(), &a.tx_hash, a.block_number, a.batch_id) {
            ("confirmed", Some(tx), Some(block), Some(batch)) => {
                checks.push(
                    "anchor",
                    me,
                    Ok(format!(
                        "batch {batch} (seq {}..{}) confirmed in block {block}, transaction {tx}, contract {} on chain {}",
                        a.first_seq,
                        i128::from(a.first_seq) + i128::from(a.size) - 1,
                        a.contract,
                        a.chain_id
                    )),
                );
                Some(a)
            }
            ("confirmed", ..) => {
                checks.push("anchor", me, Err("confirmed, but without transaction, block or batch ID".into()));
                None
            }
            ("pending" | "sent", ..) => {
                checks.with(
                    "anchor",
                    me,
                    Status::Unconfirmed,
                    format!("the batch is {} but not confirmed on chain yet", a.status),
                );
                None
            }
            (other, ..) => {
                checks.push("anchor", me, Err(format!("unknown anchor status {other:?}")));
                None
            }
        },
    };

    // anchor.chain: only an anchor read back from the chain, at a contract the verifier was
    // told is the registry's, makes the entry valid (anyone can deploy a contract and anchor
    // any leaves on it, and a status event has no certificate: its anchor is its proof).
    match (&opts.rpc_url, confirmed) {
        (None, _) => checks.with(
            "anchor.chain",
            me,
            Status::Unconfirmed,
            "not compared with the chain (no RPC URL given): the anchor is the bundle's own claim",
        ),
        (Some(_), None) => checks.with("anchor.chain", me, Status::Unconfirmed, "no confirmed anchor to look up"),
        (Some(rpc), Some(a)) => {
            let result = match chain_cache.get(a) {
                Some(cached) => cached.clone(),
                None => {
                    let result = match tokio::time::timeout(CHAIN_TIMEOUT, check_chain(rpc, a)).await {
                        Ok(r) => r,
                        Err(_) => Err(format!("the chain at {rpc} did not answer within {CHAIN_TIMEOUT:?}")),
                    };
                    chain_cache.insert(a.clone(), result.clone());
                    result
                }
            };
            match (result, &opts.contract) {
                (Ok(detail), None) => checks.with(
                    "anchor.chain",
                    me,
                    Status::Unconfirmed,
                    format!(
                        "{detail}; but that contract is only the bundle's claim: give the registry's contract \
                         address to pin it"
                    ),
                ),
                (result, _) => checks.push("anchor.chain", me, result),
            }
        }
    }
}

/// `certificate.digest`, `certificate.signature`, `certificate.binding` and
/// `certificate.ingredients`; returns the certificate digest the log leaf must commit to
/// (zeros without a certificate), if known.
async fn check_certificate(
    checks: &mut Checks,
    d: &Decoded<'_>,
    record_digest: Option<&str>,
    opts: &VerifyOptions,
    certificates: &HashSet<String>,
) -> Option<String> {
    let r = d.record;
    let me = &d.reference;
    let Some(cert) = &r.certificate else {
        if r.kind == "statusEvent" {
            let zero = r.log_entry.certificate_digest == NO_CERTIFICATE;
            checks.push(
                "certificate.digest",
                me,
                if zero {
                    Ok("a status event has no certificate; its log entry has the zero certificate digest".into())
                } else {
                    Err("a status event has no certificate, but its log entry names one".into())
                },
            );
            checks.with("certificate.signature", me, Status::Skipped, "status events have no certificate");
            checks.with("certificate.binding", me, Status::Skipped, "status events have no certificate");
            checks.with("certificate.ingredients", me, Status::Skipped, "status events have no certificate");
            return Some(NO_CERTIFICATE.to_owned());
        }
        for name in ["certificate.digest", "certificate.signature", "certificate.binding", "certificate.ingredients"] {
            checks.push(name, me, Err(format!("the bundle has no certificate for this {}", r.kind)));
        }
        return None;
    };
    let store = B64.decode(cert.manifest_store.trim());
    let store_digest = store.as_ref().ok().map(|s| sha256_hex(s));
    checks.push(
        "certificate.digest",
        me,
        match (&store, &store_digest) {
            (Err(e), _) => Err(format!("the manifest store is not base64: {e}")),
            (Ok(_), Some(sd)) if r.kind == "statusEvent" => {
                Err(format!("status events are not certified, but the bundle has certificate {sd}"))
            }
            (Ok(_), Some(sd)) if *sd != cert.digest => {
                Err(format!("SHA-256 of the manifest store is {sd}, but the certificate states {}", cert.digest))
            }
            (Ok(_), Some(sd)) if *sd != r.log_entry.certificate_digest => Err(format!(
                "SHA-256 of the manifest store is {sd}, but the log entry commits to {}",
                r.log_entry.certificate_digest
            )),
            (Ok(_), Some(sd)) => Ok(format!("SHA-256 of the manifest store is {sd}")),
            (Ok(_), None) => Err("no manifest store".into()),
        },
    );
    let view = match store {
        Ok(bytes) => {
            let format = cert.format.clone();
            let anchors = opts.trust_anchors.clone();
            tokio::task::spawn_blocking(move || {
                certs::inspect(&bytes, &format, None, anchors.as_deref()).map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(format!("validation stopped: {e}")))
        }
        Err(e) => Err(format!("the manifest store is not base64: {e}")),
    };
    checks.push("certificate.signature", me, signature_result(&view, cert.manifest_label.as_str(), opts));
    checks.push("certificate.binding", me, binding_result(d, &view, record_digest));
    match ingredients_result(&view, certificates) {
        Some(result) => checks.push("certificate.ingredients", me, result),
        None => checks.with(
            "certificate.ingredients",
            me,
            Status::Skipped,
            format!("the certificate has no {INGREDIENTS_ASSERTION} list (issued before certificates listed their ingredients)"),
        ),
    }
    store_digest
}

fn signature_result(
    view: &Result<CertificateView, String>,
    manifest_label: &str,
    opts: &VerifyOptions,
) -> Result<String, String> {
    let view = view.as_ref().map_err(|e| format!("the manifest store does not decode: {e}"))?;
    if view.manifest_label != manifest_label {
        return Err(format!("the active manifest is {}, not the stated {manifest_label}", view.manifest_label));
    }
    let signer = view.manifest["signature_info"]["common_name"]
        .as_str()
        .or_else(|| view.manifest["signature_info"]["issuer"].as_str())
        .unwrap_or("the signer");
    match (view.validation_state.as_str(), opts.trust_anchors.is_some()) {
        ("Trusted", _) => Ok(format!("Trusted: signed by {signer}, who chains to the given trust anchors")),
        ("Valid", true) => Err(format!(
            "Valid but not Trusted: {signer} does not chain to the given trust anchors{}",
            errors_suffix(&view.validation_errors)
        )),
        ("Valid", false) if opts.allow_untrusted => {
            Ok(format!("Valid: signature and assertions check out; trust not checked (no trust anchor given), signed by {signer}"))
        }
        ("Valid", false) => Err("not trusted: no trust anchor given (give the registry's CA certificate, or explicitly allow untrusted certificates)".into()),
        (state, _) => Err(format!("{state}{}", errors_suffix(&view.validation_errors))),
    }
}

fn errors_suffix(errors: &[String]) -> String {
    if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) }
}

/// The hash a record's certificate must be bound to.
fn expected_binding(kind: &str, payload: &Value, record_digest: &str) -> Result<String, String> {
    let field = match kind {
        "token" => "assetSha256",
        "modelVersion" => "weightsSha256",
        "dataset" => "contentSha256",
        "circuit" => "vkSha256",
        "license" => return Ok(record_digest.to_owned()),
        other => return Err(format!("a {other} record has no certificate binding")),
    };
    payload[field].as_str().map(str::to_owned).ok_or_else(|| format!("the record has no {field}"))
}

fn binding_result(
    d: &Decoded<'_>,
    view: &Result<CertificateView, String>,
    record_digest: Option<&str>,
) -> Result<String, String> {
    let Some(cert) = &d.record.certificate else { return Err("no certificate".into()) };
    let (Some(payload), Some(record_digest)) = (d.payload(), record_digest) else {
        return Err("the canonical record cannot be read".into());
    };
    let expected = expected_binding(&d.record.kind, payload, record_digest)?;
    if cert.bound_sha256 != expected {
        return Err(format!("the certificate is bound to {}, but the record describes {expected}", cert.bound_sha256));
    }
    let view = view.as_ref().map_err(|e| format!("the manifest store does not decode: {e}"))?;
    let assertion = view.manifest["assertions"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["label"].as_str() == Some(RECORD_ASSERTION)))
        .map(|a| &a["data"])
        .ok_or_else(|| format!("the manifest has no {RECORD_ASSERTION} assertion"))?;
    if assertion["subject"].as_str() != Some(d.record.kind.as_str()) {
        return Err(format!("the signed assertion is about a {}, not a {}", assertion["subject"], d.record.kind));
    }
    if assertion["boundSha256"].as_str() != Some(cert.bound_sha256.as_str()) {
        return Err(format!("the signed assertion binds {}, not {}", assertion["boundSha256"], cert.bound_sha256));
    }
    if assertion["record"]["digest"].as_str() != Some(record_digest) {
        return Err(format!(
            "the certificate signs record digest {}, not this record's {record_digest}",
            assertion["record"]["digest"]
        ));
    }
    Ok(format!("bound to {expected}; the signed {RECORD_ASSERTION} assertion names this record's digest"))
}

/// Every ingredient the certificate's signed `org.provreg.ingredients` list names (embedded
/// or referred to by digest) is a certificate in the bundle; `None` without such a list.
fn ingredients_result(
    view: &Result<CertificateView, String>,
    certificates: &HashSet<String>,
) -> Option<Result<String, String>> {
    let view = match view {
        Ok(view) => view,
        Err(e) => return Some(Err(format!("the manifest store does not decode: {e}"))),
    };
    let list = view.manifest["assertions"]
        .as_array()?
        .iter()
        .find(|a| a["label"].as_str() == Some(INGREDIENTS_ASSERTION))
        .map(|a| &a["data"]["ingredients"])?;
    let Some(list) = list.as_array() else {
        return Some(Err(format!("the {INGREDIENTS_ASSERTION} assertion has no ingredients array")));
    };
    let (mut embedded, mut referred) = (0, 0);
    for ingredient in list {
        let digest = ingredient["certificateSha256"].as_str().unwrap_or_default();
        if !certificates.contains(digest) {
            return Some(Err(format!(
                "the certificate names ingredient {} ({}) with certificate {digest}, which is not in the bundle",
                ingredient["title"], ingredient["relationship"]
            )));
        }
        if ingredient["embedded"].as_bool() == Some(true) {
            embedded += 1;
        } else {
            referred += 1;
        }
    }
    Some(Ok(format!(
        "the {} ingredient certificates it names are in the bundle ({embedded} carried inside it, {referred} referred to by digest)",
        list.len()
    )))
}

fn check_inclusion(leaf: Option<[u8; 32]>, seq: i64, proof: &Value, anchor: &EvidenceAnchor) -> Result<String, String> {
    let proof = InclusionProof::from_json(&proof.to_string()).map_err(|e| e.to_string())?;
    let leaf = leaf.ok_or("no leaf to prove")?;
    if proof.leaf != leaf {
        return Err(format!(
            "the proof is for leaf {}, not this record's {}",
            hex::encode(proof.leaf),
            hex::encode(leaf)
        ));
    }
    let index = seq.checked_sub(anchor.first_seq).and_then(|i| u64::try_from(i).ok());
    if index != Some(proof.index) {
        return Err(format!(
            "the proof is for index {}, but seq {seq} of a batch from {} is index {}",
            proof.index,
            anchor.first_seq,
            i128::from(seq) - i128::from(anchor.first_seq)
        ));
    }
    let size = u64::try_from(anchor.size).map_err(|_| format!("the anchor's size {} is negative", anchor.size))?;
    let root =
        parse_digest(&anchor.root).ok_or_else(|| format!("the anchor's root {:?} is not a digest", anchor.root))?;
    proof.verify_against(&root, size).map_err(|e| e.to_string())?;
    Ok(format!("entry {} of {size} under root {}", proof.index, anchor.root))
}

/// Reads the anchor back from the chain at `rpc`.
async fn check_chain(rpc: &str, a: &EvidenceAnchor) -> Result<String, String> {
    let contract: Address =
        a.contract.parse().map_err(|e| format!("contract {:?} is not an address: {e}", a.contract))?;
    let (Some(tx), Some(block), Some(batch)) = (&a.tx_hash, a.block_number, a.batch_id) else {
        return Err("the anchor is not confirmed".into());
    };
    let tx: TxHash = tx.parse().map_err(|e| format!("transaction {tx:?} is not a hash: {e}"))?;
    let block = u64::try_from(block).map_err(|_| format!("block {block} is negative"))?;
    let batch = u64::try_from(batch).map_err(|_| format!("batch {batch} is negative"))?;
    let size = u64::try_from(a.size).map_err(|_| format!("size {} is negative", a.size))?;
    let first_seq = u64::try_from(a.first_seq).map_err(|_| format!("first seq {} is negative", a.first_seq))?;
    let root = parse_digest(&a.root).ok_or_else(|| format!("root {:?} is not a digest", a.root))?;
    let client = ChainReader::connect(rpc, contract).map_err(|e| e.to_string())?;
    let chain_id = client.chain_id().await.map_err(|e| format!("asking {rpc} for its chain ID: {e}"))?;
    if i64::try_from(chain_id).ok() != Some(a.chain_id) {
        return Err(format!("the RPC URL serves chain {chain_id}, but the anchor is on chain {}", a.chain_id));
    }
    let stored = client
        .batch(batch)
        .await
        .map_err(|e| format!("reading batch {batch} from contract {}: {e}", a.contract))?
        .ok_or_else(|| format!("contract {} has no batch {batch}", a.contract))?;
    let expected = B256::from(batch_commitment(&root, size));
    if stored != expected {
        return Err(format!(
            "contract {} stores commitment {stored} for batch {batch}, not SHA-256(0x02 ‖ root ‖ size) = {expected}",
            a.contract
        ));
    }
    let events = client
        .anchored_events(block)
        .await
        .map_err(|e| format!("reading Anchored events of contract {} from block {block}: {e}", a.contract))?;
    let event = events
        .iter()
        .find(|e| e.tx_hash == Some(tx))
        .ok_or_else(|| format!("transaction {tx} emitted no Anchored event of contract {}", a.contract))?;
    let stated = (batch, B256::from(root), first_seq, size, Some(block));
    let found = (event.batch_id, event.root, event.first_seq, event.size, event.block_number);
    if stated != found {
        return Err(format!(
            "the Anchored event of transaction {tx} says batch {}, root {}, first seq {}, size {} in block {:?}; \
             the bundle says batch {batch}, root {}, first seq {first_seq}, size {size} in block {block}",
            event.batch_id, event.root, event.first_seq, event.size, event.block_number, a.root
        ));
    }
    Ok(format!(
        "contract {} on chain {chain_id} stores the commitment of batch {batch}; transaction {tx} anchored it in block {block}",
        a.contract
    ))
}

/// A reference from one record to another: (record, relation, role).
type Reference = (RecordRef, &'static str, Option<String>);

/// The records a record's canonical payload refers to.
fn references(kind: &str, payload: &Value) -> Result<Vec<Reference>, String> {
    let id = |v: &Value, what: &str| v.as_str().map(str::to_owned).ok_or_else(|| format!("the record has no {what}"));
    let mut out = Vec::new();
    match kind {
        "token" => {
            out.push((
                RecordRef::new("modelVersion", id(&payload["modelVersion"], "modelVersion")?),
                "generatedBy",
                None,
            ));
            out.push((RecordRef::new("circuit", id(&payload["circuit"]["id"], "circuit.id")?), "provenWith", None));
        }
        "circuit" => {
            out.push((
                RecordRef::new("modelVersion", id(&payload["modelVersion"], "modelVersion")?),
                "circuitOf",
                None,
            ));
        }
        "modelVersion" => {
            out.push((RecordRef::new("license", id(&payload["license"], "license")?), "licensedUnder", None));
            let parent = &payload["parent"];
            if !parent.is_null() {
                let relation =
                    if parent["relation"].as_str() == Some("finetune") { "fineTunedFrom" } else { "retrainedFrom" };
                out.push((RecordRef::new("modelVersion", id(&parent["id"], "parent.id")?), relation, None));
            }
            for td in payload["trainingData"].as_array().into_iter().flatten() {
                let role = td["role"].as_str().map(str::to_owned);
                out.push((RecordRef::new("dataset", id(&td["dataset"], "trainingData[].dataset")?), "trainedOn", role));
            }
        }
        "dataset" => {
            out.push((RecordRef::new("license", id(&payload["license"], "license")?), "licensedUnder", None));
            for source in payload["derivedFrom"].as_array().into_iter().flatten() {
                out.push((RecordRef::new("dataset", id(source, "derivedFrom[]")?), "derivedFrom", None));
            }
        }
        "license" => {}
        "statusEvent" => {
            let subject_kind = id(&payload["subjectKind"], "subjectKind")?;
            out.push((RecordRef::new(&subject_kind, id(&payload["subject"], "subject")?), "statusOf", None));
        }
        other => return Err(format!("unknown record kind {other:?}")),
    }
    Ok(out)
}

fn check_lineage(
    checks: &mut Checks,
    bundle: &Bundle,
    decoded: &[Decoded<'_>],
    by_ref: &HashMap<&RecordRef, &Decoded<'_>>,
    token_ref: &RecordRef,
) {
    // What each record refers to, and the records reachable from the token.
    let mut refs: HashMap<&RecordRef, Result<Vec<Reference>, String>> = HashMap::new();
    for d in decoded {
        let r = match d.payload() {
            Some(payload) => references(&d.record.kind, payload),
            None => Err("the canonical record cannot be read".into()),
        };
        refs.insert(&d.reference, r);
    }
    let mut upstream: HashSet<RecordRef> = HashSet::from([token_ref.clone()]);
    let mut queue = vec![token_ref.clone()];
    while let Some(next) = queue.pop() {
        if let Some(Ok(list)) = refs.get(&next) {
            for (to, _, _) in list {
                if upstream.insert(to.clone()) {
                    queue.push(to.clone());
                }
            }
        }
    }

    let mut expected_edges: BTreeSet<LineageEdge> = BTreeSet::new();
    for d in decoded {
        let me = &d.reference;
        let result = match refs.get(me) {
            Some(Ok(list)) => {
                for (to, relation, role) in list {
                    expected_edges.insert(LineageEdge {
                        from: me.clone(),
                        to: to.clone(),
                        relation: (*relation).to_owned(),
                        role: role.clone(),
                    });
                }
                lineage_result(d, list, by_ref, &upstream)
            }
            Some(Err(e)) => Err(e.clone()),
            None => Err("not checked".into()),
        };
        checks.push("lineage", me, result);
    }

    let stated: BTreeSet<LineageEdge> = bundle.lineage.iter().cloned().collect();
    let describe = |e: &LineageEdge| {
        format!(
            "{} {} {}{}",
            e.from,
            e.relation,
            e.to,
            e.role.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        )
    };
    let result = if let Some(extra) = stated.difference(&expected_edges).next() {
        Err(format!("the bundle states the edge {}, which no canonical record makes", describe(extra)))
    } else if let Some(unstated) = expected_edges.difference(&stated).next() {
        Err(format!("the canonical records make the edge {}, which the bundle does not state", describe(unstated)))
    } else if stated.len() != bundle.lineage.len() {
        Err("the bundle states an edge more than once".into())
    } else {
        Ok(format!("the {} stated edges are exactly those the canonical records make", stated.len()))
    };
    checks.push("lineage.edges", token_ref, result);
}

fn lineage_result(
    d: &Decoded<'_>,
    list: &[Reference],
    by_ref: &HashMap<&RecordRef, &Decoded<'_>>,
    upstream: &HashSet<RecordRef>,
) -> Result<String, String> {
    let me = &d.reference;
    if d.record.kind == "statusEvent" {
        let Some((subject, _, _)) = list.first() else { return Err("a status event without a subject".into()) };
        if !by_ref.contains_key(subject) || !upstream.contains(subject) {
            return Err(format!("about {subject}, which is not in the token's lineage in this bundle"));
        }
        let payload = d.payload().cloned().unwrap_or_default();
        return Ok(format!(
            "{subject} became {}: {}",
            payload["status"].as_str().unwrap_or("?"),
            payload["reason"].as_str().unwrap_or("")
        ));
    }
    if !upstream.contains(me) {
        return Err(format!("{me} is not upstream of the token"));
    }
    if let Some((missing, relation, _)) = list.iter().find(|(to, _, _)| !by_ref.contains_key(to)) {
        return Err(format!("the record refers to {missing} ({relation}), which is not in the bundle"));
    }
    if list.is_empty() {
        return Ok("refers to no other record".into());
    }
    let names: Vec<String> = list.iter().map(|(to, relation, _)| format!("{relation} {}", to.kind)).collect();
    Ok(format!("all {} records it refers to are in the bundle ({})", list.len(), names.join(", ")))
}

/// What the zk checks need from the records.
struct ZkInputs<'a> {
    token: &'a Value,
    circuit: Option<&'a Value>,
    version: Option<&'a Value>,
}

async fn check_zk(
    checks: &mut Checks,
    bundle: &Bundle,
    by_ref: &HashMap<&RecordRef, &Decoded<'_>>,
    token_ref: &RecordRef,
    opts: &VerifyOptions,
) {
    const NAMES: [&str; 6] = ["zk.record", "zk.circuit", "zk.files", "zk.inputs", "zk.outputs", "zk.proof"];
    let Some(token) = by_ref.get(token_ref).and_then(|d| d.payload()) else {
        for name in NAMES {
            checks.push(name, token_ref, Err("the token record is missing or unreadable".into()));
        }
        return;
    };
    let payload_of = |kind: &str, id: Option<&str>| {
        id.and_then(|id| by_ref.get(&RecordRef::new(kind, id))).and_then(|d| d.payload())
    };
    let z = ZkInputs {
        token,
        circuit: payload_of("circuit", token["circuit"]["id"].as_str()),
        version: payload_of("modelVersion", token["modelVersion"].as_str()),
    };
    let record = &bundle.proof.record;
    let files = &bundle.proof.circuit;

    checks.push("zk.record", token_ref, zk_record(&z, record));
    checks.push("zk.circuit", token_ref, zk_circuit(&z, record, &files.id));

    let settings = files.settings.as_bytes().to_vec();
    let vk = B64.decode(files.verifying_key.trim()).map_err(|e| format!("the verifying key is not base64: {e}"));
    let srs = B64.decode(files.srs.trim()).map_err(|e| format!("the SRS is not base64: {e}"));
    checks.push("zk.files", token_ref, zk_files(&z, &settings, &vk, &srs));
    checks.push("zk.inputs", token_ref, zk_inputs(&z, record));
    checks.push("zk.outputs", token_ref, zk_outputs(&z, record));

    match &opts.zk {
        ZkCheck::Skip => checks.with("zk.proof", token_ref, Status::Skipped, "not asked to run the proof verifier"),
        ZkCheck::Unavailable(reason) => {
            checks.push("zk.proof", token_ref, Err(format!("the proof verifier is not available: {reason}")))
        }
        ZkCheck::Verify(verifier) => {
            let result = match (z.circuit, vk, srs) {
                (None, ..) => Err("the circuit record is not in the bundle".into()),
                (_, Err(e), _) | (_, _, Err(e)) => Err(e),
                (Some(circuit), Ok(vk), Ok(srs)) => match circuit_of(circuit) {
                    Err(e) => Err(e),
                    Ok(c) => {
                        let files = [
                            (SETTINGS_FILE, settings.as_slice()),
                            (VK_FILE, vk.as_slice()),
                            (SRS_FILE, srs.as_slice()),
                        ];
                        match verifier.verify(&files, c, record).await {
                            Ok(true) => Ok("EZKL verifies the proof with the bundle's verifying key and SRS".into()),
                            Ok(false) => Err("EZKL rejects the proof: it does not verify against the circuit".into()),
                            Err(e) => Err(e),
                        }
                    }
                },
            };
            checks.push("zk.proof", token_ref, result);
        }
    }
}

fn zk_record(z: &ZkInputs<'_>, record: &ProofRecord) -> Result<String, String> {
    let value = serde_json::to_value(record).map_err(|e| e.to_string())?;
    let digest = provreg_schema::canonicalize(&value).map_err(|e| e.to_string())?.digest_hex();
    let stated = &z.token["proof"];
    if stated["digest"].as_str() != Some(digest.as_str()) {
        return Err(format!(
            "the proof record's canonical SHA-256 is {digest}, but the token names {}",
            stated["digest"]
        ));
    }
    for (field, given, expected) in [
        ("system", &record.system, &stated["system"]),
        ("systemVersion", &record.system_version, &stated["systemVersion"]),
        ("modelCommitment", &record.model_commitment, &stated["modelCommitment"]),
    ] {
        if expected.as_str() != Some(given.as_str()) {
            return Err(format!("the proof record's {field} is {given}, but the token names {expected}"));
        }
    }
    Ok(format!("proof record {digest} ({} {})", record.system, record.system_version))
}

fn zk_circuit(z: &ZkInputs<'_>, record: &ProofRecord, files_id: &str) -> Result<String, String> {
    let circuit = z.circuit.ok_or("the token's circuit record is not in the bundle")?;
    let token = z.token;
    let field = |name: &str| circuit[name].as_str().ok_or_else(|| format!("the circuit record has no {name}"));
    let commitment = field("commitment")?;
    if token["circuit"]["commitment"].as_str() != Some(commitment) {
        return Err(format!(
            "the token names circuit commitment {}, the circuit has {commitment}",
            token["circuit"]["commitment"]
        ));
    }
    if token["circuit"]["id"].as_str() != Some(files_id) {
        return Err(format!("the circuit files are of circuit {files_id}, not the token's {}", token["circuit"]["id"]));
    }
    if circuit["modelVersion"] != token["modelVersion"] {
        return Err(format!(
            "the circuit is of model version {}, but the token was generated by {}",
            circuit["modelVersion"], token["modelVersion"]
        ));
    }
    let onnx = field("onnxSha256")?;
    match z.version.and_then(|v| v["weightsSha256"].as_str()) {
        Some(weights) if weights == onnx => {}
        Some(weights) => {
            return Err(format!("the circuit's ONNX model {onnx} is not the model version's weights {weights}"));
        }
        None => return Err("the token's model version record is not in the bundle".into()),
    }
    let (settings, vk) = (field("settingsSha256")?, field("vkSha256")?);
    let computed = model_commitment(onnx, settings, vk).map_err(|e| e.to_string())?;
    if computed != commitment {
        return Err(format!("SHA-256(onnx ‖ settings ‖ vk) is {computed}, not the stated commitment {commitment}"));
    }
    for (what, given, expected) in [
        ("system", record.system.as_str(), field("proofSystem")?),
        ("verifying key", record.vk_sha256.as_str(), vk),
        ("settings", record.settings_sha256.as_str(), settings),
        ("model commitment", record.model_commitment.as_str(), commitment),
    ] {
        if given != expected {
            return Err(format!("the proof is for {what} {given}, but the circuit has {expected}"));
        }
    }
    Ok(format!("commitment {commitment} binds the model version's weights, settings and verifying key"))
}

fn zk_files(
    z: &ZkInputs<'_>,
    settings: &[u8],
    vk: &Result<Vec<u8>, String>,
    srs: &Result<Vec<u8>, String>,
) -> Result<String, String> {
    let circuit = z.circuit.ok_or("the token's circuit record is not in the bundle")?;
    let vk = vk.as_ref().map_err(Clone::clone)?;
    let srs = srs.as_ref().map_err(Clone::clone)?;
    for (what, bytes, field) in
        [("settings", settings, "settingsSha256"), ("verifying key", vk, "vkSha256"), ("SRS", srs, "srsSha256")]
    {
        let digest = sha256_hex(bytes);
        if circuit[field].as_str() != Some(digest.as_str()) {
            return Err(format!("SHA-256 of the {what} is {digest}, but the circuit record has {}", circuit[field]));
        }
    }
    Ok("settings, verifying key and SRS hash to the circuit record's digests".into())
}

fn scale_and_len(circuit: &Value, scale: &str, len: &str) -> Result<(u32, usize), String> {
    let s = circuit[scale].as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(|| format!("no {scale}"))?;
    let l = circuit[len].as_u64().and_then(|v| usize::try_from(v).ok()).ok_or_else(|| format!("no {len}"))?;
    Ok((s, l))
}

fn zk_inputs(z: &ZkInputs<'_>, record: &ProofRecord) -> Result<String, String> {
    let circuit = z.circuit.ok_or("the token's circuit record is not in the bundle")?;
    let (scale, len) = scale_and_len(circuit, "inputScale", "inputLen")?;
    let seed_hex = z.token["inputSeed"].as_str().ok_or("the token has no inputSeed")?;
    let seed_bytes = seed::parse_seed(seed_hex).map_err(|e| e.to_string())?;
    let expected = seed::model_input(&seed_bytes, len, scale)
        .and_then(|values| values.iter().map(|v| field::quantise(f64::from(*v), scale)).collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("deriving the model input: {e}"))?;
    if record.public_inputs.len() != expected.len() {
        return Err(format!(
            "the proof has {} public inputs; the circuit takes {}",
            record.public_inputs.len(),
            expected.len()
        ));
    }
    if let Some(i) = record.public_inputs.iter().zip(&expected).position(|(a, b)| !felt_eq(a, b)) {
        return Err(format!(
            "public input {i} is not the model input derived from inputSeed: the proof is of another seed"
        ));
    }
    Ok(format!("the {len} public inputs are the model input derived from seed {seed_hex}"))
}

fn zk_outputs(z: &ZkInputs<'_>, record: &ProofRecord) -> Result<String, String> {
    let circuit = z.circuit.ok_or("the token's circuit record is not in the bundle")?;
    let (scale, len) = scale_and_len(circuit, "outputScale", "outputLen")?;
    let traits = z.token["traits"].as_array().ok_or("the token has no traits")?;
    if traits.len() != len || record.public_outputs.len() != len {
        return Err(format!(
            "the circuit outputs {len} values; the token has {} traits and the proof {} outputs",
            traits.len(),
            record.public_outputs.len()
        ));
    }
    for (i, (t, felt)) in traits.iter().zip(&record.public_outputs).enumerate() {
        let value = t.as_f64().ok_or_else(|| format!("trait {i} is not a number"))?;
        let quantised = field::quantise(value, scale).map_err(|e| format!("trait {i}: {e}"))?;
        if !felt_eq(&quantised, felt) {
            return Err(format!("trait {i} ({value}) is not the proof's public output {i}"));
        }
    }
    Ok(format!("the {len} public outputs are the token's traits"))
}

/// The prover client's circuit description from a circuit record (the directory is set when
/// the files are written).
fn circuit_of(c: &Value) -> Result<Circuit, String> {
    let s = |name: &str| c[name].as_str().map(str::to_owned).ok_or_else(|| format!("the circuit record has no {name}"));
    let (input_scale, input_len) = scale_and_len(c, "inputScale", "inputLen")?;
    let (output_scale, output_len) = scale_and_len(c, "outputScale", "outputLen")?;
    Ok(Circuit {
        dir: PathBuf::new(),
        onnx_sha256: s("onnxSha256")?,
        settings_sha256: s("settingsSha256")?,
        vk_sha256: s("vkSha256")?,
        srs_sha256: s("srsSha256")?,
        commitment: s("commitment")?,
        input_scale,
        output_scale,
        input_len,
        output_len,
    })
}
