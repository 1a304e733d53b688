//! Clients of the `ProvenanceLog` contract: [`LogReader`] reads states and checks inclusion
//! with no key; [`LogClient`] deploys and anchors states (feature `chain-write`).
//!
//! Anchoring is two steps ([`LogClient::send_anchor`], [`LogClient::wait_confirmed`]) so a
//! caller can persist "pending, transaction T" between them and reconcile after a crash with
//! [`LogReader::head`]: the contract holds either the state sent (confirm it) or the one before
//! (send again).

use alloy::primitives::{Address, B256, TxHash};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};

use super::reader::{node_chain_id, parse_rpc_url};
use crate::contract::ProvenanceLog::{self, ProvenanceLogInstance};
use crate::error::{AnchorError, Result};
use crate::log_tree::LogInclusionProof;
use crate::revert::{classify_log, classify_log_rpc};
use crate::state::LogState;

/// One `Anchored` event of `ProvenanceLog`: a state and where the chain holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEvent {
    /// The state's head.
    pub head: B256,
    /// Its fields.
    pub state: LogState,
    /// The block that holds it.
    pub block_number: u64,
    /// That block's timestamp (seconds since the Unix epoch).
    pub block_time: u64,
    /// The transaction that anchored it.
    pub tx_hash: TxHash,
}

fn to_sol(s: &LogState) -> ProvenanceLog::State {
    ProvenanceLog::State {
        prevHead: B256::from(s.prev_head),
        logRoot: B256::from(s.log_root),
        size: s.size,
        statusRoot: B256::from(s.status_root),
    }
}

/// A read-only client of one deployed `ProvenanceLog` contract.
#[derive(Clone)]
pub struct LogReader {
    provider: DynProvider,
    contract: Address,
}

impl std::fmt::Debug for LogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader").field("contract", &self.contract).finish_non_exhaustive()
    }
}

impl LogReader {
    /// A reader of `contract` through the node at `rpc_url`. Does not contact the node.
    pub fn connect(rpc_url: &str, contract: Address) -> Result<Self> {
        let url = parse_rpc_url(rpc_url)?;
        Ok(Self { provider: ProviderBuilder::new().connect_http(url).erased(), contract })
    }

    /// The contract address.
    pub fn contract_address(&self) -> Address {
        self.contract
    }

    /// The node's chain id.
    pub async fn chain_id(&self) -> Result<u64> {
        node_chain_id(&self.provider).await
    }

    fn instance(&self) -> ProvenanceLogInstance<&DynProvider> {
        ProvenanceLog::new(self.contract, &self.provider)
    }

    /// The latest state's head, `None` before the first anchor.
    pub async fn head(&self) -> Result<Option<B256>> {
        let head = self.instance().head().call().await.map_err(classify_log)?;
        Ok((head != B256::ZERO).then_some(head))
    }

    /// The event that anchored the state with head `head`, searching from block `from_block`
    /// on; `None` if the contract never anchored it.
    pub async fn find_state(&self, head: B256, from_block: u64) -> Result<Option<StateEvent>> {
        let logs = self
            .instance()
            .Anchored_filter()
            .topic1(head)
            .from_block(from_block)
            .query()
            .await
            .map_err(classify_log)?;
        let Some((e, log)) = logs.into_iter().next() else { return Ok(None) };
        let block_number = log.block_number.ok_or_else(|| AnchorError::Transport("an event without a block".into()))?;
        let tx_hash =
            log.transaction_hash.ok_or_else(|| AnchorError::Transport("an event without a transaction".into()))?;
        let block_time = match log.block_timestamp {
            Some(t) => t,
            None => self.block_time(block_number).await?,
        };
        let state =
            LogState { prev_head: e.prevHead.0, log_root: e.logRoot.0, size: e.size, status_root: e.statusRoot.0 };
        if state.head() != e.head.0 {
            return Err(AnchorError::Transport(format!("the event of head {} holds another state", e.head)));
        }
        Ok(Some(StateEvent { head: e.head, state, block_number, block_time, tx_hash }))
    }

    /// The latest state and its event, `None` before the first anchor.
    pub async fn latest(&self, from_block: u64) -> Result<Option<StateEvent>> {
        match self.head().await? {
            None => Ok(None),
            Some(head) => self.find_state(head, from_block).await?.map(Some).ok_or_else(|| {
                AnchorError::Transport(format!("the contract holds head {head} but no event of it was found"))
            }),
        }
    }

    /// A block's timestamp.
    pub async fn block_time(&self, number: u64) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(classify_log_rpc)?
            .ok_or_else(|| AnchorError::Transport(format!("block {number} not found")))?;
        Ok(block.header.timestamp)
    }

    /// Asks the contract's `verifyInclusion` view whether `proof` holds in `latest`, which
    /// must be the contract's latest state.
    pub async fn verify_inclusion(&self, latest: &LogState, proof: &LogInclusionProof) -> Result<bool> {
        let hashes: Vec<B256> = proof.hashes.iter().map(|h| B256::from(*h)).collect();
        self.instance()
            .verifyInclusion(to_sol(latest), B256::from(proof.leaf), proof.index, hashes)
            .call()
            .await
            .map_err(classify_log)
    }
}

#[cfg(feature = "chain-write")]
pub use write::{LogAnchorReceipt, LogClient};

#[cfg(feature = "chain-write")]
mod write {
    use std::time::{Duration, Instant};

    use alloy::primitives::{Address, B256, TxHash};
    use alloy::providers::{DynProvider, Provider};

    use super::{LogReader, StateEvent, to_sol};
    use crate::contract::ProvenanceLog::{self, ProvenanceLogInstance};
    use crate::error::{AnchorError, Result};
    use crate::revert::{classify_log, classify_log_rpc};
    use crate::state::LogState;

