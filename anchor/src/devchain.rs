//! A local development chain (anvil) for `serve --dev` and for tests.
//!
//! The binary comes from the pinned npm package `@foundry-rs/anvil-linux-amd64`
//! (`npm ci` in `anchor/contracts`); `PROVREG_ANVIL` names another one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alloy::node_bindings::{Anvil as AnvilBuilder, AnvilInstance};
use alloy::primitives::Address;

use crate::error::{AnchorError, Result};

/// The environment variable that names an anvil binary.
pub const ANVIL_ENV: &str = "PROVREG_ANVIL";

/// How long to wait for a freshly started anvil to answer JSON-RPC.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a stopping anvil may take to write its state and exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The anvil installed by `npm ci` in this crate's `contracts/` folder.
pub fn bundled_anvil_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

/// The npm `solc` package installed by `npm ci` in this crate's `contracts/` folder (what EVM
/// verifiers and the contract artifacts are compiled with).
pub fn bundled_solc_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/node_modules/solc")
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
    inner: Inner,
}

enum Inner {
    /// A throw-away chain for tests.
    Instance(AnvilInstance),
    /// A chain kept in a state file across restarts ([`Anvil::spawn_persistent_on`]).
    Kept(KeptChain),
}

impl std::fmt::Debug for Anvil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anvil").field("endpoint", &self.endpoint()).finish()
    }
}

impl Anvil {
    /// Starts the anvil [`locate_anvil`] finds.
    pub fn spawn() -> Result<Self> {
        Self::spawn_at(&required_anvil()?)
    }

    /// Starts the anvil at `path` on a free port of 127.0.0.1 and waits until it answers.
    pub fn spawn_at(path: &Path) -> Result<Self> {
        // Port 0: the OS picks a free port and anvil reports it.
        let instance = AnvilBuilder::at(path)
            .host("127.0.0.1")
            .port(0u16)
            .try_spawn()
            .map_err(|e| AnchorError::DevChain(format!("cannot start {}: {e}", path.display())))?;
        wait_until_answers(instance.port(), READY_TIMEOUT)?;
        Ok(Self { inner: Inner::Instance(instance) })
    }

    /// Like [`spawn`](Self::spawn), but the chain also mines a block every `block_time`
    /// seconds besides one per transaction (anvil's mixed mining), as a live chain does: what
    /// waits for later blocks (a seed commitment's randomness block) sees them come.
    pub fn spawn_mining(block_time: u64) -> Result<Self> {
        let path = required_anvil()?;
        let instance = AnvilBuilder::at(&path)
            .host("127.0.0.1")
            .port(0u16)
            .block_time(block_time)
            .arg("--mixed-mining")
            .try_spawn()
            .map_err(|e| AnchorError::DevChain(format!("cannot start {}: {e}", path.display())))?;
        wait_until_answers(instance.port(), READY_TIMEOUT)?;
        Ok(Self { inner: Inner::Instance(instance) })
    }

    /// Starts the anvil [`locate_anvil`] finds, keeping the chain in `state_file`: loaded at
    /// start when it exists, written back every second and at exit. A development registry
    /// restarted on the same database then finds its contract and anchors again.
    pub fn spawn_persistent(state_file: &Path) -> Result<Self> {
        Self::spawn_persistent_on(state_file, 0)
    }

