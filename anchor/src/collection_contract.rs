//! The `ProvregCollection` contract (ERC-721 + ERC-7007 + ERC-4906 over a circuit's EZKL
//! verifier): its source, compiled artifact and the seed rule's shared known-answer vectors,
//! and (feature `chain`) Rust bindings generated from the artifact.

#![allow(missing_docs, clippy::too_many_arguments)]

/// The compiled artifact (`contracts/ProvregCollection.json`): ABI, bytecode, compiler version.
pub const COLLECTION_ARTIFACT_JSON: &str = include_str!("../contracts/ProvregCollection.json");

/// The contract source the artifact was compiled from.
pub const COLLECTION_SOLIDITY_SOURCE: &str = include_str!("../contracts/ProvregCollection.sol");

/// Known answers of the seed rule (`contracts/test-vectors/seed.json`): seed, input length and
/// scale, the derived integers and their field elements as big-endian uint256 hex. Checked
/// against the prover client's seed and field code and against the contract.
pub const SEED_VECTORS_JSON: &str = include_str!("../contracts/test-vectors/seed.json");

#[cfg(feature = "chain")]
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ProvregCollection,
    "contracts/ProvregCollection.json"
);

#[cfg(feature = "chain")]
alloy::sol! {
    /// The ABI of the verifier contract EZKL generates for a circuit.
    #[sol(rpc)]
    #[derive(Debug)]
    contract Halo2Verifier {
        function verifyProof(bytes calldata proof, uint256[] calldata instances) public returns (bool);
    }
}
