//! `/api/v1/webhooks`: subscriptions, their delivery logs, redelivery and a ping. Admins only.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_engine::webhooks::WebhookChange;
use steward_store::webhooks::{Delivery, Webhook};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// Event names, or `*` for all.
    pub events: Vec<String>,
    pub active: bool,
    /// Signs every delivery (Standard Webhooks: `webhook-signature` is `v1,` and the base64
    /// HMAC-SHA256 of `webhook-id.webhook-timestamp.body`, keyed by this secret's base64
    /// part after `whsec_`).
    pub secret: String,
    pub created_at: String,
    pub updated_at: String,
}

fn out(w: Webhook) -> WebhookOut {
    WebhookOut {
        events: w.event_list(),
        active: w.is_active(),
        id: w.id,
        url: w.url,
        description: w.description,
        secret: w.secret,
        created_at: crate::fmt::rfc3339(w.created_at),
        updated_at: crate::fmt::rfc3339(w.updated_at),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// http or https; loopback and private addresses are refused unless the server allows them.
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event names (see `GET /api/v1/webhooks/events`), or `*` for all.
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub event_id: Option<i64>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// The receiver's HTTP status at the last attempt.
    pub response_status: Option<i64>,
    /// The start of the receiver's answer at the last attempt.
    pub response_body: Option<String>,
    pub error: Option<String>,
    /// The node that made the last attempt.
    pub node: Option<String>,
    /// The JSON that is sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
    pub delivered_at: Option<String>,
}

fn delivery_out(d: Delivery) -> DeliveryOut {
    DeliveryOut {
        payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
        id: d.id,
        webhook_id: d.webhook_id,
        event: d.event,
        event_id: d.event_id,
        status: d.status,
        attempts: d.attempts,
        response_status: d.response_status,
        response_body: d.response_body,
        error: d.last_error,
        node: d.node,
        created_at: crate::fmt::rfc3339(d.created_at),
        updated_at: crate::fmt::rfc3339(d.updated_at),
        delivered_at: d.delivered_at.map(crate::fmt::rfc3339),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// Only deliveries older than this delivery id (the next page).
    pub before: Option<i64>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<i64>,
}

/// The events a webhook may subscribe to.
#[utoipa::path(get, path = "/api/v1/webhooks/events", tag = "webhooks", responses((status = 200, body = Vec<String>)))]
pub async fn list_events(ApiActor(actor): ApiActor) -> ApiResult<Json<Vec<&'static str>>> {
    actor
        .may_administer()
        .map_err(steward_engine::EngineError::from)?;
    Ok(Json(steward_engine::webhooks::EVENTS.to_vec()))
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", responses((status = 200, body = Vec<WebhookOut>), (status = 403)))]
pub async fn list_webhooks(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<WebhookOut>>> {
    Ok(Json(
        s.engine
            .webhooks(&actor)
            .await?
            .into_iter()
            .map(out)
            .collect(),
    ))
}

/// Adds a webhook; its signing secret is in the answer.
#[utoipa::path(post, path = "/api/v1/webhooks", request_body = WebhookIn, tag = "webhooks",
    responses((status = 201, body = WebhookOut), (status = 403), (status = 422)))]
pub async fn create_webhook(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<WebhookIn>,
) -> ApiResult<Response> {
    let w = s
        .engine
        .create_webhook(
            &actor,
            &WebhookChange {
                url: body.url,
                description: body.description,
                events: body.events,
                active: body.active,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(out(w))).into_response())
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", responses((status = 200, body = WebhookOut), (status = 404)))]
pub async fn get_webhook(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WebhookOut>> {
    Ok(Json(out(s.engine.webhook(&actor, id).await?)))
}

/// Changes a webhook; fields left out stay as they are.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", request_body = WebhookPatch, tag = "webhooks",
    responses((status = 200, body = WebhookOut), (status = 404), (status = 422)))]
pub async fn update_webhook(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<WebhookPatch>,
) -> ApiResult<Json<WebhookOut>> {
    let current = s.engine.webhook(&actor, id).await?;
    let change = WebhookChange {
        events: body.events.unwrap_or_else(|| current.event_list()),
        active: body.active.unwrap_or(current.is_active()),
        url: body.url.unwrap_or(current.url),
        description: body.description.unwrap_or(current.description),
    };
    Ok(Json(out(s
        .engine
        .update_webhook(&actor, id, &change)
        .await?)))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", responses((status = 204), (status = 404)))]
pub async fn delete_webhook(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_webhook(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", params(DeliveriesQuery), tag = "webhooks",
    responses((status = 200, body = Vec<DeliveryOut>), (status = 404)))]
pub async fn list_deliveries(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<Vec<DeliveryOut>>> {
    let list = s
        .engine
        .webhook_deliveries(&actor, id, q.before, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(list.into_iter().map(delivery_out).collect()))
}

/// Sends a delivery again, with the same id and payload.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    responses((status = 202, body = DeliveryOut), (status = 404)))]
pub async fn redeliver(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, delivery_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    let d = s.engine.redeliver(&actor, id, delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_out(d))).into_response())
}

/// Sends a `ping` event now, to check the receiver.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "webhooks",
    responses((status = 202, body = DeliveryOut), (status = 404)))]
pub async fn ping_webhook(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let d = s.engine.ping_webhook(&actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_out(d))).into_response())
}
