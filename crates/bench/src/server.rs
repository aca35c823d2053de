//! The server under test: spawned as its own process (`steward serve`), so its memory and CPU
//! are measured apart from the load generator; and the time from start to ready.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    /// The inbound SMTP listener (inbox `support@bench.example`, no acknowledgements).
    pub smtp: std::net::SocketAddr,
    /// From spawning the process to the first successful `/readyz`.
    pub ready_ms: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `steward` binary next to this one (both come from the same `cargo build`).
pub fn sibling_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("steward")))
        .unwrap_or_else(|| PathBuf::from("steward"))
}

impl Server {
    pub async fn start(
        bin: &Path,
        data: &Path,
        database_url: Option<&str>,
        port: u16,
        extra_config: &str,
    ) -> anyhow::Result<Server> {
        let smtp: std::net::SocketAddr = ([127, 0, 0, 1], free_port()?).into();
        let config = data.join("bench-steward.toml");
        std::fs::create_dir_all(data)?;
        std::fs::write(
            &config,
            format!(
                "[email]\nhostname = \"bench.example\"\n\n[[email.inboxes]]\naddress = \"{}\"\n\
                 acknowledge = false\n\n[email.smtp]\nbind = \"{smtp}\"\n{extra_config}",
                crate::smtp::INBOX
            ),
        )?;
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .arg("--data")
            .arg(data)
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"));
        if let Some(u) = database_url {
            cmd.arg("--database-url").arg(u);
        }
        let started = Instant::now();
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        let mut server = Server {
            child,
            base,
            smtp,
            ready_ms: 0.0,
        };
        let client = reqwest::Client::new();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
                && r.status().is_success()
            {
                server.ready_ms = started.elapsed().as_secs_f64() * 1000.0;
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!("the server exited during start-up: {status}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("the server was not ready within 120 s")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Resident memory of a process in MB, from /proc: `(private, mapped)`. Private is the
/// process's own memory (`RssAnon`); mapped is file pages it has mapped and touched
/// (`RssFile`, SQLite's memory-mapped database: the OS page cache, shared and reclaimable).
pub fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("RssAnon:"), field("RssFile:"))
}

/// CPU seconds a process has used (user + system), from /proc.
pub fn cpu_seconds(pid: u32) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / ticks)
        })
        .unwrap_or(0.0)
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
