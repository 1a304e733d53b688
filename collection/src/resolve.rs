//! Names in a spec (licence, parent version, datasets) resolved to the registry's IDs.

use serde_json::{Value, json};

use crate::client::{Client, string_at};
use crate::error::{CollectionError, Result};
use crate::queries::{DATASET, DATASETS, LICENSE, LICENSES, MODEL};
use crate::spec::Spec;

pub(crate) fn is_id(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

/// A licence ID from a name (or an ID).
pub(crate) async fn license(client: &Client, name: &str) -> Result<String> {
    if is_id(name) {
        let data = client.request("license", LICENSE, json!({ "id": name })).await?;
        return match data["license"]["id"].as_str() {
            Some(id) => Ok(id.to_owned()),
            None => return Err(CollectionError::not_found("model.license", format!("no licence with ID {name}"))),
        };
    }
    let mut after = Value::Null;
    let mut names = Vec::new();
    let mut matches = Vec::new();
    loop {
        let data = client.request("licenses", LICENSES, json!({ "after": after })).await?;
        let page = &data["licenses"];
        for node in page["edges"].as_array().into_iter().flatten().map(|e| &e["node"]) {
            let this = node["name"].as_str().unwrap_or_default();
            if this == name {
                matches.push((string_at(node, &["id"])?, node["status"].as_str().unwrap_or_default().to_owned()));
            }
            names.push(this.to_owned());
        }
        if page["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    match matches.as_slice() {
        [(id, _)] => Ok(id.clone()),
        [] => {
            names.sort();
            names.dedup();
            Err(CollectionError::not_found(
                "model.license",
                format!("no licence is named {name:?}; registered licences: {}", quoted_list(&names)),
            ))
        }
        several => {
            let active: Vec<&(String, String)> = several.iter().filter(|(_, s)| s == "ACTIVE").collect();
            match active.as_slice() {
                [(id, _)] => Ok(id.clone()),
                _ => Err(CollectionError::not_found(
                    "model.license",
                    format!(
                        "{} licences are named {name:?} ({}); give the ID instead",
                        several.len(),
                        several.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )),
            }
        }
    }
}

/// The parent version's ID from its label (or ID), within the spec's model.
pub(crate) async fn parent(client: &Client, spec: &Spec, parent: &str) -> Result<String> {
    let data = client.request("model", MODEL, json!({ "name": spec.model.name })).await?;
    let versions = data["model"]["versions"].as_array().cloned().unwrap_or_default();
    let found =
        versions.iter().find(|v| v["versionLabel"].as_str() == Some(parent) || v["id"].as_str() == Some(parent));
    match found {
        Some(v) => string_at(v, &["id"]),
        None => {
            let labels: Vec<String> =
                versions.iter().filter_map(|v| v["versionLabel"].as_str().map(str::to_owned)).collect();
            if labels.is_empty() {
                return Err(CollectionError::not_found(
                    "model.parent",
                    format!("model {:?} has no registered version {parent:?} (it has no versions)", spec.model.name),
                ));
            }
            Err(CollectionError::not_found(
                "model.parent",
                format!(
                    "model {:?} has no version {parent:?}; its versions: {}",
                    spec.model.name,
                    quoted_list(&labels)
                ),
            ))
        }
    }
}

/// A dataset ID from a name and optional version (or an ID).
pub(crate) async fn dataset(client: &Client, name: &str, version: Option<&str>) -> Result<String> {
    if is_id(name) {
        let data = client.request("dataset", DATASET, json!({ "id": name })).await?;
        return match data["dataset"]["id"].as_str() {
            Some(id) => Ok(id.to_owned()),
            None => return Err(CollectionError::not_found("dataset", format!("no dataset with ID {name}"))),
        };
    }
    let mut after = Value::Null;
    let mut found = Vec::new();
    loop {
        let data = client.request("datasets", DATASETS, json!({ "name": name, "after": after })).await?;
        let page = &data["datasets"];
        for node in page["edges"].as_array().into_iter().flatten().map(|e| &e["node"]) {
            found.push((string_at(node, &["id"])?, node["version"].as_str().unwrap_or_default().to_owned()));
        }
        if page["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let versions: Vec<String> = found.iter().map(|(_, v)| v.clone()).collect();
    if let Some(wanted) = version {
        return match found.iter().find(|(_, v)| v == wanted) {
            Some((id, _)) => Ok(id.clone()),
            None if found.is_empty() => {
                return Err(CollectionError::not_found("dataset", format!("no dataset is named {name:?}")));
            }
            None => {
                return Err(CollectionError::not_found(
                    "version",
                    format!("dataset {name:?} has no version {wanted:?}; it has {}", quoted_list(&versions)),
                ));
            }
        };
    }
    match found.as_slice() {
        [(id, _)] => Ok(id.clone()),
        [] => Err(CollectionError::not_found("dataset", format!("no dataset is named {name:?}"))),
        _ => Err(CollectionError::not_found(
            "dataset",
            format!("{name:?} has several versions ({}); say which with `version`", quoted_list(&versions)),
        )),
    }
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
}
