//! The agent workspace over HTTP: sign-in, CSRF, the inbox, the conversation page, replies,
//! admin pages and live updates.

use crate::helpers::*;
use futures_util::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::json;
use std::time::Duration;

pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = client
        .post(format!("{}/login", app.base))
        .form(&[("email", email), ("password", password), ("next", "/inbox")])
        .send()
        .await
        .expect("sent");
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

#[tokio::test]
async fn signing_in_sets_an_httponly_samesite_cookie_and_a_wrong_password_does_not() {
    let app = spawn_app().await;
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = client
        .get(format!("{}/inbox", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .starts_with("/login?next=")
    );
    let res = client
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", "admin@test.example"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get("set-cookie").is_none());
    let res = client
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", "admin@test.example"),
            ("password", "correct horse battery"),
            ("next", "https://evil.example/"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/inbox"),
        "no open redirect"
    );
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    app.stop().await;
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let app = spawn_app().await;
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for _ in 0..10 {
        client
            .post(format!("{}/login", app.base))
            .form(&[("email", "admin@test.example"), ("password", "guess guess")])
            .send()
            .await
            .expect("sent");
    }
    let res = client
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", "admin@test.example"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_form_without_the_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    let c = app.conversation("c@example.com", "CSRF", "x").await;
    let client = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let res = client
        .post(format!("{}/conversations/{}/update", app.base, c["id"]))
        .form(&[("status", "pending"), ("_csrf", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, after) = app.get(&format!("/api/v1/conversations/{}", c["id"])).await;
    assert_eq!(after["status"], "new");
    app.stop().await;
}

#[tokio::test]
async fn an_agent_replies_in_the_workspace_and_sees_it_in_the_timeline() {
    let app = spawn_app().await;
    let c = app
        .conversation("c@example.com", "Workspace reply", "Please help")
        .await;
    let client = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (status, html) = page(&client, &app, &format!("/conversations/{}", c["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Please help"));
    let csrf = csrf_of(&html);
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf.clone())
        .text("visibility", "public")
        .text("body", "Happy to help <b>you</b>")
        .text("status", "pending")
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"log line".to_vec())
                .file_name("log.txt")
                .mime_str("text/plain")
                .expect("mime"),
        );
    let res = client
        .post(format!("{}/conversations/{}/reply", app.base, c["id"]))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&client, &app, &format!("/conversations/{}", c["id"])).await;
    assert!(
        html.contains("Happy to help &lt;b&gt;you&lt;/b&gt;"),
        "text is escaped, never run"
    );
    assert!(html.contains("log.txt"));
    assert!(html.contains("changed status from new to pending"));
    let res = client
        .post(format!("{}/conversations/{}/update", app.base, c["id"]))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("status", "solved"),
            ("priority", "high"),
            ("tags", "vip, refund"),
            ("assignee_id", ""),
            ("team_id", ""),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, after) = app.get(&format!("/api/v1/conversations/{}", c["id"])).await;
    assert_eq!(after["status"], "solved");
    assert_eq!(after["priority"], "high");
    assert_eq!(after["tags"], json!(["refund", "vip"]));
    app.stop().await;
}

