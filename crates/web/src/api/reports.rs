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
use steward_engine::export::{self, Format, report};
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
    /// The inbox address the conversations came through.
    pub inbox: Option<String>,
    /// For `summary.csv`: which part (figures, agents, backlog, hours); figures by default.
    pub part: Option<String>,
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
    /// The conversations open (opened and not solved) at the end of each day, in `tz`.
    #[schema(value_type = Vec<Object>)]
    pub backlog: Vec<steward_domain::report::BacklogDay>,
    /// Feedback received in the period: `[kind, count]` and `[tag, count]`, most first.
    pub feedback_by_kind: Vec<(String, i64)>,
    pub feedback_by_tag: Vec<(String, i64)>,
    /// Deflections in the period: `[source, count]`, and `[article title, count]` of the five
    /// articles that deflected most.
    pub deflections_by_source: Vec<(String, i64)>,
    pub deflecting_articles: Vec<(String, i64)>,
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
        inbox: q
            .inbox
            .as_deref()
            .map(|i| i.trim().to_lowercase())
            .filter(|i| !i.is_empty()),
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
        backlog: c.backlog,
        feedback_by_kind: c.feedback_by_kind,
        feedback_by_tag: c.feedback_by_tag,
        deflections_by_source: c.deflections_by_source,
        deflecting_articles: c.deflecting_articles,
        current: c.current,
        previous: c.previous,
    }))
}

/// Names agents for exports: their name, or `#id` for one no longer listed.
pub async fn agent_names(s: &AppState) -> Result<impl Fn(i64) -> String + use<>, Problem> {
    let everyone = s.engine.agents().await?;
    Ok(move |id: i64| {
        everyone
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("#{id}"), |u| u.name.clone())
    })
}

pub(crate) fn download(
    content_type: &str,
    filename: String,
    body: impl Into<axum::body::Body>,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// One part of the report as CSV (`part`: figures, the default, with one row per figure for
/// this period and the previous one; agents; backlog; hours).
#[utoipa::path(get, path = "/api/v1/reports/summary.csv", tag = "reports", params(ReportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 403), (status = 422)))]
pub async fn summary_csv(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let part = report::Part::parse(q.part.as_deref().unwrap_or_default())?;
    let (p, c) = compare(&s, &actor, &q).await?;
    let names = agent_names(&s).await?;
    let (first, last) = (p.first_day.to_string(), p.last_day.to_string());
    let table = report::table(&c, part, &first, &last, &names);
    let suffix = match part {
        report::Part::Figures => String::new(),
        _ => format!("-{}", table.name.to_lowercase().replace(' ', "-")),
    };
    Ok(download(
        Format::Csv.content_type(),
        format!("steward-report-{first}-{last}{suffix}.csv"),
        export::csv(&table),
    ))
}

/// The whole report as an XLSX workbook: figures, agents, backlog and busiest hours, a sheet
/// each.
#[utoipa::path(get, path = "/api/v1/reports/summary.xlsx", tag = "reports", params(ReportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403), (status = 422)))]
pub async fn summary_xlsx(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let (p, c) = compare(&s, &actor, &q).await?;
    let names = agent_names(&s).await?;
    let (first, last) = (p.first_day.to_string(), p.last_day.to_string());
    let tables = report::tables(&c, &first, &last, &names);
    Ok(download(
        Format::Xlsx.content_type(),
        format!("steward-report-{first}-{last}.xlsx"),
        export::workbook(&tables),
    ))
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
