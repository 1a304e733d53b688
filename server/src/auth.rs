//! API keys and roles. A key is shown once when created; only its SHA-256 is stored.
use chrono::Utc;
use provreg_entities::api_key;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// What a key may do. `Admin` ⊃ `Registrar` ⊃ `Auditor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Role {
    /// Reads only.
    Auditor,
    /// Reads and registrations.
    Registrar,
    /// Everything, including administrative operations.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auditor => "auditor",
            Self::Registrar => "registrar",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auditor" => Some(Self::Auditor),
            "registrar" => Some(Self::Registrar),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// Who is calling: a key with its role, or nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    Key { id: Uuid, role: Role },
}

impl Principal {
    /// Succeeds when the caller holds at least `need`.
    pub fn require(&self, need: Role, action: &'static str) -> AppResult<()> {
        match self {
            Self::Anonymous => Err(AppError::Unauthenticated),
            Self::Key { role, .. } if *role >= need => Ok(()),
            Self::Key { role, .. } => Err(AppError::Forbidden { have: role.as_str(), need: need.as_str(), action }),
        }
    }

    pub fn key_id(&self) -> Option<Uuid> {
        match self {
            Self::Anonymous => None,
            Self::Key { id, .. } => Some(*id),
        }
    }
}

const PREFIX: &str = "prk_";

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key; returns its row and the secret, which is not stored and cannot be shown again.
pub async fn create_key(db: &DatabaseConnection, name: &str, role: Role) -> AppResult<(api_key::Model, String)> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{PREFIX}{}", hex::encode(bytes));
    let model = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        role: Set(role.as_str().to_owned()),
        key_hash: Set(hash_secret(&secret)),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

/// Every key, newest first (hashes only).
pub async fn list_keys(db: &DatabaseConnection) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find().order_by_desc(api_key::Column::Id).all(db).await?)
}

/// Revokes a key; later requests with it are rejected.
pub async fn revoke_key(db: &DatabaseConnection, id: Uuid) -> AppResult<api_key::Model> {
    let key = api_key::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { kind: "API key", id: id.to_string() })?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// Resolves a presented secret to a principal; unknown and revoked keys are rejected.
pub async fn authenticate(db: &DatabaseConnection, secret: &str) -> AppResult<Principal> {
    if !secret.starts_with(PREFIX) {
        return Err(AppError::BadKey);
    }
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash_secret(secret)))
        .one(db)
        .await?
        .ok_or(AppError::BadKey)?;
    if key.revoked_at.is_some() {
        return Err(AppError::BadKey);
    }
    let role = Role::parse(&key.role).ok_or_else(|| AppError::Internal(format!("key {} has unknown role", key.id)))?;
    Ok(Principal::Key { id: key.id, role })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        let registrar = Principal::Key { id: Uuid::nil(), role: Role::Registrar };
        assert!(registrar.require(Role::Auditor, "read").is_ok());
        assert!(registrar.require(Role::Registrar, "register").is_ok());
        assert!(matches!(registrar.require(Role::Admin, "administer"), Err(AppError::Forbidden { .. })));
        assert!(matches!(Principal::Anonymous.require(Role::Auditor, "read"), Err(AppError::Unauthenticated)));
    }
}
