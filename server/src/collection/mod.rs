//! `provreg collection run SPEC.toml`: generate a token collection end to end against a
//! running registry, through its GraphQL API.
//!
//! For a model version and a list of seeds (see [`spec`] for the TOML format), a run
//!
//! 1. registers the model version when it is missing (its `weightsSha256` is the ONNX
//!    file's SHA-256; a registered version must match it),
//! 2. sets the circuit up locally with the EZKL prover (reused from the work directory) and
//!    registers it (settings, verifying key, SRS) when the version has none,
//! 3. for each token not registered yet: derives the model input from the seed, proves the
//!    model run, draws the traits as a small PNG ([`render`]) and registers the token with
//!    its proof and the PNG (the registry embeds the token's C2PA certificate in it),
//! 4. waits until every token's log entry is in a confirmed anchor (or a timeout passes),
//!
//! and returns a [`Summary`]. Tokens already registered are skipped, so a run can be
//! repeated until everything is done.

pub mod client;
pub mod render;
pub mod run;
pub mod spec;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

pub use run::{AnchorReport, AnchorState, RunOptions, Summary, TokenOutcome, TokenResult, run};
pub use spec::Spec;

use crate::config::Config;

/// The environment variable an API key may be given in.
pub const API_KEY_ENV: &str = "PROVREG_API_KEY";

/// The key file `serve --dev` writes in the data directory.
pub const DEV_KEY_FILE: &str = "dev-admin.key";

/// `provreg collection …`
#[derive(Debug, clap::Subcommand)]
pub enum CollectionCommand {
    /// Generate a token collection: register the model version and its circuit when
    /// missing, prove and register every token of the spec that is not registered yet (with
    /// a PNG drawn from its traits), wait for the anchors, and print a summary. Exits
    /// non-zero when a token failed. See fixtures/demo-collection.toml for the spec format.
    Run(RunArgs),
}

/// Options of `provreg collection run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The collection spec (TOML).
    pub spec: PathBuf,
    /// The registry's base URL, overriding the spec's `server`.
    #[arg(long)]
    pub server: Option<String>,
    /// A file holding the API key (registrar or admin). Without it the key comes from
    /// PROVREG_API_KEY, else from DATA_DIR/dev-admin.key (which `serve --dev` writes).
    #[arg(long)]
    pub api_key_file: Option<PathBuf>,
    /// The Python interpreter with the prover packages (default: prover.python from the
    /// configuration, else a virtual environment made once in DATA_DIR).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Where circuits and keys are made and kept (default DATA_DIR/prover).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// The longest wait for the tokens' anchors, in seconds.
    #[arg(long, default_value_t = 120)]
    pub anchor_timeout: u64,
    /// Do not wait for anchors.
    #[arg(long)]
    pub no_wait: bool,
    /// No progress output (the summary is still printed).
    #[arg(long)]
    pub quiet: bool,
}

/// Runs a `collection` command with `config` (for the data directory and prover settings).
pub async fn command(command: CollectionCommand, config: &Config) -> Result<()> {
    match command {
        CollectionCommand::Run(args) => {
            let spec = Spec::load(&args.spec)?;
            let key = api_key(args.api_key_file.as_deref(), std::env::var(API_KEY_ENV).ok(), &config.data_dir)?;
            let mut opts = RunOptions::new(&config.data_dir, key);
            opts.server = args.server;
            opts.python = args.python.or_else(|| config.prover.python.clone());
            if let Some(work_dir) = args.work_dir {
                opts.work_dir = work_dir;
            }
            opts.wait = !args.no_wait;
            opts.anchor_timeout = Duration::from_secs(args.anchor_timeout);
            opts.progress = !args.quiet;
            let summary = run(&spec, &opts).await?;
            print!("{summary}");
            if !summary.succeeded() {
                bail!("{} of {} tokens failed (see above)", summary.failed, summary.tokens.len());
            }
            Ok(())
        }
    }
}

/// The API key: from `file` when given, else from `env` (the value of PROVREG_API_KEY),
/// else from `data_dir/dev-admin.key`.
pub fn api_key(file: Option<&Path>, env: Option<String>, data_dir: &Path) -> Result<String> {
    let from_file = |path: &Path| -> Result<String> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the API key file {}", path.display()))?;
        let key = text.trim();
        if key.is_empty() {
            bail!("the API key file {} is empty", path.display());
        }
        Ok(key.to_owned())
    };
    if let Some(path) = file {
        return from_file(path);
    }
    if let Some(key) = env.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()) {
        return Ok(key);
    }
    let dev = data_dir.join(DEV_KEY_FILE);
    if dev.is_file() {
        return from_file(&dev);
    }
    bail!(
        "no API key: pass --api-key-file, set {API_KEY_ENV}, or start the registry with `provreg serve --dev`, which \
         writes {}",
        dev.display()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_api_key_comes_from_the_file_then_the_environment_then_the_dev_key() {
        let dir = std::env::temp_dir().join(format!("provreg-collection-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(api_key(Some(&file), Some("env".into()), &dir).unwrap(), "from-file");
        assert_eq!(api_key(None, Some(" env ".into()), &dir).unwrap(), "env");
        let missing = format!("{:#}", api_key(None, None, &dir).unwrap_err());
        assert!(missing.contains(API_KEY_ENV) && missing.contains(DEV_KEY_FILE), "{missing}");
        std::fs::write(dir.join(DEV_KEY_FILE), "dev\n").unwrap();
        assert_eq!(api_key(None, Some("".into()), &dir).unwrap(), "dev");
        std::fs::write(&file, "  \n").unwrap();
        assert!(format!("{:#}", api_key(Some(&file), None, &dir).unwrap_err()).contains("empty"));
        let absent = dir.join("absent");
        assert!(format!("{:#}", api_key(Some(&absent), None, &dir).unwrap_err()).contains("absent"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
