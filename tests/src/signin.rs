//! Signing in to the workspace as a browser would (cookies, the sign-in form's CSRF token) and
//! reading pages and their CSRF token, for every test that drives the workspace.

use crate::helpers::*;
use reqwest::{Client, StatusCode};

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Opens the sign-in page (which sets its CSRF cookie) and returns the form's token.
pub async fn login_csrf_at(client: &Client, base: &str) -> String {
    let html = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .unwrap_or_default();
    html.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// Posts the sign-in form as a browser would.
pub async fn post_login(
    client: &Client,
    app: &TestApp,
    email: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    post_login_at(client, &app.base, email, password, next).await
}

/// `post_login` for a server at `base`.
pub async fn post_login_at(
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    let csrf = login_csrf_at(client, base).await;
    client
        .post(format!("{base}/login"))
        .form(&[
            ("email", email),
            ("password", password),
            ("next", next),
            ("_csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("sent")
}

pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Client {
    sign_in_at(&app.base, email, password).await
}

/// `sign_in` for a server at `base`.
pub async fn sign_in_at(base: &str, email: &str, password: &str) -> Client {
    let client = browser();
    let res = post_login_at(&client, base, email, password, "/inbox").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in works");
    client
}

pub async fn page(client: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("sent");
    (res.status(), res.text().await.unwrap_or_default())
}

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string()
}
