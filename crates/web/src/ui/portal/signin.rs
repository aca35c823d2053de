//! Signing in to the portal with an emailed one-time link, and out. Opening the link shows a
//! button that uses it (a POST), so a mail scanner that follows links uses nothing up; that
//! form repeats a cookie (double submit), so another site cannot sign someone in as itself.

use super::super::form::FormData;
use super::super::render;
use super::form_error;
use crate::AppState;
use crate::authz::{Customer, PORTAL_COOKIE, form_cookie, form_cookie_matches, portal_cookie};
use crate::error::PageError;
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "portal_sign_in.html")]
struct SignInPage {
    brand: crate::ui::brand::Brand,
    title: String,
    signed_in: bool,
    csrf: String,
    next: String,
    email: String,
    error: String,
    /// The password form's double-submit token.
    form_csrf: String,
}

#[derive(Template)]
#[template(path = "portal_notice.html")]
pub(super) struct Notice {
    pub brand: crate::ui::brand::Brand,
    pub title: String,
    pub signed_in: bool,
    pub csrf: String,
    pub heading: String,
    pub text: String,
    pub error: String,
    /// A button posting to this path, when not empty.
    pub action: String,
    pub button: String,
    pub form_csrf: String,
    pub back: String,
    pub back_label: String,
}

impl Notice {
    pub fn new(s: &AppState, heading: &str, text: &str) -> Notice {
        Notice {
            brand: s.public_brand(),
            title: format!("{heading} · {}", s.public_brand().name),
            signed_in: false,
            csrf: String::new(),
            heading: heading.to_string(),
            text: text.to_string(),
            error: String::new(),
            action: String::new(),
            button: String::new(),
            form_csrf: String::new(),
            back: String::new(),
            back_label: String::new(),
        }
    }

    pub fn back(mut self, path: &str, label: &str) -> Notice {
        self.back = path.to_string();
        self.back_label = label.to_string();
        self
    }
}

/// The cookie that the link page's form must repeat.
const LINK_CSRF_COOKIE: &str = "steward_portal_link";

#[derive(serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub(super) fn sign_in_page(
    s: &AppState,
    next: &str,
    email: &str,
    error: &str,
    status: StatusCode,
) -> Response {
    let csrf = steward_engine::accounts::new_secret("");
    let mut res = render(&SignInPage {
        brand: s.public_brand(),
        title: format!("Sign in · {}", s.public_brand().name),
        signed_in: false,
        csrf: String::new(),
        next: next.to_string(),
        email: email.to_string(),
        error: error.to_string(),
        form_csrf: csrf.clone(),
    });
    *res.status_mut() = status;
    with_form_cookie(s, res, &csrf)
}

