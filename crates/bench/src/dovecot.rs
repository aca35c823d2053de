//! A throwaway Dovecot (Debian's `dovecot-imapd`) for the IMAP tests and the IMAP benchmark:
//! started from its own config in a temp folder on a free loopback port, serving `user1` …
//! `userN` (password `secret1` …), as root or not, and stopped with SIGTERM. Messages are
//! put in with Python's imaplib.

use std::path::PathBuf;
use std::time::Duration;

/// A Dovecot serving `users` accounts (`user1`/`secret1`, …) on a free loopback port.
pub struct Dovecot {
    child: std::process::Child,
    /// Plain IMAP (STARTTLS too, when started with TLS).
    pub port: u16,
    /// IMAP over TLS from the first byte, when started with TLS.
    pub tls_port: Option<u16>,
    /// The self-signed certificate (for 127.0.0.1) it presents, when started with TLS.
    pub certificate: Option<PathBuf>,
    dir: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Dovecot {
    /// `None` when Dovecot is not installed (then the test is skipped, unless
    /// `STEWARD_REQUIRE_DOVECOT` is set, as `.ci/run` does).
    pub async fn start(users: usize) -> Option<Dovecot> {
        Self::start_with(users, false).await
    }

    /// Like `start`, also offering STARTTLS and TLS (`tls_port`) with a self-signed
    /// certificate for 127.0.0.1.
    pub async fn start_tls(users: usize) -> Option<Dovecot> {
        Self::start_with(users, true).await
    }

    async fn start_with(users: usize, tls: bool) -> Option<Dovecot> {
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
        let port = free_port();
        let tls_port = tls.then(free_port);
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
        let certificate = tls.then(|| crate::certificate::self_signed(&dir).0);
        let ssl = match &certificate {
            Some(cert) => format!(
                "ssl = yes\nssl_cert = <{}\nssl_key = <{}",
                cert.display(),
                dir.join("key.pem").display()
            ),
            None => "ssl = no".to_string(),
        };
        let d = dir.display();
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
instance_name = steward-test-{port}\nlog_path = {d}/dovecot.log\n\
default_login_user = {login}\ndefault_internal_user = {internal}\ndefault_internal_group = {group}\n\
{ssl}\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\nfirst_valid_uid = 1\n\
mail_location = maildir:{d}/mail/%u/Maildir\nmail_home = {d}/mail/%u\n\
mailbox_idle_check_interval = 1 secs\nauth_failure_delay = 0 secs\nmail_fsync = never\n\
passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {users}\n}}\n\
userdb {{\n  driver = static\n  args = uid={uid} gid={gid}\n}}\n\
service imap-login {{\n  chroot = {chroot}\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps}\n  }}\n}}\n\
service anvil {{\n  chroot =\n}}\nservice imap {{\n  process_limit = 1024\n}}\n\
protocol imap {{\n  mail_max_userip_connections = 100\n}}\n",
            users = users_file.display(),
            imaps = tls_port.unwrap_or(0),
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
        let dovecot = Dovecot {
            child,
            port,
            tls_port,
            certificate,
            dir,
        };
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
