//! CSAT surveys: a solved conversation's customer gets one survey by mail (through a real SMTP
//! relay), answers on the public page, may change the answer and opt out; nobody is surveyed
//! when surveys are off for the channel, when they opted out or were asked recently; answers
//! show on the conversation and the customer, and settings are checked.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn open(app: &TestApp, email: &str, channel: &str) -> i64 {
    let (s, c) = app
        .post(
            "/api/v1/conversations",
            json!({"customer": {"email": email}, "subject": format!("Help for {email}"),
                   "channel": channel, "message": {"body": "My grinder is loud"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["conversation"]["id"].as_i64().expect("id")
}

/// Solves conversation `id` and waits until its survey job ran; the survey, if one was sent.
pub(crate) async fn solve_and_survey(app: &TestApp, id: i64) -> Option<Value> {
    let (s, c) = app
        .patch(
            &format!("/api/v1/conversations/{id}"),
            json!({"status": "solved"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let mut finished = false;
    for _ in 0..100 {
        let mut conn = app.engine.store.pool().acquire().await.expect("conn");
        let (pending, _) = steward_store::jobs::counts_with_prefix(
            &mut conn,
            &format!("csat:{id}"),
            steward_store::now_ms(),
        )
        .await
        .expect("jobs");
        if pending == 0 {
            finished = true;
            break;
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(finished, "the survey job of {id} ran and finished");
    let (s, survey) = app
        .get(&format!("/api/v1/conversations/{id}/satisfaction"))
        .await;
    match s {
        StatusCode::OK => Some(survey),
        StatusCode::NOT_FOUND => None,
        other => panic!("{other}: {survey}"),
    }
}

async fn put_settings(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.put_as(token, "/api/v1/settings/satisfaction", body)
        .await
}

#[tokio::test]
async fn a_solved_conversations_customer_answers_the_mailed_survey_changes_it_and_opts_out() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let (s, set) = put_settings(
        &app,
        &app.token,
        json!({"enabled": true, "scale": "five_point", "delay_minutes": 0,
               "ask_again_after_days": 0, "channels": ["email"],
               "question": "How did {{agent.name}} do with #{{conversation.number}}?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    let id = open(&app, "olga@example.com", "email").await;
    let survey = solve_and_survey(&app, id).await.expect("a survey was sent");
    assert_eq!(
        (&survey["rating"], &survey["scale"]),
        (&Value::Null, &json!("five_point"))
    );

    // The mail went out through the relay, with a link per rating.
    let mails = relay.wait_for(1).await;
    let mail = mails
        .iter()
        .find(|m| m.subject.starts_with("How did we do?"))
        .expect("the survey mail");
    assert_eq!(mail.to[0].address, "olga@example.com");
    assert!(
        mail.text
            .contains(&format!("do with #{}?", survey_number(&app, id).await))
            && !mail.text.contains("{{"),
        "the question's placeholders are filled: {}",
        mail.text
    );
    let start = mail.text.find("/survey/").expect("a survey link");
    let rest = &mail.text[start..];
    let path = &rest[..rest.find('?').expect("a rating in the link")];
    assert!(
        mail.text.contains(&format!("{path}?rating=5")),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains(&format!("{path}/opt-out")),
        "{}",
        mail.text
    );

    // Opening a link shows the answer chosen but records nothing (mail scanners open links).
    let page = app
        .client
        .get(format!("{}{path}?rating=4", app.base))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(r#"value="4" checked"#) && page.contains("Send my answer"),
        "{page}"
    );
    let (_, still) = app
        .get(&format!("/api/v1/conversations/{id}/satisfaction"))
        .await;
    assert_eq!(still["rating"], Value::Null);

    let answer = |rating: &str, comment: &str| {
        let form = [
            ("rating", rating.to_string()),
            ("comment", comment.to_string()),
        ];
        let url = format!("{}{path}", app.base);
        let client = app.client.clone();
        async move { client.post(url).form(&form).send().await.expect("answer") }
    };
    let res = answer("4", "Quick <script>alert(1)</script> help").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("html");
    assert!(page.contains("Thank you"), "{page}");
    assert!(
        !page.contains("<script>alert"),
        "the comment is shown as text"
    );
    let (_, rated) = app
        .get(&format!("/api/v1/conversations/{id}/satisfaction"))
        .await;
    assert_eq!(
        (&rated["rating"], &rated["answer"], &rated["satisfied"]),
        (&json!(4), &json!("4 of 5"), &json!(true)),
        "{rated}"
    );
    assert_eq!(rated["comment"], "Quick <script>alert(1)</script> help");

    // Changed while it may be; a rating off the scale is refused.
    assert_eq!(answer("2", "").await.status(), StatusCode::OK);
    assert_eq!(
        answer("9", "").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let rated = app.events_of(id, "csat.rated").await;
    assert_eq!(rated.len(), 2, "{rated:?}");
    assert_eq!(rated[1]["data"]["rating"], 2);
    assert_eq!(rated[1]["data"]["changed"], true);
    assert_eq!(app.events_of(id, "csat.sent").await.len(), 1);

    // Agents see it on the conversation and the customer.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, &format!("/conversations/{id}")).await;
    assert!(page.contains("Rated 2 of 5"), "{page}");
    assert!(page.contains("rated the support 4 of 5"), "{page}");
    let customer = rated_customer(&app, id).await;
    let page = app.html(&browser, &format!("/customers/{customer}")).await;
    assert!(page.contains("0% satisfied (1 answer)"), "{page}");
    let (_, list) = app
        .get(&format!("/api/v1/customers/{customer}/satisfaction"))
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // Opting out: the next solved conversation gets no survey.
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
    let (_, c) = app.get(&format!("/api/v1/customers/{customer}")).await;
    assert_eq!(c["surveys_opt_out"], true);
    let next = open(&app, "olga@example.com", "email").await;
    assert_eq!(solve_and_survey(&app, next).await, None);

    let res = app
        .client
        .get(format!("{}/survey/s_not-a-token", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn survey_number(app: &TestApp, id: i64) -> i64 {
    let (_, c) = app.get(&format!("/api/v1/conversations/{id}")).await;
    c["number"].as_i64().expect("number")
}

async fn rated_customer(app: &TestApp, id: i64) -> i64 {
    let (_, c) = app.get(&format!("/api/v1/conversations/{id}")).await;
    c["customer"]["id"].as_i64().expect("customer")
}

#[tokio::test]
async fn nobody_is_surveyed_when_surveys_are_off_for_the_channel_or_they_were_asked_recently() {
    let app = spawn_app_with(|c| c.email = one_inbox("help@acme.test")).await;
    let first = open(&app, "ada@example.com", "email").await;
    assert_eq!(
        solve_and_survey(&app, first).await,
        None,
        "surveys are off until an admin turns them on"
    );
    let (s, _) = put_settings(
        &app,
        &app.token,
        json!({"enabled": true, "delay_minutes": 0, "channels": ["email"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let second = open(&app, "ada@example.com", "email").await;
    let survey = solve_and_survey(&app, second).await.expect("surveyed");
    assert_eq!(survey["scale"], "good_bad");
    let third = open(&app, "ada@example.com", "email").await;
    assert_eq!(
        solve_and_survey(&app, third).await,
        None,
        "asked within the last 14 days"
    );
    let phone = open(&app, "bo@example.com", "phone").await;
    assert_eq!(
        solve_and_survey(&app, phone).await,
        None,
        "phone is not a surveyed channel"
    );
    // An agent marks a customer who asked by phone not to be surveyed.
    let (_, agent_token) = app.agent("eve@example.com", "agent", &[]).await;
    let bo = rated_customer(&app, phone).await;
    let (s, c) = app
        .patch_as(
            &agent_token,
            &format!("/api/v1/customers/{bo}"),
            json!({"surveys_opt_out": true}),
        )
        .await;
    assert_eq!((s, &c["surveys_opt_out"]), (StatusCode::OK, &json!(true)));
    let bo_mail = open(&app, "bo@example.com", "email").await;
    assert_eq!(solve_and_survey(&app, bo_mail).await, None, "opted out");

    // Settings are checked; only admins change them.
    for (body, says) in [
        (json!({"scale": "stars"}), "scale"),
        (json!({"delay_minutes": -5}), "delay_minutes"),
        (json!({"enabled": true, "channels": []}), "channels"),
        (
            json!({"question": "Hi {{customer.shoe_size}}"}),
            "placeholder",
        ),
        (json!({"surprise": 1}), "surprise"),
    ] {
        let (s, p) = put_settings(&app, &app.token, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert!(p.to_string().contains(says), "{body} → {p}");
    }
    let (s, _) = put_settings(&app, &agent_token, json!({"enabled": false})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, now) = app.get("/api/v1/settings/satisfaction").await;
    assert_eq!(now["enabled"], true, "refused changes changed nothing");

    // The admin page saves the same settings.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/satisfaction").await;
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/admin/satisfaction", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("enabled", "on"),
            ("scale", "five_point"),
            ("question", "How did we do?"),
            ("delay_minutes", "30"),
            ("channel", "email"),
            ("channel", "chat"),
            ("ask_again_after_days", "7"),
            ("changeable_days", "3"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = app.get("/api/v1/settings/satisfaction").await;
    assert_eq!(
        now,
        json!({"enabled": true, "scale": "five_point", "delay_minutes": 30,
               "channels": ["email", "chat"], "ask_again_after_days": 7,
               "changeable_days": 3, "question": "How did we do?"})
    );
    app.stop().await;
}

#[tokio::test]
async fn without_an_inbox_to_send_from_no_survey_is_made_and_the_job_ends() {
    let app = spawn_app().await;
    let (s, _) = put_settings(
        &app,
        &app.token,
        json!({"enabled": true, "delay_minutes": 0, "channels": ["api"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let id = open(&app, "ada@example.com", "api").await;
    assert_eq!(solve_and_survey(&app, id).await, None);
    app.stop().await;
}

#[tokio::test]
async fn a_conversation_reopened_before_its_survey_is_due_gets_no_survey() {
    let app = spawn_app_with(|c| c.email = one_inbox("help@acme.test")).await;
    let (s, _) = put_settings(
        &app,
        &app.token,
        json!({"enabled": true, "delay_minutes": 60, "channels": ["email"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let id = open(&app, "ada@example.com", "email").await;
    for status in ["solved", "open"] {
        let (s, c) = app
            .patch(
                &format!("/api/v1/conversations/{id}"),
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    // The hour passes: the survey's job comes due now.
    let now = steward_store::now_ms();
    let mut tx = app.engine.store.write().await.expect("writer");
    steward_store::jobs::schedule(
        &mut tx,
        "csat.send",
        Some(&format!("csat:{id}")),
        &json!({"conversation_id": id}).to_string(),
        now,
        now,
    )
    .await
    .expect("due now");
    tx.commit().await.expect("commit");
    app.engine.scheduler.wake();
    let mut ran = false;
    for _ in 0..100 {
        let mut conn = app.engine.store.pool().acquire().await.expect("conn");
        let (pending, _) =
            steward_store::jobs::counts_with_prefix(&mut conn, &format!("csat:{id}"), now)
                .await
                .expect("jobs");
        if pending == 0 {
            ran = true;
            break;
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ran, "the survey job ran");
    let (s, _) = app
        .get(&format!("/api/v1/conversations/{id}/satisfaction"))
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "no survey for a reopened conversation"
    );
    app.stop().await;
}
