//! Signing in and out of the workspace. Failed attempts are limited per address and per
//! email; a success sets an HttpOnly, SameSite session cookie.

use super::form::FormData;
use super::render;
use crate::AppState;
use crate::authz::{Agent, SESSION_COOKIE, cookie, session_cookie};
use crate::error::PageError;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    brand: String,
    next: String,
    error: String,
    email: String,
}

#[derive(serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only same-site paths, so a sign-in link cannot send people elsewhere.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/inbox".to_string()
    }
}

pub async fn login_page(State(s): State<AppState>, Query(q): Query<Next>) -> Response {
    render(&LoginPage {
        brand: s.brand.clone(),
        next: safe_next(q.next.as_deref().unwrap_or("/inbox")),
        error: String::new(),
        email: String::new(),
    })
}

pub async fn sign_in(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    form: FormData,
) -> Result<Response, PageError> {
    let email = form.get("email").trim().to_lowercase();
    let next = safe_next(form.get("next"));
    let by_ip = format!("ip:{}", addr.ip());
    let by_email = format!("email:{email}");
    let page = |error: &str, status: StatusCode| {
        let mut res = render(&LoginPage {
            brand: s.brand.clone(),
            next: next.clone(),
            error: error.to_string(),
            email: email.clone(),
        });
        *res.status_mut() = status;
        res
    };
    if !s.sign_in_limiter.allowed(&by_ip) || !s.sign_in_limiter.allowed(&by_email) {
        return Ok(page(
            "Too many failed attempts. Wait 15 minutes and try again.",
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    match s.engine.sign_in(&email, form.get("password")).await? {
        Some((_, session)) => {
            s.sign_in_limiter.reset(&by_email);
            let cookie = session_cookie(
                &session.token,
                s.secure_cookies,
                steward_engine::accounts::SESSION_MS / 1000,
            );
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        None => {
            s.sign_in_limiter.fail(&by_ip);
            s.sign_in_limiter.fail(&by_email);
            Ok(page(
                "That email and password do not match an active agent.",
                StatusCode::UNAUTHORIZED,
            ))
        }
    }
}

pub async fn sign_out(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine.sign_out(&agent.session).await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

/// Whether the request carries any session cookie (used to skip work for anonymous clients).
pub fn has_session(parts: &axum::http::request::Parts) -> bool {
    cookie(parts, SESSION_COOKIE).is_some()
}
