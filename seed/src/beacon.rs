//! drand beacon seeds.
//!
//! A beacon seed comes from a round of a drand network of the `bls-unchained-g1-rfc9380`
//! scheme, in production drand's `quicknet` ([`BeaconKey::QUICKNET`]): every `period` seconds
//! the network publishes a BLS12-381 threshold signature (a 48-byte compressed G1 point) over
//! `SHA-256(round as u64 big-endian)`, hashed to G1 with RFC 9380's `hash_to_curve` under
//! [`HASH_TO_CURVE_DST`], checked against the network's 96-byte compressed G2 public key. No one
//! can compute a round's signature before the network publishes it, so a seed derived from a
//! round published after the minter committed to a token ID was not chosen by the minter.
//!
//! The checks, in order:
//!
//! 1. the round is [`commitment_round`] of the commitment's block timestamp: the first round
//!    published strictly after it;
//! 2. [`verify_round`] accepts the round's signature under the beacon's key;
//! 3. the seed is [`beacon_seed`] of the collection's chain, contract, the round, its signature
//!    and the token ID.
//!
//! `LocalBeacon` (cargo feature `local-beacon`) is a development stand-in for drand that signs
//! rounds with a key derived from a 32-byte secret; its key says so ([`KeyOrigin::LocalDevelopment`]).
//!
//! Signatures are verified with the `drand-verify` crate; the local beacon signs with the
//! `bls12_381` release `drand-verify` links.

use std::fmt;

use drand_verify::{G2PubkeyRfc, Pubkey as _};
use sha2::{Digest, Sha256};

/// Length in bytes of a round's signature: a compressed BLS12-381 G1 point.
pub const SIGNATURE_LEN: usize = 48;

/// Length in bytes of a beacon's public key: a compressed BLS12-381 G2 point.
pub const PUBLIC_KEY_LEN: usize = 96;

/// The RFC 9380 hash-to-curve domain separation tag of the `bls-unchained-g1-rfc9380` scheme:
/// a round's message is hashed to G1 under it before signing.
pub const HASH_TO_CURVE_DST: &[u8] = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

/// The domain separation prefix of [`beacon_seed`].
pub const SEED_DOMAIN: &[u8] = b"provreg.beacon-seed.v1";

/// The compressed encoding of G2's identity point (the point at infinity): the compression and
/// infinity flags, and zeros. It is the only encoding of the identity a decoder accepts.
const G2_IDENTITY_COMPRESSED: [u8; PUBLIC_KEY_LEN] = {
    let mut bytes = [0u8; PUBLIC_KEY_LEN];
    bytes[0] = 0xc0;
    bytes
};

/// Why a beacon key could not be built or a round's signature was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BeaconError {
    /// The public key given as hex is not hex.
    #[error("beacon public key is not valid hex: {0}")]
    KeyNotHex(hex::FromHexError),
    /// The public key is not 96 bytes long.
    #[error("beacon public key is {actual} bytes; a bls-unchained-g1-rfc9380 key (compressed G2 point) is 96 bytes")]
    KeyLength {
        /// The length given, in bytes.
        actual: usize,
    },
    /// The public key's 96 bytes are not the compressed encoding of a point in BLS12-381's G2
    /// prime-order subgroup.
    #[error("beacon public key is not a compressed point of BLS12-381's G2 prime-order subgroup")]
    KeyNotOnCurve,
    /// The public key is G2's identity point, under which the identity signature verifies for
    /// every round.
    #[error("beacon public key is the identity point of G2, which cannot be a drand group key")]
    KeyIsIdentity,
    /// The beacon's period is zero seconds.
    #[error("beacon period is 0 seconds; a drand network publishes a round every period >= 1 second")]
    ZeroPeriod,
    /// Round 0 was asked for: drand's rounds start at 1.
    #[error("round 0 is not a drand round (round 1 is published at genesis)")]
    RoundZero,
    /// The signature is not 48 bytes long.
    #[error(
        "beacon signature is {actual} bytes; a bls-unchained-g1-rfc9380 signature (compressed G1 point) is 48 bytes"
    )]
    SignatureLength {
        /// The length given, in bytes.
        actual: usize,
    },
    /// The signature's 48 bytes are not the compressed encoding of a point in BLS12-381's G1
    /// prime-order subgroup.
    #[error("beacon signature is not a compressed point of BLS12-381's G1 prime-order subgroup")]
    MalformedSignature,
    /// The signature is a well-formed point but not the beacon's signature of this round.
    #[error("beacon signature does not verify for round {round} under this beacon's public key")]
    SignatureMismatch {
        /// The round the signature was checked for.
        round: u64,
    },
    /// A local beacon's secret derived the zero scalar (probability about 2^-255), which would
    /// make the identity public key.
    #[error("local beacon secret derives the zero secret key; choose another secret")]
    DegenerateLocalSecret,
}

/// Where a beacon's key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyOrigin {
    /// A published drand network's group key (e.g. quicknet's): no single party can sign a round
    /// before the network publishes it.
    Drand,
    /// A local development key (`LocalBeacon`, cargo feature `local-beacon`): whoever holds its
    /// secret can sign any round at any time, so its seeds are not unpredictable and must never be
    /// accepted in production.
    LocalDevelopment,
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyOrigin::Drand => "drand",
            KeyOrigin::LocalDevelopment => "local development (not a drand network)",
        })
    }
}

