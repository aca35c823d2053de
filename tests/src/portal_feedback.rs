//! Measurement through the portal: a solved request's satisfaction survey answered on the
//! request's page (the same survey the mail links to), and feedback sent by a signed-in
//! customer, which joins their history without asking for their address.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use crate::portal::{csrf_in, customer_signs_in, get_page, post_form, request_of};
use crate::satisfaction::solve_and_survey;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_customer_rates_a_solved_request_in_the_portal_and_may_change_the_answer() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let (s, _) = app
        .put_as(
            &app.token,
            "/api/v1/settings/satisfaction",
            json!({"enabled": true, "scale": "five_point", "delay_minutes": 0,
                   "ask_again_after_days": 0, "channels": ["email", "web"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (id, number) = request_of(&app, "ann@acme.test", "Grinder noise").await;
    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let path = format!("/portal/requests/{number}");
    let (_, page) = get_page(&ann, &app, &path).await;
    assert!(
        !page.contains("id=\"rating\""),
        "no survey before one was sent"
    );

    assert!(solve_and_survey(&app, id).await.is_some());
    let (_, page) = get_page(&ann, &app, &path).await;
    assert!(
        page.contains("id=\"rating\"") && page.contains("Solved"),
        "{page}"
    );
    let csrf = csrf_in(&page);
    let rating = format!("{path}/rating");
    let res = post_form(&ann, &app, &rating, &[("_csrf", &csrf), ("rating", "9")]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not on the scale"
    );
    let res = post_form(
        &ann,
        &app,
        &rating,
        &[("_csrf", &csrf), ("rating", "2"), ("comment", "Still loud")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap_or_default()
            .contains("Thank you for your answer")
    );
    let res = post_form(&ann, &app, &rating, &[("_csrf", &csrf), ("rating", "4")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, survey) = app
        .get(&format!("/api/v1/conversations/{id}/satisfaction"))
        .await;
    assert_eq!(survey["rating"], 4, "{survey}");

    // Bob cannot rate Ann's request.
    let bob = customer_signs_in(&app, &relay, "bob@acme.test", 1).await;
    let (_, own) = get_page(&bob, &app, "/portal").await;
    let res = post_form(
        &bob,
        &app,
        &rating,
        &[("_csrf", &csrf_in(&own)), ("rating", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, survey) = app
        .get(&format!("/api/v1/conversations/{id}/satisfaction"))
        .await;
    assert_eq!(survey["rating"], 4);
}

#[tokio::test]
async fn feedback_from_a_signed_in_customer_joins_their_history_without_asking_who_they_are() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let (s, form) = get_page(&ann, &app, "/help/feedback").await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("You are sending as") && form.contains("ann@acme.test"));
    assert!(!form.contains("name=\"email\""), "no address asked");
    let res = post_form(
        &ann,
        &app,
        "/help/feedback",
        &[
            ("kind", "suggestion"),
            ("body", "Dark mode please"),
            ("_csrf", "forged"),
        ],
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a forged post sends nothing as Ann"
    );
    let res = post_form(
        &ann,
        &app,
        "/help/feedback",
        &[
            ("kind", "suggestion"),
            ("body", "Dark mode please"),
            ("_csrf", &csrf_in(&form)),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, items) = app.get("/api/v1/feedback").await;
    let item = &items[0];
    assert_eq!(item["body"], "Dark mode please", "{items}");
    assert_eq!(item["source"], "portal");
    assert_eq!(item["email"], "ann@acme.test");
    assert!(item["customer_id"].as_i64().is_some());
}
