//! Email over real SMTP: mail is delivered to Steward's listener with an SMTP client, and
//! Steward's replies go out to a real relay (Debian's `python3-aiosmtpd`, writing a Maildir).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use steward::config::Config;
use steward::email_config::{EmailConfig, InboxConfig, RelayConfig, SmtpConfig};
use steward_channels::email::outbound::{Relay, Security};
use steward_channels::email::parse::{InboundEmail, parse};

const INBOX: &str = "support@acme.test";

fn email_config(relay_port: Option<u16>) -> impl FnOnce(&mut Config) {
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
fn client(app: &TestApp) -> Relay {
    Relay {
        host: "127.0.0.1".into(),
        port: app.smtp_addr().port(),
        security: Security::None,
        ..Relay::default()
    }
}

async fn deliver(app: &TestApp, from: &str, raw: &str) {
    client(app)
        .send(from, &[INBOX.to_string()], raw.as_bytes())
        .await
        .expect("the listener answers 250");
}

fn mail(from: &str, id: &str, subject: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {INBOX}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\r\n{body}\r\n"
    )
}

async fn conversations(app: &TestApp) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/conversations?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().cloned().unwrap_or_default()
}

/// The conversation's page in the workspace, as the admin sees it.
async fn workspace_page(app: &TestApp, id: &Value) -> String {
    let browser = app.admin_browser().await;
    app.html(&browser, &format!("/conversations/{id}")).await
}

