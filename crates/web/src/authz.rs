//! The one place requests are tied to a person and their rights. API requests carry a bearer
//! token; workspace requests a session cookie plus a CSRF token on every form. What an actor
//! may do is the domain policy's answer (`steward_domain::policy`); handlers ask through here.

use crate::AppState;
use crate::error::{PageError, Problem};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::Actor;

pub const SESSION_COOKIE: &str = "steward_session";

/// The agent behind an API request (`Authorization: Bearer <token>`).
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Problem::unauthorized("send Authorization: Bearer <token>; create a token with `steward token create`"))?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be Bearer <token>")
            })?;
        match state.engine.token_actor(token).await? {
            Some(actor) => Ok(ApiActor(actor)),
            None => Err(Problem::unauthorized(
                "the token is not valid, or its user is deactivated",
            )),
        }
    }
}

/// The signed-in agent behind a workspace request, with the session's CSRF token.
pub struct Agent {
    pub actor: Actor,
    pub csrf: String,
    pub session: String,
}

/// Not signed in: go to the sign-in page and come back after.
pub struct SignInFirst(String);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let next = urlencode(&self.0);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of cookie `name`, if sent.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

/// The value of cookie `name` in `headers`, if sent.
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for Agent {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/inbox".to_string(), |p| p.to_string());
        let Some(token) = cookie(parts, SESSION_COOKIE) else {
            return Err(SignInFirst(back).into_response());
        };
        match state.engine.session(&token).await {
            Ok(Some((actor, csrf))) => Ok(Agent {
                actor,
                csrf,
                session: token,
            }),
            Ok(None) => Err(SignInFirst(back).into_response()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

impl Agent {
    /// Every form post carries the session's CSRF token; a mismatch changes nothing.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        check_csrf(&self.csrf, sent)
    }

    pub fn require_admin(&self) -> Result<(), PageError> {
        Ok(self.actor.may_administer()?)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session cookie: HttpOnly, SameSite=Lax (top-level links from mail still sign in;
/// cross-site form posts do not carry it), Secure behind HTTPS.
pub fn session_cookie(token: &str, secure: bool, max_age_s: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub const PORTAL_COOKIE: &str = "steward_portal";

/// The signed-in customer behind a portal request, with the session's CSRF token. A portal
/// session is never an agent's: it only ever names one customer, and every portal call in the
/// engine takes that customer and shows only their own data.
pub struct Customer {
    pub customer: steward_engine::portal::PortalCustomer,
    pub csrf: String,
    pub session: String,
}

impl FromRequestParts<AppState> for Customer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/portal".to_string(), |p| p.to_string());
        let to_sign_in =
            || Redirect::to(&format!("/portal/sign-in?next={}", urlencode(&back))).into_response();
        let Some(token) = cookie(parts, PORTAL_COOKIE) else {
            return Err(to_sign_in());
        };
        match state.engine.portal_session(&token).await {
            Ok(Some((customer, csrf))) => Ok(Customer {
                customer,
                csrf,
                session: token,
            }),
            Ok(None) => Err(to_sign_in()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// The agent signed in to the workspace, if any: for public pages that show agents more.
pub async fn signed_in_agent(headers: &axum::http::HeaderMap, state: &AppState) -> Option<Actor> {
    let token = cookie_in(headers, SESSION_COOKIE)?;
    state
        .engine
        .session(&token)
        .await
        .ok()
        .flatten()
        .map(|(actor, _)| actor)
}

/// The customer signed in to the portal, if any: for public pages (the feedback form) that
/// know the customer when there is one.
pub async fn signed_in_customer(
    headers: &axum::http::HeaderMap,
    state: &AppState,
) -> Option<Customer> {
    let token = cookie_in(headers, PORTAL_COOKIE)?;
    let (customer, csrf) = state.engine.portal_session(&token).await.ok().flatten()?;
    Some(Customer {
        customer,
        csrf,
        session: token,
    })
}

impl Customer {
    /// Every portal form carries the session's CSRF token; a mismatch changes nothing.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        check_csrf(&self.csrf, sent)
    }
}

fn check_csrf(expected: &str, sent: &str) -> Result<(), PageError> {
    if !sent.is_empty() && constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(PageError(Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "This form has expired",
            "the page was open too long or came from elsewhere; reload it and try again",
        )))
    }
}

/// A form that has no session yet (signing in) carries a random token that must also come
/// back as cookie `name` (double submit): another site can make a browser post the form but
/// cannot read or set the cookie. This is the cookie, for the form's `path`.
pub fn form_cookie(name: &str, path: &str, token: &str, secure: bool) -> String {
    format!(
        "{name}={token}; Path={path}; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Whether the form's token `sent` matches the cookie `name` its page set.
pub fn form_cookie_matches(headers: &axum::http::HeaderMap, name: &str, sent: &str) -> bool {
    let kept = cookie_in(headers, name).unwrap_or_default();
    !kept.is_empty() && constant_time_eq(kept.as_bytes(), sent.as_bytes())
}

/// The portal session cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS.
pub fn portal_cookie(token: &str, secure: bool, max_age_s: i64) -> String {
    format!(
        "{PORTAL_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    )
}
