//! The evidence bundle of a token, for checking offline with `provreg verify`.
use async_graphql::{Context, Json, Object, Result};

use super::reader;

/// Reads of evidence bundles.
#[derive(Default)]
pub struct EvidenceQuery;

#[Object]
impl EvidenceQuery {
    /// The evidence bundle of a token (see `schema/json/evidence-bundle.schema.json`): the
    /// token, its circuit and every upstream record with canonical bytes, certificate, log
    /// entry, inclusion proof and anchor, and the token's proof with the circuit files. Null
    /// when no such token is registered. Save it and check it with `provreg verify`.
    async fn evidence(
        &self,
        ctx: &Context<'_>,
        chain_id: i64,
        contract: String,
        token_id: String,
    ) -> Result<Option<Json<serde_json::Value>>> {
        let bundle = reader(ctx)?.evidence_for_token(chain_id, &contract, &token_id).await?;
        Ok(bundle.map(|b| Json(b.to_value())))
    }
}
