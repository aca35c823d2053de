//! What an inbox adds to its team's way of working: a routing mode over the team's for the
//! conversations that came through it, and a calendar their SLAs count business hours by;
//! both settable for inboxes of the config file, over the API and on the admin page.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) const INBOX: &str = "help@acme.test";

pub(crate) async fn open(app: &TestApp, email: &str, extra: Value) -> Value {
    let mut body = json!({"customer": {"email": email}, "subject": format!("Help {email}"),
                          "message": {"body": "Hello"}});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    let (s, c) = app.post("/api/v1/conversations", body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["conversation"].clone()
}

/// A calendar open all week but for holidays today and tomorrow (UTC): closed now, whenever
/// the test runs.
pub(crate) async fn closed_calendar(app: &TestApp) -> i64 {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let tomorrow = today.tomorrow().expect("tomorrow");
    let all_day = json!([["00:00", "24:00"]]);
    let hours: Value = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), all_day.clone()))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let (s, cal) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Closed for the holidays", "time_zone": "UTC", "hours": hours,
                   "holidays": [{"date": today.to_string(), "name": "Off"},
                                {"date": tomorrow.to_string(), "name": "Off too"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cal}");
    cal["id"].as_i64().expect("calendar id")
}

#[tokio::test]
async fn an_inbox_routes_its_conversations_its_own_way_over_its_teams_mode() {
    let app = spawn_app_with(|c| c.email = one_inbox(INBOX)).await;
    let desk = app.team("Desk").await;
    let (agent, token) = app.agent("ada@test.example", "agent", &[desk]).await;
    let (s, _) = app
        .put_as(
            &token,
            "/api/v1/me/availability",
            json!({"availability": "online"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let path = format!("/api/v1/inboxes/{INBOX}/settings");
    let (s, now) = app.get(&path).await;
    assert_eq!(
        (s, now),
        (
            StatusCode::OK,
            json!({"calendar_id": null, "routing": null})
        ),
        "an inbox follows its team until told otherwise"
    );

    // The team hands out by hand; its inbox round robin.
    let (s, set) = app
        .put_as(
            &app.token,
            &path,
            json!({"routing": "round_robin", "calendar_id": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set["routing"], "round_robin");

    let by_inbox = open(
        &app,
        "one@test.example",
        json!({"team_id": desk, "inbox": "HELP@acme.test"}),
    )
    .await;
    assert_eq!(by_inbox["inbox"], INBOX);
    assert_eq!(
        by_inbox["assignee_id"].as_i64(),
        Some(agent),
        "routed by the inbox's mode: {by_inbox}"
    );
    let by_api = open(&app, "two@test.example", json!({"team_id": desk})).await;
    assert_eq!(
        by_api["assignee_id"],
        Value::Null,
        "the team routes by hand: {by_api}"
    );

    // And the other way round: the team routes, the inbox keeps its conversations manual.
    let (s, _) = app
        .put_as(
            &app.token,
            &format!("/api/v1/teams/{desk}/routing"),
            json!({"mode": "load_balanced"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.put_as(
        &app.token,
        &path,
        json!({"routing": "manual", "calendar_id": null}),
    )
    .await;
    let manual = open(
        &app,
        "three@test.example",
        json!({"team_id": desk, "inbox": INBOX}),
    )
    .await;
    assert_eq!(manual["assignee_id"], Value::Null, "{manual}");
    // The team's own waiting conversation was handed out when the team began routing.
    let mut waiting = Value::Null;
    for _ in 0..40 {
        waiting = app
            .get(&format!("/api/v1/conversations/{}", by_api["id"]))
            .await
            .1;
        if !waiting["assignee_id"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(waiting["assignee_id"].as_i64(), Some(agent), "{waiting}");

    // Bad input: an unknown inbox, mode or calendar; an agent.
    let (s, _) = app
        .put_as(
            &app.token,
            "/api/v1/inboxes/nobody@acme.test/settings",
            json!({"routing": null, "calendar_id": null}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app
        .put_as(
            &app.token,
            &path,
            json!({"routing": "random", "calendar_id": null}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = app
        .put_as(
            &app.token,
            &path,
            json!({"routing": null, "calendar_id": 999}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("calendar 999"),
        "{p}"
    );
    let (s, _) = app
        .put_as(&token, &path, json!({"routing": null, "calendar_id": null}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, p) = app
        .post(
            "/api/v1/conversations",
            json!({"customer": {"email": "x@test.example"}, "subject": "Hi",
                   "message": {"body": "Hello"}, "inbox": "nowhere@acme.test"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    app.stop().await;
}

#[tokio::test]
async fn an_inboxs_calendar_counts_the_sla_of_its_conversations_and_cannot_be_removed_while_used() {
    let app = spawn_app_with(|c| c.email = one_inbox(INBOX)).await;
    let closed = closed_calendar(&app).await;
    let (_, always) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Every hour", "time_zone": "UTC",
                   "hours": {"mon": [["00:00", "24:00"]], "tue": [["00:00", "24:00"]],
                             "wed": [["00:00", "24:00"]], "thu": [["00:00", "24:00"]],
                             "fri": [["00:00", "24:00"]], "sat": [["00:00", "24:00"]],
                             "sun": [["00:00", "24:00"]]}}),
        )
        .await;
    let (s, p) = app
        .post(
            "/api/v1/sla-policies",
            json!({"name": "Everyone", "targets": {"first_response_minutes": 60},
                   "calendar_id": always["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, set) = app
        .put_as(
            &app.token,
            &format!("/api/v1/inboxes/{INBOX}/settings"),
            json!({"routing": null, "calendar_id": closed}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{set}");

    let now = steward_store::now_ms();
    let due = |c: &Value| -> i64 {
        let at = c["sla"]["due_at"].as_str().expect("due");
        at.parse::<jiff::Timestamp>()
            .expect("a time")
            .as_millisecond()
    };
    let in_inbox = open(&app, "one@test.example", json!({"inbox": INBOX})).await;
    let elsewhere = open(&app, "two@test.example", json!({})).await;
    let hour = 3_600_000;
    let elsewhere_due = due(&elsewhere);
    assert!(
        (elsewhere_due - now - hour).abs() < 60_000,
        "without an inbox the policy's calendar counts: an hour from now ({elsewhere})"
    );
    assert!(
        due(&in_inbox) - now >= 24 * hour,
        "the inbox's calendar is closed today and tomorrow, so the hour starts after: {in_inbox}"
    );

    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/calendars/{closed}"),
            Some(&app.token),
            None,
        )
        .await;
    let p = assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    assert!(
        p["detail"].as_str().unwrap_or_default().contains(INBOX),
        "{p}"
    );

    // The admin page sets the same, for an inbox of the config file too.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/inboxes").await;
    assert!(
        page.contains("Save hours and routing") && page.contains("Closed for the holidays"),
        "{page}"
    );
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/admin/inboxes/settings", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("address", INBOX),
            ("calendar", ""),
            ("routing", "load_balanced"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now_set) = app.get(&format!("/api/v1/inboxes/{INBOX}/settings")).await;
    assert_eq!(
        now_set,
        json!({"calendar_id": null, "routing": "load_balanced"})
    );
    // With the calendar gone from the inbox, its conversation's clock is counted again.
    let mut again = Value::Null;
    for _ in 0..60 {
        again = app
            .get(&format!("/api/v1/conversations/{}", in_inbox["id"]))
            .await
            .1;
        if due(&again) - now < 2 * hour {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(due(&again) - now < 2 * hour, "{again}");
    app.stop().await;
}
