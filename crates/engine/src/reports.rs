//! Reports for supervisors and admins: the service figures of a period beside those of the
//! period of the same length just before it, for the conversations a filter picks
//! (`steward_domain::report` has the definitions).

use crate::{Engine, EngineError, Result};
use steward_domain::Actor;
use steward_domain::csat::Scale;
use steward_domain::report::{self, ConversationFacts, Summary};
use steward_store::Conn;
use steward_store::reports::{self as store, LiveRow, ReportFilter};

/// A period's figures and the previous period's.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub from: i64,
    pub to: i64,
    pub current: Summary,
    pub previous: Summary,
}

async fn summary(conn: &mut Conn, f: &ReportFilter, from: i64, to: i64) -> Result<Summary> {
    let facts: Vec<ConversationFacts> = store::facts(conn, f, from, to)
        .await?
        .into_iter()
        .map(|r| ConversationFacts {
            created_at: r.created_at,
            first_response_at: r.first_response_at,
            solved_at: r.solved_at,
            agent_replies: r.agent_replies,
            reopened: r.reopened > 0,
            under_sla: r.sla_policy_id.is_some(),
            sla_breached: r.sla_breached_at.is_some(),
        })
        .collect();
    let answers: Vec<(Scale, i64)> = store::answers(conn, f, from, to)
        .await?
        .into_iter()
        .filter_map(|(scale, rating)| Some((Scale::parse(&scale).ok()?, rating)))
        .collect();
    Ok(report::summarize(&facts, &answers, from, to))
}

impl Engine {
    /// The figures of `[from, to)` and of the period of the same length before it.
    pub async fn report_summary(
        &self,
        by: &Actor,
        f: &ReportFilter,
        from: i64,
        to: i64,
    ) -> Result<Comparison> {
        by.may_supervise()?;
        if to <= from {
            return Err(EngineError::invalid("to", "must be after from"));
        }
        if to - from > 366 * 24 * 3_600_000 {
            return Err(EngineError::invalid(
                "to",
                "must be at most 366 days after from",
            ));
        }
        let mut conn = self.store.pool().acquire().await?;
        let current = summary(&mut conn, f, from, to).await?;
        let previous = summary(&mut conn, f, from - (to - from), from).await?;
        Ok(Comparison {
            from,
            to,
            current,
            previous,
        })
    }
}

impl Engine {
    /// The service right now (the live wall), for one team or all: supervisors and admins, and
    /// agents for their own teams.
    pub async fn live_figures(&self, by: &Actor, team_id: Option<i64>) -> Result<LiveRow> {
        if !team_id.is_some_and(|t| by.team_ids.contains(&t)) {
            by.may_supervise()?;
        }
        let mut conn = self.store.pool().acquire().await?;
        Ok(store::live(&mut conn, team_id).await?)
    }
}
