//! The conversation page's transfer and follow-up forms, and marking a follow-up done.

use super::form::FormData;
use crate::AppState;
use crate::api::tasks::follow_up;
use crate::authz::Agent;
use crate::error::PageError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use steward_engine::tasks::TransferCmd;

fn minutes(form: &FormData) -> Result<Option<i64>, PageError> {
    match form.get("follow_up_minutes").trim() {
        "" => Ok(None),
        m => m.parse().map(Some).map_err(|_| {
            PageError(crate::error::Problem::invalid(
                "follow_up_minutes",
                "must be a whole number of minutes",
            ))
        }),
    }
}

/// The follow-up the form asks for; minutes only count with "after…".
fn when(form: &FormData) -> Result<steward_engine::tasks::FollowUp, PageError> {
    let kind = form.get("follow_up");
    let minutes = if kind == "after" {
        minutes(form)?
    } else {
        None
    };
    Ok(follow_up(Some(kind), minutes)?)
}

pub async fn transfer(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let cmd = TransferCmd {
        team_id: form.id("team_id")?,
        assignee_id: form.id("assignee_id")?,
        reason: form.get("reason").to_string(),
        follow_up: when(&form)?,
    };
    s.engine
        .transfer_conversation(&agent.actor, id, cmd)
        .await?;
    Ok(Redirect::to(&format!("/conversations/{id}")).into_response())
}

pub async fn add_task(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .add_follow_up(&agent.actor, id, form.get("title"), when(&form)?)
        .await?;
    Ok(Redirect::to(&format!("/conversations/{id}")).into_response())
}

pub async fn done(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let task = s.engine.set_task_done(&agent.actor, id, true).await?;
    Ok(Redirect::to(&format!("/conversations/{}", task.conversation_id)).into_response())
}
