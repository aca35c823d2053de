//! The automations admin page: the rules in order, each in words and in a point-and-click
//! form to change it (`automation_form`), a form to add one, a dry run of a form's conditions
//! against the open conversations, moving a rule up, and removal.

use super::automation_form::{Lists, RuleForm, form_of, rule_of};
use super::conditions_form::names;
use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::automation::{RuleConditions, Trigger};
use steward_domain::custom_field::FieldKind;
use steward_engine::automations::RuleInput;

#[derive(Template)]
#[template(path = "admin_automations.html")]
struct AutomationsPage {
    layout: Layout,
    tab: &'static str,
    rules: Vec<RuleForm>,
    /// The form for a new rule (or the rule a dry run was asked for).
    blank: RuleForm,
    /// What the dry run matched: (id, number, subject).
    dry_run: Option<Vec<(i64, i64, String)>>,
}

async fn lists(s: &AppState, agent: &Agent) -> Result<Lists, PageError> {
    let n = names(&s.engine).await?;
    Ok(Lists {
        organizations: n.organizations,
        teams: n.teams,
        agents: n.agents,
        webhooks: s
            .engine
            .webhooks(&agent.actor)
            .await?
            .into_iter()
            .map(|w| {
                let name = if w.description.is_empty() {
                    w.url
                } else {
                    w.description
                };
                (w.id, name)
            })
            .collect(),
        inboxes: s.engine.email.addresses(),
        fields: s
            .engine
            .custom_fields()
            .await?
            .into_iter()
            .filter_map(|f| Some((f.key, f.label, FieldKind::parse(&f.kind).ok()?)))
            .collect(),
    })
}

fn new_rule() -> RuleInput {
    RuleInput {
        name: String::new(),
        active: true,
        trigger: Trigger::Created,
        conditions: RuleConditions::default(),
        actions: Vec::new(),
    }
}

async fn show(
    s: &AppState,
    agent: &Agent,
    lists: &Lists,
    blank: RuleForm,
    dry_run: Option<Vec<(i64, i64, String)>>,
) -> Result<Response, PageError> {
    let rules = s
        .engine
        .automations()
        .await?
        .into_iter()
        .map(|r| form_of(r.id, &r.input, lists))
        .collect();
    Ok(render(&AutomationsPage {
        layout: Layout::new(agent, &s.brand, "admin"),
        tab: "automations",
        rules,
        blank,
        dry_run,
    }))
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.require_admin()?;
    let lists = lists(&s, &agent).await?;
    let blank = form_of(0, &new_rule(), &lists);
    show(&s, &agent, &lists, blank, None).await
}

/// The rule a form describes, checked for its CSRF token.
async fn submitted(
    s: &AppState,
    agent: &Agent,
    form: &FormData,
) -> Result<(Lists, RuleInput), PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let lists = lists(s, agent).await?;
    let input = rule_of(form, &lists)?;
    Ok((lists, input))
}

/// Adds a rule, or changes one (with `id`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, input) = submitted(&s, &agent, &form).await?;
    s.engine
        .save_automation(&agent.actor, form.id("id")?, input)
        .await?;
    Ok(Redirect::to("/admin/automations").into_response())
}

/// Shows which open conversations the form's conditions match now, with the form kept.
pub async fn dry_run(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    let (lists, input) = submitted(&s, &agent, &form).await?;
    let found = s
        .engine
        .automation_dry_run(&agent.actor, input.trigger, &input.conditions)
        .await?
        .into_iter()
        .map(|c| (c.id, c.number, c.subject))
        .collect();
    let blank = form_of(0, &input, &lists);
    show(&s, &agent, &lists, blank, Some(found)).await
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
