//! Full-text search inside the database, written in the same commit as the text it indexes,
//! so the index can never miss a message (the index writes themselves wait in the transaction
//! until commit; see `text_index`). Subjects and message bodies point at their
//! conversation; customer names and identities point at the customer, and through them at the
//! customer's conversations.

use crate::models::{Conversation, Customer};
use crate::sql::Sql;
use crate::text_index::{IndexOp, TextIndex};
use crate::{Backend, Conn, Result, Tx};
use std::collections::HashMap;
use steward_domain::policy::ConversationScope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Subject,
    Message,
    Internal,
}

impl DocKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DocKind::Subject => "subject",
            DocKind::Message => "message",
            DocKind::Internal => "internal",
        }
    }
}

/// Indexes text that belongs to a conversation (its subject, a message or a note).
pub async fn index(
    tx: &mut Tx,
    kind: DocKind,
    conversation_id: i64,
    message_id: Option<i64>,
    body: &str,
) -> Result<()> {
    let id: i64 = sqlx::query_scalar("INSERT INTO search_rows (kind, conversation_id, message_id) VALUES ($1, $2, $3) RETURNING id")
        .bind(kind.as_str())
        .bind(conversation_id)
        .bind(message_id)
        .fetch_one(&mut **tx)
        .await?;
    put_doc(tx, id, body);
    Ok(())
}

/// Puts `body` into the text index under `search_rows` id `rowid`, at commit.
pub(crate) fn put_doc(tx: &mut Tx, rowid: i64, body: &str) {
    tx.defer(IndexOp::Put {
        index: TextIndex::Docs,
        rowid,
        body: body.to_string(),
    });
}

/// Replaces the subject document of a conversation.
pub async fn reindex_subject(tx: &mut Tx, conversation_id: i64, subject: &str) -> Result<()> {
    let old: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM search_rows WHERE conversation_id = $1 AND kind = 'subject' RETURNING id",
    )
    .bind(conversation_id)
    .fetch_all(&mut **tx)
    .await?;
    for rowid in old {
        tx.defer(IndexOp::Remove {
            index: TextIndex::Docs,
            rowid,
        });
    }
    index(tx, DocKind::Subject, conversation_id, None, subject).await
}

/// Replaces the document that finds a customer by name and identities.
pub async fn reindex_customer(tx: &mut Tx, customer_id: i64, text: &str) -> Result<()> {
    tx.defer(IndexOp::Remove {
        index: TextIndex::People,
        rowid: customer_id,
    });
    tx.defer(IndexOp::Put {
        index: TextIndex::People,
        rowid: customer_id,
        body: text.to_string(),
    });
    Ok(())
}

/// A search hit: the conversation and where the best match was.
#[derive(Debug, Clone)]
pub struct Hit {
    pub conversation: Conversation,
    pub snippet: Option<String>,
}

/// How many of the newest matching documents (and customers) a search looks at. A word found in
/// half a million messages would otherwise make every search visit them all; the newest
/// matches are what agents look for. Within the window nothing is scored by term statistics
/// (FTS5's bm25 reads a word's whole posting list to weigh it, which grows with the database):
/// the order is what helpdesk users expect instead, see `conversations`.
pub const RANKED_WINDOW: i64 = 1_000;

/// Conversations matching `query`, limited to what `scope` allows: those whose subject or
/// customer matches first, then those where a message or note matches, each newest activity
/// first. Internal notes count as matches (only agents search).
///
/// Words match whole; only when that finds fewer than `limit` does the last word also match as
/// the start of longer words (people search while they type). A prefix query has to merge the
/// posting lists of every word it starts, so it is kept off the common path.
pub async fn conversations(
    conn: &mut Conn,
    backend: Backend,
    query: &str,
    scope: &ConversationScope,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Hit>> {
    let mut rows: Vec<Conversation> = Vec::new();
    for expr in expressions(backend, query) {
        let more = matching(conn, backend, &expr, scope, status, limit).await?;
        for c in more {
            if (rows.len() as i64) < limit && !rows.iter().any(|r| r.id == c.id) {
                rows.push(c);
            }
        }
        if rows.len() as i64 >= limit {
            break;
        }
    }
    let words: Vec<String> = query
        .split_whitespace()
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2)
        .collect();
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let mut snippets = snippets(conn, &ids, &words).await?;
    Ok(rows
        .into_iter()
        .map(|c| Hit {
            snippet: snippets.remove(&c.id),
            conversation: c,
        })
        .collect())
}

/// The query for whole words, then (if it differs) the one with the last word as a prefix.
fn expressions(backend: Backend, query: &str) -> Vec<String> {
    let mut out: Vec<String> = backend.search_query(query, false).into_iter().collect();
    if let Some(p) = backend.search_query(query, true)
        && !out.contains(&p)
    {
        out.push(p);
    }
    out
}

