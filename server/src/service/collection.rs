//! Deploying a model version's on-chain collection: the circuit's EZKL verifier contract
//! (once per circuit and chain) and a `ProvregCollection` that calls it, then the collection
//! record, certified and logged like every record.
//!
//! The chain transactions come first, the database write last and all-or-nothing. A failure
//! between them (the database refuses the write, the process stops) leaves an unrecorded
//! collection contract on chain; a re-run deploys a new one (the verifier is reused only
//! once a collection records it).
use provreg_anchor::alloy_types::{Address, B256};
use provreg_anchor::{CollectionClient, CollectionParams, SeedMode};
use provreg_certs::{Action, CertificateRequest, IngredientRelation, Subject};
use provreg_entities::{circuit, collection, model_version};
use provreg_schema::RecordKind;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::seal::{digest_bytes, ingredient};
use super::{Registry, envelope, now, record_claim};
use crate::error::{AppError, AppResult, map_unique};
use crate::payload::{CollectionInput, SeedSourceKind};

/// The chain the registry deploys collections on, and the key it signs with: the anchoring
/// chain and key (`anchoring.rpc_url`, `anchoring.private_key`; in `serve --dev` the local
/// chain and its first dev account).
#[derive(Clone)]
pub struct ChainAccess {
    /// JSON-RPC endpoint (HTTP).
    pub rpc_url: String,
    /// Hex private key of the registry's account.
    pub private_key: String,
    /// EIP-155 chain ID of `rpc_url`.
    pub chain_id: u64,
    /// Blocks, the minting block included, a token's mint needs before the token is
    /// registered (`anchoring.confirmations`; at least 1: mined).
    pub confirmations: u64,
}

impl std::fmt::Debug for ChainAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainAccess")
            .field("rpc_url", &self.rpc_url)
            .field("chain_id", &self.chain_id)
            .field("confirmations", &self.confirmations)
            .finish_non_exhaustive()
    }
}

/// What a deployment needs besides the chain: the registry's public base URL, which every
/// collection's `tokenURI` starts with.
#[derive(Debug, Clone)]
pub(crate) struct CollectionChain {
    pub access: ChainAccess,
    pub public_url: String,
}

/// Longest ERC-721 name accepted.
const MAX_NAME: usize = 100;

/// The checked name, symbol and minter of a collection input.
struct Checked {
    name: String,
    symbol: String,
    minter: Option<Address>,
    seeds: SeedMode,
}

/// The default number of blocks between a `CHAIN` commitment and its randomness block.
pub const DEFAULT_SEED_DELAY: u64 = 2;

fn check_input(input: &CollectionInput) -> AppResult<Checked> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "/name",
            "pattern",
            format!("a collection name is 1 to {MAX_NAME} characters without control characters"),
        ));
    }
    let symbol = &input.symbol;
    if symbol.is_empty() || symbol.len() > 16 || !symbol.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::bad_input(
            "/symbol",
            "pattern",
            format!("{:?} is not a symbol: 1 to 16 ASCII letters and digits", provreg_schema::echo(symbol)),
        ));
    }
    let minter = input.minter.as_deref().map(parse_minter).transpose()?;
    let seeds = match (input.seed_source, input.seed_delay) {
        (SeedSourceKind::Chain, None) => SeedMode::Chain { delay: DEFAULT_SEED_DELAY },
        (SeedSourceKind::Chain, Some(delay @ 1..=128)) => SeedMode::Chain { delay: delay as u64 },
        (SeedSourceKind::Chain, Some(delay)) => {
            return Err(AppError::bad_input(
                "/seedDelay",
                "range",
                format!("a seed delay is 1 to 128 blocks (the chain serves the last 256 block hashes); got {delay}"),
            ));
        }
        (_, Some(_)) => {
            return Err(AppError::bad_input("/seedDelay", "seedSource", "only CHAIN seeds have a delay"));
        }
        (SeedSourceKind::Beacon, None) => SeedMode::Beacon,
        (SeedSourceKind::Operator, None) => SeedMode::Operator,
    };
    Ok(Checked { name: name.to_owned(), symbol: symbol.clone(), minter, seeds })
}

