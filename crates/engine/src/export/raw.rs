//! Raw exports for supervisors and admins: the conversations created in a period (one row
//! each, with their times, counts, SLA outcome and CSAT answer) and the messages written in a
//! period (internal notes included), narrowed by the report filter, read a page at a time so
//! a CSV can stream any number of rows. Times are written in the export's time zone.

use super::text;
use super::xlsx::Cell;
use crate::{Engine, EngineError, Result};
use steward_domain::Actor;
use steward_store::exports;
use steward_store::reports::ReportFilter;

/// Which rows an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Conversations,
    Messages,
}

impl Kind {
    pub fn header(self) -> &'static [&'static str] {
        match self {
            Kind::Conversations => &[
                "number",
                "subject",
                "status",
                "priority",
                "channel",
                "inbox",
                "customer id",
                "customer",
                "customer email",
                "tags",
                "team",
                "assignee",
                "created",
                "first response",
                "solved",
                "closed",
                "messages",
                "agent replies",
                "reopened",
                "SLA",
                "SLA breached",
                "CSAT",
            ],
            Kind::Messages => &[
                "message id",
                "conversation number",
                "written",
                "author kind",
                "author",
                "visibility",
                "channel",
                "text",
            ],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Conversations => "conversations",
            Kind::Messages => "messages",
        }
    }
}

/// One page of rows and the cursor for the next (`None` at the end).
pub struct Page {
    pub rows: Vec<Vec<Cell>>,
    pub next: Option<i64>,
}

fn time(ms: Option<i64>, tz: &jiff::tz::TimeZone) -> Cell {
    ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
        .map_or(Cell::Empty, |t| {
            Cell::Text(
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string(),
            )
        })
}

impl Engine {
    /// Rows of `kind` after cursor `after` (0 to start): up to `limit`.
    #[allow(clippy::too_many_arguments)]
    pub async fn export_page(
        &self,
        by: &Actor,
        kind: Kind,
        f: &ReportFilter,
        from: i64,
        to: i64,
        tz: &jiff::tz::TimeZone,
        after: i64,
        limit: i64,
    ) -> Result<Page> {
        by.may_supervise()?;
        if to <= from {
            return Err(EngineError::invalid("to", "must be after from"));
        }
        let limit = limit.clamp(1, 5000);
        let mut conn = self.store.pool().acquire().await?;
        let (rows, last) = match kind {
            Kind::Conversations => {
                let found = exports::conversations(&mut conn, f, from, to, after, limit).await?;
                let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
                let tags = steward_store::conversations::tags_of(&mut conn, &ids).await?;
                let last = found.last().map(|c| c.id);
                let rows: Vec<Vec<Cell>> = found
                    .into_iter()
                    .map(|c| {
                        let names: Vec<&str> = tags
                            .iter()
                            .filter(|(id, _)| *id == c.id)
                            .map(|(_, n)| n.as_str())
                            .collect();
                        let csat = match (c.csat_scale.as_deref(), c.csat_rating) {
                            (Some(scale), Some(r)) => steward_domain::csat::Scale::parse(scale)
                                .map(|s| s.word(r))
                                .unwrap_or_default(),
                            _ => String::new(),
                        };
                        vec![
                            Cell::Number(c.number as f64),
                            text(c.subject),
                            text(c.status),
                            text(c.priority),
                            text(c.channel),
                            text(c.inbox.unwrap_or_default()),
                            Cell::Number(c.customer_id as f64),
                            text(c.customer_name),
                            text(c.customer_email.unwrap_or_default()),
                            text(names.join(" ")),
                            text(c.team_name.unwrap_or_default()),
                            text(c.assignee_name.unwrap_or_default()),
                            time(Some(c.created_at), tz),
                            time(c.first_response_at, tz),
                            time(c.solved_at, tz),
                            time(c.closed_at, tz),
                            Cell::Number(c.message_count as f64),
                            Cell::Number(c.agent_replies as f64),
                            Cell::Number(c.reopen_count as f64),
                            text(c.sla_state.unwrap_or_default()),
                            time(c.sla_breached_at, tz),
                            text(csat),
                        ]
                    })
                    .collect();
                (rows, last)
            }
            Kind::Messages => {
                let found = exports::messages(&mut conn, f, from, to, after, limit).await?;
                let last = found.last().map(|m| m.id);
                let rows: Vec<Vec<Cell>> = found
                    .into_iter()
                    .map(|m| {
                        vec![
                            Cell::Number(m.id as f64),
                            Cell::Number(m.conversation_number as f64),
                            time(Some(m.created_at), tz),
                            text(m.author_kind),
                            text(m.author_name.unwrap_or_default()),
                            text(m.visibility),
                            text(m.channel),
                            text(m.body_text),
                        ]
                    })
                    .collect();
                (rows, last)
            }
        };
        let full = rows.len() as i64 == limit;
        Ok(Page {
            rows,
            next: last.filter(|_| full),
        })
    }
}
