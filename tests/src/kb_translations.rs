//! Article translations: each names its original, one per language; the help center shows a
//! reader their language (their choice, else their browser's) and links the other versions.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn get(app: &TestApp, client: &reqwest::Client, path: &str, lang: Option<&str>) -> String {
    let mut req = client.get(format!("{}{path}", app.base));
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    req.send().await.expect("sent").text().await.expect("html")
}

async fn article(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/kb/articles", body).await
}

#[tokio::test]
async fn readers_get_articles_in_their_language_with_links_to_the_other_versions() {
    let app = spawn_app().await;
    let (s, cat) = app
        .post("/api/v1/kb/categories", json!({"name": "Returns"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, en) = article(&app, json!({"title": "Returning an item", "body": "Print the label.", "state": "published", "category_id": cat["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{en}");
    let (s, de) = article(&app, json!({"title": "Einen Artikel zurückgeben", "body": "Drucken Sie das Etikett.", "state": "published", "locale": "de", "category_id": cat["id"], "translation_of": en["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{de}");
    assert_eq!(de["translation_of"], en["id"]);
    // One version per language; a translation of a translation names the original.
    let (s, p) = article(
        &app,
        json!({"title": "Zurückgeben", "body": "x", "locale": "de", "translation_of": en["id"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (s, fr) = article(&app, json!({"title": "Retourner un article", "body": "Imprimez l'étiquette.", "state": "published", "locale": "fr", "translation_of": de["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{fr}");
    assert_eq!(fr["translation_of"], en["id"]);
    let (s, _) = article(
        &app,
        json!({"title": "Bad", "body": "x", "translation_of": 999}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let public = reqwest::Client::new();
    let english = get(&app, &public, "/help", None).await;
    assert!(
        english.contains("Returning an item") && !english.contains("Einen Artikel"),
        "{english}"
    );
    assert!(
        english.contains("href=\"/help/lang/de\"") && english.contains("Français"),
        "language links"
    );
    let german = get(&app, &public, "/help", Some("de-DE,de;q=0.9,en;q=0.5")).await;
    assert!(
        german.contains("Einen Artikel zurückgeben") && !german.contains("Returning an item"),
        "{german}"
    );
    assert!(german.contains("<html lang=\"de-DE\">"));
    let cat_page = get(
        &app,
        &public,
        &format!("/help/categories/{}", cat["slug"].as_str().expect("slug")),
        Some("fr"),
    )
    .await;
    assert!(cat_page.contains("Retourner un article") && !cat_page.contains("Returning an item"));

    // Choosing a language sticks, whatever the browser says.
    let browser = crate::signin::browser();
    let res = browser
        .get(format!("{}/help/lang/fr", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let chosen = get(&app, &browser, "/help", Some("de")).await;
    assert!(chosen.contains("Retourner un article"), "{chosen}");

    // An article links its other versions.
    let page = get(
        &app,
        &public,
        &format!("/help/articles/{}-returning-an-item", en["id"]),
        None,
    )
    .await;
    assert!(
        page.contains(&format!(
            "href=\"/help/articles/{}-einen-artikel-zuruckgeben\">Deutsch</a>",
            de["id"]
        )),
        "{page}"
    );

    // In the workspace, "Translate" starts from the original's text.
    let admin = app.admin_browser().await;
    let view = app.html(&admin, &format!("/kb/{}", de["id"])).await;
    assert!(
        view.contains(&format!("/kb/new?translation_of={}", en["id"])) && view.contains("also in")
    );
    let editor = app
        .html(&admin, &format!("/kb/new?translation_of={}", en["id"]))
        .await;
    assert!(
        editor.contains("Print the label.")
            && editor.contains(&format!("name=\"translation_of\" value=\"{}\"", en["id"]))
    );
}
