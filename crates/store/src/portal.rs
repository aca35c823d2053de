//! The customer portal's one-time links (`portal_links`) and sessions (`portal_sessions`).
//! Only SHA-256 digests of the secrets are stored. A link is used by one conditional update,
//! so two clicks racing cannot both succeed.

use crate::{Conn, Result};
use sqlx::FromRow;

/// What a link does when opened.
pub const SIGN_IN: &str = "sign_in";
/// Confirms a new email address for `customer_id`.
pub const CONFIRM_EMAIL: &str = "confirm_email";

#[derive(Debug, Clone, FromRow)]
pub struct Link {
    pub id: i64,
    pub purpose: String,
    pub email: String,
    pub customer_id: Option<i64>,
    pub next_path: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub struct NewLink<'a> {
    pub token_sha256: &'a str,
    pub purpose: &'a str,
    pub email: &'a str,
    pub customer_id: Option<i64>,
    pub next_path: Option<&'a str>,
    pub at: i64,
    pub expires_at: i64,
}

pub async fn insert_link(tx: &mut Conn, l: &NewLink<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO portal_links (token_sha256, purpose, email, customer_id, next_path, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(l.token_sha256.to_string())
    .bind(l.purpose.to_string())
    .bind(l.email.to_string())
    .bind(l.customer_id)
    .bind(l.next_path.map(str::to_string))
    .bind(l.at)
    .bind(l.expires_at)
    .fetch_one(tx)
    .await?)
}

/// How many links of `purpose` went to `email` since `since` (the sending limit).
pub async fn links_sent(conn: &mut Conn, email: &str, purpose: &str, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM portal_links WHERE email = $1 AND purpose = $2 AND created_at >= $3",
    )
    .bind(email.to_string())
    .bind(purpose.to_string())
    .bind(since)
    .fetch_one(conn)
    .await?)
}

pub async fn link(conn: &mut Conn, token_sha256: &str) -> Result<Option<Link>> {
    Ok(sqlx::query_as(
        "SELECT id, purpose, email, customer_id, next_path, expires_at, used_at \
         FROM portal_links WHERE token_sha256 = $1",
    )
    .bind(token_sha256.to_string())
    .fetch_optional(conn)
    .await?)
}

/// Marks link `id` used; false when it already was (or has expired by `at`).
pub async fn use_link(tx: &mut Conn, id: i64, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE portal_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(at)
    .bind(id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub customer_id: i64,
    pub csrf: String,
    pub expires_at: i64,
}

pub async fn create_session(
    tx: &mut Conn,
    token_sha256: &str,
    customer_id: i64,
    csrf: &str,
    at: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_sessions (token_sha256, customer_id, csrf, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_sha256.to_string())
    .bind(customer_id)
    .bind(csrf.to_string())
    .bind(at)
    .bind(expires_at)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn session(conn: &mut Conn, token_sha256: &str) -> Result<Option<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT customer_id, csrf, expires_at FROM portal_sessions WHERE token_sha256 = $1",
    )
    .bind(token_sha256.to_string())
    .fetch_optional(conn)
    .await?)
}

pub async fn delete_session(tx: &mut Conn, token_sha256: &str) -> Result<()> {
    sqlx::query("DELETE FROM portal_sessions WHERE token_sha256 = $1")
        .bind(token_sha256.to_string())
        .execute(tx)
        .await?;
    Ok(())
}

/// Ends every portal session of a customer except `keep` (after an email change).
pub async fn delete_other_sessions(tx: &mut Conn, customer_id: i64, keep: &str) -> Result<()> {
    sqlx::query("DELETE FROM portal_sessions WHERE customer_id = $1 AND token_sha256 <> $2")
        .bind(customer_id)
        .bind(keep.to_string())
        .execute(tx)
        .await?;
    Ok(())
}

/// The customer's portal password hash, if they set one.
pub async fn password(conn: &mut Conn, customer_id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT hash FROM portal_passwords WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set_password(tx: &mut Conn, customer_id: i64, hash: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_passwords (customer_id, hash, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
    )
    .bind(customer_id)
    .bind(hash.to_string())
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn delete_password(tx: &mut Conn, customer_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM portal_passwords WHERE customer_id = $1")
        .bind(customer_id)
        .execute(tx)
        .await?;
    Ok(())
}
