//! Registering a model version's circuit, bound to the model's weights: the registry
//! compiles the ONNX model whose SHA-256 is the version's `weightsSha256` with the given
//! settings and derives the verifying key itself over the given SRS, so a token's proof
//! speaks about the registered weights, not about a key the registrant chose.
use provreg_certs::{Action, CertificateRequest, IngredientRelation, Subject};
use provreg_entities::{circuit, circuit_file};
use provreg_prover_client::model_commitment;
use provreg_prover_client::srs::{CircuitFileError, check_srs, settings_logrows_and_version};
use provreg_schema::RecordKind;
use sea_orm::{ActiveModelTrait, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::seal::{digest_bytes, ingredient};
use super::token::{base64_field, sha256_hex};
use super::{Registry, envelope, now, record_claim};
use crate::error::{AppError, AppResult, map_unique};
use crate::payload::CircuitInput;

/// What the registry reads from circuit settings.
struct Shape {
    input_scale: u32,
    output_scale: u32,
    input_len: usize,
    output_len: usize,
}

fn settings_shape(settings: &Value) -> AppResult<Shape> {
    let bad = |message: String| AppError::bad_input("/settings", "settings", message);
    let scale = |key: &str| {
        settings[key][0]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| bad(format!("the settings have no `{key}`")))
    };
    let shapes = settings["model_instance_shapes"]
        .as_array()
        .filter(|s| s.len() == 2)
        .ok_or_else(|| bad("`model_instance_shapes` must list one input and one output shape".into()))?;
    let len = |shape: &Value| -> AppResult<usize> {
        let dims = shape.as_array().ok_or_else(|| bad("a shape is not a list".into()))?;
        dims.iter().try_fold(1usize, |acc, d| {
            d.as_u64()
                .and_then(|d| usize::try_from(d).ok())
                .and_then(|d| acc.checked_mul(d))
                .ok_or_else(|| bad("a shape holds a non-integer".into()))
        })
    };
    for (key, what) in [("input_visibility", "inputs"), ("output_visibility", "outputs")] {
        let visibility = settings["run_args"][key].as_str().unwrap_or_default();
        if !visibility.eq_ignore_ascii_case("public") {
            return Err(bad(format!(
                "the circuit's {what} are {visibility:?}; they must be public so the registry can check the seed and traits"
            )));
        }
    }
    Ok(Shape {
        input_scale: scale("model_input_scales")?,
        output_scale: scale("model_output_scales")?,
        input_len: len(&shapes[0])?,
        output_len: len(&shapes[1])?,
    })
}

/// The renderer `input` names, when the registry knows it (`/renderer`).
fn known_renderer(input: &crate::payload::RendererInput) -> AppResult<provreg_render::Renderer> {
    let known = u32::try_from(input.version).ok().and_then(|v| provreg_render::Renderer::find(&input.name, v));
    known.ok_or_else(|| {
        let names: Vec<String> =
            provreg_render::RENDERERS.iter().map(|r| format!("{} version {}", r.name, r.version)).collect();
        AppError::bad_input(
            "/renderer",
            "known",
            format!(
                "no renderer {:?} version {} in this registry; it knows {}",
                provreg_schema::echo(&input.name),
                input.version,
                names.join(", ")
            ),
        )
    })
}

/// The renderer a stored circuit record names, if any (`payload.renderer`).
pub(crate) fn circuit_renderer(circuit: &circuit::Model) -> AppResult<Option<provreg_render::Renderer>> {
    let record: Value = serde_json::from_slice(&circuit.canonical)
        .map_err(|e| AppError::Internal(format!("circuit {} record: {e}", circuit.id)))?;
    let named = &record["payload"]["renderer"];
    if named.is_null() {
        return Ok(None);
    }
    let (Some(name), Some(version)) = (named["name"].as_str(), named["version"].as_u64()) else {
        return Err(AppError::Internal(format!("circuit {} names a malformed renderer", circuit.id)));
    };
    let found = u32::try_from(version).ok().and_then(|v| provreg_render::Renderer::find(name, v));
    found.map(Some).ok_or_else(|| {
        AppError::Unavailable(format!(
            "circuit {} names renderer {name} version {version}, which this registry build does not have",
            circuit.id
        ))
    })
}

