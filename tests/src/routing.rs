//! Routing: teams hand out waiting conversations in turn or by load, only to agents who are
//! online, have the skills the conversation needs and room on its channel; the rest wait in a
//! queue ordered by priority and handed out as soon as someone can take them; an agent going
//! offline gives their chats back.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn open_in(app: &TestApp, team: i64, email: &str, extra: Value) -> Value {
    let mut body = json!({"customer": {"email": email}, "subject": format!("Help {email}"),
                          "message": {"body": "Hello"}, "team_id": team});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    let (s, c) = app.post("/api/v1/conversations", body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["conversation"].clone()
}

async fn assignee_soon(app: &TestApp, id: i64, want: Option<i64>) -> Value {
    let mut c = Value::Null;
    for _ in 0..40 {
        c = app.get(&format!("/api/v1/conversations/{id}")).await.1;
        if c["assignee_id"].as_i64() == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c
}

#[tokio::test]
async fn round_robin_hands_out_in_turn_to_online_agents_only() {
    let app = spawn_app().await;
    let desk = app.team("Desk").await;
    let (a1, t1) = app.agent("a1@test.example", "agent", &[desk]).await;
    let (a2, t2) = app.agent("a2@test.example", "agent", &[desk]).await;
    let (a3, _) = app.agent("a3@test.example", "agent", &[desk]).await;
    let (s, p) = app
        .put_as(
            &app.token,
            &format!("/api/v1/teams/{desk}/routing"),
            json!({"mode": "random"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown mode is refused: {p}"
    );
    let (s, r) = app
        .put_as(
            &app.token,
            &format!("/api/v1/teams/{desk}/routing"),
            json!({"mode": "round_robin"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    for t in [&t1, &t2] {
        let (s, me) = app
            .put_as(
                t,
                "/api/v1/me/availability",
                json!({"availability": "online"}),
            )
            .await;
        assert_eq!(
            (s, &me["availability"]),
            (StatusCode::OK, &json!("online")),
            "{me}"
        );
    }
    let mut got = Vec::new();
    for i in 0..4 {
        let c = open_in(&app, desk, &format!("rr{i}@test.example"), json!({})).await;
        got.push(c["assignee_id"].as_i64());
    }
    assert_eq!(
        got,
        vec![Some(a1), Some(a2), Some(a1), Some(a2)],
        "in turn, never the offline {a3}"
    );
    let (_, events) = app.get("/api/v1/conversations/1/events").await;
    assert!(
        events.to_string().contains("routed: round robin"),
        "{events}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_full_agent_leaves_work_in_the_queue_until_they_have_room_and_offline_returns_chats() {
    let app = spawn_app().await;
    let chat = app.team("Chat").await;
    let (b1, t1) = app.agent("b1@test.example", "agent", &[chat]).await;
    let (s, r) = app
        .put_as(
            &app.token,
            &format!("/api/v1/agents/{b1}/routing"),
            json!({"capacity": {"fax": 1}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (s, r) = app
        .put_as(
            &app.token,
            &format!("/api/v1/agents/{b1}/routing"),
            json!({"capacity": {"chat": 1}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _) = app
        .put_as(
            &app.token,
            &format!("/api/v1/teams/{chat}/routing"),
            json!({"mode": "load_balanced"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Nobody is online: the conversation waits; going online hands it out at once.
    let first = open_in(&app, chat, "c1@test.example", json!({"channel": "chat"})).await;
    let first_id = first["id"].as_i64().expect("id");
    assert!(first["assignee_id"].is_null(), "{first}");
    app.put_as(
        &t1,
        "/api/v1/me/availability",
        json!({"availability": "online"}),
    )
    .await;
    let c = assignee_soon(&app, first_id, Some(b1)).await;
    assert_eq!(
        c["assignee_id"], b1,
        "handed out when the agent came online: {c}"
    );

    // At capacity for chat: the next chats queue, the urgent one first.
    let second = open_in(&app, chat, "c2@test.example", json!({"channel": "chat"})).await;
    let urgent = open_in(
        &app,
        chat,
        "c3@test.example",
        json!({"channel": "chat", "priority": "urgent"}),
    )
    .await;
    assert!(second["assignee_id"].is_null() && urgent["assignee_id"].is_null());
    let (s, queue) = app.get(&format!("/api/v1/teams/{chat}/queue")).await;
    assert_eq!(s, StatusCode::OK, "{queue}");
    let order: Vec<i64> = queue
        .as_array()
        .expect("queue")
        .iter()
        .filter_map(|q| q["conversation_id"].as_i64())
        .collect();
    assert_eq!(
        order,
        vec![
            urgent["id"].as_i64().expect("id"),
            second["id"].as_i64().expect("id")
        ]
    );
    // Email is another channel: room there.
    let mail = open_in(&app, chat, "m1@test.example", json!({"channel": "email"})).await;
    assert_eq!(mail["assignee_id"], b1, "{mail}");

    // Solving the first chat makes room: the urgent one is handed out.
    let (s, _) = app
        .post_as(
            &t1,
            &format!("/api/v1/conversations/{first_id}/messages"),
            json!({"body": "Done!", "status": "solved"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let urgent_id = urgent["id"].as_i64().expect("id");
    let c = assignee_soon(&app, urgent_id, Some(b1)).await;
    assert_eq!(c["assignee_id"], b1, "{c}");

    // Offline: the open chat goes back to the queue; the email stays.
    app.put_as(
        &t1,
        "/api/v1/me/availability",
        json!({"availability": "offline"}),
    )
    .await;
    let (_, c) = app.get(&format!("/api/v1/conversations/{urgent_id}")).await;
    assert!(c["assignee_id"].is_null(), "back in the queue: {c}");
    let (_, m) = app
        .get(&format!("/api/v1/conversations/{}", mail["id"]))
        .await;
    assert_eq!(m["assignee_id"], b1);
    let (_, events) = app
        .get(&format!("/api/v1/conversations/{urgent_id}/events"))
        .await;
    assert!(events.to_string().contains("went offline"), "{events}");
    app.stop().await;
}

#[tokio::test]
async fn skill_rules_send_conversations_to_agents_with_the_skills() {
    let app = spawn_app().await;
    let team = app.team("Europe").await;
    let (_, t1) = app.agent("c1@test.example", "agent", &[team]).await;
    let (c2, t2) = app.agent("c2@test.example", "agent", &[team]).await;
    let (s, _) = app
        .put_as(
            &app.token,
            &format!("/api/v1/agents/{c2}/routing"),
            json!({"skills": ["German"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, rule) = app
        .post("/api/v1/routing/skill-rules", json!({"name": "German speakers", "conditions": {"tags": ["de"]}, "skills": ["german"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rule}");
    let (s, _) = app
        .put_as(
            &app.token,
            &format!("/api/v1/teams/{team}/routing"),
            json!({"mode": "load_balanced"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for t in [&t1, &t2] {
        app.put_as(
            t,
            "/api/v1/me/availability",
            json!({"availability": "online"}),
        )
        .await;
    }
    for i in 0..3 {
        let c = open_in(
            &app,
            team,
            &format!("de{i}@test.example"),
            json!({"tags": ["de"]}),
        )
        .await;
        assert_eq!(c["assignee_id"], c2, "only the German speaker: {c}");
    }
    let c = open_in(&app, team, "en@test.example", json!({})).await;
    assert!(
        c["assignee_id"].as_i64().is_some_and(|a| a != c2),
        "the one with less work: {c}"
    );

    // A changed rule: German conversations now need French too, which nobody has yet, so
    // the next one waits until someone does.
    let path = format!("/api/v1/routing/skill-rules/{}", rule["id"]);
    let (s, changed) = app.put_as(&app.token,
        &path,
        json!({"name": "German and French", "conditions": {"tags": ["de"]}, "skills": ["german", "french"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    let (_, rules) = app.get("/api/v1/routing/skill-rules").await;
    assert_eq!(rules[0]["skills"], json!(["german", "french"]), "{rules}");
    let waits = open_in(&app, team, "de9@test.example", json!({"tags": ["de"]})).await;
    assert_eq!(waits["assignee_id"], Value::Null, "{waits}");
    app.put_as(
        &app.token,
        &format!("/api/v1/agents/{c2}/routing"),
        json!({"skills": ["german", "french"]}),
    )
    .await;
    let c = assignee_soon(&app, waits["id"].as_i64().expect("id"), Some(c2)).await;
    assert_eq!(c["assignee_id"], c2, "{c}");
    let (s, _) = app
        .put_as(
            &app.token,
            "/api/v1/routing/skill-rules/999",
            json!({"name": "Nothing", "skills": ["x"]}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn admins_set_routing_skills_and_capacity_on_their_pages_and_agents_their_availability() {
    let app = spawn_app().await;
    let team = app.team("Front desk").await;
    let (dana, _) = app.agent("dana@test.example", "agent", &[team]).await;
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/teams").await;
    assert!(page.contains("round robin"), "{page}");
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/admin/teams", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("id", &team.to_string()),
            ("name", "Front desk"),
            ("description", ""),
            ("member_ids", &dana.to_string()),
            ("routing", "round_robin"),
        ])
        .send()
        .await
        .expect("save team");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, r) = app.get(&format!("/api/v1/teams/{team}/routing")).await;
    assert_eq!(
        r,
        json!({"mode": "round_robin", "return_on_offline": false})
    );

    let res = browser
        .post(format!("{}/admin/agents", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("id", &dana.to_string()),
            ("name", "dana"),
            ("role", "agent"),
            ("active", "true"),
            ("team_ids", &team.to_string()),
            ("skills", "French, returns"),
            ("capacity", "chat=2, *=15"),
        ])
        .send()
        .await
        .expect("save agent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, r) = app.get(&format!("/api/v1/agents/{dana}/routing")).await;
    assert_eq!(r["skills"], json!(["french", "returns"]));
    assert_eq!(r["capacity"], json!({"*": 15, "chat": 2}));

    let agent_browser =
        crate::workspace::sign_in(&app, "dana@test.example", "agent password 1").await;
    let inbox = app.html(&agent_browser, "/inbox").await;
    assert!(inbox.contains("online: give me work"), "{inbox}");
    let csrf = crate::workspace::csrf_of(&inbox);
    let res = agent_browser
        .post(format!("{}/availability", app.base))
        .form(&[("_csrf", csrf.as_str()), ("availability", "online")])
        .send()
        .await
        .expect("go online");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let c = open_in(&app, team, "walkin@test.example", json!({})).await;
    assert_eq!(c["assignee_id"], dana, "{c}");

    // Signing out ends the shift.
    let res = agent_browser
        .post(format!("{}/logout", app.base))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, r) = app.get(&format!("/api/v1/agents/{dana}/routing")).await;
    assert_eq!(r["availability"], "offline");
    let waiting = open_in(
        &app,
        team,
        "later@test.example",
        json!({"priority": "high"}),
    )
    .await;
    assert!(waiting["assignee_id"].is_null(), "{waiting}");

    // The routing page shows the queue and keeps skill rules.
    let page = app.html(&browser, "/admin/routing").await;
    assert!(
        page.contains("Help later@test.example") && page.contains("waiting"),
        "{page}"
    );
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/admin/routing/rules", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Returns desk"),
            ("tags", "return"),
            ("skills", "returns"),
        ])
        .send()
        .await
        .expect("add rule");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, rules) = app.get("/api/v1/routing/skill-rules").await;
    assert_eq!(rules[0]["skills"], json!(["returns"]), "{rules}");
    assert_eq!(rules[0]["conditions"]["tags"], json!(["return"]));
    let page = app.html(&browser, "/admin/routing").await;
    assert!(page.contains("tag return needs"), "{page}");
    // The rule's own form changes it.
    let id = rules[0]["id"].to_string();
    let res = browser
        .post(format!("{}/admin/routing/rules", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("id", id.as_str()),
            ("name", "Returns and exchanges"),
            ("tags", "return, exchange"),
            ("priority", "high"),
            ("skills", "returns"),
        ])
        .send()
        .await
        .expect("change rule");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, rules) = app.get("/api/v1/routing/skill-rules").await;
    assert_eq!(rules.as_array().map(Vec::len), Some(1), "{rules}");
    assert_eq!(rules[0]["name"], "Returns and exchanges");
    assert_eq!(
        rules[0]["conditions"]["tags"],
        json!(["return", "exchange"])
    );
    assert_eq!(rules[0]["conditions"]["priorities"], json!(["high"]));
    app.stop().await;
}

#[tokio::test]
async fn an_agent_whose_workspace_is_closed_goes_offline_and_their_chats_return_to_the_queue() {
    let app = spawn_app_with(|c| c.offline_after_seconds = 1.0).await;
    let desk = app.team("Desk").await;
    let (ada, _) = app.agent("ada@test.example", "agent", &[desk]).await;
    let (bo, bo_token) = app.agent("bo@test.example", "agent", &[desk]).await;
    app.put_as(
        &app.token,
        &format!("/api/v1/teams/{desk}/routing"),
        json!({"mode": "round_robin"}),
    )
    .await;
    // Bo works over the API only: no workspace page, so nothing to lapse.
    app.put_as(
        &bo_token,
        "/api/v1/me/availability",
        json!({"availability": "away"}),
    )
    .await;
    // Ada goes online in the workspace and keeps a page open.
    let browser = crate::workspace::sign_in(&app, "ada@test.example", "agent password 1").await;
    let inbox = browser
        .get(format!("{}/inbox", app.base))
        .send()
        .await
        .expect("inbox")
        .text()
        .await
        .expect("page");
    let csrf = crate::workspace::csrf_of(&inbox);
    let res = browser
        .post(format!("{}/availability", app.base))
        .form(&[("_csrf", csrf.as_str()), ("availability", "online")])
        .send()
        .await
        .expect("set");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let live = browser
        .get(format!("{}/live", app.base))
        .send()
        .await
        .expect("live");
    let chat = open_in(
        &app,
        desk,
        "visitor@test.example",
        json!({"channel": "chat"}),
    )
    .await;
    assert_eq!(chat["assignee_id"], ada, "{chat}");

    // Three times the grace with the page open: still online.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let availability = |id: i64| {
        let app = &app;
        async move { app.get(&format!("/api/v1/agents/{id}/routing")).await.1["availability"].clone() }
    };
    assert_eq!(availability(ada).await, "online");

    // The page closes: after the grace she is offline and the chat waits in the queue.
    drop(live);
    let mut now = Value::Null;
    for _ in 0..60 {
        now = availability(ada).await;
        if now == "offline" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(now, "offline");
    let c = assignee_soon(&app, chat["id"].as_i64().expect("id"), None).await;
    assert_eq!(c["assignee_id"], Value::Null, "{c}");
    let (_, events) = app
        .get(&format!("/api/v1/conversations/{}/events", chat["id"]))
        .await;
    assert!(
        events.to_string().contains("the agent went offline"),
        "{events}"
    );
    assert_eq!(
        availability(bo).await,
        "away",
        "API-only agents are left as they are"
    );
    app.stop().await;
}
