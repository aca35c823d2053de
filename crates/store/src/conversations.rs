//! Conversations: the ticket rows, their tags and followers, and the filtered, scoped,
//! cursor-paginated lists behind the inbox and the API.

use crate::models::Conversation;
use crate::sql::Sql;
use crate::{Conn, Result};
use steward_domain::policy::ConversationScope;
use steward_domain::{Channel, Priority, Status};

pub(crate) const SELECT: &str = "SELECT c.id, c.number, c.subject, c.status, c.priority, c.channel, \
    c.customer_id, cu.name AS customer_name, \
    (SELECT ci.value FROM customer_identities ci WHERE ci.customer_id = c.customer_id AND ci.kind = 'email' ORDER BY ci.id LIMIT 1) AS customer_email, \
    c.assignee_id, u.name AS assignee_name, c.team_id, t.name AS team_name, c.custom_fields, \
    c.merged_into, c.follow_up_of, c.message_count, c.created_at, c.updated_at, c.last_activity_at, \
    c.first_response_at, c.solved_at, c.closed_at, \
    c.sla_policy_id, c.sla_due_at, c.sla_breached_at, c.sla_state, c.sla_check_at, c.inbox, c.agent_replies \
    FROM conversations c \
    JOIN customers cu ON cu.id = c.customer_id \
    LEFT JOIN users u ON u.id = c.assignee_id \
    LEFT JOIN teams t ON t.id = c.team_id";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Conversation>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE c.id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// Reads a conversation inside a write transaction and keeps others from changing it until
/// this transaction ends.
pub async fn get_for_update(
    tx: &mut Conn,
    backend: crate::Backend,
    id: i64,
) -> Result<Option<Conversation>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE c.id = ").bind(id);
    q.push(backend.lock_conversation_rows());
    Ok(q.query_as().fetch_optional(tx).await?)
}

/// A conversation read under the write lock together with what the change about to be made
/// needs beside it.
pub struct Locked {
    pub conversation: Conversation,
    /// The agents who follow it (who hear of the change).
    pub followers: Vec<i64>,
    /// What automations, routing and SLAs look at; still true after a change that touches
    /// neither the customer, the team, the inbox nor the tags.
    pub facts: crate::sla::ConversationFacts,
}

/// [`get_for_update`], with its followers and its facts read in the same statement.
pub async fn get_for_update_in_full(
    tx: &mut Conn,
    backend: crate::Backend,
    id: i64,
) -> Result<Option<Locked>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        conversation: Conversation,
        followers: Option<String>,
        #[sqlx(flatten)]
        facts: crate::sla::ConversationFacts,
    }
    let extra = format!(
        ", (SELECT {} FROM conversation_followers f WHERE f.conversation_id = c.id) AS followers, \
         {} FROM conversations c ",
        backend.join_text("CAST(f.user_id AS TEXT)"),
        crate::sla::facts_columns(backend)
    );
    let mut q = Sql::new(&SELECT.replacen(" FROM conversations c ", &extra, 1));
    q.push(" WHERE c.id = ").bind(id);
    q.push(backend.lock_conversation_rows());
    let row: Option<Row> = q.query_as().fetch_optional(tx).await?;
    Ok(row.map(|r| Locked {
        followers: r
            .followers
            .as_deref()
            .unwrap_or_default()
            .split('\u{1f}')
            .filter_map(|id| id.parse().ok())
            .collect(),
        conversation: r.conversation,
        facts: r.facts,
    }))
}

pub async fn get_by_number(conn: &mut Conn, number: i64) -> Result<Option<Conversation>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE c.number = ").bind(number);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// Takes the next conversation number. Inside a write transaction, so numbers are never
/// reused, even across nodes on PostgreSQL (the counter row is locked until commit).
pub async fn next_number(tx: &mut Conn) -> Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + 1 WHERE name = 'conversation_number' RETURNING value",
    )
    .fetch_one(tx)
    .await?;
    Ok(n)
}

pub struct NewConversation<'a> {
    pub number: i64,
    pub subject: &'a str,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub customer_id: i64,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub custom_fields: &'a str,
    pub follow_up_of: Option<i64>,
    /// The inbox it arrived through (lower case).
    pub inbox: Option<&'a str>,
    pub at: i64,
}

pub async fn insert(tx: &mut Conn, c: &NewConversation<'_>) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (number, subject, status, priority, channel, customer_id, \
         assignee_id, team_id, custom_fields, follow_up_of, created_at, updated_at, last_activity_at, inbox) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, $12) RETURNING id",
    )
    .bind(c.number)
    .bind(c.subject.to_string())
    .bind(c.status.as_str())
    .bind(c.priority.as_str())
    .bind(c.channel.as_str())
    .bind(c.customer_id)
    .bind(c.assignee_id)
    .bind(c.team_id)
    .bind(c.custom_fields.to_string())
    .bind(c.follow_up_of)
    .bind(c.at)
    .bind(c.inbox.map(str::to_string))
    .fetch_one(tx)
    .await?;
    Ok(id)
}

