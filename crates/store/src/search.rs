//! Full-text search inside the database, written in the same transaction as the text it
//! indexes, so the index can never miss a message. Subjects and message bodies point at their
//! conversation; customer names and identities point at the customer, and through them at the
//! customer's conversations.

use crate::models::{Conversation, Customer};
use crate::sql::Sql;
use crate::{Backend, Conn, Result};
use steward_domain::policy::ConversationScope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Subject,
    Message,
    Internal,
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Subject => "subject",
            DocKind::Message => "message",
            DocKind::Internal => "internal",
        }
    }
}

/// Indexes text that belongs to a conversation (its subject, a message or a note).
pub async fn index(
    tx: &mut Conn,
    kind: DocKind,
    conversation_id: i64,
    message_id: Option<i64>,
    body: &str,
) -> Result<()> {
    let id: i64 = sqlx::query_scalar("INSERT INTO search_rows (kind, conversation_id, message_id) VALUES ($1, $2, $3) RETURNING id")
        .bind(kind.as_str())
        .bind(conversation_id)
        .bind(message_id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO search_docs (rowid, body) VALUES ($1, $2)")
        .bind(id)
        .bind(body.to_string())
        .execute(tx)
        .await?;
    Ok(())
}

/// Replaces the subject document of a conversation.
pub async fn reindex_subject(tx: &mut Conn, conversation_id: i64, subject: &str) -> Result<()> {
    sqlx::query("DELETE FROM search_docs WHERE rowid IN (SELECT id FROM search_rows WHERE conversation_id = $1 AND kind = 'subject')")
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM search_rows WHERE conversation_id = $1 AND kind = 'subject'")
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
    index(tx, DocKind::Subject, conversation_id, None, subject).await
}

/// Replaces the document that finds a customer by name and identities.
pub async fn reindex_customer(tx: &mut Conn, customer_id: i64, text: &str) -> Result<()> {
    sqlx::query("DELETE FROM people_docs WHERE rowid = $1")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO people_docs (rowid, body) VALUES ($1, $2)")
        .bind(customer_id)
        .bind(text.to_string())
        .execute(tx)
        .await?;
    Ok(())
}

/// A search hit: the conversation and where the best match was.
#[derive(Debug, Clone)]
pub struct Hit {
    pub conversation: Conversation,
    pub snippet: Option<String>,
}

/// How many of the newest matching documents are ranked. A word found in half a million
/// messages would otherwise make every search rank them all; the newest matches are what
/// agents look for, and the rank orders those.
pub const RANKED_WINDOW: i64 = 2_000;

/// Conversations matching `query`, best first, limited to what `scope` allows. Internal notes
/// count as matches (only agents search).
pub async fn conversations(
    conn: &mut Conn,
    backend: Backend,
    query: &str,
    scope: &ConversationScope,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Hit>> {
    let Some(expr) = backend.search_query(query) else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new("WITH m AS (SELECT search_docs.rowid AS id, ");
    let n = q.next_index();
    let (matches, rank) = backend.search_match("search_docs", n);
    q.push(&format!("{rank} AS score FROM search_docs WHERE {matches} ORDER BY search_docs.rowid DESC LIMIT {RANKED_WINDOW}), "));
    q.bind_placeholder_value(expr.clone(), n);
    let n2 = q.next_index();
    let (matches2, rank2) = backend.search_match("people_docs", n2);
    q.push(&format!(
        "p AS (SELECT people_docs.rowid AS customer_id, {rank2} AS score FROM people_docs WHERE {matches2} ORDER BY people_docs.rowid DESC LIMIT {RANKED_WINDOW}), \
         hits AS (SELECT r.conversation_id AS cid, m.score AS score FROM m JOIN search_rows r ON r.id = m.id \
         UNION ALL SELECT c2.id AS cid, p.score AS score FROM p JOIN conversations c2 ON c2.customer_id = p.customer_id) "
    ));
    q.bind_placeholder_value(expr, n2);
    q.push(crate::conversations::SELECT);
    q.push(" JOIN (SELECT cid, MIN(score) AS score FROM hits GROUP BY cid) h ON h.cid = c.id WHERE c.merged_into IS NULL");
    if let ConversationScope::Limited { user_id, team_ids } = scope {
        q.push(" AND (c.assignee_id = ").bind(*user_id);
        q.push(" OR c.team_id IN ").bind_list(team_ids).push(")");
    }
    if let Some(s) = status {
        q.push(" AND c.status = ").bind(s.to_string());
    }
    q.push(" ORDER BY h.score, c.last_activity_at DESC LIMIT ")
        .bind(limit);
    let rows: Vec<Conversation> = q.query_as().fetch_all(&mut *conn).await?;
    let mut hits = Vec::with_capacity(rows.len());
    let words: Vec<String> = query
        .split_whitespace()
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2)
        .collect();
    for c in rows {
        let snippet = snippet_for(conn, c.id, &words).await?;
        hits.push(Hit {
            conversation: c,
            snippet,
        });
    }
    Ok(hits)
}

/// Customers whose name or identities match `query`.
pub async fn customers(
    conn: &mut Conn,
    backend: Backend,
    query: &str,
    limit: i64,
) -> Result<Vec<Customer>> {
    let Some(expr) = backend.search_query(query) else {
        return Ok(Vec::new());
    };
    let mut ids_q = Sql::new("SELECT people_docs.rowid FROM people_docs WHERE ");
    let n = ids_q.next_index();
    let (matches, rank) = backend.search_match("people_docs", n);
    ids_q.push(&format!("{matches} ORDER BY {rank} LIMIT "));
    ids_q.bind_placeholder_value(expr, n);
    ids_q.bind(limit);
    let ids: Vec<(i64,)> = ids_q.query_as().fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for (id,) in ids {
        if let Some(c) = crate::customers::get(conn, id).await? {
            out.push(c);
        }
    }
    Ok(out)
}

/// A short piece of the first message that contains a searched word, for the result list.
async fn snippet_for(
    conn: &mut Conn,
    conversation_id: i64,
    words: &[String],
) -> Result<Option<String>> {
    let bodies: Vec<(String,)> = sqlx::query_as(
        "SELECT body_text FROM messages WHERE conversation_id = $1 ORDER BY id LIMIT 50",
    )
    .bind(conversation_id)
    .fetch_all(conn)
    .await?;
    for (body,) in bodies {
        let lower = body.to_lowercase();
        if let Some(pos) = words.iter().filter_map(|w| lower.find(w.as_str())).min() {
            return Ok(Some(excerpt(&body, pos, 160)));
        }
    }
    Ok(None)
}

/// About `width` characters of `text` around byte `pos`, cut at character boundaries.
fn excerpt(text: &str, pos: usize, width: usize) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = chars.iter().position(|(b, _)| *b >= pos).unwrap_or(0);
    let start = at.saturating_sub(width / 3);
    let end = (start + width).min(chars.len());
    let mut s: String = chars[start..end].iter().map(|(_, c)| *c).collect();
    s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if start > 0 {
        s.insert(0, '…');
    }
    if end < chars.len() {
        s.push('…');
    }
    s
}
