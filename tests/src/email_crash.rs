//! Mail survives a crash: a server process is killed with SIGKILL while clients deliver 1,000
//! messages over SMTP. After a restart, every message that got a 250 exists exactly once, and
//! clients retrying the ones that got no answer (and some that did) duplicate nothing.
//!
//! The server runs in a child process: this test binary re-runs itself with the ignored
//! `sigkill_child_serves_smtp_until_killed` test, which starts Steward and waits to be killed.

use crate::helpers::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use steward::app;
use steward::config::Config;
use steward::email_config::{EmailConfig, SmtpConfig};
use steward_channels::email::outbound::{Relay, Security};

const INBOX: &str = "support@crash.test";
const MESSAGES: usize = 1_000;
const SENDERS: usize = 8;
/// The child is killed once this many messages were acknowledged.
const KILL_AFTER: usize = 300;

fn child_config(data: PathBuf, database_url: Option<String>) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        data,
        database_url,
        email: EmailConfig {
            smtp: Some(SmtpConfig {
                bind: "127.0.0.1:0".into(),
                max_message_bytes: 1_000_000,
                certificate: None,
                private_key: None,
            }),
            ..one_inbox(INBOX)
        },
        ..Config::default()
    }
}

#[tokio::test]
#[ignore = "the server process of the SIGKILL test, which starts it"]
async fn sigkill_child_serves_smtp_until_killed() {
    let data = PathBuf::from(
        std::env::var("STEWARD_CRASH_DATA").expect("started by the SIGKILL test with a data dir"),
    );
    let config = child_config(data.clone(), std::env::var("STEWARD_CRASH_DB").ok());
    let store = app::open_store(&config).await.expect("store opens");
    let running = app::start(&config, store).await.expect("app starts");
    let port = running.smtp_addr.expect("smtp listener").port();
    let tmp = data.join("smtp.port.tmp");
    std::fs::write(&tmp, port.to_string()).expect("port file");
    std::fs::rename(&tmp, data.join("smtp.port")).expect("port file");
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

struct Child {
    process: std::process::Child,
    port: u16,
}

async fn start_child(data: &Path, database_url: Option<&str>) -> Child {
    let _ = std::fs::remove_file(data.join("smtp.port"));
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "--exact",
        "email_crash::sigkill_child_serves_smtp_until_killed",
        "--ignored",
        "--nocapture",
    ])
    .env("STEWARD_CRASH_DATA", data)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    if let Some(url) = database_url {
        cmd.env("STEWARD_CRASH_DB", url);
    }
    let mut process = cmd.spawn().expect("the child starts");
    for _ in 0..300 {
        if let Ok(p) = std::fs::read_to_string(data.join("smtp.port"))
            && let Ok(port) = p.trim().parse()
        {
            return Child { process, port };
        }
        if let Ok(Some(status)) = process.try_wait() {
            panic!("the server process exited: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = process.kill();
    panic!("the server process never listened");
}

fn message(i: usize) -> String {
    let body = if i.is_multiple_of(10) {
        // Some larger mail, so a kill can land in the middle of DATA.
        "line of a longer message\r\n".repeat(2000)
    } else {
        format!("Message number {i}.\r\n")
    };
    format!(
        "From: sender{s}@example.com\r\nTo: {INBOX}\r\nSubject: Load {i}\r\nMessage-ID: <load-{i}@example.com>\r\n\r\n{body}",
        s = i % 50
    )
}

async fn send(port: u16, i: usize) -> bool {
    let relay = Relay {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        ..Relay::default()
    };
    relay
        .send(
            &format!("sender{}@example.com", i % 50),
            &[INBOX.to_string()],
            message(i).as_bytes(),
        )
        .await
        .is_ok()
}

#[tokio::test]
async fn mail_that_got_250_survives_a_sigkill_exactly_once_and_retries_do_not_duplicate() {
    let (config, pg) = fresh_config().await;
    std::fs::create_dir_all(&config.data).expect("data dir");
    let url = config.database_url.clone();
    let mut child = start_child(&config.data, url.as_deref()).await;

    // Eight clients deliver; the server is killed part way through.
    let acked = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let acked = acked.clone();
        let port = child.port;
        senders.push(tokio::spawn(async move {
            let mut answered = Vec::new();
            for i in (s..MESSAGES).step_by(SENDERS) {
                if send(port, i).await {
                    answered.push(i);
                    acked.fetch_add(1, Ordering::SeqCst);
                }
            }
            answered
        }));
    }
    while acked.load(Ordering::SeqCst) < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.process.kill().expect("SIGKILL");
    let _ = child.process.wait();
    let mut answered = HashSet::new();
    for s in senders {
        answered.extend(s.await.expect("sender"));
    }
    assert!(
        answered.len() >= KILL_AFTER && answered.len() < MESSAGES,
        "the kill landed mid-delivery: {} answered",
        answered.len()
    );

    // Restarted, the clients retry what got no answer, and some of what did.
    let mut child = start_child(&config.data, url.as_deref()).await;
    let again: Vec<usize> = (0..MESSAGES)
        .filter(|i| !answered.contains(i) || i.is_multiple_of(7))
        .collect();
    let mut retries = Vec::new();
    for s in 0..SENDERS {
        let mine: Vec<usize> = again.iter().copied().skip(s).step_by(SENDERS).collect();
        let port = child.port;
        retries.push(tokio::spawn(async move {
            for i in mine {
                assert!(
                    send(port, i).await,
                    "message {i} is accepted after the restart"
                );
            }
        }));
    }
    for r in retries {
        r.await.expect("retrying sender");
    }
    child.process.kill().expect("SIGKILL");
    let _ = child.process.wait();

    let store = app::open_store(&config).await.expect("store opens");
    let rows: Vec<(String, i64)> = steward_store::sql::Sql::new(
        "SELECT rfc_message_id, COUNT(*) FROM email_messages GROUP BY rfc_message_id",
    )
    .query_as()
    .fetch_all(store.pool())
    .await
    .expect("count");
    let conversations: (i64,) = steward_store::sql::Sql::new("SELECT COUNT(*) FROM conversations")
        .query_as()
        .fetch_one(store.pool())
        .await
        .expect("count");
    store.close().await;
    let stored: HashSet<String> = rows.iter().map(|(id, _)| id.clone()).collect();
    for i in 0..MESSAGES {
        assert!(
            stored.contains(&format!("load-{i}@example.com")),
            "message {i} is stored"
        );
    }
    let twice: Vec<&(String, i64)> = rows.iter().filter(|(_, n)| *n != 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    assert_eq!(rows.len(), MESSAGES);
    assert_eq!(conversations.0, MESSAGES as i64, "one conversation each");
    if let Some(name) = pg {
        drop_pg_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(&config.data);
}
