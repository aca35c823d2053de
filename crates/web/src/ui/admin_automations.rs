//! The automations admin page: the rules in order with their trigger, conditions and actions,
//! a form to add one (conditions and actions written as JSON, as the API takes them), a dry run
//! of conditions against the open conversations, and removal.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use steward_domain::automation::{Action, RuleConditions, Trigger};
use steward_engine::automations::RuleInput;

pub struct RuleLine {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub trigger: String,
    pub conditions: String,
    pub actions: String,
}

#[derive(Template)]
#[template(path = "admin_automations.html")]
struct AutomationsPage {
    layout: Layout,
    tab: &'static str,
    rules: Vec<RuleLine>,
    triggers: Vec<Choice>,
    /// The dry run asked for, and what it matched: (id, number, subject).
    dry_conditions: String,
    dry_run: Option<Vec<(i64, i64, String)>>,
}

#[derive(Deserialize)]
pub struct DryRunQuery {
    trigger: Option<String>,
    conditions: Option<String>,
}

fn json_of<T: serde::de::DeserializeOwned>(
    field: &str,
    text: &str,
    empty: &str,
) -> Result<T, PageError> {
    let text = if text.trim().is_empty() { empty } else { text };
    serde_json::from_str(text)
        .map_err(|e| PageError(Problem::invalid(field, format!("not valid here: {e}"))))
}

pub async fn page(
    State(s): State<AppState>,
    agent: Agent,
    Query(q): Query<DryRunQuery>,
) -> Result<Response, PageError> {
    agent.require_admin()?;
    let rules = s
        .engine
        .automations()
        .await?
        .into_iter()
        .map(|r| RuleLine {
            id: r.id,
            name: r.input.name,
            active: r.input.active,
            trigger: r.input.trigger.to_string(),
            conditions: serde_json::to_string(&r.input.conditions).unwrap_or_default(),
            actions: serde_json::to_string(&r.input.actions).unwrap_or_default(),
        })
        .collect();
    let dry_conditions = q.conditions.clone().unwrap_or_default();
    let dry_run = match (&q.trigger, &q.conditions) {
        (Some(t), Some(c)) => {
            let trigger = Trigger::parse(t)?;
            let conditions: RuleConditions = json_of("conditions", c, "{}")?;
            let found = s
                .engine
                .automation_dry_run(&agent.actor, trigger, &conditions)
                .await?;
            Some(
                found
                    .into_iter()
                    .map(|c| (c.id, c.number, c.subject))
                    .collect(),
            )
        }
        _ => None,
    };
    let chosen = q.trigger.clone().unwrap_or_default();
    Ok(render(&AutomationsPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "automations",
        rules,
        triggers: Trigger::ALL
            .iter()
            .map(|t| Choice::new(t, t, t.as_str() == chosen))
            .collect(),
        dry_conditions,
        dry_run,
    }))
}

pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let input = RuleInput {
        name: form.get("name").to_string(),
        active: true,
        trigger: Trigger::parse(form.get("trigger"))?,
        conditions: json_of("conditions", form.get("conditions"), "{}")?,
        actions: json_of::<Vec<Action>>("actions", form.get("actions"), "[]")?,
    };
    s.engine.save_automation(&agent.actor, None, input).await?;
    Ok(Redirect::to("/admin/automations").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .delete_automation(&agent.actor, form.required_id("id")?)
        .await?;
    Ok(Redirect::to("/admin/automations").into_response())
}

/// Moves a rule one place earlier in the order.
pub async fn raise(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let id = form.required_id("id")?;
    let mut order: Vec<i64> = s.engine.automations().await?.iter().map(|r| r.id).collect();
    if let Some(i) = order.iter().position(|r| *r == id).filter(|i| *i > 0) {
        order.swap(i, i - 1);
        s.engine.reorder_automations(&agent.actor, &order).await?;
    }
    Ok(Redirect::to("/admin/automations").into_response())
}
