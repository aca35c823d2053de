//! Live chat's rows: chat inboxes (`chat_inboxes`), the visitors a widget remembers by the
//! digest of their browser's token (`chat_visitors`), and chats (`chats`: the conversation on
//! the chat channel, its visitor, topic, end and read marks). Also what the visitor's socket
//! reads: their messages after a sequence number, and the queue in front of them.

use crate::models::Message;
use crate::sql::Sql;
use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ChatInbox {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub colour: String,
    pub greeting: String,
    pub team_id: Option<i64>,
    pub email_inbox: Option<String>,
    pub calendar_id: Option<i64>,
    /// `none`, `optional` or `required`: whether the widget asks name and email first.
    pub prechat: String,
    /// JSON array of the topics a visitor may pick.
    pub topics: String,
    pub enabled: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const INBOX: &str = "SELECT id, key, name, colour, greeting, team_id, email_inbox, calendar_id, \
    prechat, topics, enabled, created_at, updated_at FROM chat_inboxes";

/// The fields an admin sets.
pub struct InboxFields<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub colour: &'a str,
    pub greeting: &'a str,
    pub team_id: Option<i64>,
    pub email_inbox: Option<&'a str>,
    pub calendar_id: Option<i64>,
    pub prechat: &'a str,
    pub topics: &'a str,
    pub enabled: bool,
}

