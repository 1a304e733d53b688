//! `provreg-verify BUNDLE` (and `provreg verify BUNDLE`): checks an evidence bundle with no
//! database and no server.
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::{Bundle, ProofVerifier, Report, VerifyOptions, ZkCheck, verify_bundle};

/// Where the proof verifier comes from when `--python` is not given: the binary's settings
/// (the registry's `prover.python` and data directory, or `provreg-verify`'s own).
#[derive(Debug, Clone)]
pub struct ProverDefaults {
    /// The Python interpreter with the pinned `ezkl` package, if one is configured.
    pub python: Option<PathBuf>,
    /// The directory a virtual environment with it is made in (once) otherwise.
    pub data_dir: PathBuf,
}

/// The arguments of `provreg verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The evidence bundle: a file, `-` for standard input, or an `http(s)://` URL (such as
    /// `/tokens/{chainId}/{contract}/{tokenId}/evidence` of a registry).
    pub bundle: String,
    /// JSON-RPC URL of the anchor chain: check every anchor against the contract (its stored
    /// commitment and the `Anchored` event of the stated transaction). Without it the chain is
    /// not consulted and the report says so.
    #[arg(long)]
    pub rpc: Option<String>,
    /// The registry's anchor contract address (not the token's contract), as you know it from
    /// outside the bundle: every anchor must be at this address. Without it the anchors stay
    /// unconfirmed, since anyone can deploy a contract and anchor anything on it.
    #[arg(long)]
    pub contract: Option<String>,
    /// The token you are checking, `CHAIN_ID/CONTRACT/TOKEN_ID`: the bundle must be about it.
    /// Taken from the URL when BUNDLE is a `/tokens/{chainId}/{contract}/{tokenId}/evidence`
    /// URL.
    #[arg(long, value_name = "CHAIN_ID/CONTRACT/TOKEN_ID")]
    pub token: Option<String>,
    /// PEM file of the CA certificates to trust as signers of the birth certificates (for the
    /// dev setup: DATA_DIR/ca/ca.pem). May be given more than once.
    #[arg(long)]
    pub trust: Vec<PathBuf>,
    /// Accept certificates that are valid but whose signer chains to no given trust anchor.
    /// Without `--trust` and without this, every certificate check fails as untrusted.
    #[arg(long)]
    pub allow_untrusted: bool,
    /// Print the report as JSON instead of one line per check.
    #[arg(long)]
    pub json: bool,
    /// Do not run the zero-knowledge proof verifier (every other proof check still runs).
    #[arg(long)]
    pub no_zk: bool,
    /// Python interpreter with the pinned `ezkl` package (default: the configured
    /// prover.python, else a virtual environment made once in the data directory).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// The drand beacon whose rounds `beacon` seeds must come from: its 96-byte public key,
    /// hex (default drand's quicknet). A local development beacon's key is printed by
    /// `provreg serve --dev`.
    #[arg(long, value_name = "HEX")]
    pub beacon_key: Option<String>,
    /// With `--rpc`: accept a bundle whose anchored state is not the contract's latest only
    /// if it was anchored at most this long ago: seconds, or a number with `s`, `m`, `h` or
    /// `d` (`90s`, `10m`, `1h`). Without it such a bundle is unconfirmed (exit 2).
    #[arg(long, value_name = "AGE")]
    pub max_age: Option<String>,
    /// The beacon's genesis time, unix seconds (default quicknet's).
    #[arg(long, requires = "beacon_key")]
    pub beacon_genesis: Option<u64>,
    /// The beacon's period, seconds (default quicknet's).
    #[arg(long, requires = "beacon_key")]
    pub beacon_period: Option<u64>,
}

/// Runs `provreg verify`; returns the exit code (0 valid, 1 a check failed, 2 not proven
/// on chain: not anchored yet, or not read back at the registry's contract). Errors are for what stops the checks from running at all (an
/// unreadable bundle, an unreadable trust file).
pub async fn command(args: VerifyArgs, defaults: &ProverDefaults) -> Result<i32> {
    let text = read_bundle(&args.bundle).await?;
    let bundle = Bundle::from_json(&text).with_context(|| format!("reading {}", args.bundle))?;

    let mut anchors = String::new();
    for path in &args.trust {
        let pem = std::fs::read_to_string(path).with_context(|| format!("reading trust anchors {}", path.display()))?;
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            bail!("{} holds no PEM certificate", path.display());
        }
        anchors.push_str(&pem);
        anchors.push('\n');
    }

    let expected_subject = match (&args.token, token_of_url(&args.bundle)) {
        (Some(token), _) => Some(parse_token(token)?),
        (None, from_url) => from_url,
    };
    // A private, randomly named directory for the circuit files EZKL reads.
    let work_dir =
        tempfile::Builder::new().prefix("provreg-verify-").tempdir().context("creating a temporary directory")?;
    let zk = if args.no_zk {
        ZkCheck::Skip
    } else {
        match python(&args, defaults).await {
            Ok(python) => ZkCheck::Verify(Arc::new(ProofVerifier::new(python, work_dir.path()))),
            Err(e) => ZkCheck::Unavailable(format!("{e:#}")),
        }
    };
    let opts = VerifyOptions {
        trust_anchors: (!anchors.is_empty()).then_some(anchors),
        allow_untrusted: args.allow_untrusted,
        rpc_url: args.rpc.clone(),
        contract: args.contract.clone(),
        expected_subject,
        zk,
        max_age: args.max_age.as_deref().map(parse_age).transpose()?,
        beacon: beacon_key(&args)?,
    };
    if !args.json {
        eprintln!(
            "verifying the evidence of token {} of {} on chain {} ({} records)…",
            bundle.subject.token_id,
            bundle.subject.contract,
            bundle.subject.chain_id,
            bundle.records.len()
        );
    }
    let report = verify_bundle(&bundle, &opts).await;
    drop(work_dir);
    print_report(&report, args.json)?;
    Ok(report.exit_code())
}

