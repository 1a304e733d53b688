//! Registering datasets and their derived-from edges.
use provreg_entities::{dataset, dataset_derivation, license};
use provreg_schema::RecordKind;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::seal::{dataset_ingredients, digest_bytes};
use super::{Registry, envelope, license_payload, now, parse_id, record_claim};
use crate::error::{AppError, AppResult, map_unique};
use crate::payload::DatasetInput;
use provreg_certs::{Action, CertificateRequest, Subject};

impl Registry {
    /// Validates and stores a dataset descriptor. `(name, version)` is unique.
    pub async fn register_dataset(&self, input: &DatasetInput) -> AppResult<dataset::Model> {
        let payload = self.validated_payload(RecordKind::Dataset, input)?;
        if input.collection_period.end < input.collection_period.start {
            return Err(AppError::bad_input("/collectionPeriod/end", "order", "the period ends before it starts"));
        }
        let license_id = parse_id("/license", &input.license)?;
        let Some(license_row) = license::Entity::find_by_id(license_id).one(&self.db).await? else {
            return Err(AppError::bad_input("/license", "exists", format!("no licence with ID {license_id}")));
        };
        let mut sources = Vec::new();
        let mut source_rows = Vec::new();
        for (i, s) in input.derived_from.iter().flatten().enumerate() {
            let pointer = format!("/derivedFrom/{i}");
            let source = parse_id(&pointer, s)?;
            match dataset::Entity::find_by_id(source).one(&self.db).await? {
                Some(row) => source_rows.push(row),
                None => return Err(AppError::bad_input(&pointer, "exists", format!("no dataset with ID {source}"))),
            }
            sources.push(source);
        }
        let source_certs = self.certificates_of(sources.clone()).await?;
        let duplicate = || format!("dataset {:?} version {:?} is already registered", input.name, input.version);
        if let Some(existing) = dataset::Entity::find()
            .filter(dataset::Column::Name.eq(&input.name))
            .filter(dataset::Column::Version.eq(&input.version))
            .one(&self.db)
            .await?
        {
            return Err(AppError::Conflict { message: duplicate(), existing_id: Some(existing.id.to_string()) });
        }
        let id = Uuid::now_v7();
        let at = now();
        let record = envelope(RecordKind::Dataset, id, at, &payload)?;
        let claim = record_claim(&record)?;
        let model = dataset::Model {
            id,
            name: input.name.clone(),
            version: input.version.clone(),
            uri: input.uri.clone(),
            content_sha256: input.content_sha256.clone(),
            record_count: input.record_count,
            license_id,
            digest: record.digest_hex(),
            canonical: record.bytes,
            created_at: at,
        };
        // The sources this dataset derives from are its ingredients, certificates and all.
        let ingredients = dataset_ingredients(&source_rows, &source_certs)?;
        let lineage = serde_json::json!({
            "derivedFrom": source_rows.iter().map(|d| serde_json::json!({
                "dataset": d.id.to_string(), "name": d.name, "version": d.version, "digest": d.digest,
            })).collect::<Vec<_>>(),
        });
        let request = CertificateRequest {
            subject: Subject::Dataset,
            title: format!("{} {}", input.name, input.version),
            format: "application/octet-stream".into(),
            bound_sha256: digest_bytes(&input.content_sha256)?,
            action: Action::Created,
            record: claim,
            lineage: Some(lineage),
            license_terms: Some(license_payload(&license_row)?),
            ingredients,
        };
        let cert = self.issue_certificate(RecordKind::Dataset, id, &request)?;
        let taken = duplicate();
        self.write(move |txn| {
            Box::pin(async move {
                dataset::Entity::insert(dataset::ActiveModel::from(model.clone()).reset_all())
                    .exec_without_returning(txn)
                    .await
                    .map_err(|e| map_unique(e, || taken))?;
                if !sources.is_empty() {
                    let edges = sources.iter().map(|&source_id| {
                        dataset_derivation::ActiveModel::from(dataset_derivation::Model { dataset_id: id, source_id })
                            .reset_all()
                    });
                    dataset_derivation::Entity::insert_many(edges).exec_without_returning(txn).await?;
                }
                super::seal::store(txn, RecordKind::Dataset, id, &model.digest, Some(cert)).await?;
                Ok(model)
            })
        })
        .await
    }
}