/// The columns a command may change; `None` leaves a column as it is.
#[derive(Debug, Default)]
pub struct Changes {
    pub subject: Option<String>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    pub custom_fields: Option<String>,
    pub merged_into: Option<i64>,
    pub first_response_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub customer_id: Option<i64>,
    /// Public agent replies added (negative when moved away).
    pub agent_replies: i64,
}

/// Writes `changes`, bumps `updated_at` (and `last_activity_at` when `activity`), and adds
/// `new_messages` to the message count.
pub async fn update(
    tx: &mut Conn,
    id: i64,
    changes: &Changes,
    at: i64,
    activity: bool,
    new_messages: i64,
) -> Result<()> {
    let mut q = Sql::new("UPDATE conversations SET updated_at = ");
    q.bind(at);
    if activity {
        q.push(", last_activity_at = ").bind(at);
    }
    if new_messages != 0 {
        q.push(", message_count = message_count + ")
            .bind(new_messages);
    }
    if let Some(v) = &changes.subject {
        q.push(", subject = ").bind(v.clone());
    }
    if changes.agent_replies != 0 {
        q.push(", agent_replies = agent_replies + ")
            .bind(changes.agent_replies);
    }
    if let Some(v) = changes.status {
        // The reopen count moves with the status it counts: from solved or closed (the row's
        // status before this statement) back to open work.
        if !matches!(v, Status::Solved | Status::Closed) {
            q.push(
                ", reopen_count = reopen_count + \
                 CASE WHEN status IN ('solved', 'closed') THEN 1 ELSE 0 END",
            );
        }
        q.push(", status = ").bind(v.as_str());
    }
    if let Some(v) = changes.priority {
        q.push(", priority = ").bind(v.as_str());
    }
    if let Some(v) = changes.assignee_id {
        q.push(", assignee_id = ").bind(v);
    }
    if let Some(v) = changes.team_id {
        q.push(", team_id = ").bind(v);
    }
    if let Some(v) = &changes.custom_fields {
        q.push(", custom_fields = ").bind(v.clone());
    }
    if let Some(v) = changes.merged_into {
        q.push(", merged_into = ").bind(v);
    }
    if let Some(v) = changes.first_response_at {
        q.push(", first_response_at = ").bind(v);
    }
    if let Some(v) = changes.solved_at {
        q.push(", solved_at = ").bind(v);
    }
    if let Some(v) = changes.closed_at {
        q.push(", closed_at = ").bind(v);
    }
    if let Some(v) = changes.customer_id {
        q.push(", customer_id = ").bind(v);
    }
    q.push(" WHERE id = ").bind(id);
    q.query().execute(tx).await?;
    Ok(())
}

/// The row [`update`] leaves when `changes` is empty and `activity` is set, worked out from the
/// row read before it (under the write lock), so the writer need not read it again.
pub fn touched(c: &Conversation, at: i64, new_messages: i64) -> Conversation {
    Conversation {
        updated_at: at,
        last_activity_at: at,
        message_count: c.message_count + new_messages,
        ..c.clone()
    }
}

/// Tag names per conversation, for a page of conversations.
pub async fn tags_of(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT ct.conversation_id, t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id \
         WHERE ct.conversation_id IN ",
    );
    q.bind_list(ids).push(" ORDER BY t.name");
    let rows: Vec<(i64, String)> = q.query_as().fetch_all(conn).await?;
    Ok(rows)
}

/// Whether a conversation is tagged `complaint`, as kept on its row for reports.
pub(crate) const COMPLAINT: &str = "complaint = CASE WHEN EXISTS (SELECT 1 FROM conversation_tags ct \
    JOIN tags t ON t.id = ct.tag_id WHERE ct.conversation_id = conversations.id \
    AND t.name = 'complaint') THEN 1 ELSE 0 END";

