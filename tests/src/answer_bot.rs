//! The answer bot: in chat it answers from published public articles when sure, labelled as a
//! bot, and hands over on request, when unsure, or when the customer is upset; by email it
//! answers new mail of the inboxes an admin chose, once, leaving the conversation for a person.
//! Agents see everything it said.

use crate::chat::{Visitor, chat_inbox};
use crate::email::{INBOX, deliver, email_config, mail};
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn publish(app: &TestApp, title: &str, body: &str, visibility: &str) {
    let (s, a) = app
        .post(
            "/api/v1/kb/articles",
            json!({"title": title, "body": body, "state": "published", "visibility": visibility}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
}

async fn bot_on(app: &TestApp, body: Value) {
    let (s, v) = app
        .put_as(&app.token, "/api/v1/settings/answer-bot", body)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Sends `text` and returns the bot's answer to it.
async fn ask(v: &mut Visitor, cseq: i64, text: &str) -> Value {
    v.send(json!({"type": "message", "cseq": cseq, "text": text}))
        .await;
    v.next("ack").await;
    for _ in 0..5 {
        let m = v.next("message").await;
        if m["author"] == "bot" {
            return m;
        }
    }
    panic!("the bot did not answer {text:?}");
}

async fn authors(app: &TestApp, chat: i64) -> Vec<String> {
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{chat}/messages"))
        .await;
    msgs.as_array()
        .expect("messages")
        .iter()
        .map(|m| m["author_kind"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn in_chat_the_bot_answers_from_an_article_then_hands_over_when_the_customer_is_upset() {
    let app = spawn_app().await;
    publish(
        &app,
        "How do I return an item?",
        "Unused items can be **returned** within 30 days. Print the label from My orders.",
        "public",
    )
    .await;
    publish(
        &app,
        "Return fraud checks",
        "Internal: check the serial of every returned item.",
        "internal",
    )
    .await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;

    // Off until an admin turns it on: nothing answers.
    let mut quiet = Visitor::connect(&app, &key, None, 0).await;
    quiet
        .send(json!({"type": "message", "cseq": 1, "text": "How do I return an item?"}))
        .await;
    let chat = quiet.next("ack").await["chat"].as_i64().expect("chat");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(authors(&app, chat).await, ["customer"]);

    bot_on(&app, json!({"chat": true})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    let answer = ask(&mut v, 1, "How can I return an item I bought?").await;
    let text = answer["text"].as_str().expect("text");
    assert!(
        text.contains("How do I return an item?") && text.contains("/help/articles/"),
        "{text}"
    );
    assert!(text.contains("within 30 days"));
    assert!(
        !text.contains("serial"),
        "internal articles are never quoted"
    );
    assert!(
        text.contains("Talk to a person"),
        "a person is offered at every turn"
    );
    assert!(
        answer["name"].as_str().expect("name").ends_with("bot"),
        "{answer}"
    );

    let handover = ask(&mut v, 2, "This is ridiculous, the worst service ever!!").await;
    assert!(
        handover["text"]
            .as_str()
            .expect("text")
            .contains("bringing in a person"),
        "{handover}"
    );
    v.send(json!({"type": "message", "cseq": 3, "text": "Hello?"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("chat");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        authors(&app, chat).await,
        ["customer", "bot", "customer", "bot", "customer"],
        "quiet after handing over; the agent sees all it said"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_bot_hands_over_at_once_when_asked_for_a_person_or_unsure() {
    let app = spawn_app().await;
    publish(
        &app,
        "Caring for a waterproof tent",
        "Dry the tent fully before storing it.",
        "public",
    )
    .await;
    bot_on(&app, json!({"chat": true})).await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;

    let mut asks = Visitor::connect(&app, &key, None, 0).await;
    let m = ask(&mut asks, 1, "Can I talk to a human please").await;
    assert!(
        m["text"]
            .as_str()
            .expect("text")
            .contains("passing you to a person"),
        "{m}"
    );

    let mut unsure = Visitor::connect(&app, &key, None, 0).await;
    let m = ask(&mut unsure, 1, "My parcel never arrived at the depot").await;
    assert!(
        m["text"].as_str().expect("text").contains("not sure"),
        "{m}"
    );
    unsure
        .send(json!({"type": "message", "cseq": 2, "text": "ok"}))
        .await;
    let chat = unsure.next("ack").await["chat"].as_i64().expect("chat");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(authors(&app, chat).await, ["customer", "bot", "customer"]);

    // Settings are checked: only admins, only real inboxes, sensible numbers.
    let (s, p) = app
        .put_as(
            &app.token,
            "/api/v1/settings/answer-bot",
            json!({"email_inboxes": ["nobody@nowhere.test"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, _) = app
        .put_as(
            &app.token,
            "/api/v1/settings/answer-bot",
            json!({"confidence": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, agent) = app.agent("bea@example.com", "agent", &[]).await;
    let (s, _) = app
        .put_as(
            &agent,
            "/api/v1/settings/answer-bot",
            json!({"chat": false}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn by_email_the_bot_answers_new_mail_of_its_inboxes_once_and_leaves_it_for_a_person() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    publish(
        &app,
        "When will I get my refund?",
        "Refunds reach your card within 5 working days of the return arriving.",
        "public",
    )
    .await;
    bot_on(&app, json!({"email_inboxes": [INBOX.to_uppercase()]})).await;

    deliver(
        &app,
        "rita@example.com",
        &mail(
            "rita@example.com",
            "r1@example.com",
            "Refund",
            "",
            "Hello,\nI sent the boots back last week.\nWhen will I get my refund?\nRita",
        ),
    )
    .await;
    deliver(
        &app,
        "sam@example.com",
        &mail(
            "sam@example.com",
            "s1@example.com",
            "Refund",
            "",
            "I want to speak to a human about my refund",
        ),
    )
    .await;

    let mails = relay.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to_rita: Vec<_> = relay
        .received()
        .into_iter()
        .filter(|m| m.to.iter().any(|a| a.address == "rita@example.com"))
        .collect();
    let bot_mail = to_rita
        .iter()
        .find(|m| m.text.contains("a bot, not a person"))
        .unwrap_or_else(|| panic!("the bot's mail: {mails:?}"));
    assert!(
        bot_mail.text.contains("When will I get my refund?")
            && bot_mail.text.contains("/help/articles/")
    );
    assert!(
        !relay.received().iter().any(
            |m| m.to.iter().any(|a| a.address == "sam@example.com") && m.text.contains("a bot")
        ),
        "asking for a person gets no bot answer"
    );

    let list = crate::email::conversations(&app).await;
    let rita = list
        .iter()
        .find(|c| c["customer"]["email"] == "rita@example.com")
        .expect("Rita's");
    let kinds: Vec<String> = crate::email::messages(&app, &rita["id"])
        .await
        .iter()
        .map(|m| m["author_kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, ["customer", "bot"]);
    let (_, c) = app
        .get(&format!("/api/v1/conversations/{}", rita["id"]))
        .await;
    assert_eq!(
        c["first_response_at"],
        Value::Null,
        "the bot's answer is not a person's first response"
    );
    assert_eq!(c["status"], "new", "still waiting for a person");

    // The answer did it: Rita marks her request solved in the portal, from the mail's link.
    let number = c["number"].as_i64().expect("number");
    assert!(
        bot_mail
            .text
            .contains(&format!("/portal/requests/{number}")),
        "{}",
        bot_mail.text
    );
    let rita = crate::portal::customer_signs_in(&app, &relay, "rita@example.com", 1).await;
    let (_, page) =
        crate::portal::get_page(&rita, &app, &format!("/portal/requests/{number}")).await;
    assert!(page.contains("mark it solved"));
    let res = crate::portal::post_form(
        &rita,
        &app,
        &format!("/portal/requests/{number}/solved"),
        &[("_csrf", &crate::portal::csrf_in(&page))],
    )
    .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let (_, c) = app
        .get(&format!("/api/v1/conversations/{}", rita_id(&c)))
        .await;
    assert_eq!(c["status"], "solved");
    let solved_by = app
        .events_of(c["id"].as_i64().expect("id"), "status.changed")
        .await;
    assert_eq!(
        solved_by.last().map(|e| e["actor_kind"].clone()),
        Some(json!("customer")),
        "{solved_by:?}"
    );
    app.stop().await;
}

fn rita_id(c: &Value) -> i64 {
    c["id"].as_i64().expect("id")
}
