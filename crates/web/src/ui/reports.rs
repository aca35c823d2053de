//! The reports page (supervisors and admins): a period and filters, the figures beside the
//! previous period's with the change, a chart drawn on the server as SVG, and the CSV link.

use super::render;
use super::view::{Choice, Layout, word_choices};
use crate::AppState;
use crate::api::reports::{ReportQuery, compare, rows};
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use steward_domain::report::Summary;
use steward_domain::{Channel, Priority};

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
    lines: Vec<Line>,
    bars: Vec<Bar>,
    csv: String,
    agent_lines: Vec<AgentLine>,
    heat: Vec<Cell>,
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
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(name, v)| name == k && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
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
    let channel_words: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let priority_words: Vec<&str> = Priority::ALL.iter().map(|c| c.as_str()).collect();
    Ok(render(&ReportsPage {
        layout: Layout::new(&agent, &s.brand, "reports"),
        csv: format!(
            "/api/v1/reports/summary.csv?{}",
            query_string(&q, &from, &to, &p.tz)
        ),
        lines: rows(&c)
            .into_iter()
            .map(|(name, now, before)| Line { name, now, before })
            .collect(),
        bars: bars(&c.current, &c.previous),
        heat: cells(&c.busiest_hours),
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
    Ok(render(&WallPage {
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
