//! The customer portal: signing in by an emailed one-time link, a customer's own requests
//! with public messages only, replies, and the links' rules (single use, expiry, purpose).
//! `portal_isolation.rs` checks every route against another customer's data.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use crate::signin::browser;
use reqwest::{Client, StatusCode};
use serde_json::json;

/// The path (from `/portal/`) of the newest link mailed to `to` whose path starts with `kind`.
pub async fn mailed_link(relay: &TestRelay, to: &str, kind: &str, nth: usize) -> String {
    for _ in 0..100 {
        let links: Vec<String> = relay
            .received()
            .iter()
            .filter(|m| m.to.iter().any(|a| a.address == to))
            .filter_map(|m| {
                let at = m.text.find(&format!("/portal/{kind}/"))?;
                let rest = &m.text[at..];
                Some(rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())].to_string())
            })
            .collect();
        if links.len() >= nth {
            return links[nth - 1].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no {kind} link number {nth} was mailed to {to}");
}

/// The value of the first hidden `_csrf` field on a page.
pub fn csrf_in(html: &str) -> String {
    html.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string()
}

pub async fn get_page(client: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("sent");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

pub async fn post_form(
    client: &Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .expect("sent")
}

/// Opens link `path` and presses its button, as a customer would; returns the answer.
pub async fn use_link(client: &Client, app: &TestApp, path: &str) -> reqwest::Response {
    let (status, html) = get_page(client, app, path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    post_form(client, app, path, &[("_csrf", &csrf_in(&html))]).await
}

/// Asks for a sign-in link for `email` and uses it; returns the signed-in browser. `nth`
/// counts the sign-in links mailed to that address so far, this one included.
pub async fn customer_signs_in(
    app: &TestApp,
    relay: &TestRelay,
    email: &str,
    nth: usize,
) -> Client {
    let client = browser();
    let res = post_form(&client, app, "/portal/sign-in", &[("email", email)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap_or_default()
            .contains("Check your email")
    );
    let link = mailed_link(relay, email, "link", nth).await;
    let res = use_link(&client, app, &link).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    client
}

/// Replies to request `number` from its page, as a customer would, with one text file.
pub async fn reply_with_file(
    client: &Client,
    app: &TestApp,
    number: i64,
    body: &str,
    (name, bytes): (&str, &[u8]),
) -> reqwest::Response {
    let (_, page) = get_page(client, app, &format!("/portal/requests/{number}")).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_in(&page))
        .text("body", body.to_string())
        .part(
            "files",
            reqwest::multipart::Part::bytes(bytes.to_vec())
                .file_name(name.to_string())
                .mime_str("text/plain")
                .expect("mime"),
        );
    client
        .post(format!("{}/portal/requests/{number}/reply", app.base))
        .multipart(form)
        .send()
        .await
        .expect("sent")
}

/// A conversation from `email` over the API, with its number.
pub async fn request_of(app: &TestApp, email: &str, subject: &str) -> (i64, i64) {
    let c = app
        .conversation(email, subject, &format!("{subject}: please help"))
        .await;
    (
        c["id"].as_i64().expect("id"),
        c["number"].as_i64().expect("number"),
    )
}

#[tokio::test]
async fn a_customer_signs_in_by_an_emailed_link_and_sees_only_their_own_requests_public_parts() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let (ann_id, ann_number) = request_of(&app, "ann@acme.test", "Broken kettle").await;
    request_of(&app, "bob@acme.test", "Lost parcel").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{ann_id}/messages"),
            json!({"body": "Customer sounds annoyed, offer a voucher", "visibility": "internal"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{ann_id}/messages"),
            json!({"body": "A new kettle is on its way. Is your address still Elm Street 4?", "status": "pending"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // Without a session the portal asks to sign in, and comes back after.
    let stranger = browser();
    let res = stranger
        .get(format!("{}/portal/requests/{ann_number}", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/portal/sign-in?next=/portal/requests/{ann_number}").as_str()
    );

    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let (s, list) = get_page(&ann, &app, "/portal").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("Broken kettle"), "{list}");
    assert!(!list.contains("Lost parcel"), "only Ann's own requests");

    let (s, page) = get_page(&ann, &app, &format!("/portal/requests/{ann_number}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("A new kettle is on its way."));
    assert!(page.contains("Broken kettle: please help"));
    assert!(
        !page.contains("voucher"),
        "internal notes never reach the customer"
    );
    assert!(
        page.contains("Awaiting your reply"),
        "the status in the customer's words"
    );

    // Ann replies with a file; the agent sees it as the customer's web message.
    let res = reply_with_file(
        &ann,
        &app,
        ann_number,
        "Thanks! Which day will it come?",
        ("receipt.txt", b"receipt"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{ann_id}/messages"))
        .await;
    let last = msgs
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .expect("messages");
    assert_eq!(last["body"], "Thanks! Which day will it come?");
    assert_eq!(last["author_kind"], "customer");
    assert_eq!(last["channel"], "web");
    assert_eq!(last["attachments"][0]["filename"], "receipt.txt");
    let (_, after) = app.get(&format!("/api/v1/conversations/{ann_id}")).await;
    assert_eq!(after["status"], "open", "a reply reopens");

    // The link was used once; a second use is refused with a way to get a new one.
    let link = mailed_link(&relay, "ann@acme.test", "link", 1).await;
    let (s, page) = get_page(&browser(), &app, &link).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("already used"), "{page}");
    assert!(page.contains("/portal/sign-in"));

    // Signing out ends the session.
    let (_, list) = get_page(&ann, &app, "/portal").await;
    let res = post_form(
        &ann,
        &app,
        "/portal/sign-out",
        &[("_csrf", &csrf_in(&list))],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, _) = get_page(&ann, &app, "/portal").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test]
async fn a_sign_in_link_expires_works_only_for_its_purpose_and_needs_the_page_it_opens() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let client = browser();
    // A bad address is refused on the form; an unknown but valid one still gets a link.
    let res = post_form(
        &client,
        &app,
        "/portal/sign-in",
        &[("email", "not an address")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap_or_default().contains("email"));
    post_form(
        &client,
        &app,
        "/portal/sign-in",
        &[("email", "new@acme.test")],
    )
    .await;
    post_form(
        &client,
        &app,
        "/portal/sign-in",
        &[("email", "new@acme.test")],
    )
    .await;
    let first = mailed_link(&relay, "new@acme.test", "link", 1).await;
    let second = mailed_link(&relay, "new@acme.test", "link", 2).await;
    assert_ne!(first, second);

    // Posting the link without the page's cookie (another site's form) signs nobody in.
    let res = post_form(&browser(), &app, &first, &[("_csrf", "guess")]).await;
    assert_eq!(res.status(), StatusCode::OK, "shows the confirm page again");
    assert!(
        res.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap_or("").starts_with("steward_portal="))
    );

    // A sign-in link is not an email confirmation link.
    let token = first.trim_start_matches("/portal/link/");
    let (s, _) = get_page(&browser(), &app, &format!("/portal/email/{token}")).await;
    assert_eq!(s, StatusCode::GONE);

    // An expired link is refused.
    let mut tx = app.engine.store.write().await.expect("writer");
    sqlx::query("UPDATE portal_links SET expires_at = 1")
        .execute(&mut *tx)
        .await
        .expect("expire the links");
    tx.commit().await.expect("committed");
    let (s, page) = get_page(&browser(), &app, &second).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("expired"), "{page}");
    let res = use_link_anyway(&app, &second).await;
    assert_eq!(res, StatusCode::GONE);

    // A link signs a new address in as a new customer, who can then open requests.
    let fresh = customer_signs_in(&app, &relay, "new@acme.test", 3).await;
    let (s, page) = get_page(&fresh, &app, "/portal").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("no requests yet"));
    let (_, customers) = app.get("/api/v1/customers?q=new%40acme.test").await;
    assert_eq!(
        customers["data"][0]["email"], "new@acme.test",
        "{customers}"
    );
}

/// Posts a link's form with a cookie and token of our own making: only the link decides.
async fn use_link_anyway(app: &TestApp, path: &str) -> StatusCode {
    let client = browser();
    client
        .post(format!("{}{path}", app.base))
        .header("cookie", "steward_portal_link=abc")
        .form(&[("_csrf", "abc")])
        .send()
        .await
        .expect("sent")
        .status()
}

/// Posts the sign-in page's password form as a browser would.
async fn password_sign_in(
    client: &Client,
    app: &TestApp,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let (_, page) = get_page(client, app, "/portal/sign-in").await;
    post_form(
        client,
        app,
        "/portal/sign-in/password",
        &[
            ("_csrf", &csrf_in_form(&page)),
            ("email", email),
            ("password", password),
            ("next", ""),
        ],
    )
    .await
}

/// The password form's token (the second `_csrf` field; the first form has none).
fn csrf_in_form(html: &str) -> String {
    html.split("action=\"/portal/sign-in/password\"")
        .nth(1)
        .map(csrf_in)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_customer_may_set_a_password_and_sign_in_with_it_as_well_as_by_link() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    request_of(&app, "ann@acme.test", "Broken kettle").await;
    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let (_, page) = get_page(&ann, &app, "/portal/profile").await;
    assert!(page.contains("Set password"));
    let csrf = csrf_in(&page);
    let res = post_form(
        &ann,
        &app,
        "/portal/profile/password",
        &[("_csrf", &csrf), ("action", "set"), ("password", "short")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap_or_default().contains("at least 8"));
    let res = post_form(
        &ann,
        &app,
        "/portal/profile/password",
        &[
            ("_csrf", &csrf),
            ("action", "set"),
            ("password", "kettle-on-fire-42"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let fresh = browser();
    let res = password_sign_in(&fresh, &app, "ann@acme.test", "wrong password").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = password_sign_in(&fresh, &app, "nobody@acme.test", "kettle-on-fire-42").await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "unknown addresses read the same"
    );
    // Without the page's cookie (another site's form) nothing happens.
    let res = post_form(
        &browser(),
        &app,
        "/portal/sign-in/password",
        &[
            ("_csrf", "x"),
            ("email", "ann@acme.test"),
            ("password", "kettle-on-fire-42"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = password_sign_in(&fresh, &app, "ANN@acme.test", "kettle-on-fire-42").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = get_page(&fresh, &app, "/portal").await;
    assert!(list.contains("Broken kettle"));

    // Removing it: links only again.
    let (_, page) = get_page(&fresh, &app, "/portal/profile").await;
    let res = post_form(
        &fresh,
        &app,
        "/portal/profile/password",
        &[("_csrf", &csrf_in(&page)), ("action", "remove")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = password_sign_in(&browser(), &app, "ann@acme.test", "kettle-on-fire-42").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_long_request_list_comes_in_pages_without_gaps_or_repeats() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    for i in 0..53 {
        request_of(&app, "ann@acme.test", &format!("Question {i:02}")).await;
    }
    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let (_, first) = get_page(&ann, &app, "/portal").await;
    let older = first
        .split("<a href=\"/portal?after=")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(|a| format!("/portal?after={a}"))
        .expect("a link to older requests");
    let (_, second) = get_page(&ann, &app, &older).await;
    assert!(!second.contains("Older requests"), "the last page");
    let mut seen: Vec<String> = Vec::new();
    for page in [&first, &second] {
        for i in 0..53 {
            let subject = format!("Question {i:02}<");
            if page.contains(&subject) {
                seen.push(subject);
            }
        }
    }
    assert_eq!(first.matches("/portal/requests/").count(), 50);
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!((before, seen.len()), (53, 53), "every request once");
}