async fn messages(app: &TestApp, id: &Value) -> Vec<Value> {
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

/// Debian's aiosmtpd as the outbound relay, delivering into a Maildir.
struct TestRelay {
    child: std::process::Child,
    port: u16,
    maildir: PathBuf,
}

impl TestRelay {
    async fn start() -> TestRelay {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let maildir =
            std::env::temp_dir().join(format!("steward-relay-{port}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&maildir);
        let log = maildir.with_extension("log");
        let mut child = std::process::Command::new("/usr/bin/python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).expect("relay log file"))
            .spawn()
            .expect("python3 runs");
        let mut listening = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                listening = true;
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "the test relay exited ({status}); is python3-aiosmtpd installed? \
                     (.ci/run installs it)\n{err}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(listening, "the test relay never listened on port {port}");
        TestRelay {
            child,
            port,
            maildir,
        }
    }

    fn received(&self) -> Vec<InboundEmail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.maildir.join("new"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|raw| parse(&raw))
            .collect()
    }

    /// Waits until `n` mails arrived.
    async fn wait_for(&self, n: usize) -> Vec<InboundEmail> {
        for _ in 0..100 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the relay got {} mails, expected {n}",
            self.received().len()
        );
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(Path::new(&self.maildir));
        let _ = std::fs::remove_file(self.maildir.with_extension("log"));
    }
}

#[tokio::test]
async fn replies_and_acknowledgements_go_out_through_the_relay_and_answers_thread_back() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    deliver(
        &app,
        "olga@example.com",
        &mail(
            "Olga <olga@example.com>",
            "q1@mail.example.com",
            "Grinder noise",
            "",
            "It grinds.",
        ),
    )
    .await;
    let c = conversations(&app).await[0].clone();
    let number = c["number"].as_i64().expect("number");
    let ack = relay.wait_for(1).await.remove(0);
    assert_eq!(ack.subject, format!("[#{number}] Grinder noise"));
    assert!(ack.automated, "an acknowledgement says it is automatic");
    assert_eq!(ack.in_reply_to, vec!["q1@mail.example.com"]);

    let (s, v) = app
        .post(
            &format!("/api/v1/conversations/{}/messages", c["id"]),
            json!({"body": "Please clean the burrs."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let out = relay.wait_for(2).await.remove(1);
    assert_eq!(out.subject, format!("Re: [#{number}] Grinder noise"));
    assert_eq!(out.to[0].address, "olga@example.com");
    assert_eq!(
        out.in_reply_to,
        vec!["q1@mail.example.com"],
        "the customer's client threads it"
    );
    assert!(out.text.contains("Please clean the burrs."));
    let reply_to = out
        .reply_to
        .expect("a reply-to with the conversation's token")
        .address;
    assert!(
        reply_to.starts_with("support+") && reply_to.ends_with("@acme.test"),
        "{reply_to}"
    );

    // The customer answers from another client that drops the headers: the token threads it.
    client(&app)
        .send(
            "olga@example.com",
            std::slice::from_ref(&reply_to),
            format!("From: olga@example.com\r\nTo: {reply_to}\r\nSubject: burrs\r\nMessage-ID: <q2@x>\r\n\r\nDone, thanks.\r\n").as_bytes(),
        )
        .await
        .expect("250");
    assert_eq!(conversations(&app).await.len(), 1);
    let ms = messages(&app, &c["id"]).await;
    assert_eq!(ms.len(), 3, "{ms:?}");
    assert_eq!(ms[2]["body"], "Done, thanks.");

    // The workspace shows the reply's delivery (recorded right after the relay took it).
    let mut page = String::new();
    for _ in 0..50 {
        page = workspace_page(&app, &c["id"]).await;
        if page.contains("Email sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(page.contains("Email sent"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn with_the_relay_down_a_reply_stays_queued_with_the_reason() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let app = spawn_app_with(email_config(Some(port))).await;
    deliver(
        &app,
        "olga@example.com",
        &mail("olga@example.com", "d1@example.com", "Down", "", "hello"),
    )
    .await;
    let c = conversations(&app).await[0].clone();
    app.post(
        &format!("/api/v1/conversations/{}/messages", c["id"]),
        json!({"body": "We are on it."}),
    )
    .await;
    let mut row: Option<(String, i64, Option<String>)> = None;
    for _ in 0..50 {
        row = steward_store::sql::Sql::new(
            "SELECT status, attempts, last_error FROM outbox WHERE kind = 'reply'",
        )
        .query_as()
        .fetch_optional(app.engine.store.pool())
        .await
        .expect("outbox");
        // Claimed (`sending`) first, then back to the queue with the reason.
        if row.as_ref().is_some_and(|r| r.2.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, attempts, error) = row.expect("the reply is in the outbox");
    assert_eq!(status, "queued", "it will be retried");
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| !e.is_empty()), "the reason is kept");
    app.stop().await;
}

#[tokio::test]
async fn people_in_cc_are_copied_on_replies_and_bounced_mail_can_be_retried_by_hand() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    // The customer copies a colleague and an agent (who follows instead of being copied).
    let first = format!(
        "From: Olga <olga@example.com>\r\nTo: {INBOX}\r\nCc: Pat <pat@example.com>, admin@test.example\r\n\
Subject: Invoice copy\r\nMessage-ID: <cc1@example.com>\r\nAuto-Submitted: no\r\n\r\nPlease send the invoice again.\r\n"
    );
    deliver(&app, "olga@example.com", &first).await;
    let c = conversations(&app).await[0].clone();
    relay.wait_for(1).await; // the acknowledgement
    let page = workspace_page(&app, &c["id"]).await;
    assert!(
        page.contains("Following: Ada Admin"),
        "the agent in Cc follows"
    );
    assert!(
        page.contains("Copied on replies: pat@example.com"),
        "{page}"
    );

    let (s, v) = app
        .post(
            &format!("/api/v1/conversations/{}/messages", c["id"]),
            json!({"body": "Attached again."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let reply_id = v["id"].clone();
    assert_eq!(v["email"]["direction"], "out");
    assert_eq!(v["email"]["cc"], json!(["pat@example.com"]));
    let out = relay.wait_for(2).await.remove(1);
    assert_eq!(out.to[0].address, "olga@example.com");
    assert_eq!(
        out.cc
            .iter()
            .map(|m| m.address.as_str())
            .collect::<Vec<_>>(),
        vec!["pat@example.com"],
        "the colleague is copied, the agent is not"
    );
    let sent_id = out.message_id.clone().expect("a Message-ID");

    // The original of both the inbound and the outbound mail can be downloaded.
    let ms = messages(&app, &c["id"]).await;
    let original = ms[0]["email"]["original_url"].as_str().expect("url");
    let res = app
        .client
        .get(format!("{}{original}", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("original");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "message/rfc822");
    let raw = res.text().await.expect("body");
    assert!(raw.contains("Message-ID: <cc1@example.com>"), "{raw}");
    let res = app
        .client
        .get(format!("{}/api/v1/messages/{reply_id}/original", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("original");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .expect("body")
            .contains(&format!("<{sent_id}>"))
    );

    // A bounce for the reply marks it failed with the reason.
    let bounce = format!(
        "From: MAILER-DAEMON@mx.example.com\r\nTo: {INBOX}\r\nSubject: Undelivered Mail\r\nMessage-ID: <b1@mx.example.com>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
--r\r\nContent-Type: text/plain\r\n\r\n<pat@example.com>: 550 5.1.1 mailbox unavailable\r\n\
--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; pat@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {INBOX}\r\nMessage-ID: <{sent_id}>\r\nSubject: Re: Invoice copy\r\n\r\n--r--\r\n"
    );
    deliver(&app, "mailer-daemon@mx.example.com", &bounce).await;
    assert_eq!(
        conversations(&app).await.len(),
        1,
        "a bounce is no conversation"
    );
    let ms = messages(&app, &c["id"]).await;
    let mail = &ms.last().expect("the reply")["email"];
    assert_eq!(mail["delivery_status"], "failed", "{mail}");
    assert!(
        mail["delivery_error"]
            .as_str()
            .is_some_and(|e| e.contains("mailbox unavailable")),
        "{mail}"
    );
    let page = workspace_page(&app, &c["id"]).await;
    assert!(page.contains("Retry sending"), "{page}");

    // Retrying sends the same message again; retrying what is not failed is a conflict.
    let retry = mail["retry_url"].as_str().expect("retry url").to_string();
    let (s, v) = app.post(&retry, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let again = relay.wait_for(3).await.remove(2);
    assert_eq!(again.message_id.as_deref(), Some(sent_id.as_str()));
    let mut status = Value::Null;
    for _ in 0..50 {
        status = messages(&app, &c["id"]).await.last().expect("reply")["email"]["delivery_status"]
            .clone();
        if status == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "sent");
    let (s, v) = app.post(&retry, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // Merged into another conversation, the people copied come along.
    let other = app
        .conversation("olga@example.com", "Invoice, again", "Same thing")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/conversations/{}/merge", c["id"]),
            json!({"into": other["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let page = workspace_page(&app, &other["id"]).await;
    assert!(
        page.contains("Copied on replies: pat@example.com"),
        "{page}"
    );
    let (_, events) = app
        .get(&format!("/api/v1/conversations/{}/events", c["id"]))
        .await;
    assert!(
        events
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["kind"] == "mail.retried")),
        "{events}"
    );
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
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-subj", "/CN=localhost"])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(made.success(), "a self-signed certificate");
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
async fn agents_are_emailed_about_assignments_and_mentions_as_each_chooses() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let team = app.team("Support").await;
    let (bee, bee_token) = app.agent("bee@acme.test", "agent", &[team]).await;
    app.agent("cee@acme.test", "agent", &[team]).await;
    deliver(
        &app,
        "olga@example.com",
        &mail(
            "olga@example.com",
            "n1@example.com",
            "Warranty",
            "",
            "Is it covered?",
        ),
    )
    .await;
    relay.wait_for(1).await; // the acknowledgement
    let c = conversations(&app).await[0].clone();
    let number = c["number"].as_i64().expect("number");

    // Assigned by someone else: Bee hears about it, with a link to the conversation.
    let (s, v) = app
        .patch(
            &format!("/api/v1/conversations/{}", c["id"]),
            json!({"team_id": team, "assignee_id": bee}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = relay.wait_for(2).await.remove(1);
    assert_eq!(got.to[0].address, "bee@acme.test");
    assert_eq!(
        got.subject,
        format!("[#{number}] Assigned to you: Warranty")
    );
    assert!(
        got.text.contains(&format!("/conversations/{}", c["id"])),
        "{}",
        got.text
    );
    assert!(got.automated, "marked as automatic mail");

    // Bee turns mention mail off; a note mentioning Bee and Cee reaches only Cee.
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/me/notifications",
            Some(&bee_token),
            Some(json!({"assigned": true, "mentioned": false})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, v) = app.get_as(&bee_token, "/api/v1/me/notifications").await;
    assert_eq!(v, json!({"assigned": true, "mentioned": false}));
    let (s, v) = app
        .post(
            &format!("/api/v1/conversations/{}/messages", c["id"]),
            json!({"body": "@bee @cee can one of you check the serial?", "visibility": "internal"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let got = relay.wait_for(3).await.remove(2);
    assert_eq!(got.to[0].address, "cee@acme.test");
    assert_eq!(
        got.subject,
        format!("[#{number}] Ada Admin mentioned you: Warranty")
    );
    assert!(got.text.contains("can one of you check the serial?"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(relay.received().len(), 3, "nothing for Bee's mention");

    // The admin's own settings page saves the same choice.
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/settings").await;
    assert!(
        page.contains("someone assigns a conversation to me"),
        "{page}"
    );
    let csrf = crate::workspace::csrf_of(&page);
    let res = browser
        .post(format!("{}/settings", app.base))
        .form(&[("_csrf", csrf.as_str()), ("notify_assigned", "on")])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), StatusCode::OK);
    let (_, prefs) = app.get("/api/v1/me/notifications").await;
    assert_eq!(prefs, json!({"assigned": true, "mentioned": false}));

    // Opening a conversation already assigned to Bee tells Bee too.
    let (s, v) = app
        .post(
            "/api/v1/conversations",
            json!({"customer": {"email": "kim@example.com"}, "subject": "Phone order",
                   "message": {"body": "Called in an order."}, "channel": "phone",
                   "team_id": team, "assignee_id": bee}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let got = relay.wait_for(4).await.remove(3);
    assert_eq!(got.to[0].address, "bee@acme.test");
    assert!(
        got.subject.ends_with("Assigned to you: Phone order"),
        "{}",
        got.subject
    );
    app.stop().await;
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
