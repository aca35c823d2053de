//! `/api/v1/automations`: rules that act on conversations on events or after time, in order;
//! a dry run shows which open conversations a rule's conditions match now. Agents read;
//! admins change.

use super::ApiResult;
use super::dto::ConversationOut;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward_domain::automation::{Action, RuleConditions, Trigger};
use steward_engine::automations::{RuleInput, RuleView};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationIn {
    pub name: String,
    #[serde(default = "on")]
    pub active: bool,
    /// conversation.created, conversation.updated, message.received, sla.warning,
    /// sla.breached, time.idle or time.pending.
    pub trigger: String,
    /// priorities, channels, tags, without_tags, organization_ids, customer_tiers,
    /// statuses, text, assigned, hours (for time triggers).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub conditions: Value,
    /// Each `{"type": …}`: set_priority, set_status, assign_team, assign_agent, add_tags,
    /// remove_tags, note, reply, notify, call_webhook.
    #[schema(value_type = Vec<Object>)]
    pub actions: Value,
}

fn on() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
pub struct AutomationOut {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub active: bool,
    pub trigger: String,
    #[schema(value_type = Object)]
    pub conditions: Value,
    #[schema(value_type = Vec<Object>)]
    pub actions: Value,
    pub updated_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunIn {
    pub trigger: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub conditions: Value,
}

fn conditions(v: Value) -> Result<RuleConditions, Problem> {
    let v = if v.is_null() {
        Value::Object(Default::default())
    } else {
        v
    };
    serde_json::from_value(v).map_err(|e| Problem::invalid("conditions", e.to_string()))
}

fn input(b: AutomationIn) -> Result<RuleInput, Problem> {
    Ok(RuleInput {
        name: b.name,
        active: b.active,
        trigger: Trigger::parse(&b.trigger)?,
        conditions: conditions(b.conditions)?,
        actions: serde_json::from_value::<Vec<Action>>(b.actions)
            .map_err(|e| Problem::invalid("actions", e.to_string()))?,
    })
}

fn out(r: RuleView) -> AutomationOut {
    AutomationOut {
        id: r.id,
        position: r.position,
        name: r.input.name,
        active: r.input.active,
        trigger: r.input.trigger.to_string(),
        conditions: serde_json::to_value(&r.input.conditions).unwrap_or_default(),
        actions: serde_json::to_value(&r.input.actions).unwrap_or_default(),
        updated_at: crate::fmt::rfc3339(r.updated_at),
    }
}

#[utoipa::path(get, path = "/api/v1/automations", tag = "automations", responses((status = 200, body = Vec<AutomationOut>)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(_a): ApiActor,
) -> ApiResult<Json<Vec<AutomationOut>>> {
    Ok(Json(
        s.engine.automations().await?.into_iter().map(out).collect(),
    ))
}

/// Adds a rule, run after the others. A rule that would loop, has no action, or names a team,
/// agent, webhook or placeholder that does not exist is refused (422).
#[utoipa::path(post, path = "/api/v1/automations", request_body = AutomationIn, tag = "automations",
    responses((status = 201, body = AutomationOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<AutomationIn>,
) -> ApiResult<Response> {
    let r = s.engine.save_automation(&actor, None, input(b)?).await?;
    Ok((StatusCode::CREATED, Json(out(r))).into_response())
}

#[utoipa::path(put, path = "/api/v1/automations/{id}", request_body = AutomationIn, tag = "automations",
    responses((status = 200, body = AutomationOut), (status = 404), (status = 422)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AutomationIn>,
) -> ApiResult<Json<AutomationOut>> {
    Ok(Json(out(s
        .engine
        .save_automation(&actor, Some(id), input(b)?)
        .await?)))
}

#[utoipa::path(delete, path = "/api/v1/automations/{id}", tag = "automations", responses((status = 204), (status = 404)))]
pub async fn delete(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_automation(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The open conversations (of the newest 1,000) a rule's conditions match now.
#[utoipa::path(post, path = "/api/v1/automations/dry-run", request_body = DryRunIn, tag = "automations",
    responses((status = 200, body = Vec<ConversationOut>), (status = 403), (status = 422)))]
pub async fn dry_run(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<DryRunIn>,
) -> ApiResult<Json<Vec<ConversationOut>>> {
    let trigger = Trigger::parse(&b.trigger)?;
    let found = s
        .engine
        .automation_dry_run(&actor, trigger, &conditions(b.conditions)?)
        .await?;
    let mut page = Vec::new();
    for c in found {
        let tags = s.engine.conversation_tags(c.id).await?;
        page.push(ConversationOut::from(c, tags));
    }
    Ok(Json(page))
}

/// Sets the order rules run in; every rule must be listed once.
#[utoipa::path(put, path = "/api/v1/automations/order", request_body = super::sla::ReorderIn, tag = "automations",
    responses((status = 204), (status = 403), (status = 422)))]
pub async fn reorder(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<super::sla::ReorderIn>,
) -> ApiResult<StatusCode> {
    s.engine.reorder_automations(&actor, &b.ids).await?;
    Ok(StatusCode::NO_CONTENT)
}
