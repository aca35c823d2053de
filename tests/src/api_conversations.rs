//! The conversation API: create, list with filters and cursors, change, messages, events,
//! idempotency and attachments.

use crate::helpers::*;
use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn creating_a_conversation_answers_201_with_its_id_and_number() {
    let app = spawn_app().await;
    let res = app
        .request(
            Method::POST,
            "/api/v1/conversations",
            Some(&app.token),
            Some(json!({
                "customer": {"email": "Mia@Example.com", "name": "Mia"},
                "subject": "Where is my order?",
                "message": {"body": "It has been ten days."},
                "channel": "email"
            })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("location").is_some());
    let (_, v) = into_json(res).await;
    assert!(v["id"].as_i64().is_some());
    assert_eq!(v["number"], 1);
    assert_eq!(v["conversation"]["status"], "new");
    assert_eq!(v["conversation"]["customer"]["email"], "mia@example.com");
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{}/messages", v["id"]))
        .await;
    assert_eq!(msgs[0]["author_kind"], "customer");
    assert_eq!(msgs[0]["body"], "It has been ten days.");
    app.stop().await;
}

#[tokio::test]
async fn one_customer_keeps_one_history_across_channels() {
    let app = spawn_app().await;
    let a = app
        .conversation("kim@example.com", "By email", "hello")
        .await;
    let (_, b) = app
        .post("/api/v1/conversations", json!({"customer": {"email": "KIM@example.com"}, "subject": "By phone", "message": {"body": "called"}, "channel": "phone"}))
        .await;
    assert_eq!(a["customer"]["id"], b["conversation"]["customer"]["id"]);
    let (_, list) = app
        .get(&format!(
            "/api/v1/customers/{}/conversations",
            a["customer"]["id"]
        ))
        .await;
    let channels: Vec<&str> = list["data"]
        .as_array()
        .map(|l| l.iter().filter_map(|c| c["channel"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(channels.len(), 2);
    assert!(channels.contains(&"email") && channels.contains(&"phone"));
    app.stop().await;
}

#[tokio::test]
async fn the_list_filters_by_status_tag_and_channel_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    for i in 0..5 {
        let c = app
            .conversation(
                &format!("c{i}@example.com"),
                &format!("Subject {i}"),
                "body",
            )
            .await;
        if i % 2 == 0 {
            let (s, _) = app
                .patch(
                    &format!("/api/v1/conversations/{}", c["id"]),
                    json!({"status": "pending", "tags": ["billing"]}),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
        }
    }
    let (_, pending) = app
        .get("/api/v1/conversations?status=pending&tag=billing")
        .await;
    assert_eq!(pending["data"].as_array().map(Vec::len), Some(3));
    let (_, none) = app.get("/api/v1/conversations?channel=chat").await;
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0));
    let (_, page1) = app.get("/api/v1/conversations?limit=2").await;
    assert_eq!(page1["data"].as_array().map(Vec::len), Some(2));
    let mut seen: Vec<i64> = page1["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    let mut cursor = page1["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let (_, page) = app
            .get(&format!("/api/v1/conversations?limit=2&cursor={c}"))
            .await;
        seen.extend(
            page["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["id"].as_i64()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_string);
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len(),
        5,
        "every conversation exactly once across pages"
    );
    let (_, none_since) = app
        .get("/api/v1/conversations?updated_since=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(none_since["data"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}

#[tokio::test]
async fn patch_changes_fields_and_logs_each_change_with_before_and_after() {
    let app = spawn_app().await;
    let team = app.team("Billing").await;
    let (agent, _) = app.agent("rita@example.com", "agent", &[team]).await;
    let c = app
        .conversation("x@example.com", "Invoice", "Need an invoice")
        .await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    let (s, v) = app.patch(&path, json!({"priority": "high", "team_id": team, "assignee_id": agent, "tags": ["Invoice", "vip"], "status": "open"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["priority"], "high");
    assert_eq!(v["team_id"], team);
    assert_eq!(v["assignee_id"], agent);
    assert_eq!(v["tags"], json!(["invoice", "vip"]));
    let (_, cleared) = app.patch(&path, json!({"assignee_id": null})).await;
    assert_eq!(cleared["assignee_id"], serde_json::Value::Null);
    assert_eq!(cleared["team_id"], team, "absent fields stay as they were");
    let (_, events) = app.get(&format!("{path}/events")).await;
    let kinds: Vec<&str> = events
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in [
        "conversation.created",
        "priority.changed",
        "team.changed",
        "assignee.changed",
        "tags.changed",
        "status.changed",
    ] {
        assert!(kinds.contains(&k), "missing {k} in {kinds:?}");
    }
    let prio = events
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["kind"] == "priority.changed")
        .cloned()
        .unwrap_or_default();
    assert_eq!(prio["data"]["before"], "normal");
    assert_eq!(prio["data"]["after"], "high");
    assert_eq!(prio["actor_id"], app.admin_id);
    app.stop().await;
}

#[tokio::test]
async fn custom_fields_are_checked_against_their_definitions() {
    let app = spawn_app().await;
    let (s, _) = app
        .post(
            "/api/v1/custom_fields",
            json!({"key": "plan", "label": "Plan", "kind": "dropdown", "options": ["free", "pro"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.post(
        "/api/v1/custom_fields",
        json!({"key": "seats", "label": "Seats", "kind": "number"}),
    )
    .await;
    let c = app
        .conversation("f@example.com", "Upgrade", "More seats please")
        .await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    let (s, v) = app
        .patch(
            &path,
            json!({"custom_fields": {"plan": "pro", "seats": 12}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["custom_fields"], json!({"plan": "pro", "seats": 12}));
    let (s, v) = app
        .patch(&path, json!({"custom_fields": {"plan": "enterprise"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = app
        .patch(&path, json!({"custom_fields": {"nope": 1}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, v) = app
        .patch(&path, json!({"custom_fields": {"seats": null}}))
        .await;
    assert_eq!(
        v["custom_fields"],
        json!({"plan": "pro"}),
        "null clears one field only"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retried_post_return_the_first_answer() {
    let app = spawn_app().await;
    let body = json!({"customer": {"email": "idem@example.com"}, "subject": "Once", "message": {"body": "only once"}});
    let send = || async {
        app.client
            .post(format!("{}/api/v1/conversations", app.base))
            .bearer_auth(&app.token)
            .header("Idempotency-Key", "abc-123")
            .json(&body)
            .send()
            .await
            .expect("sent")
    };
    let (s1, first) = into_json(send().await).await;
    let second = send().await;
    assert_eq!(
        second
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let (s2, again) = into_json(second).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first["id"], again["id"]);
    let (_, list) = app.get("/api/v1/conversations").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    let other = app
        .client
        .post(format!("{}/api/v1/conversations", app.base))
        .bearer_auth(&app.token)
        .header("Idempotency-Key", "abc-123")
        .json(&json!({"customer": {"email": "idem@example.com"}, "subject": "Different", "message": {"body": "x"}}))
        .send()
        .await
        .expect("sent");
    assert_problem(other, StatusCode::UNPROCESSABLE_ENTITY, "idempotency").await;
    app.stop().await;
}

#[tokio::test]
async fn attachments_are_stored_once_and_downloadable_and_oversized_ones_are_refused() {
    let app = spawn_app().await;
    let c = app
        .conversation("files@example.com", "Photo", "see attached")
        .await;
    let data = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 tiny");
    let (s, m) = app
        .post(&format!("/api/v1/conversations/{}/messages", c["id"]), json!({"body": "here", "attachments": [{"filename": "../../etc/receipt.pdf", "content_type": "application/pdf", "content_base64": data}]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let a = &m["attachments"][0];
    assert_eq!(a["filename"], "receipt.pdf");
    let res = app
        .request(
            Method::GET,
            a["url"].as_str().unwrap_or(""),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), b"%PDF-1.4 tiny");

    let before = count_files(&app.data.join("blobs"));
    let big = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 100 * 1024]);
    let res = app
        .request(Method::POST, &format!("/api/v1/conversations/{}/messages", c["id"]), Some(&app.token), Some(json!({"body": "big", "attachments": [{"filename": "big.bin", "content_base64": big}]})))
        .await;
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "too-large").await;
    assert_eq!(
        count_files(&app.data.join("blobs")),
        before,
        "nothing stored"
    );
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{}/messages", c["id"]))
        .await;
    assert_eq!(
        msgs.as_array().map(Vec::len),
        Some(2),
        "the refused message was not added"
    );
    app.stop().await;
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn html_from_outside_is_sanitized_and_text_is_derived() {
    let app = spawn_app().await;
    let c = app.conversation("h@example.com", "HTML", "plain").await;
    let (s, m) = app
        .post(&format!("/api/v1/conversations/{}/messages", c["id"]), json!({"html": "<p onclick=\"steal()\">Hello <b>there</b></p><script>alert(1)</script>"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let html = m["html"].as_str().unwrap_or("");
    assert!(
        !html.contains("script") && !html.contains("onclick"),
        "{html}"
    );
    assert!(html.contains("<b>there</b>"));
    assert_eq!(m["body"], "Hello there");
    app.stop().await;
}

#[tokio::test]
async fn first_messages_arriving_together_from_one_new_address_make_one_customer() {
    let app = spawn_app().await;
    let shared = &app;
    let made = futures_util::future::join_all((0..10).map(|i| async move {
        shared
            .conversation("twin@example.com", &format!("Twin {i}"), "same person")
            .await
    }))
    .await;
    let mut customers: Vec<i64> = made
        .iter()
        .filter_map(|c| c["customer"]["id"].as_i64())
        .collect();
    customers.dedup();
    assert_eq!(customers.len(), 1, "{made:?}");
    app.stop().await;
}
