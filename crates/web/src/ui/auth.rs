//! Signing in and out of the workspace. Failed attempts are limited per address and per
//! email; a success sets an HttpOnly, SameSite session cookie.

use super::form::FormData;
use super::render;
use crate::AppState;
use crate::authz::{Agent, SESSION_COOKIE, form_cookie, form_cookie_matches, session_cookie};
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
    csrf: String,
}

/// The sign-in form has no session yet, so its CSRF token is a cookie the form must repeat
/// (double submit): another site can make a browser post the form but cannot read the cookie.
const LOGIN_CSRF_COOKIE: &str = "steward_login_csrf";

fn login_page_with(
    s: &AppState,
    next: String,
    error: &str,
    email: String,
    status: StatusCode,
) -> Response {
    let csrf = steward_engine::accounts::new_secret("");
    let mut res = render(&LoginPage {
        brand: s.brand.clone(),
        next,
        error: error.to_string(),
        email,
        csrf: csrf.clone(),
    });
    *res.status_mut() = status;
    let cookie = form_cookie(LOGIN_CSRF_COOKIE, "/login", &csrf, s.secure_cookies);
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only same-site paths, so a sign-in link cannot send people elsewhere: a single leading
/// slash and nothing a browser would strip or reinterpret (spaces, control characters,
/// backslashes).
fn safe_next(next: &str) -> String {
    let plain = next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next.to_string()
    } else {
        "/inbox".to_string()
    }
}

pub async fn login_page(State(s): State<AppState>, Query(q): Query<Next>) -> Response {
    login_page_with(
        &s,
        safe_next(q.next.as_deref().unwrap_or("/inbox")),
        "",
        String::new(),
        StatusCode::OK,
    )
}

pub async fn sign_in(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let email = form.get("email").trim().to_lowercase();
    let next = safe_next(form.get("next"));
    let by_ip = format!("ip:{}", addr.ip());
    let by_email = format!("email:{email}");
    let page = |error: &str, status: StatusCode| {
        login_page_with(&s, next.clone(), error, email.clone(), status)
    };
    if !form_cookie_matches(&headers, LOGIN_CSRF_COOKIE, form.get("_csrf")) {
        return Ok(page(
            "The sign-in form expired. Please try again.",
            StatusCode::FORBIDDEN,
        ));
    }
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
    // Signing out ends the shift: routing gives no more work, and open chats go back to the
    // queue where the team says so.
    s.engine
        .set_availability(&agent.actor, steward_domain::routing::Availability::Offline)
        .await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}
