//! An article's history in the workspace (every saved state, with who saved it and when, and
//! its Markdown to compare), restoring one, and marking an article reviewed.

use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

pub struct VersionLine {
    pub id: i64,
    pub when: String,
    pub who: String,
    pub title: String,
    pub state: String,
    pub visibility: String,
    pub body: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "kb_history.html")]
struct HistoryPage {
    layout: Layout,
    id: i64,
    title: String,
    versions: Vec<VersionLine>,
}

pub async fn history(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let a = s.engine.kb_article(Some(&agent.actor), id).await?;
    let names: std::collections::HashMap<i64, String> = s
        .engine
        .agents()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let versions = s
        .engine
        .kb_versions(&agent.actor, id)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, v)| VersionLine {
            current: i == 0,
            when: crate::fmt::datetime(v.created_at),
            who: v
                .author_id
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_else(|| "someone".into()),
            id: v.id,
            title: v.title,
            state: v.state,
            visibility: v.visibility,
            body: v.body_md,
        })
        .collect();
    Ok(render(&HistoryPage {
        layout: Layout::new(&agent, &s.brand, "kb"),
        id,
        title: a.title,
        versions,
    }))
}

pub async fn restore(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let version = form.required_id("version_id")?;
    s.engine
        .restore_kb_version(&agent.actor, id, version)
        .await?;
    Ok(Redirect::to(&format!("/kb/{id}")).into_response())
}

pub async fn reviewed(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine.kb_mark_reviewed(&agent.actor, id).await?;
    Ok(Redirect::to(&format!("/kb/{id}")).into_response())
}
