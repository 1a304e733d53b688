//! Line-oriented JSON worker processes: one request per line on a worker's
//! stdin, one answer per line on its stdout; stderr passes through.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex as StdMutex, PoisonError};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{Mutex, Semaphore};

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
    // Kept so the process is killed when it is dropped.
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
        // Taken out while the exchange runs: if this future is dropped half
        // way, the process (whose next answer would be out of step) is
        // dropped and killed with it, and the next call starts afresh.
        let mut running = match guard.take() {
            Some(running) => running,
            None => self.spawn()?,
        };
        let answer = exchange(&mut running, request).await;
        if !matches!(answer, Err(ProverError::WorkerIo(_) | ProverError::WorkerExited)) {
            *guard = Some(running);
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

/// Up to `n` workers running the same program; each call goes to a free
/// one, so `n` calls run at once and further calls wait their turn. Workers
/// start on first use.
#[derive(Debug)]
pub(crate) struct WorkerPool {
    workers: Vec<Worker>,
    permits: Semaphore,
    /// Indices of the workers not serving a call.
    free: StdMutex<Vec<usize>>,
}

impl WorkerPool {
    /// A pool of `n` workers (at least one).
    pub(crate) fn new(program: &Path, args: &[PathBuf], n: usize) -> Self {
        let n = n.max(1);
        let workers = (0..n).map(|_| Worker::new(program, args.to_vec())).collect();
        // Popped from the end: the first worker is used first.
        let free = StdMutex::new((0..n).rev().collect());
        Self { workers, permits: Semaphore::new(n), free }
    }

    /// The number of workers.
    pub(crate) fn size(&self) -> usize {
        self.workers.len()
    }

    /// [`Worker::call`] on a free worker, waiting for one if all are busy.
    pub(crate) async fn call(&self, request: &Value) -> Result<Value> {
        let _permit =
            self.permits.acquire().await.map_err(|_| ProverError::Protocol("the worker pool is closed".into()))?;
        let lease = Lease::take(&self.free)?;
        let worker = self
            .workers
            .get(lease.index)
            .ok_or_else(|| ProverError::Protocol(format!("no worker {} in the pool", lease.index)))?;
        worker.call(request).await
    }
}

/// A worker index taken from the free list, given back when dropped (also
/// when the call is cancelled).
struct Lease<'a> {
    free: &'a StdMutex<Vec<usize>>,
    index: usize,
}

impl<'a> Lease<'a> {
    fn take(free: &'a StdMutex<Vec<usize>>) -> Result<Self> {
        let index = free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .ok_or_else(|| ProverError::Protocol("no free worker although a permit was granted".into()))?;
        Ok(Self { free, index })
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).push(self.index);
    }
}
