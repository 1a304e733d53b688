//! Tokens of recorded collections: registered only as the chain minted them. The registry
//! reads the collection's `AigcData` event of the token (from the collection's deployment
//! block on), checks that its block has the configured confirmations and that the event is
//! of the registration's seed, traits and proof, and reads the token's owner. It sends
//! nothing, so a refusal leaves nothing behind on chain or in the database.
use provreg_anchor::alloy_types::{Address, U256};
use provreg_anchor::{AnchorError, CollectionReader, aigc_data_from_field_elements};
use provreg_entities::{circuit, collection};
use provreg_prover_client::field;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Registry;
use crate::error::{AppError, AppResult};

/// What the chain said of a token when it was registered.
#[derive(Debug, Clone)]
pub(crate) struct Mint {
    /// The collection that minted it.
    pub collection: collection::Model,
    /// The `0x` hash of the minting transaction.
    pub tx_hash: String,
    /// Its block.
    pub block_number: u64,
    /// The token's owner at registration, lower-case `0x`.
    pub owner: String,
}

impl Mint {
    /// The `onChain` object of the stored token record.
    pub fn payload(&self) -> Value {
        json!({
            "collection": self.collection.id.to_string(),
            "txHash": self.tx_hash,
            "blockNumber": self.block_number,
            "owner": self.owner,
        })
    }
}

/// The token's traits in the collection's `aigcData` encoding: each trait quantised at the
/// circuit's output scale, one int256 word each.
fn aigc_data(traits: &[f64], output_scale: u32) -> AppResult<Vec<u8>> {
    let felts = traits
        .iter()
        .enumerate()
        .map(|(i, value)| {
            field::quantise(*value, output_scale)
                .map_err(|_| AppError::bad_input(&format!("/traits/{i}"), "range", "the trait value is out of range"))
        })
        .collect::<AppResult<Vec<_>>>()?;
    aigc_data_from_field_elements(&felts).map_err(|e| AppError::Internal(format!("encoding the traits: {e}")))
}

/// `UNAVAILABLE` for a chain that did not answer while reading `what` (e.g. `collection`) of
/// `collection`: the registration can be tried again.
pub(super) fn unreachable<'a>(
    what: &'a str,
    collection: &'a collection::Model,
) -> impl Fn(AnchorError) -> AppError + 'a {
    move |e| {
        AppError::Unavailable(format!(
            "reading {what} {} on chain {}: {e}; register the token again when the chain answers",
            collection.address, collection.chain_id
        ))
    }
}

/// The registration's token, as [`Registry::check_mint`] compares it with the chain.
pub(crate) struct Minted<'a> {
    pub version_id: Uuid,
    pub circuit: &'a circuit::Model,
    /// Decimal, normalised.
    pub token_id: &'a str,
    pub seed: &'a [u8; 32],
    pub traits: &'a [f64],
    pub proof: &'a [u8],
}

