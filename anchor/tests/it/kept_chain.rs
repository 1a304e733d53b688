//! The development chain kept in a state file: one chain per state file, on its recorded port.
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use provreg_anchor::alloy_types::B256;
use provreg_anchor::devchain::{self, Anvil};

use crate::support::may_skip;

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
}

fn wait_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    !alive(pid)
}

fn record(state: &Path) -> (u32, u16) {
    let text = std::fs::read_to_string(format!("{}.pid", state.display())).expect("the chain is recorded");
    let mut words = text.split_whitespace();
    (words.next().unwrap().parse().unwrap(), words.next().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_chain_comes_back_on_its_port_with_its_state_and_replaces_a_stale_one() {
    let Some(anvil_bin) = devchain::locate_anvil() else {
        assert!(may_skip("anvil"));
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");

    // First start: any free port, recorded with the PID.
    let first = Anvil::spawn_persistent_on(&state, 0).expect("starts");
    let port = first.port();
    let (pid, recorded_port) = record(&state);
    assert_eq!(recorded_port, port);
    let mut owner = crate::support::client(&first, 0, None);
    let contract = owner.deploy().await.unwrap();
    owner.anchor(B256::repeat_byte(1), 0, 1).await.unwrap();
    drop(first);
    assert!(wait_gone(pid), "dropping the handle stops the chain");

    // A chain on the same state file that an earlier, crashed server left running.
    let mut stale = Command::new(&anvil_bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--state-interval", "1", "--state"])
        .arg(&state)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::fs::write(format!("{}.pid", state.display()), format!("{} {port}\n", stale.id())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the stale chain does not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The next start stops it, and comes back on the recorded port with the anchored state.
    let second = Anvil::spawn_persistent_on(&state, 0).expect("replaces the stale chain");
    assert!(stale.try_wait().unwrap().is_some(), "the stale chain was stopped before the new one started");
    assert_eq!(second.port(), port, "the recorded port");
    let (pid, _) = record(&state);
    assert_ne!(pid, stale.id());
    let reader = crate::support::client(&second, 0, Some(contract));
    assert_eq!(reader.next_seq().await.unwrap(), 1, "the state survived");

    // Its recorded port taken by another program: a clear error, no second chain.
    let kept_port = second.port();
    drop(second);
    assert!(wait_gone(pid));
    let squatter = std::net::TcpListener::bind(("127.0.0.1", kept_port)).unwrap();
    let err = Anvil::spawn_persistent_on(&state, 0).expect_err("the port is taken");
    assert!(err.to_string().contains(&format!("port {kept_port}")), "{err}");
    drop(squatter);
}