/// A drand beacon of the `bls-unchained-g1-rfc9380` scheme: its 96-byte compressed G2 public key
/// and its chain parameters (genesis time, period), and where the key comes from.
///
/// Only a validated key can be built: the public key is a point of G2's prime-order subgroup
/// other than the identity, and the period is at least one second.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BeaconKey {
    public_key: [u8; PUBLIC_KEY_LEN],
    genesis_time: u64,
    period: u64,
    origin: KeyOrigin,
}

impl BeaconKey {
    /// drand's quicknet (League of Entropy mainnet, chain hash
    /// `52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971`): public key
    /// [`QUICKNET_PUBLIC_KEY_HEX`](Self::QUICKNET_PUBLIC_KEY_HEX), genesis 1692803367
    /// (2023-08-23T15:09:27Z), a round every 3 seconds.
    pub const QUICKNET: BeaconKey = BeaconKey {
        public_key: [
            0x83, 0xcf, 0x0f, 0x28, 0x96, 0xad, 0xee, 0x7e, 0xb8, 0xb5, 0xf0, 0x1f, 0xca, 0xd3, 0x91, 0x22, 0x12, 0xc4,
            0x37, 0xe0, 0x07, 0x3e, 0x91, 0x1f, 0xb9, 0x00, 0x22, 0xd3, 0xe7, 0x60, 0x18, 0x3c, 0x8c, 0x4b, 0x45, 0x0b,
            0x6a, 0x0a, 0x6c, 0x3a, 0xc6, 0xa5, 0x77, 0x6a, 0x2d, 0x10, 0x64, 0x51, 0x0d, 0x1f, 0xec, 0x75, 0x8c, 0x92,
            0x1c, 0xc2, 0x2b, 0x0e, 0x17, 0xe6, 0x3a, 0xaf, 0x4b, 0xcb, 0x5e, 0xd6, 0x63, 0x04, 0xde, 0x9c, 0xf8, 0x09,
            0xbd, 0x27, 0x4c, 0xa7, 0x3b, 0xab, 0x4a, 0xf5, 0xa6, 0xe9, 0xc7, 0x6a, 0x4b, 0xc0, 0x9e, 0x76, 0xea, 0xe8,
            0x99, 0x1e, 0xf5, 0xec, 0xe4, 0x5a,
        ],
        genesis_time: 1692803367,
        period: 3,
        origin: KeyOrigin::Drand,
    };

    /// quicknet's public key as published at
    /// `https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971/info`.
    pub const QUICKNET_PUBLIC_KEY_HEX: &'static str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";

    /// drand's quicknet, [`BeaconKey::QUICKNET`].
    pub fn quicknet() -> BeaconKey {
        BeaconKey::QUICKNET
    }

    /// A beacon key from its public key as hex (192 hex digits, as drand's `/info` gives it, no
    /// `0x` prefix), its genesis time (unix seconds), its period (seconds) and its origin.
    pub fn from_hex(
        public_key_hex: &str,
        genesis_time: u64,
        period: u64,
        origin: KeyOrigin,
    ) -> Result<BeaconKey, BeaconError> {
        let bytes = hex::decode(public_key_hex).map_err(BeaconError::KeyNotHex)?;
        let public_key: [u8; PUBLIC_KEY_LEN] =
            bytes.as_slice().try_into().map_err(|_| BeaconError::KeyLength { actual: bytes.len() })?;
        BeaconKey::from_bytes(public_key, genesis_time, period, origin)
    }

    /// A beacon key from its compressed G2 public key, its genesis time (unix seconds), its
    /// period (seconds) and its origin.
    pub fn from_bytes(
        public_key: [u8; PUBLIC_KEY_LEN],
        genesis_time: u64,
        period: u64,
        origin: KeyOrigin,
    ) -> Result<BeaconKey, BeaconError> {
        if period == 0 {
            return Err(BeaconError::ZeroPeriod);
        }
        // Decoding checks the point is on the curve and in the prime-order subgroup.
        G2PubkeyRfc::from_fixed(public_key).map_err(|_| BeaconError::KeyNotOnCurve)?;
        if public_key == G2_IDENTITY_COMPRESSED {
            return Err(BeaconError::KeyIsIdentity);
        }
        Ok(BeaconKey { public_key, genesis_time, period, origin })
    }

    /// The compressed G2 public key.
    pub fn public_key(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.public_key
    }

    /// The compressed G2 public key as lowercase hex.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.public_key)
    }

    /// The unix time (seconds) of round 1.
    pub fn genesis_time(&self) -> u64 {
        self.genesis_time
    }

    /// The seconds between consecutive rounds (at least 1).
    pub fn period(&self) -> u64 {
        self.period
    }

    /// Where the key comes from.
    pub fn origin(&self) -> KeyOrigin {
        self.origin
    }

    /// Whether this is a local development key ([`KeyOrigin::LocalDevelopment`]), whose seeds
    /// must not be accepted in production.
    pub fn is_local_development(&self) -> bool {
        self.origin == KeyOrigin::LocalDevelopment
    }
}

impl fmt::Debug for BeaconKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BeaconKey")
            .field("public_key", &self.public_key_hex())
            .field("genesis_time", &self.genesis_time)
            .field("period", &self.period)
            .field("origin", &self.origin)
            .finish()
    }
}

