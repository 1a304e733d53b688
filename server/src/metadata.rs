//! Token metadata: ERC-721 metadata JSON that also follows the ERC-7007 (verifiable
//! AI-generated content) metadata schema, with a `provenance` block that tells where the
//! token came from and whether anything in its lineage has since been revoked.
//!
//! The ERC-721 / ERC-7007 fields: `name`, `description`, `image` (when an asset was
//! uploaded), `attributes` (one per trait), `prompt` (the input seed), `aigc_type` (`image`,
//! `video`, `audio` or `text` from the media type, else `data`), `aigc_data` (the asset's
//! URL, or `sha256:` and its hash when none was uploaded) and `proof_type` (`validity`: the
//! token was accepted with a verified zkML proof).
//!
//! `provenance`: `onChain` (whether the token is of a recorded collection and the registry
//! read its mint from the chain) and `mint` (the minting transaction, its block and the
//! owner at registration; null off chain), the registry's token record, the model version, the whole upstream lineage
//! (parent versions, datasets at any derivation depth, the licences of all of them), the
//! birth certificate, the proof record, the transparency-log entry and its anchor, and
//! `status`: `active`, or `affected` with `affectedBy` naming each record of the upstream
//! lineage (the model version itself included) that is revoked, deprecated or withdrawn.
use std::collections::HashMap;

use provreg_entities::{dataset, license, model_version, token, token_asset};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::lineage::{Direction, NodeRef};

/// Lineage depth the metadata follows: far beyond any real chain.
const ANY_DEPTH: u32 = 1_000_000;

/// Rows of `E` with `column` in `ids`, a few hundred IDs per query.
async fn rows_in<E: EntityTrait>(db: &DatabaseConnection, column: E::Column, ids: &[Uuid]) -> AppResult<Vec<E::Model>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(E::find().filter(column.is_in(chunk.iter().copied())).all(db).await?);
    }
    Ok(out)
}

/// The media type of the token's uploaded asset, if one was uploaded (without reading it).
async fn asset_media_type(db: &DatabaseConnection, token: Uuid) -> AppResult<Option<String>> {
    Ok(token_asset::Entity::find_by_id(token)
        .select_only()
        .column(token_asset::Column::MediaType)
        .into_tuple::<String>()
        .one(db)
        .await?)
}

/// The ERC-7007 `aigc_type` of a media type.
fn aigc_type(media_type: &str) -> &'static str {
    match media_type.split('/').next().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        Some("text") => "text",
        _ => "data",
    }
}

