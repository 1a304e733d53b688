//! Circuits and tokens: a model version's zkML circuit, and the tokens it generated, each
//! accepted only with a proof that verifies against that circuit.
use base64::Engine as _;
use provreg_entities::{circuit, circuit_file, model, proof_record, token, token_asset};
use provreg_prover_client::{ProofRecord, field, seed};
use provreg_schema::RecordKind;
use provreg_seed::SeedOrigin;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::mint::Minted;
use super::seal::{digest_bytes, ingredient};
use super::seed::SeededToken;
use super::{Registry, envelope, now, record_claim};
use crate::error::{AppError, AppResult, map_unique};
use crate::payload::TokenInput;
use provreg_certs::{Action, CertificateRequest, IngredientRelation, Subject};

/// Largest uint256, the bound of a token ID.
const UINT256_MAX: &str = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

/// Media types whose assets get the certificate embedded.
const EMBEDDABLE: [&str; 2] = ["image/png", "image/jpeg"];

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(super) fn base64_field(pointer: &str, text: &str) -> AppResult<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| AppError::bad_input(pointer, "contentEncoding", format!("not base64: {e}")))?;
    if bytes.is_empty() {
        return Err(AppError::bad_input(pointer, "minLength", "must not be empty"));
    }
    Ok(bytes)
}

/// A token ID without leading zeros, checked to fit a uint256.
fn normalise_token_id(s: &str) -> AppResult<String> {
    let trimmed = s.trim_start_matches('0');
    let id = if trimmed.is_empty() { "0" } else { trimmed };
    if id.len() > UINT256_MAX.len() || (id.len() == UINT256_MAX.len() && id > UINT256_MAX) {
        return Err(AppError::bad_input("/tokenId", "maximum", "the token ID does not fit a uint256"));
    }
    Ok(id.to_owned())
}

fn felt_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("0x").eq_ignore_ascii_case(b.trim_start_matches("0x"))
}

/// The canonical digest of a proof record: SHA-256 of its RFC 8785 JSON.
pub fn proof_record_digest(record: &ProofRecord) -> AppResult<String> {
    let value = serde_json::to_value(record).map_err(AppError::from_display)?;
    Ok(provreg_schema::canonicalize(&value)?.digest_hex())
}

/// A stored proof record in the prover client's form.
pub fn proof_record_of(row: &proof_record::Model) -> AppResult<ProofRecord> {
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).map_err(AppError::from_display);
    Ok(ProofRecord {
        system: row.system.clone(),
        system_version: row.system_version.clone(),
        vk_sha256: row.vk_sha256.clone(),
        settings_sha256: row.settings_sha256.clone(),
        model_commitment: row.model_commitment.clone(),
        public_inputs: list(&row.public_inputs)?,
        public_outputs: list(&row.public_outputs)?,
        proof: row.proof.clone(),
    })
}

