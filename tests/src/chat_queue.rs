//! The chat queue: each waiting visitor's place and estimated wait, what supervisors and
//! agents see waiting (the live wall, the API), and a visitor told when an agent takes or is
//! handed their chat.

use crate::chat::{Visitor, chat_inbox};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn each_waiting_visitor_sees_their_place_and_a_supervisor_sees_the_queue() {
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut first = Visitor::connect(&app, &key, None, 0).await;
    first
        .send(json!({"type": "message", "cseq": 1, "text": "one"}))
        .await;
    let chat1 = first.next("ack").await["chat"].as_i64().expect("present");
    assert_eq!(first.next("status").await["position"], 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut second = Visitor::connect(&app, &key, None, 0).await;
    second
        .send(json!({"type": "message", "cseq": 1, "text": "two"}))
        .await;
    second.next("ack").await;
    let st = second.next("status").await;
    assert_eq!(st["state"], "waiting");
    assert_eq!(st["position"], 2);
    assert_eq!(
        st["wait_seconds"],
        Value::Null,
        "no answered chats to go by yet"
    );

    let (s, w) = app.get("/api/v1/chat/waiting").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(w["chats"].as_array().expect("present").len(), 2);
    assert_eq!(w["chats"][0]["conversation_id"], chat1, "longest first");
    assert!(w["longest_wait_seconds"].as_i64().expect("present") >= 0);

    // The first is taken by an agent: they are told who, and the second moves up.
    let (s, _) = app
        .patch(
            &format!("/api/v1/conversations/{chat1}"),
            json!({"assignee_id": app.admin_id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let st = first.next("status").await;
    assert_eq!(st["state"], "assigned");
    assert_eq!(st["agent"], "Ada Admin");
    let mut moved = false;
    for _ in 0..3 {
        if second.next("status").await["position"] == 1 {
            moved = true;
            break;
        }
    }
    assert!(moved, "the second visitor moves up to first place");
    app.stop().await;
}

#[tokio::test]
async fn the_live_wall_lists_the_waiting_chats_and_agents_see_only_their_teams() {
    use crate::workspace::{page, sign_in};
    let app = spawn_app().await;
    let desk = app.team("Desk").await;
    let key = chat_inbox(&app, json!({"prechat": "none", "team_id": desk})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "anyone?"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("chat");
    let ada = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (s, html) = page(&ada, &app, "/reports/live").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("/conversations/{chat}")), "{html}");
    assert!(html.contains("Chats waiting for an agent"));

    // An agent of another team sees none of it; one of the desk sees it.
    let other = app.team("Elsewhere").await;
    let (_, bea) = app.agent("bea@example.com", "agent", &[other]).await;
    let (_, w) = app.get_as(&bea, "/api/v1/chat/waiting").await;
    assert_eq!(w["chats"], json!([]));
    let (_, cid) = app.agent("cid@example.com", "agent", &[desk]).await;
    let (_, w) = app.get_as(&cid, "/api/v1/chat/waiting").await;
    assert_eq!(w["chats"][0]["conversation_id"], chat);
    app.stop().await;
}

#[tokio::test]
async fn a_chat_transferred_to_another_agent_tells_the_visitor_who_they_are_talking_to_now() {
    let app = spawn_app().await;
    let desk = app.team("Desk").await;
    let (bea, _) = app.agent("bea@example.com", "agent", &[desk]).await;
    let key = chat_inbox(&app, json!({"prechat": "none", "team_id": desk})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "my invoice is wrong"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("chat");
    app.patch(
        &format!("/api/v1/conversations/{chat}"),
        json!({"assignee_id": app.admin_id}),
    )
    .await;
    let mut agent = None;
    for _ in 0..4 {
        let st = v.next("status").await;
        if st["state"] == "assigned" {
            agent = st["agent"].as_str().map(str::to_string);
            break;
        }
    }
    assert_eq!(agent.as_deref(), Some("Ada Admin"));
    let (s, t) = app
        .post(
            &format!("/api/v1/conversations/{chat}/transfer"),
            json!({"assignee_id": bea, "reason": "billing knows invoices"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let st = v.next("status").await;
    assert_eq!(st["state"], "assigned");
    assert_eq!(st["agent"], "bea");
    app.stop().await;
}
