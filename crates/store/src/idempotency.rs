//! Idempotency keys for POST requests: the first request with a key runs and its response is
//! kept; a retry with the same key and body gets the same response back instead of a second
//! change.

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// No earlier request: run this one.
    Fresh,
    /// An earlier identical request finished: replay its response.
    Replay {
        status: u16,
        content_type: String,
        body: String,
    },
    /// An earlier request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// (request hash, status, content type, response, created at) of a key already used.
type StoredKey = (String, i64, Option<String>, Option<String>, i64);

/// A claim still unfinished after this long belongs to a request that died (client gone,
/// process stopped); a retry may take it over.
pub const STALE_MS: i64 = 60_000;

pub async fn claim(
    tx: &mut Conn,
    scope: &str,
    key: &str,
    request_hash: &str,
    at: i64,
) -> Result<Claim> {
    let existing: Option<StoredKey> = sqlx::query_as(
        "SELECT request_hash, status, content_type, response, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2",
    )
    .bind(scope.to_string())
    .bind(key.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    match existing {
        None => {
            sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at) VALUES ($1, $2, $3, 0, $4)",
            )
            .bind(scope.to_string())
            .bind(key.to_string())
            .bind(request_hash.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            Ok(Claim::Fresh)
        }
        Some((_, 0, _, _, created)) if created < at - STALE_MS => {
            sqlx::query("UPDATE idempotency_keys SET request_hash = $1, created_at = $2 WHERE scope = $3 AND key = $4")
                .bind(request_hash.to_string())
                .bind(at)
                .bind(scope.to_string())
                .bind(key.to_string())
                .execute(&mut *tx)
                .await?;
            Ok(Claim::Fresh)
        }
        Some((hash, _, _, _, _)) if hash != request_hash => Ok(Claim::Mismatch),
        Some((_, 0, _, _, _)) => Ok(Claim::InProgress),
        Some((_, status, ct, body, _)) => Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            content_type: ct.unwrap_or_default(),
            body: body.unwrap_or_default(),
        }),
    }
}

pub async fn finish(
    tx: &mut Conn,
    scope: &str,
    key: &str,
    status: u16,
    content_type: &str,
    body: &str,
) -> Result<()> {
    sqlx::query("UPDATE idempotency_keys SET status = $1, content_type = $2, response = $3 WHERE scope = $4 AND key = $5")
        .bind(i64::from(status))
        .bind(content_type.to_string())
        .bind(body.to_string())
        .bind(scope.to_string())
        .bind(key.to_string())
        .execute(tx)
        .await?;
    Ok(())
}

/// Forgets a claim whose request failed on the server's side, so a retry runs again.
pub async fn release(tx: &mut Conn, scope: &str, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
        .bind(scope.to_string())
        .bind(key.to_string())
        .execute(tx)
        .await?;
    Ok(())
}
