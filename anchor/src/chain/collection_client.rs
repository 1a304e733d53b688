//! The writing side of a collection: deploys the circuit's verifier and the collection,
//! mints (`addAigcData`) and emits ERC-4906 metadata updates, signed with a local key. Reads
//! go through [`CollectionReader`].

use std::time::Duration;

use alloy::network::TransactionBuilder as _;
use alloy::primitives::{Address, B256, Bytes, TxHash, U256};
use alloy::providers::{DynProvider, PendingTransactionBuilder, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};

use super::collection::{CollectionParams, CollectionReader, classify, code_hash};
use super::sender;
use crate::collection_contract::ProvregCollection::{self, ProvregCollectionInstance};
use crate::error::{AnchorError, Result};
use crate::revert::classify_rpc;

/// A mined, successful transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxOutcome {
    /// The transaction.
    pub tx_hash: TxHash,
    /// The block that holds it.
    pub block_number: u64,
    /// Gas it used.
    pub gas_used: u64,
}

/// A verifier contract on chain with the expected code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierDeployment {
    /// Its address.
    pub address: Address,
    /// Keccak-256 of its runtime code.
    pub code_hash: B256,
    /// The deployment transaction; `None` when the recorded address already held the code.
    pub deployment: Option<TxOutcome>,
}

/// A deployed collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionDeployment {
    /// Its address.
    pub address: Address,
    /// The deployment transaction.
    pub deployment: TxOutcome,
}

/// A signing client of one `ProvregCollection` (and deployer of verifiers).
pub struct CollectionClient {
    provider: DynProvider,
    sender: Address,
    collection: Option<Address>,
    receipt_timeout: Duration,
}

impl std::fmt::Debug for CollectionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectionClient")
            .field("sender", &self.sender)
            .field("collection", &self.collection)
            .finish_non_exhaustive()
    }
}

impl CollectionClient {
    /// A client of the node at `rpc_url` (HTTP) signing with `private_key_hex` (with or without
    /// `0x`), of the collection at `collection` (`None` until [`deploy`](Self::deploy)). Does
    /// not contact the node.
    pub fn connect(rpc_url: &str, private_key_hex: &str, collection: Option<Address>) -> Result<Self> {
        let (provider, sender) = sender::signing_provider(rpc_url, private_key_hex)?;
        Ok(Self { provider, sender, collection, receipt_timeout: Duration::from_secs(120) })
    }

    /// How long to wait for a transaction's receipt (default two minutes).
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// The signing account.
    pub fn sender(&self) -> Address {
        self.sender
    }

    /// The collection, once known.
    pub fn address(&self) -> Option<Address> {
        self.collection
    }

    fn collection(&self) -> Result<Address> {
        self.collection.ok_or_else(|| AnchorError::Config("no collection address".to_owned()))
    }

    /// The read side: the same node and collection, no signing.
    pub fn reader(&self) -> Result<CollectionReader> {
        Ok(CollectionReader::with_provider(self.provider.clone(), self.collection()?))
    }

    fn instance(&self) -> Result<ProvregCollectionInstance<&DynProvider>> {
        Ok(ProvregCollection::new(self.collection()?, &self.provider))
    }

    /// Makes sure a verifier whose runtime code hashes to `runtime_code_hash` is on chain.
    /// With a `recorded` address (from an earlier deployment), checks the code there and
    /// sends nothing: [`AnchorError::CodeMismatch`] when it is other code or none. Without,
    /// deploys `creation_code` and checks the code it leaves.
    pub async fn deploy_verifier(
        &self,
        creation_code: &[u8],
        runtime_code_hash: B256,
        recorded: Option<Address>,
    ) -> Result<VerifierDeployment> {
        let checked = |address: Address, actual: B256| {
            if actual == runtime_code_hash {
                Ok(())
            } else {
                Err(AnchorError::CodeMismatch { address, expected: runtime_code_hash, actual })
            }
        };
        if let Some(address) = recorded {
            checked(address, code_hash(&self.provider, address).await?)?;
            return Ok(VerifierDeployment { address, code_hash: runtime_code_hash, deployment: None });
        }
        let request = TransactionRequest::default().with_deploy_code(Bytes::copy_from_slice(creation_code));
        let pending = sender::in_turn(self.sender, self.provider.send_transaction(request))
            .await
            .map_err(|e| classify(e.into()))?;
        let (outcome, receipt) = self.confirm(pending).await?;
        let address = receipt.contract_address.ok_or_else(|| AnchorError::TransactionFailed {
            tx_hash: outcome.tx_hash,
            reason: "no contract address in the receipt".to_owned(),
        })?;
        checked(address, code_hash(&self.provider, address).await?)?;
        Ok(VerifierDeployment { address, code_hash: runtime_code_hash, deployment: Some(outcome) })
    }

