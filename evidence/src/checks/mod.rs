//! Every check of a bundle, one module per family, run in the order they are reported.
mod anchor;
mod bundle;
mod certificate;
mod collection;
mod lineage;
mod log;
mod record;
mod seed;
mod state;
mod zk;

use std::collections::{HashMap, HashSet};

use crate::bundle::{Bundle, EvidenceAnchor, RecordRef};
use crate::parse::ParsedBundle;
use crate::report::{Check, CheckName, Report, Status};
use crate::{CheckError, VerifyOptions};

/// Collects the report's lines.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    list: Vec<Check>,
}

impl Checks {
    /// A passed (`Ok`, its detail) or failed (`Err`, what it found) check.
    fn push(&mut self, name: CheckName, subject: &RecordRef, result: Result<String, CheckError>) {
        match result {
            Ok(detail) => self.with(name, subject, Status::Passed, detail),
            Err(error) => self.list.push(Check {
                name,
                subject: subject.clone(),
                status: Status::Failed,
                detail: error.to_string(),
                error: Some(error),
            }),
        }
    }

    /// A check with `status` that found nothing wrong.
    fn with(&mut self, name: CheckName, subject: &RecordRef, status: Status, detail: impl Into<String>) {
        self.list.push(Check { name, subject: subject.clone(), status, detail: detail.into(), error: None });
    }
}

/// Checks every claim of `bundle` (see the crate documentation for the checks).
pub async fn verify_bundle(bundle: &Bundle, opts: &VerifyOptions) -> Report {
    let mut checks = Checks::default();
    let parsed = ParsedBundle::parse(bundle);
    let index = parsed.index();
    let token_ref = &parsed.token_ref;

    checks.push(
        CheckName::Bundle,
        token_ref,
        bundle::check(&parsed, index.get(token_ref).copied(), opts.expected_subject.as_ref()),
    );

    // The certificate digests the bundle states, for the signed ingredient lists (each is
    // compared with its bytes by that record's `certificate.digest`).
    let certificates: HashSet<&str> =
        bundle.records.iter().filter_map(|r| r.certificate.as_ref()).map(|c| c.digest.as_str()).collect();
    let mut chain_cache: HashMap<EvidenceAnchor, Result<String, CheckError>> = HashMap::new();
    let log_state = match &bundle.log_state {
        Some(ls) => Some(state::read(ls, opts).await),
        None => None,
    };
    for r in &parsed.records {
        record::check(&mut checks, r);
        let cert_digest = certificate::check(&mut checks, r, opts, &certificates).await;
        let leaf = log::check_leaf(&mut checks, r, cert_digest.as_deref());
        if r.record.log_proof.is_some() {
            state::check_inclusion(&mut checks, r, leaf, log_state.as_ref());
            state::check_anchor(&mut checks, r, log_state.as_ref(), opts);
        } else {
            log::check_inclusion(&mut checks, r, leaf);
            anchor::check(&mut checks, r, opts, &mut chain_cache).await;
        }
    }

    lineage::check(&mut checks, &parsed, &index);
    let (provenance_status, detail) = lineage::status(&parsed);
    checks.push(CheckName::Status, token_ref, Ok(detail));
    state::check_status(&mut checks, &parsed, log_state.as_ref());
    state::check_latest(&mut checks, token_ref, log_state.as_ref(), opts);
    zk::check(&mut checks, &parsed, &index, opts).await;
    collection::check(&mut checks, &parsed, opts).await;
    seed::check(&mut checks, &parsed, opts).await;
    let mut report = Report::from_checks(bundle.subject.clone(), checks.list);
    report.provenance_status = provenance_status.to_owned();
    report
}
