//! `lineage`, `lineage.edges` and `status`: every record a canonical record refers to is in
//! the bundle and upstream of the token, the stated edges are exactly those the records
//! make, and the token's provenance status from the status events the bundle holds.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use provreg_schema::RecordKind;

use crate::CheckError;
use crate::bundle::{LineageEdge, RecordRef};
use crate::checks::Checks;
use crate::parse::{ParsedBundle, ParsedRecord, Payload};
use crate::report::CheckName;

/// A reference from one record to another: (record, relation, role).
type Reference = (RecordRef, &'static str, Option<String>);

/// The records a record's payload refers to.
fn references(payload: &Payload) -> Vec<Reference> {
    let to = |kind, id: &str| RecordRef::new(kind, id);
    match payload {
        Payload::Token(t) => vec![
            (to(RecordKind::ModelVersion, &t.model_version), "generatedBy", None),
            (to(RecordKind::Circuit, &t.circuit.id), "provenWith", None),
        ],
        Payload::Circuit(c) => vec![(to(RecordKind::ModelVersion, &c.model_version), "circuitOf", None)],
        Payload::ModelVersion(v) => {
            let mut out = vec![(to(RecordKind::License, &v.license), "licensedUnder", None)];
            if let Some(parent) = &v.parent {
                let relation = if parent.relation == "finetune" { "fineTunedFrom" } else { "retrainedFrom" };
                out.push((to(RecordKind::ModelVersion, &parent.id), relation, None));
            }
            for td in &v.training_data {
                out.push((to(RecordKind::Dataset, &td.dataset), "trainedOn", Some(td.role.clone())));
            }
            out
        }
        Payload::Dataset(d) => {
            let mut out = vec![(to(RecordKind::License, &d.license), "licensedUnder", None)];
            for source in &d.derived_from {
                out.push((to(RecordKind::Dataset, source), "derivedFrom", None));
            }
            out
        }
        Payload::License => Vec::new(),
        Payload::StatusEvent(e) => vec![(to(e.subject_kind, &e.subject), "statusOf", None)],
        Payload::Collection(c) => vec![
            (to(RecordKind::ModelVersion, &c.model_version), "collectionOf", None),
            (to(RecordKind::Circuit, &c.circuit), "verifiedBy", None),
        ],
    }
}

pub(super) fn check(checks: &mut Checks, parsed: &ParsedBundle<'_>, index: &HashMap<&RecordRef, &ParsedRecord<'_>>) {
    let token_ref = &parsed.token_ref;
    // What each record refers to, and the records reachable from the token.
    let mut refs: HashMap<&RecordRef, Result<Vec<Reference>, CheckError>> = parsed
        .records
        .iter()
        .map(|r| (&r.reference, r.payload.as_ref().map(references).map_err(|_| CheckError::RecordUnreadable)))
        .collect();
    // A token refers to its collection by chain and address, not by ID: the collection record
    // of the token's contract is upstream of it.
    if let Some(token) = index.get(token_ref).and_then(|r| r.token()) {
        for r in &parsed.records {
            if let Some(c) = r.collection()
                && c.chain_id == token.chain_id
                && c.address.eq_ignore_ascii_case(&token.contract)
                && let Some(Ok(list)) = refs.get_mut(token_ref)
            {
                list.push((r.reference.clone(), "mintedIn", None));
            }
        }
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
    for r in &parsed.records {
        let me = &r.reference;
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
                lineage_of(r, list, index, &upstream)
            }
            Some(Err(e)) => Err(e.clone()),
            None => Err(CheckError::RecordUnreadable),
        };
        checks.push(CheckName::Lineage, me, result);
    }

    let stated_list = &parsed.bundle.lineage;
    let stated: BTreeSet<LineageEdge> = stated_list.iter().cloned().collect();
    let result = if let Some(extra) = stated.difference(&expected_edges).next() {
        Err(CheckError::ExtraEdge(describe(extra)))
    } else if let Some(unstated) = expected_edges.difference(&stated).next() {
        Err(CheckError::UnstatedEdge(describe(unstated)))
    } else if stated.len() != stated_list.len() {
        Err(CheckError::DuplicateEdge)
    } else {
        Ok(format!("the {} stated edges are exactly those the canonical records make", stated.len()))
    };
    checks.push(CheckName::LineageEdges, token_ref, result);
}

fn describe(e: &LineageEdge) -> String {
    format!("{} {} {}{}", e.from, e.relation, e.to, e.role.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())
}

fn lineage_of(
    r: &ParsedRecord<'_>,
    list: &[Reference],
    index: &HashMap<&RecordRef, &ParsedRecord<'_>>,
    upstream: &HashSet<RecordRef>,
) -> Result<String, CheckError> {
    let me = &r.reference;
    if let Some(event) = r.status_event() {
        let subject = RecordRef::new(event.subject_kind, &event.subject);
        if !index.contains_key(&subject) || !upstream.contains(&subject) {
            return Err(CheckError::StatusOfOutsideLineage(subject));
        }
        return Ok(format!("{subject} became {}: {}", event.status, event.reason));
    }
    if !upstream.contains(me) {
        return Err(CheckError::NotUpstream(me.clone()));
    }
    if let Some((missing, relation, _)) = list.iter().find(|(to, _, _)| !index.contains_key(to)) {
        return Err(CheckError::ReferenceMissing { missing: missing.clone(), relation });
    }
    if list.is_empty() {
        return Ok("refers to no other record".into());
    }
    let names: Vec<String> = list.iter().map(|(to, relation, _)| format!("{relation} {}", to.kind)).collect();
    Ok(format!("all {} records it refers to are in the bundle ({})", list.len(), names.join(", ")))
}

/// The token's provenance status from the bundle's status events: `affected` when the
/// latest event of any record in its lineage is not `active` (deprecated, revoked,
/// withdrawn), else `active`; with a description of what affects it. Only the events the
/// bundle holds are known (see the README on what a bundle cannot prove).
pub(super) fn status(parsed: &ParsedBundle<'_>) -> (&'static str, String) {
    // Latest event per record, by registration time then ID (UUIDv7, time-ordered).
    type Latest<'a> = BTreeMap<RecordRef, ((&'a str, &'a str), &'a str, &'a str)>;
    let mut latest: Latest<'_> = BTreeMap::new();
    for r in &parsed.records {
        let (Some(event), Ok(envelope)) = (r.status_event(), r.envelope.as_ref()) else { continue };
        let record = RecordRef::new(event.subject_kind, &event.subject);
        let seen =
            ((envelope.registered_at.as_str(), r.record.id.as_str()), event.status.as_str(), event.reason.as_str());
        if latest.get(&record).is_none_or(|s| s.0 < seen.0) {
            latest.insert(record, seen);
        }
    }
    let affecting: Vec<String> = latest
        .iter()
        .filter(|(_, (_, status, _))| *status != "active")
        .map(|(record, (_, status, reason))| format!("{record} {status} ({reason})"))
        .collect();
    if affecting.is_empty() {
        ("active", "active: no record in the token's lineage is deprecated, revoked or withdrawn".into())
    } else {
        ("affected", format!("affected: {}", affecting.join("; ")))
    }
}
