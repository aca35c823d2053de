//! The customer's NPS page, public: the token in the mail's link is the credential. A link's
//! `?score=N` preselects that score; nothing is recorded until the customer sends the form, so
//! mail scanners that open links answer nothing. The customer may say why, change the answer
//! while it is open, and opt out of further questions.

use super::form::FormData;
use super::render;
use crate::AppState;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use steward_engine::nps::NpsPage;

pub struct ScoreChoice {
    pub value: i64,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "nps.html")]
struct Page {
    brand: String,
    token: String,
    question: String,
    choices: Vec<ScoreChoice>,
    reason: String,
    /// "thanks" after an answer, "opted_out" after opting out, else "".
    said: &'static str,
    answered: Option<i64>,
    open: bool,
    opted_out: bool,
}

#[derive(Deserialize)]
pub struct Preselect {
    score: Option<i64>,
}

fn show(s: &AppState, token: &str, p: NpsPage, pick: Option<i64>, said: &'static str) -> Response {
    let current = pick.or(p.response.score);
    render(&Page {
        brand: s.brand.clone(),
        token: token.to_string(),
        question: p.question,
        choices: (0..=10)
            .map(|value| ScoreChoice {
                value,
                checked: current == Some(value),
            })
            .collect(),
        reason: p.response.reason.unwrap_or_default(),
        said,
        answered: p.response.score,
        open: p.open,
        opted_out: p.opted_out,
    })
}

pub async fn page(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<Preselect>,
) -> Result<Response, PageError> {
    let p = s.engine.nps_by_token(&token).await?;
    Ok(show(&s, &token, p, q.score, ""))
}

pub async fn answer(
    State(s): State<AppState>,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let score = form
        .get("score")
        .parse::<i64>()
        .map_err(|_| PageError(Problem::invalid("score", "choose a number from 0 to 10")))?;
    let p = s
        .engine
        .answer_nps(&token, score, form.opt("reason"))
        .await?;
    Ok(show(&s, &token, p, None, "thanks"))
}

pub async fn opt_out(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let p = s.engine.opt_out_of_nps(&token).await?;
    Ok(show(&s, &token, p, None, "opted_out"))
}
