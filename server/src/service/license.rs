//! Registering licences.
use provreg_entities::license;
use provreg_schema::RecordKind;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::seal::digest_bytes;
use super::{Registry, envelope, now, parse_time, record_claim};
use crate::error::{AppError, AppResult, map_unique};
use crate::payload::LicenseInput;
use provreg_certs::{Action, CertificateRequest, Subject};

impl Registry {
    /// Validates and stores licence terms. Names are unique.
    pub async fn register_license(&self, input: &LicenseInput) -> AppResult<license::Model> {
        let payload = self.validated_payload(RecordKind::License, input)?;
        let expires_at = input.expires_at.as_deref().map(|s| parse_time("/expiresAt", s)).transpose()?;
        if let Some(existing) =
            license::Entity::find().filter(license::Column::Name.eq(&input.name)).one(&self.db).await?
        {
            return Err(AppError::Conflict {
                message: format!("a licence named {:?} is already registered", input.name),
                existing_id: Some(existing.id.to_string()),
            });
        }
        let id = Uuid::now_v7();
        let at = now();
        let record = envelope(RecordKind::License, id, at, &payload)?;
        // A licence describes no outside bytes: its certificate is bound to the canonical record.
        let request = CertificateRequest {
            subject: Subject::License,
            title: input.name.clone(),
            format: "application/json".into(),
            bound_sha256: digest_bytes(&record.digest_hex())?,
            action: Action::Created,
            record: record_claim(&record)?,
            lineage: None,
            license_terms: Some(payload.clone()),
            ingredients: Vec::new(),
        };
        let model = license::Model {
            id,
            name: input.name.clone(),
            spdx_id: input.spdx_id.clone(),
            commercial_use: input.commercial_use,
            ai_training: input.ai_training.as_str().to_owned(),
            expires_at,
            digest: record.digest_hex(),
            canonical: record.bytes,
            created_at: at,
        };
        let cert = self.issue_certificate(RecordKind::License, id, &request)?;
        let taken = format!("a licence named {:?} is already registered", input.name);
        self.write(move |txn| {
            Box::pin(async move {
                license::Entity::insert(license::ActiveModel::from(model.clone()).reset_all())
                    .exec_without_returning(txn)
                    .await
                    .map_err(|e| map_unique(e, || taken))?;
                super::seal::store(txn, RecordKind::License, id, &model.digest, Some(cert)).await?;
                Ok(model)
            })
        })
        .await
    }
}
