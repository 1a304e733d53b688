//! `record.digest` and `record.identity`: the canonical bytes hash to the stated digest and
//! are a record of the stated kind and ID with a payload of that kind.
use crate::CheckError;
use crate::checks::Checks;
use crate::parse::ParsedRecord;
use crate::report::CheckName;

pub(super) fn check(checks: &mut Checks, r: &ParsedRecord<'_>) {
    let me = &r.reference;
    let stated = &r.record.digest;
    checks.push(
        CheckName::RecordDigest,
        me,
        match (&r.canonical, &r.digest) {
            (Err(e), _) => Err(e.clone()),
            (Ok(_), Some(digest)) if digest == stated => Ok(format!("SHA-256 of the canonical record is {digest}")),
            (Ok(_), computed) => {
                Err(CheckError::RecordDigest { computed: computed.clone().unwrap_or_default(), stated: stated.clone() })
            }
        },
    );
    checks.push(CheckName::RecordIdentity, me, identity(r));
}

fn identity(r: &ParsedRecord<'_>) -> Result<String, CheckError> {
    let envelope = r.envelope.as_ref().map_err(Clone::clone)?;
    let kind = r.record.kind;
    if envelope.kind != kind.as_str() {
        return Err(CheckError::KindMismatch { found: envelope.kind.clone(), expected: kind });
    }
    if envelope.id != r.record.id {
        return Err(CheckError::IdMismatch { found: envelope.id.clone(), expected: r.record.id.clone() });
    }
    r.payload.as_ref().map_err(Clone::clone)?;
    Ok(format!("{kind} {} registered at {}", r.record.id, envelope.registered_at))
}
