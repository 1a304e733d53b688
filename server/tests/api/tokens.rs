//! Circuits and tokens through the API, with real EZKL proofs: a token is accepted only
//! with a proof that this model version's circuit turned this seed into these traits.
use serde_json::json;

use crate::helpers::{TestApp, code};
use crate::on_both;
use crate::zk::{self, CHAIN, CONTRACT, REGISTER_CIRCUIT, REGISTER_TOKEN};

on_both!(
    a_proven_token_is_registered_with_its_proof_certificate_and_log_entry,
    bad_proofs_are_rejected_and_nothing_is_stored,
    circuits_must_match_the_model_version,
    circuits_are_bound_to_their_weights,
    tokens_need_a_circuit_and_an_active_model_version,
    an_uploaded_png_gets_its_certificate_embedded,
    without_a_running_verifier_tokens_are_refused_as_unavailable,
);

/// A 1×1 RGB PNG: the token's generated image.
const TINY_PNG: &str = "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de\
                        0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082";

async fn a_proven_token_is_registered_with_its_proof_certificate_and_log_entry(app: TestApp) {
    let version = app.proven_version("trait-generator").await;
    let token = app.proven_token(&version, 7, 1).await;
    let (traits, record) = zk::prove(zk::seed(1)).await;

    assert_eq!(token["tokenId"], "7");
    assert_eq!(token["contract"], CONTRACT.to_ascii_lowercase());
    let stored: Vec<f64> = serde_json::from_value(token["traits"].clone()).unwrap();
    assert_eq!(stored, traits.iter().map(|t| f64::from(*t)).collect::<Vec<_>>());
    assert_eq!(token["inputSeed"], hex::encode(zk::seed(1)));
    assert_eq!(token["proofRecord"]["modelCommitment"], record.model_commitment);
    assert_eq!(token["proofRecord"]["publicInputs"], json!(record.public_inputs));
    assert_eq!(token["record"]["payload"]["proof"]["digest"], token["proofRecord"]["digest"]);
    assert_eq!(token["metadataPath"], format!("/tokens/{CHAIN}/{}/7", CONTRACT.to_ascii_lowercase()));
    assert!(token["certificate"]["manifestLabel"].as_str().unwrap().starts_with("urn:c2pa:"));
    assert_eq!(token["logEntry"]["leaf"].as_str().unwrap().len(), 64);

    // Found by its key, whatever the case of the contract address and leading zeros of the ID.
    let found = app
        .ok(
            "query($c: String!) { token(chainId: 31337, contract: $c, tokenId: \"007\") {
                id modelVersion { id circuit { commitment } } proofRecord { id token { id } }
                certificate { manifest validation { state } } } }",
            json!({ "c": CONTRACT.to_ascii_uppercase().replace("0X", "0x") }),
        )
        .await;
    let found = &found["token"];
    assert_eq!(found["id"], token["id"]);
    assert_eq!(found["modelVersion"]["id"], json!(version));
    assert_eq!(found["modelVersion"]["circuit"]["commitment"], json!(record.model_commitment));
    assert_eq!(found["proofRecord"]["token"]["id"], token["id"]);
    assert_eq!(found["certificate"]["validation"]["state"], "Trusted");
    // The token's certificate is a generated asset with the model version's certificate as ingredient.
    let manifest = found["certificate"]["manifest"].to_string();
    assert!(manifest.contains("trainedAlgorithmicMedia"), "{manifest}");
    assert!(manifest.contains("inputTo"), "{manifest}");

    // The proof record is served by ID, with the proof bytes.
    let proof = app
        .ok(
            "query($id: String!) { proofRecord(id: $id) { proof system } }",
            json!({ "id": token["proofRecord"]["id"] }),
        )
        .await;
    assert_eq!(proof["proofRecord"]["proof"], hex::encode(&record.proof));

    // The same token ID on the same contract cannot be registered twice, even with another proof.
    let (traits2, record2) = zk::prove(zk::seed(2)).await;
    let again = app
        .gql(REGISTER_TOKEN, json!({ "input": zk::token_input(&version, 7, zk::seed(2), &traits2, &record2) }))
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again:#}");
    assert_eq!(again["errors"][0]["extensions"]["existingId"], token["id"]);
    assert_eq!(app.count("tokens").await, 1);
    assert_eq!(app.count("proof_records").await, 1);

    // Token 7's seed and proof cannot make a second token of the contract (with or without 0x)...
    let mut reused = zk::token_input(&version, 8, zk::seed(1), &traits, &record);
    reused["inputSeed"] = json!(hex::encode(zk::seed(1)));
    let body = app.gql(REGISTER_TOKEN, json!({ "input": reused })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/inputSeed", "{body:#}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("already made token 7"), "{body:#}");
    assert_eq!(app.count("tokens").await, 1);
    // ...but a token of another contract may come from the same seed.
    let mut elsewhere = zk::token_input(&version, 8, zk::seed(1), &traits, &record);
    elsewhere["contract"] = json!("0x00000000000000000000000000000000000BEEF0");
    app.ok(REGISTER_TOKEN, json!({ "input": elsewhere })).await;
    assert_eq!(app.count("tokens").await, 2);
}

async fn bad_proofs_are_rejected_and_nothing_is_stored(app: TestApp) {
    let version = app.proven_version("trait-generator").await;
    let s1 = zk::seed(1);
    let (traits, record) = zk::prove(s1).await;
    let (traits2, record2) = zk::prove(zk::seed(2)).await;
    let before = (app.count("tokens").await, app.count("certificates").await, app.count("log_entries").await);

    let attempt = |input: serde_json::Value| {
        let app = &app;
        async move { app.gql(REGISTER_TOKEN, json!({ "input": input })).await }
    };
    let assert_invalid = |body: &serde_json::Value, pointer: &str| {
        assert_eq!(code(body), "PROOF_INVALID", "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["pointer"], pointer, "{body:#}");
        assert!(body["data"].is_null(), "{body:#}");
    };

    // One byte of the proof changed.
    let mut tampered = record.clone();
    tampered.proof[200] ^= 0x01;
    let body = attempt(zk::token_input(&version, 1, s1, &traits, &tampered)).await;
    assert_invalid(&body, "/proof/proof");

    // A real proof, but of another seed's input.
    let body = attempt(zk::token_input(&version, 1, s1, &traits2, &record2)).await;
    assert_invalid(&body, "/proof/publicInputs");

    // The other seed's proof with its public input relabelled as this seed's: the proof fails.
    let mut relabelled = record2.clone();
    relabelled.public_inputs = record.public_inputs.clone();
    let body = attempt(zk::token_input(&version, 1, s1, &traits2, &relabelled)).await;
    assert_invalid(&body, "/proof/proof");

    // Traits that are not what the proof proves.
    let mut other_traits = traits.clone();
    other_traits[2] += 0.5;
    let body = attempt(zk::token_input(&version, 1, s1, &other_traits, &record)).await;
    assert_invalid(&body, "/traits/2");

    // A real proof of this seed by another model (same shape, other weights): refused for
    // its commitment, and, relabelled with this circuit's identities, by the proof check.
    let (other_traits, foreign) = zk::prove_other(s1).await;
    assert_ne!(foreign.model_commitment, record.model_commitment);
    let body = attempt(zk::token_input(&version, 1, s1, &other_traits, &foreign)).await;
    assert_invalid(&body, "/proof/modelCommitment");
    let mut relabelled_foreign = foreign.clone();
    relabelled_foreign.model_commitment = record.model_commitment.clone();
    relabelled_foreign.vk_sha256 = record.vk_sha256.clone();
    relabelled_foreign.settings_sha256 = record.settings_sha256.clone();
    let body = attempt(zk::token_input(&version, 1, s1, &other_traits, &relabelled_foreign)).await;
    assert_eq!(code(&body), "PROOF_INVALID", "{body:#}");
    let pointer = body["errors"][0]["extensions"]["pointer"].as_str().unwrap();
    assert!(pointer == "/proof/proof" || pointer == "/proof/publicInputs", "{body:#}");

    let after = (app.count("tokens").await, app.count("certificates").await, app.count("log_entries").await);
    assert_eq!(before, after, "a rejected token leaves nothing behind");
    assert_eq!(app.count("proof_records").await, 0);

    // The genuine proof is still accepted.
    let ok = attempt(zk::token_input(&version, 1, s1, &traits, &record)).await;
    assert!(ok.get("errors").is_none(), "{ok:#}");
}

async fn circuits_must_match_the_model_version(app: TestApp) {
    let license = app.license("weights", "ALLOWED").await;
    // A version whose weights are not the fixture model.
    let other = app.version("other-model", "v1", &license, None, &[]).await;
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": zk::circuit_input(&other).await })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/onnx");

    let version = app.proven_version("trait-generator").await;
    // One circuit per version.
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": zk::circuit_input(&version).await })).await;
    assert_eq!(code(&body), "CONFLICT", "{body:#}");

    // Settings whose outputs are private cannot be used to check traits.
    let v2 = app.proven_version_without_circuit("private-io").await;
    let mut input = zk::circuit_input(&v2).await;
    input["settings"] = json!(input["settings"].as_str().unwrap().replace("\"Public\"", "\"Private\""));
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": input })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/settings");
    let mut input = zk::circuit_input(&v2).await;
    input["verifyingKey"] = json!("not base64!");
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": input })).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/verifyingKey", "{body:#}");
    assert_eq!(app.count("circuits").await, 1);
    assert_eq!(app.count("circuit_files").await, 1);
}

