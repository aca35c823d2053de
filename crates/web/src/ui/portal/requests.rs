//! A customer's requests: the list, one request with its public messages and files, a reply
//! with files, and downloading a file. Everything is read through the engine's portal calls,
//! which answer "not found" for anyone else's request.

use super::super::conversation::read_multipart;
use super::super::form::FormData;
use super::super::render;
use super::{form_error, status_words};
use crate::AppState;
use crate::authz::Customer;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::{AuthorKind, Status};

pub struct RequestRow {
    pub number: i64,
    pub subject: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub when: String,
}

#[derive(Template)]
#[template(path = "portal_requests.html")]
struct ListPage {
    brand: crate::ui::brand::Brand,
    title: String,
    signed_in: bool,
    csrf: String,
    notice: String,
    requests: Vec<RequestRow>,
    /// The next page's address, if there is one.
    older: Option<String>,
}

pub struct MessageView {
    pub author: String,
    pub mine: bool,
    pub when: String,
    pub text: String,
    pub html: Option<String>,
    /// (attachment id, file name)
    pub files: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "portal_request.html")]
struct RequestPage {
    brand: crate::ui::brand::Brand,
    title: String,
    signed_in: bool,
    csrf: String,
    number: i64,
    subject: String,
    status: &'static str,
    status_class: &'static str,
    status_hint: &'static str,
    closed: bool,
    /// Whether the customer may mark it solved (it is still open work).
    solvable: bool,
    messages: Vec<MessageView>,
    error: String,
    draft: String,
    survey: Option<SurveyView>,
}

/// The request's satisfaction survey, once it was sent.
pub struct SurveyView {
    pub question: String,
    pub choices: Vec<(i64, &'static str, bool)>,
    pub comment: String,
    pub answered: bool,
    /// Whether the answer may still be given or changed.
    pub open: bool,
    pub thanked: bool,
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    sent: Option<i64>,
    solved: Option<String>,
    /// Where the page starts: `{last activity}-{id}` of the previous page's last request.
    after: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    customer: Customer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let after = q.after.as_deref().and_then(|a| {
        let (k, id) = a.split_once('-')?;
        Some((k.parse().ok()?, id.parse().ok()?))
    });
    let (page, next) = s.engine.portal_requests(&customer.customer, after).await?;
    let requests = page
        .into_iter()
        .map(|c| {
            let (status, status_class, _) = status_words(c.status);
            RequestRow {
                number: c.number,
                subject: c.subject,
                status,
                status_class,
                when: crate::fmt::datetime(c.last_activity_at),
            }
        })
        .collect();
    let notice = match (q.sent, q.solved) {
        (Some(n), _) => format!("Thank you. We received request #{n} and will reply by email."),
        (_, Some(_)) => "Glad the article helped. No request was opened.".to_string(),
        _ => String::new(),
    };
    Ok(render(&ListPage {
        title: format!("My requests · {}", s.public_brand().name),
        brand: s.public_brand(),
        signed_in: true,
        csrf: customer.csrf,
        notice,
        requests,
        older: next.map(|(k, id)| format!("/portal?after={k}-{id}")),
    }))
}

async fn request_page(
    s: &AppState,
    customer: &Customer,
    number: i64,
    error: String,
    draft: String,
    thanked: bool,
) -> Result<Response, PageError> {
    let v = s.engine.portal_request(&customer.customer, number).await?;
    let survey = v.survey.map(|p| SurveyView {
        question: p.question,
        choices: p
            .scale
            .ratings()
            .iter()
            .rev()
            .map(|(value, label)| (*value, *label, p.survey.rating == Some(*value)))
            .collect(),
        comment: p.survey.comment.unwrap_or_default(),
        answered: p.survey.rating.is_some(),
        open: p.open,
        thanked,
    });
    let c = v.conversation;
    let messages = v
        .messages
        .into_iter()
        .map(|m| {
            let mine = m.author_kind == AuthorKind::Customer
                && m.author_customer_id == Some(customer.customer.customer_id);
            // The customer always knows whether a bot or a person wrote.
            let author = match m.author_kind {
                AuthorKind::Customer if mine => "You".to_string(),
                AuthorKind::Bot => "Answer bot (automated)".to_string(),
                AuthorKind::System => "Automatic message".to_string(),
                _ => m.author_name.clone().unwrap_or_else(|| "Support".into()),
            };
            MessageView {
                author,
                mine,
                when: crate::fmt::datetime(m.created_at),
                files: v
                    .attachments
                    .iter()
                    .filter(|a| a.message_id == m.id)
                    .map(|a| (a.id, a.filename.clone()))
                    .collect(),
                text: m.body_text,
                html: m.body_html,
            }
        })
        .collect();
    let (status, status_class, status_hint) = status_words(c.status);
    Ok(render(&RequestPage {
        title: format!("#{} {} · {}", c.number, c.subject, s.public_brand().name),
        brand: s.public_brand(),
        signed_in: true,
        csrf: customer.csrf.clone(),
        number: c.number,
        subject: c.subject,
        status,
        status_class,
        status_hint,
        closed: c.status == Status::Closed,
        solvable: !matches!(c.status, Status::Solved | Status::Closed) && c.merged_into.is_none(),
        messages,
        error,
        draft,
        survey,
    }))
}

pub async fn view(
    State(s): State<AppState>,
    customer: Customer,
    Path(number): Path<i64>,
) -> Result<Response, PageError> {
    let target = s
        .engine
        .portal_request_target(&customer.customer, number)
        .await?;
    if target != number {
        return Ok(Redirect::to(&format!("/portal/requests/{target}")).into_response());
    }
    request_page(&s, &customer, number, String::new(), String::new(), false).await
}

/// "This is solved": the customer closes their own request.
pub async fn solve(
    State(s): State<AppState>,
    customer: Customer,
    Path(number): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    customer.check_csrf(form.get("_csrf"))?;
    let c = s.engine.portal_solve(&customer.customer, number).await?;
    Ok(Redirect::to(&format!("/portal/requests/{}", c.number)).into_response())
}

/// The customer rates the request (the same survey the mail links to).
pub async fn rate(
    State(s): State<AppState>,
    customer: Customer,
    Path(number): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    customer.check_csrf(form.get("_csrf"))?;
    let error = match form.get("rating").parse::<i64>() {
        Err(_) => "Choose one of the answers.".to_string(),
        Ok(rating) => match s
            .engine
            .portal_answer_survey(&customer.customer, number, rating, form.opt("comment"))
            .await
        {
            Ok(_) => {
                return request_page(&s, &customer, number, String::new(), String::new(), true)
                    .await;
            }
            Err(e) => form_error(e)?,
        },
    };
    let mut res = request_page(&s, &customer, number, error, String::new(), false).await?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

pub async fn reply(
    State(s): State<AppState>,
    customer: Customer,
    Path(number): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let (f, files) = read_multipart(mp, s.engine.limits.max_attachment_bytes).await?;
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    customer.check_csrf(get("_csrf"))?;
    match s
        .engine
        .portal_reply(&customer.customer, number, get("body"), files)
        .await
    {
        Ok(landed) => {
            Ok(Redirect::to(&format!("/portal/requests/{}", landed.number)).into_response())
        }
        Err(e) => {
            let error = form_error(e)?;
            let mut res =
                request_page(&s, &customer, number, error, get("body").to_string(), false).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

pub async fn file(
    State(s): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (a, bytes) = s.engine.portal_attachment(&customer.customer, id).await?;
    Ok(super::super::download(&a, bytes))
}
