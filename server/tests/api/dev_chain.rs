//! `serve --dev` and its local chain across a crash: `kill -9` of the server takes the chain
//! with it, and the next `serve --dev` runs one chain, on the same port, with the same state.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A `provreg serve --dev` in `dir`, and what it printed until it served: (base URL, chain URL).
fn serve_dev(dir: &Path) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_provreg"))
        .args(["serve", "--dev", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env("PROVREG_LOG", "warn")
        .env_remove("PROVREG_CONFIG")
        .env_remove("PROVREG_DATABASE_URL")
        .env("PROVREG_DATA_DIR", dir.join("data"))
        // No proof verifier needed here: the system Python has no EZKL, so none starts.
        .env("PROVREG_PROVER__PYTHON", "python3")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("provreg starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut base, mut chain) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(120);
    while base.is_none() {
        let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("serve --dev starts");
        if let Some(rest) = line.strip_prefix("local chain ") {
            chain = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(url) = line.strip_prefix("provreg is serving on ") {
            base = Some(url.trim().to_owned());
        }
    }
    (child, base.unwrap(), chain.expect("a local chain is started"))
}

/// PIDs of the processes whose command line names `needle`.
fn processes_naming(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        if cmdline.split(|b| *b == 0).any(|arg| arg == needle.as_bytes()) {
            found.push(pid);
        }
    }
    found
}

async fn gql(base: &str, key: &str, query: &str, variables: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(key)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("the server answers");
    let body: Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

async fn register_and_anchor(base: &str, key: &str, name: &str) -> Value {
    let input = crate::helpers::license_input(name, "ALLOWED");
    gql(
        base,
        key,
        "mutation($input: LicenseInput!) { registerLicense(input: $input) { id } }",
        json!({"input": input}),
    )
    .await;
    gql(base, key, "mutation { anchorNow { firstSeq size status } }", json!({})).await["anchorNow"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_dev_server_takes_its_chain_along_and_the_next_start_runs_one() {
    if crate::anchoring::anvil(None, 0).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("data/anvil-state.json");
    let state_arg = state.display().to_string();

    let (mut server, base, chain) = serve_dev(dir.path());
    let key = std::fs::read_to_string(dir.path().join("data/dev-admin.key")).unwrap().trim().to_owned();
    let anchored = register_and_anchor(&base, &key, "first").await;
    assert_eq!(anchored[0]["firstSeq"], 0, "{anchored}");
    assert_eq!(anchored[0]["status"], "CONFIRMED");
    let chains = processes_naming(&state_arg);
    assert_eq!(chains.len(), 1, "one chain on the state file: {chains:?}");

    // kill -9: the server cannot stop its chain itself; the chain goes with it all the same.
    tokio::time::sleep(Duration::from_millis(1500)).await; // the chain writes its state every second
    server.kill().unwrap();
    server.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !processes_naming(&state_arg).is_empty() {
        assert!(Instant::now() < deadline, "the chain outlived its server: {:?}", processes_naming(&state_arg));
        std::thread::sleep(Duration::from_millis(100));
    }

    // The next start: one chain, the same address, the anchored state; a round works.
    let (mut server, base, again) = serve_dev(dir.path());
    assert_eq!(again, chain, "the chain comes back on its recorded port");
    assert_eq!(processes_naming(&state_arg).len(), 1);
    let anchored = register_and_anchor(&base, &key, "second").await;
    assert_eq!(anchored[0]["firstSeq"], 1, "the chain kept the first anchor: {anchored}");
    assert_eq!(anchored[0]["status"], "CONFIRMED");
    server.kill().unwrap();
    server.wait().unwrap();
}
