//! Look-ups of single records and their direct relations.
use provreg_entities::{dataset, dataset_derivation, license, model, model_version, status_event, training_input};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::Registry;
use crate::error::{AppError, AppResult};

/// The current status of a record: its newest status event, or `active` when it has none.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub status: String,
    pub event: Option<status_event::Model>,
}

impl Registry {
    pub async fn license(&self, id: Uuid) -> AppResult<Option<license::Model>> {
        Ok(license::Entity::find_by_id(id).one(&self.db).await?)
    }

    pub async fn dataset(&self, id: Uuid) -> AppResult<Option<dataset::Model>> {
        Ok(dataset::Entity::find_by_id(id).one(&self.db).await?)
    }

    pub async fn model_version(&self, id: Uuid) -> AppResult<Option<model_version::Model>> {
        Ok(model_version::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// The model version a payload's `/modelVersion` names: `BAD_USER_INPUT` at that
    /// pointer when it is not an ID or no such version exists.
    pub(crate) async fn named_model_version(&self, text: &str) -> AppResult<(Uuid, model_version::Model)> {
        let id = super::parse_id("/modelVersion", text)?;
        match self.model_version(id).await? {
            Some(version) => Ok((id, version)),
            None => Err(AppError::bad_input("/modelVersion", "exists", format!("no model version with ID {id}"))),
        }
    }

    pub async fn model(&self, id: Uuid) -> AppResult<Option<model::Model>> {
        Ok(model::Entity::find_by_id(id).one(&self.db).await?)
    }

    pub async fn model_by_name(&self, name: &str) -> AppResult<Option<model::Model>> {
        Ok(model::Entity::find().filter(model::Column::Name.eq(name)).one(&self.db).await?)
    }

    /// Versions of a model, oldest first.
    pub async fn versions_of_model(&self, model_id: Uuid) -> AppResult<Vec<model_version::Model>> {
        Ok(model_version::Entity::find()
            .filter(model_version::Column::ModelId.eq(model_id))
            .order_by_asc(model_version::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Direct children (retrained or fine-tuned versions) of a model version.
    pub async fn children_of(&self, id: Uuid) -> AppResult<Vec<model_version::Model>> {
        Ok(model_version::Entity::find()
            .filter(model_version::Column::ParentId.eq(id))
            .order_by_asc(model_version::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// The datasets a dataset was derived from.
    pub async fn sources_of(&self, id: Uuid) -> AppResult<Vec<dataset::Model>> {
        let ids: Vec<Uuid> = dataset_derivation::Entity::find()
            .filter(dataset_derivation::Column::DatasetId.eq(id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| e.source_id)
            .collect();
        self.datasets_by_ids(ids).await
    }

    /// The training inputs of a model version with their datasets.
    pub async fn training_data_of(&self, id: Uuid) -> AppResult<Vec<(training_input::Model, dataset::Model)>> {
        let inputs =
            training_input::Entity::find().filter(training_input::Column::ModelVersionId.eq(id)).all(&self.db).await?;
        let datasets = self.datasets_by_ids(inputs.iter().map(|i| i.dataset_id).collect()).await?;
        Ok(inputs
            .into_iter()
            .filter_map(|i| datasets.iter().find(|d| d.id == i.dataset_id).cloned().map(|d| (i, d)))
            .collect())
    }

    async fn datasets_by_ids(&self, ids: Vec<Uuid>) -> AppResult<Vec<dataset::Model>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(dataset::Entity::find()
            .filter(dataset::Column::Id.is_in(ids))
            .order_by_asc(dataset::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Status events of a record, oldest first.
    pub async fn status_history(&self, subject: Uuid) -> AppResult<Vec<status_event::Model>> {
        Ok(status_event::Entity::find()
            .filter(status_event::Column::SubjectId.eq(subject))
            .order_by_asc(status_event::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// The current status of a record.
    pub async fn status_of(&self, subject: Uuid) -> AppResult<StatusRow> {
        let event = status_event::Entity::find()
            .filter(status_event::Column::SubjectId.eq(subject))
            .order_by_desc(status_event::Column::Id)
            .one(&self.db)
            .await?;
        Ok(StatusRow { status: event.as_ref().map_or_else(|| "active".to_owned(), |e| e.status.clone()), event })
    }
}
