//! Messages and their attachments' rows. Bodies are stored as given: sanitizing HTML is the
//! engine's job before it gets here.

use crate::models::{Attachment, Message};
use crate::search::{self, DocKind};
use crate::sql::Sql;
use crate::{Backend, Conn, Result, Tx};
use sqlx::{FromRow, Row};
use steward_domain::{AuthorKind, Channel, Visibility};

pub(crate) const SELECT: &str = "SELECT m.id, m.conversation_id, m.author_kind, m.author_user_id, m.author_customer_id, \
    COALESCE(u.name, cu.name) AS author_name, m.visibility, m.channel, m.body_text, m.body_html, m.created_at \
    FROM messages m LEFT JOIN users u ON u.id = m.author_user_id LEFT JOIN customers cu ON cu.id = m.author_customer_id";

/// Inserts a message (`$1`–`$10`: the fields of [`NewMessage`] in order) and returns it as
/// [`get`] reads it.
const INSERT_RETURNING: &str = "INSERT INTO messages (conversation_id, author_kind, author_user_id, \
     author_customer_id, visibility, channel, body_text, body_html, created_at, client_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     RETURNING id, conversation_id, author_kind, author_user_id, author_customer_id, \
     COALESCE((SELECT u.name FROM users u WHERE u.id = messages.author_user_id), \
     (SELECT cu.name FROM customers cu WHERE cu.id = messages.author_customer_id)) AS author_name, \
     visibility, channel, body_text, body_html, created_at, \
     (SELECT COALESCE(MAX(p.id), 0) FROM messages p \
      WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id) AS previous";

pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub author_kind: AuthorKind,
    pub author_user_id: Option<i64>,
    pub author_customer_id: Option<i64>,
    pub visibility: Visibility,
    pub channel: Channel,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub at: i64,
    /// What the sending client called it (`v{visitor}:{seq}` for chat), so a resend is a
    /// duplicate: unique across all messages.
    pub client_key: Option<&'a str>,
}

pub async fn insert(tx: &mut Conn, m: &NewMessage<'_>) -> Result<i64> {
    Ok(insert_returning(tx, m).await?.message.id)
}

/// Inserts the message and returns it as [`get`] would read it, in the same statement.
async fn insert_returning(tx: &mut Conn, m: &NewMessage<'_>) -> Result<Appended> {
    let row = bind_message(sqlx::query(INSERT_RETURNING), m)
        .fetch_one(tx)
        .await?;
    appended(&row)
}

/// A row of [`INSERT_RETURNING`].
fn appended(row: &sqlx::any::AnyRow) -> Result<Appended> {
    Ok(Appended {
        message: Message::from_row(row)?,
        previous: row.try_get("previous")?,
    })
}

/// Binds `$1`–`$10` of [`INSERT_RETURNING`].
fn bind_message(q: AnyQuery, m: &NewMessage<'_>) -> AnyQuery {
    q.bind(m.conversation_id)
        .bind(m.author_kind.as_str())
        .bind(m.author_user_id)
        .bind(m.author_customer_id)
        .bind(m.visibility.as_str())
        .bind(m.channel.as_str())
        .bind(m.body_text.to_string())
        .bind(m.body_html.map(str::to_string))
        .bind(m.at)
        .bind(m.client_key.map(str::to_string))
}

type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// A message just added.
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    /// The id of the conversation's message before it (any visibility; 0 when it is the
    /// first), read under the conversation's lock, so no message of the conversation has an id
    /// between the two.
    pub previous: i64,
}

