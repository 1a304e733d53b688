//! Filterable, keyset-paginated lists (ordered by ID, which is time-ordered UUIDv7).
use provreg_entities::{dataset, license, model_version};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use super::Registry;
use crate::error::AppResult;
use crate::payload::{AiTraining, RecordStatus};

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
}

/// Filters of `modelVersions`; all given filters must hold.
#[derive(Debug, Default, Clone)]
pub struct ModelVersionFilter {
    pub model: Option<String>,
    pub status: Option<RecordStatus>,
    pub license: Option<Uuid>,
    pub trained_on: Option<Uuid>,
    pub training_data_ai_training: Option<AiTraining>,
    pub parent: Option<Uuid>,
}

/// Filters of `datasets`.
#[derive(Debug, Default, Clone)]
pub struct DatasetFilter {
    pub name: Option<String>,
    pub license: Option<Uuid>,
    pub status: Option<RecordStatus>,
}

/// Filters of `licenses`.
#[derive(Debug, Default, Clone)]
pub struct LicenseFilter {
    pub ai_training: Option<AiTraining>,
    pub commercial_use: Option<bool>,
    pub status: Option<RecordStatus>,
}

/// A custom SQL condition with one parameter written `$1`, in the backend's placeholder style.
fn condition<V: Into<sea_orm::Value>>(backend: DbBackend, sql: &str, value: V) -> SimpleExpr {
    let sql = if backend == DbBackend::Postgres { sql.to_owned() } else { sql.replace("$1", "?") };
    Expr::cust_with_values(sql, [value.into()])
}

/// `COALESCE(newest status event, 'active') = status` for rows of `table`.
fn status_is(backend: DbBackend, table: &str, status: RecordStatus) -> SimpleExpr {
    condition(
        backend,
        &format!(
            "COALESCE((SELECT se.status FROM status_events se WHERE se.subject_id = {table}.id \
             ORDER BY se.id DESC LIMIT 1), 'active') = $1"
        ),
        status.as_str(),
    )
}

async fn page<E>(
    registry: &Registry,
    select: Select<E>,
    id: E::Column,
    after: Option<Uuid>,
    first: u64,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let mut select = select.order_by_asc(id).limit(first + 1);
    if let Some(after) = after {
        select = select.filter(id.gt(after));
    }
    let mut items = select.all(&registry.db).await?;
    let has_next = items.len() as u64 > first;
    items.truncate(first as usize);
    Ok(Page { items, has_next })
}

impl Registry {
    pub async fn list_model_versions(
        &self,
        f: &ModelVersionFilter,
        after: Option<Uuid>,
        first: u64,
    ) -> AppResult<Page<model_version::Model>> {
        let backend = self.db.get_database_backend();
        let mut q = model_version::Entity::find();
        if let Some(name) = &f.model {
            q = q.filter(condition(
                backend,
                "model_versions.model_id IN (SELECT id FROM models WHERE name = $1)",
                name.as_str(),
            ));
        }
        if let Some(status) = f.status {
            q = q.filter(status_is(backend, "model_versions", status));
        }
        if let Some(license) = f.license {
            q = q.filter(model_version::Column::LicenseId.eq(license));
        }
        if let Some(parent) = f.parent {
            q = q.filter(model_version::Column::ParentId.eq(parent));
        }
        if let Some(dataset) = f.trained_on {
            q = q.filter(condition(
                backend,
                "model_versions.id IN (SELECT model_version_id FROM training_inputs WHERE dataset_id = $1)",
                dataset,
            ));
        }
        if let Some(ai) = f.training_data_ai_training {
            q = q.filter(condition(
                backend,
                "EXISTS (SELECT 1 FROM training_inputs ti JOIN datasets d ON d.id = ti.dataset_id \
                 JOIN licenses l ON l.id = d.license_id \
                 WHERE ti.model_version_id = model_versions.id AND l.ai_training = $1)",
                ai.as_str(),
            ));
        }
        page(self, q, model_version::Column::Id, after, first).await
    }

    pub async fn list_datasets(
        &self,
        f: &DatasetFilter,
        after: Option<Uuid>,
        first: u64,
    ) -> AppResult<Page<dataset::Model>> {
        let backend = self.db.get_database_backend();
        let mut q = dataset::Entity::find();
        if let Some(name) = &f.name {
            q = q.filter(dataset::Column::Name.eq(name.as_str()));
        }
        if let Some(license) = f.license {
            q = q.filter(dataset::Column::LicenseId.eq(license));
        }
        if let Some(status) = f.status {
            q = q.filter(status_is(backend, "datasets", status));
        }
        page(self, q, dataset::Column::Id, after, first).await
    }

    pub async fn list_licenses(
        &self,
        f: &LicenseFilter,
        after: Option<Uuid>,
        first: u64,
    ) -> AppResult<Page<license::Model>> {
        let backend = self.db.get_database_backend();
        let mut q = license::Entity::find();
        if let Some(ai) = f.ai_training {
            q = q.filter(license::Column::AiTraining.eq(ai.as_str()));
        }
        if let Some(c) = f.commercial_use {
            q = q.filter(license::Column::CommercialUse.eq(c));
        }
        if let Some(status) = f.status {
            q = q.filter(status_is(backend, "licenses", status));
        }
        page(self, q, license::Column::Id, after, first).await
    }
}