/// The latest round published at or before `unix_time` (seconds): round 1 is published at
/// genesis and round `r` at `genesis + (r - 1) * period`. 0 (no round) before genesis; drand's
/// own `CurrentRound` says 1 there, which this does not, so that [`commitment_round`] is
/// `round_at + 1` everywhere.
pub fn round_at(key: &BeaconKey, unix_time: u64) -> u64 {
    match unix_time.checked_sub(key.genesis_time) {
        None => 0,
        Some(since_genesis) => since_genesis.checked_div(key.period).unwrap_or(0).saturating_add(1),
    }
}

/// The unix time (seconds) at which `round` is published: `genesis + (round - 1) * period`.
/// Round 0, which drand never publishes, gives genesis; a time past `u64::MAX` gives `u64::MAX`.
pub fn round_time(key: &BeaconKey, round: u64) -> u64 {
    round.saturating_sub(1).saturating_mul(key.period).saturating_add(key.genesis_time)
}

/// The round a commitment made at `commit_time` (the unix timestamp, in seconds, of the block
/// that includes it) must use: the first round published strictly later than `commit_time`, so
/// no one, the committer included, could know its signature when the commitment was made.
///
/// Round 1 for commitments before genesis. A round published in the same second as the block is
/// not later than it: block timestamps and drand rounds have one-second resolution, and such a
/// round may already have been public when the block was built.
pub fn commitment_round(key: &BeaconKey, commit_time: u64) -> u64 {
    round_at(key, commit_time).saturating_add(1)
}

/// How many seconds after a commitment's block time its beacon round must be published at
/// the earliest: a transaction can be included in a block whose timestamp is a few seconds
/// older than the moment it was sent (a proposer builds the block after its slot time), so
/// the round right after the block time may already have been public when the minter
/// committed. Twelve seconds is one Ethereum slot, four quicknet rounds.
pub const COMMIT_MARGIN: u64 = 12;

/// The round the seeds of a commitment made at `commit_time` (its block's timestamp) come
/// from: the first round published later than `commit_time + COMMIT_MARGIN`.
pub fn seed_round(key: &BeaconKey, commit_time: u64) -> u64 {
    commitment_round(key, commit_time.saturating_add(COMMIT_MARGIN))
}

/// Checks that `signature` is the beacon's signature of `round`: the BLS signature under
/// `key`'s public key of `SHA-256(round as u64 big-endian)`, hashed to G1 with
/// [`HASH_TO_CURVE_DST`].
pub fn verify_round(key: &BeaconKey, round: u64, signature: &[u8]) -> Result<(), BeaconError> {
    if round == 0 {
        return Err(BeaconError::RoundZero);
    }
    if signature.len() != SIGNATURE_LEN {
        return Err(BeaconError::SignatureLength { actual: signature.len() });
    }
    let public_key = G2PubkeyRfc::from_fixed(key.public_key).map_err(|_| BeaconError::KeyNotOnCurve)?;
    // Unchained scheme: the message is the round alone, so no previous signature.
    match public_key.verify(round, &[], signature) {
        Ok(true) => Ok(()),
        Ok(false) => Err(BeaconError::SignatureMismatch { round }),
        // drand-verify's only error: the signature does not decode to a point of G1's subgroup
        // (its length is checked above).
        Err(_) => Err(BeaconError::MalformedSignature),
    }
}

/// A token's beacon seed:
/// `SHA-256("provreg.beacon-seed.v1" ‖ chain_id ‖ contract ‖ round ‖ signature ‖ token_id)`,
/// with `chain_id` and `round` as u64 big-endian, `contract` the collection contract's 20-byte
/// address and `token_id` the uint256 token ID, big-endian.
///
/// It does not check the signature: call [`verify_round`] first.
pub fn beacon_seed(
    chain_id: u64,
    contract: [u8; 20],
    round: u64,
    signature: &[u8; SIGNATURE_LEN],
    token_id: [u8; 32],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(SEED_DOMAIN);
    hasher.update(chain_id.to_be_bytes());
    hasher.update(contract);
    hasher.update(round.to_be_bytes());
    hasher.update(signature);
    hasher.update(token_id);
    hasher.finalize().into()
}

/// What a beacon seed came from, as the registry checked it when it registered the token
/// (the token record's `seed` object, without `source` and `verified`): the collection's
/// commitment to the token's range, read from the chain, and the round.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconSeedOrigin {
    /// The commitment's ID in the collection (0, 1, …).
    pub commit_id: u64,
    /// The first token of the committed range.
    pub first_token_id: u64,
    /// How many tokens the range holds.
    pub count: u64,
    /// The block of the commitment.
    pub commit_block: u64,
    /// That block's timestamp (unix seconds).
    pub commit_time: u64,
    /// The drand round: the first published after `commit_time` + [`COMMIT_MARGIN`].
    pub round: u64,
    /// The round's signature, `0x` and 96 hex digits.
    pub signature: String,
    /// The beacon's public key, 192 hex digits.
    pub beacon_key: String,
    /// The beacon's genesis time (unix seconds).
    pub genesis_time: u64,
    /// Its period (seconds).
    pub period: u64,
    /// Whether the key is a local development beacon's, whose seeds prove nothing.
    pub local_beacon: bool,
}

impl BeaconSeedOrigin {
    /// The signature as bytes.
    pub fn signature_bytes(&self) -> Result<[u8; SIGNATURE_LEN], crate::SeedError> {
        let malformed = crate::SeedError::Malformed { field: "signature", expected: "0x and 96 hex digits" };
        let digits = self.signature.strip_prefix("0x").ok_or(malformed.clone())?;
        let mut out = [0u8; SIGNATURE_LEN];
        hex::decode_to_slice(digits, &mut out).map_err(|_| malformed)?;
        Ok(out)
    }

