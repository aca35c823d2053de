//! Feedback: anyone sends a suggestion on the public form (an email address joins the
//! customer's history, script stays text, robots and floods are turned away); agents tag items
//! and move them along in the API and the workspace; reports count them by kind and tag.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn send(app: &TestApp, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let res = app
        .client
        .post(format!("{}/help/feedback", app.base))
        .form(fields)
        .send()
        .await
        .expect("sent");
    (res.status(), res.text().await.expect("html"))
}

#[tokio::test]
async fn feedback_sent_on_the_public_form_is_tagged_by_agents_and_counted_in_reports() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/help/feedback", app.base))
        .send()
        .await
        .expect("form");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("What is it about?")
    );

    let (s, page) = send(
        &app,
        &[
            ("kind", "suggestion"),
            ("body", "Please add <script>alert(1)</script> dark mode"),
            ("name", "Rita"),
            ("email", "Rita@Example.com"),
            ("website", ""),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Thank you"), "{page}");
    let (s, page) = send(&app, &[("kind", "praise"), ("body", "Fast answers!")]).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    // A robot fills the hidden field: thanked, not kept. An empty message is refused.
    let (s, _) = send(
        &app,
        &[
            ("kind", "other"),
            ("body", "cheap pills"),
            ("website", "http://spam.test"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, page) = send(&app, &[("kind", "problem"), ("body", "  ")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must not be empty"), "{page}");

    let (s, items) = app.get("/api/v1/feedback").await;
    assert_eq!(s, StatusCode::OK, "{items}");
    let items = items.as_array().expect("list").clone();
    assert_eq!(items.len(), 2, "{items:?}");
    let rita = &items[1];
    assert_eq!(
        (
            &rita["kind"],
            &rita["source"],
            &rita["status"],
            &rita["email"]
        ),
        (
            &json!("suggestion"),
            &json!("web"),
            &json!("new"),
            &json!("rita@example.com")
        )
    );
    assert_eq!(
        rita["body"],
        "Please add <script>alert(1)</script> dark mode"
    );
    // Her address made her a customer, so the item is in her history.
    let customer = rita["customer_id"].as_i64().expect("a customer");
    let (_, c) = app.get(&format!("/api/v1/customers/{customer}")).await;
    assert_eq!(c["name"], "Rita", "{c}");
    assert!(items[0]["customer_id"].is_null());

    // An agent tags it and plans it.
    let desk = app.team("Desk").await;
    let (_, agent) = app.agent("al@example.com", "agent", &[desk]).await;
    let (s, changed) = app
        .patch_as(
            &agent,
            &format!("/api/v1/feedback/{}", rita["id"]),
            json!({"status": "planned", "tags": ["Dark_Mode", "ui"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(
        (&changed["status"], &changed["tags"]),
        (&json!("planned"), &json!(["dark_mode", "ui"]))
    );
    let (s, p) = app
        .patch_as(
            &agent,
            &format!("/api/v1/feedback/{}", rita["id"]),
            json!({"status": "someday"}),
        )
        .await;
    assert_eq!(
        (s, &p["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("status"))
    );
    let (_, tagged) = app.get("/api/v1/feedback?tag=dark_mode").await;
    assert_eq!(tagged.as_array().map(Vec::len), Some(1));
    let (_, praise) = app.get("/api/v1/feedback?kind=praise").await;
    assert_eq!(praise[0]["body"], "Fast answers!");

    // The workspace lists them, script shown as text, and saves from the list.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/feedback").await;
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            && !page.contains("<script>alert"),
        "{page}"
    );
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/feedback", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("id", &items[0]["id"].to_string()),
            ("status", "reviewed"),
            ("tags", "support"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, reviewed) = app.get("/api/v1/feedback?status=reviewed").await;
    assert_eq!(reviewed[0]["tags"], json!(["support"]));

    // Integrators send feedback for customers; bad kinds are named.
    let (s, made) = app
        .post(
            "/api/v1/feedback",
            json!({"body": "The app crashes", "kind": "problem", "email": "rita@example.com"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(
        (&made["customer_id"], &made["source"]),
        (&json!(customer), &json!("api"))
    );
    let (s, p) = app
        .post("/api/v1/feedback", json!({"body": "x", "kind": "rant"}))
        .await;
    assert_eq!(
        (s, &p["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("kind"))
    );

    // Reports count them by kind and by tag.
    let (_, r) = app.get("/api/v1/reports/summary").await;
    assert_eq!(r["current"]["feedback"], 3, "{r}");
    assert_eq!(
        r["feedback_by_kind"],
        json!([["praise", 1], ["problem", 1], ["suggestion", 1]])
    );
    assert_eq!(
        r["feedback_by_tag"],
        json!([["dark_mode", 1], ["support", 1], ["ui", 1]])
    );
    let page = app.html(&browser, "/reports").await;
    assert!(
        page.contains("<a href=\"/feedback?tag=dark_mode\">dark_mode</a>"),
        "{page}"
    );

    // One address may send 20 an hour.
    let mut refused_after = None;
    for n in 3..30 {
        let (s, _) = send(&app, &[("kind", "other"), ("body", "again")]).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            refused_after = Some(n);
            break;
        }
        assert_eq!(s, StatusCode::OK);
    }
    assert_eq!(refused_after, Some(21), "the 21st in an hour is refused");
    app.stop().await;
}
