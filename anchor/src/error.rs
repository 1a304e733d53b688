//! The crate's one error type.

/// `Result` with [`AnchorError`].
pub type Result<T, E = AnchorError> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate. The chain variants exist with the `chain`
/// feature, those of sending transactions with `chain-write`, `DevChain` with `devchain`;
/// match with a wildcard arm, as another crate may turn those features on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// A batch tree needs at least one leaf.
    #[error("a batch needs at least one leaf")]
    EmptyBatch,
    /// A leaf index at or past the end of the batch.
    #[error("leaf index {index} is out of range for a batch of {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of leaves in the batch.
        size: u64,
    },
    /// An inclusion proof that does not prove what it claims.
    #[error("inclusion proof does not verify: {0}")]
    ProofMismatch(&'static str),
    /// An inclusion proof document that cannot be read.
    #[error("malformed inclusion proof: {0}")]
    MalformedProof(String),
    /// The contract refused the call (it reverted).
    #[cfg(feature = "chain")]
    #[error("the contract rejected the call: {0}")]
    Reverted(ContractRevert),
    /// The chain node could not be reached or answered with an error that is not a revert;
    /// retrying later may succeed.
    #[cfg(feature = "chain")]
    #[error("chain transport error: {0}")]
    Transport(String),
    /// The node answered with an error that is not a revert (e.g. insufficient funds, nonce
    /// too low); retrying the same request will not help.
    #[cfg(feature = "chain")]
    #[error("the node refused the request: {0}")]
    NodeRejected(String),
    /// A transaction was mined but failed, or its receipt does not hold what it should.
    #[cfg(feature = "chain-write")]
    #[error("transaction {tx_hash} failed: {reason}")]
    TransactionFailed {
        /// The transaction.
        tx_hash: alloy::primitives::TxHash,
        /// What is wrong with it.
        reason: String,
    },
    /// Waiting for a transaction or a node took longer than allowed.
    #[cfg(feature = "chain-write")]
    #[error("timed out: {0}")]
    Timeout(String),
    /// A bad argument or setting: an unparsable RPC URL or key, no contract address.
    #[cfg(feature = "chain")]
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The local development chain could not be started.
    #[cfg(feature = "devchain")]
    #[error("local chain: {0}")]
    DevChain(String),
}

/// Why the `ProvenanceAnchor` contract reverted.
#[cfg(feature = "chain")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractRevert {
    /// The sender is not the contract's owner.
    #[error("sender is not the owner")]
    NotOwner,
    /// `firstSeq` was not the contract's `nextSeq`: a gap, or a replay of an anchored range.
    #[error("sequence gap: the contract expects firstSeq {expected}, got {got}")]
    SequenceGap {
        /// The contract's `nextSeq`.
        expected: u64,
        /// The `firstSeq` sent.
        got: u64,
    },
    /// A batch of zero entries.
    #[error("a batch must not be empty")]
    ZeroSize,
    /// `firstSeq + size` does not fit in 64 bits.
    #[error("sequence number overflow")]
    SequenceOverflow,
    /// A revert this crate does not know, with its raw message or data.
    #[error("{0}")]
    Other(String),
}
