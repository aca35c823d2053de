//! The knowledge base for agents: articles suggested beside a conversation with their link and
//! text ready to insert, related articles, every save kept with restore, and stale articles
//! flagged with their owners reminded by mail.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn article(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, a) = app.post_as(token, "/api/v1/kb/articles", body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a
}

#[tokio::test]
async fn articles_matching_a_conversation_are_suggested_with_their_link_and_text_to_insert() {
    let app = spawn_app().await;
    let t = app.token.clone();
    let (_, cat) = app
        .post("/api/v1/kb/categories", json!({"name": "Returns"}))
        .await;
    let public = article(&app, &t, json!({"title": "How do I return an item?", "body": "Print the **label** and drop the parcel.", "state": "published", "category_id": cat["id"]})).await;
    article(&app, &t, json!({"title": "Refund approval limits", "body": "Agents refund up to 200 euro.", "state": "published", "visibility": "internal", "category_id": cat["id"]})).await;
    article(
        &app,
        &t,
        json!({"title": "Return policy draft", "body": "Not ready", "state": "draft"}),
    )
    .await;
    let c = app
        .conversation(
            "ann@example.com",
            "Return my boots",
            "How do I return an item?",
        )
        .await;
    let browser = app.admin_browser().await;
    let page = app
        .html(&browser, &format!("/conversations/{}", c["id"]))
        .await;
    assert!(page.contains("How do I return an item?</a>"), "{page}");
    assert!(
        page.contains("data-insert=\"http://")
            && page.contains(&format!(
                "/help/articles/{}-how-do-i-return-an-item",
                public["id"]
            ))
    );
    assert!(
        page.contains("data-insert=\"Print the label and drop the parcel."),
        "the text to insert, as plain text"
    );
    assert!(
        !page.contains("Return policy draft"),
        "drafts are not suggested"
    );

    let c2 = app
        .conversation(
            "bob@example.com",
            "Refund above the limit",
            "Can you approve a refund of 300 euro?",
        )
        .await;
    let page = app
        .html(&browser, &format!("/conversations/{}", c2["id"]))
        .await;
    let card = page
        .split("id=\"articles-h\"")
        .nth(1)
        .and_then(|r| r.split("</section>").next())
        .expect("card");
    assert!(
        card.contains("Refund approval limits") && card.contains("internal"),
        "{card}"
    );
    assert!(
        !card.contains("Insert link"),
        "an internal article has no public link: {card}"
    );

    // The public page lists related articles, never internal ones.
    article(&app, &t, json!({"title": "Return shipping labels", "body": "Labels are free.", "state": "published", "category_id": cat["id"]})).await;
    let res = app
        .client
        .get(format!(
            "{}/help/articles/{}-how-do-i-return-an-item",
            app.base, public["id"]
        ))
        .send()
        .await
        .expect("sent");
    let html = res.text().await.unwrap_or_default();
    assert!(
        html.contains("Related articles") && html.contains("Return shipping labels"),
        "{html}"
    );
    assert!(!html.contains("Refund approval limits"));
}