/// Sets the cookie a form without a session must repeat (double submit).
fn with_form_cookie(s: &AppState, mut res: Response, csrf: &str) -> Response {
    let cookie = form_cookie(LINK_CSRF_COOKIE, "/portal", csrf, s.secure_cookies);
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn page(State(s): State<AppState>, Query(q): Query<Next>) -> Response {
    sign_in_page(&s, q.next.as_deref().unwrap_or(""), "", "", StatusCode::OK)
}

/// Sends a link; the answer reads the same whether the address is known or not.
pub async fn send_link(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    form: FormData,
) -> Result<Response, PageError> {
    let email = form.get("email").trim().to_lowercase();
    let by_ip = format!("portal-ip:{}", addr.ip());
    if !s.sign_in_limiter.allowed(&by_ip) {
        return Ok(sign_in_page(
            &s,
            form.get("next"),
            &email,
            "Too many links were asked for from here. Wait 15 minutes and try again.",
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    s.sign_in_limiter.fail(&by_ip);
    let link = match s.engine.portal_send_sign_in(&email, form.opt("next")).await {
        Ok(link) => link,
        Err(e) => {
            let error = form_error(e)?;
            return Ok(sign_in_page(
                &s,
                form.get("next"),
                &email,
                &error,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let sent = format!(
        "If {email} can receive mail, a sign-in link is on its way. It works once, for 30 minutes."
    );
    let notice = Notice::new(&s, "Check your email", &sent);
    // In the demo no mail leaves the machine, so the page offers the link it mailed.
    Ok(render(&match link.filter(|_| s.demo_site) {
        Some(path) => notice.back(&path, "Demo: open the link from the mail"),
        None => notice.back("/portal/sign-in", "Use another address"),
    }))
}

/// What an unusable link shows: why, and how to get a new one.
pub(super) fn bad_link(
    s: &AppState,
    e: steward_engine::EngineError,
) -> Result<Response, PageError> {
    let reason = match form_error(e) {
        Ok(r) => r,
        Err(p) if p.0.status == StatusCode::NOT_FOUND => {
            "this link is not valid; it may have been copied only in part".to_string()
        }
        Err(p) => return Err(p),
    };
    let mut res = render(
        &Notice::new(
            s,
            "This link cannot be used",
            &format!("{}.", capitalise(&reason)),
        )
        .back("/portal/sign-in", "Send me a new link"),
    );
    *res.status_mut() = StatusCode::GONE;
    Ok(res)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A page with one button that uses link `action`, guarded by a double-submit cookie.
pub(super) fn confirm_link(
    s: &AppState,
    heading: &str,
    text: &str,
    action: &str,
    button: &str,
) -> Response {
    let csrf = steward_engine::accounts::new_secret("");
    let mut notice = Notice::new(s, heading, text);
    notice.action = action.to_string();
    notice.button = button.to_string();
    notice.form_csrf = csrf.clone();
    with_form_cookie(s, render(&notice), &csrf)
}

/// Whether the form repeated the link page's cookie.
pub(super) fn link_form_ok(headers: &HeaderMap, form: &FormData) -> bool {
    form_cookie_matches(headers, LINK_CSRF_COOKIE, form.get("_csrf"))
}

/// What the page of one kind of emailed link says, and where its button posts.
pub(super) struct LinkPage {
    pub purpose: &'static str,
    pub heading: &'static str,
    pub says: fn(&str) -> String,
    /// The link's path without the token.
    pub path: &'static str,
    pub button: &'static str,
}

/// The page an emailed link opens: a button that uses it, or why it cannot be used (also
/// when it is a link of another kind).
pub(super) async fn show_link(
    s: &AppState,
    token: &str,
    page: &LinkPage,
) -> Result<Response, PageError> {
    match s.engine.portal_link(token).await {
        Ok(info) if info.purpose == page.purpose => Ok(confirm_link(
            s,
            page.heading,
            &(page.says)(&info.email),
            &format!("{}/{token}", page.path),
            page.button,
        )),
        Ok(_) => bad_link(s, steward_engine::EngineError::not_found("link")),
        Err(e) => bad_link(s, e),
    }
}

const SIGN_IN_LINK: LinkPage = LinkPage {
    purpose: steward_store::portal::SIGN_IN,
    heading: "Sign in",
    says: |email| format!("Sign in as {email}."),
    path: "/portal/link",
    button: "Sign in",
};

pub async fn link_page(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    show_link(&s, &token, &SIGN_IN_LINK).await
}

pub async fn use_link(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    if !link_form_ok(&headers, &form) {
        return link_page(State(s), Path(token)).await;
    }
    match s.engine.portal_sign_in(&token).await {
        Ok((secret, next)) => {
            let cookie = portal_cookie(
                &secret,
                s.secure_cookies,
                steward_engine::portal::SESSION_TTL_MS / 1000,
            );
            let to = next.unwrap_or_else(|| "/portal".into());
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response())
        }
        Err(e) => bad_link(&s, e),
    }
}

pub async fn sign_out(
    State(s): State<AppState>,
    customer: Customer,
    form: FormData,
) -> Result<Response, PageError> {
    customer.check_csrf(form.get("_csrf"))?;
    s.engine.portal_sign_out(&customer.session).await?;
    let clear = format!("{PORTAL_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/help")).into_response())
}
