//! The portal's optional password: signing in with it (limited per client address and per
//! address, the form guarded by a double-submit cookie) and setting or removing it in the
//! profile.

use super::super::form::FormData;
use super::form_error;
use super::signin::{link_form_ok, sign_in_page};
use crate::AppState;
use crate::authz::{Customer, portal_cookie};
use crate::error::PageError;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

pub async fn sign_in(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let email = form.get("email").trim().to_lowercase();
    let next = form.get("next");
    let page = |error: &str, status| sign_in_page(&s, next, &email, error, status);
    if !link_form_ok(&headers, &form) {
        return Ok(page(
            "The sign-in form expired. Please try again.",
            StatusCode::FORBIDDEN,
        ));
    }
    let by_ip = format!("portal-pw-ip:{}", addr.ip());
    let by_email = format!("portal-pw:{email}");
    if !s.sign_in_limiter.allowed(&by_ip) || !s.sign_in_limiter.allowed(&by_email) {
        return Ok(page(
            "Too many failed attempts. Wait 15 minutes, or sign in with an emailed link.",
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    match s
        .engine
        .portal_password_sign_in(&email, form.get("password"))
        .await?
    {
        Some(secret) => {
            s.sign_in_limiter.reset(&by_email);
            let cookie = portal_cookie(
                &secret,
                s.secure_cookies,
                steward_engine::portal::SESSION_TTL_MS / 1000,
            );
            let to =
                steward_engine::portal::safe_next(Some(next)).unwrap_or_else(|| "/portal".into());
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response())
        }
        None => {
            s.sign_in_limiter.fail(&by_ip);
            s.sign_in_limiter.fail(&by_email);
            Ok(page(
                "That address and password do not match. You can always sign in with an emailed link.",
                StatusCode::UNAUTHORIZED,
            ))
        }
    }
}

/// Sets, changes (`action=set`) or removes (`action=remove`) the password.
pub async fn save(
    State(s): State<AppState>,
    customer: Customer,
    form: FormData,
) -> Result<Response, PageError> {
    customer.check_csrf(form.get("_csrf"))?;
    let done = if form.get("action") == "remove" {
        s.engine.portal_remove_password(&customer.customer).await
    } else {
        s.engine
            .portal_set_password(&customer.customer, &customer.session, form.get("password"))
            .await
    };
    match done {
        Ok(()) => Ok(Redirect::to("/portal/profile?saved=password").into_response()),
        Err(e) => {
            let error = form_error(e)?;
            let mut res = super::profile::profile_page(&s, &customer, "", &error).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}
