//! Clients of a `ProvregCollection` contract and its circuit's EZKL verifier:
//! [`CollectionReader`] reads with no key (feature `chain`); [`CollectionClient`] deploys,
//! mints and emits metadata updates with a private key (feature `chain-write`).
//!
//! The encodings the contract takes: the prompt is the token's 32-byte seed; `aigcData` is
//! the token's quantised traits, one big-endian two's-complement int256 word per circuit
//! output ([`aigc_data_from_field_elements`] makes it from a proof's public outputs).

use alloy::primitives::{Address, B256, Bytes, TxHash, U256, keccak256, uint};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};

use super::reader::parse_rpc_url;
use crate::collection_contract::Halo2Verifier;
use crate::collection_contract::ProvregCollection::{self, ProvregCollectionErrors, ProvregCollectionInstance};
use crate::error::{AnchorError, CollectionRevert, Result};
use crate::revert::{classify_rpc_with, classify_with};

/// The BN254 scalar field modulus.
const FIELD_MODULUS: U256 = uint!(21888242871839275222246405745257275088548364400416034343698204186575808495617_U256);

/// A token's `AigcData` event, with the seed and traits of the transaction that emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedToken {
    /// The token.
    pub token_id: U256,
    /// Keccak-256 of the prompt (the event's indexed topic).
    pub prompt_hash: B256,
    /// Keccak-256 of the traits (the event's indexed topic).
    pub aigc_data_hash: B256,
    /// The proof the verifier accepted.
    pub proof: Bytes,
    /// The seed, read from the calldata of the minting transaction when that was a direct
    /// call of `addAigcData` whose prompt hashes to [`Self::prompt_hash`].
    pub seed: Option<B256>,
    /// The traits, read like [`Self::seed`].
    pub aigc_data: Option<Bytes>,
    /// The block that holds the event.
    pub block_number: Option<u64>,
    /// The transaction that emitted it.
    pub tx_hash: Option<TxHash>,
}

impl MintedToken {
    /// Whether the event is of exactly this seed, these traits and this proof (by the event's
    /// hashes and proof, not by the calldata).
    pub fn matches(&self, seed: &[u8; 32], aigc_data: &[u8], proof: &[u8]) -> bool {
        self.is_of_seed(seed) && self.is_of_aigc_data(aigc_data) && self.is_of_proof(proof)
    }

    /// Whether the event's prompt hash is that of `seed`.
    pub fn is_of_seed(&self, seed: &[u8; 32]) -> bool {
        self.prompt_hash == keccak256(seed)
    }

    /// Whether the event's traits hash is that of `aigc_data`.
    pub fn is_of_aigc_data(&self, aigc_data: &[u8]) -> bool {
        self.aigc_data_hash == keccak256(aigc_data)
    }

    /// Whether the event's proof is `proof`.
    pub fn is_of_proof(&self, proof: &[u8]) -> bool {
        self.proof[..] == *proof
    }
}

/// One `BatchMetadataUpdate(from, to)` event (a `MetadataUpdate(id)` reads as `id..=id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataUpdateEvent {
    /// The first token whose metadata changed.
    pub from_token: U256,
    /// The last one.
    pub to_token: U256,
    /// The block that holds the event.
    pub block_number: Option<u64>,
    /// The transaction that emitted it.
    pub tx_hash: Option<TxHash>,
}

/// What a collection was deployed with (its immutable parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionParams {
    /// The ERC-721 name.
    pub name: String,
    /// The ERC-721 symbol.
    pub symbol: String,
    /// The circuit's EZKL verifier contract.
    pub verifier: Address,
    /// The registry's model commitment of the circuit (kept for readers).
    pub circuit_commitment: B256,
    /// The number of the circuit's public inputs.
    pub input_len: u32,
    /// The fixed-point scale (log2) of the inputs, at most 20.
    pub input_scale: u32,
    /// The number of the circuit's public outputs (traits).
    pub output_len: u32,
    /// The registry's base URL, e.g. `http://127.0.0.1:8080` (a trailing `/` is dropped):
    /// `tokenURI(id)` is `<registry_url>/tokens/<chain id>/<collection>/<id>`.
    pub registry_url: String,
    /// The only account that mints.
    pub minter: Address,
    /// The only account that emits metadata updates.
    pub registry: Address,
    /// Where the collection's seeds come from.
    pub seeds: SeedMode,
}

