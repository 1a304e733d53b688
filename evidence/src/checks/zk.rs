//! `zk.record`, `zk.circuit`, `zk.files`, `zk.inputs`, `zk.outputs` and `zk.proof`: the
//! token's proof record is the one it names, for its model version's circuit, over the input
//! its seed gives and the traits it states, and EZKL verifies it.
use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_prover_client::{Circuit, CircuitFileBytes, ProofRecord, field, model_commitment, seed};
use provreg_schema::RecordKind;

use crate::bundle::RecordRef;
use crate::checks::Checks;
use crate::parse::{CircuitPayload, ModelVersionPayload, ParsedBundle, ParsedRecord, TokenPayload};
use crate::report::{CheckName, Status};
use crate::{CheckError, VerifyOptions, ZkCheck, sha256_hex};

const NAMES: [CheckName; 7] = [
    CheckName::ZkRecord,
    CheckName::ZkCircuit,
    CheckName::ZkFiles,
    CheckName::ZkBinding,
    CheckName::ZkInputs,
    CheckName::ZkOutputs,
    CheckName::ZkProof,
];

/// What the zk checks read from the records.
struct Inputs<'a> {
    token: &'a TokenPayload,
    circuit: Option<&'a CircuitPayload>,
    version: Option<&'a ModelVersionPayload>,
}

impl Inputs<'_> {
    fn circuit(&self) -> Result<&CircuitPayload, CheckError> {
        self.circuit.ok_or(CheckError::CircuitMissing)
    }
}

pub(super) async fn check(
    checks: &mut Checks,
    parsed: &ParsedBundle<'_>,
    index: &HashMap<&RecordRef, &ParsedRecord<'_>>,
    opts: &VerifyOptions,
) {
    let token_ref = &parsed.token_ref;
    let Some(token) = index.get(token_ref).and_then(|r| r.token()) else {
        for name in NAMES {
            checks.push(name, token_ref, Err(CheckError::TokenUnreadable));
        }
        return;
    };
    let z = Inputs {
        token,
        circuit: index.get(&RecordRef::new(RecordKind::Circuit, &token.circuit.id)).and_then(|r| r.circuit()),
        version: index
            .get(&RecordRef::new(RecordKind::ModelVersion, &token.model_version))
            .and_then(|r| r.model_version()),
    };
    let proof = &parsed.bundle.proof;
    let record = &proof.record;
    let files = &proof.circuit;

    checks.push(CheckName::ZkRecord, token_ref, zk_record(&z, record));
    checks.push(CheckName::ZkCircuit, token_ref, zk_circuit(&z, record, &files.id));

    let settings = files.settings.as_bytes();
    let decode = |what: &'static str, text: &str| {
        B64.decode(text.trim()).map_err(|e| CheckError::FileNotBase64 { what, reason: e.to_string() })
    };
    let vk = decode("verifying key", &files.verifying_key);
    let srs = decode("SRS", &files.srs);
    checks.push(CheckName::ZkFiles, token_ref, zk_files(&z, settings, &vk, &srs));
    zk_binding(checks, token_ref, &z, files, &srs, opts).await;
    checks.push(CheckName::ZkInputs, token_ref, zk_inputs(&z, record));
    checks.push(CheckName::ZkOutputs, token_ref, zk_outputs(&z, record));
    match asset_derivation(&z, record) {
        Ok(Some(detail)) => checks.push(CheckName::AssetDerivation, token_ref, Ok(detail)),
        Ok(None) => checks.with(
            CheckName::AssetDerivation,
            token_ref,
            Status::Skipped,
            "the circuit names no renderer: the asset was accepted by its hash, and nothing ties its content to the \
             proof",
        ),
        Err(e) => checks.push(CheckName::AssetDerivation, token_ref, Err(e)),
    }

    match &opts.zk {
        ZkCheck::Skip => {
            checks.with(CheckName::ZkProof, token_ref, Status::Skipped, "not asked to run the proof verifier")
        }
        ZkCheck::Unavailable(reason) => {
            checks.push(CheckName::ZkProof, token_ref, Err(CheckError::VerifierUnavailable(reason.clone())))
        }
        ZkCheck::Verify(verifier) => {
            let result = match (z.circuit(), vk, srs) {
                (Err(e), ..) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
                (Ok(circuit), Ok(vk), Ok(srs)) => {
                    let files = CircuitFileBytes { settings, verifying_key: &vk, srs: &srs };
                    match verifier.verify(files, circuit_of(circuit), record).await {
                        Ok(true) => Ok("EZKL verifies the proof with the bundle's verifying key and SRS".into()),
                        Ok(false) => Err(CheckError::ProofRejected),
                        Err(e) => Err(CheckError::VerifierFailed(e)),
                    }
                }
            };
            checks.push(CheckName::ZkProof, token_ref, result);
        }
    }
}

