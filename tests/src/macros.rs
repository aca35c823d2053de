//! Macros (canned replies): shared and personal ones through the API, placeholders checked
//! when saved and filled from the conversation when used, and the composer filled with one
//! in the workspace.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn shared_and_personal_macros_fill_their_placeholders_from_the_conversation() {
    let app = spawn_app().await;
    app.post(
        "/api/v1/custom_fields",
        json!({"key": "order_id", "label": "Order", "kind": "text"}),
    )
    .await;
    let c = app
        .conversation("kim@example.com", "Refund", "Please refund")
        .await;
    app.patch(
        &format!("/api/v1/conversations/{}", c["id"]),
        json!({"custom_fields": {"order_id": "A-1001"}}),
    )
    .await;
    let (s, shared) = app
        .post(
            "/api/v1/macros",
            json!({"title": "Refund approved", "shared": true,
                   "body": "Hi {{customer.name}}, your refund for order {{cf.order_id}} (request #{{conversation.number}}) is on its way. {{agent.name}}"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{shared}");
    assert_eq!(shared["shared"], true);

    // A typo in a placeholder is refused with its name.
    let (s, v) = app
        .post(
            "/api/v1/macros",
            json!({"title": "Typo", "body": "Hi {{customer.nmae}}"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("customer.nmae"), "{v}");

    let (s, filled) = app
        .get(&format!(
            "/api/v1/conversations/{}/macros/{}",
            c["id"], shared["id"]
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{filled}");
    assert_eq!(
        filled["body"],
        format!(
            "Hi Test Customer, your refund for order A-1001 (request #{}) is on its way. Ada Admin",
            c["number"]
        )
    );

    // An agent keeps personal macros; shared ones are for supervisors and admins to change.
    let (_, token) = app.agent("pat@example.com", "agent", &[]).await;
    let (s, mine) = app
        .post_as(
            &token,
            "/api/v1/macros",
            json!({"title": "Mine", "body": "Thanks!"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["shared"], false);
    let (s, _) = app
        .post_as(
            &token,
            "/api/v1/macros",
            json!({"title": "Everyone's", "body": "x", "shared": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .patch_as(
            &token,
            &format!("/api/v1/macros/{}", shared["id"]),
            json!({"title": "Mine now", "body": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, theirs) = app.get_as(&token, "/api/v1/macros").await;
    let titles: Vec<&str> = theirs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["title"].as_str())
        .collect();
    assert_eq!(titles, vec!["Mine", "Refund approved"]);
    let (_, admins) = app.get("/api/v1/macros").await;
    assert_eq!(
        admins.as_array().map(Vec::len),
        Some(1),
        "a personal macro is nobody else's: {admins}"
    );
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/macros/{}", mine["id"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // In the workspace, picking the macro fills the composer.
    let browser = app.admin_browser().await;
    let page = app
        .html(
            &browser,
            &format!("/conversations/{}?macro={}", c["id"], shared["id"]),
        )
        .await;
    assert!(
        page.contains("Hi Test Customer, your refund for order A-1001"),
        "{page}"
    );
    let page = app.html(&browser, "/macros").await;
    assert!(
        page.contains("Refund approved") && page.contains("Add a macro"),
        "{page}"
    );
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/macros", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "Closing"),
            ("body", "Glad we could help, {{customer.name}}."),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.html(&browser, "/macros").await.contains("Closing"));
    app.stop().await;
}
