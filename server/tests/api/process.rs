//! `provreg serve` as a process of its own (not dev: SQLite in a temporary folder, a
//! development CA made with `keys init-ca`, no chain), for tests and the load benchmark that
//! measure the server from outside: its memory, its answers under load. Shared by the API
//! tests and `benches/load.rs`, so it uses nothing but std.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `provreg serve`, stopped (and its folder removed) when dropped.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    /// A registrar's key and an auditor's.
    pub registrar: String,
    pub auditor: String,
    dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `bin serve` with the configuration `extra` (TOML sections) added to its own.
    pub fn start(bin: &Path, extra: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
        let config = dir.path().join("provreg.toml");
        let db = dir.path().join("provreg.db");
        let data = dir.path().join("data");
        let own = format!(
            "database_url = \"sqlite://{}?mode=rwc\"\ndata_dir = \"{}\"\nlisten = \"127.0.0.1:0\"\n",
            db.display(),
            data.display()
        );
        std::fs::write(&config, own + extra).map_err(|e| format!("writing {}: {e}", config.display()))?;
        let run = |args: &[&str]| -> Result<String, String> {
            let out = command(bin, &config).args(args).output().map_err(|e| format!("{}: {e}", bin.display()))?;
            if !out.status.success() {
                return Err(format!("provreg {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        };
        run(&["keys", "init-ca"])?;
        let registrar = run(&["keys", "create", "--role", "registrar", "--name", "load"])?;
        let auditor = run(&["keys", "create", "--role", "auditor", "--name", "load"])?;
        let log = std::fs::File::create(dir.path().join("server.log")).map_err(|e| format!("log file: {e}"))?;
        let mut child = command(bin, &config)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let addr = match child.stdout.take().map(|out| serving_address(out, Duration::from_secs(120))) {
            Some(Ok(addr)) => addr,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                let why = other.map(|r| r.err().unwrap_or_default()).unwrap_or_default();
                return Err(format!("the server did not start ({why}): {log}"));
            }
        };
        Ok(Self { child, addr, registrar, auditor, dir })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder().join("server.log")).unwrap_or_default()
    }

    pub fn folder(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(bin: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--config").arg(config).env("PROVREG_LOG", "warn");
    // Only the file configures this server.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("PROVREG_") && name != "PROVREG_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Reads the server's standard output until it says where it serves; the rest of it is
/// drained in the background so the server never blocks on a full pipe.
fn serving_address(out: std::process::ChildStdout, within: Duration) -> Result<SocketAddr, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if !sent && let Some(url) = line.strip_prefix("provreg is serving on http://") {
                sent = tx.send(url.trim().parse::<SocketAddr>().map_err(|e| e.to_string())).is_ok();
            }
        }
    });
    rx.recv_timeout(within).map_err(|_| format!("no address within {within:?}"))?
}
