//! One token: proven from its seed, drawn, minted on chain when the spec asks, and registered
//! with its proof and PNG, unless it is registered already.

use std::time::{Duration, Instant};

use base64::Engine as _;
use provreg_prover_client::{Circuit, EzklBackend, ProofRecord, Prover};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::error::{CollectionError, Result};
use crate::onchain::{Kept, MintReport, Minter};
use crate::queries::{REGISTER_TOKEN, TOKEN};
use crate::spec::{PlannedToken, Spec};
use crate::summary::{TokenOutcome, TokenResult};

/// One token: skipped when registered, otherwise proven, drawn and registered. `Err` only
/// for errors that concern the whole run.
pub(crate) async fn token(
    client: &Client,
    spec: &Spec,
    backend: &EzklBackend,
    circuit: &Circuit,
    version: &str,
    planned: &PlannedToken,
    minter: Option<&Minter>,
) -> Result<TokenOutcome> {
    let id = planned.token_id;
    let seed_hex = hex::encode(planned.seed);
    let key = json!({ "chain": spec.collection.chain_id, "contract": spec.contract(), "id": id.to_string() });
    let data = client.request("token", TOKEN, key).await?;
    if !data["token"].is_null() {
        return Ok(existing_token(client, id, &data["token"], &seed_hex, version));
    }

    let mut minted = None;
    let kept = match minter {
        Some(minter) => {
            if let Some(event) = minter.minted(id).await? {
                // Minted by an earlier run that stopped before registering it: registered with
                // the proof the chain accepted, which that run kept.
                if !event.is_of_seed(&planned.seed) {
                    return Ok(TokenOutcome::new(
                        id,
                        TokenResult::Failed(format!(
                            "minted on chain in {} with another seed than the spec's 0x{seed_hex}; not registered",
                            minter.report.address
                        )),
                    ));
                }
                let report = MintReport {
                    tx_hash: event.tx_hash.map(|tx| format!("{tx:#x}")).unwrap_or_default(),
                    block_number: event.block_number.unwrap_or_default(),
                    gas_used: None,
                };
                match minter.kept(id, &seed_hex) {
                    Some(kept) if event.is_of_proof(&kept.record.proof) => {
                        minted = Some(report);
                        Some(kept)
                    }
                    _ => {
                        return Ok(TokenOutcome::new(
                            id,
                            TokenResult::Failed(format!(
                                "minted on chain (transaction {}), but the proof it was minted with is not in {}; \
                                 register it with that proof (its AigcData event carries it)",
                                report.tx_hash,
                                minter.kept_dir().display()
                            )),
                        ));
                    }
                }
            } else {
                // Proven by an earlier run that stopped before minting: the same proof again.
                minter.kept(id, &seed_hex)
            }
        }
        None => None,
    };
    let (traits, record, proof_time) = match kept {
        Some(kept) => (kept.traits, kept.record, None),
        None => {
            let input =
                match provreg_prover_client::seed::model_input(&planned.seed, circuit.input_len, circuit.input_scale) {
                    Ok(input) => input,
                    Err(e) => {
                        return Ok(TokenOutcome::new(
                            id,
                            TokenResult::Failed(format!("deriving the model input: {e}")),
                        ));
                    }
                };
            let proving = Instant::now();
            let (traits, record) = match backend.prove(circuit, &input).await {
                Ok(proven) => proven,
                Err(e) => return Ok(TokenOutcome::new(id, TokenResult::Failed(format!("proving: {e}")))),
            };
            let proof_time = proving.elapsed();
            if let Some(minter) = minter {
                let kept = Kept { seed: format!("0x{seed_hex}"), traits: traits.clone(), record: record.clone() };
                minter.keep(id, &kept)?;
            }
            (traits, record, Some(proof_time))
        }
    };
    let png = match spec.renderer().and_then(|renderer| Ok(renderer.render(&traits)?)) {
        Ok(png) => png,
        Err(e) => return Ok(TokenOutcome::new(id, TokenResult::Failed(format!("drawing the asset: {e}")))),
    };
    if let (Some(minter), None) = (minter, &minted) {
        match minter.mint(id, &planned.seed, &record).await? {
            Ok(report) => minted = Some(report),
            Err(why) => return Ok(TokenOutcome::new(id, TokenResult::Failed(why))),
        }
    }

    let mut seed_source = json!({ "kind": spec.seeds.kind.graphql() });
    if let Some(beacon) = &planned.beacon {
        seed_source["round"] = json!(beacon.round);
        seed_source["signature"] = json!(hex::encode(beacon.signature));
    }
    let mut input = json!({
        "chainId": spec.collection.chain_id,
        "contract": spec.contract(),
        "tokenId": id.to_string(),
        "modelVersion": version,
        "assetSha256": hex::encode(Sha256::digest(&png)),
        "mediaType": "image/png",
        "name": format!("{} #{id}", spec.collection.name.trim()),
        "inputSeed": format!("0x{seed_hex}"),
        "seedSource": seed_source,
        "traits": traits.iter().map(|t| f64::from(*t)).collect::<Vec<_>>(),
        "proof": proof_input(&record),
        "asset": base64::engine::general_purpose::STANDARD.encode(&png),
    });
    if let Some(description) = &spec.collection.description {
        input["description"] = json!(description);
    }
    match register(client, &input, minted.is_some()).await {
        Ok(data) => {
            let mut outcome = TokenOutcome::new(id, TokenResult::Registered);
            outcome.proof_time = proof_time;
            outcome.mint = minted;
            outcome.metadata_url = data["registerToken"]["metadataPath"].as_str().map(|p| url(client, p));
            outcome.asset_url = data["registerToken"]["assetPath"].as_str().map(|p| url(client, p));
            Ok(outcome)
        }
        Err(CollectionError::Registry(refused)) if refused.code() == Some("CONFLICT") => {
            // Registered by someone else since the check: look at what is there.
            let key = json!({ "chain": spec.collection.chain_id, "contract": spec.contract(), "id": id.to_string() });
            let data = client.request("token", TOKEN, key).await?;
            if data["token"].is_null() {
                return Ok(TokenOutcome::new(id, TokenResult::Failed(refused.to_string())));
            }
            Ok(existing_token(client, id, &data["token"], &seed_hex, version))
        }
        Err(CollectionError::Registry(refused)) if refused.is_about_the_input() => {
            Ok(TokenOutcome::new(id, TokenResult::Failed(refused.to_string())))
        }
        Err(e) => Err(e),
    }
}

