//! Report schedules (`report_schedules`): each one's definition as JSON, who made it, when it
//! last went out and when it goes next.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRow {
    pub id: i64,
    pub name: String,
    /// JSON of `steward_domain::report_schedule::Schedule`.
    pub definition: String,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_sent_at: Option<i64>,
    pub next_run_at: Option<i64>,
}

const SELECT: &str = "SELECT id, name, definition, created_by, created_at, updated_at, \
    last_sent_at, next_run_at FROM report_schedules";

pub async fn list(conn: &mut Conn) -> Result<Vec<ScheduleRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY id")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<ScheduleRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn insert(
    tx: &mut Conn,
    name: &str,
    definition: &str,
    created_by: i64,
    next_run_at: Option<i64>,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO report_schedules (name, definition, created_by, created_at, updated_at, next_run_at) \
         VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
    )
    .bind(name.to_string())
    .bind(definition.to_string())
    .bind(created_by)
    .bind(at)
    .bind(next_run_at)
    .fetch_one(tx)
    .await?)
}

pub async fn update(
    tx: &mut Conn,
    id: i64,
    name: &str,
    definition: &str,
    next_run_at: Option<i64>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE report_schedules SET name = $2, definition = $3, next_run_at = $4, updated_at = $5 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(name.to_string())
    .bind(definition.to_string())
    .bind(next_run_at)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Notes a mail sent at `at` and the next run.
pub async fn sent(tx: &mut Conn, id: i64, at: i64, next_run_at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE report_schedules SET last_sent_at = $2, next_run_at = $3 WHERE id = $1")
        .bind(id)
        .bind(at)
        .bind(next_run_at)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM report_schedules WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}
