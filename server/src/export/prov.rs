//! A lineage as a W3C PROV-O document in JSON-LD.
//!
//! - Every record is a `prov:Entity` (also `provreg:ModelVersion`, `provreg:Dataset`,
//!   `dcterms:LicenseDocument` or `provreg:Token`), named `urn:uuid:<registry ID>`, with its
//!   digests, status and registration time as properties.
//! - A model version `prov:wasGeneratedBy` its training run, a `prov:Activity`
//!   (`urn:provreg:training:<version ID>`) that `prov:used` its training datasets (with a
//!   `prov:qualifiedUsage` giving each dataset's role) and `prov:generated` the version.
//! - A retrained version `prov:wasRevisionOf` and `prov:wasDerivedFrom` its parent; a
//!   fine-tuned one `prov:wasDerivedFrom` its parent.
//! - A derived dataset `prov:wasDerivedFrom` its sources; a token `prov:wasGeneratedBy` its
//!   generation (an activity that `prov:used` the model version) and `prov:wasDerivedFrom` the
//!   version.
//! - Licences are `dcterms:license`; each record `prov:wasAttributedTo` the signer of its
//!   birth certificate (a `prov:Agent` that `prov:actedOnBehalfOf` the registry).
//! - The document's own node (`provreg:Export`) names the start, the direction and depth, and
//!   the anchored log state the export was built from.
//!
//! The `@context` is inline, so the document parses without fetching anything.
use std::collections::BTreeMap;

use provreg_schema::RecordKind;
use serde_json::{Value, json};
use uuid::Uuid;

use super::snapshot::{Record, Relation, Snapshot};
use crate::service::lineage::{Direction, EdgeKind};

/// The namespace of provreg's own terms.
pub const PROVREG_NS: &str = "https://provreg.dev/ns#";

/// The registry as a PROV agent.
const REGISTRY_AGENT: &str = "urn:provreg:registry";

fn iri(id: Uuid) -> String {
    format!("urn:uuid:{id}")
}

fn reference(id: &str) -> Value {
    json!({ "@id": id })
}

fn date_time(t: &str) -> Value {
    json!({ "@value": t, "@type": "xsd:dateTime" })
}

/// The inline JSON-LD context.
fn context() -> Value {
    json!({
        "prov": "http://www.w3.org/ns/prov#",
        "dcterms": "http://purl.org/dc/terms/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "provreg": PROVREG_NS,
    })
}

/// Adds `value` to the property `key` of `node`, making it a list when it holds one already.
fn push(node: &mut Value, key: &str, value: Value) {
    match node.get_mut(key) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            node[key] = value;
        }
    }
}

/// The entity node of a record, without its relations.
fn entity(r: &Record) -> Value {
    let (types, title) = match r.kind {
        RecordKind::ModelVersion => (
            json!(["prov:Entity", "provreg:ModelVersion"]),
            format!("{} {}", r.name, r.version.as_deref().unwrap_or("")),
        ),
        RecordKind::Dataset => {
            (json!(["prov:Entity", "provreg:Dataset"]), format!("{} {}", r.name, r.version.as_deref().unwrap_or("")))
        }
        RecordKind::License => (json!(["prov:Entity", "dcterms:LicenseDocument"]), r.name.clone()),
        _ => (json!(["prov:Entity", "provreg:Token"]), r.name.clone()),
    };
    let registered = r.registered_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut node = json!({
        "@id": iri(r.id),
        "@type": types,
        "rdfs:label": title.trim(),
        "provreg:recordKind": r.kind.as_str(),
        "provreg:recordDigest": r.digest,
        "provreg:status": r.status,
        "provreg:registeredAt": date_time(&registered),
    });
    let p = &r.payload;
    let text = |key: &str| p.get(key).and_then(Value::as_str).map(str::to_owned);
    match r.kind {
        RecordKind::ModelVersion => {
            node["provreg:model"] = json!(r.name);
            node["provreg:versionLabel"] = json!(r.version);
            node["provreg:weightsSha256"] = json!(text("weightsSha256"));
            node["provreg:architecture"] = json!(text("architecture"));
        }
        RecordKind::Dataset => {
            node["dcterms:title"] = json!(r.name);
            node["provreg:datasetVersion"] = json!(r.version);
            node["provreg:contentSha256"] = json!(text("contentSha256"));
            if let Some(uri) = text("uri") {
                node["dcterms:source"] = json!(uri);
            }
            if let Some(n) = p.get("recordCount").and_then(Value::as_i64) {
                node["provreg:recordCount"] = json!(n);
            }
        }
        RecordKind::License => {
            node["dcterms:title"] = json!(r.name);
            if let Some(spdx) = &r.version {
                node["dcterms:identifier"] = json!(spdx);
            }
            node["provreg:aiTraining"] = json!(text("aiTraining"));
            if let Some(c) = p.get("commercialUse").and_then(Value::as_bool) {
                node["provreg:commercialUse"] = json!(c);
            }
        }
        _ => {
            node["provreg:assetSha256"] = json!(text("assetSha256"));
            node["provreg:chainId"] = json!(p.get("chainId"));
            node["provreg:contract"] = json!(text("contract"));
            node["provreg:tokenId"] = json!(text("tokenId"));
        }
    }
    if let Some(l) = r.license {
        node["dcterms:license"] = reference(&iri(l));
    }
    // Nulls are properties the payload does not have: leave them out.
    if let Some(map) = node.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    node
}

