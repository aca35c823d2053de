//! Service figures for a period, worked out from each conversation's facts. The definitions:
//!
//! - **created**: conversations opened in the period; **solved**: conversations whose latest
//!   solve falls in the period.
//! - **first response** (median, p90): time to the first public agent reply, of the
//!   conversations created in the period that got one.
//! - **resolution** (median, p90): time from opening to the latest solve, of those solved.
//! - **first-contact resolution**: the share of those solved that took at most one public agent
//!   reply and were never reopened; **reopen rate**: the share of those solved that were
//!   reopened at least once.
//! - **SLA compliance**: the share of those solved under an SLA policy that never breached it.
//! - **CSAT**: the share of satisfied answers among the survey answers given in the period.
//! - **complaint resolution**: the share of the conversations tagged `complaint` created in the
//!   period that are solved.
//! - **cost per contact / per resolution**: the period's share of the monthly support cost an
//!   admin enters (a month counts as 30 days), per conversation created / solved.
//! - **contacts per customer**: conversations created per customer who opened one.
//! - **retention**: the share of the previous period's customers (who opened a conversation)
//!   who opened one in this period too.
//! - **per agent**: solved, resolution median, first-contact resolution and CSAT by the agent
//!   the conversation (or the survey) was assigned to.
//! - **NPS**: % promoters (9–10) − % detractors (0–6) of the NPS answers given in the period,
//!   from every campaign; conversation filters do not narrow it.
//! - **feedback**: feedback items received in the period, by kind and by tag.
//! - **deflections**: questions an article answered while the customer wrote a request.
//! - **busiest hours**: conversations created by weekday and hour in the report's time zone.
//! - **backlog over time**: at the end of each day of the period (in the report's time zone),
//!   the conversations opened by then and not solved by then, judged by their latest solve.
//!
//! Percentiles are nearest-rank: the value at rank ⌈p·n⌉ of the sorted times.

use crate::csat::{self, Scale};
use serde::Serialize;

/// What the figures need to know of one conversation.
#[derive(Debug, Clone, Default)]
pub struct ConversationFacts {
    pub customer_id: i64,
    pub assignee_id: Option<i64>,
    pub created_at: i64,
    pub first_response_at: Option<i64>,
    pub solved_at: Option<i64>,
    /// Public agent replies.
    pub agent_replies: i64,
    pub reopened: bool,
    pub under_sla: bool,
    pub sla_breached: bool,
    /// Tagged `complaint`.
    pub complaint: bool,
}

/// The figures of one period. Times in milliseconds, rates in percent; `None` when nothing
/// was there to measure.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub created: i64,
    pub solved: i64,
    pub first_response_median_ms: Option<i64>,
    pub first_response_p90_ms: Option<i64>,
    pub resolution_median_ms: Option<i64>,
    pub resolution_p90_ms: Option<i64>,
    pub first_contact_resolution_pct: Option<f64>,
    pub reopen_pct: Option<f64>,
    pub sla_compliance_pct: Option<f64>,
    pub csat_pct: Option<f64>,
    pub csat_answers: i64,
    pub complaints: i64,
    pub complaint_resolution_pct: Option<f64>,
    /// Set by `costs` from the monthly cost an admin entered.
    pub cost_per_contact: Option<f64>,
    pub cost_per_resolution: Option<f64>,
    pub contacts_per_customer: Option<f64>,
    /// Set by `retention` from the previous period's facts.
    pub retention_pct: Option<f64>,
    /// Net Promoter Score of the NPS answers given in the period (all campaigns; not narrowed
    /// by the conversation filters), and how many there were.
    pub nps: Option<f64>,
    pub nps_answers: i64,
    /// Feedback items received in the period (not narrowed by the conversation filters).
    pub feedback: i64,
    /// Questions customers said an article answered, so no request was opened (not narrowed
    /// by the conversation filters).
    pub deflections: i64,
}

/// One agent's figures in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentFigures {
    pub agent_id: i64,
    pub solved: i64,
    pub resolution_median_ms: Option<i64>,
    pub first_contact_resolution_pct: Option<f64>,
    pub csat_pct: Option<f64>,
    pub csat_answers: i64,
}