    /// Deploys a collection with `params` and uses it from now on.
    pub async fn deploy(&mut self, params: &CollectionParams) -> Result<CollectionDeployment> {
        let builder = ProvregCollection::deploy_builder(
            &self.provider,
            params.name.clone(),
            params.symbol.clone(),
            params.verifier,
            params.circuit_commitment,
            U256::from(params.input_len),
            U256::from(params.input_scale),
            U256::from(params.output_len),
            params.registry_url.trim_end_matches('/').to_owned(),
            params.minter,
            params.registry,
            {
                let (source, delay) = params.seeds.encode();
                ProvregCollection::SeedConfig { source, delay }
            },
        );
        let pending = sender::in_turn(self.sender, builder.send()).await.map_err(classify)?;
        let (deployment, receipt) = self.confirm(pending).await?;
        let address = receipt.contract_address.ok_or_else(|| AnchorError::TransactionFailed {
            tx_hash: deployment.tx_hash,
            reason: "no contract address in the receipt".to_owned(),
        })?;
        self.collection = Some(address);
        Ok(CollectionDeployment { address, deployment })
    }

    /// Mints `token_id` to the signing account (the minter) with its seed, traits (in the
    /// collection's `aigcData` encoding) and proof. The contract verifies the proof first: a
    /// proof it does not accept is [`CollectionRevert::ProofRejected`], found while
    /// estimating gas, so nothing is sent.
    ///
    /// [`CollectionRevert::ProofRejected`]: crate::CollectionRevert::ProofRejected
    pub async fn add_aigc_data(
        &self,
        token_id: U256,
        seed: &[u8; 32],
        aigc_data: &[u8],
        proof: &[u8],
    ) -> Result<TxOutcome> {
        let prompt = Bytes::copy_from_slice(seed);
        let c = self.instance()?;
        let call = c.addAigcData(token_id, prompt, aigc_data.to_vec().into(), proof.to_vec().into());
        let pending = sender::in_turn(self.sender, call.send()).await.map_err(classify)?;
        Ok(self.confirm(pending).await?.0)
    }

