//! On every portal route, customer Ann can never see or change customer Bob's data: his
//! requests, their messages and files, his profile, his session. One test per route; each
//! starts from the same two signed-in customers.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use crate::portal::{
    csrf_in, customer_signs_in, get_page, mailed_link, post_form, reply_with_file, request_of,
    use_link,
};
use crate::signin::browser;
use reqwest::{Client, StatusCode};
use serde_json::json;

struct Two {
    app: TestApp,
    relay: TestRelay,
    ann: Client,
    ann_number: i64,
    bob: Client,
    bob_id: i64,
    bob_number: i64,
    bob_file: i64,
}

/// Ann and Bob each have a request and are signed in; Bob's has a file he sent.
async fn two_customers() -> Two {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let (_, ann_number) = request_of(&app, "ann@acme.test", "Ann's kettle").await;
    let (bob_id, bob_number) = request_of(&app, "bob@acme.test", "Bob's secret parcel").await;
    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let bob = customer_signs_in(&app, &relay, "bob@acme.test", 1).await;
    let res = reply_with_file(
        &bob,
        &app,
        bob_number,
        "My passport scan",
        ("passport.txt", b"bob's passport"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{bob_id}/messages"))
        .await;
    let bob_file = msgs
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["attachments"][0]["id"].as_i64())
        .expect("Bob's file");
    Two {
        app,
        relay,
        ann,
        ann_number,
        bob,
        bob_id,
        bob_number,
        bob_file,
    }
}

async fn ann_csrf(t: &Two) -> String {
    csrf_in(&get_page(&t.ann, &t.app, "/portal/profile").await.1)
}

async fn message_count(t: &Two) -> usize {
    let (_, msgs) = t
        .app
        .get(&format!("/api/v1/conversations/{}/messages", t.bob_id))
        .await;
    msgs.as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn the_request_list_shows_only_the_signed_in_customers_requests() {
    let t = two_customers().await;
    let (s, page) = get_page(&t.ann, &t.app, "/portal").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("s kettle"), "{page}");
    assert!(!page.contains("secret parcel"));
    assert!(!page.contains(&format!("/portal/requests/{}", t.bob_number)));
}

#[tokio::test]
async fn another_customers_request_page_answers_not_found() {
    let t = two_customers().await;
    let (s, page) = get_page(
        &t.ann,
        &t.app,
        &format!("/portal/requests/{}", t.bob_number),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!page.contains("secret parcel") && !page.contains("passport"));
    let (s, _) = get_page(
        &t.ann,
        &t.app,
        &format!("/portal/requests/{}", t.ann_number),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "her own opens");
}

#[tokio::test]
async fn replying_to_another_customers_request_answers_not_found_and_adds_nothing() {
    let t = two_customers().await;
    let before = message_count(&t).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", ann_csrf(&t).await)
        .text("body", "Ann writing into Bob's request");
    let res = t
        .ann
        .post(format!(
            "{}/portal/requests/{}/reply",
            t.app.base, t.bob_number
        ))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(message_count(&t).await, before);
}

#[tokio::test]
async fn another_customers_file_and_files_on_internal_notes_answer_not_found() {
    let t = two_customers().await;
    let (s, body) = get_page(&t.ann, &t.app, &format!("/portal/files/{}", t.bob_file)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!body.contains("passport"));
    let (s, body) = get_page(&t.bob, &t.app, &format!("/portal/files/{}", t.bob_file)).await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::OK, "bob's passport"),
        "Bob gets his own"
    );
    // A file on an internal note of Bob's own request stays with the agents.
    let (s, note) = t
        .app
        .post(
            &format!("/api/v1/conversations/{}/messages", t.bob_id),
            json!({"body": "ID checked", "visibility": "internal",
                   "attachments": [{"filename": "check.txt", "content_base64": "b2s="}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{note}");
    let note_file = note["attachments"][0]["id"].as_i64().expect("file");
    let (s, _) = get_page(&t.bob, &t.app, &format!("/portal/files/{note_file}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = get_page(
        &t.bob,
        &t.app,
        &format!("/portal/requests/{}", t.bob_number),
    )
    .await;
    assert!(!page.contains("ID checked"));
}

#[tokio::test]
async fn a_new_request_always_belongs_to_the_signed_in_customer() {
    let t = two_customers().await;
    let (s, form) = t
        .app
        .post("/api/v1/forms", json!({"name": "Question"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let form_id = form["id"].as_i64().expect("id");
    let (_, page) = get_page(&t.ann, &t.app, &format!("/portal/new/{form_id}")).await;
    let sneaky = reqwest::multipart::Form::new()
        .text("_csrf", csrf_in(&page))
        .text("subject", "Sneaky")
        .text("body", "For Bob")
        .text("customer_id", "2")
        .text("customer.email", "bob@acme.test");
    let res = t
        .ann
        .post(format!("{}/portal/new/{form_id}", t.app.base))
        .multipart(sneaky)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, bob_list) = get_page(&t.bob, &t.app, "/portal").await;
    assert!(!bob_list.contains("Sneaky"));
    let (_, ann_list) = get_page(&t.ann, &t.app, "/portal").await;
    assert!(ann_list.contains("Sneaky"));
}

#[tokio::test]
async fn profile_changes_touch_only_the_signed_in_customer() {
    let t = two_customers().await;
    let (_, page) = get_page(&t.ann, &t.app, "/portal/profile").await;
    assert!(page.contains("ann@acme.test") && !page.contains("bob@acme.test"));
    let csrf = csrf_in(&page);
    let res = post_form(
        &t.ann,
        &t.app,
        "/portal/profile",
        &[("_csrf", &csrf), ("name", "Ann A."), ("customer_id", "2")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, bob) = t.app.get("/api/v1/customers?q=bob%40acme.test").await;
    assert_eq!(
        bob["data"][0]["name"], "Test Customer",
        "Bob keeps his name"
    );
    let (_, ann) = t.app.get("/api/v1/customers?q=ann%40acme.test").await;
    assert_eq!(ann["data"][0]["name"], "Ann A.");
}

#[tokio::test]
async fn asking_for_another_customers_address_changes_nothing() {
    let t = two_customers().await;
    let res = post_form(
        &t.ann,
        &t.app,
        "/portal/profile/email",
        &[("_csrf", &ann_csrf(&t).await), ("email", "bob@acme.test")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, bob) = t.app.get("/api/v1/customers?q=bob%40acme.test").await;
    assert_eq!(bob["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(bob["data"][0]["email"], "bob@acme.test");
}

#[tokio::test]
async fn a_confirmation_link_changes_only_the_customer_who_asked_whoever_opens_it() {
    let t = two_customers().await;
    let res = post_form(
        &t.ann,
        &t.app,
        "/portal/profile/email",
        &[("_csrf", &ann_csrf(&t).await), ("email", "ann@new.test")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let link = mailed_link(&t.relay, "ann@new.test", "email", 1).await;
    // Bob's browser opens Ann's link: the address still goes to Ann.
    let res = use_link(&t.bob, &t.app, &link).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, bob) = t.app.get("/api/v1/customers?q=bob%40acme.test").await;
    assert_eq!(bob["data"][0]["email"], "bob@acme.test");
    let (_, ann) = t.app.get("/api/v1/customers?q=ann%40new.test").await;
    assert_eq!(ann["data"][0]["name"], "Test Customer");
    let (_, page) = get_page(&t.bob, &t.app, "/portal/profile").await;
    assert!(page.contains("bob@acme.test") && !page.contains("ann@new.test"));
}

#[tokio::test]
async fn a_deflection_is_counted_for_the_signed_in_customer() {
    let t = two_customers().await;
    let (s, a) = t
        .app
        .post(
            "/api/v1/kb/articles",
            json!({"title": "Tracking parcels", "body": "Use the link.", "state": "published"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = a["id"].to_string();
    let res = post_form(
        &t.ann,
        &t.app,
        "/portal/deflect",
        &[
            ("_csrf", &ann_csrf(&t).await),
            ("article_id", &id),
            ("customer_id", "2"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let who: Vec<(Option<i64>,)> = sqlx::query_as("SELECT customer_id FROM deflections")
        .fetch_all(t.app.engine.store.pool())
        .await
        .expect("read");
    let (_, ann) = t.app.get("/api/v1/customers?q=ann%40acme.test").await;
    assert_eq!(who, vec![(ann["data"][0]["id"].as_i64(),)]);
}

#[tokio::test]
async fn one_customers_form_token_and_sign_out_do_not_work_on_another_session() {
    let t = two_customers().await;
    // Ann's form token in Bob's browser is refused.
    let res = post_form(
        &t.bob,
        &t.app,
        "/portal/profile",
        &[("_csrf", &ann_csrf(&t).await), ("name", "Hacked")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Ann signing out leaves Bob signed in.
    let res = post_form(
        &t.ann,
        &t.app,
        "/portal/sign-out",
        &[("_csrf", &ann_csrf(&t).await)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, _) = get_page(&t.bob, &t.app, "/portal").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get_page(&t.ann, &t.app, "/portal").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_portal_route_without_a_session_asks_to_sign_in_and_shows_nothing() {
    let t = two_customers().await;
    let anon = browser();
    let n = t.bob_number;
    let f = t.bob_file;
    for path in [
        "/portal".to_string(),
        format!("/portal/requests/{n}"),
        format!("/portal/files/{f}"),
        "/portal/new".into(),
        "/portal/new/1".into(),
        "/portal/profile".into(),
    ] {
        let (s, body) = get_page(&anon, &t.app, &path).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{path}");
        assert!(!body.contains("secret parcel"), "{path}");
    }
    for path in [
        format!("/portal/requests/{n}/reply"),
        "/portal/deflect".into(),
        "/portal/profile".into(),
        "/portal/profile/email".into(),
        "/portal/sign-out".into(),
    ] {
        let res = post_form(
            &anon,
            &t.app,
            &path,
            &[("_csrf", "x"), ("body", "x"), ("name", "x")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(message_count(&t).await, 2);
}

#[tokio::test]
async fn marking_another_customers_request_solved_answers_not_found_and_changes_nothing() {
    let t = two_customers().await;
    let res = post_form(
        &t.ann,
        &t.app,
        &format!("/portal/requests/{}/solved", t.bob_number),
        &[("_csrf", &ann_csrf(&t).await)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, c) = t
        .app
        .get(&format!("/api/v1/conversations/{}", t.bob_id))
        .await;
    assert_eq!(c["status"], "new", "as it was");
}
