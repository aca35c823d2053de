//! The customer portal: a customer signs in with an emailed one-time link, follows their own
//! requests from every channel, replies with files, opens new ones through the admins' web
//! forms (with article suggestions while they type) and edits their profile. Who is signed in
//! comes from `authz::Customer`; the engine's portal calls take that customer and never show
//! anyone else's data.

mod new_request;
mod password;
mod profile;
mod requests;
mod signin;

use crate::AppState;
use crate::error::{PageError, Problem};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use steward_domain::Status;
use steward_engine::EngineError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(requests::list))
        .route("/portal/sign-in", get(signin::page).post(signin::send_link))
        .route(
            "/portal/link/{token}",
            get(signin::link_page).post(signin::use_link),
        )
        .route("/portal/sign-out", post(signin::sign_out))
        .route("/portal/requests/{number}", get(requests::view))
        .route("/portal/requests/{number}/reply", post(requests::reply))
        .route("/portal/requests/{number}/rating", post(requests::rate))
        .route("/portal/requests/{number}/solved", post(requests::solve))
        .route("/portal/files/{id}", get(requests::file))
        .route("/portal/new", get(new_request::forms))
        .route(
            "/portal/new/{form}",
            get(new_request::page).post(new_request::submit),
        )
        .route("/portal/deflect", post(new_request::deflect))
        .route("/portal/profile", get(profile::page).post(profile::rename))
        .route("/portal/profile/email", post(profile::change_email))
        .route("/portal/profile/password", post(password::save))
        .route("/portal/sign-in/password", post(password::sign_in))
        .route(
            "/portal/email/{token}",
            get(profile::confirm_page).post(profile::confirm),
        )
}

/// A status in the customer's words, a class for its colour, and what it means for them.
pub(crate) fn status_words(s: Status) -> (&'static str, &'static str, &'static str) {
    match s {
        Status::New | Status::Open | Status::OnHold => (
            "Open",
            "open",
            "we are working on it and will reply here and by email",
        ),
        Status::Pending => (
            "Awaiting your reply",
            "pending",
            "we asked you something; reply below",
        ),
        Status::Solved => (
            "Solved",
            "solved",
            "reply if it is not solved and we will pick it up again",
        ),
        Status::Closed => ("Closed", "closed", "writing again opens a follow-up"),
    }
}

/// An error the customer can fix (a bad value, a conflict) as a sentence for the form; any
/// other error becomes an error page.
pub(crate) fn form_error(e: EngineError) -> Result<String, PageError> {
    let p = Problem::from(e);
    if p.status == StatusCode::UNPROCESSABLE_ENTITY || p.status == StatusCode::CONFLICT {
        Ok(p.detail)
    } else {
        Err(PageError(p))
    }
}
