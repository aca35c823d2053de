//! The macros page: the shared macros and the agent's own, with forms to add, change and
//! remove them (shared ones: supervisors and admins).

use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::Role;

pub struct MacroLine {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub shared: bool,
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "macros.html")]
struct MacrosPage {
    layout: Layout,
    macros: Vec<MacroLine>,
    may_share: bool,
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    let may_share = agent.actor.role != Role::Agent;
    let macros = s
        .engine
        .macros(&agent.actor)
        .await?
        .into_iter()
        .map(|m| MacroLine {
            editable: m.owner_id.is_some() || may_share,
            shared: m.owner_id.is_none(),
            id: m.id,
            title: m.title,
            body: m.body,
        })
        .collect();
    Ok(render(&MacrosPage {
        layout: Layout::new(&agent, &s.brand, "macros"),
        macros,
        may_share,
    }))
}

fn id(form: &FormData) -> Result<Option<i64>, PageError> {
    match form.get("id") {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| PageError(Problem::bad_request("id must be a number"))),
    }
}

/// Adds a macro, or changes one (with `id`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let (title, body) = (form.get("title"), form.get("body"));
    match id(&form)? {
        Some(id) => {
            s.engine.update_macro(&agent.actor, id, title, body).await?;
        }
        None => {
            let shared = form.get("shared") == "on";
            s.engine
                .create_macro(&agent.actor, title, body, shared)
                .await?;
        }
    }
    Ok(Redirect::to("/macros").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let Some(id) = id(&form)? else {
        return Err(PageError(Problem::bad_request("which macro?")));
    };
    s.engine.delete_macro(&agent.actor, id).await?;
    Ok(Redirect::to("/macros").into_response())
}
