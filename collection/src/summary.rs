//! What a run did: each token's outcome, how waiting for anchors ended, and the summary
//! `provreg collection run` prints.

use std::fmt;
use std::time::Duration;

use crate::onchain::{CollectionReport, MintReport};

/// What became of one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenResult {
    /// Registered by this run.
    Registered,
    /// Registered before, with this seed and model version.
    AlreadyRegistered,
    /// Not registered; why.
    Failed(String),
}

/// Where a token's log entry stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorState {
    /// `CONFIRMED`, `SENT` or `PENDING` (the anchor's status), or `UNBATCHED` while the
    /// entry waits for an anchoring round.
    pub status: String,
    pub tx_hash: Option<String>,
    /// The anchor's last error talking to the chain.
    pub last_error: Option<String>,
}

/// One token of the run.
#[derive(Debug, Clone)]
pub struct TokenOutcome {
    pub token_id: u64,
    pub result: TokenResult,
    /// The token's ERC-721 metadata URL on the registry.
    pub metadata_url: Option<String>,
    /// The URL of the asset with its certificate embedded.
    pub asset_url: Option<String>,
    /// How long proving took (tokens proven by this run).
    pub proof_time: Option<Duration>,
    /// The anchor state last seen.
    pub anchor: Option<AnchorState>,
    /// The token's mint on chain (`[onchain]` specs), by this run or an earlier one.
    pub mint: Option<MintReport>,
}

impl TokenOutcome {
    pub(crate) fn new(token_id: u64, result: TokenResult) -> Self {
        Self { token_id, result, metadata_url: None, asset_url: None, proof_time: None, anchor: None, mint: None }
    }

    /// Registered now or before.
    pub fn is_registered(&self) -> bool {
        matches!(self.result, TokenResult::Registered | TokenResult::AlreadyRegistered)
    }
}

/// How waiting for anchors ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorReport {
    /// Not asked to wait.
    NotWaited,
    /// No token is registered, so there was nothing to wait for.
    NothingToWait,
    /// Every registered token's log entry is in a confirmed anchor.
    Confirmed { tokens: usize, waited: Duration },
    /// The server has never anchored anything and did not batch these entries: it has
    /// no anchoring configured (or it is not running).
    NoAnchoring { waited: Duration },
    /// The timeout passed first.
    TimedOut { confirmed: usize, pending: usize, last_error: Option<String> },
    /// Asking the registry failed.
    Failed(String),
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The registry's base URL.
    pub server: String,
    /// `model version` as the spec names it.
    pub model: String,
    pub model_version_id: String,
    /// The version was registered by this run.
    pub model_version_registered: bool,
    pub circuit_id: String,
    /// The circuit was registered by this run.
    pub circuit_registered: bool,
    /// The on-chain collection the tokens were minted in (`[onchain]` specs).
    pub collection: Option<CollectionReport>,
    /// Every token of the spec, in order.
    pub tokens: Vec<TokenOutcome>,
    pub registered: usize,
    pub already_registered: usize,
    pub failed: usize,
    pub anchors: AnchorReport,
    pub elapsed: Duration,
}

impl Summary {
    /// The proof times of the tokens proven by this run.
    pub fn proof_times(&self) -> Vec<Duration> {
        self.tokens.iter().filter_map(|t| t.proof_time).collect()
    }

    /// The gas of each mint this run sent.
    pub fn mint_gas(&self) -> Vec<u64> {
        self.tokens.iter().filter_map(|t| t.mint.as_ref().and_then(|m| m.gas_used)).collect()
    }

    /// No token failed.
    pub fn succeeded(&self) -> bool {
        self.failed == 0
    }
}

