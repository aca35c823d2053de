//! Authorization: admins do everything, supervisors see every conversation, agents the
//! conversations of their teams and those assigned to them. Every write is logged with its
//! actor.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_agent_cannot_see_or_change_another_teams_conversation() {
    let app = spawn_app().await;
    let mine = app.team("Mine").await;
    let other = app.team("Other").await;
    let (agent_id, token) = app.agent("a@example.com", "agent", &[mine]).await;
    let c = app.conversation("c@example.com", "Other team", "x").await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    app.patch(&path, json!({"team_id": other})).await;
    let res = app.request(Method::GET, &path, Some(&token), None).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not-found").await;
    let res = app
        .request(
            Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"status": "solved"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .request(
            Method::POST,
            &format!("{path}/messages"),
            Some(&token),
            Some(json!({"body": "sneaky"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, list) = app.get_as(&token, "/api/v1/conversations").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));
    let (_, unchanged) = app.get(&path).await;
    assert_eq!(unchanged["status"], "new");
    assert_eq!(unchanged["message_count"], 1);
    // Assigned to the agent, it becomes visible even in another team.
    app.patch(&path, json!({"assignee_id": agent_id})).await;
    let (s, _) = app.get_as(&token, &path).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_supervisor_sees_every_conversation_but_cannot_administer() {
    let app = spawn_app().await;
    let t = app.team("T").await;
    let (_, token) = app.agent("s@example.com", "supervisor", &[]).await;
    let c = app.conversation("c@example.com", "Anywhere", "x").await;
    app.patch(
        &format!("/api/v1/conversations/{}", c["id"]),
        json!({"team_id": t}),
    )
    .await;
    let (s, _) = app
        .get_as(&token, &format!("/api/v1/conversations/{}", c["id"]))
        .await;
    assert_eq!(s, StatusCode::OK);
    let res = app
        .request(
            Method::POST,
            "/api/v1/tags",
            Some(&token),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .request(
            Method::POST,
            "/api/v1/agents",
            Some(&token),
            Some(json!({"email": "n@example.com", "name": "N", "role": "admin"})),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    // The email setup and its connection test are for admins too.
    let res = app
        .request(Method::GET, "/api/v1/inboxes", Some(&token), None)
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .request(
            Method::POST,
            "/api/v1/inboxes",
            Some(&token),
            Some(json!({"address": "mine@example.com", "name": "Mine"})),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    app.stop().await;
}

#[tokio::test]
async fn every_write_is_in_the_event_log_with_its_actor() {
    let app = spawn_app().await;
    let t = app.team("Mine").await;
    let (agent_id, token) = app.agent("w@example.com", "agent", &[t]).await;
    let c = app.conversation("c@example.com", "Logged", "x").await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    app.patch(&path, json!({"team_id": t})).await;
    let (s, _) = app
        .post_as(
            &token,
            &format!("{path}/messages"),
            json!({"body": "note", "visibility": "internal"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .patch_as(&token, &path, json!({"priority": "urgent"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, events) = app.get(&format!("{path}/events")).await;
    let by_agent: Vec<&str> = events
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["actor_id"] == agent_id && e["actor_kind"] == "user")
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(by_agent, vec!["message.created", "priority.changed"]);
    app.stop().await;
}

#[tokio::test]
async fn api_tokens_and_passwords_are_never_stored_in_the_clear() {
    let app = spawn_app().await;
    let store = app.engine.store.clone();
    let hashes: Vec<(String,)> = steward_store::sql::Sql::new("SELECT token_hash FROM api_tokens")
        .query_as()
        .fetch_all(store.pool())
        .await
        .expect("query");
    assert!(
        hashes
            .iter()
            .all(|(h,)| h.len() == 64 && !h.starts_with("stw_"))
    );
    assert!(!hashes.iter().any(|(h,)| *h == app.token));
    let pw: Vec<(String,)> = steward_store::sql::Sql::new("SELECT password_hash FROM users")
        .query_as()
        .fetch_all(store.pool())
        .await
        .expect("query");
    assert!(pw.iter().all(|(h,)| h.starts_with("$argon2id$")));
    app.stop().await;
}

#[tokio::test]
async fn a_transfer_out_of_sight_answers_with_what_was_saved() {
    let app = spawn_app().await;
    let mine = app.team("Mine").await;
    let other = app.team("Other").await;
    let (_, token) = app.agent("t@example.com", "agent", &[mine]).await;
    let c = app.conversation("c@example.com", "Transfer me", "x").await;
    let path = format!("/api/v1/conversations/{}", c["id"]);
    app.patch(&path, json!({"team_id": mine})).await;
    let (s, v) = app.patch_as(&token, &path, json!({"team_id": other})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["team_id"], other);
    let (s, _) = app.get_as(&token, &path).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "and now it is another team's");
    app.stop().await;
}