    /// Commits to the seeds of tokens `first..first + count` (the signing account must be the
    /// minter): the commitment's ID and the transaction.
    pub async fn commit_seeds(&self, first: u64, count: u64) -> Result<(u64, TxOutcome)> {
        let c = self.instance()?;
        let call = c.commitSeeds(U256::from(first), U256::from(count));
        let pending = sender::in_turn(self.sender, call.send()).await.map_err(classify)?;
        let (outcome, receipt) = self.confirm(pending).await?;
        let commit_id = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<ProvregCollection::SeedsCommitted>().ok())
            .map(|log| log.inner.data.commitId)
            .ok_or_else(|| AnchorError::TransactionFailed {
                tx_hash: outcome.tx_hash,
                reason: "no SeedsCommitted event in the receipt".to_owned(),
            })?;
        let commit_id = u64::try_from(commit_id).map_err(|_| AnchorError::TransactionFailed {
            tx_hash: outcome.tx_hash,
            reason: format!("seed commitment ID {commit_id} is not a u64"),
        })?;
        Ok((commit_id, outcome))
    }

    /// Reveals the randomness of commitment `commit_id` (`CHAIN` seeds; anyone may). Before
    /// its randomness block is mined this is [`CollectionRevert::RandomnessNotMined`], found
    /// while estimating gas, so nothing is sent.
    ///
    /// [`CollectionRevert::RandomnessNotMined`]: crate::CollectionRevert::RandomnessNotMined
    pub async fn reveal_seeds(&self, commit_id: u64) -> Result<TxOutcome> {
        let c = self.instance()?;
        let call = c.revealSeeds(U256::from(commit_id));
        let pending = sender::in_turn(self.sender, call.send()).await.map_err(classify)?;
        Ok(self.confirm(pending).await?.0)
    }

    /// Emits `MetadataUpdate(token_id)` (the signing account must be the registry account).
    pub async fn update_metadata(&self, token_id: U256) -> Result<TxOutcome> {
        let pending =
            sender::in_turn(self.sender, self.instance()?.updateMetadata(token_id).send()).await.map_err(classify)?;
        Ok(self.confirm(pending).await?.0)
    }

    /// Emits `BatchMetadataUpdate(from_token, to_token)` (the signing account must be the
    /// registry account).
    pub async fn batch_update_metadata(&self, from_token: U256, to_token: U256) -> Result<TxOutcome> {
        let tx_hash = self.send_batch_update_metadata(from_token, to_token).await?;
        self.wait_for(tx_hash).await
    }

    /// Sends `batchUpdateMetadata(from_token, to_token)` and returns its hash without waiting
    /// for it: a caller that must not send twice saves the hash first, then calls
    /// [`wait_for`](Self::wait_for).
    pub async fn send_batch_update_metadata(&self, from_token: U256, to_token: U256) -> Result<TxHash> {
        let pending = sender::in_turn(self.sender, self.instance()?.batchUpdateMetadata(from_token, to_token).send())
            .await
            .map_err(classify)?;
        Ok(*pending.tx_hash())
    }

    /// Waits (up to the receipt timeout) for the receipt of `tx_hash`, sent earlier; a
    /// transaction that failed on chain is [`AnchorError::TransactionFailed`].
    pub async fn wait_for(&self, tx_hash: TxHash) -> Result<TxOutcome> {
        let pending = PendingTransactionBuilder::new(self.provider.root().clone(), tx_hash);
        Ok(self.confirm(pending).await?.0)
    }

    /// What the node says of `tx_hash` now: its outcome once mined (a revert is
    /// [`AnchorError::TransactionFailed`]), `Ok(None)` while it is not mined;
    /// [`known`](Self::known) tells a pending transaction from
    /// one the node never saw or dropped.
    pub async fn receipt(&self, tx_hash: TxHash) -> Result<Option<TxOutcome>> {
        let Some(receipt) = self.provider.get_transaction_receipt(tx_hash).await.map_err(classify_rpc)? else {
            return Ok(None);
        };
        if !receipt.status() {
            return Err(AnchorError::TransactionFailed { tx_hash, reason: "reverted on chain".to_owned() });
        }
        let Some(block_number) = receipt.block_number else { return Ok(None) };
        Ok(Some(TxOutcome { tx_hash, block_number, gas_used: receipt.gas_used }))
    }

    /// Whether the node knows `tx_hash`, mined or waiting in its pool.
    pub async fn known(&self, tx_hash: TxHash) -> Result<bool> {
        Ok(self.provider.get_transaction_by_hash(tx_hash).await.map_err(classify_rpc)?.is_some())
    }

    /// The EIP-155 chain ID the node reports.
    pub async fn chain_id(&self) -> Result<u64> {
        self.provider.get_chain_id().await.map_err(classify_rpc)
    }

    /// The number of the newest block.
    pub async fn block_number(&self) -> Result<u64> {
        self.provider.get_block_number().await.map_err(classify_rpc)
    }

    /// Waits for the receipt; a transaction that failed on chain is
    /// [`AnchorError::TransactionFailed`].
    async fn confirm(
        &self,
        pending: PendingTransactionBuilder<alloy::network::Ethereum>,
    ) -> Result<(TxOutcome, TransactionReceipt)> {
        let tx_hash = *pending.tx_hash();
        let receipt = pending
            .with_timeout(Some(self.receipt_timeout))
            .get_receipt()
            .await
            .map_err(|e| AnchorError::Transport(format!("waiting for {tx_hash}: {e}")))?;
        if !receipt.status() {
            return Err(AnchorError::TransactionFailed { tx_hash, reason: "reverted on chain".to_owned() });
        }
        let outcome =
            TxOutcome { tx_hash, block_number: receipt.block_number.unwrap_or_default(), gas_used: receipt.gas_used };
        Ok((outcome, receipt))
    }
}