pub async fn inboxes(conn: &mut Conn) -> Result<Vec<ChatInbox>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{INBOX} ORDER BY name, id")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn inbox(conn: &mut Conn, id: i64) -> Result<Option<ChatInbox>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{INBOX} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn inbox_by_key(conn: &mut Conn, key: &str) -> Result<Option<ChatInbox>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{INBOX} WHERE key = $1")))
            .bind(key.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn insert_inbox(tx: &mut Conn, f: &InboxFields<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO chat_inboxes (key, name, colour, greeting, team_id, email_inbox, calendar_id, \
         prechat, topics, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(f.key.to_string())
    .bind(f.name.to_string())
    .bind(f.colour.to_string())
    .bind(f.greeting.to_string())
    .bind(f.team_id)
    .bind(f.email_inbox.map(str::to_string))
    .bind(f.calendar_id)
    .bind(f.prechat.to_string())
    .bind(f.topics.to_string())
    .bind(i64::from(f.enabled))
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update_inbox(tx: &mut Conn, id: i64, f: &InboxFields<'_>, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE chat_inboxes SET key = $1, name = $2, colour = $3, greeting = $4, team_id = $5, \
         email_inbox = $6, calendar_id = $7, prechat = $8, topics = $9, enabled = $10, \
         updated_at = $11 WHERE id = $12",
    )
    .bind(f.key.to_string())
    .bind(f.name.to_string())
    .bind(f.colour.to_string())
    .bind(f.greeting.to_string())
    .bind(f.team_id)
    .bind(f.email_inbox.map(str::to_string))
    .bind(f.calendar_id)
    .bind(f.prechat.to_string())
    .bind(f.topics.to_string())
    .bind(i64::from(f.enabled))
    .bind(at)
    .bind(id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes an inbox no visitor has used; `false` when it has visitors or does not exist.
pub async fn delete_unused_inbox(tx: &mut Conn, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM chat_inboxes WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM chat_visitors WHERE chat_inbox_id = $1)",
    )
    .bind(id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Visitor {
    pub id: i64,
    pub chat_inbox_id: i64,
    pub customer_id: Option<i64>,
    pub created_at: i64,
}

pub async fn visitor_by_token(conn: &mut Conn, token_sha256: &str) -> Result<Option<Visitor>> {
    Ok(sqlx::query_as(
        "SELECT id, chat_inbox_id, customer_id, created_at FROM chat_visitors WHERE token_sha256 = $1",
    )
    .bind(token_sha256.to_string())
    .fetch_optional(conn)
    .await?)
}

pub async fn visitor(conn: &mut Conn, id: i64) -> Result<Option<Visitor>> {
    Ok(sqlx::query_as(
        "SELECT id, chat_inbox_id, customer_id, created_at FROM chat_visitors WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The visitor with this token, created when new (a concurrent insert of the same token wins
/// and is returned).
pub async fn ensure_visitor(
    tx: &mut Conn,
    token_sha256: &str,
    chat_inbox_id: i64,
    at: i64,
) -> Result<Visitor> {
    sqlx::query(
        "INSERT INTO chat_visitors (token_sha256, chat_inbox_id, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $3) ON CONFLICT (token_sha256) DO NOTHING",
    )
    .bind(token_sha256.to_string())
    .bind(chat_inbox_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    visitor_by_token(tx, token_sha256)
        .await?
        .ok_or_else(|| crate::StoreError::Corrupt("visitor row vanished".into()))
}

pub async fn set_visitor_customer(tx: &mut Conn, id: i64, customer_id: i64) -> Result<()> {
    sqlx::query("UPDATE chat_visitors SET customer_id = $1 WHERE id = $2")
        .bind(customer_id)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Chat {
    pub conversation_id: i64,
    pub visitor_id: i64,
    pub chat_inbox_id: i64,
    pub topic: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub visitor_read: i64,
    pub agent_read: i64,
    /// The visitor asked for a person, or an agent took over: the bot stays quiet.
    pub bot_off: i64,
}

const CHAT: &str = "SELECT conversation_id, visitor_id, chat_inbox_id, topic, started_at, ended_at, \
    visitor_read, agent_read, bot_off FROM chats";

pub async fn insert_chat(
    tx: &mut Conn,
    conversation_id: i64,
    visitor_id: i64,
    chat_inbox_id: i64,
    topic: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO chats (conversation_id, visitor_id, chat_inbox_id, topic, started_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(conversation_id)
    .bind(visitor_id)
    .bind(chat_inbox_id)
    .bind(topic.map(str::to_string))
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn chat(conn: &mut Conn, conversation_id: i64) -> Result<Option<Chat>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CHAT} WHERE conversation_id = $1"
    )))
    .bind(conversation_id)
    .fetch_optional(conn)
    .await?)
}

/// The visitor's chat that is still going: not ended, its conversation not solved or closed.
pub async fn current_chat(conn: &mut Conn, visitor_id: i64) -> Result<Option<Chat>> {
    Ok(sqlx::query_as(
        "SELECT ch.conversation_id, ch.visitor_id, ch.chat_inbox_id, ch.topic, ch.started_at, \
         ch.ended_at, ch.visitor_read, ch.agent_read, ch.bot_off FROM chats ch \
         JOIN conversations c ON c.id = ch.conversation_id \
         WHERE ch.visitor_id = $1 AND ch.ended_at IS NULL AND c.status IN ('new', 'open', 'pending') \
         AND c.merged_into IS NULL ORDER BY ch.started_at DESC LIMIT 1",
    )
    .bind(visitor_id)
    .fetch_optional(conn)
    .await?)
}

/// Marks a chat ended; `false` when it already was.
pub async fn end_chat(tx: &mut Conn, conversation_id: i64, at: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE chats SET ended_at = $1 WHERE conversation_id = $2 AND ended_at IS NULL",
    )
    .bind(at)
    .bind(conversation_id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Keeps the bot quiet in this chat from now on.
pub async fn set_bot_off(tx: &mut Conn, conversation_id: i64) -> Result<()> {
    sqlx::query("UPDATE chats SET bot_off = 1 WHERE conversation_id = $1")
        .bind(conversation_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The newest public message of a conversation (what an agent who opens it has seen).
pub async fn last_public_message(conn: &mut Conn, conversation_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(id), 0) FROM messages WHERE conversation_id = $1 AND visibility = 'public'",
    )
    .bind(conversation_id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Moves a read mark forward (never back); `who` is `visitor` or `agent`.
pub async fn mark_read(
    conn: &mut Conn,
    conversation_id: i64,
    who: Reader,
    seq: i64,
) -> Result<bool> {
    let sql = match who {
        Reader::Visitor => {
            "UPDATE chats SET visitor_read = $1 WHERE conversation_id = $2 AND visitor_read < $1"
        }
        Reader::Agent => {
            "UPDATE chats SET agent_read = $1 WHERE conversation_id = $2 AND agent_read < $1"
        }
    };
    let done = sqlx::query(sql)
        .bind(seq)
        .bind(conversation_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Visitor,
    Agent,
}

/// A chat message with what the visitor's side needs besides: the client's key and whether
/// it has files.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatMessage {
    #[sqlx(flatten)]
    pub message: Message,
    pub client_key: Option<String>,
    pub files: i64,
}

fn chat_select() -> String {
    crate::messages::SELECT.replacen(
        " FROM messages m",
        ", m.client_key, (SELECT COUNT(*) FROM attachments a WHERE a.message_id = m.id) AS files \
         FROM messages m",
        1,
    )
}

/// The public messages of every chat of `visitor_id` after sequence number `after` (message
/// ids, which grow with each message), oldest first, at most `limit`.
pub async fn messages_after(
    conn: &mut Conn,
    visitor_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<ChatMessage>> {
    let mut q = Sql::new(&chat_select());
    q.push(" WHERE m.conversation_id IN (SELECT conversation_id FROM chats WHERE visitor_id = ")
        .bind(visitor_id)
        .push(") AND m.visibility = 'public' AND m.id > ")
        .bind(after)
        .push(" ORDER BY m.id LIMIT ")
        .bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// The newest `limit` public messages of `visitor_id`'s chats, oldest first (a new page's
/// history).
pub async fn last_messages(
    conn: &mut Conn,
    visitor_id: i64,
    limit: i64,
) -> Result<Vec<ChatMessage>> {
    let mut q = Sql::new(&chat_select());
    q.push(" WHERE m.conversation_id IN (SELECT conversation_id FROM chats WHERE visitor_id = ")
        .bind(visitor_id)
        .push(") AND m.visibility = 'public' ORDER BY m.id DESC LIMIT ")
        .bind(limit);
    let mut rows: Vec<ChatMessage> = q.query_as().fetch_all(conn).await?;
    rows.reverse();
    Ok(rows)
}

/// The message a client sent under `key` and its conversation, if it arrived before.
pub async fn by_client_key(conn: &mut Conn, key: &str) -> Result<Option<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT id, conversation_id FROM messages WHERE client_key = $1")
            .bind(key.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

/// A chat waiting for an agent: not ended, open, nobody assigned.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Waiting {
    pub conversation_id: i64,
    pub number: i64,
    pub customer_name: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub chat_inbox: String,
    pub topic: Option<String>,
    pub started_at: i64,
}

/// Every chat waiting for an agent, longest waiting first.
pub async fn waiting(conn: &mut Conn) -> Result<Vec<Waiting>> {
    Ok(sqlx::query_as(
        "SELECT ch.conversation_id, c.number, cu.name AS customer_name, c.team_id, \
         t.name AS team_name, ci.name AS chat_inbox, ch.topic, ch.started_at \
         FROM chats ch JOIN conversations c ON c.id = ch.conversation_id \
         JOIN customers cu ON cu.id = c.customer_id \
         JOIN chat_inboxes ci ON ci.id = ch.chat_inbox_id \
         LEFT JOIN teams t ON t.id = c.team_id \
         WHERE ch.ended_at IS NULL AND c.assignee_id IS NULL AND c.status IN ('new', 'open') \
         ORDER BY ch.started_at, ch.conversation_id",
    )
    .fetch_all(conn)
    .await?)
}

/// How many chats of the same team wait ahead of the chat started at `started_at`.
pub async fn ahead_of(
    conn: &mut Conn,
    team_id: Option<i64>,
    started_at: i64,
    conversation_id: i64,
) -> Result<i64> {
    let mut q = Sql::new(
        "SELECT COUNT(*) FROM chats ch JOIN conversations c ON c.id = ch.conversation_id \
         WHERE ch.ended_at IS NULL AND c.assignee_id IS NULL AND c.status IN ('new', 'open') \
         AND (ch.started_at < ",
    );
    q.bind(started_at)
        .push(" OR (ch.started_at = ")
        .bind(started_at)
        .push(" AND ch.conversation_id < ")
        .bind(conversation_id)
        .push("))");
    match team_id {
        Some(t) => q.push(" AND c.team_id = ").bind(t),
        None => q.push(" AND c.team_id IS NULL"),
    };
    let (n,): (i64,) = q.query_as().fetch_one(conn).await?;
    Ok(n)
}

/// How long the latest chats since `since` waited for an agent's first reply, newest first,
/// at most `limit` (milliseconds).
pub async fn recent_waits(
    conn: &mut Conn,
    team_id: Option<i64>,
    since: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    let mut q = Sql::new(
        "SELECT c.first_response_at - ch.started_at FROM chats ch \
         JOIN conversations c ON c.id = ch.conversation_id \
         WHERE c.first_response_at IS NOT NULL AND ch.started_at >= ",
    );
    q.bind(since);
    match team_id {
        Some(t) => q.push(" AND c.team_id = ").bind(t),
        None => q.push(" AND c.team_id IS NULL"),
    };
    q.push(" ORDER BY ch.started_at DESC LIMIT ").bind(limit);
    let rows: Vec<(i64,)> = q.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(w,)| w).collect())
}
