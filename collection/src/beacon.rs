//! A drand beacon over its HTTP API (`GET {url}/info`, `GET {url}/public/{round}`), the way
//! drand nodes and relays serve a chain, and the local development beacon of `serve --dev`
//! (`<server>/beacon`) too. Every round is checked against the beacon's key before use.

use std::time::{Duration, Instant};

use provreg_seed::BeaconKey;
use provreg_seed::beacon::{self, KeyOrigin, SIGNATURE_LEN};
use serde::Deserialize;

use crate::error::{CollectionError, Result};

/// The longest wait for a round to be published.
const ROUND_TIMEOUT: Duration = Duration::from_secs(120);

/// A beacon's chain, as `/info` describes it.
#[derive(Debug, Deserialize)]
struct Info {
    public_key: String,
    period: u64,
    genesis_time: u64,
    #[serde(rename = "schemeID")]
    scheme: String,
    /// Set by the local development beacon.
    #[serde(default)]
    local: bool,
}

/// A round, as `/public/{round}` gives it.
#[derive(Debug, Deserialize)]
struct Round {
    round: u64,
    signature: String,
}

/// A drand beacon at an HTTP endpoint.
pub(crate) struct Beacon {
    url: String,
    http: reqwest::Client,
    /// Its key, from `/info`.
    pub key: BeaconKey,
}

fn failed(action: String) -> impl FnOnce(String) -> CollectionError {
    move |reason| CollectionError::Chain { action, reason }
}

impl Beacon {
    /// The beacon at `url`: reads its `/info`; only the `bls-unchained-g1-rfc9380` scheme.
    pub async fn connect(url: &str) -> Result<Self> {
        let url = url.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| failed("starting the beacon client".into())(e.to_string()))?;
        let action = format!("reading the beacon's information at {url}/info");
        let response =
            http.get(format!("{url}/info")).send().await.map_err(|e| failed(action.clone())(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(action)(format!("HTTP {}", response.status())));
        }
        let info: Info = response.json().await.map_err(|e| failed(action.clone())(e.to_string()))?;
        if info.scheme != "bls-unchained-g1-rfc9380" {
            return Err(failed(action)(format!(
                "its scheme is {}, not bls-unchained-g1-rfc9380 (drand's quicknet scheme)",
                info.scheme
            )));
        }
        let origin = if info.local { KeyOrigin::LocalDevelopment } else { KeyOrigin::Drand };
        let key = BeaconKey::from_hex(&info.public_key, info.genesis_time, info.period, origin)
            .map_err(|e| failed(action)(e.to_string()))?;
        Ok(Self { url, http, key })
    }

    /// The signature of `round`, checked; waits (telling `note`) while it is not published.
    pub async fn round(&self, round: u64, note: &impl Fn(String)) -> Result<[u8; SIGNATURE_LEN]> {
        let action = format!("fetching round {round} of the beacon at {}", self.url);
        let deadline = Instant::now() + ROUND_TIMEOUT;
        let mut said = false;
        loop {
            let response = self
                .http
                .get(format!("{}/public/{round}", self.url))
                .send()
                .await
                .map_err(|e| failed(action.clone())(e.to_string()))?;
            if response.status().is_success() {
                let got: Round = response.json().await.map_err(|e| failed(action.clone())(e.to_string()))?;
                if got.round != round {
                    return Err(failed(action)(format!("the beacon answered with round {}", got.round)));
                }
                let mut signature = [0u8; SIGNATURE_LEN];
                hex::decode_to_slice(&got.signature, &mut signature)
                    .map_err(|e| failed(action.clone())(format!("the signature is not 96 hex digits: {e}")))?;
                beacon::verify_round(&self.key, round, &signature).map_err(|e| failed(action)(e.to_string()))?;
                return Ok(signature);
            }
            if Instant::now() > deadline {
                return Err(failed(action)(format!(
                    "still HTTP {} after {} s",
                    response.status(),
                    ROUND_TIMEOUT.as_secs()
                )));
            }
            if !said {
                let at = beacon::round_time(&self.key, round);
                note(format!("waiting for beacon round {round} (published at {at}, unix time)"));
                said = true;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
