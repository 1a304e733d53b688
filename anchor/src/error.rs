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
    /// A log signing or verifier key that cannot be used.
    #[error("log key: {0}")]
    LogKey(String),
    /// The contract refused the call (it reverted).
    #[cfg(feature = "chain")]
    #[error("the contract rejected the call: {0}")]
    Reverted(ContractRevert),
    /// The `ProvregCollection` contract refused the call (it reverted).
    #[cfg(feature = "chain")]
    #[error("the collection contract rejected the call: {0}")]
    CollectionReverted(CollectionRevert),
    /// The code at an address is not the expected contract (e.g. a recorded verifier
    /// address whose code hash is not the circuit's verifier).
    #[cfg(feature = "chain")]
    #[error("the code at {address} has Keccak-256 {actual}, not the expected {expected}")]
    CodeMismatch {
        /// The account.
        address: alloy::primitives::Address,
        /// The expected runtime code hash.
        expected: alloy::primitives::B256,
        /// The hash of the code found there (that of empty code when there is none).
        actual: alloy::primitives::B256,
    },
    /// A value that is not an element of the BN254 scalar field in EZKL's encoding
    /// (32 little-endian bytes in hex, below the modulus).
    #[cfg(feature = "chain")]
    #[error("not a field element: {0}")]
    FieldElement(String),
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
    /// `ProvenanceLog`: the previous state sent is not the contract's latest (another anchor
    /// got in first, or the chain lost states).
    #[error("the previous state is not the contract's latest (head {latest})")]
    NotLatestState {
        /// The contract's latest head.
        latest: alloy::primitives::B256,
    },
    /// `ProvenanceLog`: the new state has fewer entries than the latest.
    #[error("the log would shrink from {latest} to {size} entries")]
    LogShrinks {
        /// The latest state's size.
        latest: u64,
        /// The size sent.
        size: u64,
    },
    /// `ProvenanceLog`: the latest state's size with another root (a forked history).
    #[error("a state of the latest size with another root")]
    ForkedRoot,
    /// A revert this crate does not know, with its raw message or data.
    #[error("{0}")]
    Other(String),
}

/// Why the `ProvregCollection` contract reverted.
#[cfg(feature = "chain")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectionRevert {
    /// The sender is not the collection's minter.
    #[error("sender is not the minter")]
    NotMinter,
    /// The sender is not the collection's registry account.
    #[error("sender is not the registry account")]
    NotRegistry,
    /// The token was minted before.
    #[error("token {0} exists")]
    TokenExists(alloy::primitives::U256),
    /// The token does not exist.
    #[error("token {0} does not exist")]
    NonexistentToken(alloy::primitives::U256),
    /// The prompt is not a 32-byte seed.
    #[error("the prompt is not a 32-byte seed")]
    InvalidPrompt,
    /// The traits are not the circuit's number of words, each within half the field.
    #[error("the traits (aigcData) are malformed")]
    InvalidAigcData,
    /// The verifier did not accept the proof for the seed and traits.
    #[error("the verifier rejected the proof for this seed and these traits")]
    ProofRejected,
    /// A constructor argument is out of range (no verifier code, a scale above 20, a zero
    /// role account, too many inputs or outputs).
    #[error("invalid collection parameters")]
    InvalidParameters,
    /// The collection's seeds are the operator's: nothing is committed.
    #[error("the collection's seeds are chosen by the operator; it takes no seed commitments")]
    NoSeedCommitments,
    /// A seed commitment's range is empty, too long, beyond 64-bit token IDs, or overlaps an
    /// earlier one.
    #[error(
        "cannot commit to the seeds of {count} tokens from {first}: the range is empty, too long, or not after every committed range"
    )]
    InvalidSeedRange {
        /// The first token.
        first: alloy::primitives::U256,
        /// How many.
        count: alloy::primitives::U256,
    },
    /// No committed range holds the token.
    #[error("the seed of token {0} is not committed")]
    SeedNotCommitted(alloy::primitives::U256),
    /// The commitment's randomness block is not mined yet.
    #[error("the randomness block {randomness_block} of seed commitment {commit_id} is not mined yet")]
    RandomnessNotMined {
        /// The commitment.
        commit_id: alloy::primitives::U256,
        /// Its randomness block.
        randomness_block: u64,
    },
    /// The commitment's randomness was revealed before.
    #[error("the randomness of seed commitment {0} is revealed already")]
    SeedsAlreadyRevealed(alloy::primitives::U256),
    /// The randomness block is older than the 256 blocks whose hash the chain serves.
    #[error("seed commitment {0} expired: its randomness block is more than 256 blocks old and was never revealed")]
    SeedsExpired(alloy::primitives::U256),
    /// The commitment's randomness is not revealed yet.
    #[error("the randomness of seed commitment {0} is not revealed yet")]
    SeedsNotRevealed(alloy::primitives::U256),
    /// The prompt is not the seed the contract assigned to the token.
    #[error("the seed is not the one the collection assigned to token {token_id} ({expected})")]
    WrongSeed {
        /// The token.
        token_id: alloy::primitives::U256,
        /// The assigned seed.
        expected: alloy::primitives::B256,
    },
    /// A committed range is minted in order, and the token is not its next.
    #[error("token {token_id} is not the next token of its committed range ({expected}): ranges are minted in order")]
    NotNextToken {
        /// The token.
        token_id: alloy::primitives::U256,
        /// The range's next token.
        expected: alloy::primitives::U256,
    },
    /// A metadata update range whose first token is after its last.
    #[error("invalid token range {from}..={to}")]
    InvalidRange {
        /// The first token.
        from: alloy::primitives::U256,
        /// The last token.
        to: alloy::primitives::U256,
    },
    /// A revert this crate does not know, with its raw message or data.
    #[error("{0}")]
    Other(String),
}
