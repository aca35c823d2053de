//! Workspace sessions and API tokens. Only SHA-256 digests of the secrets are stored; the
//! secrets themselves exist in the browser's cookie or the integrator's config.

use crate::{Conn, Result};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub csrf: String,
    pub expires_at: i64,
}

pub async fn create(
    tx: &mut Conn,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    at: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash.to_string())
        .bind(user_id)
        .bind(csrf.to_string())
        .bind(at)
        .bind(expires_at)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, token_hash: &str) -> Result<Option<SessionRow>> {
    Ok(
        sqlx::query_as("SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn delete(tx: &mut Conn, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash.to_string())
        .execute(tx)
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password change or deactivation).
pub async fn delete_for_user(tx: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn create_token(
    tx: &mut Conn,
    user_id: i64,
    name: &str,
    token_hash: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(name.to_string())
    .bind(token_hash.to_string())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

/// The user a token belongs to.
pub async fn token_user(conn: &mut Conn, token_hash: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM api_tokens WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .fetch_optional(conn)
            .await?,
    )
}
