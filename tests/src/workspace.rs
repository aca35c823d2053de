//! The agent workspace over HTTP: sign-in, CSRF, the inbox, the conversation page, replies,
//! admin pages and live updates.

use crate::helpers::*;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

pub use crate::signin::*;

#[tokio::test]
async fn signing_in_sets_an_httponly_samesite_cookie_and_a_wrong_password_does_not() {
    let app = spawn_app().await;
    let client = browser();
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
    let res = post_login(
        &client,
        &app,
        "admin@test.example",
        "wrong password",
        "/inbox",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap_or("").starts_with("steward_session"))
    );
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\tevil",
        "/\\evil.example",
    ] {
        let res = post_login(
            &browser(),
            &app,
            "admin@test.example",
            "correct horse battery",
            evil,
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/inbox"),
            "no open redirect to {evil:?}"
        );
    }
    let res = post_login(
        &client,
        &app,
        "admin@test.example",
        "correct horse battery",
        "/inbox",
    )
    .await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("steward_session"))
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
    let client = browser();
    for _ in 0..10 {
        post_login(&client, &app, "admin@test.example", "guess guess", "/inbox").await;
    }
    let res = post_login(
        &client,
        &app,
        "admin@test.example",
        "correct horse battery",
        "/inbox",
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_sign_in_form_posted_from_elsewhere_is_refused() {
    let app = spawn_app().await;
    let res = browser()
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", "admin@test.example"),
            ("password", "correct horse battery"),
            ("_csrf", "guessed"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        !res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap_or("").starts_with("steward_session"))
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
        "/admin/inboxes",
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
pub(crate) async fn wait_for(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    needle: &str,
) -> bool {
    read_until(stream, needle).await.contains(needle)
}

/// What the SSE stream said until `needle` appeared (or five seconds passed).
pub(crate) async fn read_until(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    needle: &str,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut seen = String::new();
    while tokio::time::Instant::now() < deadline && !seen.contains(needle) {
        match tokio::time::timeout(Duration::from_millis(500), stream.next()).await {
            Ok(Some(Ok(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(_) => break,
            Err(_) => {}
        }
    }
    seen
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

#[tokio::test]
async fn the_live_stream_tells_an_agent_nothing_about_other_teams() {
    let app = spawn_app().await;
    let mine = app.team("Mine").await;
    let other = app.team("Other").await;
    app.agent("quiet@example.com", "agent", &[mine]).await;
    let hidden = app.conversation("h@example.com", "Hidden", "x").await;
    let shown = app.conversation("s@example.com", "Shown", "x").await;
    app.patch(
        &format!("/api/v1/conversations/{}", hidden["id"]),
        json!({"team_id": other}),
    )
    .await;
    app.patch(
        &format!("/api/v1/conversations/{}", shown["id"]),
        json!({"team_id": mine}),
    )
    .await;
    let agent = sign_in(&app, "quiet@example.com", "agent password 1").await;
    let mut stream = agent
        .get(format!("{}/live", app.base))
        .send()
        .await
        .expect("sent")
        .bytes_stream();
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", hidden["id"]),
        json!({"body": "secret"}),
    )
    .await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", shown["id"]),
        json!({"body": "hello"}),
    )
    .await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline
        && !seen.contains(&format!("\"conversation_id\":{}", shown["id"]))
    {
        if let Ok(Some(Ok(chunk))) =
            tokio::time::timeout(Duration::from_millis(500), stream.next()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(
        seen.contains(&format!("\"conversation_id\":{}", shown["id"])),
        "{seen}"
    );
    assert!(
        !seen.contains(&format!("\"conversation_id\":{}", hidden["id"])),
        "{seen}"
    );
    app.stop().await;
}

#[tokio::test]
async fn notes_merges_customer_pages_search_and_sign_out_work_in_the_workspace() {
    let app = spawn_app().await;
    let a = app
        .conversation(
            "wf@example.com",
            "Kettle broken",
            "The kettle whistles oddly",
        )
        .await;
    let b = app
        .conversation("wf@example.com", "Kettle again", "Still whistling")
        .await;
    let client = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (_, html) = page(&client, &app, &format!("/conversations/{}", a["id"])).await;
    let csrf = csrf_of(&html);
    let note = reqwest::multipart::Form::new()
        .text("_csrf", csrf.clone())
        .text("visibility", "internal")
        .text("body", "Checked the warranty")
        .text("status", "");
    let res = client
        .post(format!("{}/conversations/{}/reply", app.base, a["id"]))
        .multipart(note)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{}/messages", a["id"]))
        .await;
    assert_eq!(msgs[1]["visibility"], "internal");
    let (_, after_note) = app.get(&format!("/api/v1/conversations/{}", a["id"])).await;
    assert_eq!(
        after_note["status"], "new",
        "a note does not answer the customer"
    );

    let res = client
        .post(format!("{}/conversations/{}/merge", app.base, a["id"]))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("into", &format!("#{}", b["number"])),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, merged) = app.get(&format!("/api/v1/conversations/{}", a["id"])).await;
    assert_eq!(merged["merged_into"], b["id"]);

    let (s, customer) = page(
        &client,
        &app,
        &format!("/customers/{}", a["customer"]["id"]),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(customer.contains("Kettle again") && customer.contains("wf@example.com"));
    let (_, found) = page(&client, &app, "/search?q=whistling").await;
    assert!(found.contains("Kettle again"));
    let (_, filtered) = page(&client, &app, "/search?q=whistling&status=solved").await;
    assert!(
        !filtered.contains("Kettle again"),
        "the status filter applies"
    );

    let res = client
        .post(format!("{}/logout", app.base))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, _) = page(&client, &app, "/inbox").await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "signed out: back to the sign-in page"
    );
    app.stop().await;
}

#[tokio::test]
async fn admins_add_agents_teams_and_fields_through_the_admin_pages() {
    let app = spawn_app().await;
    let client = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (_, html) = page(&client, &app, "/admin/teams").await;
    let csrf = csrf_of(&html);
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = format!("{}{path}", app.base);
        async move {
            client
                .post(url)
                .form(&form)
                .send()
                .await
                .expect("sent")
                .status()
        }
    };
    assert_eq!(
        post(
            "/admin/teams",
            vec![
                ("_csrf", csrf.clone()),
                ("action", "create".into()),
                ("name", "Returns".into()),
                ("description", "".into())
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (_, teams) = app.get("/api/v1/teams").await;
    let team_id = teams[0]["id"].as_i64().unwrap_or(0);
    assert_eq!(
        post(
            "/admin/agents",
            vec![
                ("_csrf", csrf.clone()),
                ("action", "create".into()),
                ("email", "new@example.com".into()),
                ("name", "New Agent".into()),
                ("role", "agent".into()),
                ("team_ids", team_id.to_string()),
                ("password", "a good password".into())
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (_, agents) = app.get("/api/v1/agents").await;
    let new = agents
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["email"] == "new@example.com")
        .cloned()
        .unwrap_or_default();
    assert_eq!(new["team_ids"], json!([team_id]));
    assert_eq!(
        post(
            "/admin/fields",
            vec![
                ("_csrf", csrf.clone()),
                ("action", "create".into()),
                ("key", "order_id".into()),
                ("label", "Order".into()),
                ("kind", "text".into()),
                ("options", "".into())
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (_, fields) = app.get("/api/v1/custom_fields").await;
    assert_eq!(fields[0]["key"], "order_id");
    let c = app.conversation("cf@example.com", "Fields", "x").await;
    let res = client
        .post(format!("{}/conversations/{}/update", app.base, c["id"]))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("cf.order_id", "A-1001"),
            ("team_id", &team_id.to_string()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, after) = app.get(&format!("/api/v1/conversations/{}", c["id"])).await;
    assert_eq!(after["custom_fields"]["order_id"], "A-1001");
    assert_eq!(after["team_id"], team_id);
    let (_, mine) = page(
        &sign_in(&app, "new@example.com", "a good password").await,
        &app,
        "/inbox?view=teams",
    )
    .await;
    assert!(
        mine.contains("Fields"),
        "the new agent sees their team's conversation under My teams"
    );
    app.stop().await;
}
