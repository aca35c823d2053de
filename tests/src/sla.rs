//! SLA policies: checked when saved, chosen by their conditions in order, counted in business
//! or calendar hours, paused while pending, shown and sorted in the inbox; missed targets are
//! recorded once and escalated, and a durable timer records a breach when it falls due.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use steward_domain::{AuthorKind, Channel, Priority};
use steward_engine::conversation::NewConversationCmd;
use steward_engine::intake::CustomerRef;

const MINUTE: i64 = 60_000;

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    into_json(
        app.request(Method::PUT, path, Some(&app.token), Some(body))
            .await,
    )
    .await
}

async fn policy(app: &TestApp, body: Value) -> i64 {
    let (s, p) = app.post("/api/v1/sla-policies", body).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p["id"].as_i64().expect("policy id")
}

/// Opens a customer's conversation that started `ago_ms` before now (as an import would).
async fn opened_ago(
    app: &TestApp,
    email: &str,
    ago_ms: i64,
    set: impl FnOnce(&mut NewConversationCmd),
) -> i64 {
    let mut cmd = NewConversationCmd::from_customer(
        CustomerRef {
            id: None,
            email: Some(email.into()),
            phone: None,
            name: None,
        },
        "Where is my order?",
        "It has been a week.",
        Channel::Email,
    );
    cmd.at = Some(steward_store::now_ms() - ago_ms);
    set(&mut cmd);
    app.engine
        .create_conversation(None, cmd)
        .await
        .expect("conversation opens")
        .id
}

