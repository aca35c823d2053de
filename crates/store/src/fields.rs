//! Custom field definitions for conversations.

use crate::models::FieldDefRow;
use crate::{Conn, Result};

const SELECT: &str = "SELECT id, key, label, kind, options, position FROM custom_field_defs";

pub async fn list(conn: &mut Conn) -> Result<Vec<FieldDefRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY position, id"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<FieldDefRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn insert(
    tx: &mut Conn,
    key: &str,
    label: &str,
    kind: &str,
    options_json: &str,
    position: i64,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO custom_field_defs (key, label, kind, options, position, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(key.to_string())
    .bind(label.to_string())
    .bind(kind.to_string())
    .bind(options_json.to_string())
    .bind(position)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update(
    tx: &mut Conn,
    id: i64,
    label: &str,
    options_json: &str,
    position: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE custom_field_defs SET label = $1, options = $2, position = $3 WHERE id = $4",
    )
    .bind(label.to_string())
    .bind(options_json.to_string())
    .bind(position)
    .bind(id)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM custom_field_defs WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}
