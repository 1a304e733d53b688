//! EZKL's fixed-point field elements: a value `v` at scale `s` is the integer
//! `round(v * 2^s)` in the BN254 scalar field, written as 32 little-endian
//! bytes in lower-case hex. Negative integers wrap around the modulus.

use crate::error::{ProverError, Result};

/// The BN254 scalar field modulus as little-endian 64-bit limbs.
const MODULUS: [u64; 4] = [0x43e1_f593_f000_0001, 0x2833_e848_79b9_7091, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029];

/// Quantise `value` at `scale` into a field element in hex.
pub fn quantise(value: f64, scale: u32) -> Result<String> {
    let scaled = (value * f64::from(2u32).powi(scale as i32)).round();
    if !scaled.is_finite() || scaled.abs() >= 2f64.powi(62) {
        return Err(ProverError::Quantise(value, scale));
    }
    let int = scaled as i64;
    let limbs = if int >= 0 { [int.unsigned_abs(), 0, 0, 0] } else { sub(MODULUS, [int.unsigned_abs(), 0, 0, 0]) };
    Ok(to_hex(limbs))
}

/// Read a field element back as a float at `scale`; elements above half the
/// modulus are negative.
/// The proven outputs as the prover reports them (its traits): each field element
/// dequantised at `scale`, as `f32`. Renderers draw these values.
pub fn outputs_f32<S: AsRef<str>>(felts: &[S], scale: u32) -> Result<Vec<f32>> {
    felts.iter().map(|felt| dequantise(felt.as_ref(), scale).map(|v| v as f32)).collect()
}

/// The value of a field element at fixed-point `scale`.
pub fn dequantise(felt: &str, scale: u32) -> Result<f64> {
    let limbs = from_hex(felt)?;
    let (negative, magnitude) = if greater_than_half(limbs) { (true, sub(MODULUS, limbs)) } else { (false, limbs) };
    if magnitude[1] != 0 || magnitude[2] != 0 || magnitude[3] != 0 {
        return Err(ProverError::FieldElement(felt.to_owned()));
    }
    let value = magnitude[0] as f64 / f64::from(2u32).powi(scale as i32);
    Ok(if negative { -value } else { value })
}

fn to_hex(limbs: [u64; 4]) -> String {
    let bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    hex::encode(bytes)
}

fn from_hex(felt: &str) -> Result<[u64; 4]> {
    let bad = || ProverError::FieldElement(felt.to_owned());
    let bytes = hex::decode(felt.strip_prefix("0x").unwrap_or(felt)).map_err(|_| bad())?;
    if bytes.len() != 32 {
        return Err(bad());
    }
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(word);
    }
    if !less_than(limbs, MODULUS) {
        return Err(bad());
    }
    Ok(limbs)
}

/// `a - b` for `a >= b`.
fn sub(a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        out[i] = d2;
        borrow = b1 || b2;
    }
    out
}

fn less_than(a: [u64; 4], b: [u64; 4]) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Less
}

fn greater_than_half(a: [u64; 4]) -> bool {
    // a > (p - 1) / 2  <=>  p - a < a
    less_than(sub(MODULUS, a), a)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from the EZKL Python package (`float_to_felt`) at scale 13.
    #[test]
    fn quantises_like_ezkl() {
        assert_eq!(quantise(0.1, 13).unwrap(), format!("3303{}", "0".repeat(60)));
        assert_eq!(quantise(-0.3, 13).unwrap(), "67f6ffef93f5e1439170b97948e833285d588181b64550b829a031e1724e6430");
        assert_eq!(quantise(0.0, 13).unwrap(), "0".repeat(64));
    }

    #[test]
    fn dequantises_both_signs() {
        let neg = "67f6ffef93f5e1439170b97948e833285d588181b64550b829a031e1724e6430";
        assert_eq!(dequantise(neg, 13).unwrap(), -0.300048828125);
        assert_eq!(dequantise(&quantise(0.5, 13).unwrap(), 13).unwrap(), 0.5);
    }

    #[test]
    fn rejects_malformed_elements() {
        assert!(dequantise("zz", 13).is_err());
        assert!(dequantise(&"ff".repeat(32), 13).is_err());
        assert!(quantise(f64::NAN, 13).is_err());
    }
}
