//! `log.leaf` and `log.inclusion`: the log entry commits to the record and its certificate,
//! and its inclusion proof leads to the anchored root.
use provreg_anchor::{Digest, InclusionProof, log_leaf};

use crate::bundle::EvidenceAnchor;
use crate::checks::Checks;
use crate::parse::ParsedRecord;
use crate::report::{CheckName, Status};
use crate::{CheckError, parse_digest};

/// `log.leaf`; returns the leaf recomputed from the record and certificate bytes, if they
/// could be read.
pub(super) fn check_leaf(checks: &mut Checks, r: &ParsedRecord<'_>, cert_digest: Option<&str>) -> Option<Digest> {
    let le = &r.record.log_entry;
    let digest = r.digest.as_deref();
    let leaf = match (digest.and_then(parse_digest), cert_digest.and_then(parse_digest)) {
        (Some(rd), Some(cd)) => Some(log_leaf(r.record.kind.as_str(), &rd, &cd)),
        _ => None,
    };
    let result = match (&leaf, digest, cert_digest) {
        (Some(leaf), Some(digest), Some(cert_digest)) => {
            let computed = hex::encode(leaf);
            if le.record_digest != digest {
                Err(CheckError::LeafRecordDigest { logged: le.record_digest.clone(), computed: digest.to_owned() })
            } else if le.certificate_digest != cert_digest {
                Err(CheckError::LeafCertificateDigest {
                    logged: le.certificate_digest.clone(),
                    computed: cert_digest.to_owned(),
                })
            } else if parse_digest(&le.leaf) != Some(*leaf) {
                Err(CheckError::LeafMismatch { logged: le.leaf.clone(), computed })
            } else {
                Ok(format!("leaf {computed} commits to the record and its certificate"))
            }
        }
        _ => Err(CheckError::NoLeaf),
    };
    checks.push(CheckName::LogLeaf, &r.reference, result);
    leaf
}

/// `log.inclusion`.
pub(super) fn check_inclusion(checks: &mut Checks, r: &ParsedRecord<'_>, leaf: Option<Digest>) {
    let me = &r.reference;
    let record = r.record;
    match (record.log_entry.seq, &record.inclusion_proof, &record.anchor) {
        (None, None, None) => {
            checks.with(CheckName::LogInclusion, me, Status::Unconfirmed, "not yet taken into an anchored batch")
        }
        (Some(seq), Some(proof), Some(anchor)) => {
            checks.push(CheckName::LogInclusion, me, inclusion(leaf, seq, proof, anchor));
        }
        (seq, proof, anchor) => checks.push(
            CheckName::LogInclusion,
            me,
            Err(CheckError::InclusionInconsistent {
                seq: seq.map_or("no sequence number".to_owned(), |s| format!("sequence number {s}")),
                proof: if proof.is_some() { "an inclusion proof" } else { "no inclusion proof" },
                anchor: if anchor.is_some() { "an anchor" } else { "no anchor" },
            }),
        ),
    }
}

fn inclusion(
    leaf: Option<Digest>,
    seq: i64,
    proof: &serde_json::Value,
    anchor: &EvidenceAnchor,
) -> Result<String, CheckError> {
    let proof = InclusionProof::from_json(&proof.to_string()).map_err(|e| CheckError::InclusionProof(e.to_string()))?;
    let leaf = leaf.ok_or(CheckError::NoLeaf)?;
    if proof.leaf != leaf {
        return Err(CheckError::InclusionLeaf { proof_leaf: hex::encode(proof.leaf), leaf: hex::encode(leaf) });
    }
    let index = seq.checked_sub(anchor.first_seq).and_then(|i| u64::try_from(i).ok());
    if index != Some(proof.index) {
        return Err(CheckError::InclusionIndex {
            index: proof.index,
            seq,
            first_seq: anchor.first_seq,
            expected: i128::from(seq) - i128::from(anchor.first_seq),
        });
    }
    let size = u64::try_from(anchor.size).map_err(|_| CheckError::Negative { field: "size", value: anchor.size })?;
    let root = parse_digest(&anchor.root).ok_or_else(|| CheckError::BadRoot(anchor.root.clone()))?;
    proof.verify_against(&root, size).map_err(|e| CheckError::InclusionProof(e.to_string()))?;
    Ok(format!("entry {} of {size} under root {}", proof.index, anchor.root))
}
