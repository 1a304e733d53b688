//! The GraphQL documents a run sends to the registry.

pub(crate) const PING: &str = "query { __typename }";
pub(crate) const MODEL: &str = "query($name: String!) { model(name: $name) { id versions { id versionLabel weightsSha256 \
     status circuit { id commitment } } } }";
pub(crate) const LICENSES: &str = "query($after: String) { licenses(first: 100, after: $after) { edges { node { id name \
     status } } pageInfo { hasNextPage endCursor } } }";
pub(crate) const LICENSE: &str = "query($id: String!) { license(id: $id) { id name status } }";
pub(crate) const DATASETS: &str = "query($name: String!, $after: String) { datasets(filter: { name: $name }, first: 100, \
     after: $after) { edges { node { id name version status } } pageInfo { hasNextPage endCursor } } }";
pub(crate) const DATASET: &str = "query($id: String!) { dataset(id: $id) { id name version status } }";
pub(crate) const REGISTER_VERSION: &str =
    "mutation($input: ModelVersionInput!) { registerModelVersion(input: $input) { id } }";
pub(crate) const REGISTER_CIRCUIT: &str =
    "mutation($input: CircuitInput!) { registerCircuit(input: $input) { id commitment } }";
pub(crate) const TOKEN: &str = "query($chain: Int!, $contract: String!, $id: String!) { token(chainId: $chain, contract: \
     $contract, tokenId: $id) { id inputSeed modelVersion { id } metadataPath assetPath } }";
pub(crate) const REGISTER_TOKEN: &str =
    "mutation($input: TokenInput!) { registerToken(input: $input) { id metadataPath assetPath } }";
pub(crate) const ANY_ANCHOR: &str = "query { anchors(first: 1) { edges { node { id } } } }";
