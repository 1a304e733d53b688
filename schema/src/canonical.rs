use sha2::{Digest, Sha256};

use crate::Result;

/// A payload in its canonical form (RFC 8785, JSON Canonicalization Scheme) with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRecord {
    /// The canonical UTF-8 bytes.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`.
    pub digest: [u8; 32],
}

impl CanonicalRecord {
    /// The digest as lower-case hex.
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }
}

/// Canonicalises a JSON value per RFC 8785 and hashes the result.
pub fn canonicalize(value: &serde_json::Value) -> Result<CanonicalRecord> {
    let bytes = serde_json_canonicalizer::to_vec(value)?;
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    Ok(CanonicalRecord { bytes, digest })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_digest() {
        let a = canonicalize(&json!({"b": 1, "a": [true, null, "x"]})).unwrap();
        let b: serde_json::Value = serde_json::from_str("{ \"a\" : [ true , null , \"x\" ],\n \"b\":1.0 }").unwrap();
        let b = canonicalize(&b).unwrap();
        assert_eq!(a.bytes, br#"{"a":[true,null,"x"],"b":1}"#);
        assert_eq!(a.digest, b.digest);
    }

    #[test]
    fn rfc8785_number_and_string_forms() {
        let v = json!({"n": 1e21, "f": 0.000001, "s": "\u{20ac}\n\u{1}"});
        let c = canonicalize(&v).unwrap();
        assert_eq!(String::from_utf8(c.bytes).unwrap(), "{\"f\":0.000001,\"n\":1e+21,\"s\":\"\u{20ac}\\n\\u0001\"}");
    }

    #[test]
    fn digest_is_sha256_of_bytes() {
        let c = canonicalize(&json!({"x": "y"})).unwrap();
        let expected: [u8; 32] = Sha256::digest(br#"{"x":"y"}"#).into();
        assert_eq!(c.digest, expected);
        assert_eq!(c.digest_hex().len(), 64);
    }
}
