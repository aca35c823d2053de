//! The reports page (supervisors and admins): a period and filters, the figures beside the
//! previous period's with the change, a chart drawn on the server as SVG, and the CSV link.

use super::render;
use super::view::{Choice, Layout, word_choices};
use crate::AppState;
use crate::api::reports::{ReportQuery, compare};
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use steward_domain::report::Summary;
use steward_domain::{Channel, Priority};
use steward_engine::export::report::figure_rows;

pub struct Line {
    pub name: &'static str,
    pub now: String,
    pub before: String,
}

/// One bar pair of the chart: a label, this period's and the previous period's bar widths.
pub struct Bar {
    pub label: &'static str,
    pub y: i64,
    pub now: i64,
    pub now_w: i64,
    pub before: i64,
    pub before_w: i64,
}

/// An agent's line: name, solved, resolution median, first-contact resolution, CSAT.
pub struct AgentLine {
    pub name: String,
    pub solved: i64,
    pub resolution: String,
    pub fcr: String,
    pub csat: String,
}

/// One cell of the busiest-hours heatmap (16 px squares).
pub struct Cell {
    pub x: i64,
    pub y: i64,
    pub count: i64,
    /// Opacity from 0.05 (none) to 1 (the busiest hour).
    pub shade: String,
}

fn cells(grid: &[[i64; 24]; 7]) -> Vec<Cell> {
    let top = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    let mut out = Vec::new();
    for (d, hours) in grid.iter().enumerate() {
        for (h, n) in hours.iter().enumerate() {
            out.push(Cell {
                x: 34 + h as i64 * 17,
                y: d as i64 * 17,
                count: *n,
                shade: format!("{:.2}", 0.05 + 0.95 * *n as f64 / top as f64),
            });
        }
    }
    out
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    from: String,
    to: String,
    tz: String,
    tag: String,
    teams: Vec<Choice>,
    agents: Vec<Choice>,
    channels: Vec<Choice>,
    priorities: Vec<Choice>,
    inboxes: Vec<Choice>,
    lines: Vec<Line>,
    bars: Vec<Bar>,
    /// The period and filters as a query string, for the download links.
    query: String,
    agent_lines: Vec<AgentLine>,
    heat: Vec<Cell>,
    backlog: BacklogChart,
    schedules: Vec<ScheduleLine>,
    feedback_by_kind: Vec<(String, i64)>,
    feedback_by_tag: Vec<(String, i64)>,
    deflections_by_source: Vec<(String, i64)>,
    deflecting_articles: Vec<(String, i64)>,
    /// The filters shown, for the schedule form.
    filter_team: String,
    filter_agent: String,
    filter_channel: String,
    filter_priority: String,
    filter_inbox: String,
    monthly_cost: String,
    currency: String,
}

/// Created and solved, this period against the previous one, scaled to 300 px.
fn bars(now: &Summary, before: &Summary) -> Vec<Bar> {
    let pairs = [
        ("Created", now.created, before.created),
        ("Solved", now.solved, before.solved),
        ("CSAT answers", now.csat_answers, before.csat_answers),
    ];
    let top = pairs
        .iter()
        .map(|(_, a, b)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1);
    pairs
        .iter()
        .enumerate()
        .map(|(i, (label, a, b))| Bar {
            label,
            y: i as i64 * 48,
            now: *a,
            now_w: a * 300 / top,
            before: *b,
            before_w: b * 300 / top,
        })
        .collect()
}

/// A report schedule in words, for the list under the form.
pub struct ScheduleLine {
    pub id: i64,
    pub name: String,
    pub when: String,
    pub to: String,
    pub last: String,
}

