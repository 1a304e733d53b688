//! `provreg anchor deploy`: the binary against a real anvil, the contract read back with no key.
use std::path::Path;
use std::process::{Command, Output};

use provreg_anchor::alloy_types::{Address, B256};
use provreg_anchor::{ChainClient, ChainReader};

/// The `provreg` binary in `dir`, with no configuration but what a test gives it.
fn provreg(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provreg"));
    cmd.current_dir(dir).env("PROVREG_LOG", "warn").env_remove("PROVREG_CONFIG");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PROVREG_ANCHORING__") {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The address of the printed `anchoring.contract = "0x…"` line.
fn printed_contract(stdout: &str) -> Address {
    let line = stdout.lines().find(|l| l.starts_with("anchoring.contract = ")).expect("the setting is printed");
    line.trim_start_matches("anchoring.contract = ").trim_matches('"').parse().expect("an address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_the_contract_and_prints_the_setting() {
    let Some(anvil) = crate::anchoring::anvil(None, 0) else { return };
    let key = anvil.private_key_hex(0).expect("dev key");
    let dir = tempfile::tempdir().expect("tempdir");
    // The key from the configuration file, the chain from the environment.
    std::fs::write(dir.path().join("provreg.toml"), format!("[anchoring]\nprivate_key = \"{key}\"\n")).unwrap();
    let out =
        provreg(dir.path()).args(["anchor", "deploy"]).env("PROVREG_ANCHORING__RPC_URL", anvil.endpoint()).output();
    let out = out.expect("provreg runs");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(!stdout.contains(&key) && !stderr.contains(&key), "the key is printed");
    let contract = printed_contract(&stdout);
    assert!(stdout.contains(&format!("deployed ProvenanceLog at {contract} on chain 31337")), "{stdout}");
    assert!(stdout.contains(&format!("(owner {})", anvil.addresses()[0])), "{stdout}");
    assert!(stdout.lines().any(|l| l == format!("PROVREG_ANCHORING__CONTRACT={contract}")), "{stdout}");
    assert!(!dir.path().join("provreg.db").exists(), "deploying opened the database");

    let reader = provreg_anchor::LogReader::connect(&anvil.endpoint(), contract).expect("reader");
    assert_eq!(reader.head().await.expect("the contract answers"), None);
    // The configured key's account owns it: it can anchor.
    let owner = provreg_anchor::LogClient::connect(&anvil.endpoint(), &key, Some(contract), 1).expect("client");
    let first = provreg_anchor::LogState { prev_head: [0; 32], log_root: [7; 32], size: 1, status_root: [0; 32] };
    owner.wait_confirmed(owner.send_anchor(None, &first).await.expect("the owner anchors")).await.unwrap();
    assert_eq!(reader.head().await.unwrap(), Some(B256::from(first.head())));

    // --rpc-url instead of the setting, and --batches for the batch contract; every run
    // deploys a new contract.
    let out =
        provreg(dir.path()).args(["anchor", "deploy", "--batches", "--rpc-url", &anvil.endpoint()]).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let second = printed_contract(&stdout);
    assert_ne!(second, contract);
    assert!(stdout.contains(&format!("deployed ProvenanceAnchor at {second}")), "{stdout}");
    let batches = ChainReader::connect(&anvil.endpoint(), second).unwrap();
    assert_eq!(batches.next_seq().await.unwrap(), 0);
    let owner = ChainClient::connect(&anvil.endpoint(), &key, Some(second), 1).expect("client");
    owner.anchor(B256::repeat_byte(7), 0, 1).await.expect("the owner anchors");
    assert_eq!(batches.next_seq().await.unwrap(), 1);
}

#[test]
fn says_what_is_missing_and_never_prints_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    let out =
        provreg(dir.path()).args(["anchor", "deploy"]).env("PROVREG_ANCHORING__PRIVATE_KEY", key).output().unwrap();
    assert!(!out.status.success());
    let (_, stderr) = text(&out);
    assert!(stderr.contains("anchoring.rpc_url") && stderr.contains("--rpc-url"), "{stderr}");

    let out = provreg(dir.path()).args(["anchor", "deploy", "--rpc-url", "http://127.0.0.1:1"]).output().unwrap();
    assert!(!out.status.success());
    let (_, stderr) = text(&out);
    assert!(stderr.contains("anchoring.private_key") && stderr.contains("PROVREG_ANCHORING__PRIVATE_KEY"), "{stderr}");

    // A node that does not answer: an error naming the step, not the key.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = provreg(dir.path())
        .args(["anchor", "deploy", "--rpc-url", &format!("http://127.0.0.1:{port}")])
        .env("PROVREG_ANCHORING__PRIVATE_KEY", key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let (stdout, stderr) = text(&out);
    assert!(stderr.contains("asking the chain for its id"), "{stderr}");
    assert!(!stdout.contains(key) && !stderr.contains(key), "the key is printed");

    let out = provreg(dir.path())
        .args(["anchor", "deploy", "--rpc-url", "http://127.0.0.1:1"])
        .env("PROVREG_ANCHORING__PRIVATE_KEY", "not a key")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success() && stderr.contains("private key"), "{stderr}");
}
