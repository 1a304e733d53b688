//! Generation jobs over any [`Prover`]: submit a run of a model on a seed, poll it, fetch
//! the output and proof when it is done. Proving takes seconds to hours depending on the
//! model, so callers that should not wait (a service, a batch pipeline) work with jobs.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::Prover;
use crate::error::{ProverError, Result};
use crate::record::{Circuit, ProofRecord};

/// Identifies a submitted job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// Where a job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    /// Submitted, not finished yet.
    Running,
    /// Finished; [`Jobs::fetch`] returns the output and proof.
    Done,
    /// Failed with this message.
    Failed(String),
}

type Outcome = std::result::Result<(Vec<f32>, ProofRecord), String>;

/// Jobs running on a shared prover. Each job is a task on the current Tokio runtime.
#[derive(Debug)]
pub struct Jobs<P> {
    prover: Arc<P>,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    jobs: HashMap<JobId, Option<Outcome>>,
}

impl<P: Prover + Send + Sync + 'static> Jobs<P> {
    /// Jobs on `prover`.
    pub fn new(prover: Arc<P>) -> Self {
        Self { prover, state: Arc::new(Mutex::new(State::default())) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts running `circuit`'s model on `input` and proving it; returns at once.
    pub fn submit(&self, circuit: Circuit, input: Vec<f32>) -> JobId {
        let id = {
            let mut state = self.lock();
            state.next += 1;
            let id = JobId(state.next);
            state.jobs.insert(id, None);
            id
        };
        let prover = Arc::clone(&self.prover);
        let state = Arc::clone(&self.state);
        tokio::spawn(async move {
            let outcome = prover.prove(&circuit, &input).await.map_err(|e| e.to_string());
            let mut state = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(slot) = state.jobs.get_mut(&id) {
                *slot = Some(outcome);
            }
        });
        id
    }

    /// The job's status, or `None` for an unknown (or already fetched) job.
    pub fn poll(&self, id: JobId) -> Option<JobStatus> {
        self.lock().jobs.get(&id).map(|slot| match slot {
            None => JobStatus::Running,
            Some(Ok(_)) => JobStatus::Done,
            Some(Err(message)) => JobStatus::Failed(message.clone()),
        })
    }

    /// Takes the output and proof of a finished job; the job is forgotten afterwards.
    /// Errors if the job is unknown, still running or failed.
    pub fn fetch(&self, id: JobId) -> Result<(Vec<f32>, ProofRecord)> {
        let mut state = self.lock();
        match state.jobs.get(&id) {
            None => Err(ProverError::Job(format!("no job {}", id.0))),
            Some(None) => Err(ProverError::Job(format!("job {} is still running", id.0))),
            Some(Some(_)) => match state.jobs.remove(&id) {
                Some(Some(Ok(done))) => Ok(done),
                Some(Some(Err(message))) => Err(ProverError::Job(format!("job {} failed: {message}", id.0))),
                _ => Err(ProverError::Job(format!("no job {}", id.0))),
            },
        }
    }

    /// Waits for a job by polling every `interval`, then fetches it.
    pub async fn wait(&self, id: JobId, interval: std::time::Duration) -> Result<(Vec<f32>, ProofRecord)> {
        loop {
            match self.poll(id) {
                Some(JobStatus::Running) => tokio::time::sleep(interval).await,
                _ => return self.fetch(id),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// A prover that doubles its input after a short delay and fails on an empty one: the
    /// job bookkeeping is what is tested here (the real prover is tested in tests/ezkl.rs).
    struct Doubling;

    impl Prover for Doubling {
        async fn setup(&self, _model: &Path) -> Result<Circuit> {
            Err(ProverError::Job("not used".into()))
        }
        async fn prove(&self, _circuit: &Circuit, seed: &[f32]) -> Result<(Vec<f32>, ProofRecord)> {
            tokio::time::sleep(Duration::from_millis(30)).await;
            if seed.is_empty() {
                return Err(ProverError::Job("empty input".into()));
            }
            let record = ProofRecord {
                system: "test".into(),
                system_version: "0".into(),
                vk_sha256: String::new(),
                settings_sha256: String::new(),
                model_commitment: String::new(),
                public_inputs: Vec::new(),
                public_outputs: Vec::new(),
                proof: vec![1, 2, 3],
            };
            Ok((seed.iter().map(|v| v * 2.0).collect(), record))
        }
    }

    fn circuit() -> Circuit {
        Circuit {
            dir: PathBuf::new(),
            onnx_sha256: String::new(),
            settings_sha256: String::new(),
            vk_sha256: String::new(),
            srs_sha256: String::new(),
            commitment: String::new(),
            input_scale: 0,
            output_scale: 0,
            input_len: 1,
            output_len: 1,
        }
    }

    #[tokio::test]
    async fn submit_poll_fetch() {
        let jobs = Jobs::new(Arc::new(Doubling));
        let ok = jobs.submit(circuit(), vec![1.5]);
        let bad = jobs.submit(circuit(), vec![]);
        assert_ne!(ok, bad);
        assert_eq!(jobs.poll(ok), Some(JobStatus::Running));
        assert!(jobs.fetch(ok).is_err(), "not done yet");
        let (out, record) = jobs.wait(ok, Duration::from_millis(5)).await.unwrap();
        assert_eq!(out, vec![3.0]);
        assert_eq!(record.proof, vec![1, 2, 3]);
        assert_eq!(jobs.poll(ok), None, "fetched jobs are forgotten");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(matches!(jobs.poll(bad), Some(JobStatus::Failed(m)) if m.contains("empty input")));
        assert!(jobs.fetch(bad).is_err());
        assert_eq!(jobs.poll(JobId(99)), None);
    }
}
