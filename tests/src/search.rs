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

#[tokio::test]
async fn words_inside_cjk_text_and_the_start_of_the_last_word_are_found() {
    let app = spawn_app().await;
    let c = app
        .conversation(
            "mei@example.com",
            "订单问题",
            "我的订单没有到 after descaling",
        )
        .await;
    for q in ["订单", "没有", "descal", "订单 descaling", "Descaling"] {
        let (_, r) = app.get(&format!("/api/v1/search?q={q}")).await;
        assert_eq!(
            r["conversations"][0]["conversation"]["id"], c["id"],
            "{q} finds the conversation: {r}"
        );
    }
    let (_, r) = app.get("/api/v1/search?q=单订").await;
    assert_eq!(
        r["conversations"].as_array().map(Vec::len),
        Some(0),
        "CJK characters must be adjacent and in order"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_renamed_subject_is_found_by_its_new_words_only() {
    let app = spawn_app().await;
    let c = app
        .conversation("ren@example.com", "Broken kettle", "it stopped")
        .await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/conversations/{}", c["id"]),
            json!({"subject": "Cracked teapot"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, r) = app.get("/api/v1/search?q=kettle").await;
    assert_eq!(r["conversations"].as_array().map(Vec::len), Some(0), "{r}");
    let (_, r) = app.get("/api/v1/search?q=teapot").await;
    assert_eq!(r["conversations"][0]["conversation"]["id"], c["id"]);
    app.stop().await;
}

#[tokio::test]
async fn many_conversations_opened_at_once_all_land_and_are_searchable() {
    let app = spawn_app().await;
    let shared = &app;
    let opened = futures_util::future::join_all((0..40).map(|i| async move {
        shared
            .conversation(
                &format!("crowd{i}@example.com"),
                &format!("Crowd {i}"),
                &format!("marker{i} arrived together"),
            )
            .await
    }))
    .await;
    let mut ids: Vec<i64> = opened.iter().filter_map(|c| c["id"].as_i64()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    for i in [0, 17, 39] {
        let (_, r) = app.get(&format!("/api/v1/search?q=marker{i}")).await;
        assert_eq!(r["conversations"].as_array().map(Vec::len), Some(1), "{r}");
        assert_eq!(r["conversations"][0]["conversation"]["id"], opened[i]["id"]);
    }
    app.stop().await;
}