/// How long a minted token's registration is retried while the registry waits for more
/// confirmations of its mint.
const CONFIRMATION_WAIT: Duration = Duration::from_secs(300);

/// `registerToken` with `input`; a minted token the registry refuses for want of
/// confirmations (rule `confirmations`) is sent again every two seconds, for up to five
/// minutes.
async fn register(client: &Client, input: &Value, minted: bool) -> Result<Value> {
    let started = Instant::now();
    loop {
        match client.request("registerToken", REGISTER_TOKEN, json!({ "input": input })).await {
            Err(CollectionError::Registry(refused))
                if minted && refused.rule() == Some("confirmations") && started.elapsed() < CONFIRMATION_WAIT =>
            {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            answer => return answer,
        }
    }
}

/// A token found registered: skipped if it is this seed from this version, failed otherwise.
fn existing_token(client: &Client, id: u64, token: &Value, seed_hex: &str, version: &str) -> TokenOutcome {
    let seed = token["inputSeed"].as_str().unwrap_or_default().trim_start_matches("0x");
    let by = token["modelVersion"]["id"].as_str().unwrap_or_default();
    let result = if !seed.eq_ignore_ascii_case(seed_hex) {
        TokenResult::Failed(format!(
            "already registered with another seed (0x{seed}, the spec gives 0x{seed_hex}); not overwritten"
        ))
    } else if by != version {
        TokenResult::Failed(format!("already registered from model version {by}, not {version}; not overwritten"))
    } else {
        TokenResult::AlreadyRegistered
    };
    let mut outcome = TokenOutcome::new(id, result);
    outcome.metadata_url = token["metadataPath"].as_str().map(|p| url(client, p));
    outcome.asset_url = token["assetPath"].as_str().map(|p| url(client, p));
    outcome
}

fn url(client: &Client, path: &str) -> String {
    format!("{}{path}", client.base())
}

/// The `ProofRecordInput` (GraphQL `registerToken`) of `record`.
pub fn proof_input(record: &ProofRecord) -> Value {
    json!({
        "system": record.system,
        "systemVersion": record.system_version,
        "vkSha256": record.vk_sha256,
        "settingsSha256": record.settings_sha256,
        "modelCommitment": record.model_commitment,
        "publicInputs": record.public_inputs,
        "publicOutputs": record.public_outputs,
        "proof": hex::encode(&record.proof),
    })
}
