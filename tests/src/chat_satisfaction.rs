//! Satisfaction and feedback in chat: an ended chat asks the visitor to rate it in the widget
//! when surveys are on for chat, the rating is the conversation's CSAT answer, and the
//! widget's feedback link files items as coming from the widget.

use crate::chat::{Visitor, chat_inbox};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_ended_chat_asks_for_a_rating_in_the_widget_and_records_it_as_the_chats_csat() {
    let app = spawn_app().await;
    let (s, v) = app
        .put_as(
            &app.token,
            "/api/v1/settings/satisfaction",
            json!({"enabled": true, "channels": ["chat"], "scale": "five_point"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "My order is late"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("chat");
    app.post(
        &format!("/api/v1/conversations/{chat}/messages"),
        json!({"body": "It arrives tomorrow."}),
    )
    .await;
    v.send(json!({"type": "end"})).await;
    let survey = v.next("survey").await;
    assert_eq!(survey["chat"], chat);
    assert_eq!(survey["open"], true);
    assert_eq!(survey["rating"], serde_json::Value::Null);
    assert_eq!(survey["choices"].as_array().map(Vec::len), Some(5));

    // Out of the scale: refused with the reason.
    v.send(json!({"type": "rate", "rating": 9})).await;
    let e = v.next("error").await;
    assert!(
        e["message"].as_str().unwrap_or("").contains("1 to 5"),
        "{e}"
    );
    v.send(json!({"type": "rate", "rating": 4, "comment": "quick, thanks"}))
        .await;
    assert_eq!(v.next("survey").await["rating"], 4);

    let (s, got) = app
        .get(&format!("/api/v1/conversations/{chat}/satisfaction"))
        .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["rating"], 4);
    assert_eq!(got["comment"], "quick, thanks");
    assert_eq!(got["channel"], "chat");
    app.stop().await;
}

#[tokio::test]
async fn with_surveys_off_for_chat_an_ended_chat_asks_nothing() {
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "hi"}))
        .await;
    v.next("ack").await;
    v.send(json!({"type": "end"})).await;
    let frames = v.drain(800).await;
    assert!(frames.iter().any(|f| f["state"] == "ended"), "{frames:?}");
    assert!(!frames.iter().any(|f| f["type"] == "survey"), "{frames:?}");
    app.stop().await;
}

#[tokio::test]
async fn feedback_sent_from_the_widgets_link_is_filed_as_coming_from_the_widget() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/help/feedback?source=widget", app.base))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    assert!(page.contains("name=\"source\" value=\"widget\""), "{page}");
    let res = app
        .client
        .post(format!("{}/help/feedback", app.base))
        .form(&[
            ("kind", "suggestion"),
            ("body", "A dark mode for the chat, please"),
            ("source", "widget"),
            ("website", ""),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let (_, items) = app.get("/api/v1/feedback").await;
    assert_eq!(items[0]["source"], "widget", "{items}");
    app.stop().await;
}
