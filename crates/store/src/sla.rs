//! SLA policies (conditions, targets, calendar, pauses, warning time and escalation, the
//! structured parts as JSON the engine checks with `steward_domain::sla`), the facts a
//! conversation's clocks are worked out from, and the SLA columns of `conversations`.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub conditions: String,
    pub targets: String,
    pub calendar_id: Option<i64>,
    pub pause_pending: i64,
    pub pause_on_hold: i64,
    pub warn_minutes: i64,
    pub escalation: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A policy as written.
#[derive(Debug, Clone, Copy)]
pub struct PolicyFields<'a> {
    pub name: &'a str,
    pub conditions: &'a str,
    pub targets: &'a str,
    pub calendar_id: Option<i64>,
    pub pause_pending: bool,
    pub pause_on_hold: bool,
    pub warn_minutes: i64,
    pub escalation: &'a str,
}

const SELECT: &str = "SELECT id, name, position, conditions, targets, calendar_id, pause_pending, \
    pause_on_hold, warn_minutes, escalation, created_at, updated_at FROM sla_policies";

/// Every policy in the order they are tried.
pub async fn list(conn: &mut Conn) -> Result<Vec<PolicyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY position, id"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<PolicyRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Adds a policy last in the order; returns its id.
pub async fn insert(tx: &mut Conn, f: PolicyFields<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sla_policies (name, position, conditions, targets, calendar_id, \
         pause_pending, pause_on_hold, warn_minutes, escalation, created_at, updated_at) \
         VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM sla_policies), $2, $3, $4, \
         $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(f.name.to_string())
    .bind(f.conditions.to_string())
    .bind(f.targets.to_string())
    .bind(f.calendar_id)
    .bind(i64::from(f.pause_pending))
    .bind(i64::from(f.pause_on_hold))
    .bind(f.warn_minutes)
    .bind(f.escalation.to_string())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update(tx: &mut Conn, id: i64, f: PolicyFields<'_>, at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE sla_policies SET name = $2, conditions = $3, targets = $4, calendar_id = $5, \
         pause_pending = $6, pause_on_hold = $7, warn_minutes = $8, escalation = $9, \
         updated_at = $10 WHERE id = $1",
    )
    .bind(id)
    .bind(f.name.to_string())
    .bind(f.conditions.to_string())
    .bind(f.targets.to_string())
    .bind(f.calendar_id)
    .bind(i64::from(f.pause_pending))
    .bind(i64::from(f.pause_on_hold))
    .bind(f.warn_minutes)
    .bind(f.escalation.to_string())
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Sets the order: `ids` first to last (ids not listed keep their place after them).
pub async fn reorder(tx: &mut Conn, ids: &[i64]) -> Result<()> {
    crate::sql::set_positions(tx, crate::sql::Ordered::SlaPolicies, ids).await
}

/// Removes a policy; the conversations under it lose it until they are worked out again.
pub async fn delete(tx: &mut Conn, id: i64) -> Result<bool> {
    sqlx::query("UPDATE conversations SET sla_policy_id = NULL WHERE sla_policy_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM sla_policies WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The names of the policies that count in calendar `id`.
pub async fn using_calendar(conn: &mut Conn, id: i64) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT name FROM sla_policies WHERE calendar_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(conn)
            .await?,
    )
}

/// Records a change to SLA policies or calendars.
pub async fn bump_version(tx: &mut Conn) -> Result<()> {
    sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'sla_version'")
        .execute(tx)
        .await?;
    Ok(())
}

/// An event that moves SLA clocks or records what they did.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimelineRow {
    pub at: i64,
    pub kind: String,
    pub data: String,
}

/// What SLA conditions look at beyond the conversation row (its tags, its customer's
/// organization and tier, the calendar of its team, else of its inbox) and the SLA version, in one query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationFacts {
    pub organization_id: Option<i64>,
    pub tier: Option<String>,
    pub calendar_id: Option<i64>,
    pub version: i64,
    /// Tag names joined by U+001F.
    pub tags: Option<String>,
}

impl ConversationFacts {
    pub fn tag_names(&self) -> Vec<String> {
        self.tags
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| t.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// The [`ConversationFacts`] columns, for a query over `conversations c` joined to its
/// customer `cu` and (left) its team `t`.
pub(crate) fn facts_columns(backend: crate::Backend) -> String {
    format!(
        "cu.organization_id, cu.tier, COALESCE(t.calendar_id, (SELECT ist.calendar_id FROM inbox_settings ist \
         WHERE ist.address = c.inbox)) AS calendar_id, \
         (SELECT value FROM counters WHERE name = 'sla_version') AS version, \
         (SELECT {} FROM conversation_tags ct JOIN tags tg ON tg.id = ct.tag_id \
          WHERE ct.conversation_id = c.id) AS tags",
        backend.join_text("tg.name")
    )
}

pub async fn facts(
    conn: &mut Conn,
    backend: crate::Backend,
    id: i64,
) -> Result<Option<ConversationFacts>> {
    let sql = format!(
        "SELECT {} FROM conversations c JOIN customers cu ON cu.id = c.customer_id \
         LEFT JOIN teams t ON t.id = c.team_id WHERE c.id = $1",
        facts_columns(backend)
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The events an SLA is worked out from (opened, messages, status changes, warnings and
/// breaches already recorded), oldest first. Read only when a policy applies: it grows with the
/// conversation.
pub async fn timeline(conn: &mut Conn, id: i64) -> Result<Vec<TimelineRow>> {
    Ok(sqlx::query_as(
        "SELECT e.at, e.kind, e.data FROM events e WHERE e.conversation_id = $1 AND e.kind IN \
         ('conversation.created', 'message.created', 'status.changed', 'sla.warning', \
         'sla.breached') ORDER BY e.at, e.id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// A conversation's SLA at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Glance<'a> {
    pub policy_id: Option<i64>,
    pub due_at: Option<i64>,
    pub breached_at: Option<i64>,
    pub state: Option<&'a str>,
    /// When the SLA timer is set for.
    pub check_at: Option<i64>,
}

impl Glance<'_> {
    /// What conversation `c` has now.
    pub fn of(c: &crate::models::Conversation) -> Glance<'_> {
        Glance {
            policy_id: c.sla_policy_id,
            due_at: c.sla_due_at,
            breached_at: c.sla_breached_at,
            state: c.sla_state.as_deref(),
            check_at: c.sla_check_at,
        }
    }
}

pub async fn set_glance(tx: &mut Conn, id: i64, g: Glance<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET sla_policy_id = $2, sla_due_at = $3, sla_breached_at = $4, \
         sla_state = $5, sla_check_at = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(g.policy_id)
    .bind(g.due_at)
    .bind(g.breached_at)
    .bind(g.state.map(str::to_string))
    .bind(g.check_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Conversations still being worked on, by id after `after`, for working SLAs out again.
pub async fn active_after(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM conversations WHERE id > $1 AND merged_into IS NULL \
         AND status IN ('new', 'open', 'pending', 'on_hold') ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
