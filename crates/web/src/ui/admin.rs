//! Admin pages: agents, teams, tags and custom fields. Only admins reach them; every change
//! goes through the engine, which checks the policy again and logs the change.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::Role;
use steward_domain::custom_field::FieldKind;
use steward_domain::routing::{Capacity, Mode};
use steward_engine::accounts::{NewUser, UserChange};
use steward_store::models::{FieldDefRow, Tag};

pub struct AgentLine {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub roles: Vec<Choice>,
    pub active: bool,
    pub teams: Vec<Choice>,
    /// Routing: skills, comma-separated, and capacity like `chat=3, *=20`.
    pub skills: String,
    pub capacity: String,
}

pub struct TeamLine {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: Vec<Choice>,
    pub routing: Vec<Choice>,
    pub return_on_offline: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    tab: &'static str,
    agents: Vec<AgentLine>,
    teams: Vec<TeamLine>,
    tags: Vec<Tag>,
    fields: Vec<FieldDefRow>,
    role_choices: Vec<Choice>,
    team_choices: Vec<Choice>,
    kind_choices: Vec<Choice>,
}

async fn page(s: &AppState, agent: &Agent, tab: &'static str) -> Result<Response, PageError> {
    agent.require_admin()?;
    let teams = s.engine.teams().await?;
    let users = s.engine.agents().await?;
    let mut agents = Vec::new();
    let mut teams_out = Vec::new();
    if tab == "agents" {
        for u in &users {
            let (_, team_ids) = s.engine.agent(u.id).await?;
            let routing = s.engine.agent_routing(u.id).await?;
            agents.push(AgentLine {
                id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
                roles: Role::ALL
                    .iter()
                    .map(|r| Choice::new(r.as_str(), r.as_str(), *r == u.role))
                    .collect(),
                active: u.active != 0,
                teams: teams
                    .iter()
                    .map(|t| Choice::new(t.id, &t.name, team_ids.contains(&t.id)))
                    .collect(),
                skills: routing.skills.join(", "),
                capacity: routing
                    .capacity
                    .0
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    if tab == "teams" {
        for t in &teams {
            let (_, members) = s.engine.team(t.id).await?;
            let (mode, return_on_offline) = s.engine.team_routing(t.id).await?;
            teams_out.push(TeamLine {
                routing: Mode::ALL
                    .iter()
                    .map(|m| Choice::new(m, m.as_str().replace('_', " "), *m == mode))
                    .collect(),
                return_on_offline,
                id: t.id,
                name: t.name.clone(),
                description: t.description.clone(),
                members: users
                    .iter()
                    .map(|u| Choice::new(u.id, &u.name, members.contains(&u.id)))
                    .collect(),
            });
        }
    }
    Ok(render(&AdminPage {
        layout: Layout::new(agent, &s.brand, "admin"),
        tab,
        agents,
        teams: teams_out,
        tags: if tab == "tags" {
            s.engine.tags().await?
        } else {
            Vec::new()
        },
        fields: if tab == "fields" {
            s.engine.custom_fields().await?
        } else {
            Vec::new()
        },
        role_choices: Role::ALL
            .iter()
            .map(|r| Choice::new(r.as_str(), r.as_str(), *r == Role::Agent))
            .collect(),
        team_choices: teams
            .iter()
            .map(|t| Choice::new(t.id, &t.name, false))
            .collect(),
        kind_choices: FieldKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.as_str(), *k == FieldKind::Text))
            .collect(),
    }))
}

pub async fn agents(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    page(&s, &agent, "agents").await
}
pub async fn teams(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    page(&s, &agent, "teams").await
}
pub async fn tags(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    page(&s, &agent, "tags").await
}
pub async fn fields(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    page(&s, &agent, "fields").await
}

fn ids(form: &FormData, name: &str) -> Result<Vec<i64>, PageError> {
    form.all(name)
        .into_iter()
        .map(|v| {
            v.parse()
                .map_err(|_| PageError(Problem::bad_request(format!("{name} must be numbers"))))
        })
        .collect()
}

fn id(form: &FormData) -> Result<i64, PageError> {
    form.get("id")
        .parse()
        .map_err(|_| PageError(Problem::bad_request("id must be a number")))
}

pub async fn save_agent(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    agent.require_admin()?;
    let role = Role::parse(form.get("role"))?;
    let team_ids = ids(&form, "team_ids")?;
    let password = Some(form.get("password")).filter(|p| !p.is_empty());
    if form.get("action") == "create" {
        s.engine
            .create_user(
                NewUser {
                    email: form.get("email"),
                    name: form.get("name"),
                    role,
                    password,
                    team_ids: &team_ids,
                },
                Some(&agent.actor),
            )
            .await?;
    } else {
        let active = form.get("active") == "true";
        s.engine
            .update_user(
                &agent.actor,
                id(&form)?,
                UserChange {
                    name: Some(form.get("name")),
                    role: Some(role),
                    active: Some(active),
                    team_ids: Some(&team_ids),
                    password,
                },
            )
            .await?;
        let skills: Vec<String> = form
            .get("skills")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        s.engine
            .set_agent_skills(
                &agent.actor,
                id(&form)?,
                Some(&skills),
                Some(capacity(form.get("capacity"))?),
            )
            .await?;
    }
    Ok(Redirect::to("/admin/agents").into_response())
}

pub async fn save_team(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let members = ids(&form, "member_ids")?;
    let team_id = if form.get("action") == "create" {
        None
    } else {
        Some(id(&form)?)
    };
    s.engine
        .save_team(
            Some(&agent.actor),
            team_id,
            form.get("name"),
            form.get("description"),
            Some(&members),
        )
        .await?;
    if let Some(team) = team_id
        && let Some(mode) = form.opt("routing")
    {
        let mode = Mode::parse(mode)?;
        s.engine
            .set_team_routing(
                &agent.actor,
                team,
                mode,
                form.opt("return_on_offline").is_some(),
            )
            .await?;
    }
    Ok(Redirect::to("/admin/teams").into_response())
}

pub async fn save_tag(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    match form.get("action") {
        "delete" => s.engine.delete_tag(&agent.actor, id(&form)?).await?,
        "create" => {
            s.engine
                .save_tag(&agent.actor, None, form.get("name"), form.get("color"))
                .await?;
        }
        _ => {
            s.engine
                .save_tag(
                    &agent.actor,
                    Some(id(&form)?),
                    form.get("name"),
                    form.get("color"),
                )
                .await?;
        }
    }
    Ok(Redirect::to("/admin/tags").into_response())
}

pub async fn save_field(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let options: Vec<String> = form
        .get("options")
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect();
    match form.get("action") {
        "delete" => {
            s.engine
                .delete_custom_field(&agent.actor, id(&form)?)
                .await?
        }
        "create" => {
            s.engine
                .create_custom_field(
                    &agent.actor,
                    form.get("key"),
                    form.get("label"),
                    form.get("kind"),
                    &options,
                )
                .await?;
        }
        _ => {
            s.engine
                .update_custom_field(
                    &agent.actor,
                    id(&form)?,
                    Some(form.get("label")),
                    Some(&options),
                    None,
                )
                .await?;
        }
    }
    Ok(Redirect::to("/admin/fields").into_response())
}

/// `chat=3, *=20`: open conversations an agent takes per channel.
fn capacity(text: &str) -> Result<Capacity, PageError> {
    let mut out = std::collections::BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part
            .split_once('=')
            .and_then(|(k, v)| Some((k.trim().to_string(), v.trim().parse::<i64>().ok()?)));
        let Some((channel, limit)) = parsed else {
            return Err(PageError(crate::error::Problem::invalid(
                "capacity",
                format!("write it like chat=3, *=20, not {part:?}"),
            )));
        };
        out.insert(channel, limit);
    }
    Ok(Capacity(out))
}