impl Registry {
    /// Checks a token of `collection` against the chain: the collection is of the token's
    /// model version and circuit (`/modelVersion`), the token is minted (`/tokenId`, rule
    /// `onChain`) in a block with the configured confirmations (`/tokenId`, rule
    /// `confirmations`), and its `AigcData` event is of the token's seed (`/inputSeed`),
    /// traits (`/traits`) and proof (`/proof/proof`), all rule `onChain`. A chain that does not
    /// answer, or no chain configured, is `UNAVAILABLE`.
    pub(crate) async fn check_mint(&self, collection: collection::Model, token: &Minted<'_>) -> AppResult<Mint> {
        if collection.model_version_id != token.version_id {
            return Err(AppError::bad_input(
                "/modelVersion",
                "collection",
                format!(
                    "contract {} is the collection of model version {}, not of {}: its tokens are that version's",
                    collection.address, collection.model_version_id, token.version_id
                ),
            ));
        }
        if collection.circuit_id != token.circuit.id {
            return Err(AppError::bad_input(
                "/modelVersion",
                "circuit",
                format!(
                    "collection {} verifies proofs of circuit {}, but the model version's circuit is now {}",
                    collection.address, collection.circuit_id, token.circuit.id
                ),
            ));
        }
        let chain = self.collection_chain()?;
        if i64::try_from(chain.access.chain_id).ok() != Some(collection.chain_id) {
            return Err(AppError::Unavailable(format!(
                "collection {} is on chain {}, but the registry reads chain {}",
                collection.address, collection.chain_id, chain.access.chain_id
            )));
        }
        let address: Address = collection
            .address
            .parse()
            .map_err(|e| AppError::Internal(format!("recorded collection address {:?}: {e}", collection.address)))?;
        let id = U256::from_str_radix(token.token_id, 10)
            .map_err(|e| AppError::Internal(format!("token ID {}: {e}", token.token_id)))?;
        let output_scale = u32::try_from(token.circuit.output_scale).unwrap_or_default();
        let aigc = aigc_data(token.traits, output_scale)?;
        let from_block = u64::try_from(collection.deploy_block).unwrap_or_default();

        let reader = CollectionReader::connect(&chain.access.rpc_url, address)
            .map_err(unreachable("collection", &collection))?;
        let Some(minted) = reader.minted_token(id, from_block).await.map_err(unreachable("collection", &collection))?
        else {
            return Err(AppError::bad_input(
                "/tokenId",
                "onChain",
                format!(
                    "token {} is not minted on collection {} (chain {}): mint it with addAigcData, then register it",
                    token.token_id, collection.address, collection.chain_id
                ),
            ));
        };
        let not_minted_with = |pointer: &str, what: &str| {
            AppError::bad_input(
                pointer,
                "onChain",
                format!(
                    "token {} of collection {} was minted with another {what}; register it with what it was minted with",
                    token.token_id, collection.address
                ),
            )
        };
        if !minted.is_of_seed(token.seed) {
            return Err(not_minted_with("/inputSeed", "seed"));
        }
        if !minted.is_of_aigc_data(&aigc) {
            return Err(not_minted_with("/traits", "traits"));
        }
        if !minted.is_of_proof(token.proof) {
            return Err(not_minted_with("/proof/proof", "proof"));
        }
        let (Some(block_number), Some(tx_hash)) = (minted.block_number, minted.tx_hash) else {
            return Err(AppError::Unavailable(format!(
                "the chain reports the mint of token {} without its block; register it again later",
                token.token_id
            )));
        };
        let head = reader.block_number().await.map_err(unreachable("collection", &collection))?;
        let confirmations = chain.access.confirmations.max(1);
        let have = (head + 1).saturating_sub(block_number);
        if have < confirmations {
            return Err(AppError::bad_input(
                "/tokenId",
                "confirmations",
                format!(
                    "token {} was minted in block {block_number}, which has {have} of the {confirmations} \
                     confirmations required; register it again later",
                    token.token_id
                ),
            ));
        }
        let Some(owner) = reader.owner_of(id).await.map_err(unreachable("collection", &collection))? else {
            return Err(AppError::bad_input(
                "/tokenId",
                "onChain",
                format!("token {} of collection {} no longer exists on chain", token.token_id, collection.address),
            ));
        };
        Ok(Mint { collection, tx_hash: format!("{tx_hash:#x}"), block_number, owner: format!("{owner:#x}") })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn traits_are_encoded_as_the_proofs_public_outputs_are() {
        let felts: Vec<String> = [1.5, -0.25, 0.0].iter().map(|v| field::quantise(*v, 7).unwrap()).collect();
        assert_eq!(aigc_data(&[1.5, -0.25, 0.0], 7).unwrap(), aigc_data_from_field_elements(&felts).unwrap());
        let data = aigc_data(&[1.5, -0.25], 7).unwrap();
        assert_eq!(U256::from_be_slice(&data[..32]), U256::from(192), "1.5 * 2^7");
        assert_eq!(data[32..63], [0xff; 31], "a negative trait is a two's-complement word");
        match aigc_data(&[0.0, f64::INFINITY], 7) {
            Err(AppError::BadInput(v)) => assert_eq!(v[0].pointer, "/traits/1"),
            other => panic!("{other:?}"),
        }
    }
}
