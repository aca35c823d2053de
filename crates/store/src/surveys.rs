//! CSAT surveys (`surveys`): one per conversation, sent once, found by the SHA-256 digest of
//! the token in its links, answered (and re-answered for a while) by the customer.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Survey {
    pub id: i64,
    pub conversation_id: i64,
    pub customer_id: i64,
    pub scale: String,
    pub channel: String,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub sent_at: i64,
    pub rating: Option<i64>,
    pub comment: Option<String>,
    /// When the answer last changed.
    pub rated_at: Option<i64>,
    /// When it was first answered (changes are allowed for a while after).
    pub first_rated_at: Option<i64>,
}

const SELECT: &str = "SELECT id, conversation_id, customer_id, scale, channel, team_id, \
     assignee_id, sent_at, rating, comment, rated_at, first_rated_at FROM surveys";

pub struct NewSurvey<'a> {
    pub conversation_id: i64,
    pub customer_id: i64,
    pub token_sha256: &'a str,
    pub scale: &'a str,
    pub channel: &'a str,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub at: i64,
}

pub async fn insert(tx: &mut Conn, s: &NewSurvey<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO surveys (conversation_id, customer_id, token_sha256, scale, channel, \
         team_id, assignee_id, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(s.conversation_id)
    .bind(s.customer_id)
    .bind(s.token_sha256.to_string())
    .bind(s.scale.to_string())
    .bind(s.channel.to_string())
    .bind(s.team_id)
    .bind(s.assignee_id)
    .bind(s.at)
    .fetch_one(tx)
    .await?)
}

pub async fn by_token(conn: &mut Conn, token_sha256: &str) -> Result<Option<Survey>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE token_sha256 = $1"
    )))
    .bind(token_sha256.to_string())
    .fetch_optional(conn)
    .await?)
}

pub async fn of_conversation(conn: &mut Conn, conversation_id: i64) -> Result<Option<Survey>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE conversation_id = $1"
    )))
    .bind(conversation_id)
    .fetch_optional(conn)
    .await?)
}

/// A customer's surveys, newest first.
pub async fn of_customer(conn: &mut Conn, customer_id: i64, limit: i64) -> Result<Vec<Survey>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE customer_id = $1 ORDER BY sent_at DESC, id DESC LIMIT $2"
    )))
    .bind(customer_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Answers rated in `[from, to)`, oldest first, at most `limit`.
pub async fn rated_between(conn: &mut Conn, from: i64, to: i64, limit: i64) -> Result<Vec<Survey>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE rated_at >= $1 AND rated_at < $2 ORDER BY rated_at, id LIMIT $3"
    )))
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Whether the customer was sent a survey at or after `since`.
pub async fn asked_since(conn: &mut Conn, customer_id: i64, since: i64) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM surveys WHERE customer_id = $1 AND sent_at >= $2")
            .bind(customer_id)
            .bind(since)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

pub async fn answer(
    tx: &mut Conn,
    id: i64,
    rating: i64,
    comment: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE surveys SET rating = $2, comment = $3, rated_at = $4, \
         first_rated_at = COALESCE(first_rated_at, $4) WHERE id = $1",
    )
    .bind(id)
    .bind(rating)
    .bind(comment.map(str::to_string))
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}
