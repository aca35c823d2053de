//! Reports over the API (supervisors and admins): `/reports/summary` answers a period's figures
//! beside the previous period's as JSON, `/reports/summary.csv` the same as CSV. A period is
//! whole days, `from` and `to` included (`YYYY-MM-DD`), in the time zone `tz` (UTC unless
//! given); the last 30 days when left out.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_domain::report::Summary;
use steward_domain::{Channel, Priority};
use steward_engine::reports::Comparison;
use steward_store::reports::ReportFilter;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, included (default: today).
    pub to: Option<String>,
    /// IANA time zone the days are in (default UTC).
    pub tz: Option<String>,
    pub team_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub tag: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportOut {
    /// The period's first day and last day (included), and its time zone.
    pub from: String,
    pub to: String,
    pub tz: String,
    #[schema(value_type = Object)]
    pub current: Summary,
    /// The period of the same length just before.
    #[schema(value_type = Object)]
    pub previous: Summary,
    /// Each agent's figures in the period.
    #[schema(value_type = Vec<Object>)]
    pub agents: Vec<steward_domain::report::AgentFigures>,
    /// Conversations created by weekday (Monday first) and hour, in `tz`.
    pub busiest_hours: Vec<Vec<i64>>,
}

/// A query read into the filter and period `[from, to)` in milliseconds.
pub struct Period {
    pub filter: ReportFilter,
    pub from: i64,
    pub to: i64,
    pub first_day: jiff::civil::Date,
    pub last_day: jiff::civil::Date,
    pub tz: String,
    pub zone: jiff::tz::TimeZone,
}

fn day(field: &str, s: &str) -> Result<jiff::civil::Date, Problem> {
    s.trim()
        .parse()
        .map_err(|_| Problem::invalid(field, format!("must be a day like 2026-11-01, not {s:?}")))
}

pub fn period(q: &ReportQuery) -> Result<Period, Problem> {
    let tz_name = q.tz.clone().unwrap_or_else(|| "UTC".into());
    let tz = jiff::tz::TimeZone::get(&tz_name).map_err(|_| {
        Problem::invalid(
            "tz",
            format!("must be a time zone like Europe/Berlin, not {tz_name:?}"),
        )
    })?;
    let last_day = match &q.to {
        Some(t) => day("to", t)?,
        None => jiff::Timestamp::now().to_zoned(tz.clone()).date(),
    };
    let first_day = match &q.from {
        Some(f) => day("from", f)?,
        None => last_day
            .checked_sub(jiff::Span::new().days(29))
            .map_err(|_| Problem::invalid("to", "is out of range"))?,
    };
    if first_day > last_day {
        return Err(Problem::invalid("from", "must not be after to"));
    }
    let start = |d: jiff::civil::Date| -> Result<i64, Problem> {
        Ok(d.to_zoned(tz.clone())
            .map_err(|_| Problem::invalid("from", "is out of range"))?
            .timestamp()
            .as_millisecond())
    };
    let end_day = last_day
        .tomorrow()
        .map_err(|_| Problem::invalid("to", "is out of range"))?;
    let filter = ReportFilter {
        team_id: q.team_id,
        assignee_id: q.agent_id,
        channel: q
            .channel
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| Channel::parse(c).map(|c| c.as_str().to_string()))
            .transpose()?,
        priority: q
            .priority
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| Priority::parse(p).map(|p| p.as_str().to_string()))
            .transpose()?,
        tag: q.tag.clone().filter(|t| !t.trim().is_empty()),
    };
    Ok(Period {
        filter,
        from: start(first_day)?,
        to: start(end_day)?,
        first_day,
        last_day,
        tz: tz_name,
        zone: tz,
    })
}

pub async fn compare(
    s: &AppState,
    actor: &steward_domain::Actor,
    q: &ReportQuery,
) -> Result<(Period, Comparison), Problem> {
    let p = period(q)?;
    let c = s
        .engine
        .report_summary(actor, &p.filter, p.from, p.to, &p.zone)
        .await?;
    Ok((p, c))
}

/// A period's figures beside the previous period's: conversations created and solved, first
/// response and resolution times (median, p90), first-contact resolution, reopen rate, SLA
/// compliance and CSAT.
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(ReportQuery),
    responses((status = 200, body = ReportOut), (status = 403), (status = 422)))]
