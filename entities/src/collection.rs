//! A model version's on-chain collection: the `ProvregCollection` contract the registry
//! deployed, and the circuit's EVM verifier it calls.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub model_version_id: Uuid,
    /// The circuit whose verifier the collection calls.
    pub circuit_id: Uuid,
    /// EIP-155 chain ID; unique with `address`.
    pub chain_id: i64,
    /// The collection contract, lower-case `0x` hex.
    pub address: String,
    /// ERC-721 name.
    pub name: String,
    /// ERC-721 symbol.
    pub symbol: String,
    /// The only account that mints, lower-case `0x` hex.
    pub minter: String,
    /// The registry's account (emits metadata updates), lower-case `0x` hex.
    pub registry_account: String,
    /// The circuit's EVM verifier contract, lower-case `0x` hex.
    pub verifier_address: String,
    /// `0x` Keccak-256 of the verifier's runtime code.
    pub verifier_code_hash: String,
    /// The compiler of the verifier, e.g. `solc 0.8.30+commit.73712a01.Emscripten.clang`.
    pub verifier_compiler: String,
    /// The collection's deployment transaction.
    pub deploy_tx: String,
    pub deploy_block: i64,
    /// RFC 8785 canonical bytes of the collection record.
    pub canonical: Vec<u8>,
    /// Lower-case hex SHA-256 of `canonical`.
    pub digest: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
