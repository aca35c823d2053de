//! The search page: conversations (ranked, with a snippet) and customers.

use super::render;
use super::view::{Layout, Row};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    status: Option<String>,
}

pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    rows: Vec<Row>,
    people: Vec<Person>,
    searched: bool,
    statuses: Vec<super::view::Choice>,
}

pub async fn page(
    State(s): State<AppState>,
    agent: Agent,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let text = q.q.unwrap_or_default();
    let status_sel = q.status.unwrap_or_default();
    let (rows, people) = if text.trim().is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let status = status_sel.as_str();
        let status = (!status.is_empty())
            .then(|| steward_domain::Status::parse(status))
            .transpose()?;
        let (hits, people) = s
            .engine
            .search(&agent.actor, &text, status.map(|s| s.as_str()), 50)
            .await?;
        let now = steward_store::now_ms();
        let rows = hits
            .into_iter()
            .map(|h| {
                let mut r = Row::from(&h.conversation, Vec::new(), now);
                r.snippet = h.snippet.unwrap_or_default();
                r
            })
            .collect();
        (
            rows,
            people
                .into_iter()
                .map(|p| Person {
                    id: p.id,
                    name: p.name,
                    email: p.email.unwrap_or_default(),
                })
                .collect(),
        )
    };
    Ok(render(&SearchPage {
        statuses: super::view::word_choices(
            &steward_domain::Status::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            &status_sel,
            "any status",
        ),
        layout: Layout::new(&agent, &s.brand, "search"),
        searched: !text.trim().is_empty(),
        q: text,
        rows,
        people,
    }))
}
