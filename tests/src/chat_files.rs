//! Files in chat: a visitor uploads over HTTP under their own sequence number; only they (and
//! agents) can fetch it.

use crate::chat::{Visitor, chat_inbox};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_visitor_sends_a_file_and_only_they_can_fetch_it() {
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    let upload = |token: String, cseq: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("inbox", key.clone())
            .text("visitor", token)
            .text("cseq", cseq)
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\nfake".to_vec())
                    .file_name("<i>photo<i>.png")
                    .mime_str("image/png")
                    .expect("mime"),
            );
        app.client
            .post(format!("{}/chat/upload", app.base))
            .multipart(form)
            .send()
    };
    // Before the first message there is no chat to send it to.
    let res = upload(v.token.clone(), "1").await.expect("sent");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    v.send(json!({"type": "message", "cseq": 1, "text": "here is the damage"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("chat");
    v.next("message").await;
    let res = upload(v.token.clone(), "2").await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|h| h.to_str().ok()),
        Some("*")
    );
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["chat"], chat);
    let m = v.next("message").await;
    assert_eq!(m["seq"], body["seq"]);
    assert_eq!(m["cseq"], 2);
    assert_eq!(m["files"][0]["name"], "<i>photo<i>.png");
    let url = format!(
        "{}{}?inbox={key}&visitor={}",
        app.base,
        m["files"][0]["url"].as_str().expect("url"),
        v.token
    );
    let res = app.client.get(&url).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|h| h.to_str().ok()),
        Some("image/png")
    );
    // A retried upload under the same number is the same message.
    let again: Value = upload(v.token.clone(), "2")
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(again["seq"], body["seq"]);

    // Another visitor cannot fetch it.
    let other = Visitor::connect(&app, &key, None, 0).await;
    let res = app
        .client
        .get(url.replace(&v.token, &other.token))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The agent sees it on the conversation.
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{chat}/messages"))
        .await;
    assert_eq!(
        msgs[1]["attachments"][0]["filename"], "<i>photo<i>.png",
        "{msgs}"
    );
    app.stop().await;
}