/// `--max-age`: `90`, `90s`, `10m`, `1h`, `2d`.
fn parse_age(text: &str) -> Result<std::time::Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .with_context(|| format!("--max-age {text:?}: not a number of seconds, minutes, hours or days"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        other => bail!("--max-age {text:?}: unknown unit {other:?} (use s, m, h or d)"),
    };
    Ok(std::time::Duration::from_secs(secs))
}

/// The beacon `--beacon-key` names, if any.
fn beacon_key(args: &VerifyArgs) -> Result<Option<provreg_seed::BeaconKey>> {
    use provreg_seed::BeaconKey;
    use provreg_seed::beacon::KeyOrigin;
    let Some(hex) = &args.beacon_key else { return Ok(None) };
    let quicknet = BeaconKey::QUICKNET;
    let genesis = args.beacon_genesis.unwrap_or(quicknet.genesis_time());
    let period = args.beacon_period.unwrap_or(quicknet.period());
    let origin = if hex.trim_start_matches("0x").eq_ignore_ascii_case(BeaconKey::QUICKNET_PUBLIC_KEY_HEX) {
        KeyOrigin::Drand
    } else {
        KeyOrigin::LocalDevelopment
    };
    let key = BeaconKey::from_hex(hex.trim_start_matches("0x"), genesis, period, origin).context("--beacon-key")?;
    Ok(Some(key))
}

fn print_report(report: &Report, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

/// The interpreter `zk.proof` runs: `--python`, else the configured one, else the virtual
/// environment in the data directory (made on first use).
async fn python(args: &VerifyArgs, defaults: &ProverDefaults) -> Result<PathBuf> {
    use provreg_prover_client::venv::venv_python;
    use provreg_prover_client::{default_venv_name, ensure_venv};
    if let Some(python) = args.python.clone().or_else(|| defaults.python.clone()) {
        return Ok(python);
    }
    let dir = defaults.data_dir.join(default_venv_name());
    if !venv_python(&dir).exists() && !args.json {
        eprintln!("installing the proof verifier into {} (first use only)…", dir.display());
    }
    ensure_venv(&dir).await.context("preparing the proof verifier's Python environment")
}

/// `CHAIN_ID/CONTRACT/TOKEN_ID`.
fn parse_token(text: &str) -> Result<(i64, String, String)> {
    let parts: Vec<&str> = text.trim().split('/').collect();
    let [chain, contract, token] = parts.as_slice() else {
        bail!("--token {text:?} is not CHAIN_ID/CONTRACT/TOKEN_ID");
    };
    let chain = chain.parse().with_context(|| format!("--token {text:?}: the chain ID is not a number"))?;
    Ok((chain, (*contract).to_owned(), (*token).to_owned()))
}

/// The token a `…/tokens/{chainId}/{contract}/{tokenId}/evidence` URL names.
fn token_of_url(source: &str) -> Option<(i64, String, String)> {
    if !(source.starts_with("http://") || source.starts_with("https://")) {
        return None;
    }
    let path = source.split(['?', '#']).next()?;
    let rest = path.split("/tokens/").nth(1)?;
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        [chain, contract, token, "evidence"] => {
            Some((chain.parse().ok()?, (*contract).to_owned(), (*token).to_owned()))
        }
        _ => None,
    }
}

/// The bundle's JSON text from a file, standard input or a URL.
async fn read_bundle(source: &str) -> Result<String> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the bundle from standard input")?;
        return Ok(text);
    }
    if source.starts_with("http://") || source.starts_with("https://") {
        let resp = reqwest::get(source).await.with_context(|| format!("fetching {source}"))?;
        let status = resp.status();
        let text = resp.text().await.with_context(|| format!("reading {source}"))?;
        if !status.is_success() {
            bail!("{source} answered {status}: {}", text.chars().take(300).collect::<String>());
        }
        return Ok(text);
    }
    std::fs::read_to_string(source).with_context(|| format!("reading {source}"))
}
