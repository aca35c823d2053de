//! Reports: a hand-counted set of conversations (opened, answered, solved and reopened at set
//! times in October 2026, one in the September before) gives the hand-counted figures for the
//! period and the previous one, as JSON, as CSV and on the page; filters narrow them; only
//! supervisors and admins see them; bad periods are refused.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use steward_domain::{AuthorKind, Channel, Status};
use steward_engine::conversation::{NewConversationCmd, NewMessageCmd};
use steward_engine::intake::CustomerRef;

const MIN: i64 = 60_000;

fn at(day: &str, time: &str) -> i64 {
    format!("{day}T{time}:00Z")
        .parse::<jiff::Timestamp>()
        .expect("time")
        .as_millisecond()
}

fn customer(email: &str) -> CustomerRef {
    CustomerRef {
        id: None,
        email: Some(email.into()),
        phone: None,
        name: None,
    }
}

async fn opened(app: &TestApp, email: &str, when: i64, team_id: Option<i64>) -> i64 {
    let mut cmd = NewConversationCmd::from_customer(
        customer(email),
        "Grinder noise",
        "It grinds.",
        Channel::Email,
    );
    cmd.at = Some(when);
    cmd.team_id = team_id;
    app.engine
        .create_conversation(None, cmd)
        .await
        .expect("opened")
        .id
}

async fn reply(app: &TestApp, id: i64, when: i64, status: Status) {
    let admin = app
        .engine
        .actor(app.admin_id)
        .await
        .expect("actor")
        .expect("admin");
    let mut cmd = NewMessageCmd::reply("Here is what to do.");
    cmd.at = Some(when);
    cmd.status = Some(status);
    app.engine
        .add_message(&admin, id, cmd)
        .await
        .expect("reply");
}

