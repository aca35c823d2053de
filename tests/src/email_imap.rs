//! IMAP intake against a real Dovecot (Debian's `dovecot-imapd`, started by the test from its
//! own config in a temp folder): unread mail becomes conversations, is flagged read only after
//! it is stored, new mail arrives through IDLE, a restart resumes where it stopped, and a
//! wrong password shows as the mailbox's status while nothing is lost.

use crate::helpers::*;
use std::time::Duration;
use steward::app;
use steward::config::Config;
use steward::email_config::{EmailConfig, ImapConfig};
use steward_bench::dovecot::Dovecot;
use steward_store::sql::Sql;

const INBOX: &str = "support@imap.test";

fn imap_config(port: u16, password: &str) -> EmailConfig {
    EmailConfig {
        imap: vec![ImapConfig {
            inbox: INBOX.into(),
            host: "127.0.0.1".into(),
            port,
            security: "none".into(),
            username: "user1".into(),
            password: password.into(),
            folder: "INBOX".into(),
            poll_seconds: 1,
            ca_certificate: None,
        }],
        ..one_inbox(INBOX)
    }
}

fn mail(id: &str, subject: &str) -> String {
    format!(
        "From: Kim <kim@example.com>\r\nTo: {INBOX}\r\nSubject: {subject}\r\nMessage-ID: <{id}@example.com>\r\n\r\n{subject}, please.\r\n"
    )
}

async fn subjects(running: &app::Running) -> Vec<String> {
    let rows: Vec<(String,)> = Sql::new("SELECT subject FROM conversations ORDER BY id")
        .query_as()
        .fetch_all(running.engine.store.pool())
        .await
        .expect("subjects");
    rows.into_iter().map(|r| r.0).collect()
}

