//! Webhooks: subscriptions (a URL, a signing secret and the events it wants), the delivery
//! log (one row per event sent to one webhook, with its attempts and the last answer), and
//! the cursor that says how far the event log has been fanned out.

use crate::models::Event;
use crate::{Backend, Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub secret: String,
    /// JSON array of event names; `"*"` for all.
    pub events: String,
    /// 1 when deliveries are made; 0 while paused.
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Webhook {
    pub fn event_list(&self) -> Vec<String> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }

    pub fn is_active(&self) -> bool {
        self.active != 0
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: Option<i64>,
    pub event: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub response_body: Option<String>,
    pub last_error: Option<String>,
    /// The node that made the last attempt.
    pub node: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

const SELECT: &str = "SELECT id, url, description, secret, events, active, \
     created_at, updated_at FROM webhooks";

const SELECT_DELIVERY: &str = "SELECT id, webhook_id, event_id, event, payload, status, \
     attempts, response_status, response_body, last_error, node, created_at, updated_at, \
     delivered_at FROM webhook_deliveries";

pub async fn list(conn: &mut Conn) -> Result<Vec<Webhook>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY id")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn active(conn: &mut Conn) -> Result<Vec<Webhook>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE active <> 0 ORDER BY id"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Webhook>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub struct WebhookInput<'a> {
    pub url: &'a str,
    pub description: &'a str,
    /// JSON array.
    pub events: &'a str,
    pub active: bool,
}

pub async fn insert(
    tx: &mut Conn,
    w: &WebhookInput<'_>,
    secret: &str,
    by: i64,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO webhooks (url, description, secret, events, active, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(w.url.to_string())
    .bind(w.description.to_string())
    .bind(secret.to_string())
    .bind(w.events.to_string())
    .bind(w.active as i64)
    .bind(by)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update(tx: &mut Conn, id: i64, w: &WebhookInput<'_>, at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhooks SET url = $2, description = $3, events = $4, active = $5, updated_at = $6 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(w.url.to_string())
    .bind(w.description.to_string())
    .bind(w.events.to_string())
    .bind(w.active as i64)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn insert_delivery(
    tx: &mut Conn,
    webhook_id: i64,
    event_id: Option<i64>,
    event: &str,
    payload: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5) RETURNING id",
    )
    .bind(webhook_id)
    .bind(event_id)
    .bind(event.to_string())
    .bind(payload.to_string())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn delivery(conn: &mut Conn, id: i64) -> Result<Option<Delivery>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_DELIVERY} WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A webhook's deliveries, newest first, before `before` (a delivery id) when given.
pub async fn deliveries(
    conn: &mut Conn,
    webhook_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_DELIVERY} WHERE webhook_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
    )))
    .bind(webhook_id)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// How one attempt went.
pub struct Attempt<'a> {
    /// `delivered`, `pending` (to be retried) or `failed` (given up).
    pub status: &'a str,
    pub response_status: Option<i64>,
    pub response_body: Option<&'a str>,
    pub error: Option<&'a str>,
    pub node: &'a str,
}

pub async fn record_attempt(tx: &mut Conn, id: i64, a: &Attempt<'_>, at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, response_status = $3, \
         response_body = $4, last_error = $5, node = $6, updated_at = $7, \
         delivered_at = CASE WHEN $2 = 'delivered' THEN $7 ELSE delivered_at END WHERE id = $1",
    )
    .bind(id)
    .bind(a.status.to_string())
    .bind(a.response_status)
    .bind(a.response_body.map(str::to_string))
    .bind(a.error.map(str::to_string))
    .bind(a.node.to_string())
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Sets a delivery pending again (a redelivery by hand).
pub async fn reset_delivery(tx: &mut Conn, id: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE webhook_deliveries SET status = 'pending', updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// The fan-out cursor, locked for this transaction. `None` on PostgreSQL when another node
/// holds it (that node is fanning out now).
pub async fn lock_cursor(tx: &mut Conn, backend: Backend) -> Result<Option<i64>> {
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT value FROM counters WHERE name = 'webhook_cursor'{lock}"
    )))
    .fetch_optional(tx)
    .await?)
}

pub async fn read_cursor(conn: &mut Conn) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'webhook_cursor'")
            .fetch_optional(conn)
            .await?
            .unwrap_or(0),
    )
}

pub async fn set_cursor(tx: &mut Conn, value: i64) -> Result<()> {
    sqlx::query("UPDATE counters SET value = $1 WHERE name = 'webhook_cursor'")
        .bind(value)
        .execute(tx)
        .await?;
    Ok(())
}

/// The newest event's id (0 when there is none).
pub async fn last_event_id(conn: &mut Conn) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM events")
            .fetch_one(conn)
            .await?
            .unwrap_or(0),
    )
}

/// Events after `after`, oldest first.
pub async fn events_after(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(
        "SELECT id, at, actor_kind, actor_id, NULL AS actor_name, subject_type, subject_id, \
         conversation_id, kind, data FROM events WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
