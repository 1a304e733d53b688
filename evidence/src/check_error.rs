//! What a failed check found: one variant per finding, grouped by the family of checks that
//! reports it. The text of each is the `detail` of its report line.
use provreg_schema::RecordKind;

use crate::bundle::RecordRef;

/// Why a check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    // bundle
    #[error("{0} appears more than once")]
    DuplicateRecord(RecordRef),
    #[error("the subject token {0} is not among the records")]
    SubjectMissing(String),
    #[error("the subject token's canonical record cannot be read")]
    SubjectUnreadable,
    #[error(
        "the bundle is about token {token} of {contract} on chain {chain}, not the token asked for ({asked_token} of \
         {asked_contract} on chain {asked_chain})"
    )]
    NotTheTokenAskedFor {
        chain: i64,
        contract: String,
        token: String,
        asked_chain: i64,
        asked_contract: String,
        asked_token: String,
    },
    #[error("the token record is {field} {record}, not {subject}")]
    SubjectDisagrees { field: &'static str, record: String, subject: String },

    // record
    #[error("the canonical bytes are not base64: {0}")]
    CanonicalNotBase64(String),
    #[error("SHA-256 of the canonical record is {computed}, but the bundle states {stated}")]
    RecordDigest { computed: String, stated: String },
    #[error("the canonical bytes are not a canonical record: {0}")]
    NotARecord(String),
    #[error("the canonical record is of kind {found}, not {expected}")]
    KindMismatch { found: String, expected: RecordKind },
    #[error("the canonical record has ID {found}, not {expected}")]
    IdMismatch { found: String, expected: String },
    #[error("the canonical record's payload is not a valid {kind} payload: {reason}")]
    BadPayload { kind: RecordKind, reason: String },
    #[error("the canonical record cannot be read")]
    RecordUnreadable,

    // certificate
    #[error("a status event has no certificate, but its log entry names one")]
    StatusEventLogsCertificate,
    #[error("the bundle has no certificate for this {0}")]
    CertificateMissing(RecordKind),
    #[error("the manifest store is not base64: {0}")]
    StoreNotBase64(String),
    #[error("status events are not certified, but the bundle has certificate {0}")]
    StatusEventCertified(String),
    #[error("SHA-256 of the manifest store is {computed}, but the certificate states {stated}")]
    StoreDigest { computed: String, stated: String },
    #[error("SHA-256 of the manifest store is {computed}, but the log entry commits to {logged}")]
    StoreNotLogged { computed: String, logged: String },
    #[error("the manifest store does not decode: {0}")]
    StoreUndecodable(String),
    #[error("the active manifest is {found}, not the stated {stated}")]
    ActiveManifest { found: String, stated: String },
    #[error("Valid but not Trusted: {signer} does not chain to the given trust anchors{errors}")]
    NotTrusted { signer: String, errors: String },
    #[error(
        "not trusted: no trust anchor given (give the registry's CA certificate, or explicitly allow untrusted \
         certificates)"
    )]
    NoTrustAnchor,
    #[error("{state}{errors}")]
    SignatureInvalid { state: String, errors: String },
    #[error("a {0} record has no certificate binding")]
    NoBinding(RecordKind),
    #[error("the certificate is bound to {bound}, but the record describes {expected}")]
    BoundElsewhere { bound: String, expected: String },
    #[error("the manifest has no {0} assertion")]
    NoAssertion(&'static str),
    #[error("the signed assertion is about a {found}, not a {expected}")]
    AssertionSubject { found: String, expected: RecordKind },
    #[error("the signed assertion binds {found}, not {expected}")]
    AssertionBinding { found: String, expected: String },
    #[error("the certificate signs media type {found}, not the stated {stated}")]
    AssertionFormat { found: String, stated: String },
    #[error("the certificate signs record digest {found}, not this record's {expected}")]
    AssertionDigest { found: String, expected: String },
    #[error("the {0} assertion has no ingredients array")]
    NoIngredientList(&'static str),
    #[error(
        "the certificate names ingredient {title} ({relationship}) with certificate {digest}, which is not in the bundle"
    )]
    IngredientMissing { title: String, relationship: String, digest: String },

    // log
    #[error("no leaf can be computed: the record or certificate bytes are unreadable")]
    NoLeaf,
    #[error("the log entry is for record digest {logged}, not {computed}")]
    LeafRecordDigest { logged: String, computed: String },
    #[error("the log entry is for certificate digest {logged}, not {computed}")]
    LeafCertificateDigest { logged: String, computed: String },
    #[error("the log entry's leaf is {logged}, but the record and certificate give {computed}")]
    LeafMismatch { logged: String, computed: String },
    #[error("inconsistent: the entry has {seq}, {proof} and {anchor}")]
    InclusionInconsistent { seq: String, proof: &'static str, anchor: &'static str },
    #[error("{0}")]
    InclusionProof(String),
    #[error("the proof is for leaf {proof_leaf}, not this record's {leaf}")]
    InclusionLeaf { proof_leaf: String, leaf: String },
    #[error("the proof is for index {index}, but seq {seq} of a batch from {first_seq} is index {expected}")]
    InclusionIndex { index: u64, seq: i64, first_seq: i64, expected: i128 },
    #[error("the anchor's {field} {value} is negative")]
    Negative { field: &'static str, value: i64 },
    #[error("the anchor's root {0:?} is not a digest")]
    BadRoot(String),

    // anchor
    #[error("anchored at contract {found}, not at the given {expected}")]
    WrongContract { found: String, expected: String },
    #[error("confirmed, but without transaction, block or batch ID")]
    ConfirmedIncomplete,
    #[error("unknown anchor status {0:?}")]
    UnknownAnchorStatus(String),
    #[error("the chain at {0} did not answer within {1} s")]
    ChainTimeout(String, u64),
    #[error("{0}")]
    ChainRead(String),
    #[error("the RPC URL serves chain {served}, but the anchor is on chain {anchor}")]
    ChainId { served: u64, anchor: i64 },
    #[error("contract {contract} has no batch {batch}")]
    NoBatch { contract: String, batch: u64 },
    #[error(
        "contract {contract} stores commitment {stored} for batch {batch}, not SHA-256(0x02 ‖ root ‖ size) = {expected}"
    )]
    Commitment { contract: String, batch: u64, stored: String, expected: String },
    #[error("transaction {tx} emitted no Anchored event of contract {contract}")]
    NoAnchoredEvent { tx: String, contract: String },
    #[error("the Anchored event of transaction {tx} says {found}; the bundle says {stated}")]
    EventMismatch { tx: String, found: String, stated: String },

    // anchored states (a ProvenanceLog contract)
    #[error("the record has a log proof but the bundle has no log state")]
    NoLogState,
    #[error("the log state is unreadable: {0}")]
    LogStateUnreadable(String),
    #[error(
        "the log state's head is {stated}, but SHA-256(0x03 ‖ prevHead ‖ logRoot ‖ size ‖ statusRoot) is {computed}"
    )]
    StateHead { computed: String, stated: String },
    #[error("log proof: {0}")]
    LogProof(String),
    #[error("contract {contract} never anchored a state with head {head}")]
    StateNotAnchored { contract: String, head: String },
    #[error("the chain's event of head {head} says {found}; the bundle says {stated}")]
    StateEventMismatch { head: String, found: String, stated: String },
    #[error(
        "stale: this bundle proves the log as of checkpoint {size} anchored at {time} (block {block}), older than \
         --max-age {max_age}s; the contract's latest state is checkpoint {latest_size} anchored at {latest_time} \
         (block {latest_block}, head {latest_head}): fetch a fresh bundle"
    )]
    StaleState {
        size: u64,
        time: String,
        block: i64,
        max_age: u64,
        latest_size: u64,
        latest_time: String,
        latest_block: u64,
        latest_head: String,
    },
    #[error("no status-map proof for {0}: the bundle cannot show its status is complete")]
    StatusProofMissing(RecordRef),
    #[error("the status-map proof of {record} does not hold: {reason}")]
    StatusProofInvalid { record: RecordRef, reason: String },
    #[error(
        "the status map holds a status event of {record} (digest {digest}) that the bundle leaves out: its status \
         may be other than the bundle says"
    )]
    StatusEventOmitted { record: RecordRef, digest: String },
    #[error(
        "the status map says {record} never changed status, but the bundle holds its anchored status event {event}"
    )]
    StatusEventUnmapped { record: RecordRef, event: String },

    // lineage
    #[error("{0}")]
    References(String),
    #[error("about {0}, which is not in the token's lineage in this bundle")]
    StatusOfOutsideLineage(RecordRef),
    #[error("{0} is not upstream of the token")]
    NotUpstream(RecordRef),
    #[error("the record refers to {missing} ({relation}), which is not in the bundle")]
    ReferenceMissing { missing: RecordRef, relation: &'static str },
    #[error("the bundle states the edge {0}, which no canonical record makes")]
    ExtraEdge(String),
    #[error("the canonical records make the edge {0}, which the bundle does not state")]
    UnstatedEdge(String),
    #[error("the bundle states an edge more than once")]
    DuplicateEdge,

    // collection
    #[error("more than one collection record names the token's contract")]
    CollectionTwice,
    #[error("the token record says it was minted in collection {0}, which the bundle does not carry")]
    CollectionMissing(String),
    #[error("the collection record's {field} is {collection}, but the token's is {token}")]
    CollectionField { field: &'static str, collection: String, token: String },
    #[error("the collection at {address}: {problem}")]
    CollectionOnChain { address: String, problem: String },

    // asset
    #[error("{0}")]
    AssetDerivation(String),

    // seed
    #[error("the seed is not its source's: {0}")]
    SeedSource(String),

    // zk
    #[error("the token record is missing or unreadable")]
    TokenUnreadable,
    #[error("the proof record's canonical SHA-256 is {computed}, but the token names {stated}")]
    ProofDigest { computed: String, stated: String },
    #[error("the proof record's {field} is {given}, but the token names {stated}")]
    ProofRecordField { field: &'static str, given: String, stated: String },
    #[error("the token's circuit record is not in the bundle")]
    CircuitMissing,
    #[error("the token names circuit commitment {token}, the circuit has {circuit}")]
    CircuitCommitment { token: String, circuit: String },
    #[error("the circuit files are of circuit {files}, not the token's {token}")]
    FilesOfOtherCircuit { files: String, token: String },
    #[error("the circuit is of model version {circuit}, but the token was generated by {token}")]
    CircuitOfOtherVersion { circuit: String, token: String },
    #[error("the token's model version record is not in the bundle")]
    VersionMissing,
    #[error("the circuit's ONNX model {onnx} is not the model version's weights {weights}")]
    OnnxNotWeights { onnx: String, weights: String },
    #[error("SHA-256(onnx ‖ settings ‖ vk) is {computed}, not the stated commitment {stated}")]
    ModelCommitment { computed: String, stated: String },
    #[error("the proof is for {what} {given}, but the circuit has {expected}")]
    ProofForOtherCircuit { what: &'static str, given: String, expected: String },
    #[error("the {what} is not base64: {reason}")]
    FileNotBase64 { what: &'static str, reason: String },
    #[error("SHA-256 of the {what} is {computed}, but the circuit record has {stated}")]
    FileDigest { what: &'static str, computed: String, stated: String },
    #[error("SHA-256 of the bundle's ONNX model is {computed}, but the circuit is of {stated}")]
    ModelDigest { computed: String, stated: String },
    #[error(
        "the verifying key derived from the model, settings and SRS has SHA-256 {derived}, not the circuit's {stated}: the key is not this model's"
    )]
    KeyNotDerived { derived: String, stated: String },
    #[error("{0}")]
    Seed(String),
    #[error("the proof has {given} public inputs; the circuit takes {expected}")]
    InputCount { given: usize, expected: usize },
    #[error("public input {0} is not the model input derived from inputSeed: the proof is of another seed")]
    InputMismatch(usize),
    #[error("the circuit outputs {expected} values; the token has {traits} traits and the proof {outputs} outputs")]
    OutputCount { expected: usize, traits: usize, outputs: usize },
    #[error("trait {index}: {reason}")]
    Trait { index: usize, reason: String },
    #[error("trait {index} ({value}) is not the proof's public output {index}")]
    OutputMismatch { index: usize, value: String },
    #[error("the proof verifier is not available: {0}")]
    VerifierUnavailable(String),
    #[error("{0}")]
    VerifierFailed(String),
    #[error("EZKL rejects the proof: it does not verify against the circuit")]
    ProofRejected,
}