/// Adds a message the way every message is added, in one go: the row (returned as [`get`]
/// reads it), its conversation's times and counts (as `conversations::update` with no other
/// change, activity, one more message and `agent_replies` more public agent replies), and its
/// search entry of kind `doc`. On SQLite the three statements make one trip to the writer's
/// thread, the message id passing from one to the next inside the database.
pub async fn append(
    tx: &mut Tx,
    m: &NewMessage<'_>,
    agent_replies: i64,
    doc: DocKind,
) -> Result<Appended> {
    if tx.backend() == Backend::Postgres {
        let changes = crate::conversations::Changes {
            agent_replies,
            ..Default::default()
        };
        crate::conversations::update(tx, m.conversation_id, &changes, m.at, true, 1).await?;
        let appended = insert_returning(tx, m).await?;
        let id = Some(appended.message.id);
        search::index(tx, doc, m.conversation_id, id, m.body_text).await?;
        return Ok(appended);
    }
    // A column left out of the `SET` keeps its indexes untouched: `agent_replies` sits in the
    // two wide report indexes, and most messages are not agent replies.
    let (replies, doc_at) = match agent_replies {
        0 => ("", "$11"),
        _ => (", agent_replies = agent_replies + $11", "$12"),
    };
    let sql = format!(
        "UPDATE conversations SET updated_at = $9, last_activity_at = $9, \
         message_count = message_count + 1{replies} WHERE id = $1; \
         {INSERT_RETURNING}; \
         INSERT INTO search_rows (kind, conversation_id, message_id) \
         VALUES ({doc_at}, $1, last_insert_rowid()) RETURNING id"
    );
    let mut q = bind_message(sqlx::query(sqlx::AssertSqlSafe(sql)), m);
    if agent_replies != 0 {
        q = q.bind(agent_replies);
    }
    let rows = q.bind(doc.as_str()).fetch_all(&mut **tx).await?;
    let [message, doc_row] = rows.as_slice() else {
        return Err(crate::StoreError::Config(format!(
            "adding a message returned {} rows, not 2",
            rows.len()
        )));
    };
    let rowid: i64 = doc_row.try_get(0)?;
    search::put_doc(tx, rowid, m.body_text);
    appended(message)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Message>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE m.id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// The messages of a conversation, oldest first; internal notes only when asked for.
pub async fn list(conn: &mut Conn, conversation_id: i64, with_notes: bool) -> Result<Vec<Message>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE m.conversation_id = ").bind(conversation_id);
    if !with_notes {
        q.push(" AND m.visibility = 'public'");
    }
    q.push(" ORDER BY m.created_at, m.id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub struct NewAttachment<'a> {
    pub message_id: i64,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub at: i64,
}

pub async fn insert_attachment(tx: &mut Conn, a: &NewAttachment<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO attachments (message_id, filename, content_type, size, sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(a.message_id)
    .bind(a.filename.to_string())
    .bind(a.content_type.to_string())
    .bind(a.size)
    .bind(a.sha256.to_string())
    .bind(a.at)
    .fetch_one(tx)
    .await?)
}

const SELECT_ATTACHMENT: &str =
    "SELECT id, message_id, filename, content_type, size, sha256, created_at FROM attachments";

pub async fn attachments_of(conn: &mut Conn, message_ids: &[i64]) -> Result<Vec<Attachment>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(SELECT_ATTACHMENT);
    q.push(" WHERE message_id IN ")
        .bind_list(message_ids)
        .push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn attachment(conn: &mut Conn, id: i64) -> Result<Option<Attachment>> {
    let mut q = Sql::new(SELECT_ATTACHMENT);
    q.push(" WHERE id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// Attachments with these bytes (an inline image is linked by its digest), a few at most.
pub async fn attachments_by_sha256(conn: &mut Conn, sha256: &str) -> Result<Vec<Attachment>> {
    let mut q = Sql::new(SELECT_ATTACHMENT);
    q.push(" WHERE sha256 = ")
        .bind(sha256.to_string())
        .push(" ORDER BY id LIMIT 20");
    Ok(q.query_as().fetch_all(conn).await?)
}

/// Whether an agent has already answered publicly (for the first response time).
pub async fn has_agent_reply(conn: &mut Conn, conversation_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND author_kind = 'agent' AND visibility = 'public'",
    )
    .bind(conversation_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