fn schedule_line(v: steward_engine::report_schedules::ScheduleView) -> ScheduleLine {
    use steward_domain::report_schedule::Frequency;
    let s = &v.schedule;
    let day = match s.frequency {
        Frequency::Daily => "every day".to_string(),
        Frequency::Weekly => format!(
            "every {}",
            steward_engine::export::report::WEEKDAYS[(s.weekday.clamp(1, 7) - 1) as usize]
        ),
        Frequency::Monthly => format!("on day {} of each month", s.day_of_month),
    };
    ScheduleLine {
        id: v.id,
        name: s.name.clone(),
        when: format!(
            "{day} at {}:00 ({}), {}{}",
            s.hour,
            s.tz,
            s.format.to_uppercase(),
            if s.active { "" } else { ", paused" }
        ),
        to: s.recipients.join(", "),
        last: v.last_sent_at.map(crate::fmt::datetime).unwrap_or_default(),
    }
}

/// The backlog over the period as a line in a 440×120 box, with its first and last day and
/// its highest value for labels.
pub struct BacklogChart {
    pub points: String,
    pub first: String,
    pub last: String,
    pub top: i64,
    pub latest: i64,
}

fn backlog_chart(days: &[steward_domain::report::BacklogDay]) -> BacklogChart {
    let top = days.iter().map(|d| d.open).max().unwrap_or(0).max(1);
    let step = 440.0 / (days.len().max(2) - 1) as f64;
    let points = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let y = 110.0 - 100.0 * d.open.max(0) as f64 / top as f64;
            format!("{:.1},{y:.1}", i as f64 * step)
        })
        .collect::<Vec<_>>()
        .join(" ");
    BacklogChart {
        points,
        first: days.first().map(|d| d.date.clone()).unwrap_or_default(),
        last: days.last().map(|d| d.date.clone()).unwrap_or_default(),
        top,
        latest: days.last().map_or(0, |d| d.open),
    }
}

