//! Registered training runs as OpenLineage run events (spec 2-0-2): one `COMPLETE` event per
//! model version, its training datasets as inputs and the version as output.
//!
//! - `run.runId` is the model version's registry ID (a UUIDv7, as OpenLineage recommends), so
//!   exporting again gives the same run; `eventTime` is the run's `endedAt`.
//! - `job` is `{namespace: "provreg", name: "train/<model>"}`, with the standard `jobType`
//!   facet (batch training).
//! - A dataset's namespace and name come from its URI (`s3://bucket/key` becomes namespace
//!   `s3://bucket`, name `key`, as OpenLineage's naming conventions say); a URI without a
//!   path gives namespace `provreg`, name `datasets/<name>/<version>`. The model version is
//!   `{namespace: "provreg", name: "models/<model>/<versionLabel>"}`.
//! - Standard facets: `nominalTime` (run), `datasetVersion`, `documentation` (datasets).
//!   Custom facets, each with `_producer` and a `_schemaURL` into
//!   `schema/json/openlineage-facets.schema.json`: `provreg_digests` and `provreg_license`
//!   (datasets and the version), `provreg_trainingRole` (input facet), `provreg_trainingRun`
//!   and `provreg_logState` (run: the anchored log state the export was built from).
use std::collections::HashMap;

use provreg_entities::{model_version, training_input};
use provreg_schema::RecordKind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::snapshot::{self, LogState, Record};
use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::as_of::Cut;

/// The schema URL of a run event.
pub const RUN_EVENT_SCHEMA: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
/// Who produced the events.
pub const PRODUCER: &str = concat!("https://provreg.dev/provreg/", env!("CARGO_PKG_VERSION"));
/// The namespace of jobs and of the model versions' datasets.
pub const NAMESPACE: &str = "provreg";
/// Where the custom facets' schemas are.
const FACETS_SCHEMA: &str = "https://provreg.dev/schema/openlineage-facets.schema.json";

fn custom(def: &str, body: Value) -> Value {
    let mut facet = json!({ "_producer": PRODUCER, "_schemaURL": format!("{FACETS_SCHEMA}#/$defs/{def}") });
    if let (Some(f), Value::Object(b)) = (facet.as_object_mut(), body) {
        f.extend(b);
    }
    facet
}

fn standard(url: &str, body: Value) -> Value {
    let mut facet = json!({ "_producer": PRODUCER, "_schemaURL": url });
    if let (Some(f), Value::Object(b)) = (facet.as_object_mut(), body) {
        f.extend(b);
    }
    facet
}

/// A dataset URI as OpenLineage namespace and name, when it has a scheme, an authority and a
/// path.
pub fn dataset_naming(uri: &str) -> Option<(String, String)> {
    let (scheme, rest) = uri.split_once("://")?;
    let (authority, path) = rest.split_once('/')?;
    if scheme.is_empty() || authority.is_empty() || path.is_empty() {
        return None;
    }
    Some((format!("{scheme}://{authority}"), path.to_owned()))
}

/// The `provreg_digests` facet of a record.
fn digests(r: &Record) -> Value {
    let mut body = json!({ "recordId": r.id.to_string(), "recordKind": r.kind.as_str(), "recordDigest": r.digest, "status": r.status });
    for key in ["contentSha256", "weightsSha256"] {
        if let Some(v) = r.payload.get(key) {
            body[key] = v.clone();
        }
    }
    custom("DigestsDatasetFacet", body)
}

/// The `provreg_license` facet of licence `l`.
fn license(l: &Record) -> Value {
    let mut body = json!({
        "licenseId": l.id.to_string(),
        "name": l.name,
        "aiTraining": l.payload.get("aiTraining").cloned().unwrap_or(Value::Null),
        "recordDigest": l.digest,
        "status": l.status,
    });
    if let Some(spdx) = &l.version {
        body["spdxId"] = json!(spdx);
    }
    if let Some(c) = l.payload.get("commercialUse") {
        body["commercialUse"] = c.clone();
    }
    custom("LicenseDatasetFacet", body)
}

/// The facets every dataset of an event carries: its digests and licence.
fn dataset_facets(r: &Record, records: &HashMap<Uuid, Record>) -> Value {
    let mut facets = json!({ "provreg_digests": digests(r) });
    if let Some(l) = r.license.and_then(|l| records.get(&l)) {
        facets["provreg_license"] = license(l);
    }
    facets
}

/// The log state as the `provreg_logState` run facet.
fn log_facet(log: &LogState) -> Value {
    let mut body = json!({ "logEntries": log.entries, "anchored": log.anchored.is_some() });
    if let Some(a) = &log.anchored {
        body["anchoredSeq"] = json!(a.last_seq);
        body["anchoredRoot"] = json!(a.root);
        body["chainId"] = json!(a.chain_id);
        body["contract"] = json!(a.contract);
        if let Some(tx) = &a.tx_hash {
            body["txHash"] = json!(tx);
        }
    }
    custom("LogStateRunFacet", body)
}

