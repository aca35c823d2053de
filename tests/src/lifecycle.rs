//! The lifecycle rules as users meet them through the API: reopening, follow-ups, merges and
//! the service times.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_customer_reply_to_a_solved_conversation_reopens_it() {
    let app = spawn_app().await;
    let c = app
        .conversation("r@example.com", "Broken", "It broke")
        .await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    app.post(
        &format!("{path}/messages"),
        json!({"body": "Fixed it", "status": "solved"}),
    )
    .await;
    let (_, solved) = app.get(&path).await;
    assert_eq!(solved["status"], "solved");
    let (s, m) = app
        .post(
            &format!("{path}/messages"),
            json!({"body": "Broken again", "author": "customer"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["conversation_id"], c["id"]);
    let (_, after) = app.get(&path).await;
    assert_eq!(after["status"], "open");
    app.stop().await;
}

#[tokio::test]
async fn a_customer_reply_to_a_closed_conversation_starts_a_linked_follow_up() {
    let app = spawn_app().await;
    let c = app.conversation("f@example.com", "Old issue", "help").await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    app.patch(&path, json!({"status": "solved"})).await;
    let (s, _) = app.patch(&path, json!({"status": "closed"})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, m) = app
        .post(
            &format!("{path}/messages"),
            json!({"body": "It is back", "author": "customer"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_ne!(m["conversation_id"], c["id"]);
    let (_, follow) = app
        .get(&format!("/api/v1/conversations/{}", m["conversation_id"]))
        .await;
    assert_eq!(follow["follow_up_of"], c["id"]);
    assert_eq!(follow["status"], "new");
    assert_eq!(follow["customer"]["id"], c["customer"]["id"]);
    let (_, old) = app.get(&path).await;
    assert_eq!(
        old["status"], "closed",
        "the closed conversation stays closed"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_forbidden_status_change_is_a_409_and_changes_nothing() {
    let app = spawn_app().await;
    let c = app.conversation("s@example.com", "Status", "x").await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    let res = app
        .request(
            reqwest::Method::PATCH,
            &path,
            Some(&app.token),
            Some(json!({"status": "closed", "priority": "urgent"})),
        )
        .await;
    let p = assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("new conversation cannot become closed")
    );
    let (_, after) = app.get(&path).await;
    assert_eq!(after["status"], "new");
    assert_eq!(
        after["priority"], "normal",
        "nothing of the refused change was written"
    );
    app.stop().await;
}

#[tokio::test]
async fn merging_moves_messages_and_the_merged_one_points_to_the_survivor() {
    let app = spawn_app().await;
    let a = app.conversation("m@example.com", "First", "one").await;
    let b = app.conversation("m@example.com", "Second", "two").await;
    app.patch(
        &format!("/api/v1/conversations/{}", a["id"]),
        json!({"tags": ["dup"]}),
    )
    .await;
    let (s, survivor) = app
        .post(
            &format!("/api/v1/conversations/{}/merge", a["id"]),
            json!({"into": b["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{survivor}");
    assert_eq!(survivor["id"], b["id"]);
    assert_eq!(survivor["message_count"], 2);
    assert!(
        survivor["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("dup")))
    );
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{}/messages", b["id"]))
        .await;
    let bodies: Vec<&str> = msgs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, vec!["one", "two"]);
    let (_, merged) = app.get(&format!("/api/v1/conversations/{}", a["id"])).await;
    assert_eq!(merged["merged_into"], b["id"]);
    assert_eq!(merged["status"], "closed");
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{}/merge", a["id"]),
            json!({"into": b["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a conversation merges once");
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{}/merge", b["id"]),
            json!({"into": b["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get("/api/v1/conversations").await;
    assert_eq!(
        list["data"].as_array().map(Vec::len),
        Some(1),
        "merged conversations leave the inbox"
    );
    app.stop().await;
}

#[tokio::test]
async fn first_response_and_resolution_times_are_recorded() {
    let app = spawn_app().await;
    let c = app.conversation("t@example.com", "Timing", "hi").await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    assert_eq!(c["first_response_ms"], serde_json::Value::Null);
    app.post(
        &format!("{path}/messages"),
        json!({"body": "internal only", "visibility": "internal"}),
    )
    .await;
    let (_, after_note) = app.get(&path).await;
    assert_eq!(
        after_note["first_response_at"],
        serde_json::Value::Null,
        "a note is not a response"
    );
    app.post(&format!("{path}/messages"), json!({"body": "On it"}))
        .await;
    let (_, replied) = app.get(&path).await;
    assert_eq!(
        replied["status"], "open",
        "an agent's reply opens a new conversation"
    );
    assert!(replied["first_response_ms"].as_i64().is_some());
    app.patch(&path, json!({"status": "solved"})).await;
    let (_, solved) = app.get(&path).await;
    assert!(solved["resolution_ms"].as_i64().is_some());
    let (_, events) = app.get(&format!("{path}/events")).await;
    let solved_event = events
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["kind"] == "status.changed" && e["data"]["after"] == "solved")
        .cloned()
        .unwrap_or_default();
    assert!(solved_event["data"]["resolution_ms"].as_i64().is_some());
    assert!(
        events
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["kind"] == "first_response")
    );
    app.stop().await;
}
