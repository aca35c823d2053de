//! One-stop ownership: a transfer moves a conversation with a reason, the previous owner keeps
//! following it (and so can still open it) and gets a follow-up that falls due when the new
//! owner solves it, or after a set time through the durable scheduler.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn tasks_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, tasks) = app.get_as(token, "/api/v1/tasks").await;
    assert_eq!(s, StatusCode::OK, "{tasks}");
    tasks.as_array().expect("tasks").clone()
}

#[tokio::test]
async fn a_transfer_keeps_the_previous_owner_following_with_a_follow_up_due_when_solved() {
    let app = spawn_app().await;
    let first_line = app.team("First line").await;
    let billing = app.team("Billing").await;
    let (alice, alice_token) = app
        .agent("alice@test.example", "agent", &[first_line])
        .await;
    let (bob, bob_token) = app.agent("bob@test.example", "agent", &[billing]).await;
    let c = app
        .conversation(
            "payer@test.example",
            "Charged twice",
            "I paid twice this month",
        )
        .await;
    let id = c["id"].as_i64().expect("id");
    let (s, _) = app
        .patch(
            &format!("/api/v1/conversations/{id}"),
            json!({"team_id": first_line, "assignee_id": alice}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Bad transfers are refused with the reason.
    for (body, says) in [
        (json!({"team_id": billing, "reason": "  "}), "reason"),
        (json!({"reason": "nowhere"}), "team"),
        (
            json!({"team_id": billing, "reason": "x", "follow_up": "later"}),
            "follow_up",
        ),
        (
            json!({"team_id": billing, "reason": "x", "follow_up": "after"}),
            "minutes",
        ),
    ] {
        let (s, p) = app
            .post_as(
                &alice_token,
                &format!("/api/v1/conversations/{id}/transfer"),
                body.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert!(p.to_string().contains(says), "{body} → {p}");
    }

    let (s, moved) = app
        .post_as(
            &alice_token,
            &format!("/api/v1/conversations/{id}/transfer"),
            json!({"team_id": billing, "assignee_id": bob, "reason": "Needs a refund from billing"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["team_id"].as_i64(), moved["assignee_id"].as_i64()),
        (Some(billing), Some(bob))
    );
    let (_, events) = app.get(&format!("/api/v1/conversations/{id}/events")).await;
    let transferred: Vec<&Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "conversation.transferred")
        .collect();
    assert_eq!(transferred.len(), 1, "{events}");
    assert_eq!(
        transferred[0]["data"]["reason"],
        "Needs a refund from billing"
    );
    assert_eq!(transferred[0]["data"]["follower"], alice);

    // Alice is no longer in the team or the assignee, but follows it and can still open it.
    let (s, seen) = app
        .get_as(&alice_token, &format!("/api/v1/conversations/{id}"))
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the previous owner still sees it: {seen}"
    );
    let (_, mine) = app.get_as(&alice_token, "/api/v1/conversations").await;
    assert!(mine.to_string().contains("Charged twice"), "{mine}");
    let tasks = tasks_of(&app, &alice_token).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["due_on_solve"], true);
    assert!(tasks[0]["due_at"].is_null());
    assert!(
        tasks[0]["title"]
            .as_str()
            .unwrap_or_default()
            .contains("Check back")
    );
    assert!(tasks_of(&app, &bob_token).await.is_empty());

    // Bob solves it: Alice's follow-up falls due, she is told on the conversation.
    let (s, _) = app
        .post_as(
            &bob_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"body": "Refunded the second charge.", "status": "solved"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let tasks = tasks_of(&app, &alice_token).await;
    assert!(
        tasks[0]["due_at"].is_string(),
        "due at the solve: {tasks:?}"
    );
    let mut told = false;
    for _ in 0..50 {
        let tasks = tasks_of(&app, &alice_token).await;
        if tasks[0]["notified_at"].is_string() {
            told = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(told, "the task.due job ran");
    let (_, events) = app.get(&format!("/api/v1/conversations/{id}/events")).await;
    assert!(events.to_string().contains("\"task.due\""), "{events}");

    // Done: it leaves her open list; someone else's task is not Bob's to close.
    let task_id = tasks[0]["id"].as_i64().expect("task id");
    let (s, _) = app
        .patch_as(
            &bob_token,
            &format!("/api/v1/tasks/{task_id}"),
            json!({"done": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, done) = app
        .patch_as(
            &alice_token,
            &format!("/api/v1/tasks/{task_id}"),
            json!({"done": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert!(done["done_at"].is_string());
    assert!(tasks_of(&app, &alice_token).await.is_empty());

    // The pages show it.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, &format!("/conversations/{id}")).await;
    assert!(page.contains("transferred it to bob"), "{page}");
    assert!(page.contains("Needs a refund from billing"), "{page}");
    assert!(page.contains("Follow-ups"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_timed_follow_up_falls_due_through_the_scheduler_and_shows_in_the_inbox() {
    let app = spawn_app().await;
    let team = app.team("Support").await;
    let (_, token) = app.agent("carol@test.example", "agent", &[team]).await;
    let c = app
        .conversation("late@test.example", "Parcel missing", "Where is it?")
        .await;
    let id = c["id"].as_i64().expect("id");
    let (s, _) = app
        .patch(
            &format!("/api/v1/conversations/{id}"),
            json!({"team_id": team}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, task) = app
        .post_as(
            &token,
            &format!("/api/v1/conversations/{id}/tasks"),
            json!({"title": "Ask the courier", "follow_up": "after", "follow_up_minutes": 60}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{task}");
    assert!(task["due_at"].is_string());
    let (s, p) = app
        .post_as(
            &token,
            &format!("/api/v1/conversations/{id}/tasks"),
            json!({"title": "Never", "follow_up": "none"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // A transfer to the team's queue with a follow-up in one minute.
    let (s, moved) = app
        .post_as(
            &token,
            &format!("/api/v1/conversations/{id}/transfer"),
            json!({"team_id": app.team("Couriers").await, "reason": "Courier desk handles this",
                   "follow_up": "after", "follow_up_minutes": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert!(
        moved["assignee_id"].is_null(),
        "into the team's queue: {moved}"
    );
    let tasks = tasks_of(&app, &token).await;
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert_eq!(
        tasks[0]["title"], "Check back with Test Customer about #1",
        "soonest first"
    );
    // Pull the transfer's follow-up in to now, as if the minute had passed.
    let follow_up = tasks[0]["id"].as_i64().expect("task id");
    let mut tx = app.engine.store.write().await.expect("tx");
    let now = steward_store::now_ms();
    steward_store::jobs::schedule(
        &mut tx,
        "task.due",
        Some(&format!("task:{follow_up}")),
        &json!({"task_id": follow_up}).to_string(),
        now,
        now,
    )
    .await
    .expect("reschedule");
    tx.commit().await.expect("commit");
    app.engine.scheduler.wake();
    let mut told = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if tasks_of(&app, &token).await[0]["notified_at"].is_string() {
            told = true;
            break;
        }
    }
    assert!(told, "the timed follow-up fell due");
    let browser = crate::workspace::sign_in(&app, "carol@test.example", "agent password 1").await;
    let inbox = app.html(&browser, "/inbox").await;
    assert!(
        inbox.contains("Your follow-ups") && inbox.contains("Ask the courier"),
        "{inbox}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_previous_owner_hears_live_of_the_conversation_they_now_only_follow() {
    let app = spawn_app().await;
    let first_line = app.team("First line").await;
    let billing = app.team("Billing").await;
    let (alice, alice_token) = app
        .agent("alice@test.example", "agent", &[first_line])
        .await;
    let c = app
        .conversation("payer@test.example", "Charged twice", "Twice!")
        .await;
    let id = c["id"].as_i64().expect("id");
    app.patch(
        &format!("/api/v1/conversations/{id}"),
        json!({"team_id": first_line, "assignee_id": alice}),
    )
    .await;
    let (s, _) = app
        .post_as(
            &alice_token,
            &format!("/api/v1/conversations/{id}/transfer"),
            json!({"team_id": billing, "reason": "Billing refunds"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let unfollowed = app
        .conversation("other@test.example", "Not hers", "x")
        .await;
    app.patch(
        &format!("/api/v1/conversations/{}", unfollowed["id"]),
        json!({"team_id": billing}),
    )
    .await;

    let browser = crate::workspace::sign_in(&app, "alice@test.example", "agent password 1").await;
    let mut stream = browser
        .get(format!("{}/live", app.base))
        .send()
        .await
        .expect("live")
        .bytes_stream();
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.post(
        &format!("/api/v1/conversations/{}/messages", unfollowed["id"]),
        json!({"body": "not for alice"}),
    )
    .await;
    app.post(
        &format!("/api/v1/conversations/{id}/messages"),
        json!({"body": "Refund sent"}),
    )
    .await;
    // Events arrive in order: the other team's conversation, had it been sent, came first.
    let seen =
        crate::workspace::read_until(&mut stream, &format!("\"conversation_id\":{id}")).await;
    assert!(
        seen.contains(&format!("\"conversation_id\":{id}")),
        "a follower hears of the conversation in another team: {seen}"
    );
    assert!(
        !seen.contains(&format!("\"conversation_id\":{}", unfollowed["id"])),
        "nothing of one she neither owns nor follows: {seen}"
    );
    app.stop().await;
}