/// The nearest-rank percentile `p` (0 < p ≤ 1) of `values` (sorted here).
pub fn percentile(values: &mut [i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = (p * values.len() as f64).ceil().max(1.0) as usize;
    Some(values[rank.min(values.len()) - 1])
}

fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The figures of the period `[from, to)` from the facts of the conversations created or
/// solved in it, and the survey answers given in it.
pub fn summarize(
    facts: &[ConversationFacts],
    answers: &[(Scale, i64)],
    from: i64,
    to: i64,
) -> Summary {
    let within = |t: i64| t >= from && t < to;
    let created: Vec<&ConversationFacts> = facts.iter().filter(|f| within(f.created_at)).collect();
    let solved: Vec<&ConversationFacts> = facts
        .iter()
        .filter(|f| f.solved_at.is_some_and(within))
        .collect();
    let mut first: Vec<i64> = created
        .iter()
        .filter_map(|f| f.first_response_at.map(|r| (r - f.created_at).max(0)))
        .collect();
    let mut resolution: Vec<i64> = solved
        .iter()
        .filter_map(|f| f.solved_at.map(|s| (s - f.created_at).max(0)))
        .collect();
    let fcr = solved
        .iter()
        .filter(|f| f.agent_replies <= 1 && !f.reopened)
        .count();
    let reopened = solved.iter().filter(|f| f.reopened).count();
    let under_sla: Vec<&&ConversationFacts> = solved.iter().filter(|f| f.under_sla).collect();
    let kept = under_sla.iter().filter(|f| !f.sla_breached).count();
    Summary {
        created: created.len() as i64,
        solved: solved.len() as i64,
        first_response_median_ms: percentile(&mut first, 0.5),
        first_response_p90_ms: percentile(&mut first, 0.9),
        resolution_median_ms: percentile(&mut resolution, 0.5),
        resolution_p90_ms: percentile(&mut resolution, 0.9),
        first_contact_resolution_pct: pct(fcr, solved.len()),
        reopen_pct: pct(reopened, solved.len()),
        sla_compliance_pct: pct(kept, under_sla.len()),
        csat_pct: csat::score(answers.iter().copied()),
        csat_answers: answers.len() as i64,
        complaints: created.iter().filter(|f| f.complaint).count() as i64,
        complaint_resolution_pct: {
            let complaints: Vec<_> = created.iter().filter(|f| f.complaint).collect();
            pct(
                complaints.iter().filter(|f| f.solved_at.is_some()).count(),
                complaints.len(),
            )
        },
        cost_per_contact: None,
        cost_per_resolution: None,
        contacts_per_customer: {
            let mut customers: Vec<i64> = created.iter().map(|f| f.customer_id).collect();
            customers.sort_unstable();
            customers.dedup();
            (!customers.is_empty()).then(|| created.len() as f64 / customers.len() as f64)
        },
        retention_pct: None,
        nps: None,
        nps_answers: 0,
        feedback: 0,
        deflections: 0,
    }
}

/// Sets the cost figures of `s` for a period of `days` from the monthly cost (none without one).
pub fn costs(s: &mut Summary, monthly_cost: Option<f64>, days: f64) {
    let Some(monthly) = monthly_cost.filter(|m| *m > 0.0) else {
        return;
    };
    let cost = monthly * days / 30.0;
    let per = |n: i64| (n > 0).then(|| cost / n as f64);
    s.cost_per_contact = per(s.created);
    s.cost_per_resolution = per(s.solved);
}

/// The share of customers who opened a conversation in `[before_from, from)` and opened one
/// in `[from, to)` too, from the facts of both periods (`earlier`, `later`).
pub fn retention(
    earlier: &[ConversationFacts],
    later: &[ConversationFacts],
    before_from: i64,
    from: i64,
    to: i64,
) -> Option<f64> {
    let customers = |a: i64, b: i64| {
        let mut v: Vec<i64> = earlier
            .iter()
            .chain(later)
            .filter(|f| f.created_at >= a && f.created_at < b)
            .map(|f| f.customer_id)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let before = customers(before_from, from);
    let now = customers(from, to);
    let kept = before
        .iter()
        .filter(|c| now.binary_search(c).is_ok())
        .count();
    pct(kept, before.len())
}

/// Each agent's figures: conversations solved in `[from, to)` by their assignee, and survey
/// answers `(agent, scale, rating)` given in it. Agents by id.
pub fn by_agent(
    facts: &[ConversationFacts],
    answers: &[(Option<i64>, Scale, i64)],
    from: i64,
    to: i64,
) -> Vec<AgentFigures> {
    let mut agents: Vec<i64> = facts
        .iter()
        .filter(|f| f.solved_at.is_some_and(|s| s >= from && s < to))
        .filter_map(|f| f.assignee_id)
        .chain(answers.iter().filter_map(|(a, _, _)| *a))
        .collect();
    agents.sort_unstable();
    agents.dedup();
    // Each agent's conversations, gathered in one pass.
    let mut by_agent: std::collections::HashMap<i64, Vec<ConversationFacts>> =
        std::collections::HashMap::new();
    for f in facts {
        if let Some(a) = f.assignee_id
            && agents.binary_search(&a).is_ok()
        {
            by_agent.entry(a).or_default().push(f.clone());
        }
    }
    agents
        .into_iter()
        .map(|agent| {
            let theirs = by_agent.remove(&agent).unwrap_or_default();
            let rated: Vec<(Scale, i64)> = answers
                .iter()
                .filter(|(a, _, _)| *a == Some(agent))
                .map(|(_, s, r)| (*s, *r))
                .collect();
            let s = summarize(&theirs, &rated, from, to);
            AgentFigures {
                agent_id: agent,
                solved: s.solved,
                resolution_median_ms: s.resolution_median_ms,
                first_contact_resolution_pct: s.first_contact_resolution_pct,
                csat_pct: s.csat_pct,
                csat_answers: s.csat_answers,
            }
        })
        .collect()
}

/// Conversations created in `[from, to)` by weekday (Monday first) and hour in `tz`.
pub fn busiest_hours(
    facts: &[ConversationFacts],
    tz: &jiff::tz::TimeZone,
    from: i64,
    to: i64,
) -> [[i64; 24]; 7] {
    let mut grid = [[0i64; 24]; 7];
    for f in facts
        .iter()
        .filter(|f| f.created_at >= from && f.created_at < to)
    {
        if let Ok(t) = jiff::Timestamp::from_millisecond(f.created_at) {
            let z = t.to_zoned(tz.clone());
            let day = z.weekday().to_monday_zero_offset() as usize;
            grid[day][z.hour() as usize] += 1;
        }
    }
    grid
}

/// The backlog at the end of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacklogDay {
    /// The day's date in the report's time zone.
    pub date: String,
    pub open: i64,
}

/// The backlog at the end of each day in `[from, to)` (days in `tz`), from the backlog at
/// `from` and the facts of the conversations created or solved in the period.
pub fn backlog(
    facts: &[ConversationFacts],
    at_start: i64,
    tz: &jiff::tz::TimeZone,
    from: i64,
    to: i64,
) -> Vec<BacklogDay> {
    let Ok(mut day) = jiff::Timestamp::from_millisecond(from).map(|t| t.to_zoned(tz.clone()))
    else {
        return Vec::new();
    };
    let mut created: Vec<i64> = facts
        .iter()
        .map(|f| f.created_at)
        .filter(|t| *t >= from && *t < to)
        .collect();
    let mut solved: Vec<i64> = facts
        .iter()
        .filter_map(|f| f.solved_at)
        .filter(|t| *t >= from && *t < to)
        .collect();
    created.sort_unstable();
    solved.sort_unstable();
    let mut days = Vec::new();
    while day.timestamp().as_millisecond() < to && days.len() < 400 {
        let Ok(next) = day.tomorrow().and_then(|d| d.start_of_day()) else {
            break;
        };
        let end = next.timestamp().as_millisecond().min(to);
        let opened = created.partition_point(|t| *t < end) as i64;
        let closed = solved.partition_point(|t| *t < end) as i64;
        days.push(BacklogDay {
            date: day.date().to_string(),
            open: at_start + opened - closed,
        });
        day = next;
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn conv(created: i64, first: Option<i64>, solved: Option<i64>) -> ConversationFacts {
        ConversationFacts {
            created_at: created,
            first_response_at: first,
            solved_at: solved,
            agent_replies: 1,
            ..Default::default()
        }
    }

    #[test]
    fn retention_agents_and_busiest_hours_are_counted_by_hand() {
        let (before, from, to) = (0, 100 * MIN, 200 * MIN);
        let f = |customer: i64, agent: Option<i64>, created: i64, solved: Option<i64>| {
            ConversationFacts {
                customer_id: customer,
                assignee_id: agent,
                ..conv(created, Some(created + MIN), solved)
            }
        };
        let facts = vec![
            f(1, Some(7), 10 * MIN, Some(20 * MIN)),
            f(2, Some(7), 20 * MIN, Some(30 * MIN)),
            f(3, None, 30 * MIN, None),
            f(1, Some(7), 110 * MIN, Some(140 * MIN)),
            f(1, Some(8), 120 * MIN, Some(125 * MIN)),
            f(4, Some(8), 130 * MIN, None),
        ];
        // Of customers 1, 2, 3 before, only 1 came back.
        assert_eq!(retention(&facts, &[], before, from, to), Some(100.0 / 3.0));
        // Three conversations from customers 1 and 4.
        let s = summarize(&facts, &[], from, to);
        assert_eq!(s.contacts_per_customer, Some(1.5));
        let agents = by_agent(&facts, &[(Some(8), Scale::GoodBad, 0)], from, to);
        assert_eq!(agents.len(), 2);
        assert_eq!((agents[0].agent_id, agents[0].solved), (7, 1));
        assert_eq!(agents[0].resolution_median_ms, Some(30 * MIN));
        assert_eq!((agents[1].agent_id, agents[1].solved), (8, 1));
        assert_eq!((agents[1].csat_pct, agents[1].csat_answers), (Some(0.0), 1));
        // 1970-01-01 was a Thursday; minute 110 is 01:50, 120 and 130 are 02:00 and 02:10.
        let grid = busiest_hours(&facts, &jiff::tz::TimeZone::UTC, from, to);
        assert_eq!((grid[3][1], grid[3][2]), (1, 2));
        assert_eq!(grid.iter().flatten().sum::<i64>(), 3);
    }

    #[test]
    fn the_backlog_at_each_days_end_counts_what_was_opened_and_not_yet_solved() {
        const DAY: i64 = 24 * 60 * MIN;
        let (from, to) = (10 * DAY, 13 * DAY);
        let facts = vec![
            // Opened before the period (in the starting backlog of 2), solved on its 2nd day.
            conv(9 * DAY, None, Some(11 * DAY + 5 * MIN)),
            // Opened on day 1, solved the same day: never at a day's end.
            conv(10 * DAY + MIN, None, Some(10 * DAY + 2 * MIN)),
            // Opened on day 1, still open.
            conv(10 * DAY + 3 * MIN, None, None),
            // Opened on day 3, solved after the period.
            conv(12 * DAY, None, Some(20 * DAY)),
        ];
        let days = backlog(&facts, 2, &jiff::tz::TimeZone::UTC, from, to);
        let open: Vec<(String, i64)> = days.into_iter().map(|d| (d.date, d.open)).collect();
        assert_eq!(
            open,
            vec![
                ("1970-01-11".to_string(), 3),
                ("1970-01-12".to_string(), 2),
                ("1970-01-13".to_string(), 3)
            ]
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v = vec![50, 10, 40, 20, 30];
        assert_eq!(percentile(&mut v, 0.5), Some(30));
        assert_eq!(percentile(&mut v, 0.9), Some(50));
        let mut ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&mut ten, 0.5), Some(5));
        assert_eq!(percentile(&mut ten, 0.9), Some(9));
        assert_eq!(percentile(&mut [], 0.5), None);
    }

    #[test]
    fn a_hand_counted_period_gives_the_hand_counted_figures() {
        // The period is [100 min, 200 min).
        let (from, to) = (100 * MIN, 200 * MIN);
        let facts = vec![
            // Created before, solved inside after 3 replies: counts as solved, not FCR.
            ConversationFacts {
                agent_replies: 3,
                ..conv(40 * MIN, Some(50 * MIN), Some(120 * MIN))
            },
            // Created and solved inside with one reply: FCR, under an SLA it kept.
            ConversationFacts {
                under_sla: true,
                ..conv(110 * MIN, Some(120 * MIN), Some(130 * MIN))
            },
            // Created inside, reopened, solved inside: under an SLA it breached.
            ConversationFacts {
                reopened: true,
                under_sla: true,
                sla_breached: true,
                ..conv(150 * MIN, Some(190 * MIN), Some(195 * MIN))
            },
            // Created inside, no reply yet.
            conv(160 * MIN, None, None),
            // Created inside, solved after the period.
            conv(170 * MIN, Some(175 * MIN), Some(260 * MIN)),
        ];
        let answers = [(Scale::GoodBad, 1), (Scale::FivePoint, 2)];
        let mut facts = facts;
        facts[3].complaint = true;
        facts[4].complaint = true;
        let mut s = summarize(&facts, &answers, from, to);
        // Two complaints opened in the period, one solved (after it, but solved now).
        assert_eq!((s.complaints, s.complaint_resolution_pct), (2, Some(50.0)));
        // 3,000 a month; the period is 100 minutes of a 30-day month.
        costs(&mut s, Some(3000.0), 100.0 / 1440.0);
        let cost = 3000.0 * (100.0 / 1440.0) / 30.0;
        assert_eq!(s.cost_per_contact, Some(cost / 4.0));
        assert_eq!(s.cost_per_resolution, Some(cost / 3.0));
        assert_eq!(s.created, 4);
        assert_eq!(s.solved, 3);
        // First responses of those created inside: 10, 40, 5 minutes.
        assert_eq!(s.first_response_median_ms, Some(10 * MIN));
        assert_eq!(s.first_response_p90_ms, Some(40 * MIN));
        // Resolutions of those solved inside: 80, 20, 45 minutes.
        assert_eq!(s.resolution_median_ms, Some(45 * MIN));
        assert_eq!(s.resolution_p90_ms, Some(80 * MIN));
        // Of three solved, one took one reply and was never reopened.
        assert_eq!(s.first_contact_resolution_pct, Some(100.0 / 3.0));
        assert_eq!(s.reopen_pct, Some(100.0 / 3.0));
        assert_eq!(s.sla_compliance_pct, Some(50.0));
        assert_eq!(s.csat_pct, Some(50.0));
        assert_eq!(s.csat_answers, 2);
        let empty = summarize(&[], &[], from, to);
        assert_eq!(
            (empty.created, empty.first_contact_resolution_pct),
            (0, None)
        );
    }
}
