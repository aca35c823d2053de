//! The IMAP scenario: one Dovecot serving many mailboxes, every one read by Steward (IDLE),
//! and the time from a message landing in a random mailbox (its APPEND answered) to the
//! conversation existing in Steward, one message at a time.

use crate::server::{self, Server};
use anyhow::Context;
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::{Duration, Instant};
use steward_bench::dovecot::Dovecot;

pub struct ImapResult {
    pub mailboxes: usize,
    /// From start to every mailbox reporting a successful check.
    pub all_connected_ms: f64,
    pub messages: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub server_rss_mb: f64,
}

/// Runs it: `data` must hold a seeded bench database (for the API token).
pub async fn run(
    bin: &Path,
    data: &Path,
    token: &str,
    mailboxes: usize,
    messages: u64,
) -> anyhow::Result<ImapResult> {
    let dovecot = Dovecot::start(mailboxes.max(1))
        .await
        .context("Dovecot (dovecot-imapd) is needed for the imap scenario")?;
    let mut config = String::new();
    for i in 1..=mailboxes.max(1) {
        config.push_str(&format!(
            "\n[[email.imap]]\ninbox = \"{}\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             username = \"user{i}\"\npassword = \"secret{i}\"\npoll_seconds = 60\n",
            crate::smtp::INBOX,
            dovecot.port
        ));
    }
    let started = Instant::now();
    let server = Server::start(bin, data, None, server::free_port()?, &config).await?;
    let api = reqwest::Client::new();
    let get = |path: String| {
        let (api, base, token) = (api.clone(), server.base.clone(), token.to_string());
        async move {
            api.get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await?
                .json::<serde_json::Value>()
                .await
        }
    };
    // Every mailbox has connected once it has reported a check.
    loop {
        let v = get("/api/v1/inboxes".into()).await?;
        let ok = v["inboxes"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| i["imap"].as_array().cloned().unwrap_or_default())
            .filter(|m| m["status"] == "ok")
            .count();
        if ok >= mailboxes {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "only {ok} of {mailboxes} mailboxes connected within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all_connected_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for k in 0..messages {
        let user = rng.random_range(1..=mailboxes);
        let subject = format!("imapbench{k}x{}", rng.random::<u32>());
        let raw = format!(
            "From: imap{k}@customers.example\r\nTo: {}\r\nSubject: {subject}\r\n\
             Message-ID: <{subject}@customers.example>\r\n\r\nA question by IMAP.\r\n",
            crate::smtp::INBOX
        );
        let d = &dovecot;
        tokio::task::block_in_place(|| d.append(user, &raw, false));
        let landed = Instant::now();
        loop {
            let v = get(format!("/api/v1/search?q={subject}&limit=1")).await?;
            if v["conversations"].as_array().is_some_and(|a| !a.is_empty()) {
                break;
            }
            anyhow::ensure!(
                landed.elapsed() < Duration::from_secs(60),
                "message {k} in mailbox user{user} did not arrive within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = hist.record((landed.elapsed().as_micros() as u64).max(1));
    }
    let (rss, _) = server::rss_mb(server.pid());
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    Ok(ImapResult {
        mailboxes,
        all_connected_ms,
        messages: hist.len(),
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        max_ms: hist.max() as f64 / 1000.0,
        server_rss_mb: rss,
    })
}