/// The training run of model version `r`: the activity that generated it.
fn training(r: &Record) -> Value {
    let run = r.payload.get("trainingRun").cloned().unwrap_or(Value::Null);
    let mut node = json!({
        "@id": format!("urn:provreg:training:{}", r.id),
        "@type": ["prov:Activity", "provreg:TrainingRun"],
        "rdfs:label": format!("training of {} {}", r.name, r.version.as_deref().unwrap_or("")),
        "prov:generated": reference(&iri(r.id)),
    });
    if let Some(id) = run.get("id").and_then(Value::as_str) {
        node["provreg:runId"] = json!(id);
    }
    if let Some(t) = run.get("startedAt").and_then(Value::as_str) {
        node["prov:startedAtTime"] = date_time(t);
    }
    if let Some(t) = run.get("endedAt").and_then(Value::as_str) {
        node["prov:endedAtTime"] = date_time(t);
    }
    if let Some(c) = run.get("compute").and_then(Value::as_str) {
        node["provreg:compute"] = json!(c);
    }
    node
}

/// The signer of a birth certificate as a PROV agent.
fn signer_iri(fingerprint: &str) -> String {
    format!("urn:provreg:signer:{fingerprint}")
}

/// The JSON-LD document of `snap`.
pub fn document(snap: &Snapshot) -> Value {
    let mut nodes: BTreeMap<String, Value> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut add = |nodes: &mut BTreeMap<String, Value>, node: Value| {
        let id = node["@id"].as_str().unwrap_or_default().to_owned();
        if !nodes.contains_key(&id) {
            order.push(id.clone());
        }
        nodes.insert(id, node);
    };
    add(&mut nodes, export_node(snap));
    add(
        &mut nodes,
        json!({ "@id": REGISTRY_AGENT, "@type": ["prov:Agent", "prov:SoftwareAgent"], "rdfs:label": "provreg registry" }),
    );
    for n in &snap.nodes {
        let Some(r) = snap.records.get(&n.id) else { continue };
        let mut node = entity(r);
        node["provreg:depth"] = json!(n.depth);
        if let Some(s) = &r.signer {
            let agent = signer_iri(&s.fingerprint);
            node["prov:wasAttributedTo"] = reference(&agent);
            add(
                &mut nodes,
                json!({
                    "@id": agent,
                    "@type": "prov:Agent",
                    "rdfs:label": s.name,
                    "provreg:certificateFingerprint": s.fingerprint,
                    "prov:actedOnBehalfOf": reference(REGISTRY_AGENT),
                }),
            );
        } else {
            node["prov:wasAttributedTo"] = reference(REGISTRY_AGENT);
        }
        if r.kind == RecordKind::ModelVersion {
            let activity = training(r);
            node["prov:wasGeneratedBy"] = reference(activity["@id"].as_str().unwrap_or_default());
            add(&mut nodes, activity);
        }
        add(&mut nodes, node);
    }
    for link in &snap.links {
        let (from, to) = (iri(link.from), iri(link.to));
        let training_id = format!("urn:provreg:training:{}", link.from);
        match link.relation {
            Relation::Lineage(EdgeKind::RetrainedFrom) => {
                if let Some(n) = nodes.get_mut(&from) {
                    push(n, "prov:wasRevisionOf", reference(&to));
                    push(n, "prov:wasDerivedFrom", reference(&to));
                    push(n, "provreg:retrainedFrom", reference(&to));
                }
            }
            Relation::Lineage(EdgeKind::FineTunedFrom) => {
                if let Some(n) = nodes.get_mut(&from) {
                    push(n, "prov:wasDerivedFrom", reference(&to));
                    push(n, "provreg:fineTunedFrom", reference(&to));
                }
            }
            Relation::Lineage(EdgeKind::DerivedFrom) => {
                if let Some(n) = nodes.get_mut(&from) {
                    push(n, "prov:wasDerivedFrom", reference(&to));
                }
            }
            Relation::Lineage(EdgeKind::TrainedOn(role)) => {
                if let Some(n) = nodes.get_mut(&training_id) {
                    push(n, "prov:used", reference(&to));
                    push(
                        n,
                        "prov:qualifiedUsage",
                        json!({
                            "@type": "prov:Usage",
                            "prov:entity": reference(&to),
                            "prov:hadRole": reference(&format!("provreg:role-{}", role.as_str())),
                        }),
                    );
                }
            }
            // The licence is a property of the entity already.
            Relation::Lineage(EdgeKind::LicensedUnder) => {}
            Relation::GeneratedBy => {
                let generation = format!("urn:provreg:generation:{}", link.from);
                add(
                    &mut nodes,
                    json!({
                        "@id": generation,
                        "@type": ["prov:Activity", "provreg:Generation"],
                        "prov:used": reference(&to),
                        "prov:generated": reference(&from),
                    }),
                );
                if let Some(n) = nodes.get_mut(&from) {
                    push(n, "prov:wasGeneratedBy", reference(&generation));
                    push(n, "prov:wasDerivedFrom", reference(&to));
                }
            }
        }
    }
    let graph: Vec<Value> = order.iter().filter_map(|id| nodes.remove(id)).collect();
    json!({ "@context": context(), "@graph": graph })
}

