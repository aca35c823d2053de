//! Email out through a real relay (Debian's `python3-aiosmtpd`, writing a Maildir): replies
//! and acknowledgements that thread back, the relay being down, people in Cc, bounces and
//! retries by hand, and agents' notifications.

use crate::email::{
    INBOX, client, conversations, deliver, email_config, mail, messages, workspace_page,
};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use steward_channels::email::parse::{InboundEmail, parse};

/// Debian's aiosmtpd as the outbound relay, delivering into a Maildir.
pub(crate) struct TestRelay {
    child: std::process::Child,
    pub(crate) port: u16,
    maildir: PathBuf,
}

impl TestRelay {
    /// Starts the relay on a free port. The port is free when picked but could be taken
    /// before the relay binds it (tests start servers all the time), so the relay counts as
    /// up only once it greets as an SMTP server; if it could not bind, another port is tried.
    pub(crate) async fn start() -> TestRelay {
        for _ in 0..5 {
            if let Some(relay) = TestRelay::try_start().await {
                return relay;
            }
        }
        panic!("the test relay could not start on any of 5 ports");
    }

    async fn try_start() -> Option<TestRelay> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let maildir =
            std::env::temp_dir().join(format!("steward-relay-{port}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&maildir);
        let log = maildir.with_extension("log");
        let child = std::process::Command::new("/usr/bin/python3")
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
        // Dropped (killed, cleaned up) unless it comes up.
        let mut relay = TestRelay {
            child,
            port,
            maildir,
        };
        for _ in 0..100 {
            if greets(port).await {
                return Some(relay);
            }
            if let Ok(Some(status)) = relay.child.try_wait() {
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                assert!(
                    !err.contains("No module named"),
                    "the test relay exited ({status}); is python3-aiosmtpd installed? \
                     (.ci/run installs it)\n{err}"
                );
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the test relay never greeted on port {port}");
    }

    pub(crate) fn received(&self) -> Vec<InboundEmail> {
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
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<InboundEmail> {
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

/// Whether an SMTP server answers on `port` with its `220` greeting.
async fn greets(port: u16) -> bool {
    use tokio::io::AsyncReadExt;
    let Ok(mut conn) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let mut greeting = [0u8; 3];
    matches!(
        tokio::time::timeout(Duration::from_secs(2), conn.read_exact(&mut greeting)).await,
        Ok(Ok(_)) if &greeting == b"220"
    )
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
