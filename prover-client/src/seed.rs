//! The model input derived from a token's 32-byte seed (what a VRF or a
//! commit-reveal produces), so anyone holding the seed can check that a
//! proof's public input is the input that seed gives.
//!
//! Component `i` of the input at fixed-point scale `s` is `n_i / 2^s`, where
//! `n_i = (u64::from_be_bytes(SHA-256("provreg.seed.v1" ‖ seed ‖ i as u32
//! big-endian)[..8]) mod 2^(s+1)) - 2^s`. The values lie in `[-1, 1)` and are
//! exact at scale `s`, so quantising them at that scale (see
//! [`crate::field::quantise`]) gives back `n_i` with no rounding.

use sha2::{Digest, Sha256};

use crate::error::{ProverError, Result};

/// Domain separation prefix of the derivation.
const DOMAIN: &[u8] = b"provreg.seed.v1";

/// The largest supported scale: `2^(MAX_SCALE + 1)` still fits an `f32`'s
/// mantissa, so every value is exact.
pub const MAX_SCALE: u32 = 20;

/// The largest supported input length (far beyond any circuit's public
/// input; it bounds what a bad length can make this allocate).
pub const MAX_LEN: usize = 1 << 24;

/// The `len` model input values derived from `seed` at fixed-point `scale`
/// (log2), each in `[-1, 1)` and a multiple of `2^-scale`. Errors if `scale`
/// exceeds [`MAX_SCALE`] or `len` exceeds [`MAX_LEN`].
pub fn model_input(seed: &[u8; 32], len: usize, scale: u32) -> Result<Vec<f32>> {
    if scale > MAX_SCALE {
        return Err(ProverError::Seed(format!("scale {scale} is above the largest supported scale {MAX_SCALE}")));
    }
    if len > MAX_LEN {
        return Err(ProverError::Seed(format!("{len} input values are more than the supported {MAX_LEN}")));
    }
    let denominator = (1u64 << scale) as f32;
    let values = (0..len)
        // `i < MAX_LEN < 2^32`, so the index cast is lossless.
        .map(|i| component(seed, i as u32, scale) as f32 / denominator)
        .collect();
    Ok(values)
}

/// `n_i` at `scale` (at most [`MAX_SCALE`]): an integer in `[-2^scale, 2^scale)`.
fn component(seed: &[u8; 32], index: u32, scale: u32) -> i64 {
    let digest = Sha256::new().chain_update(DOMAIN).chain_update(seed).chain_update(index.to_be_bytes()).finalize();
    let mut word = [0u8; 8];
    word.copy_from_slice(&digest[..8]);
    let modulus = 1u64 << (scale + 1);
    let half = 1i64 << scale;
    // Below 2^21, so the cast is lossless.
    (u64::from_be_bytes(word) % modulus) as i64 - half
}

