//! Opening a request in the portal: pick a form (skipped when there is one), fill it in with
//! articles suggested as you type (`/static/suggest.js`, over `/help/suggest`), and either send
//! it or say an article answered the question, which opens nothing and counts a deflection.

use super::super::conversation::read_multipart;
use super::super::form::FormData;
use super::super::render;
use super::form_error;
use crate::AppState;
use crate::authz::Customer;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use steward_engine::forms::WebForm;
use steward_engine::portal::NewRequest;

#[derive(Template)]
#[template(path = "portal_forms.html")]
struct FormsPage {
    brand: crate::ui::brand::Brand,
    title: String,
    signed_in: bool,
    csrf: String,
    forms: Vec<WebForm>,
}

pub struct FieldView {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub options: Vec<String>,
    pub required: bool,
    pub value: String,
}

#[derive(Template)]
#[template(path = "portal_form.html")]
struct FormPage {
    brand: crate::ui::brand::Brand,
    title: String,
    signed_in: bool,
    csrf: String,
    form: WebForm,
    fields: Vec<FieldView>,
    subject: String,
    body: String,
    error: String,
}

pub async fn forms(State(s): State<AppState>, customer: Customer) -> Result<Response, PageError> {
    let forms = s.engine.web_forms(true).await?;
    if let [only] = forms.as_slice() {
        return Ok(Redirect::to(&format!("/portal/new/{}", only.id)).into_response());
    }
    Ok(render(&FormsPage {
        title: format!("New request · {}", s.public_brand().name),
        brand: s.public_brand(),
        signed_in: true,
        csrf: customer.csrf,
        forms,
    }))
}

fn form_page(
    s: &AppState,
    customer: &Customer,
    form: WebForm,
    sent: &HashMap<String, String>,
    error: String,
) -> Response {
    let get = |k: &str| sent.get(k).cloned().unwrap_or_default();
    let fields = form
        .fields
        .iter()
        .map(|f| FieldView {
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind.clone(),
            options: f.options.clone(),
            required: f.required,
            value: get(&format!("field.{}", f.key)),
        })
        .collect();
    render(&FormPage {
        title: format!("{} · {}", form.name, s.public_brand().name),
        brand: s.public_brand(),
        signed_in: true,
        csrf: customer.csrf.clone(),
        subject: get("subject"),
        body: get("body"),
        fields,
        form,
        error,
    })
}

pub async fn page(
    State(s): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let form = s.engine.web_form(id, true).await?;
    Ok(form_page(
        &s,
        &customer,
        form,
        &HashMap::new(),
        String::new(),
    ))
}

pub async fn submit(
    State(s): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let (f, files) = read_multipart(mp, s.engine.limits.max_attachment_bytes).await?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    customer.check_csrf(&get("_csrf"))?;
    let answers = f
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("field.")?.to_string(), v.clone())))
        .collect();
    let request = NewRequest {
        form_id: id,
        subject: get("subject"),
        body: get("body"),
        answers,
        attachments: files,
    };
    match s.engine.portal_submit(&customer.customer, request).await {
        Ok(c) => Ok(Redirect::to(&format!("/portal?sent={}", c.number)).into_response()),
        Err(e) => {
            let error = form_error(e)?;
            let form = s.engine.web_form(id, true).await?;
            let mut res = form_page(&s, &customer, form, &f, error);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

/// "This answers my question": counts a deflection for the customer; nothing is opened.
pub async fn deflect(
    State(s): State<AppState>,
    customer: Customer,
    form: FormData,
) -> Result<Response, PageError> {
    customer.check_csrf(form.get("_csrf"))?;
    let article = form.required_id("article_id")?;
    s.engine
        .record_deflection(
            article,
            "portal",
            Some(customer.customer.customer_id),
            form.get("query"),
        )
        .await?;
    Ok(Redirect::to(&format!("/portal?solved={article}")).into_response())
}
