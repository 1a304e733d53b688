//! JSON read strictly: an object that names a key twice is refused. serde_json keeps the
//! last of duplicate keys, another parser may keep the first, so a bundle with one would be
//! two different bundles to two readers.
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why a document is not strict JSON.
#[derive(Debug)]
pub(crate) enum StrictError {
    NotJson(serde_json::Error),
    /// The JSON pointer of the object and the key it repeats.
    Duplicate(String),
}

/// Checks `text` is JSON in which no object repeats a key.
pub(crate) fn check_no_duplicate_keys(text: &str) -> Result<(), StrictError> {
    let mut de = serde_json::Deserializer::from_str(text);
    match de::Deserialize::deserialize(&mut de).and_then(|NoDuplicates| de.end().map(|()| NoDuplicates)) {
        Ok(NoDuplicates) => Ok(()),
        Err(e) => match e.to_string().strip_prefix(DUPLICATE) {
            Some(rest) => Err(StrictError::Duplicate(rest.split(" at line ").next().unwrap_or(rest).to_owned())),
            None => Err(StrictError::NotJson(e)),
        },
    }
}

const DUPLICATE: &str = "duplicate key ";

/// A JSON value read only to find duplicate keys.
struct NoDuplicates;

impl<'de> de::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoDuplicates, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoDuplicates, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key:?}")));
            }
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_at_any_depth_is_found() {
        assert!(check_no_duplicate_keys(r#"{"a": [1, {"b": 2, "c": {"d": null}}], "e": "x"}"#).is_ok());
        assert!(matches!(
            check_no_duplicate_keys(r#"{"a": [{"b": 1, "b": 2}]}"#),
            Err(StrictError::Duplicate(k)) if k == "\"b\""
        ));
        assert!(matches!(check_no_duplicate_keys(r#"{"a": 1, "a": 1}"#), Err(StrictError::Duplicate(_))));
        assert!(matches!(check_no_duplicate_keys("{"), Err(StrictError::NotJson(_))));
        assert!(matches!(check_no_duplicate_keys("{} {}"), Err(StrictError::NotJson(_))));
    }
}
