//! A draft of the public summary of training content of a model version, following the EU
//! AI Office's template of July 2025 (Article 53(1)(d) of the AI Act):
//!
//! - section 1, general information: provider, versioned model name, dependencies (the base
//!   model of a fine-tune), modalities, training data size, knowledge cut-off;
//! - section 2, data sources by category (public datasets, licensed private data, other
//!   private data, crawled and scraped data with crawlers, period and top domains, user data,
//!   synthetic data with the generating model, other);
//! - section 3, data processing: how text-and-data-mining reservations were honoured, and
//!   other processing.
//!
//! Only the version's own training data counts (its `pretrain` and `finetune` inputs, not
//! `eval`): a fine-tune's summary covers its new data and names its base model, whose own
//! summary covers the rest, as the template asks. What the registry does not hold is `null`
//! and listed under `missing` with its JSON pointer and why; nothing is made up.
use std::collections::BTreeSet;

use provreg_entities::{model_version, training_input};
use provreg_schema::RecordKind;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::snapshot::{self, LogState, Record};
use crate::error::{AppError, AppResult};
use crate::payload::SourceCategory;
use crate::service::Registry;
use crate::service::as_of::Cut;

/// What the draft follows.
pub const TEMPLATE: &str =
    "Template for the public summary of training content for general-purpose AI models (EU AI Office, July 2025)";

/// The template's section 2 headings, by category.
fn heading(c: SourceCategory) -> (&'static str, &'static str) {
    match c {
        SourceCategory::PublicDataset => ("2.1", "Publicly available datasets"),
        SourceCategory::LicensedPrivate => ("2.2.1", "Private datasets licensed from rightsholders"),
        SourceCategory::OtherPrivate => ("2.2.2", "Other private datasets obtained from third parties"),
        SourceCategory::Crawled => ("2.3", "Data crawled and scraped from online sources"),
        SourceCategory::UserData => ("2.4", "User data"),
        SourceCategory::Synthetic => ("2.5", "Synthetic data"),
        SourceCategory::Other => ("2.6", "Other sources of data"),
    }
}

/// Collects the fields the registry does not know.
#[derive(Default)]
struct Missing(Vec<Value>);

impl Missing {
    /// `null`, recording `pointer` as missing because of `reason`.
    fn at(&mut self, pointer: String, reason: &str) -> Value {
        self.0.push(json!({ "pointer": pointer, "reason": reason }));
        Value::Null
    }
}

fn log_json(log: &LogState) -> Value {
    match &log.anchored {
        Some(a) => json!({
            "anchored": true, "anchoredSeq": a.last_seq, "anchoredRoot": a.root, "chainId": a.chain_id,
            "contract": a.contract, "txHash": a.tx_hash, "logEntries": log.entries, "description": log.describe(),
        }),
        None => json!({ "anchored": false, "logEntries": log.entries, "description": log.describe() }),
    }
}

/// The draft summary of model version `id` (JSON), read in one transaction.
pub async fn summary(registry: &Registry, id: Uuid) -> AppResult<Value> {
    let txn = snapshot::begin_read(registry).await?;
    let Some(row) = model_version::Entity::find_by_id(id).one(&txn).await? else {
        return Err(AppError::NotFound { kind: "modelVersion", id: id.to_string() });
    };
    let inputs: Vec<(Uuid, String)> = training_input::Entity::find()
        .filter(training_input::Column::ModelVersionId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| (i.dataset_id, i.role))
        .collect();
    let mut ids = vec![(id, RecordKind::ModelVersion)];
    ids.extend(row.parent_id.map(|p| (p, RecordKind::ModelVersion)));
    ids.extend(inputs.iter().map(|(d, _)| (*d, RecordKind::Dataset)));
    let mut records = snapshot::records(&txn, &ids, &Cut::Now).await?;
    let licenses: Vec<(Uuid, RecordKind)> =
        records.values().filter_map(|r| r.license).map(|l| (l, RecordKind::License)).collect();
    records.extend(snapshot::records(&txn, &licenses, &Cut::Now).await?);
    let log = snapshot::log_state(&txn).await?;
    txn.commit().await?;

    let get = |id: &Uuid| records.get(id).ok_or_else(|| AppError::Internal(format!("record {id} missing")));
    let version = get(&id)?;
    let parent = row.parent_id.map(|p| get(&p)).transpose()?;
    let mut training = Vec::new();
    let mut evaluation = Vec::new();
    for (d, role) in &inputs {
        let record = get(d)?;
        if role == "eval" { evaluation.push(record) } else { training.push((record, role.as_str())) }
    }
    training.sort_by(|a, b| (a.0.name.as_str(), a.0.id).cmp(&(b.0.name.as_str(), b.0.id)));
    Ok(build(version, parent, row.parent_relation.as_deref(), &training, &evaluation, &records, &log))
}

