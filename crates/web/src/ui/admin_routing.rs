//! The routing admin page: each routed team's queue (what waits, in the order it will be
//! handed out, and for how long), and the skill rules that give conversations required skills.
//! Teams' modes and agents' skills and capacity are set on the Teams and Agents tabs.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::routing::Mode;
use steward_domain::sla::Conditions;
use steward_domain::{Channel, Priority};

pub struct QueueLine {
    pub team: String,
    pub mode: String,
    /// (conversation id, number, subject, priority, waiting for)
    pub waiting: Vec<(i64, i64, String, String, String)>,
}

pub struct RuleLine {
    pub id: i64,
    pub name: String,
    pub applies: String,
    pub skills: String,
}

#[derive(Template)]
#[template(path = "admin_routing.html")]
struct RoutingPage {
    layout: Layout,
    tab: &'static str,
    queues: Vec<QueueLine>,
    rules: Vec<RuleLine>,
    priorities: Vec<Choice>,
    channels: Vec<Choice>,
}

fn describe(c: &Conditions) -> String {
    let mut parts = Vec::new();
    let words = |v: Vec<String>| v.join(" or ");
    if !c.priorities.is_empty() {
        parts.push(format!(
            "priority {}",
            words(c.priorities.iter().map(|p| p.to_string()).collect())
        ));
    }
    if !c.channels.is_empty() {
        parts.push(format!(
            "channel {}",
            words(c.channels.iter().map(|p| p.to_string()).collect())
        ));
    }
    if !c.tags.is_empty() {
        parts.push(format!("tag {}", words(c.tags.clone())));
    }
    if !c.customer_tiers.is_empty() {
        parts.push(format!("customer tier {}", words(c.customer_tiers.clone())));
    }
    if parts.is_empty() {
        "every conversation".into()
    } else {
        parts.join(", ")
    }
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.require_admin()?;
    let now = steward_store::now_ms();
    let mut queues = Vec::new();
    for t in s.engine.teams().await? {
        let (mode, _) = s.engine.team_routing(t.id).await?;
        if mode == Mode::Manual {
            continue;
        }
        let waiting = s
            .engine
            .routing_queue(&agent.actor, t.id)
            .await?
            .into_iter()
            .map(|c| {
                let waited = crate::fmt::duration((now - c.created_at).max(0));
                (c.id, c.number, c.subject, c.priority.to_string(), waited)
            })
            .collect();
        queues.push(QueueLine {
            team: t.name,
            mode: mode.as_str().replace('_', " "),
            waiting,
        });
    }
    let rules = s
        .engine
        .skill_rules()
        .await?
        .into_iter()
        .map(|r| RuleLine {
            id: r.id,
            applies: describe(&r.conditions),
            skills: r.skills.join(", "),
            name: r.name,
        })
        .collect();
    Ok(render(&RoutingPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "routing",
        queues,
        rules,
        priorities: Priority::ALL
            .iter()
            .map(|p| Choice::new(p, p, false))
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| Choice::new(c, c, false))
            .collect(),
    }))
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn add_rule(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let conditions = Conditions {
        priorities: form
            .all("priority")
            .into_iter()
            .map(Priority::parse)
            .collect::<Result<_, _>>()?,
        channels: form
            .all("channel")
            .into_iter()
            .map(Channel::parse)
            .collect::<Result<_, _>>()?,
        tags: list(form.get("tags")),
        customer_tiers: list(form.get("tiers")),
        ..Default::default()
    };
    s.engine
        .add_skill_rule(
            &agent.actor,
            form.get("name"),
            conditions,
            &list(form.get("skills")),
        )
        .await?;
    Ok(Redirect::to("/admin/routing").into_response())
}

pub async fn delete_rule(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .delete_skill_rule(&agent.actor, form.required_id("id")?)
        .await?;
    Ok(Redirect::to("/admin/routing").into_response())
}
