//! The rows reports are worked out from: each conversation created or solved in a period with
//! its reply and reopen counts (kept on its row as they happen) and its SLA outcome, and
//! the survey answers given in a period; both narrowed by team, agent, channel, priority, tag.

use crate::sql::Sql;
use crate::{Backend, Conn, Result};

/// Which conversations a report covers; `None` for all.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub tag: Option<String>,
    /// The inbox address, lower case.
    pub inbox: Option<String>,
}

impl ReportFilter {
    pub(crate) fn push(&self, q: &mut Sql) {
        if let Some(t) = self.team_id {
            q.push(" AND c.team_id = ").bind(t);
        }
        if let Some(a) = self.assignee_id {
            q.push(" AND c.assignee_id = ").bind(a);
        }
        if let Some(ch) = &self.channel {
            q.push(" AND c.channel = ").bind(ch.as_str());
        }
        if let Some(p) = &self.priority {
            q.push(" AND c.priority = ").bind(p.as_str());
        }
        if let Some(inbox) = &self.inbox {
            q.push(" AND c.inbox = ").bind(inbox.as_str());
        }
        if let Some(tag) = &self.tag {
            // The tag's conversations as one set, checked per row: over the hundreds of
            // thousands of open conversations the backlog counts, a third of the time of a
            // lookup per row.
            q.push(
                " AND c.id IN (SELECT ct.conversation_id FROM conversation_tags ct \
                 JOIN tags tg ON tg.id = ct.tag_id WHERE tg.name = ",
            )
            .bind(tag.as_str())
            .push(")");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsRow {
    pub customer_id: i64,
    pub assignee_id: Option<i64>,
    pub created_at: i64,
    pub first_response_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub agent_replies: i64,
    /// Times it went from solved or closed back to open work.
    pub reopened: i64,
    pub sla_policy_id: Option<i64>,
    pub sla_breached_at: Option<i64>,
    /// 1 when tagged `complaint` (kept on the row as tags change).
    pub complaint: i64,
}

/// The columns of `FactsRow`, in order, as the packed text carries them.
const FACT_COLUMNS: [&str; 10] = [
    "c.customer_id",
    "c.assignee_id",
    "c.created_at",
    "c.first_response_at",
    "c.solved_at",
    "c.agent_replies",
    "c.reopen_count",
    "c.sla_policy_id",
    "c.sla_breached_at",
    "c.complaint",
];

/// The conversations (not merged away) created or solved in `[from, to)`: those created in it,
/// then those solved in it and created before, each part read from its covering index.
///
/// The driver hands rows over one at a time through a channel, which for a month of a million
/// conversations (160,000 rows) costs several times the query itself. So each day's
/// conversations come as one row: their facts as numbers joined by commas, one conversation
/// after another joined by the unit separator, unpacked here.
pub async fn facts(
    conn: &mut Conn,
    backend: Backend,
    f: &ReportFilter,
    from: i64,
    to: i64,
) -> Result<Vec<FactsRow>> {
    let packed = FACT_COLUMNS
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
        .collect::<Vec<_>>()
        .join(" || ',' || ");
    let part = format!(
        "SELECT c.created_at / 86400000 AS day, {packed} AS facts \
         FROM conversations c WHERE c.merged_into IS NULL"
    );
    let mut q = Sql::new("SELECT ");
    q.push(&backend.join_text("p.facts"))
        .push(" AS facts FROM (")
        .push(&part);
    q.push(" AND c.created_at >= ").bind(from);
    q.push(" AND c.created_at < ").bind(to);
    f.push(&mut q);
    q.push(" UNION ALL ").push(&part);
    q.push(" AND c.solved_at >= ").bind(from);
    q.push(" AND c.solved_at < ").bind(to);
    q.push(" AND c.created_at < ").bind(from);
    f.push(&mut q);
    q.push(") p GROUP BY p.day");
    let days: Vec<(Option<String>,)> = q.query_as().fetch_all(conn).await?;
    let mut out = Vec::new();
    for (day,) in days {
        for one in day.as_deref().unwrap_or_default().split('\u{1f}') {
            if let Some(row) = unpack(one) {
                out.push(row);
            }
        }
    }
    Ok(out)
}

/// One conversation's packed facts; `None` for a malformed one (never written by `facts`).
fn unpack(packed: &str) -> Option<FactsRow> {
    let mut v = packed.split(',').map(|p| {
        if p.is_empty() {
            Ok(None)
        } else {
            p.parse::<i64>().map(Some)
        }
    });
    let mut next = || v.next().and_then(std::result::Result::ok);
    let row = FactsRow {
        customer_id: next()??,
        assignee_id: next()?,
        created_at: next()??,
        first_response_at: next()?,
        solved_at: next()?,
        agent_replies: next()?.unwrap_or(0),
        reopened: next()?.unwrap_or(0),
        sla_policy_id: next()?,
        sla_breached_at: next()?,
        complaint: next()?.unwrap_or(0),
    };
    Some(row)
}

/// The conversations (not merged away) opened before `at` and not solved by then: the
/// backlog a period starts with.
pub async fn backlog_at(conn: &mut Conn, f: &ReportFilter, at: i64) -> Result<i64> {
    // Two counts, so each finds its rows by the solved-at index.
    let mut q = Sql::new(
        "SELECT (SELECT COUNT(*) FROM conversations c WHERE c.solved_at IS NULL AND c.merged_into IS NULL AND c.created_at < ",
    );
    q.bind(at);
    f.push(&mut q);
    q.push(") + (SELECT COUNT(*) FROM conversations c WHERE c.solved_at >= ")
        .bind(at);
    q.push(" AND c.merged_into IS NULL AND c.created_at < ")
        .bind(at);
    f.push(&mut q);
    q.push(") AS backlog");
    let (n,): (i64,) = q.query_as().fetch_one(conn).await?;
    Ok(n)
}

/// The survey answers given in `[from, to)`: (agent it rates, scale, rating).
pub async fn answers(
    conn: &mut Conn,
    f: &ReportFilter,
    from: i64,
    to: i64,
) -> Result<Vec<(Option<i64>, String, i64)>> {
    let mut q = Sql::new(
        "SELECT s.assignee_id, s.scale, s.rating FROM surveys s JOIN conversations c ON c.id = s.conversation_id \
         WHERE s.rating IS NOT NULL AND s.rated_at >= ",
    );
    q.bind(from).push(" AND s.rated_at < ").bind(to);
    f.push(&mut q);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// The service right now, for the live wall.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct LiveRow {
    /// Not solved or closed.
    pub open: i64,
    /// New or open, nobody assigned.
    pub waiting: i64,
    pub waiting_chats: i64,
    /// When the longest-waiting of those was opened.
    pub oldest_waiting_at: Option<i64>,
    pub agents_online: i64,
    pub agents_away: i64,
    /// Open, with an SLA in its warning time or already breached.
    pub sla_warning: i64,
    pub sla_breached: i64,
}

/// The live figures, for one team or all.
pub async fn live(conn: &mut Conn, team_id: Option<i64>) -> Result<LiveRow> {
    // With a team, every part narrows to it by the one parameter; without, there is none.
    let team = if team_id.is_some() {
        " AND team_id = $1"
    } else {
        ""
    };
    let open =
        format!("merged_into IS NULL AND status IN ('new', 'open', 'pending', 'on_hold'){team}");
    let waiting =
        format!("merged_into IS NULL AND status IN ('new', 'open') AND assignee_id IS NULL{team}");
    let members = if team_id.is_some() {
        " AND EXISTS (SELECT 1 FROM team_members m WHERE m.user_id = u.id AND m.team_id = $1)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT \
         (SELECT COUNT(*) FROM conversations WHERE {open}) AS open, \
         (SELECT COUNT(*) FROM conversations WHERE {waiting}) AS waiting, \
         (SELECT COUNT(*) FROM conversations WHERE {waiting} AND channel = 'chat') AS waiting_chats, \
         (SELECT MIN(created_at) FROM conversations WHERE {waiting}) AS oldest_waiting_at, \
         (SELECT COUNT(*) FROM agent_routing r JOIN users u ON u.id = r.user_id \
            WHERE u.active = 1 AND r.availability = 'online'{members}) AS agents_online, \
         (SELECT COUNT(*) FROM agent_routing r JOIN users u ON u.id = r.user_id \
            WHERE u.active = 1 AND r.availability = 'away'{members}) AS agents_away, \
         (SELECT COUNT(*) FROM conversations WHERE {open} AND sla_state = 'warning') AS sla_warning, \
         (SELECT COUNT(*) FROM conversations WHERE {open} AND sla_state = 'breached') AS sla_breached"
    );
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    let q = match team_id {
        Some(t) => q.bind(t),
        None => q,
    };
    Ok(q.fetch_one(conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_facts_unpack_with_their_empty_values_as_none() {
        let row = unpack("7,,1000,1500,,2,1,,,1").expect("a row");
        assert_eq!(
            row,
            FactsRow {
                customer_id: 7,
                assignee_id: None,
                created_at: 1000,
                first_response_at: Some(1500),
                solved_at: None,
                agent_replies: 2,
                reopened: 1,
                sla_policy_id: None,
                sla_breached_at: None,
                complaint: 1,
            }
        );
        assert_eq!(unpack(""), None);
        assert_eq!(unpack("x,1,2"), None);
    }
}