    /// Checks that `seed` is the beacon seed of `token_id` of `contract` on `chain_id` under
    /// the trusted beacon `key`: the origin names that key and its parameters, the token is in
    /// the committed range, the round is the first after the commitment, its signature
    /// verifies, and the seed is the derivation's.
    pub fn check(
        &self,
        key: &BeaconKey,
        chain_id: u64,
        contract: &[u8; 20],
        token_id: u64,
        seed: &[u8; 32],
    ) -> Result<(), crate::SeedError> {
        if !self.beacon_key.eq_ignore_ascii_case(&key.public_key_hex())
            || self.genesis_time != key.genesis_time()
            || self.period != key.period()
        {
            return Err(crate::SeedError::Beacon(format!(
                "the seed names beacon key {}…, genesis {}, period {} s, not the trusted beacon {}… ({})",
                self.beacon_key.chars().take(16).collect::<String>(),
                self.genesis_time,
                self.period,
                key.public_key_hex().chars().take(16).collect::<String>(),
                key.origin()
            )));
        }
        let in_range = token_id >= self.first_token_id && token_id - self.first_token_id < self.count;
        if !in_range {
            return Err(crate::SeedError::NotCommitted { token_id, first: self.first_token_id, count: self.count });
        }
        let expected_round = seed_round(key, self.commit_time);
        if self.round != expected_round {
            return Err(crate::SeedError::Order(format!(
                "round {} (published at {}) is not round {expected_round}, the first published more than \
                 {COMMIT_MARGIN} s after the commitment at {}",
                self.round,
                round_time(key, self.round),
                self.commit_time
            )));
        }
        let signature = self.signature_bytes()?;
        verify_round(key, self.round, &signature).map_err(|e| crate::SeedError::Beacon(e.to_string()))?;
        let mut t = [0u8; 32];
        t[24..].copy_from_slice(&token_id.to_be_bytes());
        let expected = beacon_seed(chain_id, *contract, self.round, &signature, t);
        if &expected != seed {
            return Err(crate::SeedError::WrongSeed { expected: format!("0x{}", hex::encode(expected)) });
        }
        Ok(())
    }
}

#[cfg(feature = "local-beacon")]
pub use local::LocalBeacon;

#[cfg(feature = "local-beacon")]
mod local {
    use std::fmt;

    use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
    use bls12_381::{G1Affine, G1Projective, G2Affine, Scalar};
    use sha2::{Digest, Sha256, Sha512};

    use super::{BeaconError, BeaconKey, HASH_TO_CURVE_DST, KeyOrigin, SIGNATURE_LEN};

    /// The domain separation prefix deriving a local beacon's secret key from its secret.
    const SECRET_KEY_DOMAIN: &[u8] = b"provreg.local-beacon.secret-key.v1";

    /// A local development beacon, for tests and the development server: signs rounds the way a
    /// `bls-unchained-g1-rfc9380` drand network does, with a secret key derived from a 32-byte
    /// secret, so [`verify_round`](super::verify_round) accepts its signatures under its key.
    ///
    /// **Not a randomness beacon.** Whoever holds the secret can sign any round at any time, so
    /// its seeds are neither unpredictable nor unbiased. Its key is marked
    /// [`KeyOrigin::LocalDevelopment`].
    pub struct LocalBeacon {
        secret_key: Scalar,
        key: BeaconKey,
    }

    impl LocalBeacon {
        /// A local beacon whose secret key is derived from `secret`
        /// (`SHA-512("provreg.local-beacon.secret-key.v1" ‖ secret)` reduced modulo the group
        /// order), with round 1 at `genesis_time` (unix seconds) and a round every `period`
        /// seconds. The same secret always gives the same key.
        pub fn new(secret: &[u8; 32], genesis_time: u64, period: u64) -> Result<LocalBeacon, BeaconError> {
            let wide: [u8; 64] = Sha512::new().chain_update(SECRET_KEY_DOMAIN).chain_update(secret).finalize().into();
            let secret_key = Scalar::from_bytes_wide(&wide);
            if secret_key == Scalar::zero() {
                return Err(BeaconError::DegenerateLocalSecret);
            }
            let public_key = G2Affine::from(G2Affine::generator() * secret_key).to_compressed();
            let key = BeaconKey::from_bytes(public_key, genesis_time, period, KeyOrigin::LocalDevelopment)?;
            Ok(LocalBeacon { secret_key, key })
        }

        /// The beacon's key, marked [`KeyOrigin::LocalDevelopment`].
        pub fn key(&self) -> &BeaconKey {
            &self.key
        }

        /// The beacon's signature of `round`, whenever asked (a real drand network publishes a
        /// round only at its time). Round 0 gives a signature
        /// [`verify_round`](super::verify_round) refuses, as it refuses round 0.
        pub fn sign(&self, round: u64) -> [u8; SIGNATURE_LEN] {
            let message = Sha256::digest(round.to_be_bytes());
            let on_curve = <G1Projective as HashToCurve<ExpandMsgXmd<sha2_digest09::Sha256>>>::hash_to_curve(
                message,
                HASH_TO_CURVE_DST,
            );
            G1Affine::from(on_curve * self.secret_key).to_compressed()
        }
    }

    impl fmt::Debug for LocalBeacon {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("LocalBeacon").field("key", &self.key).field("secret_key", &"<redacted>").finish()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const QUICKNET_GENESIS: u64 = 1692803367;

