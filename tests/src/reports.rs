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

    // Renaming the tag changes what counts as a complaint, and renaming it back restores it.
    let (_, tags) = app.get("/api/v1/tags").await;
    let complaint_tag = tags
        .as_array()
        .expect("tags")
        .iter()
        .find(|t| t["name"] == "complaint")
        .expect("the complaint tag")["id"]
        .clone();
    for (name, complaints) in [("grievance", 0), ("complaint", 1)] {
        let (s, t) = app
            .patch(
                &format!("/api/v1/tags/{complaint_tag}"),
                json!({"name": name}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{t}");
        let (_, r) = app
            .get("/api/v1/reports/summary?from=2026-10-01&to=2026-10-10")
            .await;
        assert_eq!(r["current"]["complaints"], complaints, "tag named {name}");
    }

    // The backlog at each day's end: C counts as open on the 4th, as its latest solve was on
    // the 5th; E stays open from the 6th.
    let backlog: Vec<i64> = r["backlog"]
        .as_array()
        .expect("backlog")
        .iter()
        .map(|d| d["open"].as_i64().expect("open"))
        .collect();
    assert_eq!(backlog, [0, 0, 0, 1, 0, 1, 1, 1, 1, 1], "{r}");
    assert_eq!(r["backlog"][0]["date"], "2026-10-01");
    // Only A is tagged complaint.
    let (_, tagged) = app
        .get("/api/v1/reports/summary?from=2026-10-01&to=2026-10-10&tag=complaint")
        .await;
    assert_eq!(
        (&tagged["current"]["created"], &tagged["current"]["solved"]),
        (&json!(1), &json!(1)),
        "{tagged}"
    );
    // None of these came through an inbox.
    let (_, by_inbox) = app
        .get("/api/v1/reports/summary?from=2026-10-01&to=2026-10-10&inbox=help@acme.test")
        .await;
    assert_eq!(by_inbox["current"]["created"], 0, "{by_inbox}");

    // Each part as CSV, and the whole report as XLSX.
    let download = |path: String| {
        let app = &app;
        async move {
            let res = app
                .request(reqwest::Method::GET, &path, Some(&app.token), None)
                .await;
            let status = res.status();
            let kind = res.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap_or_default()
                .to_string();
            (status, kind, res.bytes().await.expect("body").to_vec())
        }
    };
    let q = "from=2026-10-01&to=2026-10-10";
    let (_, _, agents) = download(format!("/api/v1/reports/summary.csv?{q}&part=agents")).await;
    let agents = String::from_utf8(agents).expect("utf-8");
    assert!(
        agents.starts_with("agent,solved,") && agents.contains(",1,10.0,100.0,,0\r\n"),
        "{agents}"
    );
    let (_, _, days) = download(format!("/api/v1/reports/summary.csv?{q}&part=backlog")).await;
    assert!(
        String::from_utf8_lossy(&days).contains("2026-10-04,1\r\n2026-10-05,0\r\n"),
        "{}",
        String::from_utf8_lossy(&days)
    );
    let (s, kind, xlsx) = download(format!("/api/v1/reports/summary.xlsx?{q}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    assert!(xlsx.starts_with(b"PK\x03\x04"), "a zip");
    let names = String::from_utf8_lossy(&xlsx);
    assert!(names.contains("xl/worksheets/sheet4.xml"), "four sheets");
    let (s, _, bad) = download(format!("/api/v1/reports/summary.csv?{q}&part=pie")).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&bad)
    );

    // Raw conversations and messages of the period.
    let (s, _, rows) = download(format!("/api/v1/exports/conversations.csv?{q}")).await;
    assert_eq!(s, StatusCode::OK);
    let rows = String::from_utf8(rows).expect("utf-8");
    let lines: Vec<&str> = rows.lines().collect();
    assert!(lines[0].starts_with("number,subject,status,"), "{rows}");
    assert_eq!(lines.len(), 5, "a header and A, B, C, E: {rows}");
    assert!(
        rows.contains("a@example.com,complaint,,"),
        "A's tag: {rows}"
    );
    assert!(
        rows.contains("2026-10-04 08:00:00,2026-10-04 08:20:00,2026-10-05 10:00:00,,4,2,1,"),
        "C's times, messages, replies and reopen: {rows}"
    );
    let (_, _, msgs) = download(format!("/api/v1/exports/messages.csv?{q}&tz=UTC")).await;
    let msgs = String::from_utf8(msgs).expect("utf-8");
    assert!(
        msgs.contains("2026-10-05 09:00:00,customer,") && msgs.contains("It grinds again."),
        "{msgs}"
    );
    assert!(
        !msgs.contains("2026-09-25"),
        "only the period's messages: {msgs}"
    );
    let (s, _, x) = download(format!("/api/v1/exports/messages.xlsx?{q}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(x.starts_with(b"PK\x03\x04"));
    let (s, _, _) = download(format!("/api/v1/exports/tickets.csv?{q}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

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
            && page.contains("/api/v1/reports/summary.xlsx?from=2026-10-01&#38;to=2026-10-10")
            && page.contains("class=\"chart backlog\"")
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
    let (s, _) = app
        .get_as(&agent, "/api/v1/exports/conversations.csv")
        .await;
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

#[tokio::test]
async fn a_scheduled_report_is_mailed_with_its_file_and_set_for_its_next_time() {
    use crate::email::email_config;
    use crate::email_outbound::TestRelay;
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let (s, sc) = app
        .post(
            "/api/v1/reports/schedules",
            json!({"name": "Daily figures", "frequency": "daily", "hour": 7, "tz": "Europe/Berlin",
                   "recipients": ["Lead@Example.com", "boss@example.com"], "format": "csv",
                   "filter": {"channel": "email"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sc}");
    let id = sc["id"].as_i64().expect("id");
    assert_eq!(
        sc["recipients"],
        json!(["lead@example.com", "boss@example.com"])
    );
    // The next run is tomorrow or today at 07:00 in Berlin, and its timer is set for then.
    let next: jiff::Timestamp = sc["next_run_at"]
        .as_str()
        .expect("next run")
        .parse()
        .expect("time");
    let berlin = next.to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").expect("tz"));
    assert_eq!((berlin.hour(), berlin.minute()), (7, 0));
    assert!(next > jiff::Timestamp::now());
    let mut conn = app.engine.store.pool().acquire().await.expect("conn");
    let (pending, _) = steward_store::jobs::counts_with_prefix(
        &mut conn,
        &format!("report:{id}"),
        next.as_millisecond() + 1,
    )
    .await
    .expect("jobs");
    assert_eq!(pending, 1, "the timer is set");
    drop(conn);

    // Send now: the CSV of yesterday's figures goes to both, in one mail.
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/reports/schedules/{id}/send"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mails = relay.wait_for(1).await;
    let mail = &mails[0];
    let mut to: Vec<&str> = mail.to.iter().map(|m| m.address.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["boss@example.com", "lead@example.com"]);
    assert!(
        mail.subject.starts_with("Daily figures: "),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("conversations created: 0 (before: 0)"),
        "{}",
        mail.text
    );
    let file = mail
        .parts
        .iter()
        .find(|p| p.filename.ends_with(".csv"))
        .expect("the CSV attached");
    assert!(
        String::from_utf8_lossy(&file.bytes).starts_with("figure,"),
        "{}",
        String::from_utf8_lossy(&file.bytes)
    );
    let (_, sc) = app.get(&format!("/api/v1/reports/schedules/{id}")).await;
    assert!(sc["last_sent_at"].is_string(), "{sc}");
    let still: jiff::Timestamp = sc["next_run_at"]
        .as_str()
        .expect("next run")
        .parse()
        .expect("time");
    assert_eq!(still, next, "sending now leaves the regular time");

    // XLSX, and the page lists the schedules.
    let (s, x) = app
        .post(
            "/api/v1/reports/schedules",
            json!({"name": "Weekly workbook", "recipients": ["lead@example.com"]}),
        )
        .await;
    assert_eq!(
        (s, &x["format"], &x["frequency"]),
        (StatusCode::CREATED, &json!("xlsx"), &json!("weekly"))
    );
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/reports/schedules/{}/send", x["id"]),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mails = relay.wait_for(2).await;
    let book = mails
        .iter()
        .flat_map(|m| m.parts.iter())
        .find(|p| p.filename.ends_with(".xlsx"))
        .expect("the workbook attached");
    assert!(book.bytes.starts_with(b"PK\x03\x04"));
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/reports").await;
    assert!(
        page.contains("Daily figures") && page.contains("every day at 7:00 (Europe/Berlin), CSV"),
        "{page}"
    );

    // Bad schedules are refused with the field named; agents may not schedule.
    for (body, field) in [
        (json!({"name": "x", "recipients": []}), "recipients"),
        (
            json!({"name": "x", "recipients": ["a@b.test"], "hour": 25}),
            "hour",
        ),
        (
            json!({"name": "x", "recipients": ["a@b.test"], "frequency": "hourly"}),
            "frequency",
        ),
        (
            json!({"name": "x", "recipients": ["a@b.test"], "tz": "Nowhere/Else"}),
            "tz",
        ),
        (
            json!({"name": "x", "recipients": ["a@b.test"], "filter": {"channel": "pigeon"}}),
            "filter.channel",
        ),
    ] {
        let (s, p) = app.post("/api/v1/reports/schedules", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert_eq!(p["field"], field, "{body} → {p}");
    }
    let desk = app.team("Desk").await;
    let (_, agent) = app.agent("al@example.com", "agent", &[desk]).await;
    let (s, _) = app
        .post_as(
            &agent,
            "/api/v1/reports/schedules",
            json!({"name": "x", "recipients": ["a@b.test"]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/reports/schedules/{id}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}
