//! The customer's profile: their name, and a new email address confirmed by a link sent to it.

use super::super::form::FormData;
use super::super::render;
use super::form_error;
use super::signin::{LinkPage, Notice, bad_link, link_form_ok, show_link};
use crate::AppState;
use crate::authz::Customer;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "portal_profile.html")]
struct ProfilePage {
    brand: crate::ui::brand::Brand,
    title: String,
    signed_in: bool,
    csrf: String,
    name: String,
    email: String,
    notice: String,
    error: String,
    has_password: bool,
}

#[derive(serde::Deserialize)]
pub struct ProfileQuery {
    saved: Option<String>,
}

pub(super) async fn profile_page(
    s: &AppState,
    customer: &Customer,
    notice: &str,
    error: &str,
) -> Result<Response, PageError> {
    Ok(render(&ProfilePage {
        title: format!("Profile · {}", s.public_brand().name),
        brand: s.public_brand(),
        signed_in: true,
        csrf: customer.csrf.clone(),
        name: customer.customer.name.clone(),
        email: customer.customer.email.clone().unwrap_or_default(),
        notice: notice.to_string(),
        error: error.to_string(),
        has_password: s.engine.portal_has_password(&customer.customer).await?,
    }))
}

pub async fn page(
    State(s): State<AppState>,
    customer: Customer,
    Query(q): Query<ProfileQuery>,
) -> Result<Response, PageError> {
    let notice = match q.saved.as_deref() {
        Some("name") => "Your name was saved.",
        Some("email") => "Your new email address is confirmed.",
        Some("password") => "Your password was saved.",
        _ => "",
    };
    profile_page(&s, &customer, notice, "").await
}

pub async fn rename(
    State(s): State<AppState>,
    customer: Customer,
    form: FormData,
) -> Result<Response, PageError> {
    customer.check_csrf(form.get("_csrf"))?;
    match s
        .engine
        .portal_rename(&customer.customer, form.get("name"))
        .await
    {
        Ok(()) => Ok(Redirect::to("/portal/profile?saved=name").into_response()),
        Err(e) => {
            let mut res = profile_page(&s, &customer, "", &form_error(e)?).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

pub async fn change_email(
    State(s): State<AppState>,
    customer: Customer,
    form: FormData,
) -> Result<Response, PageError> {
    customer.check_csrf(form.get("_csrf"))?;
    let email = form.get("email").trim().to_lowercase();
    match s
        .engine
        .portal_change_email(&customer.customer, &email)
        .await
    {
        Ok(link) => {
            let sent = format!("We sent a link to {email}. Open it to start using that address.");
            match link.filter(|_| s.demo_site) {
                Some(path) => Ok(render(
                    &Notice::new(&s, "Check your email", &sent)
                        .back(&path, "Demo: open the link from the mail"),
                )),
                None => profile_page(&s, &customer, &sent, "").await,
            }
        }
        Err(e) => {
            let mut res = profile_page(&s, &customer, "", &form_error(e)?).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

const EMAIL_LINK: LinkPage = LinkPage {
    purpose: steward_store::portal::CONFIRM_EMAIL,
    heading: "Confirm your email address",
    says: |email| format!("Use {email} for your account from now on."),
    path: "/portal/email",
    button: "Confirm",
};

pub async fn confirm_page(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    show_link(&s, &token, &EMAIL_LINK).await
}

pub async fn confirm(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    if !link_form_ok(&headers, &form) {
        return confirm_page(State(s), Path(token)).await;
    }
    match s.engine.portal_confirm_email(&token).await {
        Ok(email) => Ok(render(
            &Notice::new(
                &s,
                "Email address confirmed",
                &format!("We will write to {email} from now on."),
            )
            .back("/portal/profile", "Back to your profile"),
        )),
        Err(e) => bad_link(&s, e),
    }
}