fn build(
    version: &Record,
    parent: Option<&Record>,
    relation: Option<&str>,
    training: &[(&Record, &str)],
    evaluation: &[&Record],
    records: &std::collections::HashMap<Uuid, Record>,
    log: &LogState,
) -> Value {
    let mut missing = Missing::default();
    let label = version.version.clone().unwrap_or_default();
    let source = |r: &Record| r.payload.get("source").cloned().unwrap_or(Value::Null);

    // Section 1.
    let dependencies: Vec<Value> = parent
        .map(|p| {
            let (kind, note) = match relation {
                Some("finetune") => (
                    "baseModel",
                    "this version is a fine-tune of it: the base model's own summary covers its training content",
                ),
                _ => ("previousVersion", "this version was retrained from it; its training data is listed here in full"),
            };
            json!({
                "relation": kind, "modelVersion": p.id.to_string(),
                "name": format!("{} {}", p.name, p.version.as_deref().unwrap_or("")), "recordDigest": p.digest, "note": note,
            })
        })
        .into_iter()
        .collect();
    let mut modalities = BTreeSet::new();
    let mut unknown_modality = Vec::new();
    for (d, _) in training {
        match source(d).get("modalities").and_then(Value::as_array) {
            Some(list) => modalities.extend(list.iter().filter_map(Value::as_str).map(str::to_owned)),
            None => unknown_modality.push(d.name.clone()),
        }
    }
    let modalities = if unknown_modality.is_empty() && !training.is_empty() {
        json!(modalities)
    } else {
        let known: Vec<String> = modalities.into_iter().collect();
        let reason = format!("no modality recorded for {}", unknown_modality.join(", "));
        let value = missing.at("/section1/modalities".into(), &reason);
        if known.is_empty() { value } else { json!(known) }
    };
    let records_total: i64 = training.iter().filter_map(|(d, _)| d.payload.get("recordCount")?.as_i64()).sum();
    let cutoff = training.iter().filter_map(|(d, _)| d.payload.pointer("/collectionPeriod/end")?.as_str()).max();
    let cutoff = match cutoff {
        Some(c) => json!(c),
        None => missing.at("/section1/knowledgeCutoff".into(), "no training data with a collection period"),
    };
    let section1 = json!({
        "provider": {
            "name": missing.at("/section1/provider/name".into(), "the registry records no provider"),
            "contact": missing.at("/section1/provider/contact".into(), "the registry records no provider"),
        },
        "model": {
            "name": version.name,
            "versionedName": format!("{} {label}", version.name),
            "modelVersion": version.id.to_string(),
            "recordDigest": version.digest,
            "weightsSha256": version.payload.get("weightsSha256"),
            "placedOnMarket": missing.at("/section1/model/placedOnMarket".into(), "the registry records no market placement date"),
        },
        "dependencies": dependencies,
        "modalities": modalities,
        "trainingDataSize": {
            "records": records_total,
            "unit": "records as registered in the datasets' descriptors (the template's size ranges are per modality: tokens, images, hours)",
        },
        "knowledgeCutoff": cutoff,
        "knowledgeCutoffBasis": "the latest end of the collection periods of this version's own training data",
    });

    // Section 2.
    let mut section2 = serde_json::Map::new();
    for category in SourceCategory::ALL {
        let (number, title) = heading(category);
        let mut listed = Vec::new();
        for (d, role) in training {
            let s = source(d);
            if s.get("category").and_then(Value::as_str) != Some(category.as_str()) {
                continue;
            }
            let at = format!("/section2/{}/datasets/{}", category.as_str(), listed.len());
            let license = d.license.and_then(|l| records.get(&l));
            let mut entry = json!({
                "dataset": d.id.to_string(), "name": d.name, "version": d.version, "role": role,
                "uri": d.payload.get("uri"), "contentSha256": d.payload.get("contentSha256"),
                "recordDigest": d.digest, "records": d.payload.get("recordCount"),
                "collectionPeriod": d.payload.get("collectionPeriod"), "modalities": s.get("modalities"),
                "license": license.map(|l| json!({ "name": l.name, "spdxId": l.version, "aiTraining": l.payload.get("aiTraining") })),
                "description": d.payload.get("description"),
            });
            match category {
                SourceCategory::Crawled => {
                    for (key, what) in [("crawlers", "no crawler recorded"), ("topDomains", "no domains recorded")] {
                        entry[key] = match s.get(key) {
                            Some(v) => v.clone(),
                            None => missing.at(format!("{at}/{key}"), what),
                        };
                    }
                }
                SourceCategory::Synthetic => {
                    entry["generatedBy"] = match s.get("generatedBy") {
                        Some(v) => v.clone(),
                        None => missing.at(format!("{at}/generatedBy"), "no generating model recorded"),
                    };
                }
                _ => {}
            }
            listed.push(entry);
        }
        section2.insert(
            category.as_str().to_owned(),
            json!({ "section": number, "title": title, "used": !listed.is_empty(), "datasets": listed }),
        );
    }
    let uncategorised: Vec<Value> = training
        .iter()
        .filter(|(d, _)| source(d).get("category").is_none())
        .map(|(d, _)| {
            let pointer = format!("/datasets/{}/source/category", d.id);
            missing.at(
                pointer,
                &format!("dataset {} {} records no source category", d.name, d.version.as_deref().unwrap_or("")),
            );
            json!({ "dataset": d.id.to_string(), "name": d.name, "version": d.version })
        })
        .collect();
    section2.insert("uncategorised".into(), json!(uncategorised));

    // Section 3.
    let tdm: Vec<Value> = training
        .iter()
        .enumerate()
        .map(|(i, (d, _))| {
            let s = source(d);
            let license = d.license.and_then(|l| records.get(&l));
            let handling = match s.get("tdmReservations") {
                Some(t) => t.clone(),
                None => missing
                    .at(format!("/section3/tdmReservations/{i}/handling"), "no TDM-reservation handling recorded"),
            };
            json!({
                "dataset": d.id.to_string(), "name": d.name, "category": s.get("category"),
                "licenseAiTraining": license.and_then(|l| l.payload.get("aiTraining")),
                "handling": handling,
            })
        })
        .collect();
    let section3 = json!({
        "tdmReservations": tdm,
        "illegalContentRemoval": missing.at("/section3/illegalContentRemoval".into(), "the registry records no content-removal measures"),
        "otherProcessing": missing.at("/section3/otherProcessing".into(), "the registry records no other processing"),
    });

    json!({
        "template": TEMPLATE,
        "draft": true,
        "modelVersion": version.id.to_string(),
        "scope": if relation == Some("finetune") {
            "this fine-tune's own new training data; the base model's summary covers the rest"
        } else {
            "this version's own training data"
        },
        "logState": log_json(log),
        "section1": section1,
        "section2": Value::Object(section2),
        "section3": section3,
        "notTrainingContent": evaluation.iter().map(|d| json!({ "dataset": d.id.to_string(), "name": d.name, "role": "eval" })).collect::<Vec<_>>(),
        "missing": missing.0,
    })
}
