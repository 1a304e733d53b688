//! The spec's model version: found registered (and checked against the ONNX model) or
//! registered with the spec's licence, parent and training data.

use serde_json::{Value, json};

use crate::client::{Client, string_at};
use crate::error::{CollectionError, Result};
use crate::queries::{MODEL, REGISTER_VERSION};
use crate::resolve;
use crate::spec::Spec;

/// A registered model version.
pub(crate) struct Version {
    pub(crate) id: String,
    /// Registered by this run.
    pub(crate) registered_now: bool,
    pub(crate) weights_sha256: String,
    /// `ACTIVE`, `DEPRECATED` or `REVOKED`.
    pub(crate) status: String,
    pub(crate) circuit: Option<RegisteredCircuit>,
}

/// The circuit registered for a version.
pub(crate) struct RegisteredCircuit {
    pub(crate) id: String,
    pub(crate) commitment: String,
}

/// The model version the spec names, if registered.
pub(crate) async fn find(client: &Client, spec: &Spec) -> Result<Option<Version>> {
    let data = client.request("model", MODEL, json!({ "name": spec.model.name })).await?;
    let Some(versions) = data["model"]["versions"].as_array() else { return Ok(None) };
    let Some(found) = versions.iter().find(|v| v["versionLabel"].as_str() == Some(spec.model.version.as_str())) else {
        return Ok(None);
    };
    let circuit = match &found["circuit"] {
        Value::Null => None,
        c => Some(RegisteredCircuit { id: string_at(c, &["id"])?, commitment: string_at(c, &["commitment"])? }),
    };
    Ok(Some(Version {
        id: string_at(found, &["id"])?,
        registered_now: false,
        weights_sha256: string_at(found, &["weightsSha256"])?,
        status: found["status"].as_str().unwrap_or_default().to_owned(),
        circuit,
    }))
}

impl Version {
    /// A registered version can generate these tokens: its weights are this ONNX model and
    /// it is not revoked.
    pub(crate) fn check(&self, spec: &Spec, onnx_sha256: &str) -> Result<()> {
        let label = format!("{} {}", spec.model.name, spec.model.version);
        if !self.weights_sha256.eq_ignore_ascii_case(onnx_sha256) {
            return Err(CollectionError::WeightsMismatch {
                label,
                version_id: self.id.clone(),
                registered: self.weights_sha256.clone(),
                onnx: spec.model.onnx.clone(),
                actual: onnx_sha256.to_owned(),
            });
        }
        if self.status == "REVOKED" {
            return Err(CollectionError::VersionRevoked { label, version_id: self.id.clone() });
        }
        Ok(())
    }
}

/// Registers the version `input` (from [`input`]) describes.
pub(crate) async fn register(client: &Client, input: Value, onnx_sha256: &str) -> Result<Version> {
    let data = client.request("registerModelVersion", REGISTER_VERSION, json!({ "input": input })).await?;
    Ok(Version {
        id: string_at(&data, &["registerModelVersion", "id"])?,
        registered_now: true,
        weights_sha256: onnx_sha256.to_owned(),
        status: "ACTIVE".into(),
        circuit: None,
    })
}

/// The `ModelVersionInput` of the spec's version, with names resolved to IDs.
pub(crate) async fn input(client: &Client, spec: &Spec, onnx_sha256: &str) -> Result<Value> {
    let m = &spec.model;
    let license = resolve::license(client, &m.license).await?;
    let parent = match (&m.parent, m.relation) {
        (Some(parent), Some(relation)) => {
            let id = resolve::parent(client, spec, parent).await?;
            Some(json!({ "id": id, "relation": relation.graphql() }))
        }
        _ => None,
    };
    let mut training = Vec::with_capacity(m.training_data.len());
    for (i, td) in m.training_data.iter().enumerate() {
        let id = resolve::dataset(client, &td.dataset, td.version.as_deref())
            .await
            .map_err(|e| CollectionError::TrainingData { index: i, source: Box::new(e) })?;
        training.push(json!({ "dataset": id, "role": td.role.graphql() }));
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let run = match &m.training_run {
        Some(run) => {
            let mut v = json!({ "id": run.id, "startedAt": run.started_at, "endedAt": run.ended_at });
            if let Some(compute) = &run.compute {
                v["compute"] = json!(compute);
            }
            v
        }
        None => json!({ "id": format!("{}-{}", m.name, m.version), "startedAt": now, "endedAt": now }),
    };
    let mut input = json!({
        "model": m.name,
        "versionLabel": m.version,
        "weightsSha256": onnx_sha256,
        "architecture": m.architecture.as_deref().unwrap_or("onnx"),
        "trainingRun": run,
        "license": license,
        "trainingData": training,
    });
    if let Some(hyper) = &m.hyper_parameters {
        input["hyperParameters"] = Value::Object(hyper.clone());
    }
    if let Some(parent) = parent {
        input["parent"] = parent;
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use super::*;

    fn version(weights: &str, status: &str) -> Version {
        Version {
            id: "v-id".into(),
            registered_now: false,
            weights_sha256: weights.into(),
            status: status.into(),
            circuit: None,
        }
    }

    #[test]
    fn a_registered_version_must_have_these_weights_and_not_be_revoked() {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-collection.toml"))
                .unwrap();
        let spec = Spec::parse(&text, Path::new(".")).unwrap();
        assert!(version("AB12", "ACTIVE").check(&spec, "ab12").is_ok());
        assert!(version("ab12", "DEPRECATED").check(&spec, "ab12").is_ok());
        let e = version("ab12", "ACTIVE").check(&spec, "cd34").unwrap_err();
        assert!(
            matches!(&e, CollectionError::WeightsMismatch { registered, actual, .. } if registered == "ab12" && actual == "cd34")
        );
        let message = e.to_string();
        assert!(message.starts_with("model.onnx: ") && message.contains("weightsSha256 ab12"), "{message}");
        let e = version("ab12", "REVOKED").check(&spec, "ab12").unwrap_err();
        assert!(matches!(e, CollectionError::VersionRevoked { .. }), "{e:?}");
        assert!(e.to_string().starts_with("model.version: "), "{e}");
    }
}