/// Where a collection's seeds come from (fixed at deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedMode {
    /// Chosen by the operator; the contract accepts any.
    Operator,
    /// Assigned by the contract from the hash of the block `delay` blocks (1 to 128) after the
    /// minter's commitment.
    Chain {
        /// Blocks from a commitment to its randomness block.
        delay: u64,
    },
    /// From a drand round after the commitment (checked by the registry, not the contract).
    Beacon,
}

impl SeedMode {
    /// The contract's `(seedSource, seedDelay)`.
    pub fn encode(self) -> (u8, u64) {
        match self {
            Self::Operator => (0, 0),
            Self::Chain { delay } => (1, delay),
            Self::Beacon => (2, 0),
        }
    }

    /// From the contract's `(seedSource, seedDelay)`; `None` for values no contract holds.
    pub fn decode(source: u8, delay: u64) -> Option<Self> {
        match (source, delay) {
            (0, 0) => Some(Self::Operator),
            (1, 1..=128) => Some(Self::Chain { delay }),
            (2, 0) => Some(Self::Beacon),
            _ => None,
        }
    }
}

/// A committed range of token IDs, as the collection holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedCommitment {
    /// Its ID (0, 1, …).
    pub commit_id: u64,
    /// The first token.
    pub first_token_id: u64,
    /// How many tokens.
    pub count: u64,
    /// How many are minted (in order: the next is `first_token_id + minted`).
    pub minted: u64,
    /// The block of the commitment.
    pub commit_block: u64,
    /// That block's timestamp (unix seconds).
    pub commit_time: u64,
    /// `CHAIN` seeds: the randomness once revealed.
    pub randomness: Option<B256>,
}

impl SeedCommitment {
    fn from_contract(commit_id: U256, c: ProvregCollection::SeedCommitment) -> Result<Self> {
        Ok(Self {
            commit_id: u64::try_from(commit_id)
                .map_err(|_| AnchorError::Transport(format!("seed commitment ID {commit_id} is not a u64")))?,
            first_token_id: c.firstTokenId,
            count: u64::from(c.count),
            minted: u64::from(c.minted),
            commit_block: c.commitBlock,
            commit_time: c.commitTime,
            randomness: (c.randomness != B256::ZERO).then_some(c.randomness),
        })
    }
}

/// A seed commitment's transactions, from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedEvents {
    /// The `commitSeeds` transaction.
    pub commit_tx: Option<TxHash>,
    /// The randomness block the `SeedsCommitted` event names.
    pub randomness_block: u64,
    /// The `revealSeeds` transaction and its block, once revealed.
    pub reveal: Option<(TxHash, u64)>,
}

/// A read-only client of one deployed `ProvregCollection`.
///
/// Every read is one or two requests, not retried: a failure to reach the node is
/// [`AnchorError::Transport`], a revert [`AnchorError::CollectionReverted`].
#[derive(Clone)]
pub struct CollectionReader {
    provider: DynProvider,
    address: Address,
}

impl std::fmt::Debug for CollectionReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectionReader").field("address", &self.address).finish_non_exhaustive()
    }
}

impl CollectionReader {
    /// A reader of the collection at `address` through the node at `rpc_url` (HTTP or
    /// HTTPS). Does not contact the node.
    pub fn connect(rpc_url: &str, address: Address) -> Result<Self> {
        let url = parse_rpc_url(rpc_url)?;
        Ok(Self::with_provider(ProviderBuilder::new().connect_http(url).erased(), address))
    }

    pub(crate) fn with_provider(provider: DynProvider, address: Address) -> Self {
        Self { provider, address }
    }

    /// The collection's address.
    pub fn address(&self) -> Address {
        self.address
    }

    fn instance(&self) -> ProvregCollectionInstance<&DynProvider> {
        ProvregCollection::new(self.address, &self.provider)
    }