/// The metadata document of `token`; URLs are made absolute with `base` (e.g.
/// `http://127.0.0.1:8080`).
pub async fn token_metadata(registry: &Registry, token: &token::Model, base: &str) -> AppResult<Value> {
    let db = &registry.db;
    let path = format!("{base}/tokens/{}/{}/{}", token.chain_id, token.contract, token.token_id);
    let version = registry
        .model_version(token.model_version_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("model version {} missing", token.model_version_id)))?;
    let model = registry.model(version.model_id).await?;
    let traits: Vec<f64> = serde_json::from_str(&token.traits).map_err(AppError::from_display)?;
    let asset_url = asset_media_type(db, token.id).await?.map(|_| format!("{path}/asset"));
    let certificate = registry.certificate_of(token.id).await?;
    let proof = registry.proof_record_of_token(token.id).await?;
    let circuit = registry.circuit(token.circuit_id).await?;
    let entry = registry.log_entry_of(token.id).await?;
    let anchor = match entry.as_ref().and_then(|e| e.anchor_id) {
        Some(id) => registry.anchor(id).await?,
        None => None,
    };

    // The upstream lineage at any depth: one query for the graph, one per kind of record,
    // one for the statuses.
    let lineage = registry.lineage(NodeRef::ModelVersion(version.id), Direction::Upstream, ANY_DEPTH).await?;
    let (mut dataset_ids, mut license_ids, mut version_ids) = (Vec::new(), Vec::new(), Vec::new());
    for (node, _) in &lineage.nodes {
        match *node {
            NodeRef::Dataset(id) => dataset_ids.push(id),
            NodeRef::License(id) => license_ids.push(id),
            NodeRef::ModelVersion(id) if id != version.id => version_ids.push(id),
            NodeRef::ModelVersion(_) => {}
        }
    }
    let datasets: HashMap<Uuid, dataset::Model> = rows_in::<dataset::Entity>(db, dataset::Column::Id, &dataset_ids)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let licences: HashMap<Uuid, license::Model> = rows_in::<license::Entity>(db, license::Column::Id, &license_ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let versions: HashMap<Uuid, model_version::Model> =
        rows_in::<model_version::Entity>(db, model_version::Column::Id, &version_ids)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
    let nodes: Vec<NodeRef> = lineage.nodes.iter().map(|(n, _)| *n).collect();
    let affecting = registry.inactive_among(&nodes).await?;

    // In lineage order: nearest first.
    let mut dataset_docs = Vec::new();
    let mut licence_docs = Vec::new();
    let mut version_docs = Vec::new();
    for (node, depth) in &lineage.nodes {
        match node {
            NodeRef::Dataset(id) => {
                if let Some(d) = datasets.get(id) {
                    dataset_docs.push(json!({ "id": d.id.to_string(), "name": d.name, "version": d.version,
                        "contentSha256": d.content_sha256, "license": d.license_id.to_string(), "depth": depth }));
                }
            }
            NodeRef::License(id) => {
                if let Some(l) = licences.get(id) {
                    licence_docs.push(json!({ "id": l.id.to_string(), "name": l.name, "spdxId": l.spdx_id,
                        "aiTraining": l.ai_training }));
                }
            }
            NodeRef::ModelVersion(id) => {
                if let Some(v) = versions.get(id) {
                    version_docs.push(json!({ "id": v.id.to_string(), "version": v.version_label,
                        "weightsSha256": v.weights_sha256, "license": v.license_id.to_string(), "depth": depth }));
                }
            }
        }
    }

    let status = if affecting.is_empty() { "active" } else { "affected" };
    let model_name = model.map(|m| m.name).unwrap_or_default();
    let name =
        token.name.clone().unwrap_or_else(|| format!("{model_name} {} #{}", version.version_label, token.token_id));
    let mut doc = json!({
        "name": name,
        "description": format!(
            "Generated by {model_name} {} from seed 0x{}; a zero-knowledge proof that the model produced these traits from this seed was verified when the token was registered.",
            version.version_label, token.input_seed
        ),
        "attributes": traits.iter().enumerate().map(|(i, v)| json!({ "trait_type": format!("trait {i}"), "value": v })).collect::<Vec<_>>(),
        "prompt": format!("0x{}", token.input_seed),
        "aigc_type": aigc_type(&token.media_type),
        "aigc_data": asset_url.clone().unwrap_or_else(|| format!("sha256:{}", token.asset_sha256)),
        "proof_type": "validity",
        "provenance": {
            "registry": { "tokenRecordId": token.id.to_string(), "chainId": token.chain_id, "contract": token.contract,
                "tokenId": token.token_id, "digest": token.digest, "metadataUrl": path },
            "onChain": token.mint_tx.is_some(),
            "mint": token.mint_tx.as_ref().map(|tx| json!({
                "chainId": token.chain_id, "collection": token.contract, "txHash": tx,
                "blockNumber": token.mint_block, "owner": token.owner,
            })),
            "status": status,
            "affectedBy": affecting.iter().map(|a| json!({
                "kind": a.kind, "id": a.id.to_string(), "status": a.event.status,
                "reason": a.event.reason, "statusEventId": a.event.id.to_string(),
                "at": a.event.created_at.to_rfc3339(),
            })).collect::<Vec<_>>(),
            "model": { "name": model_name, "version": version.version_label, "modelVersionId": version.id.to_string(),
                "weightsSha256": version.weights_sha256, "license": version.license_id.to_string(),
                "parentVersions": version_docs },
            "datasets": dataset_docs,
            "licenses": licence_docs,
            "asset": { "sha256": token.asset_sha256, "mediaType": token.media_type, "url": asset_url,
                "derivation": asset_derivation(&token.canonical) },
            "seed": seed_provenance(token),
            "certificate": certificate.as_ref().map(|c| json!({
                "id": c.id.to_string(), "url": format!("{base}/certificates/{}.c2pa", c.id),
                "manifestLabel": c.manifest_label, "digest": c.digest, "signer": c.signer,
            })),
            "proofRecord": proof.as_ref().map(|p| json!({
                "id": p.id.to_string(), "system": p.system, "systemVersion": p.system_version,
                "modelCommitment": p.model_commitment, "digest": p.digest, "verifiedAt": p.verified_at.to_rfc3339(),
            })),
            "circuit": circuit.as_ref().map(|c| json!({
                "id": c.id.to_string(), "commitment": c.commitment, "vkSha256": c.vk_sha256,
                "boundToWeights": c.bound_to_weights, "compiledSha256": c.compiled_sha256,
            })),
            "logEntry": entry.as_ref().map(|e| json!({ "seq": e.seq, "leaf": e.leaf })),
            "anchor": anchor.as_ref().map(|a| json!({
                "chainId": a.chain_id, "contract": a.contract, "txHash": a.tx_hash, "blockNumber": a.block_number,
                "batchId": a.batch_id, "root": a.root, "status": a.status,
            })),
        },
    });
    if let Some(url) = asset_url {
        doc["image"] = json!(url);
    }
    Ok(doc)
}

/// The token record's `assetDerivation` (`{ "derivedFromProof": false }` for tokens
/// registered before the registry recorded it).
/// `provenance.seed`: the seed, where it came from and whether the registry verified that
/// (the record's `seed` object); a token registered before seeds were verified shows its
/// recorded source, unverified.
fn seed_provenance(token: &token::Model) -> serde_json::Value {
    let record: serde_json::Value = serde_json::from_slice(&token.canonical).unwrap_or_default();
    let mut seed = match record["payload"].get("seed") {
        Some(s) if s.is_object() => s.clone(),
        _ => json!({ "source": token.seed_source_kind, "verified": false }),
    };
    seed["value"] = json!(format!("0x{}", token.input_seed));
    seed
}

fn asset_derivation(canonical: &[u8]) -> serde_json::Value {
    let record: serde_json::Value = serde_json::from_slice(canonical).unwrap_or_default();
    match record["payload"].get("assetDerivation") {
        Some(d) if d.is_object() => d.clone(),
        _ => json!({ "derivedFromProof": false }),
    }
}

#[cfg(test)]
mod tests {
    use super::aigc_type;

    #[test]
    fn aigc_type_follows_the_media_type() {
        assert_eq!(aigc_type("image/png"), "image");
        assert_eq!(aigc_type("Image/JPEG"), "image");
        assert_eq!(aigc_type("video/mp4"), "video");
        assert_eq!(aigc_type("application/json"), "data");
        assert_eq!(aigc_type(""), "data");
    }
}
