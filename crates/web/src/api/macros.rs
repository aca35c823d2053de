//! `/api/v1/macros`: canned replies, shared or personal, and a macro filled in for a
//! conversation.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_store::macros::Macro;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct MacroOut {
    pub id: i64,
    pub title: String,
    /// With placeholders: {{customer.name}}, {{customer.email}}, {{conversation.number}},
    /// {{conversation.subject}}, {{agent.name}}, {{cf.<field key>}}.
    pub body: String,
    /// Shared with everyone, or personal to the agent who made it.
    pub shared: bool,
    pub updated_at: String,
}

fn out(m: Macro) -> MacroOut {
    MacroOut {
        id: m.id,
        title: m.title,
        body: m.body,
        shared: m.owner_id.is_none(),
        updated_at: crate::fmt::rfc3339(m.updated_at),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MacroIn {
    pub title: String,
    pub body: String,
    /// Shared with everyone (supervisors and admins only); personal when absent.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MacroPatch {
    pub title: String,
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct FilledMacroOut {
    pub body: String,
}

/// The shared macros and the caller's own.
#[utoipa::path(get, path = "/api/v1/macros", tag = "macros", responses((status = 200, body = Vec<MacroOut>)))]
pub async fn list_macros(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<MacroOut>>> {
    Ok(Json(
        s.engine
            .macros(&actor)
            .await?
            .into_iter()
            .map(out)
            .collect(),
    ))
}

/// Adds a macro; an unknown placeholder is refused (422).
#[utoipa::path(post, path = "/api/v1/macros", request_body = MacroIn, tag = "macros",
    responses((status = 201, body = MacroOut), (status = 403), (status = 422)))]
pub async fn create_macro(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<MacroIn>,
) -> ApiResult<Response> {
    let m = s
        .engine
        .create_macro(&actor, &body.title, &body.body, body.shared)
        .await?;
    Ok((StatusCode::CREATED, Json(out(m))).into_response())
}

/// Changes a macro: one's own, or a shared one (supervisors and admins).
#[utoipa::path(patch, path = "/api/v1/macros/{id}", request_body = MacroPatch, tag = "macros",
    responses((status = 200, body = MacroOut), (status = 403), (status = 404), (status = 422)))]
pub async fn update_macro(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MacroPatch>,
) -> ApiResult<Json<MacroOut>> {
    Ok(Json(out(s
        .engine
        .update_macro(&actor, id, &body.title, &body.body)
        .await?)))
}

/// Removes a macro: one's own, or a shared one (supervisors and admins).
#[utoipa::path(delete, path = "/api/v1/macros/{id}", tag = "macros",
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_macro(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_macro(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A macro filled in for a conversation, ready to send or edit.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/macros/{macro_id}", tag = "macros",
    responses((status = 200, body = FilledMacroOut), (status = 404)))]
pub async fn fill_macro(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, macro_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<FilledMacroOut>> {
    Ok(Json(FilledMacroOut {
        body: s.engine.render_macro(&actor, macro_id, id).await?,
    }))
}