/// The node describing the export itself: what it is of, and the log state it was built from.
fn export_node(snap: &Snapshot) -> Value {
    let mut node = json!({
        "@id": format!("urn:provreg:export:{}:{}", snap.start, snap.taken_at.timestamp()),
        "@type": ["prov:Entity", "provreg:Export"],
        "provreg:exportOf": reference(&iri(snap.start)),
        "provreg:direction": match snap.direction { Direction::Upstream => "upstream", Direction::Downstream => "downstream" },
        "provreg:maxDepth": snap.max_depth,
        "prov:generatedAtTime": date_time(&snap.taken_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "prov:wasAttributedTo": reference(REGISTRY_AGENT),
        "provreg:logEntries": snap.log.entries,
        "provreg:logState": snap.log.describe(),
    });
    match &snap.log.anchored {
        Some(a) => {
            node["provreg:anchoredLogSeq"] = json!(a.last_seq);
            node["provreg:anchoredRoot"] = json!(a.root);
            node["provreg:anchorChainId"] = json!(a.chain_id);
            node["provreg:anchorContract"] = json!(a.contract);
            if let Some(tx) = &a.tx_hash {
                node["provreg:anchorTx"] = json!(tx);
            }
        }
        None => node["provreg:anchored"] = json!(false),
    }
    node
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::snapshot::{Link, LogState, Node, Record};
    use super::*;

    fn record(id: Uuid, kind: RecordKind, payload: Value) -> Record {
        Record {
            id,
            kind,
            name: "trait-generator".into(),
            version: Some("v2".into()),
            status: "active".into(),
            digest: "ab".repeat(32),
            registered_at: chrono::DateTime::UNIX_EPOCH,
            payload,
            signer: None,
            license: None,
        }
    }

    /// A token's export: the token generated by a generation activity that used its model
    /// version, the version's retrain and training; no signer means the registry.
    #[test]
    fn a_token_is_generated_from_its_model_version() {
        let (tok, v2, v1) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let run = json!({"trainingRun": {"id": "run-b", "startedAt": "2024-10-11T07:00:00Z", "endedAt": "2024-10-11T19:45:00Z"}});
        let snap = Snapshot {
            start: tok,
            direction: Direction::Upstream,
            max_depth: 3,
            nodes: vec![
                Node { id: tok, kind: RecordKind::Token, depth: 0 },
                Node { id: v2, kind: RecordKind::ModelVersion, depth: 1 },
                Node { id: v1, kind: RecordKind::ModelVersion, depth: 2 },
            ],
            links: vec![
                Link { from: tok, to: v2, relation: Relation::GeneratedBy },
                Link { from: v2, to: v1, relation: Relation::Lineage(EdgeKind::RetrainedFrom) },
            ],
            records: HashMap::from([
                (tok, record(tok, RecordKind::Token, json!({"assetSha256": "cd".repeat(32), "tokenId": "1"}))),
                (v2, record(v2, RecordKind::ModelVersion, run.clone())),
                (v1, record(v1, RecordKind::ModelVersion, run)),
            ]),
            log: LogState { entries: 3, anchored: None },
            taken_at: chrono::DateTime::UNIX_EPOCH,
        };
        let doc = document(&snap);
        let graph = doc["@graph"].as_array().unwrap();
        let node = |id: &str| graph.iter().find(|n| n["@id"] == id).unwrap_or_else(|| panic!("no {id} in {doc:#}"));
        let token = node(&iri(tok));
        let generation = format!("urn:provreg:generation:{tok}");
        assert_eq!(token["prov:wasGeneratedBy"]["@id"], generation.as_str());
        assert_eq!(token["prov:wasDerivedFrom"]["@id"], iri(v2));
        assert_eq!(token["provreg:assetSha256"], "cd".repeat(32));
        assert_eq!(token["prov:wasAttributedTo"]["@id"], REGISTRY_AGENT);
        assert_eq!(node(&generation)["prov:used"]["@id"], iri(v2));
        let version = node(&iri(v2));
        assert_eq!(version["prov:wasRevisionOf"]["@id"], iri(v1));
        assert_eq!(version["provreg:depth"], 1);
        let training = node(&format!("urn:provreg:training:{v2}"));
        assert_eq!(training["prov:generated"]["@id"], iri(v2));
        assert_eq!(training["prov:endedAtTime"]["@value"], "2024-10-11T19:45:00Z");
        assert_eq!(graph[0]["provreg:anchored"], false);
    }
}