    /// Like [`spawn_persistent`](Self::spawn_persistent), with its life tied to this process:
    ///
    /// - it runs on the port recorded for `state_file` (in `<state_file>.pid`) by an earlier
    ///   start, else on `port` when that is free, else on any free port, which is recorded; a
    ///   recorded port taken by another program is an error that says so;
    /// - a chain on `state_file` left running by an earlier process (one killed with no chance
    ///   to stop it) is stopped first, so two chains never write one state file;
    /// - it is stopped when this process ends, even by `kill -9` (the kernel sends it
    ///   SIGTERM when its parent dies, set up with util-linux `setpriv --pdeathsig`), and when
    ///   dropped.
    pub fn spawn_persistent_on(state_file: &Path, port: u16) -> Result<Self> {
        let anvil = required_anvil()?;
        let record_path = record_path(state_file);
        let recorded = read_record(&record_path);
        if let Some(stale) = recorded.filter(|r| runs_on_state(r.pid, state_file)) {
            eprintln!(
                "stopping the local chain left running on {} by an earlier server (pid {})",
                state_file.display(),
                stale.pid
            );
            stop(stale.pid)?;
        }
        let port = match recorded {
            Some(r) if port_in_use(r.port) => {
                return Err(AnchorError::DevChain(format!(
                    "port {} of the local chain kept in {} is taken by another program: stop it, or delete {} \
                     to let the chain start on another port",
                    r.port,
                    state_file.display(),
                    record_path.display()
                )));
            }
            Some(r) => r.port,
            None if port != 0 && !port_in_use(port) => port,
            None => 0,
        };
        let chain = KeptChain::start(&anvil, state_file, port)?;
        write_record(&record_path, &ChainRecord { pid: chain.child.id(), port: chain.port })?;
        wait_until_answers(chain.port, READY_TIMEOUT)?;
        Ok(Self { inner: Inner::Kept(chain) })
    }

    /// The HTTP JSON-RPC URL.
    pub fn endpoint(&self) -> String {
        match &self.inner {
            Inner::Instance(i) => i.endpoint(),
            Inner::Kept(k) => format!("http://127.0.0.1:{}", k.port),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        match &self.inner {
            Inner::Instance(i) => i.port(),
            Inner::Kept(k) => k.port,
        }
    }

    /// The chain id (31337 unless configured otherwise).
    pub fn chain_id(&self) -> u64 {
        match &self.inner {
            Inner::Instance(i) => i.chain_id(),
            Inner::Kept(k) => k.chain_id,
        }
    }

    /// The funded development accounts.
    pub fn addresses(&self) -> &[Address] {
        match &self.inner {
            Inner::Instance(i) => i.addresses(),
            Inner::Kept(k) => &k.addresses,
        }
    }

    /// The private key of development account `i`, as hex without `0x`.
    pub fn private_key_hex(&self, i: usize) -> Option<String> {
        match &self.inner {
            Inner::Instance(instance) => instance.keys().get(i).map(|k| alloy::hex::encode(k.to_bytes())),
            Inner::Kept(k) => k.keys.get(i).cloned(),
        }
    }
}

/// The anvil to run, or an error saying how to install it.
fn required_anvil() -> Result<PathBuf> {
    locate_anvil().ok_or_else(|| {
        AnchorError::DevChain(format!(
            "no anvil: run `npm ci` in {} or set {ANVIL_ENV}",
            bundled_anvil_path().parent().and_then(Path::parent).map(|p| p.display().to_string()).unwrap_or_default()
        ))
    })
}

/// An anvil kept in a state file, started by this process.
struct KeptChain {
    child: Child,
    port: u16,
    chain_id: u64,
    addresses: Vec<Address>,
    keys: Vec<String>,
}

impl KeptChain {
    fn start(anvil: &Path, state_file: &Path, port: u16) -> Result<Self> {
        let mut command = match locate_setpriv() {
            Some(setpriv) => {
                let mut c = Command::new(setpriv);
                c.args(["--pdeathsig", "TERM", "--"]).arg(anvil);
                c
            }
            None => Command::new(anvil),
        };
        command
            // A block a second besides one per transaction, as a live chain: seed commitments'
            // randomness blocks come without traffic.
            .args(["--block-time", "1", "--mixed-mining"])
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--state-interval", "1", "--state"])
            .arg(state_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child =
            command.spawn().map_err(|e| AnchorError::DevChain(format!("cannot start {}: {e}", anvil.display())))?;
        let stdout = child.stdout.take().ok_or_else(|| AnchorError::DevChain("anvil has no output".into()))?;
        let (tx, rx) = mpsc::channel();
        // Reads the banner, then keeps draining anvil's request log so it never blocks on output.
        std::thread::spawn(move || {
            let mut banner = Banner::default();
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && banner.read(&line) {
                    sent = tx.send(std::mem::take(&mut banner)).is_ok();
                }
            }
        });
        let banner = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(banner) => banner,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(AnchorError::DevChain(format!(
                    "anvil on {} did not start within {READY_TIMEOUT:?} (is the state file readable?)",
                    state_file.display()
                )));
            }
        };
        Ok(Self {
            child,
            port: banner.port,
            chain_id: banner.chain_id.unwrap_or(31337),
            addresses: banner.addresses,
            keys: banner.keys,
        })
    }
}