#[tokio::test]
async fn sla_policies_with_a_zero_target_or_unknown_parts_are_refused_when_saved() {
    let app = spawn_app().await;
    for (body, field) in [
        (
            json!({"name": "Zero", "targets": {"first_response_minutes": 0}}),
            "targets.first_response",
        ),
        (json!({"name": "Nothing", "targets": {}}), "targets"),
        (
            json!({"name": "Late warning", "targets": {"first_response_minutes": 30}, "warn_minutes": 30}),
            "warn_minutes",
        ),
        (
            json!({"name": "No such calendar", "targets": {"resolution_minutes": 60}, "calendar_id": 999}),
            "calendar_id",
        ),
        (
            json!({"name": "No such team", "targets": {"resolution_minutes": 60}, "escalation": {"reassign_team_id": 999}}),
            "escalation.reassign_team_id",
        ),
        (
            json!({"name": "Bad priority", "targets": {"resolution_minutes": 60}, "conditions": {"priorities": ["asap"]}}),
            "priority",
        ),
    ] {
        let (s, p) = app.post("/api/v1/sla-policies", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert!(p.to_string().contains(field), "{body} → {p}");
    }
    let (s, list) = app.get("/api/v1/sla-policies").await;
    assert_eq!((s, list), (StatusCode::OK, json!([])), "nothing was saved");

    policy(
        &app,
        json!({"name": "Standard", "targets": {"first_response_minutes": 60}}),
    )
    .await;
    let (s, p) = app
        .post(
            "/api/v1/sla-policies",
            json!({"name": "standard", "targets": {"first_response_minutes": 60}}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");

    let (_, agent) = app.agent("plain@test.example", "agent", &[]).await;
    let (s, p) = app
        .post_as(
            &agent,
            "/api/v1/sla-policies",
            json!({"name": "Mine", "targets": {"first_response_minutes": 60}}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");

    // A calendar a policy counts in cannot be removed.
    let (_, cal) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Desk", "time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}),
        )
        .await;
    let cal = cal["id"].as_i64().expect("calendar");
    policy(
        &app,
        json!({"name": "Office", "targets": {"resolution_minutes": 600}, "calendar_id": cal}),
    )
    .await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/calendars/{cal}"),
            Some(&app.token),
            None,
        )
        .await;
    let p = assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    assert!(
        p["detail"].as_str().unwrap_or_default().contains("Office"),
        "{p}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_first_matching_policy_sets_targets_that_pause_while_pending_and_sort_the_inbox() {
    let app = spawn_app().await;
    let urgent = policy(
        &app,
        json!({"name": "Urgent", "conditions": {"priorities": ["urgent"]},
               "targets": {"first_response_minutes": 30, "next_response_minutes": 20}}),
    )
    .await;
    let everyone = policy(
        &app,
        json!({"name": "Everyone", "targets": {"first_response_minutes": 240, "resolution_minutes": 2880}}),
    )
    .await;
    let calm = app
        .conversation("calm@test.example", "A question", "Hello")
        .await;
    assert_eq!(calm["sla"]["policy_id"], everyone, "{calm}");
    assert_eq!(calm["sla"]["state"], "ok");
    let (s, fire) = app
        .post(
            "/api/v1/conversations",
            json!({"customer": {"email": "fire@test.example"}, "subject": "Site down",
                   "message": {"body": "Everything is down"}, "priority": "urgent"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{fire}");
    let fire = &fire["conversation"];
    assert_eq!(fire["sla"]["policy_id"], urgent, "{fire}");
    let fire_id = fire["id"].as_i64().expect("id");
    let calm_id = calm["id"].as_i64().expect("id");

    let (_, page) = app.get("/api/v1/conversations?sort=sla_due").await;
    let order: Vec<i64> = page["data"]
        .as_array()
        .expect("page")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    assert_eq!(order, vec![fire_id, calm_id], "soonest due first: {page}");

    let (s, sla) = app
        .get(&format!("/api/v1/conversations/{calm_id}/sla"))
        .await;
    assert_eq!(s, StatusCode::OK, "{sla}");
    let metrics: Vec<&str> = sla["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .filter_map(|c| c["metric"].as_str())
        .collect();
    assert_eq!(metrics, ["first_response", "resolution"], "{sla}");
    assert_eq!(sla["clocks"][0]["target_minutes"], 240);

    // A reply meets first response; pending stops the resolution clock.
    let (s, m) = app
        .post(
            &format!("/api/v1/conversations/{calm_id}/messages"),
            json!({"body": "Happy to help. Which order?", "status": "pending"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (_, sla) = app
        .get(&format!("/api/v1/conversations/{calm_id}/sla"))
        .await;
    assert!(sla["clocks"][0]["met_at"].is_string(), "{sla}");
    assert_eq!(sla["clocks"][1]["paused"], true, "{sla}");
    assert_eq!(sla["state"], "paused");
    let (_, calm) = app.get(&format!("/api/v1/conversations/{calm_id}")).await;
    assert!(calm["sla"]["due_at"].is_null(), "nothing runs: {calm}");

    // Raising the priority moves it under the urgent policy; the customer's answer starts
    // the next-response clock.
    let (s, c) = app
        .patch(
            &format!("/api/v1/conversations/{calm_id}"),
            json!({"priority": "urgent"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["sla"]["policy_id"], urgent, "{c}");
    let mut cmd = steward_engine::conversation::NewMessageCmd::reply("Order 1234");
    cmd.author = AuthorKind::Customer;
    app.engine
        .receive_message(
            calm_id,
            &CustomerRef {
                id: None,
                email: Some("calm@test.example".into()),
                phone: None,
                name: None,
            },
            cmd,
        )
        .await
        .expect("customer answers");
    let (_, sla) = app
        .get(&format!("/api/v1/conversations/{calm_id}/sla"))
        .await;
    let next = sla["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["metric"] == "next_response")
        .cloned()
        .expect("next response runs");
    assert_eq!(next["target_minutes"], 20, "{sla}");
    assert!(next["due_at"].is_string(), "{sla}");
    assert_eq!(sla["state"], "ok", "{sla}");

    // The inbox shows it and offers the order.
    let browser = app.admin_browser().await;
    let inbox = app.html(&browser, "/inbox?view=all&sort=sla_due").await;
    assert!(inbox.contains("SLA due in"), "{inbox}");
    assert!(inbox.contains("SLA due soonest"), "{inbox}");
    let page = app
        .html(&browser, &format!("/conversations/{calm_id}"))
        .await;
    assert!(
        page.contains("Urgent") && page.contains("next response"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_missed_target_is_recorded_once_and_escalated_as_the_policy_says() {
    let app = spawn_app().await;
    let tier1 = app.team("Tier 1").await;
    let tier2 = app.team("Tier 2").await;
    let (owner, _) = app.agent("owner@test.example", "agent", &[tier1]).await;
    let (boss, _) = app.agent("boss@test.example", "supervisor", &[]).await;
    let (s, customer) = app
        .post(
            "/api/v1/customers",
            json!({"name": "Vera", "email": "vera@test.example"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{customer}");
    let customer_id = customer["id"].as_i64().expect("customer");
    let (s, c) = app
        .patch(
            &format!("/api/v1/customers/{customer_id}"),
            json!({"tier": " VIP "}),
        )
        .await;
    assert_eq!((s, &c["tier"]), (StatusCode::OK, &json!("vip")), "{c}");
    policy(
        &app,
        json!({"name": "VIP", "conditions": {"customer_tiers": ["vip"]},
               "targets": {"first_response_minutes": 60},
               "escalation": {"reassign_team_id": tier2, "raise_priority": true, "notify_user_ids": [boss]}}),
    )
    .await;
    let id = opened_ago(&app, "vera@test.example", 2 * 60 * MINUTE, |c| {
        c.team_id = Some(tier1);
        c.assignee_id = Some(owner);
        c.priority = Some(Priority::Normal);
    })
    .await;
    let (_, c) = app.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["sla"]["state"], "breached", "{c}");
    assert_eq!(c["team_id"], tier2, "moved to the escalation team: {c}");
    assert!(c["assignee_id"].is_null(), "{c}");
    assert_eq!(c["priority"], "high", "{c}");
    let breaches = app.events_of(id, "sla.breached").await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0]["data"]["metric"], "first_response");
    let escalated = app.events_of(id, "sla.escalated").await;
    assert_eq!(escalated.len(), 1, "{escalated:?}");
    assert!(
        escalated[0]["data"]["actions"]
            .to_string()
            .contains(&boss.to_string())
    );
    let admin = app
        .engine
        .actor(app.admin_id)
        .await
        .expect("actor")
        .expect("admin");
    let followers = app
        .engine
        .conversation_detail(&admin, id)
        .await
        .expect("detail")
        .followers;
    assert!(followers.contains(&owner), "the owner keeps following");
    let browser = app.admin_browser().await;
    let page = app.html(&browser, &format!("/conversations/{id}")).await;
    assert!(
        page.contains("SLA breached: the first response target of “VIP” was missed"),
        "{page}"
    );
    assert!(
        page.contains("changed priority from normal to high: SLA breach"),
        "{page}"
    );

    // Later changes work the SLA out again but record the breach only once.
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"body": "Looking into it", "visibility": "internal"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"body": "Sorry for the wait!"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(app.events_of(id, "sla.breached").await.len(), 1);
    assert_eq!(app.events_of(id, "sla.escalated").await.len(), 1);
    let (_, c) = app.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["sla"]["state"], "met", "met late: {c}");
    assert!(c["sla"]["breached_at"].is_string(), "{c}");
    app.stop().await;
}

#[tokio::test]
async fn a_durable_timer_records_the_warning_and_the_breach_when_they_fall_due() {
    let app = spawn_app().await;
    policy(
        &app,
        json!({"name": "Fast", "targets": {"first_response_minutes": 60}, "warn_minutes": 10}),
    )
    .await;
    // Due in about three seconds; its warning fell due fifty minutes in.
    let id = opened_ago(&app, "soon@test.example", 60 * MINUTE - 3_000, |_| {}).await;
    let (_, c) = app.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["sla"]["state"], "warning", "{c}");
    assert_eq!(app.events_of(id, "sla.warning").await.len(), 1);
    assert!(app.events_of(id, "sla.breached").await.is_empty());
    let mut state = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, c) = app.get(&format!("/api/v1/conversations/{id}")).await;
        state = c["sla"]["state"].clone();
        if state == "breached" {
            break;
        }
    }
    assert_eq!(state, "breached", "the timer fired");
    assert_eq!(app.events_of(id, "sla.breached").await.len(), 1);
    assert_eq!(app.events_of(id, "sla.warning").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn reordering_policies_works_open_conversations_out_again_and_team_calendars_win() {
    let app = spawn_app().await;
    let (_, mondays) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Mondays", "time_zone": "UTC", "hours": {"mon": [["09:00", "10:00"]]}}),
        )
        .await;
    let (_, tuesdays) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Tuesdays", "time_zone": "Europe/Berlin", "hours": {"tue": [["09:00", "10:00"]]}}),
        )
        .await;
    let (mondays, tuesdays) = (
        mondays["id"].as_i64().expect("id"),
        tuesdays["id"].as_i64().expect("id"),
    );
    let team = app.team("Night shift").await;
    let (s, t) = app
        .patch(
            &format!("/api/v1/teams/{team}"),
            json!({"calendar_id": tuesdays}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let first = policy(
        &app,
        json!({"name": "Around the clock", "targets": {"resolution_minutes": 30}}),
    )
    .await;
    let second = policy(
        &app,
        json!({"name": "Office", "targets": {"resolution_minutes": 30}, "calendar_id": mondays}),
    )
    .await;
    let id = opened_ago(&app, "night@test.example", 0, |c| c.team_id = Some(team)).await;
    let (_, c) = app.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["sla"]["policy_id"], first, "{c}");

    let (s, _) = put(
        &app,
        "/api/v1/sla-policies/order",
        json!({"ids": [second, first]}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, p) = put(&app, "/api/v1/sla-policies/order", json!({"ids": [second]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let mut c = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c = app.get(&format!("/api/v1/conversations/{id}")).await.1;
        if c["sla"]["policy_id"] == second {
            break;
        }
    }
    assert_eq!(c["sla"]["policy_id"], second, "worked out again: {c}");
    // Business hours by the team's calendar (not the policy's Mondays): the target ends in
    // Tuesday's 09:00-10:00 in Berlin.
    let due = c["sla"]["due_at"].as_str().expect("due").to_string();
    let due: jiff::Timestamp = due.parse().expect("timestamp");
    let local = due.to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").expect("zone"));
    assert_eq!(local.weekday(), jiff::civil::Weekday::Tuesday, "{c}");
    assert_eq!(local.hour(), 9, "within the team's hours: {local}");
    app.stop().await;
}

#[tokio::test]
async fn admins_keep_sla_policies_on_their_page() {
    let app = spawn_app().await;
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/sla").await;
    assert!(page.contains("Add a policy"), "{page}");
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/admin/sla", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Email"),
            ("channel", "email"),
            ("priority", "high"),
            ("priority", "urgent"),
            ("first_response", "4h"),
            ("resolution", "2d"),
            ("pause_pending", "1"),
            ("warn", "30"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "saved and sent back to the page"
    );
    let (_, list) = app.get("/api/v1/sla-policies").await;
    assert_eq!(list[0]["name"], "Email", "{list}");
    assert_eq!(list[0]["targets"]["first_response_minutes"], 240);
    assert_eq!(list[0]["targets"]["resolution_minutes"], 2880);
    assert_eq!(
        list[0]["conditions"]["priorities"],
        json!(["high", "urgent"])
    );
    assert_eq!(list[0]["pause_when_pending"], true);
    assert_eq!(list[0]["pause_when_on_hold"], false);
    assert_eq!(list[0]["warn_minutes"], 30);
    let res = browser
        .post(format!("{}/admin/sla", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Zero"),
            ("first_response", "0"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.expect("page");
    assert!(body.contains("at least one minute"), "{body}");
    app.stop().await;
}