#[tokio::test]
async fn the_inbox_shows_views_with_counts_and_filters() {
    let app = spawn_app().await;
    app.conversation("a@example.com", "Alpha question", "x")
        .await;
    let b = app
        .conversation("b@example.com", "Beta question", "x")
        .await;
    app.patch(
        &format!("/api/v1/conversations/{}", b["id"]),
        json!({"assignee_id": app.admin_id, "priority": "urgent"}),
    )
    .await;
    let client = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (_, mine) = page(&client, &app, "/inbox?view=mine").await;
    assert!(mine.contains("Beta question") && !mine.contains("Alpha question"));
    let (_, all) = page(&client, &app, "/inbox?view=all&sort=priority").await;
    let (alpha, beta) = (
        all.find("Alpha question").unwrap_or(0),
        all.find("Beta question").unwrap_or(0),
    );
    assert!(beta < alpha, "urgent first when sorted by priority");
    assert!(all.contains(r#"Unassigned <span class="count">1</span>"#));
    let (_, filtered) = page(&client, &app, "/inbox?view=all&priority=urgent").await;
    assert!(filtered.contains("Beta question") && !filtered.contains("Alpha question"));
    let (_, fragment) = page(&client, &app, "/inbox?view=all&fragment=list").await;
    assert!(fragment.contains("Alpha question") && !fragment.contains("<html"));
    app.stop().await;
}

#[tokio::test]
async fn script_in_names_and_subjects_is_shown_as_text() {
    let app = spawn_app().await;
    let (_, v) = app
        .post("/api/v1/conversations", json!({"customer": {"email": "x@example.com", "name": "<script>alert('n')</script>"}, "subject": "<img src=x onerror=alert(1)>", "message": {"body": "<script>alert(2)</script>"}}))
        .await;
    let client = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (_, html) = page(&client, &app, &format!("/conversations/{}", v["id"])).await;
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
    assert!(html.contains("&lt;script&gt;alert"));
    app.stop().await;
}

#[tokio::test]
async fn admin_pages_are_for_admins_only() {
    let app = spawn_app().await;
    app.agent("plain@example.com", "agent", &[]).await;
    let admin = sign_in(&app, "admin@test.example", "correct horse battery").await;
    for p in [
        "/admin/agents",
        "/admin/teams",
        "/admin/tags",
        "/admin/fields",
    ] {
        let (s, _) = page(&admin, &app, p).await;
        assert_eq!(s, StatusCode::OK, "{p}");
    }
    let agent = sign_in(&app, "plain@example.com", "agent password 1").await;
    let (s, html) = page(&agent, &app, "/admin/agents").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("only an admin"));
    let (_, inbox) = page(&agent, &app, "/inbox").await;
    let csrf = csrf_of(&inbox);
    let res = agent
        .post(format!("{}/admin/tags", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("action", "create"),
            ("name", "x"),
            ("color", "#000000"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = admin
        .post(format!("{}/admin/tags", app.base))
        .form(&[
            (
                "_csrf",
                csrf_of(&page(&admin, &app, "/inbox").await.1).as_str(),
            ),
            ("action", "create"),
            ("name", "fromui"),
            ("color", "#123456"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, tags) = app.get("/api/v1/tags").await;
    assert_eq!(tags[0]["name"], "fromui");
    app.stop().await;
}

/// Reads the SSE stream until `needle` appears or five seconds pass.
async fn wait_for(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    needle: &str,
) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut seen = String::new();
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(500), stream.next()).await {
            Ok(Some(Ok(chunk))) => {
                seen.push_str(&String::from_utf8_lossy(&chunk));
                if seen.contains(needle) {
                    return true;
                }
            }
            Ok(_) => return false,
            Err(_) => {}
        }
    }
    false
}

#[tokio::test]
async fn open_pages_hear_about_new_messages_and_who_else_is_replying() {
    let app = spawn_app().await;
    let c = app.conversation("live@example.com", "Live", "x").await;
    app.agent("bea@example.com", "admin", &[]).await;
    let ada = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let res = ada
        .get(format!("{}/live", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .starts_with("text/event-stream")
    );
    let mut stream = res.bytes_stream();
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", c["id"]),
        json!({"body": "ping"}),
    )
    .await;
    assert!(
        wait_for(&mut stream, &format!("\"conversation_id\":{}", c["id"])).await,
        "the change was announced"
    );

    let bea = sign_in(&app, "bea@example.com", "agent password 1").await;
    let (_, html) = page(&bea, &app, &format!("/conversations/{}", c["id"])).await;
    let res = bea
        .post(format!("{}/conversations/{}/presence", app.base, c["id"]))
        .header("x-csrf-token", csrf_of(&html))
        .form(&[("state", "replying")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        wait_for(&mut stream, "\"state\":\"replying\"").await,
        "presence was announced"
    );
    app.stop().await;
}
