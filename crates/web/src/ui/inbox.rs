//! The inbox: views (mine, unassigned, my teams, all) with counts of open work, filters,
//! sorting and paging. The list part is also served alone, for live refresh.

use super::render;
use super::view::{Choice, Layout, Row, word_choices};
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use steward_domain::{Channel, Priority, Status};
use steward_store::conversations::{AssigneeFilter, Filter, Sort};

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    view: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    tag: Option<String>,
    channel: Option<String>,
    team: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    fragment: Option<String>,
}

pub struct ViewLink {
    pub key: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    layout: Layout,
    views: Vec<ViewLink>,
    view: String,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    channels: Vec<Choice>,
    teams: Vec<Choice>,
    tags: Vec<Choice>,
    sorts: Vec<Choice>,
    next_link: String,
    total: i64,
    follow_ups: Vec<super::view::TaskLine>,
    /// online, away or offline: whether routing gives this agent work.
    availability: String,
}

#[derive(Template)]
#[template(path = "inbox_list.html")]
struct InboxList {
    rows: Vec<Row>,
    next_link: String,
    total: i64,
}

const ACTIVE: [Status; 4] = [Status::New, Status::Open, Status::Pending, Status::OnHold];

fn base_filter(view: &str, agent: &Agent) -> Filter {
    let mut f = Filter {
        limit: 50,
        ..Default::default()
    };
    match view {
        "mine" => f.assignee = Some(AssigneeFilter::User(agent.actor.user_id)),
        "unassigned" => f.assignee = Some(AssigneeFilter::Nobody),
        "teams" => f.team_ids = Some(agent.actor.team_ids.clone()),
        _ => {}
    }
    f
}

pub async fn inbox(
    State(s): State<AppState>,
    agent: Agent,
    Query(q): Query<InboxQuery>,
) -> Result<Response, PageError> {
    let view = match q.view.as_deref() {
        Some(v @ ("mine" | "unassigned" | "teams" | "all")) => v.to_string(),
        _ => "mine".to_string(),
    };
    let status = q.status.clone().unwrap_or_else(|| "active".into());
    let mut f = base_filter(&view, &agent);
    f.statuses = match status.as_str() {
        "active" => ACTIVE.to_vec(),
        "any" => Vec::new(),
        other => vec![Status::parse(other)?],
    };
    let nonempty = |o: &Option<String>| o.clone().filter(|v| !v.is_empty());
    f.priority = nonempty(&q.priority)
        .map(|p| Priority::parse(&p))
        .transpose()?;
    f.channel = nonempty(&q.channel)
        .map(|c| Channel::parse(&c))
        .transpose()?;
    f.tag = nonempty(&q.tag);
    f.team_id = nonempty(&q.team)
        .map(|t| t.parse::<i64>())
        .transpose()
        .map_err(|_| Problem::bad_request("team must be a number"))?;
    f.sort = nonempty(&q.sort)
        .and_then(|v| Sort::parse(&v))
        .unwrap_or_default();
    let total = s.engine.count_conversations(&agent.actor, &f).await?;
    f.after = nonempty(&q.after).and_then(|a| {
        a.split_once('_')
            .and_then(|(k, i)| Some((k.parse().ok()?, i.parse().ok()?)))
    });
    let page = s.engine.list_conversations(&agent.actor, &f).await?;
    let now = steward_store::now_ms();
    let next_link = if page.len() as i64 == f.limit {
        page.last().map_or(String::new(), |(c, _)| {
            let mut params: Vec<(String, String)> = vec![
                ("view".into(), view.clone()),
                ("status".into(), status.clone()),
                ("priority".into(), q.priority.clone().unwrap_or_default()),
                ("tag".into(), q.tag.clone().unwrap_or_default()),
                ("channel".into(), q.channel.clone().unwrap_or_default()),
                ("team".into(), q.team.clone().unwrap_or_default()),
                ("sort".into(), f.sort.as_str().into()),
            ];
            params.push(("after".into(), format!("{}_{}", f.sort.key_of(c), c.id)));
            format!(
                "/inbox?{}",
                params
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| format!("{k}={}", crate::authz::urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            )
        })
    } else {
        String::new()
    };
    let rows: Vec<Row> = page
        .iter()
        .map(|(c, t)| Row::from(c, t.clone(), now))
        .collect();
    if q.fragment.as_deref() == Some("list") {
        return Ok(render(&InboxList {
            rows,
            next_link,
            total,
        }));
    }
    let mut views = Vec::new();
    for (key, label) in [
        ("mine", "Mine"),
        ("unassigned", "Unassigned"),
        ("teams", "My teams"),
        ("all", "All"),
    ] {
        let mut vf = base_filter(key, &agent);
        vf.statuses = ACTIVE.to_vec();
        views.push(ViewLink {
            key,
            label,
            count: s.engine.count_conversations(&agent.actor, &vf).await?,
            current: key == view,
        });
    }
    let mut statuses = vec![
        Choice::new("active", "open work", status == "active"),
        Choice::new("any", "any status", status == "any"),
    ];
    statuses.extend(Status::ALL.iter().map(|st| {
        Choice::new(
            st.as_str(),
            st.as_str().replace('_', " "),
            st.as_str() == status,
        )
    }));
    let team_sel = q.team.clone().unwrap_or_default();
    let mut teams = vec![Choice::new("", "any team", team_sel.is_empty())];
    teams.extend(
        s.engine
            .teams()
            .await?
            .into_iter()
            .map(|t| Choice::new(t.id, &t.name, t.id.to_string() == team_sel)),
    );
    let tag_sel = q.tag.clone().unwrap_or_default();
    let mut tags = vec![Choice::new("", "any tag", tag_sel.is_empty())];
    tags.extend(
        s.engine
            .tags()
            .await?
            .into_iter()
            .map(|t| Choice::new(&t.name, &t.name, t.name == tag_sel)),
    );
    let sort_sel = f.sort.as_str();
    let sorts = [
        ("last_activity", "latest activity"),
        ("newest", "newest"),
        ("oldest", "oldest"),
        ("priority", "priority"),
        ("sla_due", "SLA due soonest"),
        ("updated", "recently updated"),
    ]
    .iter()
    .map(|(v, l)| Choice::new(v, l, *v == sort_sel))
    .collect();
    let words = |all: &[&'static str]| all.to_vec();
    Ok(render(&InboxPage {
        layout: Layout::new(&agent, &s.brand, "inbox"),
        views,
        view,
        rows,
        statuses,
        priorities: word_choices(
            &words(&Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>()),
            q.priority.as_deref().unwrap_or(""),
            "any priority",
        ),
        channels: word_choices(
            &Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            q.channel.as_deref().unwrap_or(""),
            "any channel",
        ),
        teams,
        tags,
        sorts,
        next_link,
        total,
        follow_ups: s
            .engine
            .my_tasks(&agent.actor, false)
            .await?
            .iter()
            .map(|t| super::view::TaskLine::from(t, &Default::default(), now))
            .collect(),
        availability: s
            .engine
            .agent_routing(agent.actor.user_id)
            .await?
            .availability
            .to_string(),
    }))
}

/// Sets the signed-in agent's availability (online, away, offline) from the inbox.
pub async fn set_availability(
    State(s): State<AppState>,
    agent: Agent,
    form: super::form::FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let a = steward_domain::routing::Availability::parse(form.get("availability"))?;
    s.engine.set_availability(&agent.actor, a).await?;
    // Set from the workspace: it goes offline again when no page of it stays open.
    s.engine.agent_seen(agent.actor.user_id).await?;
    Ok(axum::response::Redirect::to("/inbox").into_response())
}
