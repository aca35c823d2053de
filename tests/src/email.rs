//! Email in over real SMTP: mail is delivered to Steward's listener with an SMTP client and
//! becomes conversations, threads, attachments and inline images; STARTTLS, the blocklist and
//! inboxes added by admins. What goes out is in `email_outbound`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use steward::config::Config;
use steward::email_config::{EmailConfig, InboxConfig, RelayConfig, SmtpConfig};
use steward_channels::email::outbound::{Relay, Security};

pub(crate) const INBOX: &str = "support@acme.test";

pub(crate) fn email_config(relay_port: Option<u16>) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.email = EmailConfig {
            hostname: "acme.test".into(),
            inboxes: vec![InboxConfig {
                address: INBOX.into(),
                name: Some("Acme Support".into()),
                team: None,
                acknowledge: true,
                acknowledgement: None,
            }],
            smtp: Some(SmtpConfig {
                bind: "127.0.0.1:0".into(),
                max_message_bytes: 200_000,
                certificate: None,
                private_key: None,
            }),
            relay: relay_port.map(|port| RelayConfig {
                host: "127.0.0.1".into(),
                port,
                security: "none".into(),
                username: None,
                password: None,
            }),
            max_auto_replies_per_hour: 5,
            imap: Vec::new(),
            workspace_url: None,
            blocklist: Vec::new(),
            authentication: None,
        };
    }
}

/// An SMTP client pointed at the app's listener.
pub(crate) fn client(app: &TestApp) -> Relay {
    Relay {
        host: "127.0.0.1".into(),
        port: app.smtp_addr().port(),
        security: Security::None,
        ..Relay::default()
    }
}

pub(crate) async fn deliver(app: &TestApp, from: &str, raw: &str) {
    client(app)
        .send(from, &[INBOX.to_string()], raw.as_bytes())
        .await
        .expect("the listener answers 250");
}

pub(crate) fn mail(from: &str, id: &str, subject: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {INBOX}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\r\n{body}\r\n"
    )
}

pub(crate) async fn conversations(app: &TestApp) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/conversations?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().cloned().unwrap_or_default()
}

/// The conversation's page in the workspace, as the admin sees it.
pub(crate) async fn workspace_page(app: &TestApp, id: &Value) -> String {
    let browser = app.admin_browser().await;
    app.html(&browser, &format!("/conversations/{id}")).await
}

