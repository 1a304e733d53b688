//! `bundle`: the bundle is about the token it says (and was asked for), and holds no record
//! twice.
use std::collections::HashSet;

use crate::CheckError;
use crate::parse::{ParsedBundle, ParsedRecord};

pub(super) fn check(
    parsed: &ParsedBundle<'_>,
    token: Option<&ParsedRecord<'_>>,
    expected: Option<&(i64, String, String)>,
) -> Result<String, CheckError> {
    let bundle = parsed.bundle;
    let mut seen = HashSet::new();
    for r in &parsed.records {
        if !seen.insert(&r.reference) {
            return Err(CheckError::DuplicateRecord(r.reference.clone()));
        }
    }
    let Some(token) = token else {
        return Err(CheckError::SubjectMissing(bundle.subject.id.clone()));
    };
    let Some(payload) = token.token() else {
        return Err(CheckError::SubjectUnreadable);
    };
    let s = &bundle.subject;
    if let Some((chain, contract, token_id)) = expected
        && (s.chain_id != *chain
            || !s.contract.eq_ignore_ascii_case(contract.trim())
            || s.token_id.trim_start_matches('0') != token_id.trim().trim_start_matches('0'))
    {
        return Err(CheckError::NotTheTokenAskedFor {
            chain: s.chain_id,
            contract: s.contract.clone(),
            token: s.token_id.clone(),
            asked_chain: *chain,
            asked_contract: contract.clone(),
            asked_token: token_id.clone(),
        });
    }
    if payload.chain_id != s.chain_id {
        return Err(disagrees("on chain", payload.chain_id.to_string(), s.chain_id.to_string()));
    }
    if !payload.contract.eq_ignore_ascii_case(&s.contract) {
        return Err(disagrees("of contract", payload.contract.clone(), s.contract.clone()));
    }
    if payload.token_id != s.token_id {
        return Err(disagrees("token", payload.token_id.clone(), s.token_id.clone()));
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

fn disagrees(field: &'static str, record: String, subject: String) -> CheckError {
    CheckError::SubjectDisagrees { field, record, subject }
}
