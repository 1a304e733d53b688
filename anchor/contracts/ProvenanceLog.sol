// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ProvenanceLog
/// @notice Anchors the provreg log as a chain of states. Each state commits to the whole log
/// as one RFC 6962 Merkle tree (`logRoot` over `size` entries), to the status map's root
/// (`statusRoot`: record ID => digest of its latest status event) and to the state before it:
/// `head = sha256(0x03 || prevHead || logRoot || uint64be(size) || statusRoot)`, with a zero
/// `prevHead` for the first state.
/// @dev Storage is one slot, the latest head, overwritten by every anchor; every state is in
/// the `Anchored` event. A state may keep the size of the one before it (a heartbeat, so the
/// chain shows the log is still current) but then not change its root; it may never shrink.
/// Whether a larger tree extends the smaller one is not checked here (that takes a consistency
/// proof, checked off chain by monitors against the roots in the events).
contract ProvenanceLog {
    /// The caller is not the owner that deployed the contract.
    error NotOwner();
    /// `prev` is not the state the contract holds.
    error NotLatestState(bytes32 latest);
    /// A state must cover at least one log entry.
    error ZeroSize();
    /// The new state has fewer entries than the latest.
    error LogShrinks(uint64 latest, uint64 size);
    /// The new state has the latest state's size but another root: a forked history.
    error ForkedRoot(bytes32 latestRoot, bytes32 root);

    /// A state was anchored.
    event Anchored(bytes32 indexed head, bytes32 prevHead, bytes32 logRoot, uint64 size, bytes32 statusRoot);

    /// A state's fields (its head is `stateHead(state)`).
    struct State {
        bytes32 prevHead;
        bytes32 logRoot;
        uint64 size;
        bytes32 statusRoot;
    }

    /// The only account allowed to anchor.
    address public immutable owner;

    bytes32 private _head;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Anchors the state that follows `prev` (the contract's latest; ignored for the
    /// first state) with the given log tree and status map.
    /// @return newHead the new state's head
    function anchor(State calldata prev, bytes32 logRoot, uint64 size, bytes32 statusRoot)
        external
        returns (bytes32 newHead)
    {
        if (msg.sender != owner) revert NotOwner();
        if (size == 0) revert ZeroSize();
        bytes32 latest = _head;
        if (latest != bytes32(0)) {
            if (stateHead(prev) != latest) revert NotLatestState(latest);
            if (size < prev.size) revert LogShrinks(prev.size, size);
            if (size == prev.size && logRoot != prev.logRoot) revert ForkedRoot(prev.logRoot, logRoot);
        }
        newHead = sha256(abi.encodePacked(bytes1(0x03), latest, logRoot, size, statusRoot));
        _head = newHead;
        emit Anchored(newHead, latest, logRoot, size, statusRoot);
    }

    /// @notice The latest state's head; zero before the first anchor.
    function head() external view returns (bytes32) {
        return _head;
    }

    /// @notice `sha256(0x03 || prevHead || logRoot || uint64be(size) || statusRoot)`.
    function stateHead(State calldata state) public pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x03), state.prevHead, state.logRoot, state.size, state.statusRoot));
    }

    /// @notice Checks that `leaf` is entry `index` of the latest state's log tree (RFC 6962
    /// audit path `proof`, leaf level first; entry hash `sha256(0x00 || leaf)`).
    function verifyInclusion(State calldata latest, bytes32 leaf, uint64 index, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (_head == bytes32(0) || stateHead(latest) != _head || index >= latest.size) return false;
        uint256 fn = index;
        uint256 sn = uint256(latest.size) - 1;
        bytes32 node = sha256(abi.encodePacked(bytes1(0x00), leaf));
        for (uint256 i = 0; i < proof.length; ++i) {
            if (sn == 0) return false;
            if (fn & 1 == 1 || fn == sn) {
                node = sha256(abi.encodePacked(bytes1(0x01), proof[i], node));
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                node = sha256(abi.encodePacked(bytes1(0x01), node, proof[i]));
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && node == latest.logRoot;
    }
}
