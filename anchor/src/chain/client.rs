//! The writing side: deploys `ProvenanceAnchor` and anchors batches, signed with a local key.
//!
//! Sending and confirming are separate steps ([`ChainClient::send_anchor`],
//! [`ChainClient::wait_confirmed`]) so a caller can persist "pending, transaction T" between
//! them and, after a crash, reconcile with [`ChainClient::next_seq`] and
//! [`ChainClient::find_anchor`]. Every read goes through [`ChainReader`].

use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, TxHash};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionReceipt;

use super::reader::{AnchoredEvent, ChainReader, batch_id_u64, node_chain_id};
use crate::contract::ProvenanceAnchor::{self, ProvenanceAnchorInstance};
use crate::error::{AnchorError, ContractRevert, Result};
use crate::inclusion_proof::InclusionProof;
use crate::revert::{classify, classify_rpc};

/// Retries of [`ChainClient::anchor`] on transport failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled after each failure.
    pub initial_backoff: Duration,
    /// Upper bound of the wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 5, initial_backoff: Duration::from_millis(250), max_backoff: Duration::from_secs(8) }
    }
}

/// A confirmed anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorReceipt {
    /// The transaction.
    pub tx_hash: TxHash,
    /// The block that holds it.
    pub block_number: u64,
    /// The contract's number for the batch.
    pub batch_id: u64,
    /// The anchored Merkle root.
    pub root: B256,
    /// The first log sequence number of the batch.
    pub first_seq: u64,
    /// The number of entries in the batch.
    pub size: u64,
    /// Gas the transaction used.
    pub gas_used: u64,
}

/// A signing client of one `ProvenanceAnchor` contract.
pub struct ChainClient {
    provider: DynProvider,
    sender: Address,
    contract: Option<Address>,
    confirmations: u64,
    retry: RetryPolicy,
    poll_interval: Duration,
    receipt_timeout: Duration,
    events_from_block: u64,
}

impl std::fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainClient")
            .field("sender", &self.sender)
            .field("contract", &self.contract)
            .field("confirmations", &self.confirmations)
            .finish_non_exhaustive()
    }
}

impl ChainClient {
    /// A client of the node at `rpc_url` (HTTP) signing with `private_key_hex` (with or without
    /// `0x`). `contract` may be `None` until [`deploy`](Self::deploy). `confirmations` is the
    /// number of blocks, the including one counted, to wait for (0 and 1 both mean "mined").
    /// Does not contact the node.
    pub fn connect(
        rpc_url: &str,
        private_key_hex: &str,
        contract: Option<Address>,
        confirmations: u64,
    ) -> Result<Self> {
        let (provider, sender) = super::sender::signing_provider(rpc_url, private_key_hex)?;
        Ok(Self {
            provider,
            sender,
            contract,
            confirmations: confirmations.max(1),
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_millis(200),
            receipt_timeout: Duration::from_secs(120),
            events_from_block: 0,
        })
    }

    /// Replaces the retry policy of [`anchor`](Self::anchor).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How often and how long [`wait_confirmed`](Self::wait_confirmed) polls.
    pub fn with_receipt_polling(mut self, interval: Duration, timeout: Duration) -> Self {
        self.poll_interval = interval;
        self.receipt_timeout = timeout;
        self
    }

    /// The block to search `Anchored` events from when [`anchor`](Self::anchor) reconciles
    /// (the contract's deployment block; 0 by default).
    pub fn with_events_from_block(mut self, block: u64) -> Self {
        self.events_from_block = block;
        self
    }

    /// The signing account.
    pub fn sender(&self) -> Address {
        self.sender
    }

    /// The contract address, once known.
    pub fn contract_address(&self) -> Option<Address> {
        self.contract
    }

    /// The read side of this client: the same node and contract, no signing.
    /// [`AnchorError::Config`] until the contract is known.
    pub fn reader(&self) -> Result<ChainReader> {
        let address = self.contract.ok_or_else(|| AnchorError::Config("no contract address".to_owned()))?;
        Ok(ChainReader::with_provider(self.provider.clone(), address))
    }

    /// The node's chain id.
    pub async fn chain_id(&self) -> Result<u64> {
        node_chain_id(&self.provider).await
    }

    /// Deploys a new `ProvenanceAnchor` owned by the signing account and uses it from now on.
    pub async fn deploy(&mut self) -> Result<Address> {
        // Deploying waits for the receipt inside; the turn covers it (deployments are rare).
        let instance = super::sender::in_turn(self.sender, ProvenanceAnchor::deploy(self.provider.clone()))
            .await
            .map_err(classify)?;
        let address = *instance.address();
        self.contract = Some(address);
        Ok(address)
    }

    fn instance(&self) -> Result<ProvenanceAnchorInstance<&DynProvider>> {
        let address = self.contract.ok_or_else(|| AnchorError::Config("no contract address".to_owned()))?;
        Ok(ProvenanceAnchor::new(address, &self.provider))
    }

    /// Sends `anchor(root, first_seq, size)` (gas estimated and nonce taken from the node) and
    /// returns its hash without waiting. A revert found while estimating gas (not the owner,
    /// a gap or a replay) is [`AnchorError::Reverted`].
    pub async fn send_anchor(&self, root: B256, first_seq: u64, size: u64) -> Result<TxHash> {
        let pending = super::sender::in_turn(self.sender, self.instance()?.anchor(root, first_seq, size).send())
            .await
            .map_err(classify)?;
        Ok(*pending.tx_hash())
    }

