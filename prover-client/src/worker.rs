//! A line-oriented JSON worker process: one request per line on its stdin,
//! one answer per line on its stdout; stderr passes through.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

use crate::error::{ProverError, Result};

/// A worker process started on first use and restarted after it dies.
/// Requests are sent one at a time.
#[derive(Debug)]
pub(crate) struct Worker {
    program: PathBuf,
    args: Vec<PathBuf>,
    process: Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    // Kept so the process is killed when the worker is dropped.
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    pub(crate) fn new(program: &Path, args: Vec<PathBuf>) -> Self {
        Self { program: program.to_path_buf(), args, process: Mutex::new(None) }
    }

    fn spawn(&self) -> Result<Running> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ProverError::Spawn { program: self.program.clone(), source })?;
        let stdin = child.stdin.take().ok_or_else(|| ProverError::Protocol("worker has no stdin".into()))?;
        let stdout = child.stdout.take().ok_or_else(|| ProverError::Protocol("worker has no stdout".into()))?;
        Ok(Running { _child: child, stdin, stdout: BufReader::new(stdout).lines() })
    }

    /// Send one request and wait for its answer. An `{"error": …}` answer
    /// becomes [`ProverError::Worker`].
    pub(crate) async fn call(&self, request: &Value) -> Result<Value> {
        let mut guard = self.process.lock().await;
        let running = match guard.as_mut() {
            Some(running) => running,
            None => guard.insert(self.spawn()?),
        };
        let answer = exchange(running, request).await;
        if matches!(answer, Err(ProverError::WorkerIo(_) | ProverError::WorkerExited)) {
            // Start afresh on the next call.
            *guard = None;
        }
        let answer = answer?;
        if let Some(message) = answer.get("error") {
            return Err(ProverError::Worker(message.as_str().map_or_else(|| message.to_string(), str::to_owned)));
        }
        Ok(answer)
    }
}

async fn exchange(running: &mut Running, request: &Value) -> Result<Value> {
    let mut line = request.to_string();
    line.push('\n');
    running.stdin.write_all(line.as_bytes()).await.map_err(ProverError::WorkerIo)?;
    running.stdin.flush().await.map_err(ProverError::WorkerIo)?;
    let answer = running.stdout.next_line().await.map_err(ProverError::WorkerIo)?.ok_or(ProverError::WorkerExited)?;
    serde_json::from_str(&answer).map_err(|e| ProverError::Protocol(format!("{e}: {answer}")))
}