    /// The collection's parameters, read from the contract.
    pub async fn params(&self) -> Result<CollectionParams> {
        let c = self.instance();
        let small = |v: U256, what: &str| {
            u32::try_from(v).map_err(|_| AnchorError::Transport(format!("the collection's {what} {v} is not a u32")))
        };
        let base = c.baseURI().call().await.map_err(classify)?;
        let registry_url = base.split("/tokens/").next().unwrap_or_default().to_owned();
        Ok(CollectionParams {
            name: c.name().call().await.map_err(classify)?,
            symbol: c.symbol().call().await.map_err(classify)?,
            verifier: c.verifier().call().await.map_err(classify)?,
            circuit_commitment: c.circuitCommitment().call().await.map_err(classify)?,
            input_len: small(c.inputLen().call().await.map_err(classify)?, "input length")?,
            input_scale: small(c.inputScale().call().await.map_err(classify)?, "input scale")?,
            output_len: small(c.outputLen().call().await.map_err(classify)?, "output length")?,
            registry_url,
            minter: c.minter().call().await.map_err(classify)?,
            registry: c.registry().call().await.map_err(classify)?,
            seeds: self.seed_mode().await?,
        })
    }

    /// Where the collection's seeds come from.
    pub async fn seed_mode(&self) -> Result<SeedMode> {
        let c = self.instance();
        let source = c.seedSource().call().await.map_err(classify)?;
        let delay = c.seedDelay().call().await.map_err(classify)?;
        SeedMode::decode(source, delay)
            .ok_or_else(|| AnchorError::Transport(format!("the collection's seed source {source}/{delay} is unknown")))
    }

