//! Automation rules: name, order, on or off, trigger, and conditions and actions as JSON.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub active: i64,
    pub trigger_kind: String,
    pub conditions: String,
    pub actions: String,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT id, name, position, active, trigger_kind, conditions, actions, \
    updated_at FROM automations";

pub async fn list(conn: &mut Conn) -> Result<Vec<RuleRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY position, id"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<RuleRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A rule as written.
#[derive(Debug, Clone, Copy)]
pub struct RuleFields<'a> {
    pub name: &'a str,
    pub active: bool,
    pub trigger_kind: &'a str,
    pub conditions: &'a str,
    pub actions: &'a str,
}

/// Adds (`id` `None`, last in the order) or replaces a rule; returns its id.
pub async fn save(tx: &mut Conn, id: Option<i64>, f: RuleFields<'_>, at: i64) -> Result<i64> {
    let q = match id {
        None => sqlx::query_scalar(
            "INSERT INTO automations (name, active, trigger_kind, conditions, actions, created_at, \
             updated_at, position) VALUES ($1, $2, $3, $4, $5, $6, $6, \
             (SELECT COALESCE(MAX(position), 0) + 1 FROM automations)) RETURNING id",
        ),
        Some(_) => sqlx::query_scalar(
            "UPDATE automations SET name = $1, active = $2, trigger_kind = $3, conditions = $4, \
             actions = $5, updated_at = $6 WHERE id = $7 RETURNING id",
        ),
    };
    let q = q
        .bind(f.name.to_string())
        .bind(i64::from(f.active))
        .bind(f.trigger_kind.to_string())
        .bind(f.conditions.to_string())
        .bind(f.actions.to_string())
        .bind(at);
    let q = match id {
        Some(id) => q.bind(id),
        None => q,
    };
    Ok(q.fetch_one(tx).await?)
}

/// Sets the order: `ids` first to last.
pub async fn reorder(tx: &mut Conn, ids: &[i64]) -> Result<()> {
    crate::sql::set_positions(tx, crate::sql::Ordered::Automations, ids).await
}

pub async fn delete(tx: &mut Conn, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM automations WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?
        .rows_affected()
        > 0)
}

/// Candidates for a time rule, oldest first: open conversations (new, open, pending, on hold)
/// not updated since `before`; with `pending_only`, every pending one, since how long it has
/// been pending is told by `pending_since`, which later notes do not move.
pub async fn idle_since(
    conn: &mut Conn,
    before: i64,
    pending_only: bool,
    limit: i64,
) -> Result<Vec<i64>> {
    if pending_only {
        return Ok(sqlx::query_scalar(
            "SELECT id FROM conversations WHERE merged_into IS NULL AND status = 'pending' \
             ORDER BY updated_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(conn)
        .await?);
    }
    Ok(sqlx::query_scalar(
        "SELECT id FROM conversations WHERE merged_into IS NULL \
         AND status IN ('new', 'open', 'pending', 'on_hold') \
         AND updated_at <= $1 ORDER BY updated_at, id LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// When conversation `id` last became pending, from its event log.
pub async fn pending_since(conn: &mut Conn, id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT MAX(at) FROM events WHERE conversation_id = $1 AND kind = 'status.changed' \
         AND data LIKE '%\"after\":\"pending\"%'",
    )
    .bind(id)
    .fetch_one(conn)
    .await?)
}

/// The newest open conversations, for a dry run.
pub async fn recent_open(conn: &mut Conn, limit: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM conversations WHERE merged_into IS NULL \
         AND status IN ('new', 'open', 'pending', 'on_hold') ORDER BY last_activity_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The latest message text of a conversation (for text conditions).
pub async fn latest_text(conn: &mut Conn, conversation_id: i64) -> Result<String> {
    Ok(sqlx::query_scalar(
        "SELECT body_text FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(conversation_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}