#[tokio::test]
async fn a_hand_counted_month_gives_the_hand_counted_figures_beside_the_previous_period() {
    let app = spawn_app().await;
    let desk = app.team("Desk").await;
    // A: answered and solved in 10 minutes with one reply.
    let a = opened(&app, "a@example.com", at("2026-10-02", "10:00"), None).await;
    reply(&app, a, at("2026-10-02", "10:10"), Status::Solved).await;
    // B: answered after 30 minutes, solved after 60 with a second reply.
    let b = opened(&app, "b@example.com", at("2026-10-03", "09:00"), None).await;
    reply(&app, b, at("2026-10-03", "09:30"), Status::Pending).await;
    reply(&app, b, at("2026-10-03", "10:00"), Status::Solved).await;
    // C: answered and solved after 20 minutes, reopened by the customer, solved again a day on.
    let c = opened(&app, "c@example.com", at("2026-10-04", "08:00"), None).await;
    reply(&app, c, at("2026-10-04", "08:20"), Status::Solved).await;
    let mut again = NewMessageCmd::reply("It grinds again.");
    again.author = AuthorKind::Customer;
    again.at = Some(at("2026-10-05", "09:00"));
    app.engine
        .receive_message(c, &customer("c@example.com"), again)
        .await
        .expect("reopened");
    reply(&app, c, at("2026-10-05", "10:00"), Status::Solved).await;
    // E: waiting, in the Desk team.
    opened(&app, "e@example.com", at("2026-10-06", "12:00"), Some(desk)).await;
    // D: the period before (21–30 September): answered and solved in 40 minutes.
    let d = opened(&app, "d@example.com", at("2026-09-25", "12:00"), None).await;
    reply(&app, d, at("2026-09-25", "12:40"), Status::Solved).await;

    let (s, _) = app
        .patch(
            &format!("/api/v1/conversations/{a}"),
            json!({"assignee_id": app.admin_id, "tags": ["complaint"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Support costs 3,000 a month: the ten days cost 1,000.
    let (s, costs) = app
        .put_as(
            &app.token,
            "/api/v1/settings/costs",
            json!({"monthly_cost": 3000.0, "currency": "EUR"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{costs}");
    let (s, p) = app
        .put_as(
            &app.token,
            "/api/v1/settings/costs",
            json!({"monthly_cost": -1.0}),
        )
        .await;
    assert_eq!(
        (s, &p["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("monthly_cost"))
    );
    let (s, r) = app
        .get("/api/v1/reports/summary?from=2026-10-01&to=2026-10-10")
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let now = &r["current"];
    assert_eq!(
        (&now["created"], &now["solved"]),
        (&json!(4), &json!(3)),
        "{r}"
    );
    // First responses 10, 30, 20 minutes; resolutions 10, 60 and 26 hours.
    assert_eq!(now["first_response_median_ms"], 20 * MIN);
    assert_eq!(now["first_response_p90_ms"], 30 * MIN);
    assert_eq!(now["resolution_median_ms"], 60 * MIN);
    assert_eq!(now["resolution_p90_ms"], 26 * 60 * MIN);
    // Of three solved: A alone in one reply and never reopened; C reopened.
    let third = 100.0 / 3.0;
    assert_eq!(now["first_contact_resolution_pct"], json!(third));
    assert_eq!(now["reopen_pct"], json!(third));
    assert_eq!(now["sla_compliance_pct"], json!(null), "no SLA policy");
    // A was the one complaint, and it is solved.
    assert_eq!(
        (&now["complaints"], &now["complaint_resolution_pct"]),
        (&json!(1), &json!(100.0))
    );
    assert_eq!(now["cost_per_contact"], json!(250.0));
    assert_eq!(now["cost_per_resolution"], json!(1000.0 / 3.0));
    // Four conversations from four customers; D's customer did not come back.
    assert_eq!(now["contacts_per_customer"], json!(1.0));
    assert_eq!(now["retention_pct"], json!(0.0));
    assert_eq!(
        r["agents"],
        json!([{"agent_id": app.admin_id, "solved": 1, "resolution_median_ms": 10 * MIN,
                "first_contact_resolution_pct": 100.0, "csat_pct": null, "csat_answers": 0}])
    );
    // Fri 10:00, Sat 09:00, Sun 08:00, Tue 12:00 (Monday first).
    let hours = &r["busiest_hours"];
    assert_eq!(
        (&hours[4][10], &hours[5][9], &hours[6][8], &hours[1][12]),
        (&json!(1), &json!(1), &json!(1), &json!(1)),
        "{hours}"
    );
    let before = &r["previous"];
    assert_eq!(
        (
            &before["created"],
            &before["solved"],
            &before["first_response_median_ms"]
        ),
        (&json!(1), &json!(1), &json!(40 * MIN)),
        "{r}"
    );
    assert_eq!(
        (&r["from"], &r["to"], &r["tz"]),
        (&json!("2026-10-01"), &json!("2026-10-10"), &json!("UTC"))
    );

    // Filters narrow every figure.
    let (_, team) = app
        .get(&format!(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-10&team_id={desk}"
        ))
        .await;
    assert_eq!(
        (&team["current"]["created"], &team["current"]["solved"]),
        (&json!(1), &json!(0))
    );
    // Days are counted in the time zone asked for: in Tokyo, A's 10:00 UTC is the 2nd 19:00
    // and D's 25 September stays in the previous period; nothing moves across the period.
    let (s, tokyo) = app
        .get("/api/v1/reports/summary?from=2026-10-02&to=2026-10-02&tz=Asia/Tokyo")
        .await;
    assert_eq!(s, StatusCode::OK, "{tokyo}");
    assert_eq!(tokyo["current"]["created"], 1, "{tokyo}");

    // CSV of the same.
    let res = app
        .request(
            reqwest::Method::GET,
            "/api/v1/reports/summary.csv?from=2026-10-01&to=2026-10-10",
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let csv = res.text().await.expect("csv");
    assert!(
        csv.starts_with("figure,2026-10-01 to 2026-10-10,previous period\r\n"),
        "{csv}"
    );
    assert!(csv.contains("conversations created,4,1\r\n"), "{csv}");
    assert!(
        csv.contains("\"first response, median (minutes)\",20.0,40.0\r\n"),
        "{csv}"
    );

    // The page shows the figures and a chart.
    let browser = app.admin_browser().await;
    let page = app
        .html(
            &browser,
            "/reports?from=2026-10-01&to=2026-10-10&team_id=&tz=UTC",
        )
        .await;
    assert!(
        page.contains("<svg class=\"chart\"")
            && page.contains("Download CSV")
            && page.contains("<th scope=\"row\">conversations created</th><td>4</td><td>1</td>"),
        "{page}"
    );
    assert!(
        page.contains("Busiest hours (UTC)") && page.contains("<td>100%</td>"),
        "{page}"
    );

    // Agents do not see reports; bad periods are refused with the field named.
    let (_, agent) = app.agent("eve@example.com", "agent", &[desk]).await;
    let (s, _) = app.get_as(&agent, "/api/v1/reports/summary").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (query, field) in [
        ("from=2026-10-10&to=2026-10-01", "from"),
        ("from=yesterday", "from"),
        ("tz=Mars/Olympus", "tz"),
        ("channel=pigeon", "channel"),
        ("from=2024-01-01&to=2026-10-01", "to"),
    ] {
        let (s, p) = app.get(&format!("/api/v1/reports/summary?{query}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query} → {p}");
        assert_eq!(p["field"], field, "{query} → {p}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_live_wall_counts_what_waits_now_and_who_is_online() {
    let app = spawn_app().await;
    let desk = app.team("Desk").await;
    let (_, ada) = app.agent("ada@example.com", "agent", &[desk]).await;
    app.put_as(
        &ada,
        "/api/v1/me/availability",
        json!({"availability": "online"}),
    )
    .await;
    let waited = 30 * MIN;
    opened(
        &app,
        "a@example.com",
        steward_store::now_ms() - waited,
        Some(desk),
    )
    .await;
    let (s, chat) = app
        .post(
            "/api/v1/conversations",
            json!({"customer": {"email": "b@example.com"}, "subject": "Chat", "channel": "chat",
                   "message": {"body": "Hello?"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{chat}");
    let solved = opened(&app, "c@example.com", steward_store::now_ms(), None).await;
    reply(&app, solved, steward_store::now_ms(), Status::Solved).await;

    let (s, live) = app.get("/api/v1/reports/live").await;
    assert_eq!(s, StatusCode::OK, "{live}");
    assert_eq!(
        (
            &live["open"],
            &live["waiting"],
            &live["waiting_chats"],
            &live["agents_online"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(1)),
        "{live}"
    );
    let longest = live["longest_wait_seconds"].as_i64().expect("a wait");
    assert!((1800..1860).contains(&longest), "{live}");
    // One team's wall: its own waiting conversation only; its agent may look.
    let (s, team) = app
        .get_as(&ada, &format!("/api/v1/reports/live?team_id={desk}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{team}");
    assert_eq!(
        (&team["waiting"], &team["waiting_chats"]),
        (&json!(1), &json!(0))
    );
    let (s, _) = app.get_as(&ada, "/api/v1/reports/live").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "all teams are for supervisors");

    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/reports/live").await;
    assert!(
        page.contains(r#"<meta http-equiv="refresh" content="2">"#)
            && page.contains("Waiting chats")
            && page.contains("30 min"),
        "{page}"
    );
    app.stop().await;
}
