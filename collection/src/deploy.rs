//! `provreg collection deploy`: deploying a model version's on-chain collection through the
//! registry's `deployCollection` (the registry deploys the circuit's verifier and the
//! collection contract on its chain, then records it).

use serde_json::{Value, json};

use crate::client::{Client, string_at};
use crate::error::{CollectionError, Result};
use crate::queries::MODEL;
use crate::resolve::is_id;

const DEPLOY: &str = "mutation($input: CollectionInput!) { deployCollection(input: $input) { id chainId address \
     name symbol minter registry verifier { address codeHash compiler } deployTx deployBlock seedSource } }";

/// What to deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest {
    /// The model version: its ID, or `model@label`.
    pub model_version: String,
    /// The ERC-721 name.
    pub name: String,
    /// The ERC-721 symbol.
    pub symbol: String,
    /// The only account that may mint; `None`: the registry's account.
    pub minter: Option<String>,
    /// Where the tokens' seeds come from: `CHAIN`, `BEACON` or `OPERATOR` (the GraphQL
    /// value); `None`: the registry's default (`OPERATOR`).
    pub seed_source: Option<String>,
    /// `CHAIN`: blocks from a commitment to its randomness block; `None`: the registry's
    /// default (2).
    pub seed_delay: Option<u64>,
}

/// A deployed, recorded collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    /// The registry's ID of the collection record.
    pub id: String,
    pub chain_id: i64,
    /// The collection contract.
    pub address: String,
    pub minter: String,
    /// The circuit's verifier contract the collection calls.
    pub verifier: String,
    /// Keccak-256 of the verifier's runtime code.
    pub verifier_code_hash: String,
    /// The collection's deployment transaction.
    pub deploy_tx: String,
    /// Its block.
    pub deploy_block: u64,
}

/// Splits `model@label` at its last `@`; `None` when it is not of that form.
fn name_and_label(text: &str) -> Option<(&str, &str)> {
    text.rsplit_once('@').filter(|(name, label)| !name.is_empty() && !label.is_empty())
}

/// The ID of the model version `text` names (an ID, or `model@label`).
async fn version_id(client: &Client, text: &str) -> Result<String> {
    if is_id(text) {
        return Ok(text.to_owned());
    }
    let Some((name, label)) = name_and_label(text) else {
        return Err(CollectionError::not_found(
            "--model-version",
            format!("{text:?} is neither a model version ID nor model@label"),
        ));
    };
    let data = client.request("model", MODEL, json!({ "name": name })).await?;
    let Some(versions) = data["model"]["versions"].as_array() else {
        return Err(CollectionError::not_found("--model-version", format!("no model is named {name:?}")));
    };
    match versions.iter().find(|v| v["versionLabel"].as_str() == Some(label)) {
        Some(found) => string_at(found, &["id"]),
        None => {
            let labels: Vec<&str> = versions.iter().filter_map(|v| v["versionLabel"].as_str()).collect();
            Err(CollectionError::not_found(
                "--model-version",
                format!("model {name:?} has no version {label:?}; its versions: {}", labels.join(", ")),
            ))
        }
    }
}

/// Deploys the collection `request` describes through the registry `client` talks to.
pub async fn deploy(client: &Client, request: &DeployRequest) -> Result<Deployed> {
    let version = version_id(client, &request.model_version).await?;
    let input = json!({
        "modelVersion": version,
        "name": request.name,
        "symbol": request.symbol,
        "minter": request.minter,
        "seedSource": request.seed_source.as_deref().unwrap_or("OPERATOR"),
        "seedDelay": request.seed_delay,
    });
    let data = client.request("deployCollection", DEPLOY, json!({ "input": input })).await?;
    let c: &Value = &data["deployCollection"];
    Ok(Deployed {
        id: string_at(c, &["id"])?,
        chain_id: c["chainId"]
            .as_i64()
            .ok_or_else(|| CollectionError::MissingField("deployCollection.chainId".into()))?,
        address: string_at(c, &["address"])?,
        minter: string_at(c, &["minter"])?,
        verifier: string_at(c, &["verifier", "address"])?,
        verifier_code_hash: string_at(c, &["verifier", "codeHash"])?,
        deploy_tx: string_at(c, &["deployTx"])?,
        deploy_block: c["deployBlock"]
            .as_u64()
            .ok_or_else(|| CollectionError::MissingField("deployCollection.deployBlock".into()))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_named_model_at_label() {
        assert_eq!(name_and_label("trait-generator@v1"), Some(("trait-generator", "v1")));
        assert_eq!(name_and_label("org@team/model@v2"), Some(("org@team/model", "v2")));
        assert_eq!(name_and_label("trait-generator"), None);
        assert_eq!(name_and_label("@v1"), None);
        assert_eq!(name_and_label("model@"), None);
    }
}
