//! GraphQL types and reads of on-chain collections.
use async_graphql::{Context, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use provreg_entities::collection;

use super::provenance::{Certificate, LogEntry, certificate_of, log_entry_of};
use super::records::ModelVersion;
use super::tokens::{Circuit, circuit, model_version};
use super::{id_arg, reader};
use crate::error::AppError;

/// A model version's collection contract (ERC-721 + ERC-7007 + ERC-4906), deployed by the
/// registry; its mints are checked on chain by the circuit's EVM verifier.
pub struct Collection(pub collection::Model);

/// The EZKL verifier contract a collection calls.
#[derive(SimpleObject)]
pub struct EvmVerifier {
    /// Its address, lower-case.
    address: String,
    /// `0x` Keccak-256 of its runtime code.
    code_hash: String,
    /// The compiler it was built with.
    compiler: String,
}

#[Object]
impl Collection {
    /// The registry's ID of the collection record.
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    async fn chain_id(&self) -> i64 {
        self.0.chain_id
    }
    /// The collection contract, lower-case.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// The ERC-721 name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The ERC-721 symbol.
    async fn symbol(&self) -> &str {
        &self.0.symbol
    }
    /// The only account that mints, lower-case.
    async fn minter(&self) -> &str {
        &self.0.minter
    }
    /// The registry's account, the only one that emits metadata updates, lower-case.
    async fn registry(&self) -> &str {
        &self.0.registry_account
    }
    async fn model_version(&self, ctx: &Context<'_>) -> Result<ModelVersion> {
        model_version(ctx, self.0.model_version_id).await
    }
    /// The circuit whose verifier the collection calls.
    async fn circuit(&self, ctx: &Context<'_>) -> Result<Circuit> {
        circuit(ctx, self.0.circuit_id).await
    }
    async fn verifier(&self) -> EvmVerifier {
        EvmVerifier {
            address: self.0.verifier_address.clone(),
            code_hash: self.0.verifier_code_hash.clone(),
            compiler: self.0.verifier_compiler.clone(),
        }
    }
    /// The collection's deployment transaction.
    async fn deploy_tx(&self) -> &str {
        &self.0.deploy_tx
    }
    async fn deploy_block(&self) -> i64 {
        self.0.deploy_block
    }
    /// Where its tokens' seeds come from (fixed at deployment): `CHAIN` (the contract assigns
    /// them), `BEACON` (a drand round after the contract's commitment) or `OPERATOR`.
    async fn seed_source(&self) -> Result<crate::payload::SeedSourceKind> {
        Ok(crate::service::collection::seed_mode(&self.0)?.into())
    }
    /// `CHAIN`: blocks from a commitment to its randomness block.
    async fn seed_delay(&self) -> Result<Option<i64>> {
        Ok(match crate::service::collection::seed_mode(&self.0)? {
            provreg_anchor::SeedMode::Chain { delay } => i64::try_from(delay).ok(),
            _ => None,
        })
    }
    /// SHA-256 of `record`.
    async fn digest(&self) -> &str {
        &self.0.digest
    }
    /// The canonical collection record.
    async fn record(&self) -> Result<Json<serde_json::Value>> {
        Ok(Json(serde_json::from_slice(&self.0.canonical).map_err(AppError::from_display)?))
    }
    async fn certificate(&self, ctx: &Context<'_>) -> Result<Option<Certificate>> {
        certificate_of(ctx, self.0.id).await
    }
    async fn log_entry(&self, ctx: &Context<'_>) -> Result<Option<LogEntry>> {
        log_entry_of(ctx, self.0.id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Reads of collections.
#[derive(Default)]
pub struct CollectionQuery;

#[Object]
impl CollectionQuery {
    /// The collection at `address` (any case) on chain `chainId`.
    async fn collection(&self, ctx: &Context<'_>, chain_id: i64, address: String) -> Result<Option<Collection>> {
        Ok(reader(ctx)?.collection_at(chain_id, &address).await?.map(Collection))
    }

    /// The collections of a model version, oldest first.
    async fn collections(&self, ctx: &Context<'_>, model_version: String) -> Result<Vec<Collection>> {
        let id = id_arg("modelVersion", &model_version)?;
        Ok(reader(ctx)?.collections_of_version(id).await?.into_iter().map(Collection).collect())
    }
}