pub(crate) async fn messages(app: &TestApp, id: &Value) -> Vec<Value> {
    let (s, v) = app
        .get(&format!("/api/v1/conversations/{id}/messages"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn mail_to_an_inbox_becomes_a_conversation_and_its_replies_thread_into_it_once() {
    let app = spawn_app_with(email_config(None)).await;
    let first = mail(
        "Olga <olga@example.com>",
        "first@mail.example.com",
        "Espresso machine leaks",
        "",
        "It leaks since Monday.\r\n\r\n-- \r\nOlga",
    );
    deliver(&app, "olga@example.com", &first).await;
    let list = conversations(&app).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!(c["subject"], "Espresso machine leaks");
    assert_eq!(c["channel"], "email");
    assert_eq!(c["inbox"], INBOX, "it remembers the inbox it came through");
    assert_eq!(c["customer"]["email"], "olga@example.com");
    let ms = messages(&app, &c["id"]).await;
    assert_eq!(
        ms[0]["body"], "It leaks since Monday.",
        "the signature is folded away"
    );

    // A reply found by In-Reply-To, with Gmail's quoting, lands in the same conversation.
    let reply = mail(
        "olga@example.com",
        "second@mail.example.com",
        "Re: Espresso machine leaks",
        "In-Reply-To: <first@mail.example.com>\r\nReferences: <first@mail.example.com>\r\n",
        "Also the steam wand.\r\n\r\nOn Mon, 23 Nov 2026 at 10:00, Acme Support <support@acme.test> wrote:\r\n> earlier text\r\n",
    );
    deliver(&app, "olga@example.com", &reply).await;
    // The same mail again (a client's retry after a lost answer) is stored once.
    deliver(&app, "olga@example.com", &reply).await;
    assert_eq!(conversations(&app).await.len(), 1);
    let ms = messages(&app, &c["id"]).await;
    assert_eq!(ms.len(), 2, "{ms:?}");
    assert_eq!(ms[1]["body"], "Also the steam wand.");
    // The folded history stays one click away in the workspace.
    let page = workspace_page(&app, &c["id"]).await;
    assert!(
        page.contains("Show quoted text") && page.contains("earlier text"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_addresses_are_refused_and_strangers_cannot_thread_by_subject_number() {
    let app = spawn_app_with(email_config(None)).await;
    let refused = client(&app)
        .send(
            "x@example.com",
            &["sales@acme.test".into()],
            b"Subject: x\r\n\r\nx\r\n",
        )
        .await
        .expect_err("no such inbox");
    assert!(refused.permanent, "550 is permanent: {refused}");
    deliver(
        &app,
        "olga@example.com",
        &mail(
            "olga@example.com",
            "o1@example.com",
            "Refund",
            "",
            "Please refund order 7.",
        ),
    )
    .await;
    let number = conversations(&app).await[0]["number"].clone();
    // Someone else quoting the number in a subject starts their own conversation...
    deliver(
        &app,
        "mallory@example.net",
        &mail(
            "mallory@example.net",
            "m1@example.net",
            &format!("Re: [#{number}] Refund"),
            "",
            "Send the refund to me instead.",
        ),
    )
    .await;
    assert_eq!(
        conversations(&app).await.len(),
        2,
        "a stranger never joins by subject"
    );
    // ...while the customer's own mail with the number threads without any headers.
    deliver(
        &app,
        "olga@example.com",
        &mail(
            "olga@example.com",
            "o2@example.com",
            &format!("Re: [#{number}] Refund"),
            "",
            "Any news?",
        ),
    )
    .await;
    let list = conversations(&app).await;
    assert_eq!(list.len(), 2);
    let olga = list
        .iter()
        .find(|c| c["number"] == number)
        .expect("olga's conversation");
    assert_eq!(messages(&app, &olga["id"]).await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn html_only_mail_attachments_and_unreadable_mail_are_all_kept() {
    let app = spawn_app_with(email_config(None)).await;
    let html = "From: ann@example.com\r\nTo: support@acme.test\r\nSubject: =?UTF-8?B?w5xiZXIgdW5z?=\r\nMessage-ID: <h1@example.com>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<p>Hello <b>team</b></p><script>alert(1)</script>\r\n--b\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n\
Content-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
    deliver(&app, "ann@example.com", html).await;
    deliver(&app, "bob@example.com", "\u{1}\u{2} this is not mail\r\n").await;
    let list = conversations(&app).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let ann = list
        .iter()
        .find(|c| c["customer"]["email"] == "ann@example.com")
        .expect("ann");
    assert_eq!(ann["subject"], "Über uns");
    let ms = messages(&app, &ann["id"]).await;
    assert_eq!(ms[0]["body"], "Hello team");
    let shown = ms[0]["html"].as_str().unwrap_or("");
    assert!(
        shown.contains("<b>team</b>") && !shown.contains("script"),
        "{shown}"
    );
    assert_eq!(ms[0]["attachments"][0]["filename"], "invoice.pdf");
    app.stop().await;
}

#[tokio::test]
async fn inline_images_in_html_mail_show_in_the_workspace() {
    let app = spawn_app_with(email_config(None)).await;
    // A 1×1 PNG.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    let raw = format!(
        "From: ann@example.com\r\nTo: {INBOX}\r\nSubject: Scratch on the lid\r\nMessage-ID: <img1@example.com>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n\
--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See here:</p><img src=\"cid:photo1@example.com\" alt=\"scratch\">\r\n\
--rel\r\nContent-Type: image/png\r\nContent-ID: <photo1@example.com>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n{png}\r\n--rel--\r\n"
    );
    deliver(&app, "ann@example.com", &raw).await;
    let c = conversations(&app).await[0].clone();
    let ms = messages(&app, &c["id"]).await;
    let html = ms[0]["html"].as_str().unwrap_or_default().to_string();
    let src = html
        .split("src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_string();
    assert!(src.starts_with("/attachments/inline/"), "{html}");
    let browser =
        crate::workspace::sign_in(&app, "admin@test.example", "correct horse battery").await;
    let res = browser
        .get(format!("{}{src}", app.base))
        .send()
        .await
        .expect("image");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    let page = workspace_page(&app, &c["id"]).await;
    assert!(page.contains(&src), "the timeline shows the image");
    // A digest nobody may see answers 404.
    let res = browser
        .get(format!(
            "{}/attachments/inline/{}",
            app.base,
            "0".repeat(64)
        ))
        .send()
        .await
        .expect("image");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn with_a_certificate_the_listener_offers_starttls_and_takes_mail_over_it() {
    let dir = std::env::temp_dir().join(format!("steward-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (cert, key) = steward_bench::certificate::self_signed(&dir);
    let (c2, k2) = (cert.clone(), key.clone());
    let app = spawn_app_with(move |c| {
        email_config(None)(c);
        if let Some(smtp) = c.email.smtp.as_mut() {
            smtp.certificate = Some(c2);
            smtp.private_key = Some(k2);
        }
    })
    .await;
    // Python's smtplib as the client: STARTTLS must be offered, and mail sent after it lands.
    let script = format!(
        "import smtplib, ssl\n\
s = smtplib.SMTP('127.0.0.1', {port})\n\
s.ehlo('client.example')\n\
assert s.has_extn('starttls'), s.esmtp_features\n\
s.starttls(context=ssl._create_unverified_context())\n\
s.ehlo('client.example')\n\
assert not s.has_extn('starttls')\n\
s.sendmail('tls@example.com', ['{INBOX}'], b'From: tls@example.com\\r\\nSubject: Over TLS\\r\\nMessage-ID: <tls1@example.com>\\r\\n\\r\\nsecret\\r\\n')\n\
s.quit()\n",
        port = app.smtp_addr().port()
    );
    // Asynchronously: the listener runs on this test's runtime.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
    })
    .await
    .expect("joined")
    .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = conversations(&app).await;
    assert_eq!(list[0]["subject"], "Over TLS");
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn mail_from_blocked_senders_and_domains_is_refused() {
    let app = spawn_app_with(|c| {
        email_config(None)(c);
        c.email.blocklist = vec!["spam.example".into(), "Pest@Example.com".into()];
    })
    .await;
    // A blocked domain (and its subdomains) is refused at MAIL FROM, permanently.
    let refused = client(&app)
        .send(
            "offers@news.spam.example",
            &[INBOX.to_string()],
            mail(
                "offers@news.spam.example",
                "s1@spam.example",
                "Deal",
                "",
                "Buy",
            )
            .as_bytes(),
        )
        .await
        .expect_err("refused");
    assert!(refused.permanent, "{refused}");
    // A blocked address in the From header is dropped even behind another envelope sender.
    deliver(
        &app,
        "relay@forwarder.example",
        &mail(
            "pest@example.com",
            "p1@example.com",
            "Again",
            "",
            "Hello again",
        ),
    )
    .await;
    // Everyone else still gets through, including a look-alike domain.
    deliver(
        &app,
        "ann@notspam.example",
        &mail(
            "ann@notspam.example",
            "a1@example.com",
            "Real question",
            "",
            "Hi",
        ),
    )
    .await;
    let list = conversations(&app).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["subject"], "Real question");
    app.stop().await;
}

#[tokio::test]
async fn an_admin_adds_and_removes_an_inbox_in_the_workspace_and_smtp_follows() {
    let app = spawn_app_with(|c| {
        email_config(None)(c);
        c.email.inboxes.clear();
    })
    .await;
    let refused = client(&app)
        .send(
            "ann@example.com",
            &["help@acme.test".into()],
            b"Subject: x\r\n\r\nx\r\n",
        )
        .await
        .expect_err("no such inbox yet");
    assert!(refused.permanent);
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/inboxes").await;
    assert!(page.contains("Add an inbox"), "{page}");
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/admin/inboxes", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("action", "create"),
            ("address", "Help@Acme.test"),
            ("name", "Acme Help"),
            ("team", ""),
            ("acknowledge", "on"),
            ("acknowledgement", ""),
            ("imap_host", ""),
            ("imap_port", "993"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    client(&app)
        .send(
            "ann@example.com",
            &["help@acme.test".into()],
            mail("ann@example.com", "h1@example.com", "Hello help", "", "Hi").as_bytes(),
        )
        .await
        .expect("the new inbox takes mail");
    assert_eq!(conversations(&app).await[0]["subject"], "Hello help");
    let res = browser
        .post(format!("{}/admin/inboxes", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("action", "create"),
            ("address", "not an address"),
            ("name", "Broken"),
            ("imap_port", "993"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a clear error"
    );
    let res = browser
        .post(format!("{}/admin/inboxes/delete", app.base))
        .form(&[("_csrf", csrf.as_str()), ("address", "help@acme.test")])
        .send()
        .await
        .expect("remove");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let refused = client(&app)
        .send(
            "ann@example.com",
            &["help@acme.test".into()],
            b"Subject: y\r\n\r\ny\r\n",
        )
        .await
        .expect_err("removed");
    assert!(refused.permanent);
    app.stop().await;
}
