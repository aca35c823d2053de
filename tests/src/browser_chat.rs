//! Live chat in real browsers: a visitor opens the demo shop page (`/demo/site`), starts a
//! chat in the widget; an agent in another browser answers from the workspace; the visitor
//! sees the answer; the visitor's connection drops and resumes with nothing lost or shown
//! twice. Script in the visitor's name and message is shown as text on both sides.

use crate::browser::{Driver, Session, chromedriver};
use crate::helpers::*;
use std::time::Duration;

const HOST: &str = "#steward-chat";

/// The widget's message list as text.
async fn log_text(s: &Session<'_>) -> String {
    s.script(
        "var r = document.getElementById('steward-chat'); \
         return r && r.shadowRoot ? r.shadowRoot.querySelector('.log').innerText : '';",
    )
    .await
    .as_str()
    .unwrap_or("")
    .to_string()
}

/// Waits until the widget's messages contain `needle`; returns them.
async fn widget_shows(s: &Session<'_>, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..80 {
        text = log_text(s).await;
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = s
        .script(
            "var r = document.getElementById('steward-chat').shadowRoot; \
             return [r.querySelector('.err').textContent, r.querySelector('textarea').value, \
                     r.querySelector('.note').textContent, String(r.querySelector('.pre').hidden)].join(' | ');",
        )
        .await;
    panic!("the widget never showed {needle:?}; it shows:\n{text}\nstate: {state}");
}

