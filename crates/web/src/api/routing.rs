//! Routing over the API: a team's mode (`/teams/{id}/routing`) and queue (`/teams/{id}/queue`),
//! an agent's skills and capacity (`/agents/{id}/routing`), the signed-in agent's availability
//! (`/me/availability`), skill rules (`/routing/skill-rules`), and what an inbox adds: its
//! calendar and a routing mode over its team's (`/inboxes/{address}/settings`).

use super::ApiResult;
use super::sla::ConditionsIo;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use steward_domain::routing::{Availability, Capacity, Mode};
use steward_engine::routing::{AgentSettings, InboxOperations, SkillRule};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRoutingIo {
    /// manual, round_robin or load_balanced.
    pub mode: String,
    /// An agent going offline gives their open chats back to the queue (default true).
    #[serde(default = "yes")]
    pub return_on_offline: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
pub struct AgentRoutingOut {
    /// online, away or offline.
    pub availability: String,
    pub skills: Vec<String>,
    /// Open conversations the agent takes per channel; `*` for the others (default 20).
    pub capacity: BTreeMap<String, i64>,
}

fn agent_out(s: AgentSettings) -> AgentRoutingOut {
    AgentRoutingOut {
        availability: s.availability.to_string(),
        skills: s.skills,
        capacity: s.capacity.0,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentRoutingIn {
    pub skills: Option<Vec<String>>,
    pub capacity: Option<BTreeMap<String, i64>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityIn {
    /// online, away or offline.
    pub availability: String,
}

#[derive(Serialize, ToSchema)]
pub struct QueueEntryOut {
    pub conversation_id: i64,
    pub number: i64,
    pub subject: String,
    pub priority: String,
    pub channel: String,
    pub sla_due_at: Option<String>,
    /// Seconds since it was opened.
    pub waiting_seconds: i64,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SkillRuleIo {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub conditions: ConditionsIo,
    pub skills: Vec<String>,
}

fn rule_out(r: SkillRule) -> SkillRuleIo {
    SkillRuleIo {
        id: r.id,
        name: r.name,
        conditions: super::sla::conditions_out(r.conditions),
        skills: r.skills,
    }
}

#[utoipa::path(get, path = "/api/v1/teams/{id}/routing", tag = "routing", responses((status = 200, body = TeamRoutingIo)))]
pub async fn get_team_routing(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TeamRoutingIo>> {
    let (mode, return_on_offline) = s.engine.team_routing(id).await?;
    Ok(Json(TeamRoutingIo {
        mode: mode.to_string(),
        return_on_offline,
    }))
}

/// Sets how a team hands out waiting conversations (admin); the queue is handed out at once.
#[utoipa::path(put, path = "/api/v1/teams/{id}/routing", request_body = TeamRoutingIo, tag = "routing",
    responses((status = 200, body = TeamRoutingIo), (status = 403), (status = 404), (status = 422)))]
pub async fn put_team_routing(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TeamRoutingIo>,
) -> ApiResult<Json<TeamRoutingIo>> {
    let mode = Mode::parse(&b.mode)?;
    s.engine
        .set_team_routing(&actor, id, mode, b.return_on_offline)
        .await?;
    Ok(Json(b))
}

/// A team's waiting conversations in the order they will be handed out.
#[utoipa::path(get, path = "/api/v1/teams/{id}/queue", tag = "routing",
    responses((status = 200, body = Vec<QueueEntryOut>), (status = 403)))]
pub async fn team_queue(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<QueueEntryOut>>> {
    let now = steward_store::now_ms();
    Ok(Json(
        s.engine
            .routing_queue(&actor, id)
            .await?
            .into_iter()
            .map(|c| QueueEntryOut {
                conversation_id: c.id,
                number: c.number,
                subject: c.subject,
                priority: c.priority.to_string(),
                channel: c.channel.to_string(),
                sla_due_at: crate::fmt::rfc3339_opt(c.sla_due_at),
                waiting_seconds: (now - c.created_at).max(0) / 1000,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/agents/{id}/routing", tag = "routing", responses((status = 200, body = AgentRoutingOut)))]
pub async fn get_agent_routing(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AgentRoutingOut>> {
    Ok(Json(agent_out(s.engine.agent_routing(id).await?)))
}

/// Sets an agent's skills and per-channel capacity (admin).
#[utoipa::path(put, path = "/api/v1/agents/{id}/routing", request_body = AgentRoutingIn, tag = "routing",
    responses((status = 200, body = AgentRoutingOut), (status = 403), (status = 422)))]
pub async fn put_agent_routing(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AgentRoutingIn>,
) -> ApiResult<Json<AgentRoutingOut>> {
    let settings = s
        .engine
        .set_agent_skills(&actor, id, b.skills.as_deref(), b.capacity.map(Capacity))
        .await?;
    Ok(Json(agent_out(settings)))
}

/// Go online (take work), away or offline (open chats return to the queue).
#[utoipa::path(put, path = "/api/v1/me/availability", request_body = AvailabilityIn, tag = "routing",
    responses((status = 200, body = AgentRoutingOut), (status = 422)))]
pub async fn put_availability(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<AvailabilityIn>,
) -> ApiResult<Json<AgentRoutingOut>> {
    let a = Availability::parse(&b.availability)?;
    s.engine.set_availability(&actor, a).await?;
    Ok(Json(agent_out(
        s.engine.agent_routing(actor.user_id).await?,
    )))
}

#[utoipa::path(get, path = "/api/v1/routing/skill-rules", tag = "routing", responses((status = 200, body = Vec<SkillRuleIo>)))]
pub async fn list_skill_rules(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Vec<SkillRuleIo>>> {
    Ok(Json(
        s.engine
            .skill_rules()
            .await?
            .into_iter()
            .map(rule_out)
            .collect(),
    ))
}

/// Adds a rule: conversations matching its conditions need its skills (admin).
#[utoipa::path(post, path = "/api/v1/routing/skill-rules", request_body = SkillRuleIo, tag = "routing",
    responses((status = 201, body = SkillRuleIo), (status = 403), (status = 422)))]
pub async fn create_skill_rule(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<SkillRuleIo>,
) -> ApiResult<Response> {
    let conditions = super::sla::conditions_in(b.conditions)?;
    let r = s
        .engine
        .save_skill_rule(&actor, None, &b.name, conditions, &b.skills)
        .await?;
    Ok((StatusCode::CREATED, Json(rule_out(r))).into_response())
}

/// Changes a rule's name, conditions and skills (admin); waiting conversations are handed out
/// again by them.
#[utoipa::path(put, path = "/api/v1/routing/skill-rules/{id}", request_body = SkillRuleIo, tag = "routing",
    responses((status = 200, body = SkillRuleIo), (status = 403), (status = 404), (status = 422)))]
pub async fn update_skill_rule(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SkillRuleIo>,
) -> ApiResult<Json<SkillRuleIo>> {
    let conditions = super::sla::conditions_in(b.conditions)?;
    let r = s
        .engine
        .save_skill_rule(&actor, Some(id), &b.name, conditions, &b.skills)
        .await?;
    Ok(Json(rule_out(r)))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxSettingsIo {
    /// The calendar its conversations count business hours by when their team has none;
    /// null for none.
    pub calendar_id: Option<i64>,
    /// manual, round_robin or load_balanced over its team's mode; null to follow the team.
    pub routing: Option<String>,
}

fn settings_out(o: InboxOperations) -> InboxSettingsIo {
    InboxSettingsIo {
        calendar_id: o.calendar_id,
        routing: o.routing.map(|m| m.to_string()),
    }
}

/// What an inbox adds to its team's way of working: a calendar and a routing mode.
#[utoipa::path(get, path = "/api/v1/inboxes/{address}/settings", tag = "routing",
    params(("address" = String, Path, description = "The inbox address")),
    responses((status = 200, body = InboxSettingsIo), (status = 404)))]
pub async fn get_inbox_settings(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(address): ApiPath<String>,
) -> ApiResult<Json<InboxSettingsIo>> {
    Ok(Json(settings_out(
        s.engine.inbox_operations_of(&address).await?,
    )))
}

/// Sets an inbox's calendar and routing mode (admin; inboxes of the config file too). SLAs
/// are worked out again by the new calendar; queues are handed out by the new routing.
#[utoipa::path(put, path = "/api/v1/inboxes/{address}/settings", request_body = InboxSettingsIo, tag = "routing",
    params(("address" = String, Path, description = "The inbox address")),
    responses((status = 200, body = InboxSettingsIo), (status = 403), (status = 404), (status = 422)))]
pub async fn put_inbox_settings(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(address): ApiPath<String>,
    ApiJson(b): ApiJson<InboxSettingsIo>,
) -> ApiResult<Json<InboxSettingsIo>> {
    let ops = InboxOperations {
        calendar_id: b.calendar_id,
        routing: b.routing.as_deref().map(Mode::parse).transpose()?,
    };
    Ok(Json(settings_out(
        s.engine.set_inbox_operations(&actor, &address, ops).await?,
    )))
}

#[utoipa::path(delete, path = "/api/v1/routing/skill-rules/{id}", tag = "routing", responses((status = 204), (status = 404)))]
pub async fn delete_skill_rule(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_skill_rule(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
