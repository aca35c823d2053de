//! The knowledge base and the public help center: articles written in Markdown (script
//! removed), drafts and internal articles never reachable from the public site, its search or
//! its sitemap; agents read internal articles; "Was this helpful?" is counted.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn article(app: &TestApp, body: Value) -> Value {
    let (s, a) = app.post("/api/v1/kb/articles", body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a
}

async fn public(app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("sent");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn the_help_center_shows_published_public_articles_and_never_drafts_or_internal_ones() {
    let app = spawn_app().await;
    let (s, cat) = app
        .post(
            "/api/v1/kb/categories",
            json!({"name": "Returns & refunds", "description": "Sending things back"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cat}");
    assert_eq!(cat["slug"], "returns-refunds");
    let open = article(
        &app,
        json!({"title": "How do I return boots?", "category_id": cat["id"], "state": "published",
               "body": "# Returning boots\n\nBoots can be **returned** within 30 days.\n\n<script>window.x=1</script><img src=x onerror=alert(1)>",
               "tags": ["Returns"]}),
    )
    .await;
    assert_eq!(
        open["url"],
        format!("/help/articles/{}-how-do-i-return-boots", open["id"])
    );
    assert!(
        open["html"]
            .as_str()
            .unwrap_or("")
            .contains("<strong>returned</strong>")
    );
    assert!(
        !open["html"].as_str().unwrap_or("").contains("<script"),
        "{open}"
    );
    assert!(
        !open["html"].as_str().unwrap_or("").contains("onerror"),
        "{open}"
    );
    let draft = article(
        &app,
        json!({"title": "Secret returns draft", "category_id": cat["id"],
               "body": "Returned boots policy under review"}),
    )
    .await;
    assert_eq!(draft["state"], "draft");
    let internal = article(
        &app,
        json!({"title": "Refund approval limits", "category_id": cat["id"], "state": "published",
               "visibility": "internal", "body": "Agents may refund returned boots up to 200 euros"}),
    )
    .await;

    // The public pages.
    let (s, home) = public(&app, "/help").await;
    assert_eq!(s, StatusCode::OK);
    assert!(home.contains("How do I return boots?"));
    assert!(!home.contains("Secret returns draft") && !home.contains("Refund approval limits"));
    let (s, page) = public(&app, open["url"].as_str().unwrap_or("")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("<title>How do I return boots? · Steward</title>"),
        "{page}"
    );
    assert!(!page.contains("<script>window.x"));
    for hidden in [&draft, &internal] {
        let (s, _) = public(&app, &format!("/help/articles/{}-x", hidden["id"])).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{hidden}");
    }
    // Another spelling of the address goes to the right one.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!(
            "{}/help/articles/{}-old-title",
            app.base, open["id"]
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);

    // Search: only the public article, with the word marked.
    let (_, found) = public(&app, "/help/search?q=returned+boots").await;
    assert!(found.contains("How do I return boots?"), "{found}");
    assert!(found.contains("<mark>returned</mark>"), "{found}");
    assert!(!found.contains("Secret returns draft") && !found.contains("Refund approval"));
    let (_, sitemap) = public(&app, "/sitemap.xml").await;
    assert!(sitemap.contains(&format!(
        "/help/articles/{}-how-do-i-return-boots",
        open["id"]
    )));
    assert!(sitemap.contains("/help/categories/returns-refunds"));
    assert!(!sitemap.contains(&format!("/help/articles/{}-", draft["id"])));
    assert!(!sitemap.contains(&format!("/help/articles/{}-", internal["id"])));

    // "Was this helpful?" counts, and a comment reaches the feedback list.
    let res = app
        .client
        .post(format!("{}/help/articles/{}/helpful", app.base, open["id"]))
        .form(&[("helpful", "no"), ("comment", "What about sandals?")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, a) = app
        .get(&format!("/api/v1/kb/articles/{}", open["id"]))
        .await;
    assert_eq!(a["helpful_no"], 1);
    assert!(a["views"].as_i64().unwrap_or(0) >= 1);
    let (_, items) = app.get("/api/v1/feedback").await;
    assert!(
        items[0]["body"]
            .as_str()
            .unwrap_or("")
            .contains("What about sandals?"),
        "{items}"
    );
    app.stop().await;
}

#[tokio::test]
async fn agents_read_internal_articles_but_only_supervisors_write_or_see_drafts() {
    let app = spawn_app().await;
    let internal = article(
        &app,
        json!({"title": "Refund limits", "state": "published", "visibility": "internal",
               "body": "Up to 200 euros without approval"}),
    )
    .await;
    let draft = article(&app, json!({"title": "Draft", "body": "not yet"})).await;
    let (_, agent) = app.agent("bea@example.com", "agent", &[]).await;
    let (s, list) = app.get_as(&agent, "/api/v1/kb/articles").await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&Value> = list
        .as_array()
        .map(|l| l.iter().map(|a| &a["id"]).collect())
        .unwrap_or_default();
    assert!(
        ids.contains(&&internal["id"]) && !ids.contains(&&draft["id"]),
        "{list}"
    );
    let (s, found) = app.get_as(&agent, "/api/v1/kb/articles?q=refund").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found[0]["id"], internal["id"]);
    let (s, _) = app
        .get_as(&agent, &format!("/api/v1/kb/articles/{}", draft["id"]))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post_as(
            &agent,
            "/api/v1/kb/articles",
            json!({"title": "Mine", "body": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad input is refused with the reason.
    let (s, e) = app
        .post(
            "/api/v1/kb/articles",
            json!({"title": "x", "body": "y", "state": "live"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = app
        .post(
            "/api/v1/kb/articles",
            json!({"title": "x", "body": "y", "category_id": 999}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn editors_preview_and_save_articles_in_the_workspace_and_agents_only_read() {
    use crate::workspace::{csrf_of, page, sign_in};
    let app = spawn_app().await;
    let ada = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (s, html) = page(&ada, &app, "/kb/new").await;
    assert_eq!(s, StatusCode::OK);
    let csrf = csrf_of(&html);
    let form = |action: &'static str, title: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("id", "0".to_string()),
            ("title", title.to_string()),
            ("category_id", "0".to_string()),
            ("state", "published".to_string()),
            ("visibility", "internal".to_string()),
            ("locale", "en".to_string()),
            ("tags", "billing".to_string()),
            (
                "body",
                "**Refunds** over 200 need approval <script>x()</script>".to_string(),
            ),
            ("action", action.to_string()),
        ]
    };
    let preview = ada
        .post(format!("{}/kb", app.base))
        .form(&form("preview", "Refund limits"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .unwrap_or_default();
    assert!(preview.contains("<strong>Refunds</strong>"), "{preview}");
    assert!(!preview.contains("<script>x()"), "{preview}");
    // A refused save keeps what was typed and says why.
    let refused = ada
        .post(format!("{}/kb", app.base))
        .form(&form("save", " "))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .unwrap_or_default();
    assert!(refused.contains("title must not be empty"), "{refused}");
    assert!(refused.contains("over 200 need approval"));
    let res = ada
        .post(format!("{}/kb", app.base))
        .form(&form("save", "Refund limits"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    app.agent("bea@example.com", "agent", &[]).await;
    let bea = sign_in(&app, "bea@example.com", "agent password 1").await;
    let (s, list) = page(&bea, &app, "/kb?q=refund").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("Refund limits"), "{list}");
    assert!(!list.contains("New article"));
    let (s, _) = page(&bea, &app, "/kb/new").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn categories_hold_sections_one_level_deep_and_the_help_center_shows_both() {
    let app = spawn_app().await;
    let (_, returns) = app
        .post("/api/v1/kb/categories", json!({"name": "Orders"}))
        .await;
    let (s, section) = app
        .post(
            "/api/v1/kb/categories",
            json!({"name": "Returns", "parent_id": returns["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{section}");
    assert_eq!(section["parent_id"], returns["id"]);
    let (s, p) = app
        .post(
            "/api/v1/kb/categories",
            json!({"name": "Too deep", "parent_id": section["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    article(&app, json!({"title": "Tracking an order", "body": "Use the link.", "state": "published", "category_id": returns["id"]})).await;
    article(&app, json!({"title": "Printing a return label", "body": "From My orders.", "state": "published", "category_id": section["id"]})).await;

    let (_, home) = public(&app, "/help").await;
    assert!(
        home.contains("<h2><a href=\"/help/categories/orders\">Orders</a></h2>"),
        "{home}"
    );
    assert!(home.contains("<h3><a href=\"/help/categories/returns\">Returns</a></h3>"));
    assert!(home.contains("Tracking an order") && home.contains("Printing a return label"));
    let (_, sec) = public(&app, "/help/categories/returns").await;
    assert!(sec.contains("Printing a return label") && !sec.contains("Tracking an order"));
    assert!(
        sec.contains("href=\"/help/categories/orders\">Orders</a>"),
        "the way back up"
    );
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/kb/categories/{}", returns["id"]),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "a category with sections stays"
    );
}
