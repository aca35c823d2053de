//! Reports for supervisors and admins: the service figures of a period beside those of the
//! period of the same length just before it, for the conversations a filter picks
//! (`steward_domain::report` has the definitions).

use crate::{Engine, EngineError, Result};
use steward_domain::Actor;
use steward_domain::csat::Scale;
use steward_domain::report::{self, AgentFigures, ConversationFacts, Summary};
use steward_store::Conn;
use steward_store::deflections;
use steward_store::reports::{self as store, LiveRow, ReportFilter};

/// A period's figures and the previous period's, each agent's, and the busiest hours.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub from: i64,
    pub to: i64,
    pub current: Summary,
    pub previous: Summary,
    pub agents: Vec<AgentFigures>,
    /// Conversations created by weekday (Monday first) and hour.
    pub busiest_hours: [[i64; 24]; 7],
    /// The backlog at the end of each day of the period.
    pub backlog: Vec<report::BacklogDay>,
    /// Feedback received in the period by kind and by tag (most first).
    pub feedback_by_kind: Vec<(String, i64)>,
    pub feedback_by_tag: Vec<(String, i64)>,
    /// Deflections in the period by source, and the articles that deflected most (title).
    pub deflections_by_source: Vec<(String, i64)>,
    pub deflecting_articles: Vec<(String, i64)>,
}

/// What support costs, as an admin entered it (`settings` row `costs`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Costs {
    /// The monthly cost of the support team (wages, tools), in `currency`.
    pub monthly_cost: Option<f64>,
    pub currency: String,
}

async fn costs_of(conn: &mut Conn) -> Result<Costs> {
    Ok(steward_store::settings::get(conn, "costs")
        .await?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

type Answers = Vec<(Option<i64>, Scale, i64)>;

async fn answers(conn: &mut Conn, f: &ReportFilter, from: i64, to: i64) -> Result<Answers> {
    Ok(store::answers(conn, f, from, to)
        .await?
        .into_iter()
        .filter_map(|(agent, scale, rating)| Some((agent, Scale::parse(&scale).ok()?, rating)))
        .collect())
}

fn ratings(a: &Answers) -> Vec<(Scale, i64)> {
    a.iter().map(|(_, s, r)| (*s, *r)).collect()
}

impl Engine {
    /// The figures of `[from, to)` and of the period of the same length before it, with days
    /// and hours in `tz`.
    pub async fn report_summary(
        &self,
        by: &Actor,
        f: &ReportFilter,
        from: i64,
        to: i64,
        tz: &jiff::tz::TimeZone,
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
        let before = from - (to - from);
        // The two periods are read side by side, each on a connection of its own that it
        // gives back when done (so concurrent reports cannot hold the pool between them).
        let read = |a: i64, b: i64| async move {
            let mut c = self.store.pool().acquire().await?;
            Ok::<_, EngineError>(store::facts(&mut c, self.store.backend(), f, a, b).await?)
        };
        let (now_rows, before_rows) = tokio::try_join!(read(from, to), read(before, from))?;
        let mut conn = self.store.pool().acquire().await?;
        let facts_of = |rows: Vec<store::FactsRow>| -> Vec<ConversationFacts> {
            rows.into_iter()
                .map(|r| ConversationFacts {
                    customer_id: r.customer_id,
                    assignee_id: r.assignee_id,
                    created_at: r.created_at,
                    first_response_at: r.first_response_at,
                    solved_at: r.solved_at,
                    agent_replies: r.agent_replies,
                    reopened: r.reopened > 0,
                    under_sla: r.sla_policy_id.is_some(),
                    sla_breached: r.sla_breached_at.is_some(),
                    complaint: r.complaint > 0,
                })
                .collect()
        };
        let facts = facts_of(now_rows);
        let before_facts = facts_of(before_rows);
        let at_start = store::backlog_at(&mut conn, f, from).await?;
        let now_answers = answers(&mut conn, f, from, to).await?;
        let before_answers = answers(&mut conn, f, before, from).await?;
        let mut current = report::summarize(&facts, &ratings(&now_answers), from, to);
        current.retention_pct = report::retention(&before_facts, &facts, before, from, to);
        let mut previous =
            report::summarize(&before_facts, &ratings(&before_answers), before, from);
        for (s, a, b) in [(&mut current, from, to), (&mut previous, before, from)] {
            let n = steward_domain::nps::figures(
                steward_store::nps::scores_between(&mut conn, None, a, b).await?,
            );
            s.nps = n.nps;
            s.nps_answers = n.answers;
        }
        let feedback_by_kind = steward_store::feedback::count_by_kind(&mut conn, from, to).await?;
        current.feedback = feedback_by_kind.iter().map(|(_, n)| n).sum();
        previous.feedback = steward_store::feedback::count_by_kind(&mut conn, before, from)
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let feedback_by_tag = steward_store::feedback::count_by_tag(&mut conn, from, to).await?;
        let deflections_by_source = deflections::count_by_source(&mut conn, from, to).await?;
        current.deflections = deflections_by_source.iter().map(|(_, n)| n).sum();
        previous.deflections = deflections::count_by_source(&mut conn, before, from)
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let mut deflecting_articles = Vec::new();
        for (id, n) in deflections::top_articles(&mut conn, from, to, 5).await? {
            let title =
                steward_store::kb::article(&mut conn, id, steward_store::kb::Reach::Everything)
                    .await?
                    .map_or_else(|| format!("article {id} (deleted)"), |a| a.title);
            deflecting_articles.push((title, n));
        }
        let monthly = costs_of(&mut conn).await?.monthly_cost;
        let days = (to - from) as f64 / 86_400_000.0;
        report::costs(&mut current, monthly, days);
        report::costs(&mut previous, monthly, days);
        Ok(Comparison {
            from,
            to,
            agents: report::by_agent(&facts, &now_answers, from, to),
            busiest_hours: report::busiest_hours(&facts, tz, from, to),
            backlog: report::backlog(&facts, at_start, tz, from, to),
            feedback_by_kind,
            feedback_by_tag,
            deflections_by_source,
            deflecting_articles,
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

impl Engine {
    pub async fn support_costs(&self, by: &Actor) -> Result<Costs> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        costs_of(&mut conn).await
    }

    /// Saves what support costs (admin), for cost per contact and per resolution.
    pub async fn set_support_costs(&self, by: &Actor, c: Costs) -> Result<Costs> {
        by.may_administer()?;
        if c.monthly_cost
            .is_some_and(|m| !m.is_finite() || !(0.0..=1e12).contains(&m))
        {
            return Err(EngineError::invalid(
                "monthly_cost",
                "must be a sum from 0 to 1,000,000,000,000",
            ));
        }
        if c.currency.chars().count() > 10 {
            return Err(EngineError::invalid(
                "currency",
                "must be at most 10 characters",
            ));
        }
        let at = steward_store::now_ms();
        let mut tx = self.store.write().await?;
        steward_store::settings::set(&mut tx, "costs", &serde_json::json!(c).to_string(), at)
            .await?;
        crate::directory::log(
            &mut tx,
            Some(by),
            "settings",
            0,
            "settings.changed",
            serde_json::json!({"name": "costs", "after": c}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }
}
