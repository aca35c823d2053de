//! Macros (canned replies): a title and a body with placeholders, shared with everyone
//! (`owner_id` null) or personal to one agent.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Macro {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub owner_id: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str =
    "SELECT id, title, body, owner_id, created_by, created_at, updated_at FROM macros";

/// The shared macros and `user`'s own, by title.
pub async fn visible_to(conn: &mut Conn, user: i64) -> Result<Vec<Macro>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE owner_id IS NULL OR owner_id = $1 ORDER BY title, id"
    )))
    .bind(user)
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Macro>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn insert(
    tx: &mut Conn,
    title: &str,
    body: &str,
    owner_id: Option<i64>,
    created_by: i64,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO macros (title, body, owner_id, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(title.to_string())
    .bind(body.to_string())
    .bind(owner_id)
    .bind(created_by)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update(tx: &mut Conn, id: i64, title: &str, body: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE macros SET title = $2, body = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(title.to_string())
        .bind(body.to_string())
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM macros WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}