fn zk_record(z: &Inputs<'_>, record: &ProofRecord) -> Result<String, CheckError> {
    let canonical = serde_json::to_value(record)
        .map_err(|e| e.to_string())
        .and_then(|v| provreg_schema::canonicalize(&v).map_err(|e| e.to_string()))
        .map_err(|e| CheckError::ProofDigest { computed: format!("not computable ({e})"), stated: String::new() })?;
    let digest = canonical.digest_hex();
    let stated = &z.token.proof;
    if stated.digest != digest {
        return Err(CheckError::ProofDigest { computed: digest, stated: stated.digest.clone() });
    }
    for (field, given, expected) in [
        ("system", &record.system, &stated.system),
        ("systemVersion", &record.system_version, &stated.system_version),
        ("modelCommitment", &record.model_commitment, &stated.model_commitment),
    ] {
        if given != expected {
            return Err(CheckError::ProofRecordField { field, given: given.clone(), stated: expected.clone() });
        }
    }
    Ok(format!("proof record {digest} ({} {})", record.system, record.system_version))
}

fn zk_circuit(z: &Inputs<'_>, record: &ProofRecord, files_id: &str) -> Result<String, CheckError> {
    let circuit = z.circuit()?;
    let token = z.token;
    if token.circuit.commitment != circuit.commitment {
        return Err(CheckError::CircuitCommitment {
            token: token.circuit.commitment.clone(),
            circuit: circuit.commitment.clone(),
        });
    }
    if token.circuit.id != files_id {
        return Err(CheckError::FilesOfOtherCircuit { files: files_id.to_owned(), token: token.circuit.id.clone() });
    }
    if circuit.model_version != token.model_version {
        return Err(CheckError::CircuitOfOtherVersion {
            circuit: circuit.model_version.clone(),
            token: token.model_version.clone(),
        });
    }
    let weights = &z.version.ok_or(CheckError::VersionMissing)?.weights_sha256;
    if *weights != circuit.onnx_sha256 {
        return Err(CheckError::OnnxNotWeights { onnx: circuit.onnx_sha256.clone(), weights: weights.clone() });
    }
    let computed = model_commitment(&circuit.onnx_sha256, &circuit.settings_sha256, &circuit.vk_sha256)
        .map_err(|e| CheckError::ModelCommitment { computed: e.to_string(), stated: circuit.commitment.clone() })?;
    if computed != circuit.commitment {
        return Err(CheckError::ModelCommitment { computed, stated: circuit.commitment.clone() });
    }
    for (what, given, expected) in [
        ("system", &record.system, &circuit.proof_system),
        ("verifying key", &record.vk_sha256, &circuit.vk_sha256),
        ("settings", &record.settings_sha256, &circuit.settings_sha256),
        ("model commitment", &record.model_commitment, &circuit.commitment),
    ] {
        if given != expected {
            return Err(CheckError::ProofForOtherCircuit { what, given: given.clone(), expected: expected.clone() });
        }
    }
    Ok(format!("commitment {} binds the model version's weights, settings and verifying key", circuit.commitment))
}

fn zk_files(
    z: &Inputs<'_>,
    settings: &[u8],
    vk: &Result<Vec<u8>, CheckError>,
    srs: &Result<Vec<u8>, CheckError>,
) -> Result<String, CheckError> {
    let circuit = z.circuit()?;
    let vk = vk.as_ref().map_err(Clone::clone)?;
    let srs = srs.as_ref().map_err(Clone::clone)?;
    for (what, bytes, stated) in [
        ("settings", settings, &circuit.settings_sha256),
        ("verifying key", vk.as_slice(), &circuit.vk_sha256),
        ("SRS", srs.as_slice(), &circuit.srs_sha256),
    ] {
        let computed = sha256_hex(bytes);
        if computed != *stated {
            return Err(CheckError::FileDigest { what, computed, stated: stated.clone() });
        }
    }
    Ok("settings, verifying key and SRS hash to the circuit record's digests".into())
}