fn query_string(q: &ReportQuery, from: &str, to: &str, tz: &str) -> String {
    let mut parts = vec![
        format!("from={from}"),
        format!("to={to}"),
        format!("tz={}", urlencode(tz)),
    ];
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", urlencode(&v)));
        }
    };
    add("team_id", q.team_id.map(|v| v.to_string()));
    add("agent_id", q.agent_id.map(|v| v.to_string()));
    add("channel", q.channel.clone());
    add("priority", q.priority.clone());
    add("tag", q.tag.clone());
    add("inbox", q.inbox.clone());
    parts.join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn page(
    State(s): State<AppState>,
    agent: Agent,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    // Form fields, an empty one meaning "any".
    let get = |k: &str| super::form::query_value(&pairs, k);
    let id = |k: &str| -> Result<Option<i64>, PageError> {
        get(k)
            .map(|v| {
                v.parse()
                    .map_err(|_| PageError(crate::error::Problem::invalid(k, "must be a number")))
            })
            .transpose()
    };
    let q = ReportQuery {
        from: get("from"),
        to: get("to"),
        tz: get("tz"),
        team_id: id("team_id")?,
        agent_id: id("agent_id")?,
        channel: get("channel"),
        priority: get("priority"),
        tag: get("tag"),
        inbox: get("inbox"),
        part: None,
    };
    let (p, c) = compare(&s, &agent.actor, &q).await?;
    let (from, to) = (p.first_day.to_string(), p.last_day.to_string());
    let channel = q.channel.clone().unwrap_or_default();
    let priority = q.priority.clone().unwrap_or_default();
    let mut teams = vec![Choice::new("", "any team", q.team_id.is_none())];
    teams.extend(
        s.engine
            .teams()
            .await?
            .into_iter()
            .map(|t| Choice::new(t.id, t.name, q.team_id == Some(t.id))),
    );
    let mut agents = vec![Choice::new("", "any agent", q.agent_id.is_none())];
    agents.extend(
        s.engine
            .agents()
            .await?
            .into_iter()
            .map(|u| Choice::new(u.id, u.name, q.agent_id == Some(u.id))),
    );
    let costs = s.engine.support_costs(&agent.actor).await?;
    let everyone = s.engine.agents().await?;
    let agent_lines = c
        .agents
        .iter()
        .map(|a| AgentLine {
            name: everyone
                .iter()
                .find(|u| u.id == a.agent_id)
                .map_or_else(|| format!("#{}", a.agent_id), |u| u.name.clone()),
            solved: a.solved,
            resolution: a
                .resolution_median_ms
                .map(crate::fmt::duration)
                .unwrap_or_default(),
            fcr: a
                .first_contact_resolution_pct
                .map(|p| format!("{p:.0}%"))
                .unwrap_or_default(),
            csat: a
                .csat_pct
                .map(|p| format!("{p:.0}% ({})", a.csat_answers))
                .unwrap_or_default(),
        })
        .collect();
    let inbox = q.inbox.clone().unwrap_or_default().to_lowercase();
    let mut inboxes = vec![Choice::new("", "any inbox", inbox.is_empty())];
    inboxes.extend(s.engine.email.all_inboxes().into_iter().map(|i| {
        let selected = i.address.eq_ignore_ascii_case(&inbox);
        Choice::new(&i.address, &i.address, selected)
    }));
    let channel_words: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let priority_words: Vec<&str> = Priority::ALL.iter().map(|c| c.as_str()).collect();
    Ok(render(&ReportsPage {
        layout: Layout::new(&agent, &s.brand, "reports"),
        query: query_string(&q, &from, &to, &p.tz),
        lines: figure_rows(&c)
            .into_iter()
            .map(|(name, now, before)| Line { name, now, before })
            .collect(),
        bars: bars(&c.current, &c.previous),
        heat: cells(&c.busiest_hours),
        backlog: backlog_chart(&c.backlog),
        feedback_by_kind: c.feedback_by_kind.clone(),
        feedback_by_tag: c.feedback_by_tag.clone(),
        deflections_by_source: c.deflections_by_source.clone(),
        deflecting_articles: c.deflecting_articles.clone(),
        schedules: s
            .engine
            .report_schedules(&agent.actor)
            .await?
            .into_iter()
            .map(schedule_line)
            .collect(),
        filter_team: q.team_id.map(|t| t.to_string()).unwrap_or_default(),
        filter_agent: q.agent_id.map(|t| t.to_string()).unwrap_or_default(),
        filter_channel: channel.clone(),
        filter_priority: priority.clone(),
        filter_inbox: inbox.clone(),
        inboxes,
        monthly_cost: costs
            .monthly_cost
            .map(|m| m.to_string())
            .unwrap_or_default(),
        currency: costs.currency,
        agent_lines,
        from,
        to,
        tz: p.tz,
        tag: q.tag.clone().unwrap_or_default(),
        teams,
        agents,
        channels: word_choices(&channel_words, &channel, "any channel"),
        priorities: word_choices(&priority_words, &priority, "any priority"),
    }))
}

#[derive(Template)]
#[template(path = "wall.html")]
struct WallPage {
    layout: Layout,
    live: crate::api::reports::LiveOut,
    longest: String,
    teams: Vec<Choice>,
    /// The chats waiting for an agent, longest first: (conversation, customer, where, wait).
    chats: Vec<(i64, String, String, String)>,
}

/// The live wall: the service now, reloaded every two seconds (no script needed).
pub async fn wall(
    State(s): State<AppState>,
    agent: Agent,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let team_id = pairs
        .iter()
        .find(|(k, v)| k == "team_id" && !v.is_empty())
        .map(|(_, v)| {
            v.parse::<i64>().map_err(|_| {
                PageError(crate::error::Problem::invalid(
                    "team_id",
                    "must be a number",
                ))
            })
        })
        .transpose()?;
    let now = steward_store::now_ms();
    let live =
        crate::api::reports::live_out(s.engine.live_figures(&agent.actor, team_id).await?, now);
    let mut teams = vec![Choice::new("", "all teams", team_id.is_none())];
    teams.extend(
        s.engine
            .teams()
            .await?
            .into_iter()
            .map(|t| Choice::new(t.id, t.name, team_id == Some(t.id))),
    );
    let chats = s
        .engine
        .waiting_chats(&agent.actor)
        .await?
        .into_iter()
        .filter(|w| team_id.is_none() || w.team_id == team_id)
        .map(|w| {
            let place = match (&w.team_name, &w.topic) {
                (Some(t), Some(topic)) => format!("{} · {t} · {topic}", w.chat_inbox),
                (Some(t), None) => format!("{} · {t}", w.chat_inbox),
                (None, Some(topic)) => format!("{} · {topic}", w.chat_inbox),
                (None, None) => w.chat_inbox.clone(),
            };
            let wait = crate::fmt::duration((now - w.started_at).max(0));
            (w.conversation_id, w.customer_name, place, wait)
        })
        .collect();
    Ok(render(&WallPage {
        chats,
        layout: Layout::new(&agent, &s.brand, "reports"),
        longest: live
            .longest_wait_seconds
            .map(|w| crate::fmt::duration(w * 1000))
            .unwrap_or_else(|| "nobody waits".into()),
        live,
        teams,
    }))
}