    /// Real quicknet rounds, as published at
    /// `https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971/public/<round>`.
    /// (That they verify under quicknet's key is what makes them real: only the network can sign.)
    const QUICKNET_ROUNDS: [(u64, &str); 5] = [
        (1, "b55e7cb2d5c613ee0b2e28d6750aabbb78c39dcc96bd9d38c2c2e12198df95571de8e8e402a0cc48871c7089a2b3af4b"),
        (123, "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92"),
        (1000, "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"),
        (1001, "b33bf3667cbd5a82de3a24b4e0e9fe5513cc1a0e840368c6e31f5fcfa79bea03f73896b25883abf2853d10337fb8fa41"),
        (14517013, "83236a954108c9de257b6a10c838f3e3f215eb3bd25c2261f42b4a6204d6b00a3f216b8d88dcd7947cba97d39f2e16c5"),
    ];

    /// drand's (deprecated) fastnet group key, chain
    /// `dbd506d6ef76e5f386f41c651dcb808c5bcbd75471cc4eafa3f4df7ad4e4c493`: another real G2 key.
    const FASTNET_PUBLIC_KEY_HEX: &str = "a0b862a7527fee3a731bcb59280ab6abd62d5c0b6ea03dc4ddf6612fdfc9d01f01c31542541771903475eb1ec6615f8d0df0b8b6dce385811d6dcf8cbefb8759e5e616a3dfd054c928940766d9a5b9db91e3b697e5d70a975181e007f87fca5e";

    fn signature(hex_signature: &str) -> [u8; SIGNATURE_LEN] {
        hex::decode(hex_signature).unwrap().try_into().unwrap()
    }

    fn round_1000() -> [u8; SIGNATURE_LEN] {
        signature(QUICKNET_ROUNDS[2].1)
    }

    fn fastnet() -> BeaconKey {
        BeaconKey::from_hex(FASTNET_PUBLIC_KEY_HEX, 1677685200, 3, KeyOrigin::Drand).unwrap()
    }

    #[test]
    fn quicknet_key_is_the_published_one() {
        let key = BeaconKey::quicknet();
        assert_eq!(key.public_key_hex(), BeaconKey::QUICKNET_PUBLIC_KEY_HEX);
        assert_eq!(
            BeaconKey::QUICKNET_PUBLIC_KEY_HEX,
            "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
        );
        assert_eq!((key.genesis_time(), key.period()), (QUICKNET_GENESIS, 3));
        assert_eq!(key.origin(), KeyOrigin::Drand);
        assert!(!key.is_local_development());
        // The constant is a valid key: built through the checks it is the same key.
        let parsed =
            BeaconKey::from_hex(BeaconKey::QUICKNET_PUBLIC_KEY_HEX, QUICKNET_GENESIS, 3, KeyOrigin::Drand).unwrap();
        assert_eq!(parsed, key);
        assert!(format!("{key:?}").contains(BeaconKey::QUICKNET_PUBLIC_KEY_HEX));
    }

    #[test]
    fn real_quicknet_rounds_verify() {
        for (round, hex_signature) in QUICKNET_ROUNDS {
            assert_eq!(verify_round(&BeaconKey::QUICKNET, round, &signature(hex_signature)), Ok(()), "round {round}");
        }
    }

    #[test]
    fn a_round_signature_does_not_verify_for_its_neighbours() {
        for (round, hex_signature) in [QUICKNET_ROUNDS[0], QUICKNET_ROUNDS[2], QUICKNET_ROUNDS[4]] {
            let sig = signature(hex_signature);
            assert_eq!(
                verify_round(&BeaconKey::QUICKNET, round + 1, &sig),
                Err(BeaconError::SignatureMismatch { round: round + 1 })
            );
        }
        // Round 1000's signature for round 999; round 1001's for round 1000.
        assert_eq!(
            verify_round(&BeaconKey::QUICKNET, 999, &round_1000()),
            Err(BeaconError::SignatureMismatch { round: 999 })
        );
        assert_eq!(
            verify_round(&BeaconKey::QUICKNET, 1000, &signature(QUICKNET_ROUNDS[3].1)),
            Err(BeaconError::SignatureMismatch { round: 1000 })
        );
    }

    #[test]
    fn a_flipped_bit_does_not_verify() {
        // The x-coordinate's lowest bit, a middle bit, and the sort flag (which picks the other
        // y, i.e. the negated point): each either fails to decode or fails to verify.
        for (byte, bit) in [(47usize, 0u8), (20, 5), (0, 5)] {
            let mut sig = round_1000();
            sig[byte] ^= 1 << bit;
            let result = verify_round(&BeaconKey::QUICKNET, 1000, &sig);
            assert!(
                matches!(result, Err(BeaconError::MalformedSignature | BeaconError::SignatureMismatch { round: 1000 })),
                "byte {byte} bit {bit}: {result:?}"
            );
        }
        // The sort flag flipped is a valid point (the negation), so it is a mismatch.
        let mut negated = round_1000();
        negated[0] ^= 0x20;
        assert_eq!(
            verify_round(&BeaconKey::QUICKNET, 1000, &negated),
            Err(BeaconError::SignatureMismatch { round: 1000 })
        );
        // The compression flag cleared announces an uncompressed point: not a 48-byte signature.
        let mut uncompressed = round_1000();
        uncompressed[0] ^= 0x80;
        assert_eq!(verify_round(&BeaconKey::QUICKNET, 1000, &uncompressed), Err(BeaconError::MalformedSignature));
    }