/// The settings' proof system version and SRS size, checked before any key is made.
fn check_files(input: &CircuitInput, srs: &[u8]) -> AppResult<()> {
    let (logrows, version) = settings_logrows_and_version(input.settings.as_bytes()).map_err(|e| match e {
        CircuitFileError::NoVersion => AppError::bad_input("/settings", "required", e.to_string()),
        other => AppError::bad_input("/settings", "settings", other.to_string()),
    })?;
    if version != input.system_version {
        return Err(AppError::bad_input(
            "/systemVersion",
            "const",
            format!("the settings were made by {} {version}, not {}", input.proof_system, input.system_version),
        ));
    }
    check_srs(srs, logrows).map_err(|e| AppError::bad_input("/srs", "srs", e.to_string()))
}

impl Registry {
    /// Registers a model version's circuit. The ONNX model must be the model version's
    /// weights (its SHA-256 is `weightsSha256`); the settings name the proof system version
    /// given, which must be the registry verifier's; the SRS has the size the settings'
    /// `logrows` needs. The registry compiles the model and derives the verifying key
    /// itself; a verifying key given with the request must be that key. Certified (the
    /// model version's certificate is its `parentOf` ingredient) and logged like every
    /// record; nothing is stored when any check fails. A version has one bound circuit; one
    /// whose circuit was registered before circuits were bound may register it again.
    pub async fn register_circuit(&self, input: &CircuitInput) -> AppResult<circuit::Model> {
        let (version_id, version) = self.named_model_version(&input.model_version).await?;
        let onnx = base64_field("/onnx", &input.onnx)?;
        let onnx_sha256 = sha256_hex(&onnx);
        if onnx_sha256 != version.weights_sha256 {
            return Err(AppError::bad_input(
                "/onnx",
                "const",
                format!(
                    "the ONNX model's SHA-256 is {onnx_sha256}, not the model version's weightsSha256 {}",
                    version.weights_sha256
                ),
            ));
        }
        if let Some(stated) = &input.onnx_sha256
            && *stated != onnx_sha256
        {
            return Err(AppError::bad_input(
                "/onnxSha256",
                "const",
                format!("the ONNX model's SHA-256 is {onnx_sha256}, not the stated {stated}"),
            ));
        }
        let settings_value: Value = serde_json::from_str(&input.settings)
            .map_err(|e| AppError::bad_input("/settings", "type", format!("not JSON: {e}")))?;
        let shape = settings_shape(&settings_value)?;
        let srs = base64_field("/srs", &input.srs)?;
        check_files(input, &srs)?;
        let submitted_vk = input.verifying_key.as_deref().map(|k| base64_field("/verifyingKey", k)).transpose()?;
        let renderer = input.renderer.as_ref().map(known_renderer).transpose()?;
        // One bound circuit per version; a version whose circuit was registered before
        // circuits were bound may register a bound one, which its new tokens then use.
        if let Some(existing) = self.circuit_of(version_id).await?.filter(|c| c.bound_to_weights) {
            return Err(AppError::Conflict {
                message: format!("model version {version_id} already has a circuit"),
                existing_id: Some(existing.id.to_string()),
            });
        }
        let checker = self.proof_checker()?;
        let verifier_version = checker.system_version().await?;
        if verifier_version != input.system_version {
            return Err(AppError::bad_input(
                "/systemVersion",
                "const",
                format!(
                    "the registry verifies with {} {verifier_version}; a circuit of {} cannot be checked",
                    input.proof_system, input.system_version
                ),
            ));
        }
        let derived = checker.derive(&onnx, input.settings.as_bytes(), &srs).await?;
        if let Some(vk) = &submitted_vk
            && *vk != derived.verifying_key
        {
            return Err(AppError::bad_input(
                "/verifyingKey",
                "derived",
                format!(
                    "the verifying key (SHA-256 {}) is not the one the model's weights, the settings and the SRS give \
                     ({}): it is a key of another circuit",
                    sha256_hex(vk),
                    derived.vk_sha256
                ),
            ));
        }

        let settings_sha256 = sha256_hex(input.settings.as_bytes());
        let vk_sha256 = derived.vk_sha256.clone();
        let srs_sha256 = sha256_hex(&srs);
        let commitment = model_commitment(&onnx_sha256, &settings_sha256, &vk_sha256)
            .map_err(|e| AppError::Internal(format!("the model commitment: {e}")))?;
        let payload = json!({
            "modelVersion": version_id.to_string(),
            "proofSystem": input.proof_system,
            "systemVersion": input.system_version,
            "onnxSha256": onnx_sha256,
            "settingsSha256": settings_sha256,
            "vkSha256": vk_sha256,
            "srsSha256": srs_sha256,
            "commitment": commitment,
            "inputScale": shape.input_scale,
            "outputScale": shape.output_scale,
            "inputLen": shape.input_len,
            "outputLen": shape.output_len,
            "boundToWeights": true,
            "compiledSha256": derived.compiled_sha256,
        });
        let mut payload = payload;
        if let Some(renderer) = renderer {
            payload["renderer"] = json!({ "name": renderer.name, "version": renderer.version });
        }
        self.validators.validate(RecordKind::Circuit, &payload)?;

        let id = Uuid::now_v7();
        let at = now();
        let record = envelope(RecordKind::Circuit, id, at, &payload)?;
        let version_cert = self.certificate_of(version_id).await?;
        let model_name = self.model(version.model_id).await?.map(|m| m.name).unwrap_or_else(|| "model".into());
        let title = format!("{model_name} {}", version.version_label);
        let mut ingredients = Vec::new();
        if let Some(cert) = &version_cert {
            ingredients.push(ingredient(title.clone(), IngredientRelation::ParentOf, cert)?);
        }
        let request = CertificateRequest {
            subject: Subject::Circuit,
            title: format!("{title} circuit"),
            format: "application/octet-stream".into(),
            bound_sha256: digest_bytes(&vk_sha256)?,
            action: if ingredients.is_empty() { Action::Created } else { Action::Compiled },
            record: record_claim(&record)?,
            lineage: Some(json!({
                "modelVersion": { "id": version_id.to_string(), "digest": version.digest },
                "commitment": commitment,
                "boundToWeights": true,
                "compiledSha256": derived.compiled_sha256,
            })),
            license_terms: None,
            ingredients,
        };
        let cert = self.issue_certificate(RecordKind::Circuit, id, &request)?;
        let row = circuit::Model {
            id,
            model_version_id: version_id,
            proof_system: input.proof_system.clone(),
            system_version: input.system_version.clone(),
            onnx_sha256,
            settings_sha256,
            vk_sha256,
            srs_sha256,
            commitment,
            input_scale: shape.input_scale as i32,
            output_scale: shape.output_scale as i32,
            input_len: shape.input_len as i32,
            output_len: shape.output_len as i32,
            bound_to_weights: true,
            compiled_sha256: Some(derived.compiled_sha256),
            digest: record.digest_hex(),
            canonical: record.bytes,
            created_at: at,
        };
        let duplicate = || format!("model version {version_id} already has a circuit");
        let (txn, _turn) = self.begin_write().await?;
        circuit::Entity::insert(circuit::ActiveModel::from(row.clone()).reset_all())
            .exec_without_returning(&txn)
            .await
            .map_err(|e| map_unique(e, duplicate))?;
        let files = circuit_file::Model {
            circuit_id: id,
            settings: input.settings.clone().into_bytes(),
            verifying_key: derived.verifying_key,
            srs,
            onnx: Some(onnx),
        };
        circuit_file::Entity::insert(circuit_file::ActiveModel::from(files).reset_all())
            .exec_without_returning(&txn)
            .await?;
        super::seal::store(&txn, RecordKind::Circuit, id, &row.digest, Some(cert)).await?;
        txn.commit().await?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn settings_shape_needs_public_io() {
        let settings = json!({
            "run_args": { "input_visibility": "Public", "output_visibility": "Public" },
            "model_input_scales": [13], "model_output_scales": [12],
            "model_instance_shapes": [[1, 8], [1, 4]],
        });
        let shape = settings_shape(&settings).unwrap();
        assert_eq!((shape.input_scale, shape.output_scale, shape.input_len, shape.output_len), (13, 12, 8, 4));
        let mut private = settings.clone();
        private["run_args"]["output_visibility"] = json!("Private");
        assert!(matches!(settings_shape(&private), Err(AppError::BadInput(v)) if v[0].pointer == "/settings"));
    }
}
