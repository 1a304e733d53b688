//! The evidence bundle of a token, for checking offline with `provreg verify`.
use async_graphql::{Context, Json, Object, Result};

use super::{cost, reader};

/// Reads of evidence bundles.
#[derive(Default)]
pub struct EvidenceQuery;

#[Object]
impl EvidenceQuery {
    /// The evidence bundle of a token (see `schema/json/evidence-bundle.schema.json`): the
    /// token, its circuit and every upstream record with canonical bytes, certificate, log
    /// entry, inclusion proof and anchor, and the token's proof with the circuit files. Null
    /// when no such token is registered. Save it and check it with `provreg verify`.
    /// Expensive: see `limits.max_expensive_per_request`.
    #[graphql(complexity = "cost::EVIDENCE + child_complexity")]
    async fn evidence(
        &self,
        ctx: &Context<'_>,
        chain_id: i64,
        contract: String,
        token_id: String,
    ) -> Result<Option<Json<serde_json::Value>>> {
        let registry = reader(ctx)?;
        let _slot = cost::expensive(ctx, "evidence").await?;
        let Some(bundle) = registry.evidence_for_token(chain_id, &contract, &token_id).await? else {
            return Ok(None);
        };
        let value = bundle.to_value();
        cost::charge(ctx, &value)?;
        Ok(Some(Json(value)))
    }
}
