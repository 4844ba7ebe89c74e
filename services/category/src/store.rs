//! The `categories.categories` table: the row type, its wire form and the queries more than one
//! handler uses, including the slug writes that rely on the unique index.

use chrono::{DateTime, Utc};
use sqlx::{Connection as _, PgConnection};
use uuid::Uuid;

use pos_api::pos::category::v1 as pb;
use pos_platform::db::unique_violation;

use crate::error::CategoryError;
use crate::slug::Candidates;

/// Name of the unique index on slugs.
const SLUG_KEY: &str = "categories_slug_key";

/// How many slugs a write tries before giving up (each failed one lost a race to another writer).
const MAX_SLUG_ATTEMPTS: u32 = 60;

/// One category as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CategoryRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) slug: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl CategoryRow {
    /// The category as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::Category {
        pb::Category {
            id: self.id.to_string(),
            name: self.name.clone(),
            description: self.description.clone(),
            slug: self.slug.clone(),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            delete_time: self.deleted_at.map(timestamp),
        }
    }
}

/// A protobuf timestamp of `time`.
fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// The category with `id`, trashed or not.
pub(crate) async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<CategoryRow>, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "SELECT id, name, description, slug, created_at, updated_at, deleted_at FROM categories.categories WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The category with `id`, locked for update until the transaction ends; `NOT_FOUND` when there
/// is none.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<CategoryRow, CategoryError> {
    sqlx::query_as!(
        CategoryRow,
        "SELECT id, name, description, slug, created_at, updated_at, deleted_at FROM categories.categories WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| CategoryError::NotFound(id.to_string()))
}

/// The slugs now taken by `base` and its suffixed forms (a hint for the next candidate; the
/// unique index has the last word).
async fn taken_slugs(conn: &mut PgConnection, base: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT slug FROM categories.categories \
         WHERE slug = $1 OR (left(slug, length($1) + 1) = $1 || '-' AND substr(slug, length($1) + 2) ~ '^[0-9]+$')",
        base,
    )
    .fetch_all(conn)
    .await
}

/// Inserts a category with the first free slug of `candidates`: `INSERT … ON CONFLICT (slug) DO
/// NOTHING` waits for a concurrent writer of the same slug and then inserts nothing, so a lost
/// race just moves on to the next candidate, without a failed statement in the transaction.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    description: &str,
    mut candidates: Candidates,
) -> Result<CategoryRow, CategoryError> {
    for _ in 0..MAX_SLUG_ATTEMPTS {
        let taken = taken_slugs(conn, candidates.base()).await?;
        let slug = candidates.next(&taken);
        let inserted: Option<CategoryRow> = sqlx::query_as!(
            CategoryRow,
            "INSERT INTO categories.categories (id, name, description, slug) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (slug) DO NOTHING RETURNING id, name, description, slug, created_at, updated_at, deleted_at",
            id,
            name,
            description,
            &slug,
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = inserted {
            return Ok(row);
        }
    }
    Err(anyhow::anyhow!(
        "no free slug for `{}` after {MAX_SLUG_ATTEMPTS} attempts",
        candidates.base()
    )
    .into())
}

/// Gives the locked category `id` the first free slug of `candidates`. Each attempt runs in a
/// savepoint, so a unique violation (a concurrent writer took the slug) is rolled back alone and
/// the next candidate is tried.
pub(crate) async fn change_slug(
    conn: &mut PgConnection,
    id: Uuid,
    mut candidates: Candidates,
) -> Result<String, CategoryError> {
    for _ in 0..MAX_SLUG_ATTEMPTS {
        let taken = taken_slugs(conn, candidates.base()).await?;
        let slug = candidates.next(&taken);
        let mut savepoint = conn.begin().await?;
        let written = sqlx::query!(
            "UPDATE categories.categories SET slug = $2 WHERE id = $1",
            id,
            &slug
        )
        .execute(&mut *savepoint)
        .await;
        match written {
            Ok(_) => {
                savepoint.commit().await?;
                return Ok(slug);
            }
            Err(error) if unique_violation(&error) == Some(SLUG_KEY) => savepoint.rollback().await?,
            Err(error) => return Err(error.into()),
        }
    }
    Err(anyhow::anyhow!(
        "no free slug for `{}` after {MAX_SLUG_ATTEMPTS} attempts",
        candidates.base()
    )
    .into())
}