/// Saves the monthly support cost (admin) from the reports page.
pub async fn save_costs(
    State(s): State<AppState>,
    agent: Agent,
    form: super::form::FormData,
) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    agent.check_csrf(form.get("_csrf"))?;
    let monthly_cost = match form.get("monthly_cost").trim() {
        "" => None,
        v => Some(v.parse::<f64>().map_err(|_| {
            PageError(crate::error::Problem::invalid(
                "monthly_cost",
                "must be a number like 12000",
            ))
        })?),
    };
    let costs = steward_engine::reports::Costs {
        monthly_cost,
        currency: form.get("currency").trim().to_string(),
    };
    s.engine.set_support_costs(&agent.actor, costs).await?;
    Ok(axum::response::Redirect::to("/reports").into_response())
}

/// Saves a report schedule from the reports page, with the filters shown.
pub async fn save_schedule(
    State(s): State<AppState>,
    agent: Agent,
    form: super::form::FormData,
) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    use steward_domain::report_schedule::{Filter, Frequency, Schedule};
    agent.check_csrf(form.get("_csrf"))?;
    let small = |k: &str| -> Result<i8, PageError> {
        form.get(k)
            .trim()
            .parse()
            .map_err(|_| PageError(crate::error::Problem::invalid(k, "must be a whole number")))
    };
    let id = |k: &str| -> Result<Option<i64>, PageError> {
        match form.get(k).trim() {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| PageError(crate::error::Problem::invalid(k, "must be a number"))),
        }
    };
    let schedule = Schedule {
        name: form.get("name").to_string(),
        active: true,
        frequency: Frequency::parse(form.get("frequency"))?,
        weekday: small("weekday")?,
        day_of_month: small("day_of_month")?,
        hour: small("hour")?,
        tz: form.get("tz").trim().to_string(),
        recipients: form
            .get("recipients")
            .split([',', ' ', '\n', ';'])
            .map(str::to_string)
            .collect(),
        format: form.get("format").to_string(),
        filter: Filter {
            team_id: id("team_id")?,
            agent_id: id("agent_id")?,
            channel: form.opt("channel").map(Channel::parse).transpose()?,
            priority: form.opt("priority").map(Priority::parse).transpose()?,
            tag: form.opt("tag").map(str::to_string),
            inbox: form.opt("inbox").map(str::to_string),
        },
    };
    s.engine
        .create_report_schedule(&agent.actor, schedule)
        .await?;
    Ok(axum::response::Redirect::to("/reports#schedules").into_response())
}

/// Removes a schedule, or mails its report now (`do` = delete or send).
pub async fn schedule_action(
    State(s): State<AppState>,
    agent: Agent,
    form: super::form::FormData,
) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    agent.check_csrf(form.get("_csrf"))?;
    let id: i64 = form
        .get("id")
        .parse()
        .map_err(|_| PageError(crate::error::Problem::invalid("id", "must be a schedule")))?;
    match form.get("do") {
        "delete" => s.engine.delete_report_schedule(&agent.actor, id).await?,
        _ => s.engine.send_report_now(&agent.actor, id).await?,
    }
    Ok(axum::response::Redirect::to("/reports#schedules").into_response())
}
