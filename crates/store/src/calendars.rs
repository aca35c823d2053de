//! Business-hours calendars: a name, a time zone, weekly hours (`{"mon": [["09:00",
//! "17:00"]], …}`) and holidays (`[{"date": "2026-12-25", "name": "Christmas"}]`), as JSON
//! that the engine checks with `steward_domain::calendar`.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarRow {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub hours: String,
    pub holidays: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str =
    "SELECT id, name, time_zone, hours, holidays, created_at, updated_at FROM calendars";

pub async fn list(conn: &mut Conn) -> Result<Vec<CalendarRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY name, id")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<CalendarRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Adds (`id` `None`) or replaces a calendar; returns its id.
pub async fn save(
    tx: &mut Conn,
    id: Option<i64>,
    name: &str,
    time_zone: &str,
    hours: &str,
    holidays: &str,
    at: i64,
) -> Result<i64> {
    match id {
        None => Ok(sqlx::query_scalar(
            "INSERT INTO calendars (name, time_zone, hours, holidays, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(name.to_string())
        .bind(time_zone.to_string())
        .bind(hours.to_string())
        .bind(holidays.to_string())
        .bind(at)
        .fetch_one(tx)
        .await?),
        Some(id) => {
            sqlx::query(
                "UPDATE calendars SET name = $2, time_zone = $3, hours = $4, holidays = $5, \
                 updated_at = $6 WHERE id = $1",
            )
            .bind(id)
            .bind(name.to_string())
            .bind(time_zone.to_string())
            .bind(hours.to_string())
            .bind(holidays.to_string())
            .bind(at)
            .execute(tx)
            .await?;
            Ok(id)
        }
    }
}

/// The names of the teams that work by calendar `id`.
pub async fn teams_using(conn: &mut Conn, id: i64) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT name FROM teams WHERE calendar_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(conn)
            .await?,
    )
}

pub async fn delete(tx: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM calendars WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}
