//! Automations: rules checked at save (loops, missing parts), run in order on events with
//! cascades on their own changes, on SLA breaches and on time; a dry run; the conversation
//! shows which rule did what.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use steward_domain::{Channel, Status};
use steward_engine::conversation::{NewConversationCmd, Patch};
use steward_engine::intake::CustomerRef;

async fn rule(app: &TestApp, body: Value) -> i64 {
    let (s, r) = app.post("/api/v1/automations", body).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r["id"].as_i64().expect("rule id")
}

#[tokio::test]
async fn rules_that_would_loop_or_name_what_does_not_exist_are_refused() {
    let app = spawn_app().await;
    for (body, says) in [
        (
            json!({"name": "Tagger", "trigger": "conversation.updated", "actions": [{"type": "add_tags", "tags": ["seen"]}]}),
            "would loop",
        ),
        (
            json!({"name": "Idle", "trigger": "conversation.created", "actions": []}),
            "at least one action",
        ),
        (
            json!({"name": "Move", "trigger": "conversation.created", "actions": [{"type": "assign_team", "team_id": 99}]}),
            "team 99",
        ),
        (
            json!({"name": "Boom", "trigger": "conversation.created", "actions": [{"type": "explode"}]}),
            "actions",
        ),
        (
            json!({"name": "Late", "trigger": "time.pending", "conditions": {"statuses": ["pending"]}, "actions": [{"type": "set_status", "status": "solved"}]}),
            "hours",
        ),
        (
            json!({"name": "Hello", "trigger": "conversation.created", "actions": [{"type": "note", "body": "Hi {{customer.shoe_size}}"}]}),
            "placeholder",
        ),
        (
            json!({"name": "When", "trigger": "someday", "actions": [{"type": "note", "body": "x"}]}),
            "trigger",
        ),
    ] {
        let (s, p) = app.post("/api/v1/automations", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert!(p.to_string().contains(says), "{body} → {p}");
    }
    let (_, agent) = app.agent("eve@test.example", "agent", &[]).await;
    let (s, _) = app
        .post_as(&agent, "/api/v1/automations",
            json!({"name": "Mine", "trigger": "conversation.created", "actions": [{"type": "note", "body": "x"}]}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/api/v1/automations").await;
    assert_eq!(list, json!([]));
    app.stop().await;
}

#[tokio::test]
async fn rules_run_in_order_cascade_on_their_changes_and_show_what_they_did() {
    let app = spawn_app().await;
    let billing = app.team("Billing").await;
    rule(&app, json!({
        "name": "Spot refunds", "trigger": "conversation.created",
        "conditions": {"text": ["refund"]},
        "actions": [{"type": "set_priority", "priority": "high"}, {"type": "add_tags", "tags": ["refund"]},
                    {"type": "note", "body": "Refund request from {{customer.name}}"}],
    })).await;
    rule(&app, json!({
        "name": "Refunds to billing", "trigger": "conversation.updated",
        "conditions": {"tags": ["refund"], "without_tags": ["billing-told"]},
        "actions": [{"type": "assign_team", "team_id": billing}, {"type": "add_tags", "tags": ["billing-told"]}],
    })).await;
    let (s, dry) = app
        .post(
            "/api/v1/automations/dry-run",
            json!({"trigger": "conversation.created", "conditions": {"text": ["refund"]}}),
        )
        .await;
    assert_eq!((s, dry), (StatusCode::OK, json!([])), "nothing matches yet");

    let c = app
        .conversation("ray@test.example", "Money back", "I want a refund please")
        .await;
    let id = c["id"].as_i64().expect("id");
    assert_eq!(c["priority"], "high", "{c}");
    assert_eq!(
        c["team_id"], billing,
        "the update rule ran on the first rule's change: {c}"
    );
    assert_eq!(c["tags"], json!(["billing-told", "refund"]));
    let applied = app.events_of(id, "automation.applied").await;
    let names: Vec<&str> = applied
        .iter()
        .filter_map(|e| e["data"]["rule"].as_str())
        .collect();
    assert_eq!(names, ["Spot refunds", "Refunds to billing"], "{applied:?}");
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{id}/messages"))
        .await;
    assert!(
        messages
            .to_string()
            .contains("Refund request from Test Customer"),
        "{messages}"
    );
    let other = app
        .conversation("amy@test.example", "Hello", "Just saying hi")
        .await;
    assert_eq!(other["priority"], "normal");
    assert!(other["team_id"].is_null());

    // Later updates do not set the guarded rule off again.
    let (s, _) = app
        .patch(
            &format!("/api/v1/conversations/{id}"),
            json!({"subject": "Money back, please"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.events_of(id, "automation.applied").await.len(), 2);

    let (_, dry) = app
        .post(
            "/api/v1/automations/dry-run",
            json!({"trigger": "conversation.updated", "conditions": {"tags": ["refund"]}}),
        )
        .await;
    assert_eq!(dry.as_array().map(Vec::len), Some(1), "{dry}");
    let browser = app.admin_browser().await;
    let page = app.html(&browser, &format!("/conversations/{id}")).await;
    assert!(page.contains("automation “Spot refunds” acted"), "{page}");
    assert!(page.contains("automation: Refunds to billing"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn time_rules_act_on_conversations_that_waited_and_sla_breaches_set_rules_off() {
    let app = spawn_app().await;
    rule(&app, json!({
        "name": "Close silent", "trigger": "time.pending",
        "conditions": {"statuses": ["pending"], "hours": 48},
        "actions": [{"type": "set_status", "status": "solved"}, {"type": "note", "body": "Solved after two quiet days"}],
    })).await;
    rule(
        &app,
        json!({
            "name": "Late", "trigger": "sla.breached",
            "actions": [{"type": "add_tags", "tags": ["late"]}],
        }),
    )
    .await;
    let (s, p) = app
        .post(
            "/api/v1/sla-policies",
            json!({"name": "All", "targets": {"first_response_minutes": 60}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let admin = app
        .engine
        .actor(app.admin_id)
        .await
        .expect("actor")
        .expect("admin");
    let now = steward_store::now_ms();
    let mut cmd = NewConversationCmd::from_customer(
        CustomerRef {
            id: None,
            email: Some("quiet@test.example".into()),
            phone: None,
            name: None,
        },
        "Question",
        "Is it in stock?",
        Channel::Email,
    );
    cmd.at = Some(now - 4 * 24 * 3_600_000);
    let c = app
        .engine
        .create_conversation(None, cmd)
        .await
        .expect("opened");
    let (_, seen) = app.get(&format!("/api/v1/conversations/{}", c.id)).await;
    assert!(
        seen["tags"].to_string().contains("late"),
        "the breach set the rule off: {seen}"
    );
    app.engine
        .update_conversation(
            &admin,
            c.id,
            Patch {
                status: Some(Status::Pending),
                at: Some(now - 3 * 24 * 3_600_000),
                ..Default::default()
            },
        )
        .await
        .expect("pending three days ago");
    // A note today does not restart the pending clock.
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{}/messages", c.id),
            json!({"body": "Still waiting on them", "visibility": "internal"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let fresh = app.conversation("fresh@test.example", "New", "Hello").await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/conversations/{}", fresh["id"]),
            json!({"status": "pending"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Run the sweep now instead of in a minute.
    let mut tx = app.engine.store.write().await.expect("tx");
    steward_store::jobs::schedule(
        &mut tx,
        "automation.sweep",
        Some("automation:sweep"),
        "{}",
        now,
        now,
    )
    .await
    .expect("schedule");
    tx.commit().await.expect("commit");
    app.engine.scheduler.wake();
    let mut status = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = app.get(&format!("/api/v1/conversations/{}", c.id)).await.1["status"].clone();
        if status == "solved" {
            break;
        }
    }
    assert_eq!(status, "solved", "the time rule acted");
    let (_, f) = app
        .get(&format!("/api/v1/conversations/{}", fresh["id"]))
        .await;
    assert_eq!(f["status"], "pending", "not waited long enough: {f}");
    assert_eq!(app.events_of(c.id, "automation.applied").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn admins_build_change_and_dry_run_rules_on_the_automations_page() {
    let app = spawn_app().await;
    let desk = app.team("Desk").await;
    app.conversation("vip@test.example", "Urgent order", "My order is late")
        .await;
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/automations").await;
    assert!(
        page.contains("Add a rule") && page.contains("Move to team"),
        "{page}"
    );
    assert!(page.contains("<code>{{customer.name}}</code>"), "{page}");
    let csrf = crate::workspace::csrf_of(&page);
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = format!("{}{path}", app.base);
        async move { browser.post(url).form(&fields).send().await.expect("post") }
    };
    let late = |priority: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("name", "Late orders".to_string()),
            ("active", "on".to_string()),
            ("trigger", "conversation.created".to_string()),
            ("text", "late, delayed".to_string()),
            ("channel", "api".to_string()),
            ("channel", "email".to_string()),
            ("assigned", "no".to_string()),
            ("business_hours", "yes".to_string()),
            ("set_priority", priority.to_string()),
            ("assign_team", desk.to_string()),
            ("add_tags", "late".to_string()),
            ("note", "Late order for {{customer.name}}".to_string()),
        ]
    };
    let res = post("/admin/automations", late("high")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, rules) = app.get("/api/v1/automations").await;
    let saved = &rules[0];
    assert_eq!(saved["trigger"], "conversation.created");
    assert_eq!(
        saved["conditions"],
        json!({"priorities": [], "channels": ["api", "email"], "tags": [], "organization_ids": [],
               "customer_tiers": [], "statuses": [], "without_tags": [], "text": ["late", "delayed"],
               "assigned": false, "hours": null, "inboxes": [], "team_ids": [], "assignee_ids": [],
               "customer_domains": [], "fields": {}, "business_hours": true}),
        "{saved}"
    );
    assert_eq!(
        saved["actions"],
        json!([{"type": "set_priority", "priority": "high"},
               {"type": "assign_team", "team_id": desk},
               {"type": "add_tags", "tags": ["late"]},
               {"type": "note", "body": "Late order for {{customer.name}}"}]),
        "{saved}"
    );
    let page = app.html(&browser, "/admin/automations").await;
    assert!(
        page.contains("text contains late or delayed")
            && page.contains("set priority high; move to Desk; add tags late; add a note"),
        "the rule reads in words: {page}"
    );

    // Changing it: the same form with the rule's id.
    let mut change = late("urgent");
    change.push(("id", saved["id"].to_string()));
    let res = post("/admin/automations", change).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, rules) = app.get("/api/v1/automations").await;
    assert_eq!(rules.as_array().map(Vec::len), Some(1));
    assert_eq!(rules[0]["actions"][0]["priority"], "urgent");

    // A loop is refused with the reason.
    let res = post(
        "/admin/automations",
        vec![
            ("_csrf", csrf.clone()),
            ("name", "Loop".into()),
            ("trigger", "conversation.updated".into()),
            ("add_tags", "x".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("would loop"));

    // A dry run keeps the form and lists what matches.
    let res = post(
        "/admin/automations/dry-run",
        vec![
            ("_csrf", csrf.clone()),
            ("name", "".into()),
            ("trigger", "conversation.updated".into()),
            ("text", "late".into()),
        ],
    )
    .await;
    let page = res.text().await.expect("page");
    assert!(
        page.contains("1 open conversation match") && page.contains("Urgent order"),
        "{page}"
    );
    assert!(page.contains(r#"name="text" value="late""#), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn rules_look_at_the_inbox_team_customer_domain_custom_fields_and_business_hours() {
    use crate::inboxes::{INBOX, closed_calendar, open};
    let app = spawn_app_with(|c| c.email = one_inbox(INBOX)).await;
    let desk = app.team("Desk").await;
    let (s, _) = app
        .post(
            "/api/v1/custom_fields",
            json!({"key": "plan", "label": "Plan", "kind": "dropdown", "options": ["free", "pro"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let closed = closed_calendar(&app).await;
    let (s, _) = app
        .put_as(
            &app.token,
            &format!("/api/v1/inboxes/{INBOX}/settings"),
            json!({"calendar_id": closed, "routing": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    rule(
        &app,
        json!({"name": "Pro customers after hours", "trigger": "conversation.created",
               "conditions": {"inboxes": [INBOX], "customer_domains": ["bigco.example"],
                              "fields": {"plan": "PRO"}, "business_hours": false},
               "actions": [{"type": "add_tags", "tags": ["after-hours-pro"]}]}),
    )
    .await;
    rule(
        &app,
        json!({"name": "Desk in hours", "trigger": "conversation.created",
               "conditions": {"team_ids": [desk], "business_hours": true},
               "actions": [{"type": "add_tags", "tags": ["desk-open"]}]}),
    )
    .await;
    let pro = json!({"plan": "pro"});
    let all = open(
        &app,
        "ceo@sales.bigco.example",
        json!({"inbox": INBOX, "custom_fields": pro}),
    )
    .await;
    let free = open(
        &app,
        "cfo@bigco.example",
        json!({"inbox": INBOX, "custom_fields": {"plan": "free"}}),
    )
    .await;
    let other = open(
        &app,
        "ceo@smallco.example",
        json!({"inbox": INBOX, "custom_fields": pro}),
    )
    .await;
    let no_inbox = open(
        &app,
        "cto@bigco.example",
        json!({"custom_fields": pro, "team_id": desk}),
    )
    .await;
    let desk_after_hours = open(
        &app,
        "coo@bigco.example",
        json!({"inbox": INBOX, "team_id": desk}),
    )
    .await;
    let tags = |c: &Value| c["tags"].clone();
    assert_eq!(tags(&all), json!(["after-hours-pro"]), "{all}");
    assert_eq!(tags(&free), json!([]), "another plan: {free}");
    assert_eq!(tags(&other), json!([]), "another domain: {other}");
    assert_eq!(
        tags(&no_inbox),
        json!(["desk-open"]),
        "no inbox, so no calendar: always within hours: {no_inbox}"
    );
    assert_eq!(
        tags(&desk_after_hours),
        json!([]),
        "the inbox's calendar is closed now: {desk_after_hours}"
    );

    for (conditions, says) in [
        (
            json!({"inboxes": ["nobody@acme.test"]}),
            "conditions.inboxes",
        ),
        (json!({"fields": {"shoe_size": "42"}}), "conditions.fields"),
        (json!({"team_ids": [999]}), "conditions.team_ids"),
        (json!({"assignee_ids": [999]}), "conditions.assignee_ids"),
        (
            json!({"customer_domains": ["not a domain"]}),
            "conditions.customer_domains",
        ),
    ] {
        let (s, p) = app
            .post(
                "/api/v1/automations",
                json!({"name": "Bad", "trigger": "conversation.created", "conditions": conditions,
                       "actions": [{"type": "note", "body": "x"}]}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{conditions} → {p}");
        assert!(p.to_string().contains(says), "{conditions} → {p}");
    }
    app.stop().await;
}

#[tokio::test]
async fn rules_run_in_the_order_admins_set() {
    let app = spawn_app().await;
    let high = rule(
        &app,
        json!({"name": "High", "trigger": "conversation.created",
        "actions": [{"type": "set_priority", "priority": "high"}]}),
    )
    .await;
    let low = rule(
        &app,
        json!({"name": "Low", "trigger": "conversation.created",
        "actions": [{"type": "set_priority", "priority": "low"}]}),
    )
    .await;
    let c = app.conversation("one@test.example", "First", "Hi").await;
    assert_eq!(c["priority"], "low", "the later rule acts last: {c}");
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/automations/order",
            Some(&app.token),
            Some(json!({"ids": [low]})),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/automations/order",
            Some(&app.token),
            Some(json!({"ids": [low, high]})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let c = app.conversation("two@test.example", "Second", "Hi").await;
    assert_eq!(c["priority"], "high", "{c}");
    let (_, list) = app.get("/api/v1/automations").await;
    assert_eq!(list[0]["name"], "Low");
    app.stop().await;
}

#[tokio::test]
async fn a_rule_on_customer_messages_sees_the_conversations_tags_and_acts_on_the_new_message() {
    let app = spawn_app().await;
    rule(
        &app,
        json!({
            "name": "VIP replies are urgent", "trigger": "message.received",
            "conditions": {"tags": ["vip"]},
            "actions": [{"type": "set_priority", "priority": "urgent"}],
        }),
    )
    .await;
    let vip = app
        .conversation("vip@test.example", "Order", "Where is it?")
        .await;
    let plain = app
        .conversation("plain@test.example", "Order", "Where is it?")
        .await;
    let (vip_id, plain_id) = (
        vip["id"].as_i64().expect("id"),
        plain["id"].as_i64().expect("id"),
    );
    let (s, _) = app
        .patch(
            &format!("/api/v1/conversations/{vip_id}"),
            json!({"tags": ["vip"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for (id, c) in [(vip_id, &vip), (plain_id, &plain)] {
        let sender = CustomerRef {
            id: c["customer"]["id"].as_i64(),
            ..Default::default()
        };
        let cmd = steward_engine::conversation::NewMessageCmd {
            author: steward_domain::AuthorKind::Customer,
            ..steward_engine::conversation::NewMessageCmd::reply("Any news?")
        };
        let (after, message) = app
            .engine
            .receive_message(id, &sender, cmd)
            .await
            .expect("the customer's message is taken");
        assert_eq!(
            message.author_name.as_deref(),
            c["customer"]["name"].as_str(),
            "the message comes back named for its author"
        );
        assert_eq!(after.message_count, 2, "the count moved with the message");
    }
    let (_, vip) = app.get(&format!("/api/v1/conversations/{vip_id}")).await;
    let (_, plain) = app.get(&format!("/api/v1/conversations/{plain_id}")).await;
    assert_eq!(vip["priority"], "urgent", "{vip}");
    assert_eq!(plain["priority"], "normal", "{plain}");
    app.stop().await;
}
