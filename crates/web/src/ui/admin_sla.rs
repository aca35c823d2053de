//! The SLA policies admin page: the policies in the order they are tried, each with its
//! conditions, targets (written like `90`, `4h` or `2d`), hours, pauses, warning time and
//! escalation, forms to add and change them, and buttons to move one up the order.

use super::conditions_form::{ConditionsForm, choices, conditions_of, ids, names};
use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::sla::{Metric, Pauses, Targets};
use steward_engine::sla::{Escalation, PolicyInput, PolicyView};

/// One policy's form (blank for a new one).
pub struct PolicyForm {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub cf: ConditionsForm,
    pub first: String,
    pub next: String,
    pub resolution: String,
    pub calendars: Vec<Choice>,
    pub pause_pending: bool,
    pub pause_on_hold: bool,
    pub warn: String,
    pub teams: Vec<Choice>,
    pub raise_priority: bool,
    pub notify: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_sla.html")]
struct SlaPage {
    layout: Layout,
    tab: &'static str,
    policies: Vec<PolicyForm>,
    blank: PolicyForm,
}

/// The lists a form picks from.
struct Lists {
    organizations: Vec<(i64, String)>,
    calendars: Vec<(i64, String)>,
    teams: Vec<(i64, String)>,
    agents: Vec<(i64, String)>,
}

/// Minutes as an admin would write them back: `90`, `4h`, `2d`.
fn minutes_text(m: Option<i64>) -> String {
    match m {
        None => String::new(),
        Some(m) if m % 1440 == 0 => format!("{}d", m / 1440),
        Some(m) if m % 60 == 0 => format!("{}h", m / 60),
        Some(m) => m.to_string(),
    }
}

/// `90`, `90m`, `4h` or `2d` as minutes; empty for none.
fn parse_minutes(field: &str, text: &str) -> Result<Option<i64>, PageError> {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return Ok(None);
    }
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t.as_str(), "m"),
    };
    let scale = match unit.trim() {
        "m" | "min" => 1,
        "h" => 60,
        "d" => 1440,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if scale > 0 => Ok(Some(n.saturating_mul(scale))),
        _ => Err(PageError(Problem::invalid(
            field,
            format!("write a time like 90, 4h or 2d, not {text:?}"),
        ))),
    }
}

fn form_of(p: Option<&PolicyView>, lists: &Lists) -> PolicyForm {
    let blank = PolicyInput {
        targets: Targets {
            first_response: Some(60),
            next_response: None,
            resolution: Some(1440),
        },
        ..Default::default()
    };
    let i = p.map_or(&blank, |p| &p.input);
    let mut calendars = vec![Choice::new("", "around the clock", i.calendar_id.is_none())];
    calendars.extend(choices(&lists.calendars, |id| i.calendar_id == Some(id)));
    let mut teams = vec![Choice::new(
        "",
        "no reassignment",
        i.escalation.reassign_team_id.is_none(),
    )];
    teams.extend(choices(&lists.teams, |id| {
        i.escalation.reassign_team_id == Some(id)
    }));
    let summary = Metric::ALL
        .iter()
        .filter_map(|m| {
            i.targets.minutes(*m).map(|v| {
                format!(
                    "{} {}",
                    m.as_str().replace('_', " "),
                    crate::fmt::duration(v * 60_000)
                )
            })
        })
        .collect::<Vec<_>>()
        .join(" · ");
    PolicyForm {
        id: p.map_or(0, |p| p.id),
        name: i.name.clone(),
        summary,
        cf: ConditionsForm::of(&i.conditions, &lists.organizations),
        first: minutes_text(i.targets.first_response),
        next: minutes_text(i.targets.next_response),
        resolution: minutes_text(i.targets.resolution),
        calendars,
        pause_pending: i.pauses.pending,
        pause_on_hold: i.pauses.on_hold,
        warn: minutes_text(Some(i.warn_minutes).filter(|w| *w > 0)),
        teams,
        raise_priority: i.escalation.raise_priority,
        notify: choices(&lists.agents, |id| {
            i.escalation.notify_user_ids.contains(&id)
        }),
    }
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent
        .actor
        .may_administer()
        .map_err(steward_engine::EngineError::from)?;
    let n = names(&s.engine).await?;
    let lists = Lists {
        organizations: n.organizations,
        calendars: s
            .engine
            .calendars()
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        teams: n.teams,
        agents: n.agents,
    };
    let policies = s
        .engine
        .sla_policies()
        .await?
        .iter()
        .map(|p| form_of(Some(p), &lists))
        .collect();
    Ok(render(&SlaPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "sla",
        policies,
        blank: form_of(None, &lists),
    }))
}

/// Adds a policy, or changes one (with `id`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let input = PolicyInput {
        name: form.get("name").to_string(),
        conditions: conditions_of(&form)?,
        targets: Targets {
            first_response: parse_minutes("first_response", form.get("first_response"))?,
            next_response: parse_minutes("next_response", form.get("next_response"))?,
            resolution: parse_minutes("resolution", form.get("resolution"))?,
        },
        calendar_id: form.id("calendar")?,
        pauses: Pauses {
            pending: form.opt("pause_pending").is_some(),
            on_hold: form.opt("pause_on_hold").is_some(),
        },
        warn_minutes: parse_minutes("warn", form.get("warn"))?.unwrap_or(0),
        escalation: Escalation {
            reassign_team_id: form.id("reassign_team")?,
            raise_priority: form.opt("raise_priority").is_some(),
            notify_user_ids: ids(&form, "notify")?,
        },
    };
    s.engine
        .save_sla_policy(&agent.actor, form.id("id")?, input)
        .await?;
    Ok(Redirect::to("/admin/sla").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let id = form.required_id("id")?;
    s.engine.delete_sla_policy(&agent.actor, id).await?;
    Ok(Redirect::to("/admin/sla").into_response())
}

/// Moves a policy one place earlier in the order.
pub async fn raise(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let id = form.required_id("id")?;
    let mut order: Vec<i64> = s
        .engine
        .sla_policies()
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    if let Some(i) = order.iter().position(|p| *p == id).filter(|i| *i > 0) {
        order.swap(i, i - 1);
        s.engine.reorder_sla_policies(&agent.actor, &order).await?;
    }
    Ok(Redirect::to("/admin/sla").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_minutes_hours_or_days() {
        assert_eq!(parse_minutes("t", "90").ok().flatten(), Some(90));
        assert_eq!(parse_minutes("t", "4h").ok().flatten(), Some(240));
        assert_eq!(parse_minutes("t", " 2d ").ok().flatten(), Some(2880));
        assert_eq!(parse_minutes("t", "").ok().flatten(), None);
        assert!(parse_minutes("t", "soon").is_err());
        assert_eq!(minutes_text(Some(240)), "4h");
        assert_eq!(minutes_text(Some(90)), "90");
    }
}