impl Registry {
    /// Registers a generated token. The proof must be for the model version's circuit, its
    /// public input must be the input derived from `inputSeed`, its public output must be
    /// `traits`, and it must verify; otherwise `PROOF_INVALID` naming what did not match,
    /// and nothing is stored. The token, its proof record, its certificate (the model
    /// version's certificate as `inputTo` ingredient) and its log entry are written in one
    /// transaction. A PNG or JPEG `asset` gets the certificate embedded.
    ///
    /// When the token's contract is a recorded collection, the token must be minted there as
    /// registered (see [`Registry::check_mint`]), checked before the proof; the minting
    /// transaction, its block, the owner and the collection go into the stored record as
    /// `onChain`.
    pub async fn register_token(&self, input: &TokenInput) -> AppResult<token::Model> {
        let mut payload = self.validated_payload(RecordKind::Token, input)?;
        let contract = input.contract.to_ascii_lowercase();
        let token_id = normalise_token_id(&input.token_id)?;
        let seed_hex = input.input_seed.trim_start_matches("0x").to_ascii_lowercase();
        let seed_bytes =
            seed::parse_seed(&seed_hex).map_err(|e| AppError::bad_input("/inputSeed", "pattern", e.to_string()))?;
        let (version_id, version) = self.named_model_version(&input.model_version).await?;
        let status = self.status_of(version_id).await?;
        if status.status == "revoked" {
            return Err(AppError::bad_input(
                "/modelVersion",
                "status",
                format!("model version {version_id} is revoked; it cannot register new tokens"),
            ));
        }
        let Some(circuit) = self.circuit_of(version_id).await? else {
            return Err(AppError::bad_input(
                "/modelVersion",
                "circuit",
                format!("model version {version_id} has no registered circuit; register one with registerCircuit"),
            ));
        };
        if let Some(existing) = self.token_by_key(input.chain_id, &contract, &token_id).await? {
            return Err(AppError::Conflict {
                message: format!(
                    "token {token_id} of contract {contract} on chain {} is already registered",
                    input.chain_id
                ),
                existing_id: Some(existing.id.to_string()),
            });
        }
        if let Some(other) = self.token_by_seed(input.chain_id, &contract, &seed_hex).await? {
            return Err(AppError::bad_input(
                "/inputSeed",
                "unique",
                format!(
                    "seed 0x{seed_hex} already made token {} of this contract; each token needs its own seed (one \
                     seed's proof cannot back a second token)",
                    other.token_id
                ),
            ));
        }
        let asset = match &input.asset {
            Some(text) => {
                let bytes = base64_field("/asset", text)?;
                if sha256_hex(&bytes) != input.asset_sha256 {
                    return Err(AppError::bad_input("/asset", "const", "the asset's SHA-256 is not assetSha256"));
                }
                if !EMBEDDABLE.contains(&input.media_type.as_str()) {
                    return Err(AppError::bad_input(
                        "/mediaType",
                        "enum",
                        "only image/png and image/jpeg assets can be uploaded; register other media by hash",
                    ));
                }
                Some(bytes)
            }
            None => None,
        };

        let record = ProofRecord {
            system: input.proof.system.clone(),
            system_version: input.proof.system_version.clone(),
            vk_sha256: input.proof.vk_sha256.clone(),
            settings_sha256: input.proof.settings_sha256.clone(),
            model_commitment: input.proof.model_commitment.clone(),
            public_inputs: input.proof.public_inputs.clone(),
            public_outputs: input.proof.public_outputs.clone(),
            proof: hex::decode(&input.proof.proof)
                .map_err(|e| AppError::bad_input("/proof/proof", "pattern", format!("not hex: {e}")))?,
        };
        // The seed is its source's, then a token of a recorded collection is registered as the
        // chain minted it.
        let collection = self.collection_at(input.chain_id, &contract).await?;
        let seeded = SeededToken {
            chain_id: input.chain_id,
            contract: &contract,
            token_id: &token_id,
            seed: &seed_bytes,
            source: &input.seed_source,
        };
        let seed_record = self.check_seed(collection.as_ref(), &seeded).await?;
        let seed_json = serde_json::to_value(&seed_record).map_err(AppError::from_display)?;
        let mint = match collection {
            Some(collection) => {
                let token = Minted {
                    version_id,
                    circuit: &circuit,
                    token_id: &token_id,
                    seed: &seed_bytes,
                    traits: &input.traits,
                    proof: &record.proof,
                };
                Some(self.check_mint(collection, &token).await?)
            }
            None => None,
        };
        self.check_proof(&circuit, &record, &seed_bytes, &input.traits).await?;
        let derivation = asset_derivation(&circuit, &record, input)?;
        let proof_digest = proof_record_digest(&record)?;

        // The stored record: the payload with normalised identifiers, and the proof by digest.
        payload["contract"] = json!(contract);
        payload["tokenId"] = json!(token_id);
        payload["inputSeed"] = json!(seed_hex);
        payload["circuit"] = json!({ "id": circuit.id.to_string(), "commitment": circuit.commitment });
        payload["proof"] = json!({
            "digest": proof_digest,
            "system": record.system,
            "systemVersion": record.system_version,
            "modelCommitment": record.model_commitment,
        });
        if let Some(mint) = &mint {
            payload["onChain"] = mint.payload();
        }
        payload["seed"] = seed_json.clone();
        payload["assetDerivation"] = derivation.clone();
        let id = Uuid::now_v7();
        let at = now();
        let canonical = envelope(RecordKind::Token, id, at, &payload)?;

        let version_cert = self.certificate_of(version_id).await?;
        let model_name = model::Entity::find_by_id(version.model_id).one(&self.db).await?.map(|m| m.name);
        let version_title = format!("{} {}", model_name.as_deref().unwrap_or("model"), version.version_label);
        let mut ingredients = Vec::new();
        if let Some(cert) = &version_cert {
            ingredients.push(ingredient(version_title.clone(), IngredientRelation::InputTo, cert)?);
        }
        let mut lineage = json!({
            "modelVersion": { "id": version_id.to_string(), "digest": version.digest },
            "circuit": { "id": circuit.id.to_string(), "commitment": circuit.commitment },
            "proof": { "digest": proof_digest, "system": record.system },
            "inputSeed": seed_hex,
            "seedSource": input.seed_source,
            "seed": seed_json,
        });
        if let Some(mint) = &mint {
            lineage["onChain"] = mint.payload();
        }
        lineage["assetDerivation"] = derivation;
        let request = CertificateRequest {
            subject: Subject::Token,
            title: input.name.clone().unwrap_or_else(|| format!("{version_title} token {token_id}")),
            format: input.media_type.clone(),
            bound_sha256: digest_bytes(&input.asset_sha256)?,
            action: Action::Generated,
            record: record_claim(&canonical)?,
            lineage: Some(lineage),
            license_terms: None,
            ingredients,
        };
        let (signed_asset, cert) = match &asset {
            Some(bytes) => {
                let (signed, cert) = self.issue_embedded_certificate(RecordKind::Token, id, &request, bytes)?;
                (Some(signed), cert)
            }
            None => (None, self.issue_certificate(RecordKind::Token, id, &request)?),
        };

        let row = token::Model {
            id,
            chain_id: input.chain_id,
            contract: contract.clone(),
            token_id: token_id.clone(),
            model_version_id: version_id,
            circuit_id: circuit.id,
            asset_sha256: input.asset_sha256.clone(),
            media_type: input.media_type.clone(),
            input_seed: seed_hex,
            seed_source_kind: seed_record.origin.source().to_owned(),
            seed_request_id: None,
            seed_tx_hash: match &seed_record.origin {
                SeedOrigin::Chain(c) => c.reveal_tx.clone(),
                _ => None,
            },
            traits: serde_json::to_string(&input.traits).map_err(AppError::from_display)?,
            name: input.name.clone(),
            digest: canonical.digest_hex(),
            canonical: canonical.bytes,
            created_at: at,
            mint_tx: mint.as_ref().map(|m| m.tx_hash.clone()),
            mint_block: mint
                .as_ref()
                .map(|m| i64::try_from(m.block_number))
                .transpose()
                .map_err(AppError::from_display)?,
            owner: mint.map(|m| m.owner),
        };
        let proof_row = proof_record::Model {
            id: Uuid::now_v7(),
            token_id: id,
            system: record.system,
            system_version: record.system_version,
            vk_sha256: record.vk_sha256,
            settings_sha256: record.settings_sha256,
            model_commitment: record.model_commitment,
            public_inputs: serde_json::to_string(&record.public_inputs).map_err(AppError::from_display)?,
            public_outputs: serde_json::to_string(&record.public_outputs).map_err(AppError::from_display)?,
            proof: record.proof,
            digest: proof_digest,
            verified_at: at,
        };
        let duplicate =
            || format!("token {token_id} of contract {contract} on chain {} is already registered", input.chain_id);
        let (txn, _turn) = self.begin_write().await?;
        token::Entity::insert(token::ActiveModel::from(row.clone()).reset_all())
            .exec_without_returning(&txn)
            .await
            .map_err(|e| map_unique(e, duplicate))?;
        proof_record::Entity::insert(proof_record::ActiveModel::from(proof_row).reset_all())
            .exec_without_returning(&txn)
            .await?;
        if let Some(signed) = signed_asset {
            let asset_row =
                token_asset::Model { token_id: id, media_type: input.media_type.clone(), signed_asset: signed };
            token_asset::Entity::insert(token_asset::ActiveModel::from(asset_row).reset_all())
                .exec_without_returning(&txn)
                .await?;
        }
        super::seal::store(&txn, RecordKind::Token, id, &row.digest, Some(cert)).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// The checks behind `PROOF_INVALID`, cheapest first; the proof itself last.
    async fn check_proof(
        &self,
        circuit: &circuit::Model,
        record: &ProofRecord,
        seed_bytes: &[u8; 32],
        traits: &[f64],
    ) -> AppResult<()> {
        let identities = [
            ("/proof/system", &record.system, &circuit.proof_system, "proof system"),
            ("/proof/modelCommitment", &record.model_commitment, &circuit.commitment, "model commitment"),
            ("/proof/vkSha256", &record.vk_sha256, &circuit.vk_sha256, "verifying key"),
            ("/proof/settingsSha256", &record.settings_sha256, &circuit.settings_sha256, "circuit settings"),
        ];
        for (pointer, given, expected, what) in identities {
            if given != expected {
                return Err(AppError::proof_invalid(
                    pointer,
                    format!(
                        "the proof is for {what} {given}, but the model version's circuit has {expected}: it is a proof of another model"
                    ),
                ));
            }
        }
        if record.system_version != circuit.system_version {
            return Err(AppError::proof_invalid(
                "/proof/systemVersion",
                format!(
                    "the proof was made with {} {}, but the circuit's keys are of {} {}",
                    record.system, record.system_version, circuit.proof_system, circuit.system_version
                ),
            ));
        }
        let input_len = usize::try_from(circuit.input_len).unwrap_or_default();
        let input_scale = u32::try_from(circuit.input_scale).unwrap_or_default();
        let expected_inputs = seed::model_input(seed_bytes, input_len, input_scale)
            .and_then(|values| {
                values.iter().map(|v| field::quantise(f64::from(*v), input_scale)).collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| AppError::Internal(format!("deriving the model input: {e}")))?;
        if record.public_inputs.len() != expected_inputs.len()
            || !record.public_inputs.iter().zip(&expected_inputs).all(|(a, b)| felt_eq(a, b))
        {
            return Err(AppError::proof_invalid(
                "/proof/publicInputs",
                "the proof's public input is not the model input derived from inputSeed: it proves a run on another seed",
            ));
        }
        let output_len = usize::try_from(circuit.output_len).unwrap_or_default();
        let output_scale = u32::try_from(circuit.output_scale).unwrap_or_default();
        if traits.len() != output_len {
            return Err(AppError::proof_invalid(
                "/traits",
                format!("the circuit outputs {output_len} values; {} traits were given", traits.len()),
            ));
        }
        if record.public_outputs.len() != output_len {
            return Err(AppError::proof_invalid(
                "/proof/publicOutputs",
                format!("the circuit outputs {output_len} values; the proof has {}", record.public_outputs.len()),
            ));
        }
        for (i, (value, felt)) in traits.iter().zip(&record.public_outputs).enumerate() {
            let quantised = field::quantise(*value, output_scale).map_err(|_| {
                AppError::bad_input(&format!("/traits/{i}"), "range", "the trait value is out of range")
            })?;
            if !felt_eq(&quantised, felt) {
                return Err(AppError::proof_invalid(
                    &format!("/traits/{i}"),
                    format!("trait {i} ({value}) is not the proof's public output {i}"),
                ));
            }
        }
        let checker = self.proof_checker()?;
        if !checker.verify(&self.db, circuit, record).await? {
            return Err(AppError::proof_invalid(
                "/proof/proof",
                "the proof does not verify against the circuit's verifying key",
            ));
        }
        Ok(())
    }

    /// A token by its registry ID.
    pub async fn token(&self, id: Uuid) -> AppResult<Option<token::Model>> {
        Ok(token::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// A token by chain, contract (any case) and token ID (decimal).
    /// The token of `contract` on `chain_id` made from `seed_hex` (lower-case hex), if any.
    async fn token_by_seed(&self, chain_id: i64, contract: &str, seed_hex: &str) -> AppResult<Option<token::Model>> {
        Ok(token::Entity::find()
            .filter(token::Column::ChainId.eq(chain_id))
            .filter(token::Column::Contract.eq(contract))
            .filter(token::Column::InputSeed.eq(seed_hex))
            .one(&self.db)
            .await?)
    }

    pub async fn token_by_key(&self, chain_id: i64, contract: &str, token_id: &str) -> AppResult<Option<token::Model>> {
        let token_id = match normalise_token_id(token_id) {
            Ok(id) => id,
            Err(_) => return Ok(None),
        };
        Ok(token::Entity::find()
            .filter(token::Column::ChainId.eq(chain_id))
            .filter(token::Column::Contract.eq(contract.to_ascii_lowercase()))
            .filter(token::Column::TokenId.eq(token_id))
            .one(&self.db)
            .await?)
    }

    /// Tokens of a model version, oldest first, after the token with ID `after`.
    pub async fn tokens_of_model_version(
        &self,
        version: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> AppResult<Vec<token::Model>> {
        let mut query = token::Entity::find().filter(token::Column::ModelVersionId.eq(version));
        if let Some(after) = after {
            query = query.filter(token::Column::Id.gt(after));
        }
        Ok(query.order_by_asc(token::Column::Id).limit(limit).all(&self.db).await?)
    }

    /// The circuit of a model version.
    pub async fn circuit_of(&self, version: Uuid) -> AppResult<Option<circuit::Model>> {
        Ok(circuit::Entity::find()
            .filter(circuit::Column::ModelVersionId.eq(version))
            .order_by_desc(circuit::Column::BoundToWeights)
            .one(&self.db)
            .await?)
    }

    /// A circuit by its ID.
    pub async fn circuit(&self, id: Uuid) -> AppResult<Option<circuit::Model>> {
        Ok(circuit::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// A proof record by its ID.
    pub async fn proof_record(&self, id: Uuid) -> AppResult<Option<proof_record::Model>> {
        Ok(proof_record::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// The proof record a token was accepted with.
    pub async fn proof_record_of_token(&self, token: Uuid) -> AppResult<Option<proof_record::Model>> {
        Ok(proof_record::Entity::find().filter(proof_record::Column::TokenId.eq(token)).one(&self.db).await?)
    }

    /// A token's uploaded asset with its certificate embedded, if one was uploaded.
    pub async fn token_asset(&self, token: Uuid) -> AppResult<Option<token_asset::Model>> {
        Ok(token_asset::Entity::find_by_id(token).one(&self.db).await?)
    }

    /// The files proofs of circuit `id` are verified with.
    pub async fn circuit_files(&self, id: Uuid) -> AppResult<Option<circuit_file::Model>> {
        Ok(circuit_file::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// The version of the proof verifier, when one is configured.
    pub async fn verifier_version(&self) -> AppResult<Option<String>> {
        match &self.proofs {
            Some(p) => Ok(Some(p.system_version().await?)),
            None => Ok(None),
        }
    }
}

/// How the token's asset came from its proof, as the stored record and the certificate say
/// it: with a renderer named by the circuit, the asset must be exactly that renderer's output
/// for the proof's public outputs (`/asset`, or `/assetSha256` when only the hash is given,
/// rule `derivation`; `/mediaType` when it is not the renderer's media type), and the token
/// records `{ "derivedFromProof": true, "renderer", "version" }`; without one, the asset is
/// taken by hash and the token records `{ "derivedFromProof": false }`.
fn asset_derivation(circuit: &circuit::Model, record: &ProofRecord, input: &TokenInput) -> AppResult<Value> {
    let Some(renderer) = super::circuit::circuit_renderer(circuit)? else {
        return Ok(json!({ "derivedFromProof": false }));
    };
    let scale = u32::try_from(circuit.output_scale).unwrap_or_default();
    let outputs = field::outputs_f32(&record.public_outputs, scale)
        .map_err(|e| AppError::bad_input("/proof/publicOutputs", "pattern", e.to_string()))?;
    if input.media_type != renderer.media_type {
        return Err(AppError::bad_input(
            "/mediaType",
            "derivation",
            format!("the circuit's renderer {renderer} makes {}, not {}", renderer.media_type, input.media_type),
        ));
    }
    let rendered = renderer.render(&outputs).map_err(|e| {
        AppError::bad_input("/traits", "derivation", format!("{renderer} cannot draw these traits: {e}"))
    })?;
    let expected = sha256_hex(&rendered);
    if expected != input.asset_sha256 {
        let pointer = if input.asset.is_some() { "/asset" } else { "/assetSha256" };
        return Err(AppError::bad_input(
            pointer,
            "derivation",
            format!(
                "the asset is not what the circuit's renderer {renderer} draws from the proven traits (that image has \
                 SHA-256 {expected}); register the renderer's output"
            ),
        ));
    }
    Ok(json!({ "derivedFromProof": true, "renderer": renderer.name, "version": renderer.version }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_are_normalised_and_bounded() {
        assert_eq!(normalise_token_id("000").unwrap(), "0");
        assert_eq!(normalise_token_id("0042").unwrap(), "42");
        assert_eq!(normalise_token_id(UINT256_MAX).unwrap(), UINT256_MAX);
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(normalise_token_id(over).is_err());
        assert!(normalise_token_id(&"1".repeat(79)).is_err());
    }
}
