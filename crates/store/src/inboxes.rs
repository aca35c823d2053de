//! Inboxes that admins added in the workspace or API (`inboxes`), each with at most one IMAP
//! mailbox. Inboxes from the config file are not stored here.

use crate::{Conn, Result};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub address: String,
    pub name: String,
    pub team: Option<String>,
    pub acknowledge: i64,
    pub acknowledgement: Option<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<i64>,
    pub imap_security: Option<String>,
    pub imap_username: Option<String>,
    pub imap_password: Option<String>,
    pub imap_folder: Option<String>,
    pub imap_poll_seconds: Option<i64>,
}

const SELECT: &str = "SELECT id, address, name, team, acknowledge, acknowledgement, imap_host, imap_port, \
     imap_security, imap_username, imap_password, imap_folder, imap_poll_seconds FROM inboxes";

pub async fn list(conn: &mut Conn) -> Result<Vec<InboxRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY address")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn get(conn: &mut Conn, address: &str) -> Result<Option<InboxRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE address = $1")))
            .bind(address.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

/// Inserts `r` (its `id` is ignored) or replaces the row with the same address; returns the id.
pub async fn save(tx: &mut Conn, r: &InboxRow, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO inboxes (address, name, team, acknowledge, acknowledgement, imap_host, imap_port, \
         imap_security, imap_username, imap_password, imap_folder, imap_poll_seconds, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (address) DO UPDATE SET name = excluded.name, team = excluded.team, \
           acknowledge = excluded.acknowledge, acknowledgement = excluded.acknowledgement, \
           imap_host = excluded.imap_host, imap_port = excluded.imap_port, \
           imap_security = excluded.imap_security, imap_username = excluded.imap_username, \
           imap_password = excluded.imap_password, imap_folder = excluded.imap_folder, \
           imap_poll_seconds = excluded.imap_poll_seconds \
         RETURNING id",
    )
    .bind(r.address.clone())
    .bind(r.name.clone())
    .bind(r.team.clone())
    .bind(r.acknowledge)
    .bind(r.acknowledgement.clone())
    .bind(r.imap_host.clone())
    .bind(r.imap_port)
    .bind(r.imap_security.clone())
    .bind(r.imap_username.clone())
    .bind(r.imap_password.clone())
    .bind(r.imap_folder.clone())
    .bind(r.imap_poll_seconds)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn delete(tx: &mut Conn, address: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM inboxes WHERE address = $1")
        .bind(address.to_string())
        .execute(tx)
        .await?
        .rows_affected()
        == 1)
}

/// What an inbox (stored or from the config file) adds to its team's way of working: the
/// calendar its conversations count business hours by and how they are routed. `None` leaves
/// it to the team.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct InboxSettings {
    pub address: String,
    pub calendar_id: Option<i64>,
    pub routing_mode: Option<String>,
}

const SETTINGS: &str = "SELECT address, calendar_id, routing_mode FROM inbox_settings";

pub async fn all_settings(conn: &mut Conn) -> Result<Vec<InboxSettings>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SETTINGS} ORDER BY address")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn settings(conn: &mut Conn, address: &str) -> Result<Option<InboxSettings>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SETTINGS} WHERE address = $1"
    )))
    .bind(address.to_string())
    .fetch_optional(conn)
    .await?)
}

pub async fn set_settings(tx: &mut Conn, s: &InboxSettings) -> Result<()> {
    sqlx::query(
        "INSERT INTO inbox_settings (address, calendar_id, routing_mode) VALUES ($1, $2, $3) \
         ON CONFLICT (address) DO UPDATE SET calendar_id = excluded.calendar_id, \
         routing_mode = excluded.routing_mode",
    )
    .bind(s.address.clone())
    .bind(s.calendar_id)
    .bind(s.routing_mode.clone())
    .execute(tx)
    .await?;
    Ok(())
}

/// The inboxes whose conversations count business hours by calendar `id`.
pub async fn using_calendar(conn: &mut Conn, id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT address FROM inbox_settings WHERE calendar_id = $1 ORDER BY address",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}
