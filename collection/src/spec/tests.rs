//! The spec's parsing, checks and seeds.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::*;
use crate::error::{CollectionError, Result};

const GOOD: &str = r#"
    [collection]
    chain_id = 31337
    contract = "0x00000000000000000000000000000000000C0FFE"
    name = "Pixel"

    [model]
    name = "trait-generator"
    version = "v3"
    onnx = "fixture"
    license = "Apache License 2.0"
    parent = "v2"
    relation = "retrain"
    training_data = [{ dataset = "pixel-traits", role = "finetune" }]

    [seeds]
    first_token_id = 10
    count = 3
    kind = "operator"
    salt = "s"
"#;

fn parse(text: &str) -> Result<Spec> {
    Spec::parse(text, Path::new("/specs"))
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn parses_a_full_spec_with_defaults() {
    let spec = parse(GOOD).unwrap();
    assert_eq!(spec.server, DEFAULT_SERVER);
    assert_eq!(spec.onnx(), OnnxSource::Fixture);
    assert_eq!(spec.model.relation, Some(Relation::Retrain));
    assert_eq!(spec.model.training_data[0].role, TrainingRole::Finetune);
    assert_eq!(spec.seeds.kind, SeedKind::Operator);
    let plan = spec.plan().unwrap();
    assert_eq!(plan.iter().map(|t| t.token_id).collect::<Vec<_>>(), [10, 11, 12]);
    assert_ne!(plan[0].seed, plan[1].seed);

    let with_file = parse(&GOOD.replace("onnx = \"fixture\"", "onnx = \"models/m.onnx\"")).unwrap();
    assert_eq!(with_file.onnx(), OnnxSource::File(PathBuf::from("/specs/models/m.onnx")));
}

/// `kind = "chain"`: minted on chain, no salt or list, a delay in range; the plan takes the
/// seeds the contract assigned, one per token.
#[test]
fn chain_seeds_come_from_the_contract() {
    let onchain = "\n[onchain]\nsymbol = \"PXT\"\n";
    let chain = GOOD.replace("kind = \"operator\"\n    salt = \"s\"", "kind = \"chain\"\n    delay = 3");
    let spec = parse(&format!("{chain}{onchain}")).unwrap();
    assert_eq!(spec.seeds.kind.graphql(), "CHAIN");
    assert_eq!(spec.seeds.delay, Some(3));
    assert_eq!(spec.token_ids().unwrap(), (10, 3));
    assert!(spec.plan().unwrap_err().to_string().starts_with("seeds.kind: "));
    let plan = spec.plan_assigned(&[([1; 32], None), ([2; 32], None), ([3; 32], None)]).unwrap();
    assert_eq!(plan.iter().map(|t| (t.token_id, t.seed[0])).collect::<Vec<_>>(), [(10, 1), (11, 2), (12, 3)]);
    assert!(spec.plan_assigned(&[([1; 32], None)]).unwrap_err().to_string().starts_with("seeds.count: "));
    // Beacon seeds: no delay; a beacon URL only for them.
    let beacon = chain.replace(
        "kind = \"chain\"\n    delay = 3",
        "kind = \"beacon\"\n    beacon_url = \"http://127.0.0.1:8080/beacon\"",
    );
    assert_eq!(parse(&format!("{beacon}{onchain}")).unwrap().seeds.kind.graphql(), "BEACON");
    let bad = beacon.replace("http://127.0.0.1:8080/beacon", "ftp://x");
    assert!(error(&format!("{bad}{onchain}")).starts_with("seeds.beacon_url: "));
    let with_delay = beacon.replace("kind = \"beacon\"", "kind = \"beacon\"\n    delay = 2");
    assert!(error(&format!("{with_delay}{onchain}")).starts_with("seeds.delay: "));
    assert!(
        error(&format!("{}{onchain}", chain.replace("delay = 3", "delay = 3\n    beacon_url = \"http://b\"")))
            .starts_with("seeds.beacon_url: ")
    );
    // Off chain, with a salt, with a list, with a delay out of range, or a delay of operator seeds.
    assert!(error(&chain).starts_with("seeds.kind: "), "{}", error(&chain));
    let salted = chain.replace("delay = 3", "delay = 3\n    salt = \"s\"");
    assert!(error(&format!("{salted}{onchain}")).starts_with("seeds.salt: "));
    let listed = chain.replace("count = 3", "").replace("delay = 3", &format!("seeds = [\"0x{}\"]", "ab".repeat(32)));
    assert!(error(&format!("{listed}{onchain}")).starts_with("seeds.seeds: "));
    for bad in ["delay = 0", "delay = 129"] {
        let text = format!("{}{onchain}", chain.replace("delay = 3", bad));
        assert!(error(&text).starts_with("seeds.delay: "), "{bad}: {}", error(&text));
    }
    assert!(error(&GOOD.replace("salt = \"s\"", "salt = \"s\"\n    delay = 2")).starts_with("seeds.delay: "));
}

/// The derivation written out independently:
///
/// ```python
/// import hashlib
/// contract = bytes.fromhex("00000000000000000000000000000000000c0ffe")
/// h = hashlib.sha256(b"provreg.collection.v1" + (31337).to_bytes(8, "big") + contract
///                    + (10).to_bytes(32, "big") + b"s").hexdigest()
/// ```
#[test]
fn derived_seeds_follow_the_documented_layout() {
    let spec = parse(GOOD).unwrap();
    let contract = parse_address(spec.collection.contract.as_deref().unwrap()).unwrap();
    let mut bytes = SEED_DOMAIN.to_vec();
    bytes.extend(31337u64.to_be_bytes());
    bytes.extend(contract);
    bytes.extend([0u8; 24]);
    bytes.extend(10u64.to_be_bytes());
    bytes.extend(b"s");
    let expected: [u8; 32] = Sha256::digest(&bytes).into();
    assert_eq!(spec.plan().unwrap()[0].seed, expected);
    assert_eq!(derive_seed(31337, &contract, 10, "s"), expected);
    assert_ne!(derive_seed(31337, &contract, 10, "t"), expected);
    assert_ne!(derive_seed(1, &contract, 10, "s"), expected);
}

#[test]
fn explicit_seeds() {
    let a = format!("0x{}", "ab".repeat(32));
    let b = "CD".repeat(32);
    let text = GOOD
        .replace("count = 3", "")
        .replace("salt = \"s\"", "")
        .replace("kind = \"operator\"", &format!("kind = \"operator\"\nseeds = [\"{a}\", \"{b}\"]"));
    let plan = parse(&text).unwrap().plan().unwrap();
    assert_eq!(plan.len(), 2);
    assert_eq!(plan[0].seed, [0xab; 32]);
    assert_eq!(plan[1].seed, [0xcd; 32]);
}

#[test]
fn errors_name_the_field() {
    let cases: &[(&str, &str, &str)] = &[
        ("chain_id = 31337", "chain_id = 0", "collection.chain_id"),
        ("0x00000000000000000000000000000000000C0FFE", "0x123", "collection.contract"),
        (
            "0x00000000000000000000000000000000000C0FFE",
            "0x00000000000000000000000000000000000C0FFG",
            "collection.contract",
        ),
        ("name = \"Pixel\"", "name = \"\"", "collection.name"),
        ("relation = \"retrain\"", "", "model.relation"),
        ("relation = \"retrain\"", "relation = \"clone\"", "model.relation"),
        ("role = \"finetune\"", "role = \"train\"", "model.training_data"),
        ("count = 3", "count = 0", "seeds.count"),
        ("count = 3", "count = -1", "seeds.count"),
        ("count = 3", "", "seeds.count"),
        ("salt = \"s\"", "", "seeds.salt"),
        ("kind = \"operator\"", "kind = \"random\"", "seeds.kind"),
        ("kind = \"operator\"", "kind = \"vrf\"", "seeds.kind"),
        ("kind = \"operator\"", "kind = \"operator\"\nseeds = [\"0x12\", \"0x34\", \"0x56\"]", "seeds.salt"),
        ("kind = \"operator\"", "kind = \"operator\"\nrequest_ids = [\"a\"]", "request_ids"),
        // Beyond TOML's integers: the parse error quotes the line.
        ("first_token_id = 10", "first_token_id = 18446744073709551615", "first_token_id"),
        ("first_token_id = 10", "", "first_token_id"),
        ("[seeds]", "[seeds]\nbogus = 1", "bogus"),
        ("[collection]", "server = \"ftp://x\"\n[collection]", "server"),
        ("onnx = \"fixture\"", "onnx = \"fixture\"\nrenderer = { name = \"crayon\", version = 1 }", "model.renderer"),
        // No contract and no [onchain]: nowhere to put the tokens.
        ("contract = \"0x00000000000000000000000000000000000C0FFE\"", "", "collection.contract"),
        ("[seeds]", "[onchain]\nsymbol = \"P-X\"\n[seeds]", "onchain.symbol"),
        ("[seeds]", "[onchain]\nsymbol = \"PX\"\nname = \"\"\n[seeds]", "onchain.name"),
        ("[seeds]", "[onchain]\nsymbol = \"PX\"\nrpc_url = \"ws://x\"\n[seeds]", "onchain.rpc_url"),
        ("[seeds]", "[onchain]\nname = \"P\"\n[seeds]", "symbol"),
    ];
    for (from, to, field) in cases {
        assert!(GOOD.contains(from), "{from}");
        let message = error(&GOOD.replacen(from, to, 1));
        assert!(message.contains(field), "{to:?}: expected {field} in {message}");
    }
    let bad_seed = GOOD
        .replace("count = 3", "")
        .replace("salt = \"s\"", "")
        .replace("kind = \"operator\"", &format!("kind = \"operator\"\nseeds = [\"0x{}\", \"0x12\"]", "ab".repeat(32)));
    assert!(error(&bad_seed).contains("seeds.seeds[1]"), "{}", error(&bad_seed));
    let repeated = GOOD
        .replace("count = 3", "")
        .replace("salt = \"s\"", "")
        .replace("kind = \"operator\"", &format!("kind = \"operator\"\nseeds = [\"{0}\", \"{0}\"]", "ab".repeat(32)));
    assert!(error(&repeated).contains("repeats seeds.seeds[0]"), "{}", error(&repeated));
    assert!(error("not = [toml").contains('='), "{}", error("not = [toml"));
    assert!(error("").contains("collection"), "{}", error(""));
}

#[test]
fn a_missing_file_is_named() {
    let e = Spec::load(Path::new("/nonexistent/spec.toml")).unwrap_err();
    assert!(matches!(e, CollectionError::SpecFile { .. }), "{e:?}");
    assert!(e.to_string().contains("/nonexistent/spec.toml"), "{e}");
}

#[test]
fn the_demo_spec_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-collection.toml");
    let spec = Spec::load(&path).unwrap();
    assert_eq!(spec.token_ids().unwrap(), (1, 5));
    assert_eq!(spec.collection.chain_id, 31337);
    assert_eq!(spec.model.name, "trait-generator");
    assert_eq!(spec.model.parent.as_deref(), Some("v2"));
    assert_eq!(spec.onnx(), OnnxSource::Fixture);
    // It mints on chain in the collection the run deploys, which assigns the seeds.
    assert!(spec.collection.contract.is_none());
    assert_eq!(spec.onchain.as_ref().map(|o| o.symbol.as_str()), Some("PXT"));
    assert_eq!(spec.onchain_name().as_deref(), Some("Pixel Traits"));
    assert_eq!((spec.seeds.kind, spec.seeds.delay), (SeedKind::Chain, Some(2)));
    let deployed = spec.with_contract("0x5FC8D32690CC91D4C39D9D3ABCBD16989F875707");
    assert_eq!(deployed.contract(), "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707");
    assert!(deployed.plan().unwrap_err().to_string().starts_with("seeds.kind: "));
    assert_eq!(deployed.plan_assigned(&[([7; 32], None); 5]).unwrap().len(), 5);
}