/// `zk.binding`: the circuit's verifying key is the one its model gives. The registry
/// derived it at registration (the signed circuit record says so); with the model in the
/// bundle and a proof verifier, the key is derived again here from the model, the settings
/// and the SRS. A circuit registered before circuits were bound is unconfirmed; a model too
/// large to carry is skipped, never passed.
async fn zk_binding(
    checks: &mut Checks,
    token_ref: &RecordRef,
    z: &Inputs<'_>,
    files: &crate::bundle::CircuitFiles,
    srs: &Result<Vec<u8>, CheckError>,
    opts: &VerifyOptions,
) {
    let name = CheckName::ZkBinding;
    let circuit = match z.circuit() {
        Ok(c) => c,
        Err(e) => return checks.push(name, token_ref, Err(e)),
    };
    if !circuit.bound_to_weights {
        return checks.with(
            name,
            token_ref,
            Status::Unconfirmed,
            "the circuit was registered before circuits were bound to their weights: its verifying key is the \
             registrant's word",
        );
    }
    let Some(onnx) = &files.onnx else {
        return checks.with(
            name,
            token_ref,
            Status::Skipped,
            format!(
                "not re-derived: the bundle does not carry the model (larger than {} bytes); the registry derived the \
                 key from it at registration",
                crate::MAX_BUNDLED_MODEL
            ),
        );
    };
    let onnx = match B64.decode(onnx.trim()) {
        Ok(bytes) => bytes,
        Err(e) => {
            let error = CheckError::FileNotBase64 { what: "ONNX model", reason: e.to_string() };
            return checks.push(name, token_ref, Err(error));
        }
    };
    let computed = sha256_hex(&onnx);
    if computed != circuit.onnx_sha256 {
        let error = CheckError::ModelDigest { computed, stated: circuit.onnx_sha256.clone() };
        return checks.push(name, token_ref, Err(error));
    }
    let verifier = match &opts.zk {
        ZkCheck::Skip => {
            return checks.with(
                name,
                token_ref,
                Status::Skipped,
                "the bundle's model is the circuit's; not asked to run the proof verifier, so the key was not derived \
                 again",
            );
        }
        ZkCheck::Unavailable(reason) => {
            return checks.push(name, token_ref, Err(CheckError::VerifierUnavailable(reason.clone())));
        }
        ZkCheck::Verify(verifier) => verifier,
    };
    let srs = match srs {
        Ok(srs) => srs,
        Err(e) => return checks.push(name, token_ref, Err(e.clone())),
    };
    let result = match verifier.derive(files.settings.as_bytes(), srs, &onnx).await {
        Ok(vk_sha256) if vk_sha256 == circuit.vk_sha256 => Ok(format!(
            "the model, the settings and the SRS give the circuit's verifying key {vk_sha256}: the proof speaks about \
             these weights"
        )),
        Ok(derived) => Err(CheckError::KeyNotDerived { derived, stated: circuit.vk_sha256.clone() }),
        Err(e) => Err(CheckError::VerifierFailed(e)),
    };
    checks.push(name, token_ref, result);
}

fn zk_inputs(z: &Inputs<'_>, record: &ProofRecord) -> Result<String, CheckError> {
    let circuit = z.circuit()?;
    let (scale, len) = (circuit.input_scale, circuit.input_len);
    let seed_hex = &z.token.input_seed;
    let seed_bytes = seed::parse_seed(seed_hex).map_err(|e| CheckError::Seed(e.to_string()))?;
    let expected = seed::model_input(&seed_bytes, len, scale)
        .and_then(|values| values.iter().map(|v| field::quantise(f64::from(*v), scale)).collect::<Result<Vec<_>, _>>())
        .map_err(|e| CheckError::Seed(format!("deriving the model input: {e}")))?;
    if record.public_inputs.len() != expected.len() {
        return Err(CheckError::InputCount { given: record.public_inputs.len(), expected: expected.len() });
    }
    if let Some(i) = record.public_inputs.iter().zip(&expected).position(|(a, b)| !felt_eq(a, b)) {
        return Err(CheckError::InputMismatch(i));
    }
    Ok(format!("the {len} public inputs are the model input derived from seed {seed_hex}"))
}