/// Waits up to 10 s for `n` conversations.
async fn wait_for(running: &app::Running, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let s = subjects(running).await;
        if s.len() >= n {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    subjects(running).await
}

async fn start(config: &Config) -> app::Running {
    let store = app::open_store(config).await.expect("store");
    app::start(config, store).await.expect("start")
}

#[tokio::test]
async fn unread_imap_mail_becomes_conversations_and_is_flagged_read_only_once_stored() {
    let Some(dovecot) = Dovecot::start(1).await else {
        return;
    };
    dovecot.append(1, &mail("old-read", "Read long ago"), true);
    dovecot.append(1, &mail("waiting", "Waiting refund"), false);
    let (mut config, pg) = fresh_config().await;
    config.email = imap_config(dovecot.port, "secret1");
    let running = start(&config).await;

    // The unread message is taken on the first visit; the one already read is left alone.
    assert_eq!(wait_for(&running, 1).await, vec!["Waiting refund"]);
    for _ in 0..50 {
        if dovecot.unseen(1).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(dovecot.unseen(1), "", "flagged read once stored");

    // New mail arrives while Steward idles on the folder.
    dovecot.append(1, &mail("new", "Broken hinge"), false);
    assert_eq!(
        wait_for(&running, 2).await,
        vec!["Waiting refund", "Broken hinge"]
    );
    running.shutdown().await.expect("stops");

    // Mail that came while Steward was down is taken after a restart, and nothing twice.
    dovecot.append(1, &mail("while-down", "Invoice address"), false);
    let running = start(&config).await;
    assert_eq!(
        wait_for(&running, 3).await,
        vec!["Waiting refund", "Broken hinge", "Invoice address"]
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(subjects(&running).await.len(), 3, "nothing is stored twice");
    let state: (String, i64, i64) =
        Sql::new("SELECT status, received, last_uid FROM imap_mailboxes")
            .query_as()
            .fetch_one(running.engine.store.pool())
            .await
            .expect("mailbox state");
    assert_eq!(state, ("ok".to_string(), 3, 4));
    running.shutdown().await.expect("stops");
    if let Some(name) = pg {
        drop_pg_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(&config.data);
}

#[tokio::test]
async fn a_wrong_imap_password_shows_on_the_inbox_page_and_api_while_the_mail_waits_unread() {
    let Some(dovecot) = Dovecot::start(1).await else {
        return;
    };
    dovecot.append(1, &mail("kept", "Kept safe"), false);
    let port = dovecot.port;
    let app = spawn_app_with(move |c| c.email = imap_config(port, "wrong password")).await;
    let mut mailbox = serde_json::Value::Null;
    for _ in 0..100 {
        let (status, v) = app.get("/api/v1/inboxes").await;
        assert_eq!(status, reqwest::StatusCode::OK, "{v}");
        mailbox = v["inboxes"][0]["imap"][0].clone();
        if mailbox["status"] == "error" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mailbox["status"], "error", "{mailbox}");
    let error = mailbox["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("login as user1 failed"), "{error}");
    assert!(
        !mailbox.to_string().contains("wrong password"),
        "the password is never shown"
    );

    // "Test connection" says the same, and that there is no relay.
    let (status, checks) = app
        .post(
            &format!("/api/v1/inboxes/{INBOX}/check"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{checks}");
    assert_eq!(checks[0]["what"], "relay");
    assert_eq!(checks[0]["ok"], false);
    assert_eq!(checks[1]["ok"], false);
    assert!(
        checks[1]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("login as user1 failed")),
        "{checks}"
    );
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/inboxes").await;
    assert!(
        page.contains("Last error: login as user1 failed") && page.contains("Test connection"),
        "{page}"
    );

    let (_, list) = app.get("/api/v1/conversations").await;
    assert_eq!(list["data"], serde_json::json!([]));
    assert_eq!(dovecot.unseen(1), "1", "the mail waits, unread");
    app.stop().await;
}

#[tokio::test]
async fn an_inbox_added_through_the_api_reads_its_imap_mailbox_at_once() {
    let Some(dovecot) = Dovecot::start(2).await else {
        return;
    };
    dovecot.append(2, &mail("added-1", "Before the inbox existed"), false);
    let app = spawn_app_with(|c| c.email = one_inbox(INBOX)).await;
    let body = serde_json::json!({
        "address": "sales@imap.test", "name": "Sales",
        "imap": {"host": "127.0.0.1", "port": dovecot.port, "security": "none",
                 "username": "user2", "password": "secret2"}
    });
    let (status, v) = app.post("/api/v1/inboxes", body.clone()).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{v}");
    let (status, _) = app.post("/api/v1/inboxes", body).await;
    assert_eq!(
        status,
        reqwest::StatusCode::CONFLICT,
        "the address is taken"
    );
    let mut list = serde_json::Value::Null;
    for _ in 0..100 {
        (_, list) = app.get("/api/v1/conversations").await;
        if list["data"].as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(list["data"][0]["subject"], "Before the inbox existed");
    let (_, setup) = app.get("/api/v1/inboxes").await;
    let sales = setup["inboxes"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|i| i["address"] == "sales@imap.test")
                .cloned()
        })
        .expect("listed");
    assert_eq!(sales["source"], "workspace");
    assert_eq!(sales["imap"][0]["username"], "user2");
    assert!(
        !setup.to_string().contains("secret2"),
        "no password in answers"
    );

    // A changed password is used at once (a wrong one shows as the mailbox's status);
    // the config file's inbox cannot be changed here.
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/inboxes/sales@imap.test",
            Some(&app.token),
            Some(serde_json::json!({"name": "Sales", "imap": {"host": "127.0.0.1",
                "port": dovecot.port, "security": "none", "username": "user2", "password": "wrong"}})),
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let mut error = String::new();
    for _ in 0..100 {
        let (_, setup) = app.get("/api/v1/inboxes").await;
        error = setup.to_string();
        if error.contains("login as user2 failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(error.contains("login as user2 failed"), "{error}");
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/inboxes/{INBOX}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::CONFLICT);
    let res = app
        .request(
            reqwest::Method::DELETE,
            "/api/v1/inboxes/sales@imap.test",
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);
    let (_, setup) = app.get("/api/v1/inboxes").await;
    assert!(!setup.to_string().contains("sales@imap.test"), "{setup}");
    app.stop().await;
}

#[tokio::test]
async fn imap_over_starttls_and_tls_reads_mail_and_an_untrusted_certificate_is_the_status() {
    let Some(dovecot) = Dovecot::start_tls(3).await else {
        return;
    };
    dovecot.append(1, &mail("starttls", "Over STARTTLS"), false);
    dovecot.append(2, &mail("tls", "Over TLS"), false);
    dovecot.append(3, &mail("untrusted", "Never read"), false);
    let cert = dovecot.certificate.clone();
    let (port, tls_port) = (dovecot.port, dovecot.tls_port.expect("tls port"));
    let account =
        |user: usize, port: u16, security: &str, ca: Option<std::path::PathBuf>| ImapConfig {
            inbox: INBOX.into(),
            host: "127.0.0.1".into(),
            port,
            security: security.into(),
            username: format!("user{user}"),
            password: format!("secret{user}"),
            folder: "INBOX".into(),
            poll_seconds: 1,
            ca_certificate: ca,
        };
    let (mut config, pg) = fresh_config().await;
    config.email = EmailConfig {
        imap: vec![
            account(1, port, "starttls", cert.clone()),
            account(2, tls_port, "tls", cert.clone()),
            // The self-signed certificate is not trusted without ca_certificate.
            account(3, tls_port, "tls", None),
        ],
        ..one_inbox(INBOX)
    };
    let running = start(&config).await;
    let mut got = wait_for(&running, 2).await;
    got.sort();
    assert_eq!(got, vec!["Over STARTTLS", "Over TLS"]);
    let mut errors: Vec<(String, Option<String>)> = Vec::new();
    for _ in 0..100 {
        errors = Sql::new("SELECT mailbox, last_error FROM imap_mailboxes WHERE status = 'error'")
            .query_as()
            .fetch_all(running.engine.store.pool())
            .await
            .expect("state");
        if !errors.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].0.starts_with("user3@"), "{errors:?}");
    assert!(
        errors[0].1.as_deref().is_some_and(|e| e.contains("TLS")),
        "{errors:?}"
    );
    assert_eq!(dovecot.unseen(3), "1", "its mail waits");
    running.shutdown().await.expect("stops");
    if let Some(name) = pg {
        drop_pg_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(&config.data);
}