/// The run event of model version `v` trained on `inputs` (dataset ID and role).
fn event(v: &Record, inputs: &[(Uuid, String)], records: &HashMap<Uuid, Record>, log: &LogState) -> AppResult<Value> {
    let run = v.payload.get("trainingRun").cloned().unwrap_or(Value::Null);
    let ended = run.get("endedAt").and_then(Value::as_str).unwrap_or_default();
    let label = v.version.as_deref().unwrap_or_default();
    let mut run_facets = json!({
        "provreg_trainingRun": custom("TrainingRunRunFacet", json!({
            "runLabel": run.get("id"),
            "modelVersion": v.id.to_string(),
        })),
        "provreg_logState": log_facet(log),
    });
    if let Some(started) = run.get("startedAt") {
        run_facets["nominalTime"] = standard(
            "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
            json!({ "nominalStartTime": started, "nominalEndTime": ended }),
        );
    }
    let training = &mut run_facets["provreg_trainingRun"];
    if let Some(parent) = v.payload.get("parent") {
        training["parent"] = parent.get("id").cloned().unwrap_or(Value::Null);
        training["parentRelation"] = parent.get("relation").cloned().unwrap_or(Value::Null);
    }
    if let Some(compute) = run.get("compute") {
        training["compute"] = compute.clone();
    }
    if let Some(h) = v.payload.get("hyperParameters") {
        training["hyperParameters"] = h.clone();
    }
    let mut in_events = Vec::new();
    for (id, role) in inputs {
        let d = records.get(id).ok_or_else(|| AppError::Internal(format!("dataset {id} missing")))?;
        let uri = d.payload.get("uri").and_then(Value::as_str).unwrap_or_default();
        let version = d.version.as_deref().unwrap_or_default();
        let (namespace, name) =
            dataset_naming(uri).unwrap_or_else(|| (NAMESPACE.to_owned(), format!("datasets/{}/{version}", d.name)));
        let mut facets = dataset_facets(d, records);
        facets["datasetVersion"] = standard(
            "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
            json!({ "datasetVersion": version }),
        );
        if let Some(desc) = d.payload.get("description") {
            facets["documentation"] = standard(
                "https://openlineage.io/spec/facets/1-1-0/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet",
                json!({ "description": desc }),
            );
        }
        in_events.push(json!({
            "namespace": namespace,
            "name": name,
            "facets": facets,
            "inputFacets": { "provreg_trainingRole": custom("TrainingRoleInputDatasetFacet", json!({ "role": role })) },
        }));
    }
    Ok(json!({
        "eventType": "COMPLETE",
        "eventTime": ended,
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": { "runId": v.id.to_string(), "facets": run_facets },
        "job": {
            "namespace": NAMESPACE,
            "name": format!("train/{}", v.name),
            "facets": {
                "jobType": standard(
                    "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                    json!({ "processingType": "BATCH", "integration": "PROVREG", "jobType": "TRAINING" }),
                ),
            },
        },
        "inputs": in_events,
        "outputs": [{
            "namespace": NAMESPACE,
            "name": format!("models/{}/{label}", v.name),
            "facets": dataset_facets(v, records),
        }],
    }))
}

/// Up to `limit` run events in registration order: of model version `only`, or of every
/// model version after the one with ID `after`. All read in one transaction.
pub async fn events(registry: &Registry, only: Option<Uuid>, after: Option<Uuid>, limit: u64) -> AppResult<Vec<Value>> {
    let txn = snapshot::begin_read(registry).await?;
    let versions: Vec<Uuid> = match only {
        Some(id) => {
            if model_version::Entity::find_by_id(id).one(&txn).await?.is_none() {
                return Err(AppError::NotFound { kind: "modelVersion", id: id.to_string() });
            }
            vec![id]
        }
        None => {
            let mut q = model_version::Entity::find().order_by_asc(model_version::Column::Id).limit(limit);
            if let Some(after) = after {
                q = q.filter(model_version::Column::Id.gt(after));
            }
            q.all(&txn).await?.into_iter().map(|v| v.id).collect()
        }
    };
    let out = events_in(&txn, &versions).await?;
    txn.commit().await?;
    Ok(out)
}

/// The run events of `versions`, read through `conn`.
async fn events_in(conn: &impl ConnectionTrait, versions: &[Uuid]) -> AppResult<Vec<Value>> {
    let mut inputs: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for chunk in versions.chunks(500) {
        let rows = training_input::Entity::find()
            .filter(training_input::Column::ModelVersionId.is_in(chunk.to_vec()))
            .all(conn)
            .await?;
        for row in rows {
            inputs.entry(row.model_version_id).or_default().push((row.dataset_id, row.role));
        }
    }
    for list in inputs.values_mut() {
        list.sort();
    }
    let mut ids: Vec<(Uuid, RecordKind)> = versions.iter().map(|v| (*v, RecordKind::ModelVersion)).collect();
    ids.extend(inputs.values().flatten().map(|(d, _)| (*d, RecordKind::Dataset)));
    let mut records = snapshot::records(conn, &ids, &Cut::Now).await?;
    let licenses: Vec<(Uuid, RecordKind)> =
        records.values().filter_map(|r| r.license).map(|l| (l, RecordKind::License)).collect();
    records.extend(snapshot::records(conn, &licenses, &Cut::Now).await?);
    let log = snapshot::log_state(conn).await?;
    let mut out = Vec::with_capacity(versions.len());
    for v in versions {
        let record = records.get(v).ok_or_else(|| AppError::Internal(format!("model version {v} missing")))?;
        out.push(event(record, inputs.get(v).map(Vec::as_slice).unwrap_or_default(), &records, &log)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_uris_split_into_namespace_and_name() {
        assert_eq!(
            dataset_naming("s3://studio-nova-datasets/pixel-traits/2.1/manifest.json"),
            Some(("s3://studio-nova-datasets".into(), "pixel-traits/2.1/manifest.json".into()))
        );
        assert_eq!(dataset_naming("https://data.example.org/x"), Some(("https://data.example.org".into(), "x".into())));
        assert_eq!(dataset_naming("file://sprites.csv"), None);
        assert_eq!(dataset_naming("urn:x"), None);
    }
}
