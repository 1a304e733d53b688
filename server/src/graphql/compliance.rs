//! Compliance reads over tokens: which tokens a lineage change affects, and the
//! metadata-update feed.
use async_graphql::Object;

/// Compliance queries over tokens.
#[derive(Default)]
pub struct ComplianceQuery;

#[Object]
impl ComplianceQuery {
    /// Placeholder until the compliance queries land.
    async fn compliance_version(&self) -> i32 {
        1
    }
}
