// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ProvenanceAnchor
/// @notice Append-only, gap-free anchoring of provreg log batches. Each batch covers the log
/// sequence numbers [firstSeq, firstSeq + size) and is committed as
/// `sha256(0x02 || root || uint64be(size))`, where `root` is the batch's Merkle root
/// (SHA-256, 0x00 leaf / 0x01 node prefixes, odd levels duplicate their last node).
/// @dev Storage: slot 0 packs `nextSeq` (bytes 0..8) and `batchCount` (bytes 8..16); slot 1 is
/// the `batchId => commitment` mapping, one new slot per batch. The owner is immutable (kept
/// in the code, not in storage). `root`, `firstSeq` and `size` of every batch are in the
/// `Anchored` event; the commitment binds root and size, so `verifyInclusion` takes the size
/// from the caller and checks it against storage.
contract ProvenanceAnchor {
    /// The caller is not the owner that deployed the contract.
    error NotOwner();
    /// `firstSeq` is not the next unanchored sequence number.
    error SequenceGap(uint64 expected, uint64 got);
    /// A batch must cover at least one log entry.
    error ZeroSize();
    /// `firstSeq + size` does not fit in 64 bits.
    error SequenceOverflow();

    /// A batch was anchored.
    event Anchored(uint256 indexed batchId, bytes32 root, uint64 firstSeq, uint64 size);

    struct State {
        uint64 nextSeq;
        uint64 batchCount;
    }

    /// The only account allowed to anchor.
    address public immutable owner;

    State private _state;
    mapping(uint256 batchId => bytes32 commitment) private _commitments;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Anchors the batch [firstSeq, firstSeq + size) with Merkle root `root`.
    /// @return batchId the number of the new batch (0, 1, 2, ...)
    function anchor(bytes32 root, uint64 firstSeq, uint64 size) external returns (uint256 batchId) {
        if (msg.sender != owner) revert NotOwner();
        if (size == 0) revert ZeroSize();
        State memory state = _state;
        if (firstSeq != state.nextSeq) revert SequenceGap(state.nextSeq, firstSeq);
        if (size > type(uint64).max - firstSeq) revert SequenceOverflow();
        batchId = state.batchCount;
        _commitments[batchId] = batchCommitment(root, size);
        unchecked {
            // Cannot overflow: checked above, and batchCount <= nextSeq.
            _state = State(firstSeq + size, state.batchCount + 1);
        }
        emit Anchored(batchId, root, firstSeq, size);
    }

    /// @notice The first log sequence number not yet anchored.
    function nextSeq() external view returns (uint64) {
        return _state.nextSeq;
    }

    /// @notice How many batches have been anchored.
    function batchCount() external view returns (uint64) {
        return _state.batchCount;
    }

    /// @notice The stored commitment of a batch; zero for a batch that does not exist.
    function batch(uint256 batchId) external view returns (bytes32 commitment) {
        return _commitments[batchId];
    }

    /// @notice `sha256(0x02 || root || uint64be(size))`, the value stored per batch.
    function batchCommitment(bytes32 root, uint64 size) public pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x02), root, size));
    }

    /// @notice Checks that `leaf` is entry `index` of batch `batchId`, which has `size` entries.
    /// @param proof the sibling path from the leaf level up, as produced off-chain
    function verifyInclusion(uint256 batchId, bytes32 leaf, uint64 index, uint64 size, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 stored = _commitments[batchId];
        if (stored == bytes32(0) || index >= size) return false;
        (bool ok, bytes32 root) = _computeRoot(leaf, index, size, proof);
        return ok && batchCommitment(root, size) == stored;
    }

    function _computeRoot(bytes32 leaf, uint256 index, uint256 width, bytes32[] calldata proof)
        private
        pure
        returns (bool, bytes32)
    {
        bytes32 node = sha256(abi.encodePacked(bytes1(0x00), leaf));
        uint256 level = 0;
        while (width > 1) {
            if (level == proof.length) return (false, 0);
            bytes32 sibling = proof[level];
            if (index & 1 == 1) {
                node = sha256(abi.encodePacked(bytes1(0x01), sibling, node));
            } else {
                // The last node of an odd level is paired with itself.
                if (index + 1 == width && sibling != node) return (false, 0);
                node = sha256(abi.encodePacked(bytes1(0x01), node, sibling));
            }
            index >>= 1;
            width = (width + 1) >> 1;
            ++level;
        }
        return (level == proof.length, node);
    }
}
