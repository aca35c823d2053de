//! The company's name, colour and logo on the public pages, set by an admin.

use crate::helpers::*;
use reqwest::StatusCode;

async fn save(
    app: &TestApp,
    browser: &reqwest::Client,
    parts: reqwest::multipart::Form,
) -> StatusCode {
    let page = app.html(browser, "/admin/branding").await;
    let csrf = crate::signin::csrf_of(&page);
    browser
        .post(format!("{}/admin/branding", app.base))
        .multipart(parts.text("_csrf", csrf))
        .send()
        .await
        .expect("sent")
        .status()
}

fn logo(name: &str, mime: &str, bytes: &[u8]) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(name.to_string())
        .mime_str(mime)
        .expect("mime")
}

#[tokio::test]
async fn an_admins_name_colour_and_logo_show_on_the_help_center_and_portal() {
    let app = spawn_app().await;
    let admin = app.admin_browser().await;
    let png = b"\x89PNG\r\n\x1a\nlogo";
    let form = reqwest::multipart::Form::new()
        .text("name", "Acme Outdoor")
        .text("colour", "#AA3300")
        .part("logo", logo("logo.png", "image/png", png));
    assert_eq!(save(&app, &admin, form).await, StatusCode::SEE_OTHER);

    let public = reqwest::Client::new();
    for path in ["/help", "/portal/sign-in"] {
        let html = public
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("html");
        assert!(
            html.contains("Acme Outdoor · Help center"),
            "{path}: {html}"
        );
        assert!(
            html.contains("background: #aa3300") && html.contains("src=\"/brand/logo\""),
            "{path}"
        );
    }
    let res = public
        .get(format!("{}/brand/logo", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), png);

    // An SVG (which could carry script) and a bad colour are refused; nothing changes.
    let svg = reqwest::multipart::Form::new().text("name", "Evil").part(
        "logo",
        logo("x.svg", "image/svg+xml", b"<svg onload=alert(1)/>"),
    );
    assert_eq!(
        save(&app, &admin, svg).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let red = reqwest::multipart::Form::new()
        .text("name", "Evil")
        .text("colour", "red;x");
    assert_eq!(
        save(&app, &admin, red).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let html = public
        .get(format!("{}/help", app.base))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Acme Outdoor") && !html.contains("Evil"));

    // Removing the logo; agents cannot change any of it.
    let off = reqwest::multipart::Form::new()
        .text("name", "Acme Outdoor")
        .text("remove_logo", "on");
    assert_eq!(save(&app, &admin, off).await, StatusCode::SEE_OTHER);
    let res = public
        .get(format!("{}/brand/logo", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.agent("bea@example.com", "agent", &[]).await;
    let bea = crate::signin::sign_in(&app, "bea@example.com", "agent password 1").await;
    let (s, _) = crate::signin::page(&bea, &app, "/admin/branding").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
