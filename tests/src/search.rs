//! Full-text search inside the database: subjects, bodies, customer names and emails;
//! ranked; respecting who may see what.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn search_finds_subjects_bodies_and_customers() {
    let app = spawn_app().await;
    let a = app
        .conversation(
            "olga@example.com",
            "Espresso machine leaks",
            "Water everywhere after descaling",
        )
        .await;
    app.conversation(
        "bob@example.com",
        "Invoice question",
        "Where is my invoice?",
    )
    .await;
    let (s, r) = app.get("/api/v1/search?q=descaling").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["conversations"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["conversations"][0]["conversation"]["id"], a["id"]);
    assert!(
        r["conversations"][0]["snippet"]
            .as_str()
            .unwrap_or("")
            .contains("descaling")
    );
    let (_, r) = app.get("/api/v1/search?q=ESPRESSO").await;
    assert_eq!(
        r["conversations"][0]["conversation"]["id"], a["id"],
        "case does not matter"
    );
    let (_, r) = app.get("/api/v1/search?q=olga@example.com").await;
    assert_eq!(r["customers"][0]["email"], "olga@example.com");
    assert_eq!(
        r["conversations"][0]["conversation"]["id"], a["id"],
        "a customer's conversations are found by the customer"
    );
    let (_, r) = app.get("/api/v1/search?q=nothing-like-this").await;
    assert_eq!(r["conversations"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}

#[tokio::test]
async fn new_messages_are_searchable_at_once() {
    let app = spawn_app().await;
    let c = app.conversation("x@example.com", "Hello", "first").await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", c["id"]),
        json!({"body": "the tracking number is ZX81"}),
    )
    .await;
    let (_, r) = app.get("/api/v1/search?q=tracking").await;
    assert_eq!(r["conversations"][0]["conversation"]["id"], c["id"]);
    app.stop().await;
}

#[tokio::test]
async fn search_respects_what_an_agent_may_see() {
    let app = spawn_app().await;
    let mine = app.team("Mine").await;
    let other = app.team("Other").await;
    let (_, token) = app.agent("a@example.com", "agent", &[mine]).await;
    let c1 = app
        .conversation("p@example.com", "Parrot food", "about parrots")
        .await;
    let c2 = app
        .conversation("q@example.com", "Parrot cage", "about parrots too")
        .await;
    app.patch(
        &format!("/api/v1/conversations/{}", c1["id"]),
        json!({"team_id": mine}),
    )
    .await;
    app.patch(
        &format!("/api/v1/conversations/{}", c2["id"]),
        json!({"team_id": other}),
    )
    .await;
    let (_, r) = app.get_as(&token, "/api/v1/search?q=parrot").await;
    let ids: Vec<i64> = r["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["conversation"]["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![c1["id"].as_i64().unwrap_or(0)]);
    let (_, r) = app.get("/api/v1/search?q=parrot").await;
    assert_eq!(
        r["conversations"].as_array().map(Vec::len),
        Some(2),
        "the admin sees both"
    );
    app.stop().await;
}

#[tokio::test]
async fn internal_notes_stay_searchable_after_a_merge() {
    let app = spawn_app().await;
    let a = app.conversation("n@example.com", "First", "one").await;
    let b = app.conversation("n@example.com", "Second", "two").await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", a["id"]),
        json!({"body": "escalated to zebrafish team", "visibility": "internal"}),
    )
    .await;
    app.post(
        &format!("/api/v1/conversations/{}/merge", a["id"]),
        json!({"into": b["id"]}),
    )
    .await;
    let (_, r) = app.get("/api/v1/search?q=zebrafish").await;
    assert_eq!(r["conversations"][0]["conversation"]["id"], b["id"]);
    app.stop().await;
}
