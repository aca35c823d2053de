//! Transfers and follow-up tasks: `POST /api/v1/conversations/{id}/transfer` moves a
//! conversation with a reason and gives the previous owner a follow-up;
//! `/api/v1/conversations/{id}/tasks` and `/api/v1/tasks` list, add and complete follow-ups.

use super::ApiResult;
use super::dto::ConversationOut;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::fmt::{rfc3339, rfc3339_opt};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_engine::tasks::{FollowUp, TransferCmd};
use steward_store::tasks::Task;
use utoipa::{IntoParams, ToSchema};

/// `on_solve` (the default), `after` (with minutes) or `none`.
pub fn follow_up(kind: Option<&str>, minutes: Option<i64>) -> Result<FollowUp, Problem> {
    match (kind.map(str::trim), minutes) {
        (None | Some(""), Some(m)) | (Some("after"), Some(m)) => Ok(FollowUp::After(m)),
        (None | Some("") | Some("on_solve"), None) => Ok(FollowUp::OnSolve),
        (Some("none"), _) => Ok(FollowUp::None),
        (Some("after"), None) => Err(Problem::invalid(
            "follow_up_minutes",
            "say after how many minutes",
        )),
        (Some("on_solve"), Some(_)) => Err(Problem::invalid(
            "follow_up_minutes",
            "a follow-up due on solve has no minutes",
        )),
        (Some(other), _) => Err(Problem::invalid(
            "follow_up",
            format!("'{other}' is not one of: on_solve, after, none"),
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    /// The team to move it to (alone: into that team's queue, unassigned).
    pub team_id: Option<i64>,
    /// The agent to give it to.
    pub assignee_id: Option<i64>,
    /// Why; shown on the conversation.
    pub reason: String,
    /// The previous owner's follow-up: `on_solve` (default), `after` or `none`.
    pub follow_up: Option<String>,
    /// With `after`: minutes from now.
    pub follow_up_minutes: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIn {
    pub title: String,
    /// `on_solve` (default) or `after`.
    pub follow_up: Option<String>,
    pub follow_up_minutes: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    pub done: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// Done tasks instead of open ones.
    pub done: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct TaskOut {
    pub id: i64,
    pub conversation_id: i64,
    pub conversation_number: i64,
    pub conversation_subject: String,
    /// The agent it is for.
    pub user_id: i64,
    pub title: String,
    /// When it falls due; for one due on solve, set when the conversation is solved.
    pub due_at: Option<String>,
    pub due_on_solve: bool,
    /// When its owner was told it is due.
    pub notified_at: Option<String>,
    pub done_at: Option<String>,
    pub created_at: String,
}

fn out(t: Task) -> TaskOut {
    TaskOut {
        id: t.id,
        conversation_id: t.conversation_id,
        conversation_number: t.conversation_number,
        conversation_subject: t.conversation_subject,
        user_id: t.user_id,
        title: t.title,
        due_at: rfc3339_opt(t.due_at),
        due_on_solve: t.due_on_solve != 0,
        notified_at: rfc3339_opt(t.notified_at),
        done_at: rfc3339_opt(t.done_at),
        created_at: rfc3339(t.created_at),
    }
}

/// Transfer a conversation to a team or agent with a reason; the previous owner keeps
/// following it and gets a follow-up task.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/transfer", request_body = TransferIn, tag = "conversations",
    responses((status = 200, body = ConversationOut), (status = 404), (status = 409), (status = 422)))]
pub async fn transfer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TransferIn>,
) -> ApiResult<Json<ConversationOut>> {
    let cmd = TransferCmd {
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        reason: b.reason,
        follow_up: follow_up(b.follow_up.as_deref(), b.follow_up_minutes)?,
    };
    let c = s.engine.transfer_conversation(&actor, id, cmd).await?;
    let tags = s.engine.conversation_tags(id).await?;
    Ok(Json(ConversationOut::from(c, tags)))
}

/// The follow-up tasks on a conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/tasks", tag = "tasks",
    responses((status = 200, body = Vec<TaskOut>), (status = 404)))]
pub async fn conversation_tasks(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<TaskOut>>> {
    Ok(Json(
        s.engine
            .conversation_tasks(&actor, id)
            .await?
            .into_iter()
            .map(out)
            .collect(),
    ))
}

/// Add a follow-up for yourself on a conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/tasks", request_body = TaskIn, tag = "tasks",
    responses((status = 201, body = TaskOut), (status = 404), (status = 422)))]
pub async fn add_task(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TaskIn>,
) -> ApiResult<Response> {
    let when = follow_up(b.follow_up.as_deref(), b.follow_up_minutes)?;
    let t = s.engine.add_follow_up(&actor, id, &b.title, when).await?;
    Ok((StatusCode::CREATED, Json(out(t))).into_response())
}

/// Your follow-up tasks: open ones, soonest due first (or done ones with `done=true`).
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, body = Vec<TaskOut>)))]
pub async fn my_tasks(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Vec<TaskOut>>> {
    Ok(Json(
        s.engine
            .my_tasks(&actor, q.done.unwrap_or(false))
            .await?
            .into_iter()
            .map(out)
            .collect(),
    ))
}

/// Mark a task done, or open again.
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", request_body = TaskPatch, tag = "tasks",
    responses((status = 200, body = TaskOut), (status = 404)))]
pub async fn update_task(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TaskPatch>,
) -> ApiResult<Json<TaskOut>> {
    Ok(Json(out(s
        .engine
        .set_task_done(&actor, id, b.done)
        .await?)))
}