    /// A confirmed anchor of a state.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct LogAnchorReceipt {
        /// The state and where the chain holds it.
        pub event: StateEvent,
        /// Gas the transaction used.
        pub gas_used: u64,
    }

    /// A signing client of one `ProvenanceLog` contract.
    pub struct LogClient {
        provider: DynProvider,
        sender: Address,
        contract: Option<Address>,
        confirmations: u64,
        poll_interval: Duration,
        receipt_timeout: Duration,
    }

    impl std::fmt::Debug for LogClient {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("LogClient")
                .field("sender", &self.sender)
                .field("contract", &self.contract)
                .finish_non_exhaustive()
        }
    }

    impl LogClient {
        /// A client of the node at `rpc_url` signing with `private_key_hex`; `contract` may be
        /// `None` until [`deploy`](Self::deploy). `confirmations` counts the including block.
        pub fn connect(
            rpc_url: &str,
            private_key_hex: &str,
            contract: Option<Address>,
            confirmations: u64,
        ) -> Result<Self> {
            let (provider, sender) = crate::chain::sender::signing_provider(rpc_url, private_key_hex)?;
            Ok(Self {
                provider,
                sender,
                contract,
                confirmations: confirmations.max(1),
                poll_interval: Duration::from_millis(200),
                receipt_timeout: Duration::from_secs(120),
            })
        }

        /// The signing account.
        pub fn sender(&self) -> Address {
            self.sender
        }

        /// The node's chain id.
        pub async fn chain_id(&self) -> Result<u64> {
            crate::chain::reader::node_chain_id(&self.provider).await
        }

        /// The contract address, once known.
        pub fn contract_address(&self) -> Option<Address> {
            self.contract
        }

        /// The read side: same node and contract, no signing.
        pub fn reader(&self) -> Result<LogReader> {
            let contract = self.contract.ok_or_else(|| AnchorError::Config("no contract address".to_owned()))?;
            Ok(LogReader { provider: self.provider.clone(), contract })
        }

        /// Deploys a new `ProvenanceLog` owned by the signing account and uses it from now on.
        pub async fn deploy(&mut self) -> Result<Address> {
            let instance = crate::chain::sender::in_turn(self.sender, ProvenanceLog::deploy(self.provider.clone()))
                .await
                .map_err(classify_log)?;
            let address = *instance.address();
            self.contract = Some(address);
            Ok(address)
        }

        fn instance(&self) -> Result<ProvenanceLogInstance<&DynProvider>> {
            let address = self.contract.ok_or_else(|| AnchorError::Config("no contract address".to_owned()))?;
            Ok(ProvenanceLog::new(address, &self.provider))
        }

        /// Sends the anchor of `next` after `prev` (the contract's latest; `None` for the first
        /// state) and returns the transaction's hash without waiting. A revert found while
        /// estimating gas is [`AnchorError::Reverted`].
        pub async fn send_anchor(&self, prev: Option<&LogState>, next: &LogState) -> Result<TxHash> {
            let expected_prev = prev.map(LogState::head).unwrap_or(crate::state::GENESIS_HEAD);
            if next.prev_head != expected_prev {
                return Err(AnchorError::Config("the new state does not follow the previous one".to_owned()));
            }
            let prev = prev.copied().unwrap_or(LogState {
                prev_head: [0; 32],
                log_root: [0; 32],
                size: 0,
                status_root: [0; 32],
            });
            let instance = self.instance()?;
            let call =
                instance.anchor(to_sol(&prev), B256::from(next.log_root), next.size, B256::from(next.status_root));
            let pending = crate::chain::sender::in_turn(self.sender, call.send()).await.map_err(classify_log)?;
            Ok(*pending.tx_hash())
        }

        /// Waits until `tx_hash` has the configured confirmations and reads the state from its
        /// receipt.
        pub async fn wait_confirmed(&self, tx_hash: TxHash) -> Result<LogAnchorReceipt> {
            let deadline = Instant::now() + self.receipt_timeout;
            loop {
                match self.confirmed(tx_hash).await {
                    Ok(Some(r)) => return Ok(r),
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

        async fn confirmed(&self, tx_hash: TxHash) -> Result<Option<LogAnchorReceipt>> {
            let failed = |reason: &str| AnchorError::TransactionFailed { tx_hash, reason: reason.to_owned() };
            let Some(receipt) = self.provider.get_transaction_receipt(tx_hash).await.map_err(classify_log_rpc)? else {
                return Ok(None);
            };
            let Some(mined_in) = receipt.block_number else { return Ok(None) };
            let tip = self.provider.get_block_number().await.map_err(classify_log_rpc)?;
            if tip + 1 < mined_in + self.confirmations {
                return Ok(None);
            }
            if !receipt.status() {
                return Err(failed("reverted on chain"));
            }
            let e = receipt
                .inner
                .logs()
                .iter()
                .filter(|log| Some(log.address()) == self.contract)
                .find_map(|log| log.log_decode::<ProvenanceLog::Anchored>().ok())
                .ok_or_else(|| failed("no Anchored event from the contract"))?
                .inner
                .data;
            let state =
                LogState { prev_head: e.prevHead.0, log_root: e.logRoot.0, size: e.size, status_root: e.statusRoot.0 };
            let block_time = self.reader()?.block_time(mined_in).await?;
            Ok(Some(LogAnchorReceipt {
                event: StateEvent { head: e.head, state, block_number: mined_in, block_time, tx_hash },
                gas_used: receipt.gas_used,
            }))
        }
    }
}
