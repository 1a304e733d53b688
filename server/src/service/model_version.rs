//! Registering model versions, their parent edge and their training inputs.
use std::collections::HashSet;

use provreg_entities::{dataset, license, model, model_version, training_input};
use provreg_schema::RecordKind;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::seal::{self, dataset_ingredients, digest_bytes, ingredient};
use super::{Registry, envelope, license_payload, now, parse_id, parse_time, record_claim};
use crate::error::{AppError, AppResult, map_unique};
use crate::payload::{ModelVersionInput, ParentRelation};
use provreg_certs::{Action, CertificateRequest, IngredientRelation, Subject};

impl Registry {
    /// The ID of model `model_id`'s version labelled `label`, if any.
    async fn version_labelled(&self, model_id: Uuid, label: &str) -> AppResult<Option<Uuid>> {
        Ok(model_version::Entity::find()
            .filter(model_version::Column::ModelId.eq(model_id))
            .filter(model_version::Column::VersionLabel.eq(label))
            .one(&self.db)
            .await?
            .map(|v| v.id))
    }

    /// Validates and stores a model version. `(model, versionLabel)` is unique; the model is
    /// created with its first version.
    pub async fn register_model_version(&self, input: &ModelVersionInput) -> AppResult<model_version::Model> {
        let payload = self.validated_payload(RecordKind::ModelVersion, input)?;
        let started = parse_time("/trainingRun/startedAt", &input.training_run.started_at)?;
        let ended = parse_time("/trainingRun/endedAt", &input.training_run.ended_at)?;
        if ended < started {
            return Err(AppError::bad_input("/trainingRun/endedAt", "order", "the training run ends before it starts"));
        }
        let license_id = parse_id("/license", &input.license)?;
        let Some(license_row) = license::Entity::find_by_id(license_id).one(&self.db).await? else {
            return Err(AppError::bad_input("/license", "exists", format!("no licence with ID {license_id}")));
        };
        let parent = match &input.parent {
            Some(p) => {
                let parent_id = parse_id("/parent/id", &p.id)?;
                let Some(row) = model_version::Entity::find_by_id(parent_id).one(&self.db).await? else {
                    return Err(AppError::bad_input(
                        "/parent/id",
                        "exists",
                        format!("no model version with ID {parent_id}"),
                    ));
                };
                Some((parent_id, p.relation, row))
            }
            None => None,
        };
        let mut inputs = Vec::with_capacity(input.training_data.len());
        let mut seen = HashSet::new();
        let mut ids = Vec::with_capacity(input.training_data.len());
        for (i, td) in input.training_data.iter().enumerate() {
            let pointer = format!("/trainingData/{i}/dataset");
            let dataset_id = parse_id(&pointer, &td.dataset)?;
            if !seen.insert((dataset_id, td.role)) {
                return Err(AppError::bad_input(
                    &pointer,
                    "uniqueItems",
                    "this dataset is already listed with this role",
                ));
            }
            ids.push((pointer, dataset_id));
            inputs.push((dataset_id, td.role));
        }
        let wanted: Vec<Uuid> = ids.iter().map(|(_, id)| *id).collect();
        let dataset_rows = dataset::Entity::find().filter(dataset::Column::Id.is_in(wanted)).all(&self.db).await?;
        let found: HashSet<Uuid> = dataset_rows.iter().map(|d| d.id).collect();
        if let Some((pointer, missing)) = ids.iter().find(|(_, id)| !found.contains(id)) {
            return Err(AppError::bad_input(pointer, "exists", format!("no dataset with ID {missing}")));
        }

        let mut cert_subjects: Vec<Uuid> = dataset_rows.iter().map(|d| d.id).collect();
        cert_subjects.extend(parent.as_ref().map(|p| p.0));
        let certs = self.certificates_of(cert_subjects).await?;
        let cert_of = |id: Uuid| certs.iter().find(|c| c.subject_id == id);
        let parent_model = match &parent {
            Some((_, _, row)) => model::Entity::find_by_id(row.model_id).one(&self.db).await?.map(|m| m.name),
            None => None,
        };
        let mut ingredients = Vec::new();
        if let Some((parent_id, _, row)) = &parent
            && let Some(cert) = cert_of(*parent_id)
        {
            let title = format!("{} {}", parent_model.as_deref().unwrap_or("model"), row.version_label);
            ingredients.push(ingredient(title, IngredientRelation::ParentOf, cert)?);
        }
        ingredients.extend(dataset_ingredients(&dataset_rows, &certs)?);
        let lineage = serde_json::json!({
            "parent": parent.as_ref().map(|(id, relation, row)| serde_json::json!({
                "modelVersion": id.to_string(), "relation": relation.as_str(), "digest": row.digest,
            })),
            "trainingData": inputs.iter().filter_map(|(dataset_id, role)| {
                dataset_rows.iter().find(|d| d.id == *dataset_id).map(|d| serde_json::json!({
                    "dataset": d.id.to_string(), "role": role.as_str(), "digest": d.digest,
                    "contentSha256": d.content_sha256, "license": d.license_id.to_string(),
                }))
            }).collect::<Vec<_>>(),
        });
        let action = match parent.as_ref().map(|p| p.1) {
            None => Action::Created,
            Some(ParentRelation::Finetune) => Action::FineTuned,
            Some(_) => Action::Retrained,
        };
        let terms = license_payload(&license_row)?;

        let duplicate = format!("model {:?} already has a version {:?}", input.model, input.version_label);
        let at = now();
        let id = Uuid::now_v7();
        let record = envelope(RecordKind::ModelVersion, id, at, &payload)?;
        let request = CertificateRequest {
            subject: Subject::ModelVersion,
            title: format!("{} {}", input.model, input.version_label),
            format: "application/octet-stream".into(),
            bound_sha256: digest_bytes(&input.weights_sha256)?,
            action,
            record: record_claim(&record)?,
            lineage: Some(lineage),
            license_terms: Some(terms),
            ingredients,
        };
        let cert = self.issue_certificate(RecordKind::ModelVersion, id, &request)?;
        let version = model_version::Model {
            id,
            model_id: Uuid::nil(),
            version_label: input.version_label.clone(),
            weights_sha256: input.weights_sha256.clone(),
            architecture: input.architecture.clone(),
            license_id,
            parent_id: parent.as_ref().map(|p| p.0),
            parent_relation: parent.as_ref().map(|p| p.1.as_str().to_owned()),
            digest: record.digest_hex(),
            canonical: record.bytes,
            created_at: at,
        };
        // The model's row, made with its first version. Models are never removed, so one read
        // before the write finds a known model without holding the write lock; a new one is
        // made inside (a concurrent first version on PostgreSQL makes it too: then the insert
        // does nothing and the second read finds it).
        let find_model = model::Entity::find().filter(model::Column::Name.eq(&input.model));
        let known_model = find_model.clone().one(&self.db).await?.map(|m| m.id);
        let model_name = input.model.clone();
        let find_in_write = find_model.clone();
        let written = self
            .write(move |txn| {
                Box::pin(async move {
                    let mut version = version;
                    version.model_id = match known_model {
                        Some(id) => id,
                        None => {
                            let new_model =
                                model::Model { id: Uuid::now_v7(), name: model_name.clone(), created_at: at };
                            match model::Entity::insert(model::ActiveModel::from(new_model).reset_all())
                                .on_conflict(OnConflict::column(model::Column::Name).do_nothing().to_owned())
                                .exec_without_returning(txn)
                                .await
                            {
                                Ok(_) | Err(DbErr::RecordNotInserted) => {}
                                Err(e) => return Err(e.into()),
                            }
                            find_in_write
                                .one(txn)
                                .await?
                                .ok_or_else(|| AppError::Internal(format!("model {model_name:?} vanished")))?
                                .id
                        }
                    };
                    // `(model, versionLabel)` is unique in the table: a taken label fails the
                    // insert (the existing version is read after the write is undone).
                    model_version::Entity::insert(model_version::ActiveModel::from(version.clone()).reset_all())
                        .exec_without_returning(txn)
                        .await
                        .map_err(|e| map_unique(e, || duplicate))?;
                    if !inputs.is_empty() {
                        let rows = inputs.iter().map(|(dataset_id, role)| {
                            training_input::ActiveModel::from(training_input::Model {
                                model_version_id: id,
                                dataset_id: *dataset_id,
                                role: role.as_str().to_owned(),
                            })
                            .reset_all()
                        });
                        training_input::Entity::insert_many(rows).exec_without_returning(txn).await?;
                    }
                    seal::store(txn, RecordKind::ModelVersion, id, &version.digest, Some(cert)).await?;
                    Ok(version)
                })
            })
            .await;
        match written {
            Err(AppError::Conflict { message, existing_id: None }) => {
                let existing = match find_model.one(&self.db).await? {
                    Some(m) => self.version_labelled(m.id, &input.version_label).await?,
                    None => None,
                };
                Err(AppError::Conflict { message, existing_id: existing.map(|id| id.to_string()) })
            }
            other => other,
        }
    }
}