/// One search pass for the backend expression `expr`. The best `limit` conversation ids are
/// picked first, so only those are joined with their customer, assignee and team.
async fn matching(
    conn: &mut Conn,
    backend: Backend,
    expr: &str,
    scope: &ConversationScope,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Conversation>> {
    let mut q = Sql::new("WITH m AS (SELECT search_docs.rowid AS id FROM search_docs WHERE ");
    let n = q.next_index();
    let matches = backend.search_match("search_docs", n);
    q.push(&format!(
        "{matches} ORDER BY search_docs.rowid DESC LIMIT {RANKED_WINDOW}), "
    ));
    q.bind_placeholder_value(expr, n);
    let n2 = q.next_index();
    let matches2 = backend.search_match("people_docs", n2);
    q.push(&format!(
        "p AS (SELECT people_docs.rowid AS customer_id FROM people_docs WHERE {matches2} ORDER BY people_docs.rowid DESC LIMIT {RANKED_WINDOW}), \
         hits AS (SELECT r.conversation_id AS cid, CASE WHEN r.kind = 'subject' THEN 0 ELSE 1 END AS score FROM m JOIN search_rows r ON r.id = m.id \
         UNION ALL SELECT c2.id AS cid, 0 AS score FROM p JOIN conversations c2 ON c2.customer_id = p.customer_id) "
    ));
    q.bind_placeholder_value(expr, n2);
    q.push(
        ", top AS (SELECT h.cid AS cid, h.score AS score FROM (SELECT cid, MIN(score) AS score FROM hits GROUP BY cid) h \
         JOIN conversations c ON c.id = h.cid WHERE c.merged_into IS NULL",
    );
    if let ConversationScope::Limited { user_id, team_ids } = scope {
        q.push(" AND (c.assignee_id = ").bind(*user_id);
        q.push(" OR EXISTS (SELECT 1 FROM conversation_followers cf WHERE cf.conversation_id = c.id AND cf.user_id = ")
            .bind(*user_id)
            .push(")");
        q.push(" OR c.team_id IN ").bind_list(team_ids).push(")");
    }
    if let Some(s) = status {
        q.push(" AND c.status = ").bind(s.to_string());
    }
    q.push(" ORDER BY h.score, c.last_activity_at DESC LIMIT ")
        .bind(limit)
        .push(") ");
    q.push(crate::conversations::SELECT);
    q.push(" JOIN top ON top.cid = c.id ORDER BY top.score, c.last_activity_at DESC, c.id DESC");
    Ok(q.query_as().fetch_all(&mut *conn).await?)
}

/// Customers whose name or identities match `query`.
pub async fn customers(
    conn: &mut Conn,
    backend: Backend,
    query: &str,
    limit: i64,
) -> Result<Vec<Customer>> {
    let mut ids: Vec<i64> = Vec::new();
    for expr in expressions(backend, query) {
        let mut q = Sql::new("SELECT people_docs.rowid FROM people_docs WHERE ");
        let n = q.next_index();
        let matches = backend.search_match("people_docs", n);
        q.push(&format!("{matches} ORDER BY people_docs.rowid DESC LIMIT "));
        q.bind_placeholder_value(expr, n);
        q.bind(limit);
        let more: Vec<(i64,)> = q.query_as().fetch_all(&mut *conn).await?;
        for (id,) in more {
            if (ids.len() as i64) < limit && !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() as i64 >= limit {
            break;
        }
    }
    let mut out = Vec::new();
    for id in ids {
        if let Some(c) = crate::customers::get(conn, id).await? {
            out.push(c);
        }
    }
    Ok(out)
}

/// For each conversation, a short piece of its first message that contains a searched word,
/// for the result list; one query for all of them.
async fn snippets(
    conn: &mut Conn,
    conversation_ids: &[i64],
    words: &[String],
) -> Result<HashMap<i64, String>> {
    let mut q =
        Sql::new("SELECT conversation_id, body_text FROM messages WHERE conversation_id IN ");
    q.bind_list(conversation_ids).push(" ORDER BY id");
    let bodies: Vec<(i64, String)> = q.query_as().fetch_all(conn).await?;
    let mut out = HashMap::new();
    for (cid, body) in bodies {
        if out.contains_key(&cid) {
            continue;
        }
        let lower = body.to_lowercase();
        if let Some(pos) = words.iter().filter_map(|w| lower.find(w.as_str())).min() {
            out.insert(cid, excerpt(&body, pos, 160));
        }
    }
    Ok(out)
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