#[tokio::test]
async fn every_save_is_kept_and_an_earlier_version_can_be_restored() {
    let app = spawn_app().await;
    let t = app.token.clone();
    let a = article(
        &app,
        &t,
        json!({"title": "Shipping times", "body": "Two days.", "state": "published"}),
    )
    .await;
    let id = a["id"].as_i64().expect("id");
    let (s, _) = app
        .put_as(
            &t,
            &format!("/api/v1/kb/articles/{id}"),
            json!({"title": "Shipping times", "body": "Five days, sadly.", "state": "published"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, versions) = app.get(&format!("/api/v1/kb/articles/{id}/versions")).await;
    assert_eq!(s, StatusCode::OK);
    let bodies: Vec<&str> = versions
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["body"].as_str())
        .collect();
    assert_eq!(bodies, ["Five days, sadly.", "Two days."]);
    let first = versions[1]["id"].as_i64().expect("id");
    let (s, restored) = app
        .post(
            &format!("/api/v1/kb/articles/{id}/versions/{first}/restore"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{restored}");
    assert_eq!(restored["body"], "Two days.");
    let (_, versions) = app.get(&format!("/api/v1/kb/articles/{id}/versions")).await;
    assert_eq!(
        versions.as_array().map(Vec::len),
        Some(3),
        "restoring is a new save; nothing lost"
    );

    // In the workspace: the history page, and restoring through it.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, &format!("/kb/{id}/history")).await;
    assert!(page.contains("Five days, sadly.") && page.contains("Restore this version"));
    let csrf = crate::signin::csrf_of(&page);
    let second = versions[1]["id"].to_string();
    let res = browser
        .post(format!("{}/kb/{id}/restore", app.base))
        .form(&[("_csrf", csrf.as_str()), ("version_id", second.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = app.get(&format!("/api/v1/kb/articles/{id}")).await;
    assert_eq!(now["body"], "Five days, sadly.");
    // Agents read articles but not their history.
    let (_, agent) = app.agent("bea@example.com", "agent", &[]).await;
    let (s, _) = app
        .get_as(&agent, &format!("/api/v1/kb/articles/{id}/versions"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn stale_articles_are_flagged_and_their_owners_reminded_until_reviewed() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let (_, sue) = app.agent("sue@acme.test", "supervisor", &[]).await;
    let old = article(
        &app,
        &sue,
        json!({"title": "Warranty terms", "body": "Two years.", "state": "published"}),
    )
    .await;
    article(
        &app,
        &sue,
        json!({"title": "Fresh article", "body": "New.", "state": "published"}),
    )
    .await;
    let id = old["id"].as_i64().expect("id");
    let mut tx = app.engine.store.write().await.expect("writer");
    sqlx::query("UPDATE kb_articles SET reviewed_at = 1000 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .expect("age it");
    tx.commit().await.expect("committed");

    let browser = app.admin_browser().await;
    let list = app.html(&browser, "/kb?stale=1").await;
    assert!(
        list.contains("Warranty terms") && list.contains("needs review"),
        "{list}"
    );
    assert!(!list.contains("Fresh article"));

    assert_eq!(
        app.engine.send_kb_review_reminders().await.expect("sent"),
        1
    );
    let mails = relay.wait_for(1).await;
    assert_eq!(mails[0].to[0].address, "sue@acme.test");
    assert!(
        mails[0].text.contains("Warranty terms") && mails[0].text.contains(&format!("/kb/{id}")),
        "{}",
        mails[0].text
    );
    assert!(!mails[0].text.contains("Fresh article"));

    // Someone who neither owns it nor supervises cannot mark it; its owner can.
    let (_, bea) = app.agent("bea@acme.test", "agent", &[]).await;
    let (s, _) = app
        .post_as(
            &bea,
            &format!("/api/v1/kb/articles/{id}/reviewed"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post_as(
            &sue,
            &format!("/api/v1/kb/articles/{id}/reviewed"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let list = app.html(&browser, "/kb?stale=1").await;
    assert!(!list.contains("Warranty terms"));
    assert_eq!(
        app.engine.send_kb_review_reminders().await.expect("sent"),
        0
    );
}

#[tokio::test]
async fn insert_link_puts_the_articles_address_into_the_reply_in_a_real_browser() {
    use crate::browser::{Driver, Session, chromedriver};
    let Some(path) = chromedriver() else {
        assert!(
            std::env::var("STEWARD_REQUIRE_BROWSER").is_err(),
            "STEWARD_REQUIRE_BROWSER is set but chromedriver is missing"
        );
        eprintln!("skipped: chromedriver is not installed");
        return;
    };
    let app = spawn_app().await;
    let t = app.token.clone();
    let a = article(&app, &t, json!({"title": "Tracking a parcel", "body": "Use the tracking link.", "state": "published"})).await;
    let c = app
        .conversation(
            "pat@example.com",
            "Tracking my parcel",
            "Where can I track my parcel?",
        )
        .await;
    let driver = Driver::start(&path).await;
    let profile = std::env::temp_dir().join(format!("steward-insert-{}", std::process::id()));
    let s = Session::open(&driver, &profile).await;
    s.sign_in_to(
        &app.base,
        &format!("/conversations/{}", c["id"]),
        "Where can I track",
    )
    .await;
    s.type_into("#body", "Hello Pat, see:").await;
    s.click("button.insert[data-insert^='http']").await;
    let reply = s
        .script("return document.getElementById('body').value;")
        .await;
    let reply = reply.as_str().unwrap_or("");
    assert!(
        reply.starts_with("Hello Pat, see:")
            && reply.ends_with(&format!("/help/articles/{}-tracking-a-parcel", a["id"])),
        "{reply:?}"
    );
    s.close().await;
    let _ = std::fs::remove_dir_all(&profile);
    app.stop().await;
}

async fn upload(
    app: &TestApp,
    browser: &reqwest::Client,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let page = app.html(browser, "/kb").await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", crate::signin::csrf_of(&page))
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec())
                .file_name(name.to_string())
                .mime_str(mime)
                .expect("mime"),
        );
    let res = browser
        .post(format!("{}/kb/files", app.base))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn images_in_articles_are_public_only_while_a_public_article_shows_them() {
    let app = spawn_app().await;
    let admin = app.admin_browser().await;
    let (s, img) = upload(&app, &admin, "tent photo.png", "image/png", b"\x89PNG tent").await;
    assert_eq!(s, StatusCode::OK, "{img}");
    let md = img["markdown"].as_str().expect("markdown").to_string();
    let url = img["url"].as_str().expect("url").to_string();
    assert_eq!(md, format!("![tent photo.png]({url})"));
    assert!(url.ends_with("/tent-photo.png"), "{url}");
    let a = article(&app, &app.token, json!({"title": "Pitching the tent", "body": format!("Like this:\n\n{md}"), "state": "draft"})).await;
    let public = reqwest::Client::new();
    let fetch = |u: String| {
        let c = public.clone();
        async move { c.get(u).send().await.expect("sent").status() }
    };
    assert_eq!(
        fetch(format!("{}{url}", app.base)).await,
        StatusCode::NOT_FOUND,
        "not while only a draft shows it"
    );
    let (s, _) = app.put_as(&app.token, &format!("/api/v1/kb/articles/{}", a["id"]), json!({"title": "Pitching the tent", "body": format!("Like this:\n\n{md}"), "state": "published"})).await;
    assert_eq!(s, StatusCode::OK);
    let res = public
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    let page = public
        .get(format!(
            "{}/help/articles/{}-pitching-the-tent",
            app.base, a["id"]
        ))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&format!("<img src=\"{url}\" alt=\"tent photo.png\"")),
        "{page}"
    );

    // A file in an internal article: agents fetch it, the public does not.
    let (_, pdf) = upload(
        &app,
        &admin,
        "policy.pdf",
        "application/pdf",
        b"%PDF policy",
    )
    .await;
    let pdf_url = pdf["url"].as_str().expect("url").to_string();
    article(&app, &app.token, json!({"title": "Refund policy", "body": format!("See {}", pdf["markdown"].as_str().expect("md")), "state": "published", "visibility": "internal"})).await;
    assert_eq!(
        fetch(format!("{}{pdf_url}", app.base)).await,
        StatusCode::NOT_FOUND
    );
    let res = admin
        .get(format!("{}{pdf_url}", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);

    // Only those who write articles upload.
    app.agent("bea@example.com", "agent", &[]).await;
    let bea = crate::signin::sign_in(&app, "bea@example.com", "agent password 1").await;
    let (s, _) = upload(&app, &bea, "x.png", "image/png", b"x").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
