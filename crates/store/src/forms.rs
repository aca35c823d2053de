//! Web forms (`web_forms`): what a customer fills in to open a request in the portal. Each
//! names its topic, the team it goes to, the tags it adds and which conversation custom fields
//! it asks for (JSON, checked by the engine).

use crate::sql::Sql;
use crate::{Conn, Result};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct FormRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub team_id: Option<i64>,
    /// JSON array of tag names.
    pub tags: String,
    /// JSON array of `{"key": …, "required": …}`.
    pub fields: String,
    pub position: i64,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct FormFields<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub team_id: Option<i64>,
    pub tags: &'a str,
    pub fields: &'a str,
    pub position: i64,
    pub active: bool,
}

const SELECT: &str = "SELECT id, slug, name, description, team_id, tags, fields, position, \
    active, created_at, updated_at FROM web_forms";

/// Every form, active ones only when `active_only`, in position order.
pub async fn list(conn: &mut Conn, active_only: bool) -> Result<Vec<FormRow>> {
    let mut q = Sql::new(SELECT);
    if active_only {
        q.push(" WHERE active = 1");
    }
    q.push(" ORDER BY position, name, id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<FormRow>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

pub async fn insert(tx: &mut Conn, f: &FormFields<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO web_forms (slug, name, description, team_id, tags, fields, position, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(f.slug.to_string())
    .bind(f.name.to_string())
    .bind(f.description.to_string())
    .bind(f.team_id)
    .bind(f.tags.to_string())
    .bind(f.fields.to_string())
    .bind(f.position)
    .bind(i64::from(f.active))
    .bind(at)
    .fetch_one(tx)
    .await?)
}

/// Changes form `id`; false when there is none.
pub async fn update(tx: &mut Conn, id: i64, f: &FormFields<'_>, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE web_forms SET slug = $1, name = $2, description = $3, team_id = $4, tags = $5, \
         fields = $6, position = $7, active = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(f.slug.to_string())
    .bind(f.name.to_string())
    .bind(f.description.to_string())
    .bind(f.team_id)
    .bind(f.tags.to_string())
    .bind(f.fields.to_string())
    .bind(f.position)
    .bind(i64::from(f.active))
    .bind(at)
    .bind(id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes form `id`; false when there is none. Requests opened through it keep their fields.
pub async fn delete(tx: &mut Conn, id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM web_forms WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
