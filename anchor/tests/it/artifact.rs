//! The checked-in contract artifact matches its source and the pinned compiler.

use std::path::Path;
use std::process::Command;

use provreg_anchor::{
    ARTIFACT_JSON, COLLECTION_ARTIFACT_JSON, COLLECTION_SOLIDITY_SOURCE, LOG_ARTIFACT_JSON, LOG_SOLIDITY_SOURCE,
    SOLIDITY_SOURCE,
};

fn contracts_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/contracts"))
}

#[test]
fn recompiling_gives_the_checked_in_artifact() {
    if !contracts_dir().join("node_modules/solc").is_dir() && crate::support::may_skip("the solc npm package") {
        return;
    }
    let out = Command::new("node").arg("build.js").arg("--check").current_dir(contracts_dir()).output().unwrap();
    assert!(
        out.status.success(),
        "an artifact differs from a fresh compilation of its source:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn artifacts_pin_the_compiler_of_package_json_and_the_pragma() {
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(contracts_dir().join("package.json")).unwrap()).unwrap();
    let solc = package["devDependencies"]["solc"].as_str().unwrap();
    for (artifact, source) in [
        (ARTIFACT_JSON, SOLIDITY_SOURCE),
        (LOG_ARTIFACT_JSON, LOG_SOLIDITY_SOURCE),
        (COLLECTION_ARTIFACT_JSON, COLLECTION_SOLIDITY_SOURCE),
    ] {
        let artifact: serde_json::Value = serde_json::from_str(artifact).unwrap();
        let name = artifact["contractName"].as_str().unwrap();
        let version = artifact["compiler"]["version"].as_str().unwrap();
        assert!(version.starts_with(&format!("{solc}+")), "{name} compiled with {version}, package.json pins {solc}");
        assert!(source.contains(&format!("pragma solidity {solc};")), "{name}: pragma is not pinned to {solc}");
        assert_eq!(artifact["settings"]["optimizer"]["enabled"], true, "{name}");
        assert_eq!(artifact["settings"]["metadata"]["bytecodeHash"], "none", "{name}");
        for key in ["bytecode", "deployedBytecode"] {
            let code = artifact[key].as_str().unwrap();
            assert!(code.starts_with("0x") && code.len() > 1000, "{name}: {key}");
        }
    }
    let names = |artifact: &str| -> Vec<String> {
        let artifact: serde_json::Value = serde_json::from_str(artifact).unwrap();
        artifact["abi"].as_array().unwrap().iter().filter_map(|e| e["name"].as_str().map(str::to_owned)).collect()
    };
    let anchor = names(ARTIFACT_JSON);
    for name in ["anchor", "nextSeq", "batchCount", "batch", "verifyInclusion", "Anchored", "SequenceGap", "NotOwner"] {
        assert!(anchor.iter().any(|n| n == name), "ProvenanceAnchor ABI lacks {name}");
    }
    let log = names(LOG_ARTIFACT_JSON);
    for name in
        ["anchor", "head", "stateHead", "verifyInclusion", "Anchored", "NotLatestState", "LogShrinks", "ForkedRoot"]
    {
        assert!(log.iter().any(|n| n == name), "ProvenanceLog ABI lacks {name}");
    }
    let collection = names(COLLECTION_ARTIFACT_JSON);
    for name in [
        "addAigcData",
        "verify",
        "instances",
        "AigcData",
        "MetadataUpdate",
        "BatchMetadataUpdate",
        "batchUpdateMetadata",
        "tokenURI",
        "supportsInterface",
        "ProofRejected",
        "NotMinter",
        "NotRegistry",
    ] {
        assert!(collection.iter().any(|n| n == name), "ProvregCollection ABI lacks {name}");
    }
}