    /// Waits until `tx_hash` has the configured confirmations and reads the anchor from its
    /// receipt. Transport errors while polling are retried until the receipt timeout.
    pub async fn wait_confirmed(&self, tx_hash: TxHash) -> Result<AnchorReceipt> {
        let deadline = Instant::now() + self.receipt_timeout;
        loop {
            match self.confirmed_receipt(tx_hash).await {
                Ok(Some(receipt)) => return self.anchor_receipt(tx_hash, &receipt),
                Ok(None) => {}
                Err(AnchorError::Transport(e)) => tracing::warn!(%tx_hash, error = %e, "polling for a receipt"),
                Err(e) => return Err(e),
            }
            if Instant::now() >= deadline {
                return Err(AnchorError::Timeout(format!(
                    "transaction {tx_hash} not confirmed within {:?}",
                    self.receipt_timeout
                )));
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    async fn confirmed_receipt(&self, tx_hash: TxHash) -> Result<Option<TransactionReceipt>> {
        let Some(receipt) = self.provider.get_transaction_receipt(tx_hash).await.map_err(classify_rpc)? else {
            return Ok(None);
        };
        let Some(mined_in) = receipt.block_number else { return Ok(None) };
        let head = self.provider.get_block_number().await.map_err(classify_rpc)?;
        Ok((head + 1 >= mined_in + self.confirmations).then_some(receipt))
    }

    fn anchor_receipt(&self, tx_hash: TxHash, receipt: &TransactionReceipt) -> Result<AnchorReceipt> {
        let failed = |reason: &str| AnchorError::TransactionFailed { tx_hash, reason: reason.to_owned() };
        if !receipt.status() {
            return Err(failed("reverted on chain"));
        }
        let event = receipt
            .inner
            .logs()
            .iter()
            .filter(|log| Some(log.address()) == self.contract)
            .find_map(|log| log.log_decode::<ProvenanceAnchor::Anchored>().ok())
            .ok_or_else(|| failed("no Anchored event from the contract"))?;
        let e = event.inner.data;
        Ok(AnchorReceipt {
            tx_hash,
            block_number: receipt.block_number.unwrap_or_default(),
            batch_id: batch_id_u64(e.batchId)?,
            root: e.root,
            first_seq: e.firstSeq,
            size: e.size,
            gas_used: receipt.gas_used,
        })
    }

    /// Sends and confirms an anchor, retrying transport failures with exponential backoff.
    /// When a retry finds the range already anchored (an earlier attempt got through before
    /// the connection failed), it returns that anchor if root and size match.
    pub async fn anchor(&self, root: B256, first_seq: u64, size: u64) -> Result<AnchorReceipt> {
        let mut backoff = self.retry.initial_backoff;
        let mut ambiguous = false;
        for attempt in 1..=self.retry.attempts.max(1) {
            match self.send_anchor(root, first_seq, size).await {
                Ok(tx_hash) => return self.wait_confirmed(tx_hash).await,
                Err(AnchorError::Reverted(ContractRevert::SequenceGap { expected, .. }))
                    if ambiguous && expected > first_seq =>
                {
                    return self.reconcile(root, first_seq, size).await;
                }
                Err(AnchorError::Transport(e)) if attempt < self.retry.attempts => {
                    tracing::warn!(attempt, error = %e, ?backoff, "anchor failed; retrying");
                    ambiguous = true;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.retry.max_backoff);
                }
                Err(e) => return Err(e),
            }
        }
        Err(AnchorError::Transport("retries exhausted".to_owned()))
    }

    async fn reconcile(&self, root: B256, first_seq: u64, size: u64) -> Result<AnchorReceipt> {
        let found = self.find_anchor(first_seq, self.events_from_block).await?;
        match found {
            Some(AnchoredEvent { root: r, size: s, tx_hash: Some(tx_hash), .. }) if r == root && s == size => {
                self.wait_confirmed(tx_hash).await
            }
            _ => Err(AnchorError::Reverted(ContractRevert::SequenceGap {
                expected: self.next_seq().await?,
                got: first_seq,
            })),
        }
    }

    /// The first log sequence number not yet anchored ([`ChainReader::next_seq`]).
    pub async fn next_seq(&self) -> Result<u64> {
        self.reader()?.next_seq().await
    }

    /// The number of anchored batches ([`ChainReader::batch_count`]).
    pub async fn batch_count(&self) -> Result<u64> {
        self.reader()?.batch_count().await
    }

    /// The stored commitment of batch `batch_id`, if it exists ([`ChainReader::batch`]).
    pub async fn batch(&self, batch_id: u64) -> Result<Option<B256>> {
        self.reader()?.batch(batch_id).await
    }

    /// Every `Anchored` event from block `from_block` on, oldest first
    /// ([`ChainReader::anchored_events`]).
    pub async fn anchored_events(&self, from_block: u64) -> Result<Vec<AnchoredEvent>> {
        self.reader()?.anchored_events(from_block).await
    }

    /// The anchor whose range starts at `first_seq`, searching events from `from_block` on
    /// ([`ChainReader::find_anchor`]).
    pub async fn find_anchor(&self, first_seq: u64, from_block: u64) -> Result<Option<AnchoredEvent>> {
        self.reader()?.find_anchor(first_seq, from_block).await
    }

    /// Asks the contract's `verifyInclusion` view whether `proof` holds for batch `batch_id`
    /// ([`ChainReader::verify_inclusion`]).
    pub async fn verify_inclusion(&self, batch_id: u64, proof: &InclusionProof) -> Result<bool> {
        self.reader()?.verify_inclusion(batch_id, proof).await
    }
}
