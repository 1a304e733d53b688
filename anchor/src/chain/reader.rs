//! The read side: the contract's state and events, with no key.

use alloy::primitives::{Address, B256, TxHash, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};

use crate::contract::ProvenanceAnchor::{self, ProvenanceAnchorInstance};
use crate::error::{AnchorError, Result};
use crate::inclusion_proof::InclusionProof;
use crate::revert::{classify, classify_rpc};

/// One `Anchored` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchoredEvent {
    /// The contract's number for the batch.
    pub batch_id: u64,
    /// The anchored Merkle root.
    pub root: B256,
    /// The first log sequence number of the batch.
    pub first_seq: u64,
    /// The number of entries in the batch.
    pub size: u64,
    /// The block that holds it.
    pub block_number: Option<u64>,
    /// The transaction that emitted it.
    pub tx_hash: Option<TxHash>,
}

/// A read-only client of one deployed `ProvenanceAnchor` contract.
///
/// Every read is one request (`eth_chainId`, `eth_call` or `eth_getLogs`), not retried: a
/// failure to reach the node is [`AnchorError::Transport`], a revert
/// [`AnchorError::Reverted`], any other refusal [`AnchorError::NodeRejected`].
#[derive(Clone)]
pub struct ChainReader {
    provider: DynProvider,
    contract: Address,
}

impl std::fmt::Debug for ChainReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainReader").field("contract", &self.contract).finish_non_exhaustive()
    }
}

impl ChainReader {
    /// A reader of `contract` through the node at `rpc_url` (HTTP or HTTPS). Does not contact
    /// the node.
    pub fn connect(rpc_url: &str, contract: Address) -> Result<Self> {
        let url = parse_rpc_url(rpc_url)?;
        Ok(Self::with_provider(ProviderBuilder::new().connect_http(url).erased(), contract))
    }

    /// A reader over an existing provider (the signing client reads through its own).
    pub(crate) fn with_provider(provider: DynProvider, contract: Address) -> Self {
        Self { provider, contract }
    }

    /// The contract address.
    pub fn contract_address(&self) -> Address {
        self.contract
    }

    /// The node's chain id.
    pub async fn chain_id(&self) -> Result<u64> {
        node_chain_id(&self.provider).await
    }

    fn instance(&self) -> ProvenanceAnchorInstance<&DynProvider> {
        ProvenanceAnchor::new(self.contract, &self.provider)
    }

    /// The first log sequence number not yet anchored.
    pub async fn next_seq(&self) -> Result<u64> {
        self.instance().nextSeq().call().await.map_err(classify)
    }

    /// The number of anchored batches.
    pub async fn batch_count(&self) -> Result<u64> {
        self.instance().batchCount().call().await.map_err(classify)
    }

    /// The stored commitment of batch `batch_id`
    /// ([`batch_commitment`](crate::batch_commitment) of its root and size), if it exists.
    pub async fn batch(&self, batch_id: u64) -> Result<Option<B256>> {
        let commitment = self.instance().batch(U256::from(batch_id)).call().await.map_err(classify)?;
        Ok((commitment != B256::ZERO).then_some(commitment))
    }

    /// Every `Anchored` event from block `from_block` on, oldest first.
    pub async fn anchored_events(&self, from_block: u64) -> Result<Vec<AnchoredEvent>> {
        let logs = self.instance().Anchored_filter().from_block(from_block).query().await.map_err(classify)?;
        logs.into_iter()
            .map(|(e, log)| {
                Ok(AnchoredEvent {
                    batch_id: batch_id_u64(e.batchId)?,
                    root: e.root,
                    first_seq: e.firstSeq,
                    size: e.size,
                    block_number: log.block_number,
                    tx_hash: log.transaction_hash,
                })
            })
            .collect()
    }

    /// The anchor whose range starts at `first_seq`, searching events from `from_block` on.
    pub async fn find_anchor(&self, first_seq: u64, from_block: u64) -> Result<Option<AnchoredEvent>> {
        Ok(self.anchored_events(from_block).await?.into_iter().find(|e| e.first_seq == first_seq))
    }

    /// Asks the contract's `verifyInclusion` view whether `proof` holds for batch `batch_id`.
    pub async fn verify_inclusion(&self, batch_id: u64, proof: &InclusionProof) -> Result<bool> {
        let siblings: Vec<B256> = proof.siblings.iter().map(|s| B256::from(*s)).collect();
        self.instance()
            .verifyInclusion(U256::from(batch_id), B256::from(proof.leaf), proof.index, proof.size, siblings)
            .call()
            .await
            .map_err(classify)
    }
}

/// Parses an RPC URL, saying which one is wrong.
pub(crate) fn parse_rpc_url(rpc_url: &str) -> Result<alloy::transports::http::reqwest::Url> {
    rpc_url.parse().map_err(|e| AnchorError::Config(format!("RPC URL {rpc_url:?}: {e}")))
}

/// The chain id of the node behind `provider`.
pub(crate) async fn node_chain_id(provider: &DynProvider) -> Result<u64> {
    provider.get_chain_id().await.map_err(classify_rpc)
}

/// A batch id as the 64-bit number the contract counts with.
pub(crate) fn batch_id_u64(id: U256) -> Result<u64> {
    u64::try_from(id).map_err(|_| AnchorError::Transport(format!("batch id {id} does not fit in 64 bits")))
}