    #[test]
    fn a_quicknet_round_does_not_verify_under_another_key() {
        assert_eq!(verify_round(&fastnet(), 1000, &round_1000()), Err(BeaconError::SignatureMismatch { round: 1000 }));
    }

    #[test]
    fn malformed_signatures_are_refused_before_any_pairing() {
        let sig = round_1000();
        for len in [0usize, 47, 49, 96] {
            let bytes: Vec<u8> = sig.iter().copied().cycle().take(len).collect();
            assert_eq!(
                verify_round(&BeaconKey::QUICKNET, 1000, &bytes),
                Err(BeaconError::SignatureLength { actual: len })
            );
        }
        // All ones: flags say compressed, infinity and sorted, which no encoding is.
        assert_eq!(verify_round(&BeaconKey::QUICKNET, 1000, &[0xff; 48]), Err(BeaconError::MalformedSignature));
        // An x-coordinate above the field modulus.
        let mut big_x = [0xff; 48];
        big_x[0] = 0x9f;
        assert_eq!(verify_round(&BeaconKey::QUICKNET, 1000, &big_x), Err(BeaconError::MalformedSignature));
        assert_eq!(verify_round(&BeaconKey::QUICKNET, 0, &sig), Err(BeaconError::RoundZero));
    }

    #[test]
    fn the_identity_signature_does_not_verify() {
        let mut identity = [0u8; 48];
        identity[0] = 0xc0;
        assert_eq!(
            verify_round(&BeaconKey::QUICKNET, 1000, &identity),
            Err(BeaconError::SignatureMismatch { round: 1000 })
        );
    }

    #[test]
    fn keys_from_hex_name_what_is_wrong() {
        let hex_key = BeaconKey::QUICKNET_PUBLIC_KEY_HEX;
        let from = |s: &str| BeaconKey::from_hex(s, QUICKNET_GENESIS, 3, KeyOrigin::Drand);

        let err = from(&hex_key.replacen('8', "g", 1)).unwrap_err();
        assert!(matches!(err, BeaconError::KeyNotHex(_)), "{err:?}");
        assert!(err.to_string().contains("not valid hex"), "{err}");
        assert!(matches!(from(&hex_key[1..]), Err(BeaconError::KeyNotHex(_))));
        assert!(matches!(from(&format!("0x{hex_key}")), Err(BeaconError::KeyNotHex(_))));

        // A 48-byte (G1) key, like drand's default network's, is the wrong length.
        let g1_key = "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31";
        let err = from(g1_key).unwrap_err();
        assert_eq!(err, BeaconError::KeyLength { actual: 48 });
        assert!(err.to_string().contains("48 bytes") && err.to_string().contains("96 bytes"), "{err}");
        assert_eq!(from(""), Err(BeaconError::KeyLength { actual: 0 }));
        assert_eq!(from(&format!("{hex_key}00")), Err(BeaconError::KeyLength { actual: 97 }));

        // quicknet's key with its last byte changed is (almost surely) not a point of G2.
        let mut off_curve = *BeaconKey::QUICKNET.public_key();
        off_curve[95] ^= 0x01;
        assert_eq!(from(&hex::encode(off_curve)), Err(BeaconError::KeyNotOnCurve));
        assert_eq!(from(&"00".repeat(96)), Err(BeaconError::KeyNotOnCurve));

        assert_eq!(from(&hex::encode(G2_IDENTITY_COMPRESSED)), Err(BeaconError::KeyIsIdentity));
        assert_eq!(BeaconKey::from_hex(hex_key, QUICKNET_GENESIS, 0, KeyOrigin::Drand), Err(BeaconError::ZeroPeriod));

        let local = BeaconKey::from_hex(FASTNET_PUBLIC_KEY_HEX, 0, 1, KeyOrigin::LocalDevelopment).unwrap();
        assert!(local.is_local_development());
        assert_eq!(local.origin().to_string(), "local development (not a drand network)");
    }

    #[test]
    fn round_times_follow_drand() {
        let q = BeaconKey::QUICKNET;
        assert_eq!(round_time(&q, 1), QUICKNET_GENESIS);
        assert_eq!(round_time(&q, 2), QUICKNET_GENESIS + 3);
        assert_eq!(round_time(&q, 1000), 1692806364);
        // Round 14517013 was the latest round around 10:42 CST on 2025-01-08.
        assert_eq!(round_time(&q, 14517013), 1736354403);
        assert_eq!(round_time(&q, 0), QUICKNET_GENESIS);
        assert_eq!(round_time(&q, u64::MAX), u64::MAX);

        assert_eq!(round_at(&q, 0), 0);
        assert_eq!(round_at(&q, QUICKNET_GENESIS - 1), 0);
        assert_eq!(round_at(&q, QUICKNET_GENESIS), 1);
        assert_eq!(round_at(&q, QUICKNET_GENESIS + 2), 1);
        assert_eq!(round_at(&q, QUICKNET_GENESIS + 3), 2);
        assert_eq!(round_at(&q, 1736354403), 14517013);
        assert_eq!(round_at(&q, 1736354405), 14517013);
        assert_eq!(round_at(&q, 1736354406), 14517014);
        assert_eq!(round_at(&q, u64::MAX), (u64::MAX - QUICKNET_GENESIS) / 3 + 1);
        for round in [1u64, 2, 3, 1000, 14517013] {
            let t = round_time(&q, round);
            assert_eq!(round_at(&q, t), round);
            assert_eq!(round_at(&q, t + 2), round);
            assert_eq!(round_at(&q, t - 1), round - 1);
        }
    }

