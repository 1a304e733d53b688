//! The status map against the known answers of an independent implementation of its
//! specification (`test-vectors/status_map.py`, hashlib only).

use provreg_anchor::{StatusMap, StatusProof, status_key};

fn hex32(v: &serde_json::Value) -> [u8; 32] {
    let text = v.as_str().unwrap();
    hex::decode(text.strip_prefix("0x").unwrap()).unwrap().try_into().unwrap()
}

#[test]
fn roots_and_proofs_match_the_known_answers() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/test-vectors/status-map.json")).unwrap();
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut map = StatusMap::new();
        for e in case["entries"].as_array().unwrap() {
            map.insert(status_key(e["record"].as_str().unwrap()), hex32(&e["value"]));
        }
        let root = hex32(&case["root"]);
        assert_eq!(map.root(), root, "{name}: root");
        let bulk = StatusMap::from_entries(
            case["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (status_key(e["record"].as_str().unwrap()), hex32(&e["value"]))),
        );
        assert_eq!(bulk.root(), root, "{name}: root built at once");
        for p in case["proofs"].as_array().unwrap() {
            let record = p["record"].as_str().unwrap();
            let key = status_key(record);
            assert_eq!(key, hex32(&p["key"]), "{name}: key of {record}");
            let ours = serde_json::to_value(map.prove(&key)).unwrap();
            assert_eq!(ours, p["proof"], "{name}: proof for {record}");
            let theirs: StatusProof = serde_json::from_value(p["proof"].clone()).unwrap();
            theirs.verify(&root).unwrap();
        }
    }
}
