//! `/api/v1/me/notifications`: which emails the calling agent gets about their work.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use steward_engine::email::NotificationPrefs;
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsInOut {
    /// Email me when someone assigns a conversation to me.
    pub assigned: bool,
    /// Email me when someone mentions me (@name or @localpart) in a note or reply.
    pub mentioned: bool,
}

fn out(p: NotificationPrefs) -> NotificationsInOut {
    NotificationsInOut {
        assigned: p.assigned,
        mentioned: p.mentioned,
    }
}

/// The calling agent's notification emails.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "agents",
    responses((status = 200, body = NotificationsInOut)))]
pub async fn get_notifications(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<NotificationsInOut>> {
    Ok(Json(out(s.engine.notification_prefs(&actor).await?)))
}

/// Sets the calling agent's notification emails.
#[utoipa::path(put, path = "/api/v1/me/notifications", request_body = NotificationsInOut, tag = "agents",
    responses((status = 200, body = NotificationsInOut), (status = 422)))]
pub async fn put_notifications(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<NotificationsInOut>,
) -> ApiResult<Json<NotificationsInOut>> {
    let prefs = NotificationPrefs {
        assigned: body.assigned,
        mentioned: body.mentioned,
    };
    s.engine.set_notification_prefs(&actor, prefs).await?;
    Ok(Json(out(prefs)))
}
