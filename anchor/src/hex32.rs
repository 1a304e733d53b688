//! `0x`-prefixed hex text for 32-byte digests, as used in the proof JSON.

use crate::merkle::Digest;

/// `0x` followed by 64 lower-case hex digits.
pub(crate) fn encode(digest: &Digest) -> String {
    format!("0x{}", hex::encode(digest))
}

/// Reads `0x` followed by exactly 64 hex digits (either case).
pub(crate) fn decode(text: &str) -> Result<Digest, String> {
    let digits = text.strip_prefix("0x").ok_or_else(|| format!("{text:?} does not start with 0x"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out).map_err(|e| format!("{text:?} is not 32 bytes of hex: {e}"))?;
    Ok(out)
}

/// Serde adapter for one digest.
pub(crate) mod one {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::merkle::Digest;

    pub(crate) fn serialize<S: Serializer>(digest: &Digest, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode(digest))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let text = String::deserialize(d)?;
        super::decode(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for a list of digests.
pub(crate) mod many {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::merkle::Digest;

    pub(crate) fn serialize<S: Serializer>(digests: &[Digest], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(digests.len()))?;
        for digest in digests {
            seq.serialize_element(&super::encode(digest))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Digest>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts.iter().map(|t| super::decode(t).map_err(serde::de::Error::custom)).collect()
    }
}