#[tokio::test]
async fn a_visitor_on_the_demo_shop_chats_with_an_agent_in_another_browser_and_resumes_after_a_drop()
 {
    let Some(path) = chromedriver() else {
        assert!(
            std::env::var("STEWARD_REQUIRE_BROWSER").is_err(),
            "STEWARD_REQUIRE_BROWSER is set but chromedriver is missing"
        );
        eprintln!("skipped: chromedriver is not installed");
        return;
    };
    let app = spawn_app_with(|c| c.demo_site = true).await;
    crate::chat::chat_inbox(&app, serde_json::json!({})).await;
    let driver = Driver::start(&path).await;
    let dir = std::env::temp_dir();
    let pid = std::process::id();
    let visitor = Session::open(&driver, &dir.join(format!("steward-visitor-{pid}"))).await;
    let agent = Session::open(&driver, &dir.join(format!("steward-agent-{pid}"))).await;

    // The visitor opens the shop and the chat, gives a name with script in it, and writes.
    visitor.go(&format!("{}/demo/site", app.base)).await;
    let launcher = visitor.find_in_shadow(HOST, ".launch").await;
    visitor.click_element(&launcher).await;
    let name = visitor.find_in_shadow(HOST, "#sc-name").await;
    visitor
        .type_into_element(&name, "<img src=x onerror=\"window.pwned=1\">Vic")
        .await;
    let email = visitor.find_in_shadow(HOST, "#sc-email").await;
    visitor.type_into_element(&email, "vic@example.com").await;
    let text = visitor.find_in_shadow(HOST, "textarea").await;
    visitor
        .type_into_element(
            &text,
            "<script>window.pwned=2</script>Is the tent waterproof?",
        )
        .await;
    let send = visitor.find_in_shadow(HOST, ".send").await;
    visitor.click_element(&send).await;
    widget_shows(
        &visitor,
        "<script>window.pwned=2</script>Is the tent waterproof?",
    )
    .await;

    // The agent, in another browser, finds the chat and answers it from the workspace.
    let mut chat = serde_json::Value::Null;
    for _ in 0..50 {
        let (_, list) = app.get("/api/v1/conversations?channel=chat").await;
        if let Some(c) = list["data"].get(0) {
            chat = c.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let chat_id = chat["id"].as_i64().expect("the chat is a conversation");
    let timeline = agent
        .sign_in_to(
            &app.base,
            &format!("/conversations/{chat_id}"),
            "Is the tent waterproof?",
        )
        .await;
    assert!(
        timeline.contains("<script>window.pwned=2</script>Is the tent waterproof?"),
        "the agent sees the message as text: {timeline}"
    );
    agent.type_into("#body", "Yes, fully waterproof.").await;
    agent.click("#composer button[type=submit]").await;
    let shown = widget_shows(&visitor, "Yes, fully waterproof.").await;
    assert!(shown.contains("Ada Admin"), "the agent is named: {shown}");

    // The visitor's connection drops; meanwhile the agent writes again and the visitor too.
    visitor.script("window.StewardChat.drop(); return 1;").await;
    app.post(
        &format!("/api/v1/conversations/{chat_id}/messages"),
        serde_json::json!({"body": "Anything else?"}),
    )
    .await;
    let text = visitor.find_in_shadow(HOST, "textarea").await;
    visitor
        .type_into_element(&text, "No, thanks!\u{E007}")
        .await;
    let shown = widget_shows(&visitor, "Anything else?").await;
    widget_shows(&visitor, "No, thanks!").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let shown_after = log_text(&visitor).await;
    for line in ["Yes, fully waterproof.", "Anything else?", "No, thanks!"] {
        assert_eq!(
            shown_after.matches(line).count(),
            1,
            "{line:?} shown once: {shown_after} (before: {shown})"
        );
    }
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{chat_id}/messages"))
        .await;
    let bodies: Vec<&str> = msgs
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["body"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        bodies.iter().filter(|b| **b == "No, thanks!").count(),
        1,
        "stored once: {bodies:?}"
    );

    // A reload keeps the chat and its history.
    visitor.go(&format!("{}/demo/site", app.base)).await;
    widget_shows(&visitor, "Anything else?").await;

    // Nothing the visitor typed ran, in the widget or in the workspace.
    assert_eq!(visitor.script("return window.pwned || 0;").await, 0);
    agent
        .go(&format!(
            "{}/customers/{}",
            app.base, chat["customer"]["id"]
        ))
        .await;
    assert_eq!(agent.script("return window.pwned || 0;").await, 0);
    let (_, customer) = app
        .get(&format!("/api/v1/customers/{}", chat["customer"]["id"]))
        .await;
    assert!(
        customer["name"]
            .as_str()
            .unwrap_or("")
            .contains("<img src=x"),
        "{customer}"
    );

    visitor.close().await;
    agent.close().await;
    for who in ["visitor", "agent"] {
        let _ = std::fs::remove_dir_all(dir.join(format!("steward-{who}-{pid}")));
    }
    app.stop().await;
}

#[tokio::test]
async fn before_a_chat_the_widget_suggests_articles_and_one_that_answers_counts_a_deflection() {
    let Some(path) = chromedriver() else {
        assert!(
            std::env::var("STEWARD_REQUIRE_BROWSER").is_err(),
            "STEWARD_REQUIRE_BROWSER is set but chromedriver is missing"
        );
        eprintln!("skipped: chromedriver is not installed");
        return;
    };
    let app = spawn_app_with(|c| c.demo_site = true).await;
    crate::chat::chat_inbox(&app, serde_json::json!({})).await;
    let (s, a) = app
        .post(
            "/api/v1/kb/articles",
            serde_json::json!({"title": "Is the tent waterproof?", "body": "Yes, to 3000 mm.", "state": "published"}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{a}");
    let driver = Driver::start(&path).await;
    let dir = std::env::temp_dir().join(format!("steward-tips-{}", std::process::id()));
    let visitor = Session::open(&driver, &dir).await;
    visitor.go(&format!("{}/demo/site", app.base)).await;
    let launcher = visitor.find_in_shadow(HOST, ".launch").await;
    visitor.click_element(&launcher).await;
    let text = visitor.find_in_shadow(HOST, "textarea").await;
    visitor
        .type_into_element(&text, "is my tent waterproof")
        .await;
    // Suggestions under the message box; "This answered it" counts a deflection.
    answered_by_suggestion(&visitor, "form .tips").await;
    deflections_reach(&app, 1).await;

    // The help tab searches the help center too, and counts the same way.
    let help = visitor
        .find_in_shadow(HOST, "header button[aria-controls='sc-help']")
        .await;
    visitor.click_element(&help).await;
    let search = visitor.find_in_shadow(HOST, ".helppane input").await;
    visitor.type_into_element(&search, "tent waterproof").await;
    answered_by_suggestion(&visitor, ".helppane .tips").await;
    deflections_reach(&app, 2).await;
    let (_, list) = app.get("/api/v1/conversations").await;
    assert_eq!(list["data"], serde_json::json!([]), "no chat was opened");
    visitor.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
}

/// Waits for the article in the widget's suggestions at `box_css`, then says it answered.
async fn answered_by_suggestion(visitor: &Session<'_>, box_css: &str) {
    let js = format!(
        "var r = document.getElementById('steward-chat').shadowRoot.querySelector('{box_css}'); \
         return r.hidden ? '' : r.innerText;"
    );
    let mut shown = String::new();
    for _ in 0..50 {
        shown = visitor.script(&js).await.as_str().unwrap_or("").to_string();
        if shown.contains("Is the tent waterproof?") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        shown.contains("Is the tent waterproof?"),
        "{box_css}: {shown:?}"
    );
    let yes = visitor
        .find_in_shadow(HOST, &format!("{box_css} button"))
        .await;
    visitor.click_element(&yes).await;
}

/// Waits until today's report counts `n` deflections from the widget.
async fn deflections_reach(app: &TestApp, n: i64) {
    let want = serde_json::json!([["widget", n]]);
    let mut counted = serde_json::Value::Null;
    for _ in 0..50 {
        let today = jiff::Zoned::now().date().to_string();
        let (_, r) = app
            .get(&format!("/api/v1/reports/summary?from={today}&to={today}"))
            .await;
        counted = r["deflections_by_source"].clone();
        if counted == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counted, want);
}