fn parse_minter(text: &str) -> AppResult<Address> {
    let bad = |why: &str| AppError::bad_input("/minter", "pattern", format!("{:?} {why}", provreg_schema::echo(text)));
    let hex = text.strip_prefix("0x").ok_or_else(|| bad("is not a 0x-prefixed address"))?;
    if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad("is not a 0x-prefixed address of 40 hex digits"));
    }
    let address: Address = text.parse().map_err(|_| bad("is not an address"))?;
    if address == Address::ZERO {
        return Err(bad("is the zero address, which cannot mint"));
    }
    Ok(address)
}

/// The collection record's `seeds` object.
fn seeds_payload(seeds: SeedMode) -> serde_json::Value {
    match seeds {
        SeedMode::Operator => json!({ "source": "operator" }),
        SeedMode::Chain { delay } => json!({ "source": "chain", "delay": delay }),
        SeedMode::Beacon => json!({ "source": "beacon" }),
    }
}

/// Where a recorded collection's seeds come from, read from its record (a collection
/// recorded before seeds were recorded has operator seeds: its contract took any).
pub(crate) fn seed_mode(collection: &collection::Model) -> AppResult<SeedMode> {
    let record: serde_json::Value = serde_json::from_slice(&collection.canonical).map_err(AppError::from_display)?;
    let seeds = &record["payload"]["seeds"];
    Ok(match seeds["source"].as_str() {
        Some("chain") => SeedMode::Chain { delay: seeds["delay"].as_u64().unwrap_or(DEFAULT_SEED_DELAY) },
        Some("beacon") => SeedMode::Beacon,
        _ => SeedMode::Operator,
    })
}

/// Lower-case `0x` hex of an address.
fn lower(address: Address) -> String {
    format!("{address:#x}")
}

fn chain_error(what: &str) -> impl Fn(provreg_anchor::AnchorError) -> AppError + '_ {
    move |e| AppError::Unavailable(format!("{what}: {e}"))
}

impl Registry {
    /// Deploys collections on `access`'s chain, with `tokenURI`s under `public_url`. Without
    /// it, `deployCollection` is `UNAVAILABLE`.
    pub fn with_chain(mut self, access: ChainAccess, public_url: impl Into<String>) -> Self {
        let public_url = public_url.into().trim_end_matches('/').to_owned();
        self.chain = Some(std::sync::Arc::new(CollectionChain { access, public_url }));
        self
    }

    pub(super) fn collection_chain(&self) -> AppResult<&CollectionChain> {
        self.chain.as_deref().ok_or_else(|| {
            AppError::Unavailable(
                "no chain is configured for collections: set anchoring.rpc_url and anchoring.private_key (or run \
                 `provreg serve --dev`)"
                    .into(),
            )
        })
    }

    /// The version a collection input names, checked: it exists, is not revoked and has a
    /// circuit bound to its weights.
    async fn collection_version(&self, text: &str) -> AppResult<(model_version::Model, circuit::Model)> {
        let (version_id, version) = self.named_model_version(text).await?;
        if self.status_of(version_id).await?.status == "revoked" {
            return Err(AppError::bad_input(
                "/modelVersion",
                "status",
                format!("model version {version_id} is revoked; it cannot get a new collection"),
            ));
        }
        match self.circuit_of(version_id).await? {
            Some(circuit) if circuit.bound_to_weights => Ok((version, circuit)),
            _ => Err(AppError::bad_input(
                "/modelVersion",
                "circuit",
                format!(
                    "model version {version_id} has no circuit bound to its weights; register one with \
                     registerCircuit first"
                ),
            )),
        }
    }

