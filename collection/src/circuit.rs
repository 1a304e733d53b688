//! The model version's circuit: the one set up locally must be the one registered (or
//! becomes it).

use std::path::Path;

use base64::Engine as _;
use provreg_prover_client::{Circuit, EzklBackend, SETTINGS_FILE, SRS_FILE, VK_FILE};
use serde_json::{Value, json};

use crate::error::{CollectionError, Result};
use crate::model_version::RegisteredCircuit;

/// The `CircuitInput` of `circuit` (set up from the ONNX model at `onnx`) for model version
/// `version`. The registry derives the verifying key from the model itself; the key sent
/// along must be that one.
pub(crate) async fn input(
    backend: &EzklBackend,
    circuit: &Circuit,
    onnx: &Path,
    version: &str,
    renderer: provreg_render::Renderer,
) -> Result<Value> {
    let read = |name: &'static str| {
        let path = circuit.dir.join(name);
        async move { tokio::fs::read(&path).await.map_err(|e| CollectionError::file("reading", &path, e)) }
    };
    let settings = String::from_utf8(read(SETTINGS_FILE).await?)
        .map_err(|_| CollectionError::NotUtf8 { path: circuit.dir.join(SETTINGS_FILE) })?;
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let system_version = backend.system_version().await.map_err(CollectionError::ProverVersion)?;
    Ok(json!({
        "modelVersion": version,
        "systemVersion": system_version,
        "onnx": b64(tokio::fs::read(onnx).await.map_err(|e| CollectionError::file("reading", onnx, e))?),
        "onnxSha256": circuit.onnx_sha256,
        "settings": settings,
        "verifyingKey": b64(read(VK_FILE).await?),
        "srs": b64(read(SRS_FILE).await?),
        // The PNG of every token is the renderer's drawing of its proven outputs.
        "renderer": { "name": renderer.name, "version": renderer.version },
    }))
}

/// The circuit registered for model version `label` is the one set up here: proofs made
/// with other keys would be rejected.
pub(crate) fn check(label: &str, registered: &RegisteredCircuit, circuit: &Circuit) -> Result<()> {
    if registered.commitment == circuit.commitment {
        return Ok(());
    }
    Err(CollectionError::CircuitMismatch {
        label: label.to_owned(),
        circuit_id: registered.id.clone(),
        registered: registered.commitment.clone(),
        dir: circuit.dir.clone(),
        local: circuit.commitment.clone(),
    })
}
