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
        address registry_
    ) ERC721(name_, symbol_) {
        if (
            address(verifier_).code.length == 0 || inputScale_ > MAX_SCALE || inputLen_ > MAX_LEN
                || outputLen_ > MAX_LEN || minter_ == address(0) || registry_ == address(0)
        ) revert InvalidParameters();
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
        (bool ok, uint256[] memory instances_) = _instances(bytes32(prompt), aigcData);
        if (!ok) revert InvalidAigcData();
        if (!_verifies(proof, instances_)) revert ProofRejected();
        _mint(msg.sender, tokenId);
        emit AigcData(tokenId, prompt, aigcData, proof);
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