/// A seed written as exactly 64 hex digits, with or without a `0x` prefix.
pub fn parse_seed(hex: &str) -> Result<[u8; 32]> {
    let digits = hex.strip_prefix("0x").or_else(|| hex.strip_prefix("0X")).unwrap_or(hex);
    if digits.len() != 64 {
        return Err(ProverError::Seed(format!("a seed is 64 hex digits (32 bytes); got {} characters", digits.len())));
    }
    let mut seed = [0u8; 32];
    hex::decode_to_slice(digits, &mut seed)
        .map_err(|e| ProverError::Seed(format!("a seed is 64 hex digits (32 bytes): {e}")))?;
    Ok(seed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::field::{dequantise, quantise};

    fn counting_seed() -> [u8; 32] {
        std::array::from_fn(|i| i as u8)
    }

    /// Computed independently:
    ///
    /// ```python
    /// import hashlib
    /// seed = bytes(range(32))
    /// for i in range(8):
    ///     h = hashlib.sha256(b"provreg.seed.v1" + seed + i.to_bytes(4, "big")).digest()
    ///     n = int.from_bytes(h[:8], "big") % 2**14 - 2**13
    ///     print(n, n / 2**13)
    /// ```
    #[test]
    fn known_answer() {
        let expected_n = [-6591i64, -1775, -3721, 4814, -7096, -4984, 289, -2899];
        let expected = [
            -0.8045654296875f64,
            -0.2166748046875,
            -0.4542236328125,
            0.587646484375,
            -0.8662109375,
            -0.6083984375,
            0.0352783203125,
            -0.3538818359375,
        ];
        let seed = counting_seed();
        // Exact decimals of multiples of 2^-13, compared in f64 (which the f32 values widen to losslessly).
        let got: Vec<f64> = model_input(&seed, 8, 13).unwrap().into_iter().map(f64::from).collect();
        assert_eq!(got, expected);
        for (i, n) in expected_n.iter().enumerate() {
            assert_eq!(component(&seed, i as u32, 13), *n);
        }
        // Same script with seed = b"\xff" * 32, four values, at scale 20 and 0.
        let ones = [0xffu8; 32];
        let at_20 = [576910i32, -402530, 305052, 436662].map(|n| n as f32 / (1u32 << 20) as f32);
        assert_eq!(model_input(&ones, 4, 20).unwrap(), at_20);
        assert_eq!(model_input(&ones, 4, 0).unwrap(), [-1.0; 4]);
    }

    #[test]
    fn deterministic_and_prefix_stable() {
        let seed = [7u8; 32];
        assert_eq!(model_input(&seed, 16, 13).unwrap(), model_input(&seed, 16, 13).unwrap());
        // A shorter input is a prefix of a longer one.
        assert_eq!(model_input(&seed, 16, 13).unwrap()[..5], model_input(&seed, 5, 13).unwrap());
        assert!(model_input(&seed, 0, 13).unwrap().is_empty());
    }

    #[test]
    fn values_lie_in_minus_one_to_one() {
        for scale in [0, 1, 7, 13, 20] {
            for byte in 0..8u8 {
                for v in model_input(&[byte; 32], 64, scale).unwrap() {
                    assert!((-1.0..1.0).contains(&v), "{v} at scale {scale}");
                }
            }
        }
    }

    #[test]
    fn quantising_gives_back_the_derived_integers_exactly() {
        for scale in [0, 5, 13, 20] {
            let seed = counting_seed();
            let values = model_input(&seed, 32, scale).unwrap();
            for (i, v) in values.iter().enumerate() {
                let n = component(&seed, i as u32, scale);
                let felt = quantise(f64::from(*v), scale).unwrap();
                // The field element of the integer n itself (scale 0 means no scaling).
                assert_eq!(felt, quantise(n as f64, 0).unwrap(), "component {i} at scale {scale}");
                assert_eq!(dequantise(&felt, 0).unwrap(), n as f64);
                assert_eq!(dequantise(&felt, scale).unwrap(), f64::from(*v));
                // Exact: no rounding was needed.
                assert_eq!(f64::from(*v) * 2f64.powi(scale as i32), n as f64);
            }
        }
    }

    #[test]
    fn different_seeds_give_different_inputs() {
        let a = model_input(&[1u8; 32], 8, 13).unwrap();
        let b = model_input(&[2u8; 32], 8, 13).unwrap();
        let mut one_bit = [1u8; 32];
        one_bit[31] ^= 0x01;
        assert_ne!(a, b);
        assert_ne!(a, model_input(&one_bit, 8, 13).unwrap());
    }

    #[test]
    fn scale_above_the_maximum_is_an_error() {
        assert!(matches!(model_input(&[0u8; 32], 8, 21), Err(ProverError::Seed(_))));
        assert!(matches!(model_input(&[0u8; 32], 8, u32::MAX), Err(ProverError::Seed(_))));
        assert!(model_input(&[0u8; 32], 8, MAX_SCALE).is_ok());
    }

    #[test]
    fn a_length_above_the_maximum_is_an_error() {
        assert!(matches!(model_input(&[0u8; 32], MAX_LEN + 1, 13), Err(ProverError::Seed(_))));
        assert!(matches!(model_input(&[0u8; 32], usize::MAX, 13), Err(ProverError::Seed(_))));
    }

    #[test]
    fn parses_seeds() {
        let hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        assert_eq!(parse_seed(hex).unwrap(), counting_seed());
        assert_eq!(parse_seed(&format!("0x{hex}")).unwrap(), counting_seed());
        assert_eq!(parse_seed(&hex.to_uppercase()).unwrap(), counting_seed());
        for bad in
            ["", "0x", &hex[..62], &format!("{hex}00"), &format!("0x0x{}", &hex[4..]), &format!("{}zz", &hex[..62])]
        {
            assert!(matches!(parse_seed(bad), Err(ProverError::Seed(_))), "{bad:?}");
        }
        // Not panicking on multi-byte characters of the right byte length.
        assert!(parse_seed(&"é".repeat(32)).is_err());
    }
}
