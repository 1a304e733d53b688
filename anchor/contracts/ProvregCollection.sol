// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @notice ERC-7007 (verifiable AI-generated content tokens), final interface.
interface IERC7007 is IERC165 {
    /// AI-generated content was added to a token.
    event AigcData(uint256 indexed tokenId, bytes indexed prompt, bytes indexed aigcData, bytes proof);

    /// Mints `tokenId` with its content once `proof` verifies for `prompt` and `aigcData`.
    function addAigcData(uint256 tokenId, bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external;

    /// Whether `proof` proves that `aigcData` is what the model makes of `prompt`.
    function verify(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
        view
        returns (bool success);
}

/// @notice The verifier contract EZKL generates for a circuit (`Halo2Verifier`). It is declared
/// `view` here so calls to it are static: it only reads its arguments.
interface IHalo2Verifier {
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// @title ProvregCollection
/// @notice An ERC-721 collection of one model version's tokens, each minted only with a zkML
/// proof, checked here by the circuit's EZKL verifier, that the model turned the token's seed
/// into the token's traits (ERC-7007). The registry signals metadata changes (ERC-4906).
/// @dev Roles, fixed at deployment (there is no owner and no way to change them; a new role
/// means a new collection):
/// - `minter` alone mints (`addAigcData`), always to itself; it may transfer tokens after.
/// - `registry` alone emits `MetadataUpdate` and `BatchMetadataUpdate`.
///
/// `prompt` is the token's 32-byte seed. `aigcData` is the token's quantised traits:
/// `outputLen` big-endian two's-complement int256 words, word j the integer n_j of the
/// circuit's output j (the trait is n_j / 2^outputScale), |n_j| <= (P - 1) / 2.
///
/// The verifier's instances are the inputs then the outputs, each an element of the BN254
/// scalar field (P), a negative integer n as P - |n|. Input i is derived from the seed as
/// provreg's seed rule says: n_i = (uint64(first 8 bytes of sha256("provreg.seed.v1" || seed
/// || uint32be(i))) mod 2^(inputScale + 1)) - 2^inputScale.
///
/// Nothing is stored per token but its owner: the seed, the traits' and the prompt's hashes
/// (as topics) and the proof are in the `AigcData` event, and the seed and traits in the
/// calldata of the transaction that emitted it.
///
/// Seeds (`seedSource`, fixed at deployment):
/// - `OPERATOR` (0): any seed is accepted; nothing here says where it came from.
/// - `CHAIN` (1): the contract assigns seeds. The minter first commits to a range of token IDs
///   (`commitSeeds`) in block c; once block r = c + `seedDelay` is mined, anyone reveals the
///   range's randomness, `blockhash(r)` (`revealSeeds`, within 256 blocks of r, while the
///   chain still serves that hash). The seed of token t is then
///   `sha256("provreg.chain-seed.v1" || uint64be(chainid) || this || randomness || uint256be(t))`
///   (`seedOf`), and `addAigcData` refuses any other prompt. A range whose randomness was not
///   revealed in time can never be minted.
/// - In both, a committed range (at most 100,000 tokens) is minted in order: the minter cannot
///   skip a token whose seed it dislikes to mint a later one, only stop, which shows.
/// - `BEACON` (2): tokens must be in a committed range too, whose commit block's timestamp is
///   stored; the seed comes from a drand round after it, which the registry checks (the
///   contract cannot check the beacon's BLS signature), so any prompt is accepted here.
contract ProvregCollection is ERC721, IERC7007, IERC4906 {
    /// The caller is not the minter.
    error NotMinter();
    /// The caller is not the registry.
    error NotRegistry();
    /// The token was minted before.
    error TokenExists(uint256 tokenId);
    /// The prompt is not a 32-byte seed.
    error InvalidPrompt();
    /// The traits are not `outputLen` words each within half the field.
    error InvalidAigcData();
    /// The verifier did not accept the proof for this seed and these traits.
    error ProofRejected();
    /// A constructor argument is out of range.
    error InvalidParameters();
    /// A metadata update range whose first token is after its last.
    error InvalidRange(uint256 fromTokenId, uint256 toTokenId);
    /// This collection's seeds are not committed (its seed source is `OPERATOR`).
    error NoSeedCommitments();
    /// A commitment's range is empty, too long, beyond 64-bit token IDs, or not after every
    /// range committed before.
    error InvalidSeedRange(uint256 firstTokenId, uint256 count);
    /// No committed range holds the token.
    error SeedNotCommitted(uint256 tokenId);
    /// The commitment's randomness block is not mined yet.
    error RandomnessNotMined(uint256 commitId, uint64 randomnessBlock);
    /// The commitment's randomness was revealed before.
    error SeedsAlreadyRevealed(uint256 commitId);
    /// The commitment's randomness block is older than the 256 blocks whose hash the chain serves.
    error SeedsExpired(uint256 commitId);
    /// The commitment's randomness is not revealed yet.
    error SeedsNotRevealed(uint256 commitId);
    /// The prompt is not the seed the contract assigned to the token.
    error WrongSeed(uint256 tokenId, bytes32 expected);
    /// A committed range is minted in order: `expected` is its next token.
    error NotNextToken(uint256 tokenId, uint256 expected);

    /// The minter committed to the seeds of tokens `firstTokenId..firstTokenId + count`.
    event SeedsCommitted(uint256 indexed commitId, uint64 firstTokenId, uint64 count, uint64 randomnessBlock);
    /// The randomness of commitment `commitId` was revealed (`CHAIN` seeds).
    event SeedsRevealed(uint256 indexed commitId, bytes32 randomness);

    /// Where seeds come from (constructor argument).
    struct SeedConfig {
        /// `SEED_OPERATOR`, `SEED_CHAIN` or `SEED_BEACON`.
        uint8 source;
        /// `CHAIN`: blocks from a commitment to its randomness block (1 to 128); else zero.
        uint64 delay;
    }

    /// A committed range of token IDs.
    struct SeedCommitment {
        /// The first token of the range.
        uint64 firstTokenId;
        /// How many tokens it holds.
        uint32 count;
        /// How many of them are minted: they are minted in order, so the next is
        /// `firstTokenId + minted`.
        uint32 minted;
        /// The block of the commitment.
        uint64 commitBlock;
        /// That block's timestamp.
        uint64 commitTime;
        /// `blockhash(commitBlock + seedDelay)` once revealed (`CHAIN`), else zero.
        bytes32 randomness;
    }

    /// Operator-chosen seeds.
    uint8 public constant SEED_OPERATOR = 0;
    /// Chain-assigned seeds.
    uint8 public constant SEED_CHAIN = 1;
    /// drand beacon seeds.
    uint8 public constant SEED_BEACON = 2;
    /// The longest committed range.
    uint256 internal constant MAX_RANGE = 100_000;

    /// The BN254 scalar field modulus.
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// The largest magnitude of a trait integer, (P - 1) / 2.
    uint256 internal constant HALF_P = (P - 1) / 2;
    /// The largest input scale of the seed rule.
    uint256 internal constant MAX_SCALE = 20;
    /// The largest number of inputs or outputs.
    uint256 internal constant MAX_LEN = 4096;

    /// The circuit's EZKL verifier.
    IHalo2Verifier public immutable verifier;
    /// The registry's model commitment of the circuit (for readers; not used on chain).
    bytes32 public immutable circuitCommitment;
    /// The number of the circuit's public inputs.
    uint256 public immutable inputLen;
    /// The fixed-point scale (log2) of the inputs.
    uint256 public immutable inputScale;
    /// The number of the circuit's public outputs (the traits).
    uint256 public immutable outputLen;
    /// The only account that mints.
    address public immutable minter;
    /// The only account that emits metadata updates.
    address public immutable registry;
    /// Where seeds come from: `SEED_OPERATOR`, `SEED_CHAIN` or `SEED_BEACON`.
    uint8 public immutable seedSource;
    /// `CHAIN` seeds: how many blocks after its commitment a range's randomness block is
    /// (1 to 128); zero otherwise.
    uint64 public immutable seedDelay;

    /// Every commitment, by ID (0, 1, …), in increasing token order.
    SeedCommitment[] private _seedCommitments;

    /// `tokenURI(id)` is this followed by `id` in decimal:
    /// `<registryUrl>/tokens/<chain id>/<this contract, lower-case hex>/`.
    string private _metadataBase;

    modifier onlyRegistry() {
        if (msg.sender != registry) revert NotRegistry();
        _;
    }

    constructor(
        string memory name_,
        string memory symbol_,
        IHalo2Verifier verifier_,
        bytes32 circuitCommitment_,
        uint256 inputLen_,
        uint256 inputScale_,
        uint256 outputLen_,
        string memory registryUrl,
        address minter_,
        address registry_,
        SeedConfig memory seeds_
    ) ERC721(name_, symbol_) {
        if (
            address(verifier_).code.length == 0 || inputScale_ > MAX_SCALE || inputLen_ > MAX_LEN
                || outputLen_ > MAX_LEN || minter_ == address(0) || registry_ == address(0)
                || seeds_.source > SEED_BEACON || (seeds_.source == SEED_CHAIN) != (seeds_.delay != 0)
                || seeds_.delay > 128
        ) revert InvalidParameters();
        seedSource = seeds_.source;
        seedDelay = seeds_.delay;
        verifier = verifier_;
        circuitCommitment = circuitCommitment_;
        inputLen = inputLen_;
        inputScale = inputScale_;
        outputLen = outputLen_;
        minter = minter_;
        registry = registry_;
        _metadataBase = string.concat(
            registryUrl, "/tokens/", Strings.toString(block.chainid), "/", Strings.toHexString(address(this)), "/"
        );
    }

    /// @inheritdoc IERC7007
    function addAigcData(uint256 tokenId, bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
    {
        if (msg.sender != minter) revert NotMinter();
        if (_ownerOf(tokenId) != address(0)) revert TokenExists(tokenId);
        if (prompt.length != 32) revert InvalidPrompt();
        if (seedSource != SEED_OPERATOR) {
            (uint256 commitId, SeedCommitment storage c) = _commitmentOf(tokenId);
            if (seedSource == SEED_CHAIN) {
                bytes32 expected = _chainSeed(commitId, c, tokenId);
                if (bytes32(prompt) != expected) revert WrongSeed(tokenId, expected);
            }
            // In order, so no committed token can be skipped for a later one's seed.
            uint256 next = uint256(c.firstTokenId) + c.minted;
            if (tokenId != next) revert NotNextToken(tokenId, next);
            // Below count <= MAX_RANGE: the token is in the range.
            ++c.minted;
        }
        (bool ok, uint256[] memory instances_) = _instances(bytes32(prompt), aigcData);
        if (!ok) revert InvalidAigcData();
        if (!_verifies(proof, instances_)) revert ProofRejected();
        _mint(msg.sender, tokenId);
        emit AigcData(tokenId, prompt, aigcData, proof);
    }

    /// Commits to the seeds of tokens `firstTokenId..firstTokenId + count`, which must come
    /// after every range committed before. Only the minter; not for `OPERATOR` seeds.
    function commitSeeds(uint256 firstTokenId, uint256 count) external returns (uint256 commitId) {
        if (msg.sender != minter) revert NotMinter();
        if (seedSource == SEED_OPERATOR) revert NoSeedCommitments();
        uint256 n = _seedCommitments.length;
        uint256 next = n == 0 ? 0 : uint256(_seedCommitments[n - 1].firstTokenId) + _seedCommitments[n - 1].count;
        if (count == 0 || count > MAX_RANGE || firstTokenId < next || firstTokenId + count > type(uint64).max) {
            revert InvalidSeedRange(firstTokenId, count);
        }
        commitId = n;
        // Both fit: checked above.
        _seedCommitments.push(
            SeedCommitment(uint64(firstTokenId), uint32(count), 0, uint64(block.number), uint64(block.timestamp), 0)
        );
        emit SeedsCommitted(commitId, uint64(firstTokenId), uint64(count), uint64(block.number) + seedDelay);
    }

    /// Reveals the randomness of commitment `commitId` (`CHAIN` seeds): the hash of its
    /// randomness block, once that is mined and while the chain serves its hash. Anyone may.
    function revealSeeds(uint256 commitId) external returns (bytes32 randomness) {
        if (seedSource != SEED_CHAIN || commitId >= _seedCommitments.length) revert SeedNotCommitted(0);
        SeedCommitment storage c = _seedCommitments[commitId];
        if (c.randomness != 0) revert SeedsAlreadyRevealed(commitId);
        uint64 at = c.commitBlock + seedDelay;
        if (block.number <= at) revert RandomnessNotMined(commitId, at);
        randomness = blockhash(at);
        if (randomness == 0) revert SeedsExpired(commitId);
        c.randomness = randomness;
        emit SeedsRevealed(commitId, randomness);
    }

    /// The number of commitments.
    function seedCommitmentCount() external view returns (uint256) {
        return _seedCommitments.length;
    }

    /// Commitment `commitId`.
    function seedCommitment(uint256 commitId) external view returns (SeedCommitment memory) {
        if (commitId >= _seedCommitments.length) revert SeedNotCommitted(0);
        return _seedCommitments[commitId];
    }

    /// The ID of the commitment holding `tokenId`, and the commitment.
    function seedCommitmentOf(uint256 tokenId) external view returns (uint256 commitId, SeedCommitment memory) {
        SeedCommitment storage c;
        (commitId, c) = _commitmentOf(tokenId);
        return (commitId, c);
    }

    /// The seed the contract assigns to `tokenId` (`CHAIN` seeds, once revealed).
    function seedOf(uint256 tokenId) external view returns (bytes32) {
        if (seedSource != SEED_CHAIN) revert NoSeedCommitments();
        (uint256 commitId, SeedCommitment storage c) = _commitmentOf(tokenId);
        return _chainSeed(commitId, c, tokenId);
    }

    /// @inheritdoc IERC7007
    /// @dev A prompt that is not 32 bytes or malformed traits give false.
    function verify(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
        view
        returns (bool success)
    {
        if (prompt.length != 32) return false;
        (bool ok, uint256[] memory instances_) = _instances(bytes32(prompt), aigcData);
        return ok && _verifies(proof, instances_);
    }

    /// The verifier's instances for `seed` and `aigcData` (inputs, then outputs); reverts with
    /// `InvalidAigcData` on malformed traits.
    function instances(bytes32 seed, bytes calldata aigcData) external view returns (uint256[] memory) {
        (bool ok, uint256[] memory instances_) = _instances(seed, aigcData);
        if (!ok) revert InvalidAigcData();
        return instances_;
    }

    /// Signals that the metadata of `tokenId` changed (ERC-4906). Only the registry.
    function updateMetadata(uint256 tokenId) external onlyRegistry {
        emit MetadataUpdate(tokenId);
    }

    /// Signals that the metadata of tokens `fromTokenId..=toTokenId` changed (ERC-4906). Only
    /// the registry.
    function batchUpdateMetadata(uint256 fromTokenId, uint256 toTokenId) external onlyRegistry {
        if (fromTokenId > toTokenId) revert InvalidRange(fromTokenId, toTokenId);
        emit BatchMetadataUpdate(fromTokenId, toTokenId);
    }

    /// `tokenURI(id)` without the id.
    function baseURI() external view returns (string memory) {
        return _metadataBase;
    }

    /// ERC-721, ERC-721 metadata, ERC-165, ERC-7007 (0x702c55a6) and ERC-4906 (0x49064906).
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(IERC7007).interfaceId || interfaceId == bytes4(0x49064906)
            || super.supportsInterface(interfaceId);
    }

    function _baseURI() internal view override returns (string memory) {
        return _metadataBase;
    }

    /// The commitment holding `tokenId` (a binary search over the ranges, which are in
    /// increasing order).
    function _commitmentOf(uint256 tokenId) private view returns (uint256, SeedCommitment storage) {
        uint256 lo;
        uint256 hi = _seedCommitments.length;
        // The last commitment whose first token is at most tokenId.
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (_seedCommitments[mid].firstTokenId <= tokenId) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) revert SeedNotCommitted(tokenId);
        SeedCommitment storage c = _seedCommitments[lo - 1];
        if (tokenId - c.firstTokenId >= c.count) revert SeedNotCommitted(tokenId);
        return (lo - 1, c);
    }

    function _chainSeed(uint256 commitId, SeedCommitment storage c, uint256 tokenId) private view returns (bytes32) {
        bytes32 randomness = c.randomness;
        if (randomness == 0) revert SeedsNotRevealed(commitId);
        return sha256(abi.encodePacked("provreg.chain-seed.v1", uint64(block.chainid), address(this), randomness, tokenId));
    }

    function _verifies(bytes calldata proof, uint256[] memory instances_) private view returns (bool) {
        try verifier.verifyProof(proof, instances_) returns (bool accepted) {
            return accepted;
        } catch {
            return false;
        }
    }

    /// The instances for `seed` and `aigcData`, or `ok == false` when `aigcData` is not
    /// `outputLen` words each of magnitude at most `HALF_P`.
    function _instances(bytes32 seed, bytes calldata aigcData)
        private
        view
        returns (bool ok, uint256[] memory out)
    {
        uint256 nIn = inputLen;
        uint256 nOut = outputLen;
        if (aigcData.length != nOut * 32) return (false, out);
        out = new uint256[](nIn + nOut);
        uint256 half = 1 << inputScale;
        uint256 modulus = half << 1;
        for (uint256 i; i < nIn; ++i) {
            // `i < MAX_LEN`, so the index cast is lossless.
            bytes32 digest = sha256(abi.encodePacked("provreg.seed.v1", seed, uint32(i)));
            uint256 r = uint64(bytes8(digest)) % modulus;
            out[i] = r >= half ? r - half : P - (half - r);
        }
        for (uint256 j; j < nOut; ++j) {
            int256 n = int256(uint256(bytes32(aigcData[j * 32:j * 32 + 32])));
            if (n >= 0) {
                if (uint256(n) > HALF_P) return (false, out);
                out[nIn + j] = uint256(n);
            } else {
                // -n cannot overflow: n >= type(int256).min is caught by the bound first.
                if (n < -int256(HALF_P)) return (false, out);
                out[nIn + j] = P - uint256(-n);
            }
        }
        return (true, out);
    }
}
