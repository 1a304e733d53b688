//! Search across record kinds: by ID (any kind), by SHA-256 (record digests and the content
//! hashes records state), or by name (licences, datasets, models, tokens, and the datasets
//! and model versions under a licence of that name).
use provreg_entities::{circuit, collection, dataset, license, model, model_version, token};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::Registry;
use crate::error::{AppError, AppResult};

/// One record a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// `license`, `dataset`, `modelVersion`, `token`, `circuit` or `collection`.
    pub kind: &'static str,
    pub id: Uuid,
    /// A readable name: the licence's or dataset's name and version, `model version`, a
    /// token's name or `contract #id`.
    pub title: String,
    /// What matched: `id`, `digest`, `contentSha256`, `weightsSha256`, `assetSha256`,
    /// `commitment`, `name`, `versionLabel` or `license`.
    pub matched: &'static str,
    /// SHA-256 of the record's canonical bytes.
    pub digest: String,
}

/// Longest search text.
const MAX_TEXT: usize = 200;

/// What a search text is.
enum Needle {
    Id(Uuid),
    Sha256(String),
    Name(String),
}

fn needle(text: &str) -> AppResult<Needle> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT || text.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "/text",
            "pattern",
            format!("a search is 1 to {MAX_TEXT} characters without control characters"),
        ));
    }
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(Needle::Id(id));
    }
    let hex = text.strip_prefix("0x").unwrap_or(text).to_ascii_lowercase();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Needle::Sha256(hex));
    }
    Ok(Needle::Name(text.to_owned()))
}

/// `LOWER(col) LIKE pattern ESCAPE '\\'`.
fn name_like(col: Expr, pattern: &str) -> Expr {
    Expr::expr(Func::lower(col)).like(LikeExpr::new(pattern).escape('\\'))
}

