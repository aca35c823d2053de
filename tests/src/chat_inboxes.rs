//! Chat inboxes: admins set them up on their page and through the API; what they are set to
//! (pre-chat form, keys) is checked and enforced.

use crate::chat::Visitor;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn admins_set_up_chat_inboxes_on_their_page_and_others_may_not() {
    use crate::workspace::{csrf_of, page, sign_in};
    let app = spawn_app().await;
    let ada = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (s, html) = page(&ada, &app, "/admin/chat").await;
    assert_eq!(s, StatusCode::OK);
    let res = ada
        .post(format!("{}/admin/chat", app.base))
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("id", "0"),
            ("key", "Help-Desk"),
            ("name", "Help desk"),
            ("colour", "#AA3300"),
            ("greeting", "Hello"),
            ("team_id", "0"),
            ("email_inbox", ""),
            ("calendar_id", "0"),
            ("prechat", "required"),
            ("topics", "Billing, Bugs"),
            ("enabled", "on"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&ada, &app, "/admin/chat").await;
    assert!(html.contains("data-inbox=&#34;help-desk&#34;"), "{html}");
    let (_, list) = app.get("/api/v1/chat/inboxes").await;
    assert_eq!(list[0]["topics"], json!(["Billing", "Bugs"]));
    assert_eq!(list[0]["prechat"], "required");

    // A bad colour is refused with the reason; a duplicate key is a conflict.
    let (s, e) = app
        .post(
            "/api/v1/chat/inboxes",
            json!({"key": "x", "name": "X", "colour": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = app
        .post(
            "/api/v1/chat/inboxes",
            json!({"key": "help-desk", "name": "Again", "colour": "#000000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // With "required", a chat needs an address first.
    let mut v = Visitor::connect(&app, "help-desk", None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "hi"}))
        .await;
    assert!(
        v.next("error").await["message"]
            .as_str()
            .expect("present")
            .contains("email")
    );
    // An inbox a visitor used cannot be deleted, only turned off.
    v.send(
        json!({"type": "message", "cseq": 2, "text": "hi", "profile": {"email": "a@b.example"}}),
    )
    .await;
    v.next("ack").await;
    let id = list[0]["id"].as_i64().expect("id");
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/chat/inboxes/{id}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    app.agent("bea@example.com", "agent", &[]).await;
    let bea = sign_in(&app, "bea@example.com", "agent password 1").await;
    let (s, _) = page(&bea, &app, "/admin/chat").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}