pub async fn summary(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<ReportOut>> {
    let (p, c) = compare(&s, &actor, &q).await?;
    Ok(Json(ReportOut {
        from: p.first_day.to_string(),
        to: p.last_day.to_string(),
        tz: p.tz,
        busiest_hours: c.busiest_hours.iter().map(|d| d.to_vec()).collect(),
        agents: c.agents,
        current: c.current,
        previous: c.previous,
    }))
}

/// The figures as rows (name, this period, previous period), for the CSV and the page.
pub fn rows(c: &Comparison) -> Vec<(&'static str, String, String)> {
    fn n(v: i64) -> String {
        v.to_string()
    }
    fn ms(v: Option<i64>) -> String {
        v.map(|m| format!("{:.1}", m as f64 / 60_000.0))
            .unwrap_or_default()
    }
    fn dec(v: Option<f64>) -> String {
        v.map(|p| format!("{p:.2}")).unwrap_or_default()
    }
    fn pct(v: Option<f64>) -> String {
        v.map(|p| format!("{p:.1}")).unwrap_or_default()
    }
    let (a, b) = (&c.current, &c.previous);
    vec![
        ("conversations created", n(a.created), n(b.created)),
        ("conversations solved", n(a.solved), n(b.solved)),
        (
            "first response, median (minutes)",
            ms(a.first_response_median_ms),
            ms(b.first_response_median_ms),
        ),
        (
            "first response, p90 (minutes)",
            ms(a.first_response_p90_ms),
            ms(b.first_response_p90_ms),
        ),
        (
            "resolution, median (minutes)",
            ms(a.resolution_median_ms),
            ms(b.resolution_median_ms),
        ),
        (
            "resolution, p90 (minutes)",
            ms(a.resolution_p90_ms),
            ms(b.resolution_p90_ms),
        ),
        (
            "first-contact resolution (%)",
            pct(a.first_contact_resolution_pct),
            pct(b.first_contact_resolution_pct),
        ),
        ("reopened (%)", pct(a.reopen_pct), pct(b.reopen_pct)),
        (
            "SLA compliance (%)",
            pct(a.sla_compliance_pct),
            pct(b.sla_compliance_pct),
        ),
        ("CSAT (% satisfied)", pct(a.csat_pct), pct(b.csat_pct)),
        ("CSAT answers", n(a.csat_answers), n(b.csat_answers)),
        ("complaints", n(a.complaints), n(b.complaints)),
        (
            "complaints solved (%)",
            pct(a.complaint_resolution_pct),
            pct(b.complaint_resolution_pct),
        ),
        (
            "cost per contact",
            dec(a.cost_per_contact),
            dec(b.cost_per_contact),
        ),
        (
            "cost per resolution",
            dec(a.cost_per_resolution),
            dec(b.cost_per_resolution),
        ),
        (
            "contacts per customer",
            dec(a.contacts_per_customer),
            dec(b.contacts_per_customer),
        ),
        (
            "customers retained from the previous period (%)",
            pct(a.retention_pct),
            String::new(),
        ),
    ]
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The same figures as CSV: one row per figure, this period and the previous one.
#[utoipa::path(get, path = "/api/v1/reports/summary.csv", tag = "reports", params(ReportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 403), (status = 422)))]
pub async fn summary_csv(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let (p, c) = compare(&s, &actor, &q).await?;
    let mut out = format!(
        "figure,{} to {},previous period\r\n",
        p.first_day, p.last_day
    );
    for (name, now, before) in rows(&c) {
        out.push_str(&format!("{},{now},{before}\r\n", csv_field(name)));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"steward-report-{}-{}.csv\"",
                    p.first_day, p.last_day
                ),
            ),
        ],
        out,
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    /// One team's figures (agents may ask for their own teams); all teams when left out.
    pub team_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct LiveOut {
    /// Conversations not solved or closed.
    pub open: i64,
    /// New or open with nobody assigned, and of those the chats.
    pub waiting: i64,
    pub waiting_chats: i64,
    /// How long the longest-waiting of them has waited.
    pub longest_wait_seconds: Option<i64>,
    pub agents_online: i64,
    pub agents_away: i64,
    /// Open conversations whose SLA is in its warning time, or breached.
    pub sla_at_risk: i64,
    pub sla_breached: i64,
    pub at: String,
}

pub fn live_out(r: steward_store::reports::LiveRow, now: i64) -> LiveOut {
    LiveOut {
        open: r.open,
        waiting: r.waiting,
        waiting_chats: r.waiting_chats,
        longest_wait_seconds: r.oldest_waiting_at.map(|t| (now - t).max(0) / 1000),
        agents_online: r.agents_online,
        agents_away: r.agents_away,
        sla_at_risk: r.sla_warning,
        sla_breached: r.sla_breached,
        at: crate::fmt::rfc3339(now),
    }
}

/// The service right now: open and waiting conversations, waiting chats, the longest wait,
/// agents online and away, SLAs at risk and breached.
#[utoipa::path(get, path = "/api/v1/reports/live", tag = "reports", params(LiveQuery),
    responses((status = 200, body = LiveOut), (status = 403)))]
pub async fn live(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<LiveQuery>,
) -> ApiResult<Json<LiveOut>> {
    let r = s.engine.live_figures(&actor, q.team_id).await?;
    Ok(Json(live_out(r, steward_store::now_ms())))
}

/// What support costs per month, for cost per contact and per resolution (supervisors read).
#[utoipa::path(get, path = "/api/v1/settings/costs", tag = "reports",
    responses((status = 200, body = Object), (status = 403)))]
pub async fn get_costs(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<steward_engine::reports::Costs>> {
    Ok(Json(s.engine.support_costs(&actor).await?))
}

/// Sets the monthly support cost and its currency (admin).
#[utoipa::path(put, path = "/api/v1/settings/costs", request_body = Object, tag = "reports",
    responses((status = 200, body = Object), (status = 403), (status = 422)))]
pub async fn put_costs(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    crate::extract::ApiJson(b): crate::extract::ApiJson<serde_json::Value>,
) -> ApiResult<Json<steward_engine::reports::Costs>> {
    let c = serde_json::from_value(b).map_err(|e| Problem::invalid("costs", e.to_string()))?;
    Ok(Json(s.engine.set_support_costs(&actor, c).await?))
}