pub async fn set_tags(tx: &mut Conn, id: i64, tag_ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for tag in tag_ids {
        sqlx::query("INSERT INTO conversation_tags (conversation_id, tag_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*tag)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE conversations SET {COMPLAINT} WHERE id = $1"
    )))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn followers(conn: &mut Conn, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM conversation_followers WHERE conversation_id = $1 ORDER BY user_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Adds one follower, if not already following.
pub async fn add_follower(tx: &mut Conn, id: i64, user: i64) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO conversation_followers (conversation_id, user_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user)
    .execute(tx)
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_followers(tx: &mut Conn, id: i64, users: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM conversation_followers WHERE conversation_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for user in users {
        sqlx::query(
            "INSERT INTO conversation_followers (conversation_id, user_id) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(*user)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Which assignee a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    User(i64),
    Nobody,
}

/// The order of a list. Every order is an integer key plus the id, so one cursor form serves all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    LastActivity,
    Newest,
    Oldest,
    Updated,
    Priority,
    /// Soonest SLA due time first; conversations without one last.
    SlaDue,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "last_activity" => Sort::LastActivity,
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            "updated" => Sort::Updated,
            "priority" => Sort::Priority,
            "sla_due" => Sort::SlaDue,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::LastActivity => "last_activity",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Updated => "updated",
            Sort::Priority => "priority",
            Sort::SlaDue => "sla_due",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Sort::LastActivity => "c.last_activity_at",
            Sort::Newest | Sort::Oldest => "c.created_at",
            Sort::Updated => "c.updated_at",
            Sort::Priority => {
                "(CASE c.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END)"
            }
            Sort::SlaDue => "COALESCE(c.sla_due_at, 9223372036854775807)",
        }
    }

    fn descending(self) -> bool {
        !matches!(self, Sort::Oldest | Sort::SlaDue)
    }

    /// The sort key of a row, for the next page's cursor.
    pub fn key_of(self, c: &Conversation) -> i64 {
        match self {
            Sort::LastActivity => c.last_activity_at,
            Sort::Newest | Sort::Oldest => c.created_at,
            Sort::Updated => c.updated_at,
            Sort::Priority => c.priority.rank(),
            Sort::SlaDue => c.sla_due_at.unwrap_or(i64::MAX),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub assignee: Option<AssigneeFilter>,
    pub team_id: Option<i64>,
    /// Conversations of any of these teams (the "my teams" view).
    pub team_ids: Option<Vec<i64>>,
    pub customer_id: Option<i64>,
    pub tag: Option<String>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    pub updated_since: Option<i64>,
    pub include_merged: bool,
    pub sort: Sort,
    /// Continue after this (sort key, id).
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

fn push_conditions(q: &mut Sql, f: &Filter, scope: &ConversationScope) {
    q.push(" WHERE 1 = 1");
    if let ConversationScope::Limited { user_id, team_ids } = scope {
        q.push(" AND (c.assignee_id = ").bind(*user_id);
        q.push(" OR EXISTS (SELECT 1 FROM conversation_followers cf WHERE cf.conversation_id = c.id AND cf.user_id = ")
            .bind(*user_id)
            .push(")");
        q.push(" OR c.team_id IN ").bind_list(team_ids).push(")");
    }
    if !f.include_merged {
        q.push(" AND c.merged_into IS NULL");
    }
    if !f.statuses.is_empty() {
        q.push(" AND c.status IN (");
        for (i, s) in f.statuses.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(s.as_str());
        }
        q.push(")");
    }
    match f.assignee {
        Some(AssigneeFilter::User(u)) => {
            q.push(" AND c.assignee_id = ").bind(u);
        }
        Some(AssigneeFilter::Nobody) => {
            q.push(" AND c.assignee_id IS NULL");
        }
        None => {}
    }
    if let Some(t) = f.team_id {
        q.push(" AND c.team_id = ").bind(t);
    }
    if let Some(ts) = &f.team_ids {
        q.push(" AND c.team_id IN ").bind_list(ts);
    }
    if let Some(cu) = f.customer_id {
        q.push(" AND c.customer_id = ").bind(cu);
    }
    if let Some(tag) = &f.tag {
        q.push(" AND EXISTS (SELECT 1 FROM conversation_tags ct JOIN tags tg ON tg.id = ct.tag_id WHERE ct.conversation_id = c.id AND tg.name = ")
            .bind(tag.clone())
            .push(")");
    }
    if let Some(ch) = f.channel {
        q.push(" AND c.channel = ").bind(ch.as_str());
    }
    if let Some(p) = f.priority {
        q.push(" AND c.priority = ").bind(p.as_str());
    }
    if let Some(since) = f.updated_since {
        q.push(" AND c.updated_at >= ").bind(since);
    }
}

/// One page of conversations the scope allows, in the filter's order.
pub async fn list(
    conn: &mut Conn,
    f: &Filter,
    scope: &ConversationScope,
) -> Result<Vec<Conversation>> {
    let mut q = Sql::new(SELECT);
    push_conditions(&mut q, f, scope);
    let key = f.sort.key();
    let (cmp, dir) = if f.sort.descending() {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some((k, id)) = f.after {
        q.push(&format!(" AND ({key} {cmp} ")).bind(k);
        q.push(&format!(" OR ({key} = ")).bind(k);
        q.push(&format!(" AND c.id {cmp} ")).bind(id).push("))");
    }
    q.push(&format!(" ORDER BY {key} {dir}, c.id {dir} LIMIT "))
        .bind(f.limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// How many conversations match, ignoring order and paging.
pub async fn count(conn: &mut Conn, f: &Filter, scope: &ConversationScope) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) FROM conversations c");
    push_conditions(&mut q, f, scope);
    let (n,): (i64,) = q.query_as().fetch_one(conn).await?;
    Ok(n)
}

/// Moves every message, attachment-bearing or not, and the search documents of `from` to `to`.
pub async fn move_messages(tx: &mut Conn, from: i64, to: i64) -> Result<u64> {
    let moved = sqlx::query("UPDATE messages SET conversation_id = $1 WHERE conversation_id = $2")
        .bind(to)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE search_rows SET conversation_id = $1 WHERE conversation_id = $2 AND kind IN ('message', 'internal')")
        .bind(to)
        .bind(from)
        .execute(&mut *tx)
        .await?;
    Ok(moved)
}
