//! A local development chain (anvil) for `serve --dev` and for tests.
//!
//! The binary comes from the pinned npm package `@foundry-rs/anvil-linux-amd64`
//! (`npm ci` in `anchor/contracts`); `PROVREG_ANVIL` names another one.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy::node_bindings::{Anvil as AnvilBuilder, AnvilInstance};
use alloy::primitives::Address;

use crate::error::{AnchorError, Result};

/// The environment variable that names an anvil binary.
pub const ANVIL_ENV: &str = "PROVREG_ANVIL";

/// How long to wait for a freshly started anvil to answer JSON-RPC.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// The anvil installed by `npm ci` in this crate's `contracts/` folder.
pub fn bundled_anvil_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

/// The anvil to run: `$PROVREG_ANVIL` if set, else the bundled one if installed.
pub fn locate_anvil() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(ANVIL_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let bundled = bundled_anvil_path();
    bundled.is_file().then_some(bundled)
}

/// A running anvil on 127.0.0.1, stopped when dropped.
pub struct Anvil {
    instance: AnvilInstance,
}

impl std::fmt::Debug for Anvil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anvil").field("endpoint", &self.endpoint()).finish()
    }
}

impl Anvil {
    /// Starts the anvil [`locate_anvil`] finds.
    pub fn spawn() -> Result<Self> {
        let path = locate_anvil().ok_or_else(|| {
            AnchorError::DevChain(format!(
                "no anvil: run `npm ci` in {} or set {ANVIL_ENV}",
                bundled_anvil_path()
                    .parent()
                    .and_then(Path::parent)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ))
        })?;
        Self::spawn_at(&path)
    }

    /// Starts the anvil at `path` on a free port of 127.0.0.1 and waits until it answers.
    pub fn spawn_at(path: &Path) -> Result<Self> {
        Self::spawn_with_args(path, 0, Vec::<String>::new())
    }

    /// Starts the anvil [`locate_anvil`] finds, keeping the chain in `state_file`: loaded at
    /// start when it exists, written back periodically and at exit. A development registry
    /// restarted on the same database then finds its contract and anchors again.
    pub fn spawn_persistent(state_file: &Path) -> Result<Self> {
        Self::spawn_persistent_on(state_file, 0)
    }

    /// Like [`spawn_persistent`](Self::spawn_persistent), on `port` (0: any free port). Lets a
    /// stopped chain come back at the same address with the same state.
    pub fn spawn_persistent_on(state_file: &Path, port: u16) -> Result<Self> {
        let path = locate_anvil().ok_or_else(|| {
            AnchorError::DevChain(format!("no anvil: run `npm ci` in anchor/contracts or set {ANVIL_ENV}"))
        })?;
        let state = state_file.display().to_string();
        Self::spawn_with_args(&path, port, ["--state".to_owned(), state, "--state-interval".to_owned(), "1".to_owned()])
    }

    fn spawn_with_args(path: &Path, port: u16, args: impl IntoIterator<Item = String>) -> Result<Self> {
        // Port 0: the OS picks a free port and anvil reports it.
        let instance = AnvilBuilder::at(path)
            .host("127.0.0.1")
            .port(port)
            .args(args)
            .try_spawn()
            .map_err(|e| AnchorError::DevChain(format!("cannot start {}: {e}", path.display())))?;
        wait_until_answers(instance.port(), READY_TIMEOUT)?;
        Ok(Self { instance })
    }

    /// The HTTP JSON-RPC URL.
    pub fn endpoint(&self) -> String {
        self.instance.endpoint()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.instance.port()
    }

    /// The chain id (31337 unless configured otherwise).
    pub fn chain_id(&self) -> u64 {
        self.instance.chain_id()
    }

    /// The funded development accounts.
    pub fn addresses(&self) -> &[Address] {
        self.instance.addresses()
    }

    /// The private key of development account `i`, as hex without `0x`.
    pub fn private_key_hex(&self, i: usize) -> Option<String> {
        self.instance.keys().get(i).map(|k| alloy::hex::encode(k.to_bytes()))
    }
}

/// Polls `eth_chainId` over plain HTTP until the node answers.
fn wait_until_answers(port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    loop {
        let answered = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok().and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
            s.write_all(request.as_bytes()).ok()?;
            let mut response = String::new();
            s.read_to_string(&mut response).ok()?;
            response.contains("\"result\"").then_some(())
        });
        if answered.is_some() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(AnchorError::DevChain(format!("anvil on port {port} did not answer within {timeout:?}")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
