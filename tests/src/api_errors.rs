//! Bad input gets a clear problem+json and changes nothing.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_request_without_a_token_is_401_problem_json() {
    let app = spawn_app().await;
    let res = app
        .request(Method::GET, "/api/v1/conversations", None, None)
        .await;
    assert_eq!(
        res.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = app
        .request(
            Method::GET,
            "/api/v1/conversations",
            Some("stw_wrong"),
            None,
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    app.stop().await;
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_422_and_malformed_json_is_400() {
    let app = spawn_app().await;
    let res = app
        .request(Method::POST, "/api/v1/conversations", Some(&app.token), Some(json!({"customer": {"email": "a@example.com"}, "subject": "s", "message": {"body": "b"}, "colour": "red"})))
        .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert!(p["detail"].as_str().unwrap_or("").contains("colour"), "{p}");
    let res = app.request(Method::POST, "/api/v1/conversations", Some(&app.token), Some(json!({"customer": {"email": "a@example.com"}, "subject": 12, "message": {"body": "b"}}))).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let res = app
        .client
        .post(format!("{}/api/v1/conversations", app.base))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_problem(res, StatusCode::BAD_REQUEST, "bad-request").await;
    let (_, list) = app.get("/api/v1/conversations").await;
    assert_eq!(
        list["data"].as_array().map(Vec::len),
        Some(0),
        "nothing was created"
    );
    app.stop().await;
}

#[tokio::test]
async fn over_long_strings_and_bad_values_are_422_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .request(Method::POST, "/api/v1/conversations", Some(&app.token), Some(json!({"customer": {"email": "a@example.com"}, "subject": "x".repeat(501), "message": {"body": "b"}})))
        .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(p["field"], "subject");
    let res = app
        .request(Method::POST, "/api/v1/conversations", Some(&app.token), Some(json!({"customer": {"email": "not-an-email"}, "subject": "s", "message": {"body": "b"}})))
        .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(p["field"], "customer.email");
    let res = app
        .request(Method::POST, "/api/v1/conversations", Some(&app.token), Some(json!({"customer": {"email": "a@example.com"}, "subject": "s", "message": {"body": "b"}, "priority": "asap"})))
        .await;
    let p = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(p["field"], "priority");
    let (_, customers) = app.get("/api/v1/customers").await;
    assert_eq!(
        customers["data"].as_array().map(Vec::len),
        Some(0),
        "no half-written customer"
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404_problem_json() {
    let app = spawn_app().await;
    let res = app
        .request(
            Method::GET,
            "/api/v1/conversations/999",
            Some(&app.token),
            None,
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not-found").await;
    let res = app
        .request(Method::GET, "/api/v1/nothing-here", Some(&app.token), None)
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not-found").await;
    let res = app
        .request(
            Method::PATCH,
            "/api/v1/conversations/1",
            Some(&app.token),
            Some(json!({"assignee_id": 4242})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn each_problem_type_has_a_page_that_explains_it() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/problems/validation", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap_or_default().contains("field"));
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_id_is_400_and_a_wrong_method_is_405_both_problem_json() {
    let app = spawn_app().await;
    let res = app
        .request(
            Method::GET,
            "/api/v1/conversations/abc",
            Some(&app.token),
            None,
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "bad-request").await;
    let res = app
        .request(
            Method::DELETE,
            "/api/v1/conversations",
            Some(&app.token),
            None,
        )
        .await;
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "bad-request").await;
    let res = app
        .request(
            Method::PATCH,
            "/api/v1/conversations/1",
            Some(&app.token),
            Some(json!({"colour": "red"})),
        )
        .await;
    assert!(
        res.status() == StatusCode::UNPROCESSABLE_ENTITY,
        "unknown PATCH fields are refused"
    );
    app.stop().await;
}
