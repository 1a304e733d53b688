//! `search`: records of any kind by ID, SHA-256 or name.
use async_graphql::{Context, Object, Result, SimpleObject};

use super::reader;

/// One record a search found.
#[derive(SimpleObject, Debug, Clone)]
pub struct SearchHit {
    /// `license`, `dataset`, `modelVersion`, `token`, `circuit` or `collection`.
    pub kind: String,
    /// The record's ID: look it up with `license`, `dataset`, `modelVersion`, `tokenById`,
    /// `circuit` (or `collection` by its address).
    pub id: String,
    /// A readable name.
    pub title: String,
    /// What matched: `id`, `digest`, `contentSha256`, `weightsSha256`, `assetSha256`,
    /// `commitment`, `name`, `versionLabel` or `license` (a record under a licence of that
    /// name).
    pub matched: String,
    /// SHA-256 of the record's canonical bytes.
    pub digest: String,
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Records matching `text`: an ID finds the record of any kind with it (a model's ID its
    /// versions); a SHA-256 (64 hex digits, `0x` optional) finds records whose digest or
    /// stated content hash (`contentSha256`, `weightsSha256`, `assetSha256`, a circuit's
    /// commitment) it is; other text finds licences, datasets, models' versions and tokens
    /// whose name contains it (ignoring ASCII case), model versions whose version label
    /// contains it, and the datasets and model versions under a licence whose name contains
    /// it. At most `first` (default 20, at most the page
    /// limit), each record once.
    async fn search(&self, ctx: &Context<'_>, text: String, first: Option<i32>) -> Result<Vec<SearchHit>> {
        let registry = reader(ctx)?;
        let max = ctx.data::<super::Limits>().map(|l| l.max_page_size).unwrap_or(100);
        let first = match first {
            None => 20.min(max),
            Some(n) if n >= 1 && (n as usize) <= max => n as usize,
            Some(n) => {
                return Err(crate::error::AppError::bad_input(
                    "/first",
                    "range",
                    format!("first must be between 1 and {max}, got {n}"),
                )
                .into());
            }
        };
        let hits = registry.search(&text, first).await?;
        Ok(hits
            .into_iter()
            .map(|h| SearchHit {
                kind: h.kind.to_owned(),
                id: h.id.to_string(),
                title: h.title,
                matched: h.matched.to_owned(),
                digest: h.digest,
            })
            .collect())
    }
}
