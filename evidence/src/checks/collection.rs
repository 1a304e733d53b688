//! `collection` and `collection.chain`: a token minted in a collection the registry deployed.
//!
//! `collection`: the bundle's collection record is of the token's chain and contract, its
//! model version and its circuit. `collection.chain` (with `--rpc`): the contract at that
//! address calls the recorded verifier, the verifier's runtime code hashes to the recorded
//! code hash, the token's `AigcData` event is of the bundle's seed, traits and proof, and the
//! contract's own `verify` accepts them, so the chain itself checked the proof.
use provreg_anchor::alloy_types::{Address, U256};
use provreg_anchor::{CollectionReader, aigc_data_from_field_elements};
use provreg_schema::RecordKind;

use crate::CheckError;
use crate::checks::Checks;
use crate::options::VerifyOptions;
use crate::parse::{CollectionPayload, ParsedBundle, TokenPayload};
use crate::report::{CheckName, Status};

pub(super) async fn check(checks: &mut Checks, parsed: &ParsedBundle<'_>, opts: &VerifyOptions) {
    let token_ref = &parsed.token_ref;
    let Some(token) = parsed.records.iter().find(|r| &r.reference == token_ref).and_then(|r| r.token()) else {
        return; // the bundle and zk checks report an unreadable token
    };
    let collections: Vec<_> = parsed.records.iter().filter(|r| r.reference.kind == RecordKind::Collection).collect();
    let mine: Vec<(&str, &CollectionPayload)> = collections
        .iter()
        .filter_map(|r| r.collection().map(|c| (r.reference.id.as_str(), c)))
        .filter(|(_, c)| c.chain_id == token.chain_id && c.address.eq_ignore_ascii_case(&token.contract))
        .collect();
    let collection = match mine.as_slice() {
        [] if token.on_chain.is_some() => {
            let stated = token.on_chain.as_ref().map(|m| m.collection.clone()).unwrap_or_default();
            let err = CheckError::CollectionMissing(stated);
            checks.push(CheckName::Collection, token_ref, Err(err));
            return;
        }
        [] if collections.is_empty() => {
            let detail = "the token's contract is not a collection the registry deployed: minted off chain";
            checks.with(CheckName::Collection, token_ref, Status::Skipped, detail);
            return;
        }
        [] => {
            let found = collections[0].collection().map(|c| c.address.clone()).unwrap_or_default();
            let err =
                CheckError::CollectionField { field: "address", collection: found, token: token.contract.clone() };
            checks.push(CheckName::Collection, token_ref, Err(err));
            return;
        }
        [(id, one)] => {
            checks.push(CheckName::Collection, token_ref, matches_token(id, one, token));
            *one
        }
        _ => {
            checks.push(CheckName::Collection, token_ref, Err(CheckError::CollectionTwice));
            return;
        }
    };
    match &opts.rpc_url {
        None => checks.with(
            CheckName::CollectionChain,
            token_ref,
            Status::Unconfirmed,
            "no --rpc: the chain's own check of the proof is not looked up",
        ),
        Some(rpc) => {
            let result = on_chain(rpc, collection, token, parsed).await;
            checks.push(CheckName::CollectionChain, token_ref, result);
        }
    }
}

fn matches_token(id: &str, c: &CollectionPayload, t: &TokenPayload) -> Result<String, CheckError> {
    let field = |field, collection: &str, token: &str| {
        if collection == token {
            Ok(())
        } else {
            Err(CheckError::CollectionField { field, collection: collection.to_owned(), token: token.to_owned() })
        }
    };
    field("modelVersion", &c.model_version, &t.model_version)?;
    if let Some(mint) = &t.on_chain {
        field("id", id, &mint.collection)?;
    }
    field("circuit", &c.circuit, &t.circuit.id)?;
    Ok(format!(
        "minted in collection {} of model version {}, verified by {}",
        c.address, c.model_version, c.verifier.address
    ))
}

async fn on_chain(
    rpc: &str,
    c: &CollectionPayload,
    token: &TokenPayload,
    parsed: &ParsedBundle<'_>,
) -> Result<String, CheckError> {
    let fail = |problem: String| CheckError::CollectionOnChain { address: c.address.clone(), problem };
    let address: Address = c.address.parse().map_err(|e| fail(format!("not an address: {e}")))?;
    let verifier: Address = c.verifier.address.parse().map_err(|e| fail(format!("verifier not an address: {e}")))?;
    let reader = CollectionReader::connect(rpc, address).map_err(|e| fail(e.to_string()))?;
    let params = reader.params().await.map_err(|e| fail(format!("cannot read its parameters: {e}")))?;
    if params.verifier != verifier {
        return Err(fail(format!("it calls verifier {}, not the recorded {verifier}", params.verifier)));
    }
    let code = reader.code_hash_at(verifier).await.map_err(|e| fail(e.to_string()))?;
    if !format!("{code:#x}").eq_ignore_ascii_case(&c.verifier.code_hash) {
        return Err(fail(format!(
            "the verifier's code hashes to {code:#x}, not the recorded {}",
            c.verifier.code_hash
        )));
    }
    let seed = provreg_prover_client::seed::parse_seed(&token.input_seed).map_err(|e| fail(e.to_string()))?;
    let record = &parsed.bundle.proof.record;
    let aigc = aigc_data_from_field_elements(&record.public_outputs).map_err(|e| fail(e.to_string()))?;
    let id: U256 = token.token_id.parse().map_err(|e| fail(format!("token ID {}: {e}", token.token_id)))?;
    let minted = reader.minted_token(id, c.deploy_block).await.map_err(|e| fail(e.to_string()))?;
    let Some(minted) = minted else {
        return Err(fail(format!("token {} was never minted there", token.token_id)));
    };
    if !minted.matches(&seed, &aigc, &record.proof) {
        return Err(fail(format!(
            "token {} was minted with another seed, other traits or another proof than the bundle's",
            token.token_id
        )));
    }
    if !reader.verify(&seed, &aigc, &record.proof).await.map_err(|e| fail(e.to_string()))? {
        return Err(fail("its verify() refuses the bundle's seed, traits and proof".to_owned()));
    }
    let tx = minted.tx_hash.map(|t| format!(" in transaction {t:#x}")).unwrap_or_default();
    Ok(format!(
        "token {} minted{tx} with this seed, these traits and this proof; the contract's verify() accepts them and \
         its verifier's code is the recorded {}",
        token.token_id, c.verifier.code_hash
    ))
}