/// `n` with thin groups of three digits: 624,123.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = |now: bool| if now { "registered now" } else { "already registered" };
        writeln!(f, "collection run against {} finished in {}", self.server, secs(self.elapsed))?;
        writeln!(
            f,
            "  model version {} ({}): {}",
            self.model,
            self.model_version_id,
            done(self.model_version_registered)
        )?;
        writeln!(f, "  circuit {}: {}", self.circuit_id, done(self.circuit_registered))?;
        writeln!(
            f,
            "  tokens: {} registered, {} already registered, {} failed (of {})",
            self.registered,
            self.already_registered,
            self.failed,
            self.tokens.len()
        )?;
        if let Some(c) = &self.collection {
            let how = if c.deployed_now { "deployed now" } else { "recorded before" };
            writeln!(
                f,
                "  collection {} ({how}, record {}, deployed in {}), minter {}",
                c.address, c.id, c.deploy_tx, c.minter
            )?;
            let gas = self.mint_gas();
            if gas.is_empty() {
                writeln!(f, "  mints: none sent by this run")?;
            } else {
                let total: u64 = gas.iter().sum();
                writeln!(
                    f,
                    "  mints: {} sent, {} gas in all, {} per mint (proof verified on chain)",
                    gas.len(),
                    thousands(total),
                    thousands(total / gas.len() as u64)
                )?;
            }
        }
        let times = self.proof_times();
        if let (Some(min), Some(max)) = (times.iter().min(), times.iter().max()) {
            let total: Duration = times.iter().sum();
            let mean = total / times.len() as u32;
            writeln!(
                f,
                "  proofs: {} in {}, {} per proof (fastest {}, slowest {})",
                times.len(),
                secs(total),
                secs(mean),
                secs(*min),
                secs(*max)
            )?;
        }
        match &self.anchors {
            AnchorReport::NotWaited => writeln!(f, "  anchors: not waited for (--no-wait)")?,
            AnchorReport::NothingToWait => writeln!(f, "  anchors: no registered token to wait for")?,
            AnchorReport::Confirmed { tokens, waited } => {
                writeln!(f, "  anchors: all {tokens} tokens anchored and confirmed (waited {})", secs(*waited))?
            }
            AnchorReport::NoAnchoring { waited } => writeln!(
                f,
                "  anchors: the registry has never anchored anything and did not batch these tokens in {}; it \
                 seems to have no anchoring configured, so not waiting longer",
                secs(*waited)
            )?,
            AnchorReport::TimedOut { confirmed, pending, last_error } => {
                write!(f, "  anchors: timed out with {confirmed} confirmed and {pending} not yet")?;
                match last_error {
                    Some(e) => writeln!(f, " (last anchoring error: {e})")?,
                    None => writeln!(f, " (re-run to keep waiting; registered tokens are skipped)")?,
                }
            }
            AnchorReport::Failed(e) => writeln!(f, "  anchors: could not be checked: {e}")?,
        }
        for t in &self.tokens {
            let what = match &t.result {
                TokenResult::Registered => "registered",
                TokenResult::AlreadyRegistered => "already registered",
                TokenResult::Failed(_) => "FAILED",
            };
            write!(f, "  #{:<6} {what:<18}", t.token_id)?;
            if let Some(url) = &t.metadata_url {
                write!(f, " {url}")?;
            }
            if let Some(mint) = &t.mint {
                write!(f, "  minted in block {} tx {}", mint.block_number, mint.tx_hash)?;
            }
            if let Some(anchor) = &t.anchor {
                write!(f, "  anchor {}", anchor.status)?;
                if let Some(tx) = &anchor.tx_hash {
                    write!(f, " tx {tx}")?;
                }
            }
            if let TokenResult::Failed(why) = &t.result {
                write!(f, "\n           {why}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl TokenOutcome {
    /// The progress line of a finished token.
    pub(crate) fn line(&self) -> String {
        match &self.result {
            TokenResult::Registered => {
                let time = self.proof_time.map(|d| format!(" (proof {})", secs(d))).unwrap_or_default();
                let minted = match &self.mint {
                    Some(MintReport { gas_used: Some(gas), tx_hash, .. }) => {
                        format!("minted ({} gas, tx {tx_hash}) and ", thousands(*gas))
                    }
                    Some(MintReport { tx_hash, .. }) => format!("minted before (tx {tx_hash}), "),
                    None => String::new(),
                };
                format!("token {}: {minted}registered{time}", self.token_id)
            }
            TokenResult::AlreadyRegistered => format!("token {}: already registered, skipped", self.token_id),
            TokenResult::Failed(why) => format!("token {}: FAILED: {why}", self.token_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn gas_is_grouped_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(624_123), "624,123");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }
}
