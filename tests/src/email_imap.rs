//! IMAP intake against a real Dovecot (Debian's `dovecot-imapd`, started by the test from its
//! own config in a temp folder): unread mail becomes conversations, is flagged read only after
//! it is stored, new mail arrives through IDLE, a restart resumes where it stopped, and a
//! wrong password shows as the mailbox's status while nothing is lost.

use crate::helpers::*;
use std::path::PathBuf;
use std::time::Duration;
use steward::app;
use steward::config::Config;
use steward::email_config::{EmailConfig, ImapConfig, InboxConfig};
use steward_store::sql::Sql;

const INBOX: &str = "support@imap.test";

/// A Dovecot serving `users` accounts (`user1`/`secret1`, …) on a free loopback port.
pub struct Dovecot {
    child: std::process::Child,
    pub port: u16,
    dir: PathBuf,
}

impl Dovecot {
    /// `None` when Dovecot is not installed (then the test is skipped, unless
    /// `STEWARD_REQUIRE_DOVECOT` is set, as `.ci/run` does).
    pub async fn start(users: usize) -> Option<Dovecot> {
        let bin = ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
            .into_iter()
            .find(|b| std::path::Path::new(b).exists());
        let Some(bin) = bin else {
            assert!(
                std::env::var("STEWARD_REQUIRE_DOVECOT").is_err(),
                "STEWARD_REQUIRE_DOVECOT is set but dovecot is not installed"
            );
            eprintln!("skipped: dovecot is not installed");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        // Under /tmp: Dovecot's mail processes run as `nobody` and must reach the folder.
        let dir = PathBuf::from(format!(
            "/tmp/steward-dovecot-{port}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dovecot dirs");
        }
        let id = |flag: &str| {
            let out = std::process::Command::new("id")
                .arg(flag)
                .output()
                .expect("id");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let root = id("-u") == "0";
        let sh = |cmd: String| {
            let ok = std::process::Command::new("sh")
                .args(["-c", &cmd])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "{cmd}");
        };
        sh(format!("chmod 0755 {}", dir.display()));
        let (uid, gid, login, internal, group, chroot) = if root {
            // Dovecot refuses to run mail processes as root.
            sh(format!(
                "chown nobody:nogroup {}",
                dir.join("mail").display()
            ));
            (
                "65534".to_string(),
                "65534".to_string(),
                "dovenull".to_string(),
                "dovecot".to_string(),
                "dovecot".to_string(),
                "login",
            )
        } else {
            let me = id("-un");
            (id("-u"), id("-g"), me.clone(), me, id("-gn"), "")
        };
        let users_file = dir.join("users");
        let users_text: String = (1..=users)
            .map(|i| format!("user{i}:{{PLAIN}}secret{i}::::::\n"))
            .collect();
        std::fs::write(&users_file, users_text).expect("users");
        let d = dir.display();
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
instance_name = steward-test-{port}\nlog_path = {d}/dovecot.log\n\
default_login_user = {login}\ndefault_internal_user = {internal}\ndefault_internal_group = {group}\n\
ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\nfirst_valid_uid = 1\n\
mail_location = maildir:{d}/mail/%u/Maildir\nmail_home = {d}/mail/%u\n\
mailbox_idle_check_interval = 1 secs\nauth_failure_delay = 0 secs\nmail_fsync = never\n\
passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {users}\n}}\n\
userdb {{\n  driver = static\n  args = uid={uid} gid={gid}\n}}\n\
service imap-login {{\n  chroot = {chroot}\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
service anvil {{\n  chroot =\n}}\nservice imap {{\n  process_limit = 1024\n}}\n\
protocol imap {{\n  mail_max_userip_connections = 100\n}}\n",
            users = users_file.display()
        );
        let conf_path = dir.join("dovecot.conf");
        std::fs::write(&conf_path, conf).expect("conf");
        let child = std::process::Command::new(bin)
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dovecot starts");
        let dovecot = Dovecot { child, port, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(dovecot);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(dovecot.dir.join("dovecot.log")).unwrap_or_default();
        panic!("dovecot did not listen on {port}:\n{log}");
    }

    /// Runs a few lines of Python's imaplib as `user` (M is the logged-in connection).
    pub fn python(&self, user: usize, code: &str, stdin: &[u8]) -> String {
        use std::io::Write;
        let script = format!(
            "import imaplib, sys\nM = imaplib.IMAP4('127.0.0.1', {})\nM.login('user{user}', 'secret{user}')\n{code}\nM.logout()\n",
            self.port
        );
        let mut child = std::process::Command::new("python3")
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("write");
        let out = child.wait_with_output().expect("python3 runs");
        assert!(
            out.status.success(),
            "imaplib failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Puts a message in `user`'s INBOX, unread unless `seen`.
    pub fn append(&self, user: usize, raw: &str, seen: bool) {
        let flags = if seen { "'(\\\\Seen)'" } else { "None" };
        self.python(
            user,
            &format!("M.append('INBOX', {flags}, None, sys.stdin.buffer.read())"),
            raw.as_bytes(),
        );
    }

    /// UIDs of `user`'s unread messages.
    pub fn unseen(&self, user: usize) -> String {
        self.python(
            user,
            "M.select('INBOX')\nprint(M.uid('SEARCH', 'UNSEEN')[1][0].decode())",
            b"",
        )
        .trim()
        .to_string()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its children; SIGKILL would leave them behind.
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn imap_config(port: u16, password: &str) -> EmailConfig {
    EmailConfig {
        hostname: "imap.test".into(),
        inboxes: vec![InboxConfig {
            address: INBOX.into(),
            name: None,
            team: None,
            acknowledge: false,
            acknowledgement: None,
        }],
        smtp: None,
        relay: None,
        imap: vec![ImapConfig {
            inbox: INBOX.into(),
            host: "127.0.0.1".into(),
            port,
            security: "none".into(),
            username: "user1".into(),
            password: password.into(),
            folder: "INBOX".into(),
            poll_seconds: 1,
        }],
        workspace_url: None,
        blocklist: Vec::new(),
        max_auto_replies_per_hour: 5,
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
    let browser =
        crate::workspace::sign_in(&app, "admin@test.example", "correct horse battery").await;
    let page = browser
        .get(format!("{}/admin/inboxes", app.base))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Last error: login as user1 failed") && page.contains("Test connection"),
        "{page}"
    );

    let (_, list) = app.get("/api/v1/conversations").await;
    assert_eq!(list["data"], serde_json::json!([]));
    assert_eq!(dovecot.unseen(1), "1", "the mail waits, unread");
    app.stop().await;
}
