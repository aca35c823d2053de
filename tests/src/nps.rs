//! NPS campaigns: an active campaign mails its question (through a real SMTP relay) to the
//! customers its rules pick and to no one else, never twice within the interval; the customer
//! answers 0–10 and why on the public page; a detractor's answer opens a follow-up
//! conversation; answers show in the API, on the customer, on the admin page and in reports;
//! bad campaigns and scores are refused, and only admins change campaigns.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn customer(app: &TestApp, name: &str, email: &str) -> i64 {
    let (s, c) = app
        .post("/api/v1/customers", json!({"name": name, "email": email}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().expect("id")
}

async fn conversation_for(app: &TestApp, email: &str) {
    let (s, c) = app
        .post(
            "/api/v1/conversations",
            json!({"customer": {"email": email}, "subject": "Order question",
                   "channel": "web", "message": {"body": "Where is my order?"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
}

/// The link path (`/nps/<token>`) in a mailed question.
fn link_of(text: &str) -> String {
    let start = text.find("/nps/").expect("a link");
    let rest = &text[start..];
    rest[..rest.find('?').expect("a score in the link")].to_string()
}

#[tokio::test]
async fn a_campaign_asks_the_customers_its_rules_pick_and_a_detractor_gets_a_follow_up() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let desk = app.team("Customer care").await;
    // Ann and Bob at acme.test wrote to us; Cyd at acme.test did not; Dee wrote but is
    // elsewhere.
    let ann = customer(&app, "Ann", "ann@acme.test").await;
    customer(&app, "Bob", "bob@acme.test").await;
    customer(&app, "Cyd", "cyd@acme.test").await;
    customer(&app, "Dee", "dee@elsewhere.test").await;
    for email in ["ann@acme.test", "bob@acme.test", "dee@elsewhere.test"] {
        conversation_for(&app, email).await;
    }

    let (s, c) = app
        .post(
            "/api/v1/nps/campaigns",
            json!({"name": "Acme customers", "active": true,
                   "question": "{{customer.name}}, how likely are you to recommend {{company}}?",
                   "audience": {"contacted_within_days": 30, "email_domains": ["ACME.test"]},
                   "interval_days": 90, "follow_up_detractors": true, "follow_up_team_id": desk}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let campaign = c["id"].as_i64().expect("id");
    assert_eq!(c["audience"]["email_domains"], json!(["acme.test"]));

    // Two questions go out, to Ann and Bob only.
    relay.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = relay.wait_for(2).await;
    let mut to: Vec<&str> = mails.iter().map(|m| m.to[0].address.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        ["ann@acme.test", "bob@acme.test"],
        "only the picked customers"
    );
    let ann_mail = mails
        .iter()
        .find(|m| m.to[0].address == "ann@acme.test")
        .expect("Ann's question");
    assert!(
        ann_mail
            .text
            .contains("Ann, how likely are you to recommend Acme Support?"),
        "{}",
        ann_mail.text
    );
    let path = link_of(&ann_mail.text);
    assert!(ann_mail.text.contains(&format!("{path}?score=10")));
    assert!(ann_mail.text.contains(&format!("{path}/opt-out")));

    // Running the campaign again asks no one twice within the interval.
    let (s, _) = app
        .put_as(
            &app.token,
            &format!("/api/v1/nps/campaigns/{campaign}"),
            json!({"name": "Acme customers", "active": true,
                   "audience": {"contacted_within_days": 30, "email_domains": ["acme.test"]},
                   "follow_up_detractors": true, "follow_up_team_id": desk}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(relay.wait_for(2).await.len(), 2, "nobody asked twice");

    // Opening a link preselects the score and records nothing.
    let page = app
        .client
        .get(format!("{}{path}?score=3", app.base))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(r#"value="3" checked"#) && page.contains("Send my answer"),
        "{page}"
    );
    let (_, r) = app
        .get(&format!("/api/v1/nps/responses?campaign_id={campaign}"))
        .await;
    assert_eq!(r.as_array().map(Vec::len), Some(2), "{r}");
    assert!(
        r.as_array()
            .expect("list")
            .iter()
            .all(|x| x["score"].is_null())
    );

    // Ann answers 3 (a detractor), with script in her reason.
    let answer = |score: &str, reason: &str| {
        let form = [("score", score.to_string()), ("reason", reason.to_string())];
        let url = format!("{}{path}", app.base);
        let client = app.client.clone();
        async move { client.post(url).form(&form).send().await.expect("answer") }
    };
    let res = answer("3", "Slow <script>alert(1)</script> delivery").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("html");
    assert!(
        page.contains("Thank you") && !page.contains("<script>alert"),
        "{page}"
    );
    assert_eq!(
        answer("11", "").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (_, r) = app.get(&format!("/api/v1/customers/{ann}/nps")).await;
    let mine = &r[0];
    assert_eq!(
        (&mine["score"], &mine["group"], &mine["reason"]),
        (
            &json!(3),
            &json!("detractor"),
            &json!("Slow <script>alert(1)</script> delivery")
        ),
        "{r}"
    );
    // Her answer opened a follow-up conversation in Customer care, tagged and explained.
    let follow_up = mine["follow_up_conversation_id"]
        .as_i64()
        .expect("a follow-up conversation");
    let (_, fc) = app.get(&format!("/api/v1/conversations/{follow_up}")).await;
    assert_eq!(fc["team_id"], desk, "{fc}");
    assert_eq!(fc["customer"]["id"], ann, "{fc}");
    assert!(
        fc["tags"]
            .as_array()
            .expect("tags")
            .contains(&json!("nps-detractor")),
        "{fc}"
    );
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{follow_up}/messages"))
        .await;
    assert!(
        msgs.to_string().contains("answered 3 of 10") && msgs.to_string().contains("Slow"),
        "{msgs}"
    );

    // She changes her mind to 9; no second follow-up is opened.
    assert_eq!(answer("9", "Fixed fast").await.status(), StatusCode::OK);
    let (_, r) = app.get(&format!("/api/v1/customers/{ann}/nps")).await;
    assert_eq!(
        (
            &r[0]["score"],
            &r[0]["group"],
            &r[0]["follow_up_conversation_id"]
        ),
        (&json!(9), &json!("promoter"), &json!(follow_up))
    );
    let (_, all) = app.get("/api/v1/conversations?limit=100").await;
    let follow_ups = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|c| {
            c["subject"]
                .as_str()
                .unwrap_or_default()
                .starts_with("NPS follow-up")
        })
        .count();
    assert_eq!(follow_ups, 1, "{all}");

    // The campaign's score: one promoter of one answer.
    let (_, c) = app.get(&format!("/api/v1/nps/campaigns/{campaign}")).await;
    assert_eq!(
        (&c["sent"], &c["answered"], &c["figures"]["nps"]),
        (&json!(2), &json!(1), &json!(100.0)),
        "{c}"
    );
    // The report counts it too.
    let (_, rep) = app.get("/api/v1/reports/summary").await;
    assert_eq!(
        (&rep["current"]["nps"], &rep["current"]["nps_answers"]),
        (&json!(100.0), &json!(1)),
        "{rep}"
    );
    // The customer page and the admin page show it.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, &format!("/customers/{ann}")).await;
    assert!(
        page.contains("<strong>9</strong> of 10 (promoter)"),
        "{page}"
    );
    let page = app.html(&browser, "/admin/nps").await;
    assert!(
        page.contains("Acme customers") && page.contains("NPS +100") && page.contains("Fixed fast"),
        "{page}"
    );
    // Webhooks may subscribe to the answers.
    let (s, w) = app
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://93.184.216.34/nps", "events": ["nps.answered"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");

    // A campaign that sent questions cannot be deleted, only paused.
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/nps/campaigns/{campaign}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Opting out: the customer is marked, and the link still works.
    let res = app
        .client
        .post(format!("{}{path}/opt-out", app.base))
        .send()
        .await
        .expect("opt out");
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("will not be asked")
    );
    let (_, c) = app.get(&format!("/api/v1/customers/{ann}")).await;
    assert_eq!(c["surveys_opt_out"], true);
    let res = app
        .client
        .get(format!("{}/nps/n_not-a-token", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn bad_campaigns_are_refused_with_the_field_named_and_only_admins_change_campaigns() {
    let app = spawn_app().await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x", "interval_days": 0}), "interval_days"),
        (
            json!({"name": "x", "audience": {"email_domains": ["not a domain"]}}),
            "audience.email_domains",
        ),
        (
            json!({"name": "x", "follow_up_team_id": 999}),
            "follow_up_team_id",
        ),
        (
            json!({"name": "x", "inbox": "nobody@nowhere.test"}),
            "inbox",
        ),
        (json!({"name": "x", "question": "Hi {{nope"}), "question"),
        (json!({"name": "x", "colour": "red"}), "campaign"),
    ] {
        let (s, p) = app.post("/api/v1/nps/campaigns", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert_eq!(p["field"], field, "{body} → {p}");
    }
    // A paused campaign that sent nothing can be deleted.
    let (s, c) = app
        .post("/api/v1/nps/campaigns", json!({"name": "Draft"}))
        .await;
    assert_eq!((s, &c["active"]), (StatusCode::CREATED, &json!(false)));
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/nps/campaigns/{}", c["id"]),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let desk = app.team("Desk").await;
    let (_, agent) = app.agent("ed@example.com", "agent", &[desk]).await;
    let (s, _) = app.get_as(&agent, "/api/v1/nps/campaigns").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, supervisor) = app.agent("sue@example.com", "supervisor", &[desk]).await;
    let (s, _) = app.get_as(&supervisor, "/api/v1/nps/campaigns").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post_as(
            &supervisor,
            "/api/v1/nps/campaigns",
            json!({"name": "Mine"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}
