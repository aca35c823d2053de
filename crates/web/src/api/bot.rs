//! The answer bot's settings over the API (`/settings/answer-bot`): admins change them, any
//! agent reads them.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use serde_json::Value;
use steward_domain::bot::Settings;

/// The bot's settings: whether it answers in chat, which inboxes' new mail it answers, how
/// sure (percent) it must be, and how many answers it gives in a chat before handing over.
#[utoipa::path(get, path = "/api/v1/settings/answer-bot", tag = "self-service",
    responses((status = 200, body = Object)))]
pub async fn get_settings(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Settings>> {
    Ok(Json(s.engine.bot_settings().await?))
}

/// Saves the bot's settings (admin); fields left out keep their defaults.
#[utoipa::path(put, path = "/api/v1/settings/answer-bot", request_body = Object, tag = "self-service",
    responses((status = 200, body = Object), (status = 403), (status = 422)))]
pub async fn put_settings(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<Value>,
) -> ApiResult<Json<Settings>> {
    let settings: Settings =
        serde_json::from_value(b).map_err(|e| Problem::invalid("settings", e.to_string()))?;
    Ok(Json(s.engine.set_bot_settings(&actor, settings).await?))
}
