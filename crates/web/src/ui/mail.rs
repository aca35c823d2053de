//! Mail actions on a message in the workspace: download the original email, and send a
//! failed reply again.

use super::form::FormData;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

pub async fn original(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let bytes = s.engine.original_mail(&agent.actor, id).await?;
    Ok(super::download_mail(id, bytes))
}

pub async fn retry(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let conversation_id = s.engine.retry_mail(&agent.actor, id).await?;
    Ok(Redirect::to(&format!("/conversations/{conversation_id}")).into_response())
}
