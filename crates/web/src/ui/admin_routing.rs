//! The routing admin page: each routed team's queue (what waits, in the order it will be
//! handed out, and for how long), and the skill rules that give conversations required skills.
//! Teams' modes and agents' skills and capacity are set on the Teams and Agents tabs.

use super::conditions_form::{ConditionsForm, comma_list, conditions_of, describe};
use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::routing::Mode;
use steward_domain::sla::Conditions;

pub struct QueueLine {
    pub team: String,
    pub mode: String,
    /// (conversation id, number, subject, priority, waiting for)
    pub waiting: Vec<(i64, i64, String, String, String)>,
}

/// A skill rule's line and form (id 0 for a new rule).
pub struct RuleLine {
    pub id: i64,
    pub name: String,
    pub applies: String,
    pub skills: String,
    pub cf: ConditionsForm,
}

#[derive(Template)]
#[template(path = "admin_routing.html")]
struct RoutingPage {
    layout: Layout,
    tab: &'static str,
    queues: Vec<QueueLine>,
    rules: Vec<RuleLine>,
    blank: RuleLine,
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.require_admin()?;
    let now = steward_store::now_ms();
    let mut queues = Vec::new();
    // A team routed by hand still has a queue to show while an inbox routes its conversations.
    let inbox_routes = s
        .engine
        .inbox_operations()
        .await?
        .iter()
        .any(|(_, o)| o.routing.is_some_and(|m| m != Mode::Manual));
    for t in s.engine.teams().await? {
        let (mode, _) = s.engine.team_routing(t.id).await?;
        if mode == Mode::Manual && !inbox_routes {
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
            applies: describe(&r.conditions).unwrap_or_else(|| "every conversation".into()),
            skills: r.skills.join(", "),
            cf: ConditionsForm::of(&r.conditions, &[]),
            name: r.name,
        })
        .collect();
    Ok(render(&RoutingPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "routing",
        queues,
        rules,
        blank: RuleLine {
            id: 0,
            name: String::new(),
            applies: String::new(),
            skills: String::new(),
            cf: ConditionsForm::of(&Conditions::default(), &[]),
        },
    }))
}

/// Adds a skill rule, or changes one (with `id`).
pub async fn add_rule(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .save_skill_rule(
            &agent.actor,
            form.id("id")?,
            form.get("name"),
            conditions_of(&form)?,
            &comma_list(form.get("skills")),
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
