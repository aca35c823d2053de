//! `/api/v1/sla-policies`: SLA policies (conditions, targets, hours, pauses, warning time,
//! escalation) in the order they are tried, and `/api/v1/conversations/{id}/sla`: where a
//! conversation's clocks stand. Agents read; admins change.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_domain::sla::{Clock, Conditions, Pauses, Targets};
use steward_domain::{Channel, DomainError, Priority};
use steward_engine::sla::{Escalation, PolicyInput, PolicyView, SlaView};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ConditionsIo {
    /// Any of these priorities (low, normal, high, urgent); empty for any.
    pub priorities: Vec<String>,
    /// Any of these channels; empty for any.
    pub channels: Vec<String>,
    /// Any of these tags; empty for any.
    pub tags: Vec<String>,
    /// The customer belongs to one of these organizations; empty for any.
    pub organization_ids: Vec<i64>,
    /// The customer has one of these tiers; empty for any.
    pub customer_tiers: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TargetsIo {
    pub first_response_minutes: Option<i64>,
    pub next_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationIo {
    /// Move a conversation that misses a target to this team (its assignee keeps following).
    pub reassign_team_id: Option<i64>,
    /// Raise its priority one step.
    pub raise_priority: bool,
    /// Email these agents.
    pub notify_user_ids: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyIn {
    pub name: String,
    #[serde(default)]
    pub conditions: ConditionsIo,
    pub targets: TargetsIo,
    /// Count in this calendar's business hours (a conversation's team calendar wins); leave
    /// out to count around the clock.
    pub calendar_id: Option<i64>,
    /// Stop the clocks while pending (default true).
    pub pause_when_pending: Option<bool>,
    /// Stop the clocks while on hold (default true).
    pub pause_when_on_hold: Option<bool>,
    /// Warn this many minutes before a target runs out (default 0: no warning).
    pub warn_minutes: Option<i64>,
    #[serde(default)]
    pub escalation: EscalationIo,
}

/// Conditions as the API writes them, checked.
pub fn conditions_in(c: ConditionsIo) -> Result<Conditions, DomainError> {
    Ok(Conditions {
        priorities: c
            .priorities
            .iter()
            .map(|p| Priority::parse(p))
            .collect::<Result<_, _>>()?,
        channels: c
            .channels
            .iter()
            .map(|p| Channel::parse(p))
            .collect::<Result<_, _>>()?,
        tags: c.tags,
        organization_ids: c.organization_ids,
        customer_tiers: c.customer_tiers,
    })
}

pub fn conditions_out(c: Conditions) -> ConditionsIo {
    ConditionsIo {
        priorities: c.priorities.iter().map(|p| p.to_string()).collect(),
        channels: c.channels.iter().map(|p| p.to_string()).collect(),
        tags: c.tags,
        organization_ids: c.organization_ids,
        customer_tiers: c.customer_tiers,
    }
}

impl SlaPolicyIn {
    fn into_input(self) -> Result<PolicyInput, DomainError> {
        Ok(PolicyInput {
            name: self.name,
            conditions: conditions_in(self.conditions)?,
            targets: Targets {
                first_response: self.targets.first_response_minutes,
                next_response: self.targets.next_response_minutes,
                resolution: self.targets.resolution_minutes,
            },
            calendar_id: self.calendar_id,
            pauses: Pauses {
                pending: self.pause_when_pending.unwrap_or(true),
                on_hold: self.pause_when_on_hold.unwrap_or(true),
            },
            warn_minutes: self.warn_minutes.unwrap_or(0),
            escalation: Escalation {
                reassign_team_id: self.escalation.reassign_team_id,
                raise_priority: self.escalation.raise_priority,
                notify_user_ids: self.escalation.notify_user_ids,
            },
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct SlaPolicyOut {
    pub id: i64,
    /// Policies are tried lowest first; the first that matches applies.
    pub position: i64,
    pub name: String,
    pub conditions: ConditionsIo,
    pub targets: TargetsIo,
    /// Business hours by `calendar_id`, else around the clock.
    pub business_hours: bool,
    pub calendar_id: Option<i64>,
    pub pause_when_pending: bool,
    pub pause_when_on_hold: bool,
    pub warn_minutes: i64,
    pub escalation: EscalationIo,
    pub updated_at: String,
}

fn out(v: PolicyView) -> SlaPolicyOut {
    let i = v.input;
    SlaPolicyOut {
        id: v.id,
        position: v.position,
        name: i.name,
        conditions: conditions_out(i.conditions),
        targets: TargetsIo {
            first_response_minutes: i.targets.first_response,
            next_response_minutes: i.targets.next_response,
            resolution_minutes: i.targets.resolution,
        },
        business_hours: i.calendar_id.is_some(),
        calendar_id: i.calendar_id,
        pause_when_pending: i.pauses.pending,
        pause_when_on_hold: i.pauses.on_hold,
        warn_minutes: i.warn_minutes,
        escalation: EscalationIo {
            reassign_team_id: i.escalation.reassign_team_id,
            raise_priority: i.escalation.raise_priority,
            notify_user_ids: i.escalation.notify_user_ids,
        },
        updated_at: rfc3339(v.updated_at),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderIn {
    /// Every policy's id, first tried first.
    pub ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SlaClockOut {
    /// first_response, next_response or resolution.
    pub metric: String,
    pub target_minutes: i64,
    pub started_at: String,
    /// When the target runs out, while the clock runs.
    pub due_at: Option<String>,
    pub met_at: Option<String>,
    pub breached_at: Option<String>,
    pub paused: bool,
    /// Counted time left in seconds; negative once overdue.
    pub remaining_seconds: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationSlaOut {
    pub policy_id: i64,
    pub policy_name: String,
    pub business_hours: bool,
    /// ok, warning, breached, paused or met.
    pub state: Option<String>,
    /// The soonest due time of a running clock.
    pub due_at: Option<String>,
    /// When a target was first missed.
    pub breached_at: Option<String>,
    pub clocks: Vec<SlaClockOut>,
}

fn clock_out(c: &Clock) -> SlaClockOut {
    SlaClockOut {
        metric: c.metric.to_string(),
        target_minutes: c.target_minutes,
        started_at: rfc3339(c.started_at),
        due_at: c.due_at.filter(|_| c.is_open()).map(rfc3339),
        met_at: c.met_at.map(rfc3339),
        breached_at: c.breached_at.map(rfc3339),
        paused: c.paused,
        remaining_seconds: c.remaining_ms / 1000,
    }
}

fn sla_out(v: SlaView) -> ConversationSlaOut {
    ConversationSlaOut {
        policy_id: v.policy_id,
        policy_name: v.policy_name,
        business_hours: v.business_hours,
        state: v.summary.state.map(|s| s.to_string()),
        due_at: v.summary.due_at.map(rfc3339),
        breached_at: v.summary.breached_at.map(rfc3339),
        clocks: v.clocks.iter().map(clock_out).collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla", responses((status = 200, body = Vec<SlaPolicyOut>)))]
pub async fn list_policies(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Vec<SlaPolicyOut>>> {
    Ok(Json(
        s.engine
            .sla_policies()
            .await?
            .into_iter()
            .map(out)
            .collect(),
    ))
}

/// Adds a policy, tried after the others. A target of zero, a warning no shorter than the
/// shortest target, or an unknown calendar, team or agent is refused (422).
#[utoipa::path(post, path = "/api/v1/sla-policies", request_body = SlaPolicyIn, tag = "sla",
    responses((status = 201, body = SlaPolicyOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create_policy(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<SlaPolicyIn>,
) -> ApiResult<Response> {
    let v = s
        .engine
        .save_sla_policy(&actor, None, body.into_input()?)
        .await?;
    Ok((StatusCode::CREATED, Json(out(v))).into_response())
}

#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla", responses((status = 200, body = SlaPolicyOut), (status = 404)))]
pub async fn get_policy(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SlaPolicyOut>> {
    Ok(Json(out(s.engine.sla_policy(id).await?)))
}

/// Replaces a policy; open conversations are worked out again under it.
#[utoipa::path(put, path = "/api/v1/sla-policies/{id}", request_body = SlaPolicyIn, tag = "sla",
    responses((status = 200, body = SlaPolicyOut), (status = 404), (status = 422)))]
pub async fn update_policy(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SlaPolicyIn>,
) -> ApiResult<Json<SlaPolicyOut>> {
    Ok(Json(out(s
        .engine
        .save_sla_policy(&actor, Some(id), body.into_input()?)
        .await?)))
}

#[utoipa::path(delete, path = "/api/v1/sla-policies/{id}", tag = "sla",
    responses((status = 204), (status = 404)))]
pub async fn delete_policy(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_sla_policy(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the order policies are tried in; every policy must be listed once.
#[utoipa::path(put, path = "/api/v1/sla-policies/order", request_body = ReorderIn, tag = "sla",
    responses((status = 204), (status = 422)))]
pub async fn reorder_policies(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ReorderIn>,
) -> ApiResult<StatusCode> {
    s.engine.reorder_sla_policies(&actor, &body.ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where a conversation's SLA clocks stand now (404 when no policy applies).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/sla", tag = "sla",
    responses((status = 200, body = ConversationSlaOut), (status = 404)))]
pub async fn conversation_sla(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ConversationSlaOut>> {
    let v = s
        .engine
        .conversation_sla(&actor, id)
        .await?
        .ok_or_else(|| crate::error::Problem::not_found("an SLA policy for this conversation"))?;
    Ok(Json(sla_out(v)))
}