    /// Deploys a collection of a model version: its circuit's EVM verifier (generated by EZKL
    /// from the registered verifying key; deployed once per circuit and chain, and reused, its
    /// code hash checked, when a collection already records one), then a `ProvregCollection`
    /// whose minter is the input's (default: the registry's account) and whose metadata
    /// updater is the registry's account. Then the collection record, its certificate (the
    /// model version's and the circuit's certificates as ingredients) and its log entry in one
    /// transaction. Bad input is `BAD_USER_INPUT` at its field and sends nothing; no chain is
    /// `UNAVAILABLE`.
    pub async fn deploy_collection(&self, input: &CollectionInput) -> AppResult<collection::Model> {
        let checked = check_input(input)?;
        let chain = self.collection_chain()?;
        let (version, circuit) = self.collection_version(&input.model_version).await?;
        let chain_id = i64::try_from(chain.access.chain_id)
            .map_err(|_| AppError::Internal(format!("chain ID {} is out of range", chain.access.chain_id)))?;
        let verifier = self.proof_checker()?.evm_verifier(&self.db, &circuit).await?;

        let mut client = CollectionClient::connect(&chain.access.rpc_url, &chain.access.private_key, None)
            .map_err(chain_error("the collection chain client"))?;
        let recorded = self.recorded_verifier(circuit.id, chain_id).await?;
        let code_hash = B256::from(verifier.runtime_code_hash);
        let deployed = client
            .deploy_verifier(&verifier.creation_code, code_hash, recorded)
            .await
            .map_err(chain_error("deploying the circuit's verifier"))?;
        let registry_account = client.sender();
        let minter = checked.minter.unwrap_or(registry_account);
        let params = CollectionParams {
            name: checked.name.clone(),
            symbol: checked.symbol.clone(),
            verifier: deployed.address,
            circuit_commitment: B256::from(digest_bytes(&circuit.commitment)?),
            input_len: u32::try_from(circuit.input_len).map_err(AppError::from_display)?,
            input_scale: u32::try_from(circuit.input_scale).map_err(AppError::from_display)?,
            output_len: u32::try_from(circuit.output_len).map_err(AppError::from_display)?,
            registry_url: chain.public_url.clone(),
            minter,
            registry: registry_account,
            seeds: checked.seeds,
        };
        let deployment = client.deploy(&params).await.map_err(chain_error("deploying the collection"))?;

        let payload = json!({
            "modelVersion": version.id.to_string(),
            "circuit": circuit.id.to_string(),
            "chainId": chain_id,
            "address": lower(deployment.address),
            "name": params.name,
            "symbol": params.symbol,
            "minter": lower(minter),
            "registry": lower(registry_account),
            "registryUrl": params.registry_url,
            "verifier": {
                "address": lower(deployed.address),
                "codeHash": format!("{code_hash:#x}"),
                "compiler": verifier.compiler,
            },
            "deployTx": format!("{:#x}", deployment.deployment.tx_hash),
            "deployBlock": deployment.deployment.block_number,
            "seeds": seeds_payload(checked.seeds),
        });
        self.validators.validate(RecordKind::Collection, &payload)?;
        let id = Uuid::now_v7();
        let at = now();
        let record = envelope(RecordKind::Collection, id, at, &payload)?;
        let cert = self.collection_certificate(id, &version, &circuit, &record, &payload).await?;
        let row = collection::Model {
            id,
            model_version_id: version.id,
            circuit_id: circuit.id,
            chain_id,
            address: lower(deployment.address),
            name: params.name,
            symbol: params.symbol,
            minter: lower(minter),
            registry_account: lower(registry_account),
            verifier_address: lower(deployed.address),
            verifier_code_hash: format!("{code_hash:#x}"),
            verifier_compiler: verifier.compiler,
            deploy_tx: format!("{:#x}", deployment.deployment.tx_hash),
            deploy_block: i64::try_from(deployment.deployment.block_number).map_err(AppError::from_display)?,
            digest: record.digest_hex(),
            canonical: record.bytes,
            created_at: at,
        };
        let (txn, _turn) = self.begin_write().await?;
        collection::Entity::insert(collection::ActiveModel::from(row.clone()).reset_all())
            .exec_without_returning(&txn)
            .await
            .map_err(|e| map_unique(e, || format!("a collection at {} is already recorded", row.address)))?;
        super::seal::store(&txn, RecordKind::Collection, id, &row.digest, Some(cert)).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// The collection's birth certificate, bound to its record digest, with the model
    /// version's and the circuit's certificates as `inputTo` ingredients.
    async fn collection_certificate(
        &self,
        id: Uuid,
        version: &model_version::Model,
        circuit: &circuit::Model,
        record: &provreg_schema::CanonicalRecord,
        payload: &serde_json::Value,
    ) -> AppResult<provreg_entities::certificate::Model> {
        let model_name = self.model(version.model_id).await?.map(|m| m.name).unwrap_or_else(|| "model".into());
        let title = format!("{model_name} {}", version.version_label);
        let version_cert = self.certificate_of(version.id).await?;
        let circuit_cert = self.certificate_of(circuit.id).await?;
        let mut ingredients = Vec::new();
        if let Some(cert) = &version_cert {
            ingredients.push(ingredient(title.clone(), IngredientRelation::InputTo, cert)?);
        }
        if let Some(cert) = &circuit_cert {
            ingredients.push(ingredient(format!("{title} circuit"), IngredientRelation::InputTo, cert)?);
        }
        let request = CertificateRequest {
            subject: Subject::Collection,
            title: format!("{title} collection {}", payload["symbol"].as_str().unwrap_or_default()),
            format: "application/json".into(),
            bound_sha256: digest_bytes(&record.digest_hex())?,
            action: Action::Created,
            record: record_claim(record)?,
            lineage: Some(json!({
                "modelVersion": { "id": version.id.to_string(), "digest": version.digest },
                "circuit": { "id": circuit.id.to_string(), "digest": circuit.digest, "commitment": circuit.commitment },
                "chainId": payload["chainId"],
                "address": payload["address"],
                "verifier": payload["verifier"],
                "seeds": payload["seeds"],
            })),
            license_terms: None,
            ingredients,
        };
        self.issue_certificate(RecordKind::Collection, id, &request)
    }

    /// The verifier address a collection of `circuit` on chain `chain_id` recorded, if any.
    async fn recorded_verifier(&self, circuit: Uuid, chain_id: i64) -> AppResult<Option<Address>> {
        let row = collection::Entity::find()
            .filter(collection::Column::CircuitId.eq(circuit))
            .filter(collection::Column::ChainId.eq(chain_id))
            .order_by_asc(collection::Column::Id)
            .one(&self.db)
            .await?;
        row.map(|r| {
            r.verifier_address
                .parse()
                .map_err(|e| AppError::Internal(format!("recorded verifier {:?}: {e}", r.verifier_address)))
        })
        .transpose()
    }

    /// The collection at `address` (any case) on chain `chain_id`.
    pub async fn collection_at(&self, chain_id: i64, address: &str) -> AppResult<Option<collection::Model>> {
        Ok(collection::Entity::find()
            .filter(collection::Column::ChainId.eq(chain_id))
            .filter(collection::Column::Address.eq(address.to_ascii_lowercase()))
            .one(&self.db)
            .await?)
    }

    /// A collection by its ID.
    pub async fn collection(&self, id: Uuid) -> AppResult<Option<collection::Model>> {
        Ok(collection::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// The collections of a model version, oldest first.
    pub async fn collections_of_version(&self, version: Uuid) -> AppResult<Vec<collection::Model>> {
        Ok(collection::Entity::find()
            .filter(collection::Column::ModelVersionId.eq(version))
            .order_by_asc(collection::Column::Id)
            .all(&self.db)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn input(name: &str, symbol: &str, minter: Option<&str>) -> CollectionInput {
        CollectionInput {
            model_version: Uuid::nil().to_string(),
            name: name.into(),
            symbol: symbol.into(),
            minter: minter.map(Into::into),
            seed_source: SeedSourceKind::Operator,
            seed_delay: None,
        }
    }

    fn pointer(e: AppError) -> String {
        match e {
            AppError::BadInput(v) => v[0].pointer.clone(),
            other => panic!("not bad input: {other}"),
        }
    }

    #[test]
    fn input_checks_name_each_field() {
        let ok =
            check_input(&input(" Pixel Traits ", "PXT", Some("0x00000000000000000000000000000000000C0FFE"))).unwrap();
        assert_eq!((ok.name.as_str(), ok.symbol.as_str()), ("Pixel Traits", "PXT"));
        assert_eq!(lower(ok.minter.unwrap()), "0x00000000000000000000000000000000000c0ffe");
        assert_eq!(pointer(check_input(&input("  ", "PXT", None)).err().unwrap()), "/name");
        assert_eq!(pointer(check_input(&input("a\nb", "PXT", None)).err().unwrap()), "/name");
        assert_eq!(pointer(check_input(&input(&"n".repeat(101), "PXT", None)).err().unwrap()), "/name");
        assert_eq!(pointer(check_input(&input("P", "PX T", None)).err().unwrap()), "/symbol");
        assert_eq!(pointer(check_input(&input("P", "", None)).err().unwrap()), "/symbol");
        assert_eq!(pointer(check_input(&input("P", &"S".repeat(17), None)).err().unwrap()), "/symbol");
        for bad in ["c0ffe", "0x12", "0xzz000000000000000000000000000000000c0ffe", &lower(Address::ZERO)] {
            assert_eq!(pointer(check_input(&input("P", "PXT", Some(bad))).err().unwrap()), "/minter", "{bad}");
        }
    }
}