#[test]
fn the_renderer_follows_the_model_unless_named() {
    let spec = parse(GOOD).unwrap();
    assert_eq!(spec.renderer().unwrap(), provreg_render::PIXEL_BANDS);
    let image = parse(&GOOD.replace("onnx = \"fixture\"", "onnx = \"fixture-image\"")).unwrap();
    assert_eq!(image.onnx(), OnnxSource::FixtureImage);
    assert_eq!(image.renderer().unwrap(), provreg_render::PALETTE_8X8);
    let named = GOOD
        .replace("onnx = \"fixture\"", "onnx = \"fixture-image\"\nrenderer = { name = \"pixel-bands\", version = 1 }");
    assert_eq!(parse(&named).unwrap().renderer().unwrap(), provreg_render::PIXEL_BANDS);
}

#[test]
fn an_onchain_spec_needs_no_contract() {
    let text = GOOD.replacen("contract = \"0x00000000000000000000000000000000000C0FFE\"", "", 1)
        + "\n[onchain]\nsymbol = \"PXT\"\n";
    let spec = Spec::parse(&text, Path::new(".")).unwrap();
    assert_eq!(spec.onchain_name().as_deref(), Some(spec.collection.name.trim()));
    assert_eq!(spec.contract(), "");
    assert_eq!(spec.with_contract("0x00000000000000000000000000000000000C0FFE").plan().unwrap().len(), 3);
}

#[test]
fn an_invalid_file_is_named_with_the_field_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.toml");
    std::fs::write(&path, GOOD.replace("count = 3", "count = 0")).unwrap();
    let e = Spec::load(&path).unwrap_err();
    let CollectionError::InvalidSpecFile { path: named, source } = &e else { panic!("{e:?}") };
    assert_eq!(named, &path);
    assert!(matches!(&**source, CollectionError::SpecField { field, .. } if field == "seeds.count"), "{source:?}");
    assert!(e.with_causes().contains("invalid collection spec") && e.with_causes().contains("seeds.count"));
}

#[test]
fn the_demo_image_spec_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-image-collection.toml");
    let spec = Spec::load(&path).unwrap();
    assert_eq!(spec.onnx(), OnnxSource::FixtureImage);
    assert_eq!(spec.renderer().unwrap(), provreg_render::PALETTE_8X8);
    assert_eq!(spec.onchain.as_ref().map(|o| o.symbol.as_str()), Some("PXP"));
}
