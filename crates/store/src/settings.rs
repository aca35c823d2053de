//! Workspace settings by name (`settings`), each a JSON document the engine checks.

use crate::{Conn, Result};

pub async fn get(conn: &mut Conn, name: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set(tx: &mut Conn, name: &str, value: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(name.to_string())
    .bind(value.to_string())
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}
