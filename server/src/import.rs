//! `provreg import FILE`: loads a collection (licences, datasets, model versions) from JSON.
//!
//! Records refer to each other by `@key`; every string of the form `@key` is replaced by the
//! ID of the record imported under that key. Records that are already registered (same
//! natural key) are reused, so importing a file twice changes nothing.
use std::collections::HashMap;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::payload::RecordStatus;
use crate::service::Registry;
use crate::service::status::SubjectKind;

/// A collection file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Collection {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub licenses: Vec<Keyed>,
    #[serde(default)]
    pub datasets: Vec<Keyed>,
    #[serde(default)]
    pub model_versions: Vec<Keyed>,
}

/// One record with the key other records use to refer to it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyed {
    pub key: String,
    pub record: Value,
    /// An optional status change applied after registration, e.g. `{"status": "deprecated", "reason": "…"}`.
    #[serde(default)]
    pub status: Option<StatusChange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: RecordStatus,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub existing: usize,
    pub ids: HashMap<String, String>,
}

fn resolve(value: &mut Value, ids: &HashMap<String, String>, at: &str) -> AppResult<()> {
    match value {
        Value::String(s) if s.starts_with('@') => {
            let id = ids.get(&s[1..]).ok_or_else(|| {
                AppError::bad_input(
                    at,
                    "reference",
                    format!("{} names no record imported before it", provreg_schema::echo(s)),
                )
            })?;
            *s = id.clone();
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve(item, ids, &format!("{at}/{i}"))?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                resolve(v, ids, &format!("{at}/{k}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned>(value: Value, at: &str) -> AppResult<T> {
    serde_json::from_value(value).map_err(|e| AppError::bad_input(at, "type", e.to_string()))
}

/// Imports `collection`, showing progress on `bar` when given.
pub async fn import(registry: &Registry, collection: Collection, bar: Option<&ProgressBar>) -> AppResult<ImportReport> {
    let mut report = ImportReport::default();
    let sections = [
        ("licenses", SubjectKind::License, collection.licenses),
        ("datasets", SubjectKind::Dataset, collection.datasets),
        ("modelVersions", SubjectKind::ModelVersion, collection.model_versions),
    ];
    for (section, kind, items) in sections {
        for (i, item) in items.into_iter().enumerate() {
            let at = format!("/{section}/{i}/record");
            let mut record = item.record;
            resolve(&mut record, &report.ids, &at)?;
            let outcome = match kind {
                SubjectKind::License => registry.register_license(&decode(record, &at)?).await.map(|m| m.id),
                SubjectKind::Dataset => registry.register_dataset(&decode(record, &at)?).await.map(|m| m.id),
                SubjectKind::ModelVersion => registry.register_model_version(&decode(record, &at)?).await.map(|m| m.id),
            };
            let id = match outcome {
                Ok(id) => {
                    report.created += 1;
                    if let Some(change) = &item.status {
                        registry.set_status(kind, id, change.status, &change.reason, None).await?;
                    }
                    id.to_string()
                }
                Err(AppError::Conflict { existing_id: Some(id), .. }) => {
                    report.existing += 1;
                    id
                }
                Err(AppError::BadInput(mut v)) => {
                    for violation in &mut v {
                        violation.pointer = format!("{at}{}", violation.pointer);
                    }
                    return Err(AppError::BadInput(v));
                }
                Err(e) => return Err(e),
            };
            report.ids.insert(item.key, id);
            if let Some(bar) = bar {
                bar.inc(1);
            }
        }
    }
    Ok(report)
}

/// Reads and imports a collection file with a progress bar on standard error.
pub async fn import_file(registry: &Registry, path: &Path) -> anyhow::Result<ImportReport> {
    use anyhow::Context as _;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let collection: Collection = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let total = collection.licenses.len() + collection.datasets.len() + collection.model_versions.len();
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} records ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("importing {}", path.display()));
    let report = import(registry, collection, Some(&bar)).await;
    bar.finish_and_clear();
    report.with_context(|| format!("importing {}", path.display()))
}