    #[test]
    fn commitment_round_is_the_first_round_strictly_after_the_commitment() {
        let q = BeaconKey::QUICKNET;
        assert_eq!(commitment_round(&q, 0), 1);
        assert_eq!(commitment_round(&q, QUICKNET_GENESIS - 1), 1);
        // Round 1 is published at genesis: not strictly later than a commitment at genesis.
        assert_eq!(commitment_round(&q, QUICKNET_GENESIS), 2);
        assert_eq!(commitment_round(&q, QUICKNET_GENESIS + 1), 2);
        assert_eq!(commitment_round(&q, QUICKNET_GENESIS + 2), 2);
        assert_eq!(commitment_round(&q, QUICKNET_GENESIS + 3), 3);
        // Around round 1000 (published at 1692806364).
        assert_eq!(commitment_round(&q, 1692806363), 1000);
        assert_eq!(commitment_round(&q, 1692806364), 1001);
        assert_eq!(commitment_round(&q, 1692806366), 1001);
        assert_eq!(commitment_round(&q, 1692806367), 1002);
        assert_eq!(commitment_round(&q, u64::MAX), (u64::MAX - QUICKNET_GENESIS) / 3 + 2);

        let slow = BeaconKey::from_hex(BeaconKey::QUICKNET_PUBLIC_KEY_HEX, 100, 30, KeyOrigin::Drand).unwrap();
        for key in [q, slow] {
            let genesis = key.genesis_time();
            for t in genesis.saturating_sub(5)..genesis + 5 * key.period() {
                let round = commitment_round(&key, t);
                assert!(round_time(&key, round) > t, "t {t}: round {round}");
                if round > 1 {
                    assert!(round_time(&key, round - 1) <= t, "t {t}: round {round}");
                }
            }
        }
    }

    /// Computed independently:
    ///
    /// ```python
    /// import hashlib
    /// def seed(chain_id, contract, rnd, sig, token_id):
    ///     return hashlib.sha256(b"provreg.beacon-seed.v1" + chain_id.to_bytes(8, "big") + contract
    ///         + rnd.to_bytes(8, "big") + sig + token_id.to_bytes(32, "big")).hexdigest()
    /// s1000 = bytes.fromhex("b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39")
    /// s14517013 = bytes.fromhex("83236a954108c9de257b6a10c838f3e3f215eb3bd25c2261f42b4a6204d6b00a3f216b8d88dcd7947cba97d39f2e16c5")
    /// print(seed(1, bytes(range(20)), 1000, s1000, 1))
    /// print(seed(31337, bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"), 14517013, s14517013, 2**256 - 1))
    /// print(seed(0, bytes(20), 0, bytes(48), 0))
    /// ```
    #[test]
    fn beacon_seed_known_answers() {
        let mut token_one = [0u8; 32];
        token_one[31] = 1;
        assert_eq!(
            hex::encode(beacon_seed(1, std::array::from_fn(|i| i as u8), 1000, &round_1000(), token_one)),
            "e1c56f260e6b225dd018664b9cd5cab6342ff0fdf83743d6b40ac2c7dcf11cbd"
        );
        let contract: [u8; 20] = hex::decode("5fbdb2315678afecb367f032d93f642f64180aa3").unwrap().try_into().unwrap();
        assert_eq!(
            hex::encode(beacon_seed(31337, contract, 14517013, &signature(QUICKNET_ROUNDS[4].1), [0xff; 32])),
            "acc287fb891dc7328f2230e69dbbe45fb08104cacea1ba9e1158c6b578c0730d"
        );
        assert_eq!(
            hex::encode(beacon_seed(0, [0; 20], 0, &[0; 48], [0; 32])),
            "1bb25246a3b342a7956f9bfc0fc8920b9ed37bd83fb31f990968e1eb2a74364b"
        );
    }

    #[test]
    fn every_beacon_seed_input_matters() {
        let sig = round_1000();
        let base = beacon_seed(1, [7; 20], 1000, &sig, [9; 32]);
        let mut other_sig = sig;
        other_sig[47] ^= 1;
        let mut other_token = [9; 32];
        other_token[0] = 8;
        for changed in [
            beacon_seed(2, [7; 20], 1000, &sig, [9; 32]),
            beacon_seed(1, [8; 20], 1000, &sig, [9; 32]),
            beacon_seed(1, [7; 20], 1001, &sig, [9; 32]),
            beacon_seed(1, [7; 20], 1000, &other_sig, [9; 32]),
            beacon_seed(1, [7; 20], 1000, &sig, other_token),
        ] {
            assert_ne!(changed, base);
        }
    }

    #[cfg(feature = "local-beacon")]
    mod local_beacon {
        use super::*;

        fn beacon(secret: u8) -> LocalBeacon {
            LocalBeacon::new(&[secret; 32], 1_700_000_000, 2).unwrap()
        }

        #[test]
        fn signs_rounds_that_verify_under_its_key() {
            let local = beacon(1);
            for round in [1u64, 2, 1000] {
                let sig = local.sign(round);
                assert_eq!(verify_round(local.key(), round, &sig), Ok(()), "round {round}");
                assert_eq!(
                    verify_round(local.key(), round + 1, &sig),
                    Err(BeaconError::SignatureMismatch { round: round + 1 })
                );
            }
            assert_eq!(verify_round(local.key(), 0, &local.sign(0)), Err(BeaconError::RoundZero));
        }