fn zk_outputs(z: &Inputs<'_>, record: &ProofRecord) -> Result<String, CheckError> {
    let circuit = z.circuit()?;
    let (scale, len) = (circuit.output_scale, circuit.output_len);
    let traits = &z.token.traits;
    if traits.len() != len || record.public_outputs.len() != len {
        return Err(CheckError::OutputCount {
            expected: len,
            traits: traits.len(),
            outputs: record.public_outputs.len(),
        });
    }
    for (index, (value, felt)) in traits.iter().zip(&record.public_outputs).enumerate() {
        let quantised =
            field::quantise(*value, scale).map_err(|e| CheckError::Trait { index, reason: e.to_string() })?;
        if !felt_eq(&quantised, felt) {
            return Err(CheckError::OutputMismatch { index, value: value.to_string() });
        }
    }
    Ok(format!("the {len} public outputs are the token's traits"))
}

fn felt_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("0x").eq_ignore_ascii_case(b.trim_start_matches("0x"))
}

/// The prover client's circuit description from a circuit record (the directory is set when
/// the files are written).
fn circuit_of(c: &CircuitPayload) -> Circuit {
    Circuit {
        dir: PathBuf::new(),
        onnx_sha256: c.onnx_sha256.clone(),
        settings_sha256: c.settings_sha256.clone(),
        vk_sha256: c.vk_sha256.clone(),
        srs_sha256: c.srs_sha256.clone(),
        commitment: c.commitment.clone(),
        input_scale: c.input_scale,
        output_scale: c.output_scale,
        input_len: c.input_len,
        output_len: c.output_len,
    }
}

/// `asset.derivation`: with a renderer named by the circuit, the token's signed record says
/// its asset was drawn by it, and drawing the proof's public outputs again gives an asset
/// whose SHA-256 is the token's `assetSha256` (so the certificate, which binds that hash,
/// covers the proven drawing). `Ok(None)` when the circuit names no renderer.
fn asset_derivation(z: &Inputs<'_>, record: &ProofRecord) -> Result<Option<String>, CheckError> {
    let circuit = z.circuit()?;
    let Some(named) = &circuit.renderer else {
        if z.token.asset_derivation.as_ref().is_some_and(|d| d.derived_from_proof) {
            return Err(CheckError::AssetDerivation(
                "the token says its asset was drawn from the proof, but its circuit names no renderer".into(),
            ));
        }
        return Ok(None);
    };
    let Some(renderer) = provreg_render::Renderer::find(&named.name, named.version) else {
        return Err(CheckError::AssetDerivation(format!(
            "the circuit names renderer {} version {}, which this verifier does not have",
            named.name, named.version
        )));
    };
    match &z.token.asset_derivation {
        Some(d)
            if d.derived_from_proof
                && d.renderer.as_deref() == Some(renderer.name)
                && d.version == Some(renderer.version) => {}
        _ => {
            return Err(CheckError::AssetDerivation(format!(
                "the token's record does not say its asset was drawn by the circuit's renderer {renderer}"
            )));
        }
    }
    if !z.token.media_type.is_empty() && z.token.media_type != renderer.media_type {
        return Err(CheckError::AssetDerivation(format!(
            "the asset is {}, but {renderer} draws {}",
            z.token.media_type, renderer.media_type
        )));
    }
    let outputs = field::outputs_f32(&record.public_outputs, circuit.output_scale)
        .map_err(|e| CheckError::AssetDerivation(format!("the proof's public outputs: {e}")))?;
    let drawn =
        renderer.render(&outputs).map_err(|e| CheckError::AssetDerivation(format!("drawing with {renderer}: {e}")))?;
    let digest = sha256_hex(&drawn);
    if digest != z.token.asset_sha256 {
        return Err(CheckError::AssetDerivation(format!(
            "{renderer} draws the proven traits as an asset with SHA-256 {digest}, but the token's asset has {}",
            z.token.asset_sha256
        )));
    }
    Ok(Some(format!("{renderer} draws the proof's public outputs as exactly the token's asset (SHA-256 {digest})")))
}