/// `%text%` for a LIKE, with the pattern characters escaped (`\` is the escape).
fn contains(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Registry {
    /// Records matching `text`, at most `limit`: an ID finds the record of any kind with it;
    /// a SHA-256 (64 hex digits, `0x` optional) finds records whose digest or stated content
    /// hash it is; other text finds licences, datasets, models (their versions) and tokens
    /// whose name contains it (case-insensitively on PostgreSQL, ASCII case-insensitively on
    /// SQLite), and the datasets and model versions under a licence whose name contains it.
    /// Bad text is `BAD_USER_INPUT` at `/text`.
    pub async fn search(&self, text: &str, limit: usize) -> AppResult<Vec<SearchHit>> {
        let mut hits = Vec::new();
        let limit_u64 = limit as u64;
        match needle(text)? {
            Needle::Id(id) => {
                if let Some(l) = license::Entity::find_by_id(id).one(&self.db).await? {
                    hits.push(license_hit(l, "id"));
                }
                if let Some(d) = dataset::Entity::find_by_id(id).one(&self.db).await? {
                    hits.push(dataset_hit(d, "id"));
                }
                if let Some(v) = model_version::Entity::find_by_id(id).one(&self.db).await? {
                    hits.push(self.version_hit(v, "id").await?);
                }
                if let Some(t) = token::Entity::find_by_id(id).one(&self.db).await? {
                    hits.push(token_hit(t, "id"));
                }
                if let Some(c) = circuit::Entity::find_by_id(id).one(&self.db).await? {
                    hits.push(circuit_hit(c, "id"));
                }
                if let Some(c) = collection::Entity::find_by_id(id).one(&self.db).await? {
                    hits.push(collection_hit(c, "id"));
                }
                if let Some(m) = model::Entity::find_by_id(id).one(&self.db).await? {
                    for v in self.versions_of_model(m.id).await? {
                        hits.push(self.version_hit(v, "id").await?);
                    }
                }
            }
            Needle::Sha256(hex) => {
                for l in license::Entity::find()
                    .filter(license::Column::Digest.eq(&hex))
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?
                {
                    hits.push(license_hit(l, "digest"));
                }
                let datasets = dataset::Entity::find()
                    .filter(
                        Condition::any()
                            .add(dataset::Column::Digest.eq(&hex))
                            .add(dataset::Column::ContentSha256.eq(&hex)),
                    )
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?;
                for d in datasets {
                    let matched = if d.digest == hex { "digest" } else { "contentSha256" };
                    hits.push(dataset_hit(d, matched));
                }
                let versions = model_version::Entity::find()
                    .filter(
                        Condition::any()
                            .add(model_version::Column::Digest.eq(&hex))
                            .add(model_version::Column::WeightsSha256.eq(&hex)),
                    )
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?;
                for v in versions {
                    let matched = if v.digest == hex { "digest" } else { "weightsSha256" };
                    hits.push(self.version_hit(v, matched).await?);
                }
                let tokens = token::Entity::find()
                    .filter(
                        Condition::any().add(token::Column::Digest.eq(&hex)).add(token::Column::AssetSha256.eq(&hex)),
                    )
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?;
                for t in tokens {
                    let matched = if t.digest == hex { "digest" } else { "assetSha256" };
                    hits.push(token_hit(t, matched));
                }
                let circuits = circuit::Entity::find()
                    .filter(
                        Condition::any()
                            .add(circuit::Column::Digest.eq(&hex))
                            .add(circuit::Column::Commitment.eq(&hex)),
                    )
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?;
                for c in circuits {
                    let matched = if c.digest == hex { "digest" } else { "commitment" };
                    hits.push(circuit_hit(c, matched));
                }
                for c in collection::Entity::find()
                    .filter(collection::Column::Digest.eq(&hex))
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?
                {
                    hits.push(collection_hit(c, "digest"));
                }
            }
            Needle::Name(name) => {
                let pattern = contains(&name.to_lowercase());
                let like = |col: Expr| name_like(col, &pattern);
                let licences = license::Entity::find()
                    .filter(like(Expr::col(license::Column::Name)))
                    .order_by_asc(license::Column::Id)
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?;
                let licence_ids: Vec<Uuid> = licences.iter().map(|l| l.id).collect();
                for l in licences {
                    hits.push(license_hit(l, "name"));
                }
                for d in dataset::Entity::find()
                    .filter(like(Expr::col(dataset::Column::Name)))
                    .order_by_asc(dataset::Column::Id)
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?
                {
                    hits.push(dataset_hit(d, "name"));
                }
                for m in model::Entity::find()
                    .filter(like(Expr::col(model::Column::Name)))
                    .order_by_asc(model::Column::Id)
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?
                {
                    for v in self.versions_of_model(m.id).await? {
                        hits.push(self.version_hit(v, "name").await?);
                    }
                }
                for v in model_version::Entity::find()
                    .filter(like(Expr::col(model_version::Column::VersionLabel)))
                    .order_by_asc(model_version::Column::Id)
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?
                {
                    hits.push(self.version_hit(v, "versionLabel").await?);
                }
                for t in token::Entity::find()
                    .filter(like(Expr::col(token::Column::Name)))
                    .order_by_asc(token::Column::Id)
                    .limit(limit_u64)
                    .all(&self.db)
                    .await?
                {
                    hits.push(token_hit(t, "name"));
                }
                if !licence_ids.is_empty() {
                    for d in dataset::Entity::find()
                        .filter(dataset::Column::LicenseId.is_in(licence_ids.clone()))
                        .order_by_asc(dataset::Column::Id)
                        .limit(limit_u64)
                        .all(&self.db)
                        .await?
                    {
                        hits.push(dataset_hit(d, "license"));
                    }
                    for v in model_version::Entity::find()
                        .filter(model_version::Column::LicenseId.is_in(licence_ids))
                        .order_by_asc(model_version::Column::Id)
                        .limit(limit_u64)
                        .all(&self.db)
                        .await?
                    {
                        hits.push(self.version_hit(v, "license").await?);
                    }
                }
            }
        }
        // A record found twice (by its name and by its licence's) is listed once, first match.
        let mut seen = std::collections::HashSet::new();
        hits.retain(|h| seen.insert((h.kind, h.id)));
        hits.truncate(limit);
        Ok(hits)
    }

    async fn version_hit(&self, v: model_version::Model, matched: &'static str) -> AppResult<SearchHit> {
        let name = self.model(v.model_id).await?.map(|m| m.name).unwrap_or_default();
        Ok(SearchHit {
            kind: "modelVersion",
            id: v.id,
            title: format!("{name} {}", v.version_label),
            matched,
            digest: v.digest,
        })
    }
}

fn license_hit(l: license::Model, matched: &'static str) -> SearchHit {
    SearchHit { kind: "license", id: l.id, title: l.name, matched, digest: l.digest }
}

fn dataset_hit(d: dataset::Model, matched: &'static str) -> SearchHit {
    SearchHit { kind: "dataset", id: d.id, title: format!("{} {}", d.name, d.version), matched, digest: d.digest }
}

fn token_hit(t: token::Model, matched: &'static str) -> SearchHit {
    let title = t.name.clone().unwrap_or_else(|| format!("{} #{}", t.contract, t.token_id));
    SearchHit { kind: "token", id: t.id, title, matched, digest: t.digest }
}

fn circuit_hit(c: circuit::Model, matched: &'static str) -> SearchHit {
    SearchHit { kind: "circuit", id: c.id, title: format!("circuit {}", c.commitment), matched, digest: c.digest }
}

fn collection_hit(c: collection::Model, matched: &'static str) -> SearchHit {
    SearchHit { kind: "collection", id: c.id, title: format!("{} ({})", c.name, c.address), matched, digest: c.digest }
}