/// The registry derives a circuit's verifying key from the model's weights itself, so the
/// key a token's proof is checked with speaks about the registered weights.
async fn circuits_are_bound_to_their_weights(app: TestApp) {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let refused = |body: &serde_json::Value, pointer: &str| {
        assert_eq!(code(body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["pointer"], pointer, "{body:#}");
    };
    let fx = zk::fixture().await;
    let other = zk::other_fixture().await;

    // The transplant: a version whose weights are the other model, registered with the
    // fixture's verifying key (the other model's own ONNX, so its weights hash matches).
    let license = app.license("weights", "ALLOWED").await;
    let mut version = crate::helpers::version_input("transplant", "v1", &license, None, &[]);
    version["weightsSha256"] = json!(other.circuit.onnx_sha256);
    let transplant =
        app.ok(crate::helpers::REGISTER_VERSION, json!({ "input": version })).await["registerModelVersion"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let mut input = zk::circuit_input(&transplant).await;
    input["onnx"] = json!(b64(&std::fs::read(&other.model).unwrap()));
    input["onnxSha256"] = json!(other.circuit.onnx_sha256);
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": input.clone() })).await;
    refused(&body, "/verifyingKey");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("another circuit"), "{body:#}");

    // A junk key, a junk SRS, an SRS for other logrows, a system version the settings do not
    // name: each refused at its field.
    let honest = app.proven_version_without_circuit("bound").await;
    let mut junk_key = zk::circuit_input(&honest).await;
    junk_key["verifyingKey"] = json!(b64(b"not a verifying key at all"));
    refused(&app.gql(REGISTER_CIRCUIT, json!({ "input": junk_key })).await, "/verifyingKey");
    let srs = std::fs::read(fx.circuit.dir.join(provreg_prover_client::SRS_FILE)).unwrap();
    let mut junk = srs.clone();
    junk[4..].fill(0xff);
    let mut junk_srs = zk::circuit_input(&honest).await;
    junk_srs["srs"] = json!(b64(&junk));
    refused(&app.gql(REGISTER_CIRCUIT, json!({ "input": junk_srs })).await, "/srs");
    let mut small = vec![0u8; usize::try_from(provreg_prover_client::srs::srs_len(9).unwrap()).unwrap()];
    small[0] = 9;
    let mut other_logrows = zk::circuit_input(&honest).await;
    other_logrows["srs"] = json!(b64(&small));
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": other_logrows })).await;
    refused(&body, "/srs");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("logrows"), "{body:#}");
    let mut version_mismatch = zk::circuit_input(&honest).await;
    version_mismatch["systemVersion"] = json!("23.0.4");
    refused(&app.gql(REGISTER_CIRCUIT, json!({ "input": version_mismatch })).await, "/systemVersion");
    assert_eq!((app.count("circuits").await, app.count("circuit_files").await), (0, 0), "nothing stored");

    // The honest circuit, without a key of its own: the registry's key is the prover's.
    let mut no_key = zk::circuit_input(&honest).await;
    no_key.as_object_mut().unwrap().remove("verifyingKey");
    let data = app
        .ok(
            "mutation($input: CircuitInput!) { registerCircuit(input: $input) { id vkSha256 commitment boundToWeights compiledSha256 } }",
            json!({ "input": no_key }),
        )
        .await;
    let circuit = &data["registerCircuit"];
    assert_eq!(circuit["vkSha256"], fx.circuit.vk_sha256);
    assert_eq!(circuit["commitment"], fx.circuit.commitment);
    assert_eq!(circuit["boundToWeights"], true);
    assert_eq!(circuit["compiledSha256"].as_str().map(str::len), Some(64));

    // Its tokens register; a proof that names another proof system version does not.
    let s1 = zk::seed(1);
    let (traits, record) = zk::prove(s1).await;
    let mut older = record.clone();
    older.system_version = "23.0.4".into();
    let body = app.gql(REGISTER_TOKEN, json!({ "input": zk::token_input(&honest, 1, s1, &traits, &older) })).await;
    assert_eq!(code(&body), "PROOF_INVALID", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/proof/systemVersion");
    app.ok(REGISTER_TOKEN, json!({ "input": zk::token_input(&honest, 1, s1, &traits, &record) })).await;
    // A bound circuit is one per version.
    let body = app.gql(REGISTER_CIRCUIT, json!({ "input": zk::circuit_input(&honest).await })).await;
    assert_eq!(code(&body), "CONFLICT", "{body:#}");

    // A circuit registered before circuits were bound (its key the registrant's word):
    // shown as not bound, and the version may register a bound one, which it then uses.
    use sea_orm::{ActiveModelTrait as _, EntityTrait as _};
    let legacy_version = app.proven_version_without_circuit("legacy").await;
    let bound_row = app.registry.circuit_of(honest.parse().unwrap()).await.unwrap().unwrap();
    let legacy = provreg_entities::circuit::Model {
        id: uuid::Uuid::now_v7(),
        model_version_id: legacy_version.parse().unwrap(),
        bound_to_weights: false,
        compiled_sha256: None,
        ..bound_row
    };
    provreg_entities::circuit::Entity::insert(provreg_entities::circuit::ActiveModel::from(legacy.clone()).reset_all())
        .exec_without_returning(&app.registry.db)
        .await
        .unwrap();
    const CIRCUIT_OF: &str = "query($id: String!) { modelVersion(id: $id) { circuit { id boundToWeights } } }";
    let shown = app.ok(CIRCUIT_OF, json!({ "id": legacy_version })).await;
    assert_eq!(shown["modelVersion"]["circuit"]["boundToWeights"], false, "{shown:#}");
    let rebound = app.ok(REGISTER_CIRCUIT, json!({ "input": zk::circuit_input(&legacy_version).await })).await;
    let shown = app.ok(CIRCUIT_OF, json!({ "id": legacy_version })).await;
    assert_eq!(shown["modelVersion"]["circuit"]["boundToWeights"], true, "{shown:#}");
    assert_eq!(shown["modelVersion"]["circuit"]["id"], rebound["registerCircuit"]["id"]);
}

async fn tokens_need_a_circuit_and_an_active_model_version(app: TestApp) {
    let s1 = zk::seed(1);
    let (traits, record) = zk::prove(s1).await;
    let bare = app.proven_version_without_circuit("no-circuit").await;
    let body = app.gql(REGISTER_TOKEN, json!({ "input": zk::token_input(&bare, 1, s1, &traits, &record) })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/modelVersion");

    let version = app.proven_version("trait-generator").await;
    let mut input = zk::token_input(&version, 1, s1, &traits, &record);
    // A chain or beacon seed needs a collection that assigns them; a round belongs to beacon seeds.
    for (source, pointer) in [
        (json!({ "kind": "CHAIN" }), "/seedSource/kind"),
        (json!({ "kind": "BEACON", "round": 7, "signature": "ab".repeat(48) }), "/seedSource/kind"),
        (json!({ "kind": "OPERATOR", "round": 7 }), "/seedSource/round"),
    ] {
        input["seedSource"] = source;
        let body = app.gql(REGISTER_TOKEN, json!({ "input": input })).await;
        assert_eq!(body["errors"][0]["extensions"]["pointer"], pointer, "{body:#}");
        assert_eq!(app.count("tokens").await, 0);
    }

    app.ok(
        "mutation($id: String!) { setModelVersionStatus(id: $id, status: REVOKED, reason: \"leaked data\") { id } }",
        json!({ "id": version }),
    )
    .await;
    let body = app.gql(REGISTER_TOKEN, json!({ "input": zk::token_input(&version, 1, s1, &traits, &record) })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("revoked"), "{body:#}");
    assert_eq!(app.count("tokens").await, 0);
}

async fn an_uploaded_png_gets_its_certificate_embedded(app: TestApp) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let version = app.proven_version("trait-generator").await;
    let s1 = zk::seed(1);
    let (traits, record) = zk::prove(s1).await;
    let png = hex::decode(TINY_PNG).unwrap();
    let mut input = zk::token_input(&version, 3, s1, &traits, &record);
    input["mediaType"] = json!("image/png");
    input["assetSha256"] = json!(hex::encode(sha2::Sha256::digest(&png)));

    // The uploaded bytes must be the asset the hash names.
    let mut wrong = input.clone();
    wrong["asset"] = json!(base64::engine::general_purpose::STANDARD.encode(b"not the image"));
    let body = app.gql(REGISTER_TOKEN, json!({ "input": wrong })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/asset");
    // Only PNG and JPEG assets are uploaded.
    let mut other_type = input.clone();
    other_type["mediaType"] = json!("image/gif");
    other_type["asset"] = json!(base64::engine::general_purpose::STANDARD.encode(&png));
    let body = app.gql(REGISTER_TOKEN, json!({ "input": other_type })).await;
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/mediaType", "{body:#}");
    assert_eq!(app.count("tokens").await, 0);

    input["asset"] = json!(base64::engine::general_purpose::STANDARD.encode(&png));
    let token = app.ok(REGISTER_TOKEN, json!({ "input": input })).await["registerToken"].clone();
    let id = uuid::Uuid::parse_str(token["id"].as_str().unwrap()).unwrap();
    let asset = app.registry.token_asset(id).await.unwrap().expect("the signed asset is kept");
    assert_eq!(asset.media_type, "image/png");
    assert!(asset.signed_asset.len() > png.len(), "the manifest is embedded");
    assert!(asset.signed_asset.starts_with(&png[..8]), "still a PNG");

    // The embedded certificate validates against the signed image, trusted under the dev CA.
    let cert = app.registry.certificate_of(id).await.unwrap().unwrap();
    let ca = std::fs::read_to_string(crate::helpers::test_data_dir().join("ca/ca.pem")).unwrap();
    let view = provreg_certs::inspect(&cert.manifest_store, "image/png", Some(&asset.signed_asset), Some(&ca)).unwrap();
    assert_eq!(view.validation_state, "Trusted", "{:?}", view.validation_errors);
    // One changed pixel byte breaks the binding.
    let mut changed = asset.signed_asset.clone();
    let idat = changed.windows(4).position(|w| w == b"IDAT").unwrap();
    changed[idat + 8] ^= 0x01;
    let view = provreg_certs::inspect(&cert.manifest_store, "image/png", Some(&changed), Some(&ca)).unwrap();
    assert_eq!(view.validation_state, "Invalid");
}

async fn without_a_running_verifier_tokens_are_refused_as_unavailable(app: TestApp) {
    use provreg_prover_client::{EzklBackend, EzklConfig};
    use provreg_server::error::AppError;
    use provreg_server::service::proofs::ProofChecker;
    let version = app.proven_version("trait-generator").await;
    let s1 = zk::seed(1);
    let (traits, record) = zk::prove(s1).await;
    let dir = tempfile::tempdir().unwrap();
    let broken = EzklBackend::new(EzklConfig::new(dir.path()).with_python("/nonexistent/python3"));
    let registry = app.registry.clone().with_proofs(ProofChecker::new(broken, dir.path().join("registered")));
    let mut input = zk::token_input(&version, 1, s1, &traits, &record);
    input["seedSource"]["kind"] = json!("operator");
    let input = serde_json::from_value(input).unwrap();
    match registry.register_token(&input).await {
        Err(e @ AppError::Unavailable(_)) => assert_eq!(e.code(), "UNAVAILABLE"),
        other => panic!("expected UNAVAILABLE, got {other:?}"),
    }
    assert_eq!(app.count("tokens").await, 0);
    assert_eq!(app.count("proof_records").await, 0);
}
