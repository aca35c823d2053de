//! The customer's survey page, public: the token in the mail's link is the credential (the
//! engine finds the survey by its digest). A link's `?rating=N` preselects that answer; the
//! answer is recorded only when the customer sends the form, so mail scanners that open links
//! rate nothing. The customer may add a comment, change the answer while it is open, and opt
//! out of further surveys.

use super::form::FormData;
use super::render;
use crate::AppState;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use steward_engine::csat::SurveyPage;

pub struct RatingChoice {
    pub value: i64,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct Page {
    brand: String,
    token: String,
    question: String,
    number: i64,
    subject: String,
    choices: Vec<RatingChoice>,
    comment: String,
    /// "thanks" after an answer, "opted_out" after opting out, else "".
    said: &'static str,
    answered: bool,
    open: bool,
    opted_out: bool,
}

#[derive(Deserialize)]
pub struct Preselect {
    rating: Option<i64>,
}

fn show(
    s: &AppState,
    token: &str,
    p: SurveyPage,
    pick: Option<i64>,
    said: &'static str,
) -> Response {
    let current = pick.or(p.survey.rating);
    render(&Page {
        brand: s.brand.clone(),
        token: token.to_string(),
        question: p.question,
        number: p.number,
        subject: p.subject,
        choices: p
            .scale
            .ratings()
            .iter()
            .rev()
            .map(|(value, label)| RatingChoice {
                value: *value,
                label,
                checked: current == Some(*value),
            })
            .collect(),
        comment: p.survey.comment.unwrap_or_default(),
        said,
        answered: p.survey.rating.is_some(),
        open: p.open,
        opted_out: p.opted_out,
    })
}

pub async fn page(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<Preselect>,
) -> Result<Response, PageError> {
    let p = s.engine.survey_by_token(&token).await?;
    Ok(show(&s, &token, p, q.rating, ""))
}

pub async fn answer(
    State(s): State<AppState>,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let rating = form
        .get("rating")
        .parse::<i64>()
        .map_err(|_| PageError(Problem::invalid("rating", "choose one of the answers")))?;
    let p = s
        .engine
        .answer_survey(&token, rating, form.opt("comment"))
        .await?;
    Ok(show(&s, &token, p, None, "thanks"))
}

pub async fn opt_out(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let p = s.engine.opt_out_of_surveys(&token).await?;
    Ok(show(&s, &token, p, None, "opted_out"))
}