    /// The commitment holding `token_id`, or `None` when no committed range holds it.
    pub async fn seed_commitment_of(&self, token_id: U256) -> Result<Option<SeedCommitment>> {
        match self.instance().seedCommitmentOf(token_id).call().await.map_err(classify) {
            Ok(r) => Ok(Some(SeedCommitment::from_contract(r.commitId, r._1)?)),
            Err(AnchorError::CollectionReverted(
                CollectionRevert::SeedNotCommitted(_) | CollectionRevert::NoSeedCommitments,
            )) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Commitment `commit_id`, or `None` when there is no such commitment.
    pub async fn seed_commitment(&self, commit_id: u64) -> Result<Option<SeedCommitment>> {
        match self.instance().seedCommitment(U256::from(commit_id)).call().await.map_err(classify) {
            Ok(c) => Ok(Some(SeedCommitment::from_contract(U256::from(commit_id), c)?)),
            Err(AnchorError::CollectionReverted(CollectionRevert::SeedNotCommitted(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// How many seed commitments the collection holds.
    pub async fn seed_commitment_count(&self) -> Result<u64> {
        let n = self.instance().seedCommitmentCount().call().await.map_err(classify)?;
        u64::try_from(n).map_err(|_| AnchorError::Transport(format!("{n} seed commitments")))
    }

    /// The seed the contract assigns to `token_id` (`CHAIN` seeds): reverts while its
    /// commitment is not revealed ([`CollectionRevert::SeedsNotRevealed`]) or when no range
    /// holds it.
    pub async fn seed_of(&self, token_id: U256) -> Result<B256> {
        self.instance().seedOf(token_id).call().await.map_err(classify)
    }

    /// The transactions of commitment `commit_id`, from its `SeedsCommitted` and
    /// `SeedsRevealed` events (searched from block `from_block` on); `None` without a
    /// `SeedsCommitted` event.
    pub async fn seed_events(&self, commit_id: u64, from_block: u64) -> Result<Option<SeedEvents>> {
        let c = self.instance();
        let id = U256::from(commit_id);
        let committed = c.SeedsCommitted_filter().topic1(id).from_block(from_block).query().await.map_err(classify)?;
        let Some((event, log)) = committed.into_iter().next() else { return Ok(None) };
        let revealed = c.SeedsRevealed_filter().topic1(id).from_block(from_block).query().await.map_err(classify)?;
        let reveal = revealed.into_iter().next().and_then(|(_, log)| Some((log.transaction_hash?, log.block_number?)));
        Ok(Some(SeedEvents { commit_tx: log.transaction_hash, randomness_block: event.randomnessBlock, reveal }))
    }

    /// The hash and timestamp of block `number`, or `None` when the node has no such block.
    pub async fn block(&self, number: u64) -> Result<Option<(B256, u64)>> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(|e| classify_rpc_with(e, collection_revert))?;
        Ok(block.map(|b| (b.header.hash, b.header.timestamp)))
    }

    /// The contract's `verify(prompt, aigcData, proof)` (an `eth_call`): whether its verifier
    /// accepts `proof` for `seed` and `aigc_data`.
    pub async fn verify(&self, seed: &[u8; 32], aigc_data: &[u8], proof: &[u8]) -> Result<bool> {
        let c = self.instance();
        let call = c.verify(Bytes::copy_from_slice(seed), Bytes::copy_from_slice(aigc_data), proof.to_vec().into());
        call.call().await.map_err(classify)
    }

    /// The verifier's public instances the contract computes for `seed` and `aigc_data`:
    /// the inputs derived from the seed, then the traits, as field elements.
    pub async fn instances(&self, seed: &[u8; 32], aigc_data: &[u8]) -> Result<Vec<U256>> {
        let c = self.instance();
        let call = c.instances(B256::from(*seed), Bytes::copy_from_slice(aigc_data));
        call.call().await.map_err(classify)
    }

    /// Gas of the verifier's `verifyProof` alone for this proof (`eth_estimateGas` of a direct
    /// call with the instances the collection computes), transaction base cost included.
    pub async fn verification_gas(&self, seed: &[u8; 32], aigc_data: &[u8], proof: &[u8]) -> Result<u64> {
        let instances = self.instances(seed, aigc_data).await?;
        let verifier = self.instance().verifier().call().await.map_err(classify)?;
        let verifier = Halo2Verifier::new(verifier, &self.provider);
        let call = verifier.verifyProof(proof.to_vec().into(), instances);
        call.estimate_gas().await.map_err(classify)
    }

    /// The number of the chain's latest block.
    pub async fn block_number(&self) -> Result<u64> {
        self.provider.get_block_number().await.map_err(|e| classify_rpc_with(e, collection_revert))
    }

    /// The owner of `token_id`, or `None` when it was never minted.
    pub async fn owner_of(&self, token_id: U256) -> Result<Option<Address>> {
        match self.instance().ownerOf(token_id).call().await.map_err(classify) {
            Ok(owner) => Ok(Some(owner)),
            Err(AnchorError::CollectionReverted(CollectionRevert::NonexistentToken(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `tokenURI(token_id)`; [`CollectionRevert::NonexistentToken`] for a token not minted.
    pub async fn token_uri(&self, token_id: U256) -> Result<String> {
        self.instance().tokenURI(token_id).call().await.map_err(classify)
    }

    /// ERC-165 `supportsInterface(interface_id)`.
    pub async fn supports_interface(&self, interface_id: [u8; 4]) -> Result<bool> {
        self.instance().supportsInterface(interface_id.into()).call().await.map_err(classify)
    }

    /// The `AigcData` event of `token_id`, searching from block `from_block` on, with the
    /// seed and traits read from the minting transaction; `None` when there is none.
    pub async fn minted_token(&self, token_id: U256, from_block: u64) -> Result<Option<MintedToken>> {
        let c = self.instance();
        let filter = c.AigcData_filter().topic1(token_id).from_block(from_block);
        let logs = filter.query().await.map_err(classify)?;
        let Some((event, log)) = logs.into_iter().next() else { return Ok(None) };
        let mut token = MintedToken {
            token_id: event.tokenId,
            prompt_hash: event.prompt,
            aigc_data_hash: event.aigcData,
            proof: event.proof,
            seed: None,
            aigc_data: None,
            block_number: log.block_number,
            tx_hash: log.transaction_hash,
        };
        if let Some(tx_hash) = token.tx_hash {
            self.fill_from_calldata(tx_hash, &mut token).await?;
        }
        Ok(Some(token))
    }

    /// Sets the seed and traits of `token` from its transaction's calldata, when it is a
    /// direct `addAigcData` call of this collection that matches the event.
    async fn fill_from_calldata(&self, tx_hash: TxHash, token: &mut MintedToken) -> Result<()> {
        use alloy::consensus::Transaction as _;
        use alloy::sol_types::SolCall as _;

        let tx = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(|e| classify_rpc_with(e, collection_revert))?;
        let Some(tx) = tx else { return Ok(()) };
        if tx.to() != Some(self.address) {
            return Ok(());
        }
        let Ok(call) = ProvregCollection::addAigcDataCall::abi_decode(tx.input()) else { return Ok(()) };
        if call.tokenId == token.token_id
            && call.prompt.len() == 32
            && keccak256(&call.prompt) == token.prompt_hash
            && keccak256(&call.aigcData) == token.aigc_data_hash
        {
            token.seed = Some(B256::from_slice(&call.prompt));
            token.aigc_data = Some(call.aigcData);
        }
        Ok(())
    }

    /// Every `BatchMetadataUpdate` and `MetadataUpdate` event from block `from_block` on,
    /// oldest first.
    pub async fn metadata_updates(&self, from_block: u64) -> Result<Vec<MetadataUpdateEvent>> {
        let c = self.instance();
        let batches = c.BatchMetadataUpdate_filter().from_block(from_block).query().await.map_err(classify)?;
        let singles = c.MetadataUpdate_filter().from_block(from_block).query().await.map_err(classify)?;
        let mut events: Vec<(Option<u64>, Option<u64>, MetadataUpdateEvent)> = batches
            .into_iter()
            .map(|(e, log)| (e._fromTokenId, e._toTokenId, log))
            .chain(singles.into_iter().map(|(e, log)| (e._tokenId, e._tokenId, log)))
            .map(|(from_token, to_token, log)| {
                let event = MetadataUpdateEvent {
                    from_token,
                    to_token,
                    block_number: log.block_number,
                    tx_hash: log.transaction_hash,
                };
                (log.block_number, log.log_index, event)
            })
            .collect();
        events.sort_by_key(|(block, index, _)| (*block, *index));
        Ok(events.into_iter().map(|(_, _, e)| e).collect())
    }

    /// Keccak-256 of the code at `address` (that of empty code when it has none).
    pub async fn code_hash_at(&self, address: Address) -> Result<B256> {
        code_hash(&self.provider, address).await
    }
}

/// Keccak-256 of the code at `address`.
pub(crate) async fn code_hash(provider: &DynProvider, address: Address) -> Result<B256> {
    let code = provider.get_code_at(address).await.map_err(|e| classify_rpc_with(e, collection_revert))?;
    Ok(keccak256(&code))
}

/// The traits in the collection's `aigcData` encoding from a proof's public outputs in
/// EZKL's encoding (32 little-endian bytes in hex each): one big-endian two's-complement
/// int256 word per output, an element above half the modulus being the negative integer
/// `element - modulus`.
pub fn aigc_data_from_field_elements<S: AsRef<str>>(outputs: &[S]) -> Result<Vec<u8>> {
    let half = FIELD_MODULUS >> 1;
    let mut data = Vec::with_capacity(outputs.len() * 32);
    for felt in outputs {
        let felt = felt.as_ref();
        let bad = || AnchorError::FieldElement(felt.chars().take(80).collect());
        let mut bytes = [0u8; 32];
        alloy::hex::decode_to_slice(felt.strip_prefix("0x").unwrap_or(felt), &mut bytes).map_err(|_| bad())?;
        let value = U256::from_le_bytes(bytes);
        if value >= FIELD_MODULUS {
            return Err(bad());
        }
        // Two's complement of -(modulus - value) is 2^256 - (modulus - value).
        let word = if value > half { U256::ZERO.wrapping_sub(FIELD_MODULUS - value) } else { value };
        data.extend_from_slice(&word.to_be_bytes::<32>());
    }
    Ok(data)
}

/// Maps an error of a call to the collection (or its verifier).
pub(crate) fn classify(err: alloy::contract::Error) -> AnchorError {
    classify_with(err, collection_revert)
}

fn collection_revert(reason: std::result::Result<&[u8], String>) -> AnchorError {
    use alloy::sol_types::SolInterface as _;

    let data = match reason {
        Ok(data) => data,
        Err(message) => return AnchorError::CollectionReverted(CollectionRevert::Other(message)),
    };
    use ProvregCollectionErrors as E;
    AnchorError::CollectionReverted(match E::abi_decode(data) {
        Ok(E::NotMinter(_)) => CollectionRevert::NotMinter,
        Ok(E::NotRegistry(_)) => CollectionRevert::NotRegistry,
        Ok(E::TokenExists(e)) => CollectionRevert::TokenExists(e.tokenId),
        Ok(E::ERC721NonexistentToken(e)) => CollectionRevert::NonexistentToken(e.tokenId),
        Ok(E::InvalidPrompt(_)) => CollectionRevert::InvalidPrompt,
        Ok(E::InvalidAigcData(_)) => CollectionRevert::InvalidAigcData,
        Ok(E::ProofRejected(_)) => CollectionRevert::ProofRejected,
        Ok(E::InvalidParameters(_)) => CollectionRevert::InvalidParameters,
        Ok(E::InvalidRange(e)) => CollectionRevert::InvalidRange { from: e.fromTokenId, to: e.toTokenId },
        Ok(E::NoSeedCommitments(_)) => CollectionRevert::NoSeedCommitments,
        Ok(E::InvalidSeedRange(e)) => CollectionRevert::InvalidSeedRange { first: e.firstTokenId, count: e.count },
        Ok(E::SeedNotCommitted(e)) => CollectionRevert::SeedNotCommitted(e.tokenId),
        Ok(E::RandomnessNotMined(e)) => {
            CollectionRevert::RandomnessNotMined { commit_id: e.commitId, randomness_block: e.randomnessBlock }
        }
        Ok(E::SeedsAlreadyRevealed(e)) => CollectionRevert::SeedsAlreadyRevealed(e.commitId),
        Ok(E::SeedsExpired(e)) => CollectionRevert::SeedsExpired(e.commitId),
        Ok(E::SeedsNotRevealed(e)) => CollectionRevert::SeedsNotRevealed(e.commitId),
        Ok(E::WrongSeed(e)) => CollectionRevert::WrongSeed { token_id: e.tokenId, expected: e.expected },
        Ok(E::NotNextToken(e)) => CollectionRevert::NotNextToken { token_id: e.tokenId, expected: e.expected },
        Ok(other) => CollectionRevert::Other(format!("{other:?}")),
        Err(_) => CollectionRevert::Other(format!("revert data 0x{}", alloy::hex::encode(data))),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// EZKL's encoding of `n` (little-endian hex), for small `n` of either sign.
    fn felt(n: i64) -> String {
        let value = if n >= 0 { U256::from(n as u64) } else { FIELD_MODULUS - U256::from(n.unsigned_abs()) };
        alloy::hex::encode(value.to_le_bytes::<32>())
    }

    #[test]
    fn traits_become_int256_words() {
        let data = aigc_data_from_field_elements(&[felt(0), felt(5), felt(-1), felt(-8192)]).unwrap();
        assert_eq!(data.len(), 128);
        assert_eq!(data[..32], [0u8; 32]);
        assert_eq!(U256::from_be_slice(&data[32..64]), U256::from(5));
        assert_eq!(data[64..96], [0xffu8; 32], "-1 is all ones");
        let mut minus_8192 = [0xffu8; 32];
        minus_8192[30] = 0xe0;
        minus_8192[31] = 0x00;
        assert_eq!(data[96..], minus_8192);
        assert!(aigc_data_from_field_elements::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn non_field_elements_are_refused() {
        let modulus = alloy::hex::encode(FIELD_MODULUS.to_le_bytes::<32>());
        for bad in [modulus.as_str(), "zz", "00", &"ff".repeat(32)] {
            assert!(matches!(aigc_data_from_field_elements(&[bad]), Err(AnchorError::FieldElement(_))), "{bad}");
        }
    }
}
