//! Live chat over the API: chat inboxes (admins; a widget names one by its key) and the chats
//! waiting for an agent with the longest wait (supervisors see all, agents their teams').

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_engine::chat::ChatInboxInput;
use steward_store::chat::ChatInbox;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ChatInboxOut {
    pub id: i64,
    /// What `data-inbox` on the widget's script tag names.
    pub key: String,
    pub name: String,
    pub colour: String,
    pub greeting: String,
    pub team_id: Option<i64>,
    pub email_inbox: Option<String>,
    pub calendar_id: Option<i64>,
    /// none, optional or required.
    pub prechat: String,
    pub topics: Vec<String>,
    pub enabled: bool,
    /// The snippet to paste into a site.
    pub snippet: String,
    pub updated_at: String,
}

pub fn out(i: ChatInbox) -> ChatInboxOut {
    ChatInboxOut {
        topics: steward_engine::chat::topics(&i),
        snippet: format!(
            "<script src=\"/widget.js\" data-inbox=\"{}\" async></script>",
            i.key
        ),
        id: i.id,
        key: i.key,
        name: i.name,
        colour: i.colour,
        greeting: i.greeting,
        team_id: i.team_id,
        email_inbox: i.email_inbox,
        calendar_id: i.calendar_id,
        prechat: i.prechat,
        enabled: i.enabled == 1,
        updated_at: rfc3339(i.updated_at),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatInboxIn {
    pub key: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    #[serde(default)]
    pub greeting: String,
    pub team_id: Option<i64>,
    pub email_inbox: Option<String>,
    pub calendar_id: Option<i64>,
    /// none, optional (default) or required.
    pub prechat: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    pub enabled: Option<bool>,
}

fn input(b: ChatInboxIn) -> ChatInboxInput {
    ChatInboxInput {
        key: b.key,
        name: b.name,
        colour: b.colour,
        greeting: b.greeting,
        team_id: b.team_id,
        email_inbox: b.email_inbox,
        calendar_id: b.calendar_id,
        prechat: b.prechat.unwrap_or_else(|| "optional".into()),
        topics: b.topics,
        enabled: b.enabled.unwrap_or(true),
    }
}

/// Lists the chat inboxes. Admins only.
#[utoipa::path(get, path = "/api/v1/chat/inboxes", tag = "chat",
    responses((status = 200, body = [ChatInboxOut]), (status = 403)))]
pub async fn list_inboxes(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<ChatInboxOut>>> {
    actor.may_administer()?;
    Ok(Json(
        s.engine
            .chat_inboxes()
            .await?
            .into_iter()
            .map(out)
            .collect(),
    ))
}

/// Creates a chat inbox. Admins only.
#[utoipa::path(post, path = "/api/v1/chat/inboxes", request_body = ChatInboxIn, tag = "chat",
    responses((status = 201, body = ChatInboxOut), (status = 409), (status = 422)))]
pub async fn create_inbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ChatInboxIn>,
) -> ApiResult<(StatusCode, Json<ChatInboxOut>)> {
    let i = s.engine.save_chat_inbox(&actor, None, &input(b)).await?;
    Ok((StatusCode::CREATED, Json(out(i))))
}

/// Changes a chat inbox. Admins only.
#[utoipa::path(put, path = "/api/v1/chat/inboxes/{id}", request_body = ChatInboxIn, tag = "chat",
    responses((status = 200, body = ChatInboxOut), (status = 404), (status = 422)))]
pub async fn update_inbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ChatInboxIn>,
) -> ApiResult<Json<ChatInboxOut>> {
    let i = s
        .engine
        .save_chat_inbox(&actor, Some(id), &input(b))
        .await?;
    Ok(Json(out(i)))
}

/// Deletes a chat inbox no visitor has used (409 otherwise: disable it). Admins only.
#[utoipa::path(delete, path = "/api/v1/chat/inboxes/{id}", tag = "chat",
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete_inbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_chat_inbox(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct WaitingChatOut {
    pub conversation_id: i64,
    pub number: i64,
    pub customer_name: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub chat_inbox: String,
    pub topic: Option<String>,
    pub started_at: String,
    pub waiting_seconds: i64,
}

#[derive(Serialize, ToSchema)]
pub struct WaitingOut {
    /// Longest waiting first.
    pub chats: Vec<WaitingChatOut>,
    pub longest_wait_seconds: i64,
}

/// The chats waiting for an agent, longest first: all for supervisors and admins, their
/// teams' for agents.
#[utoipa::path(get, path = "/api/v1/chat/waiting", tag = "chat",
    responses((status = 200, body = WaitingOut), (status = 403)))]
pub async fn waiting(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<WaitingOut>> {
    let now = steward_store::now_ms();
    let chats: Vec<WaitingChatOut> = s
        .engine
        .waiting_chats(&actor)
        .await?
        .into_iter()
        .map(|w| WaitingChatOut {
            conversation_id: w.conversation_id,
            number: w.number,
            customer_name: w.customer_name,
            team_id: w.team_id,
            team_name: w.team_name,
            chat_inbox: w.chat_inbox,
            topic: w.topic,
            started_at: rfc3339(w.started_at),
            waiting_seconds: (now - w.started_at).max(0) / 1000,
        })
        .collect();
    let longest_wait_seconds = chats.first().map_or(0, |c| c.waiting_seconds);
    Ok(Json(WaitingOut {
        chats,
        longest_wait_seconds,
    }))
}