        #[test]
        fn its_signatures_do_not_verify_under_quicknet_nor_quicknets_under_it() {
            let local = beacon(1);
            assert_eq!(
                verify_round(&BeaconKey::QUICKNET, 1000, &local.sign(1000)),
                Err(BeaconError::SignatureMismatch { round: 1000 })
            );
            assert_eq!(
                verify_round(local.key(), 1000, &round_1000()),
                Err(BeaconError::SignatureMismatch { round: 1000 })
            );
        }

        #[test]
        fn its_key_is_marked_local_and_derived_from_the_secret() {
            let local = beacon(1);
            let key = local.key();
            assert!(key.is_local_development());
            assert_eq!(key.origin(), KeyOrigin::LocalDevelopment);
            assert_eq!((key.genesis_time(), key.period()), (1_700_000_000, 2));
            assert_eq!(beacon(1).key(), key);
            assert_eq!(beacon(1).sign(5), local.sign(5));
            assert_ne!(beacon(2).key().public_key(), key.public_key());
            assert_ne!(key.public_key(), BeaconKey::QUICKNET.public_key());
            // Another local beacon's signature does not verify under this one's key.
            assert_eq!(verify_round(key, 5, &beacon(2).sign(5)), Err(BeaconError::SignatureMismatch { round: 5 }));
            let debug = format!("{local:?}");
            assert!(debug.contains("LocalDevelopment") && debug.contains("<redacted>"), "{debug}");
            assert_eq!(LocalBeacon::new(&[1; 32], 0, 0).unwrap_err(), BeaconError::ZeroPeriod);
        }
    }

    /// A real quicknet round (1000, published at genesis + 999 × 3 s) as a token's beacon seed:
    /// accepted for a commitment made just before it; refused for another token's seed, a
    /// seed off by one bit, a commitment after the round, another key, a tampered signature.
    #[test]
    fn beacon_origins_are_checked_against_the_trusted_key() {
        let key = BeaconKey::quicknet();
        let (round, sig_hex) = QUICKNET_ROUNDS[2];
        let published = round_time(&key, round);
        let signature: [u8; SIGNATURE_LEN] = hex::decode(sig_hex).unwrap().try_into().unwrap();
        let origin = BeaconSeedOrigin {
            commit_id: 0,
            first_token_id: 1,
            count: 3,
            commit_block: 7,
            commit_time: published - 2 - COMMIT_MARGIN,
            round,
            signature: format!("0x{sig_hex}"),
            beacon_key: key.public_key_hex(),
            genesis_time: key.genesis_time(),
            period: key.period(),
            local_beacon: false,
        };
        let contract = [0x5f; 20];
        let token = |t: u64| {
            let mut b = [0u8; 32];
            b[24..].copy_from_slice(&t.to_be_bytes());
            b
        };
        let seed = beacon_seed(31337, contract, round, &signature, token(2));
        origin.check(&key, 31337, &contract, 2, &seed).unwrap();
        let mut off = seed;
        off[0] ^= 0x80;
        assert!(matches!(origin.check(&key, 31337, &contract, 2, &off), Err(crate::SeedError::WrongSeed { .. })));
        let other = beacon_seed(31337, contract, round, &signature, token(3));
        assert!(matches!(origin.check(&key, 31337, &contract, 2, &other), Err(crate::SeedError::WrongSeed { .. })));
        assert!(matches!(origin.check(&key, 31337, &contract, 4, &seed), Err(crate::SeedError::NotCommitted { .. })));
        // A commitment made after the round was published: the round is too early.
        let late = BeaconSeedOrigin { commit_time: published - COMMIT_MARGIN, ..origin.clone() };
        assert!(matches!(late.check(&key, 31337, &contract, 2, &seed), Err(crate::SeedError::Order(_))));
        // A commitment long before: a later round is not the commitment's round either.
        let early = BeaconSeedOrigin { commit_time: published - 30 - COMMIT_MARGIN, ..origin.clone() };
        assert!(matches!(early.check(&key, 31337, &contract, 2, &seed), Err(crate::SeedError::Order(_))));
        // Another trusted key than the one named, or the named key not trusted.
        let local = LocalBeacon::new(&[9; 32], key.genesis_time(), key.period()).unwrap();
        assert!(matches!(origin.check(local.key(), 31337, &contract, 2, &seed), Err(crate::SeedError::Beacon(_))));
        // A signature that does not verify (one bit flipped), with a matching seed.
        let mut forged = signature;
        forged[47] ^= 1;
        let forged_origin = BeaconSeedOrigin { signature: format!("0x{}", hex::encode(forged)), ..origin.clone() };
        let forged_seed = beacon_seed(31337, contract, round, &forged, token(2));
        assert!(matches!(
            forged_origin.check(&key, 31337, &contract, 2, &forged_seed),
            Err(crate::SeedError::Beacon(_))
        ));
        // The local beacon's own round verifies under its own key.
        let signed = local.sign(round);
        let local_origin = BeaconSeedOrigin {
            signature: format!("0x{}", hex::encode(signed)),
            beacon_key: local.key().public_key_hex(),
            local_beacon: true,
            ..origin.clone()
        };
        let local_seed = beacon_seed(31337, contract, round, &signed, token(2));
        local_origin.check(local.key(), 31337, &contract, 2, &local_seed).unwrap();
        // …but a seed signed with it is not quicknet's.
        assert!(matches!(local_origin.check(&key, 31337, &contract, 2, &local_seed), Err(crate::SeedError::Beacon(_))));
    }
}
