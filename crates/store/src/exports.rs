//! Raw rows for exports, a page at a time in id order (keyset: after the last id seen):
//! conversations created in a period, and the messages written in a period, both narrowed by
//! the report filter.

use crate::reports::ReportFilter;
use crate::sql::Sql;
use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub number: i64,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub inbox: Option<String>,
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub team_name: Option<String>,
    pub assignee_name: Option<String>,
    pub created_at: i64,
    pub first_response_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub message_count: i64,
    pub agent_replies: i64,
    pub reopen_count: i64,
    pub sla_state: Option<String>,
    pub sla_breached_at: Option<i64>,
    pub csat_scale: Option<String>,
    pub csat_rating: Option<i64>,
}

/// Up to `limit` conversations (not merged away) created in `[from, to)` with ids above
/// `after`.
pub async fn conversations(
    conn: &mut Conn,
    f: &ReportFilter,
    from: i64,
    to: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<ConversationRow>> {
    let mut q = Sql::new(
        "SELECT c.id, c.number, c.subject, c.status, c.priority, c.channel, c.inbox, c.customer_id, \
         cu.name AS customer_name, \
         (SELECT ci.value FROM customer_identities ci WHERE ci.customer_id = c.customer_id \
            AND ci.kind = 'email' ORDER BY ci.id LIMIT 1) AS customer_email, \
         t.name AS team_name, u.name AS assignee_name, c.created_at, c.first_response_at, \
         c.solved_at, c.closed_at, c.message_count, c.agent_replies, c.reopen_count, c.sla_state, \
         c.sla_breached_at, s.scale AS csat_scale, s.rating AS csat_rating \
         FROM conversations c JOIN customers cu ON cu.id = c.customer_id \
         LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN users u ON u.id = c.assignee_id \
         LEFT JOIN surveys s ON s.conversation_id = c.id \
         WHERE c.merged_into IS NULL AND c.id > ",
    );
    q.bind(after);
    q.push(" AND c.created_at >= ").bind(from);
    q.push(" AND c.created_at < ").bind(to);
    f.push(&mut q);
    q.push(" ORDER BY c.id LIMIT ").bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub conversation_number: i64,
    pub created_at: i64,
    pub author_kind: String,
    pub author_name: Option<String>,
    pub visibility: String,
    pub channel: String,
    pub body_text: String,
}

/// Up to `limit` messages written in `[from, to)` with ids above `after`, of the
/// conversations the filter picks.
pub async fn messages(
    conn: &mut Conn,
    f: &ReportFilter,
    from: i64,
    to: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<MessageRow>> {
    let mut q = Sql::new(
        "SELECT m.id, c.number AS conversation_number, m.created_at, m.author_kind, \
         COALESCE(u.name, cu.name) AS author_name, m.visibility, m.channel, m.body_text \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         LEFT JOIN users u ON u.id = m.author_user_id \
         LEFT JOIN customers cu ON cu.id = m.author_customer_id WHERE m.id > ",
    );
    q.bind(after);
    q.push(" AND m.created_at >= ").bind(from);
    q.push(" AND m.created_at < ").bind(to);
    f.push(&mut q);
    q.push(" ORDER BY m.id LIMIT ").bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}
