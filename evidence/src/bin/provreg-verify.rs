//! `provreg-verify`: checks a provreg evidence bundle offline, with no database and no server.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use provreg_evidence::cli::{ProverDefaults, VerifyArgs, command};

/// Check a token's evidence bundle offline: every digest, birth certificate, log inclusion
/// proof and (with --rpc and --contract) on-chain anchor, and the zero-knowledge proof.
/// Exits 0 when valid, 1 naming the first failed check, 2 when something is not proven on
/// chain (not anchored yet, or no --rpc and --contract), 3 when the bundle cannot be read.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    args: VerifyArgs,
    /// Where the proof verifier's Python environment is made on first use (the registry's
    /// data directory works too).
    #[arg(long, env = "PROVREG_DATA_DIR", default_value = "provreg-data")]
    data_dir: PathBuf,
    /// The Python interpreter with the pinned `ezkl` package, when --python is not given.
    #[arg(long, env = "PROVREG_PROVER__PYTHON", hide = true)]
    prover_python: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let defaults = ProverDefaults { python: cli.prover_python, data_dir: cli.data_dir };
    match command(cli.args, &defaults).await {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("provreg-verify: {e:#}");
            ExitCode::from(3)
        }
    }
}