impl Drop for KeptChain {
    fn drop(&mut self) {
        // SIGTERM lets anvil write its state file once more; then wait for it.
        let _ = stop(self.child.id());
        let _ = self.child.wait();
    }
}

/// What anvil prints before it listens: accounts, keys, chain id, address.
#[derive(Default)]
struct Banner {
    section: String,
    addresses: Vec<Address>,
    keys: Vec<String>,
    chain_id: Option<u64>,
    port: u16,
}

impl Banner {
    /// Takes one line; `true` once anvil says where it listens.
    fn read(&mut self, line: &str) -> bool {
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("Listening on") {
            if let Ok(addr) = addr.trim().parse::<SocketAddr>() {
                self.port = addr.port();
            }
            return true;
        }
        let indexed = line.strip_prefix('(').and_then(|l| l.split_once(')')).map(|(_, rest)| rest.trim());
        match indexed {
            Some(rest) if self.section.starts_with("Available Accounts") => {
                if let Some(address) = rest.split_whitespace().next().and_then(|a| a.parse().ok()) {
                    self.addresses.push(address);
                }
            }
            Some(rest) if self.section.starts_with("Private Keys") => {
                self.keys.push(rest.trim_start_matches("0x").to_owned());
            }
            _ if self.section.starts_with("Chain ID") && self.chain_id.is_none() => {
                // The heading is followed by a rule, an empty line, then the number.
                self.chain_id = line.parse().ok();
            }
            _ => {}
        }
        if line.starts_with("Available Accounts") || line.starts_with("Private Keys") || line.starts_with("Chain ID") {
            self.section = line.to_owned();
        }
        false
    }
}

/// util-linux `setpriv`, when installed.
fn locate_setpriv() -> Option<PathBuf> {
    ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The PID and port of the last chain started on a state file.
#[derive(Debug, Clone, Copy)]
struct ChainRecord {
    pid: u32,
    port: u16,
}

/// `<state_file>.pid`.
fn record_path(state_file: &Path) -> PathBuf {
    let mut name = state_file.as_os_str().to_owned();
    name.push(".pid");
    PathBuf::from(name)
}

fn read_record(path: &Path) -> Option<ChainRecord> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut words = text.split_whitespace();
    let pid = words.next()?.parse().ok()?;
    let port = words.next()?.parse().ok()?;
    Some(ChainRecord { pid, port })
}

fn write_record(path: &Path, record: &ChainRecord) -> Result<()> {
    std::fs::write(path, format!("{} {}\n", record.pid, record.port))
        .map_err(|e| AnchorError::DevChain(format!("cannot write {}: {e}", path.display())))
}

/// Whether process `pid` is alive (not a zombie) and runs with `--state state_file`.
fn runs_on_state(pid: u32, state_file: &Path) -> bool {
    if !alive(pid) {
        return false;
    }
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let state = state_file.as_os_str().as_encoded_bytes();
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    args.windows(2).any(|w| w[0] == b"--state" && w[1] == state)
}

/// Whether `pid` exists and is not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Stops `pid`: SIGTERM, then SIGKILL if it still runs after ten seconds.
fn stop(pid: u32) -> Result<()> {
    use rustix::process::{Pid, Signal, kill_process};
    let target = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| AnchorError::DevChain(format!("{pid} is not a process ID")))?;
    if kill_process(target, Signal::TERM).is_err() {
        return Ok(()); // already gone
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while alive(pid) {
        if Instant::now() >= deadline {
            let _ = kill_process(target, Signal::KILL);
            std::thread::sleep(Duration::from_millis(200));
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive(pid) {
        return Err(AnchorError::DevChain(format!("the local chain (pid {pid}) does not stop")));
    }
    Ok(())
}

/// Whether something accepts connections on 127.0.0.1:`port`.
fn port_in_use(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), Duration::from_millis(300)).is_ok()
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
