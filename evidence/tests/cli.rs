//! The `provreg-verify` binary on the checked-in golden bundle: its report and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn verify(bundle: &std::path::Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provreg-verify"))
        .arg(bundle)
        .arg("--trust")
        .arg(data("golden-ca.pem"))
        .arg("--no-zk")
        .args(extra)
        .env_remove("PROVREG_DATA_DIR")
        .output()
        .expect("provreg-verify runs")
}

#[test]
fn the_golden_bundle_is_unconfirmed_without_a_chain_and_the_report_says_why() {
    let out = verify(&data("golden-bundle.json"), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("UNCONFIRMED (") && text.contains(" 0 failed"), "{text}");
    assert!(text.contains("anchor.chain") && text.contains("no RPC URL given"), "{text}");

    let json = verify(
        &data("golden-bundle.json"),
        &["--json", "--token", "31337/0x00000000000000000000000000000000000c0de1/7"],
    );
    assert_eq!(json.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["outcome"], "unconfirmed");
    assert_eq!(report["provenanceStatus"], "affected");
    assert!(report["firstFailure"].is_null());
}

#[test]
fn a_tampered_bundle_exits_1_naming_the_check_and_an_unreadable_one_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let mut bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("golden-bundle.json")).unwrap()).unwrap();
    bundle["records"][1]["digest"] = "00".repeat(32).into();
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, bundle.to_string()).unwrap();
    let out = verify(&tampered, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("first failed check record.digest of dataset"));

    let other = verify(&data("golden-bundle.json"), &["--token", "31337/0x00000000000000000000000000000000000c0de1/8"]);
    assert_eq!(other.status.code(), Some(1), "a bundle about another token is refused");

    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "not json").unwrap();
    let out = verify(&junk, &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one error line: {err}");
    assert!(err.contains("not JSON"), "{err}");
}
