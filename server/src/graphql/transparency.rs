//! `logConsistency`: the RFC 6962 consistency proof between two anchored sizes of the log tree
//! (also at `GET /log/consistency`; the signed checkpoint is at `GET /checkpoint`).
use async_graphql::{Context, Json, Object, Result, SimpleObject};

use super::reader;
use crate::error::AppError;

/// That the log tree of `oldSize` entries is a prefix of the tree of `newSize` entries.
#[derive(SimpleObject, Debug, Clone)]
pub struct LogConsistency {
    pub old_size: i64,
    pub new_size: i64,
    /// `0x`-hex root of the older tree.
    pub old_root: String,
    /// `0x`-hex root of the newer tree.
    pub new_root: String,
    /// The RFC 6962 consistency proof, `0x`-hex.
    pub hashes: Vec<String>,
    /// The same as the proof JSON `provreg-anchor` reads (version 1).
    pub proof: Json<serde_json::Value>,
}

#[derive(Default)]
pub struct TransparencyQuery;

#[Object]
impl TransparencyQuery {
    /// The proof that the log tree of `oldSize` entries is a prefix of the tree of `newSize`
    /// (1 <= oldSize <= newSize <= the anchored size). A monitor that kept an older checkpoint
    /// checks with it that the log was only appended to.
    async fn log_consistency(&self, ctx: &Context<'_>, old_size: i64, new_size: i64) -> Result<LogConsistency> {
        let registry = reader(ctx)?;
        let size = |v: i64, pointer: &str| {
            u64::try_from(v)
                .map_err(|_| AppError::bad_input(pointer, "range", format!("{} must not be negative", &pointer[1..])))
        };
        let proof = registry.consistency_proof(size(old_size, "/oldSize")?, size(new_size, "/newSize")?).await?;
        let hex = |d: &[u8; 32]| format!("0x{}", hex::encode(d));
        Ok(LogConsistency {
            old_size,
            new_size,
            old_root: hex(&proof.old_root),
            new_root: hex(&proof.new_root),
            hashes: proof.hashes.iter().map(hex).collect(),
            proof: Json(serde_json::to_value(&proof).map_err(AppError::from_display)?),
        })
    }
}
