//! The scenarios: what an integrator, an agent and a searcher do most, as real HTTP requests.

use crate::load::{self, Mode, Stats};
use crate::seed::Seeded;
use crate::words;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub const ALL: &[&str] = &[
    "create", "reply", "inbox", "page", "get", "search", "smtp", "report",
];

pub struct Target {
    pub base: String,
    pub api: reqwest::Client,
    /// Signed in to the workspace (cookie), for HTML pages.
    pub browser: reqwest::Client,
    pub token: String,
    pub seeded: Seeded,
    /// Open conversations, which accept replies.
    pub open_ids: Vec<i64>,
    /// The server's inbound SMTP listener.
    pub smtp: std::net::SocketAddr,
}

fn rng_for(i: u64) -> StdRng {
    StdRng::seed_from_u64(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

impl Target {
    pub async fn new(
        base: &str,
        smtp: std::net::SocketAddr,
        seeded: Seeded,
    ) -> anyhow::Result<Target> {
        let api = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let form = browser
            .get(format!("{base}/login"))
            .send()
            .await?
            .text()
            .await?;
        let csrf = form
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("")
            .to_string();
        let res = browser
            .post(format!("{base}/login"))
            .form(&[
                ("email", crate::seed::BENCH_EMAIL),
                ("password", crate::seed::BENCH_PASSWORD),
                ("next", "/inbox"),
                ("_csrf", csrf.as_str()),
            ])
            .send()
            .await?;
        anyhow::ensure!(
            res.status().as_u16() == 303,
            "the bench user could not sign in ({})",
            res.status()
        );
        let mut open_ids = Vec::new();
        let mut cursor: Option<String> = None;
        while open_ids.len() < 2000 {
            let mut url = format!("{base}/api/v1/conversations?status=open&limit=100");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: serde_json::Value = api
                .get(url)
                .bearer_auth(&seeded.token)
                .send()
                .await?
                .json()
                .await?;
            open_ids.extend(
                page["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["id"].as_i64()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        Ok(Target {
            base: base.to_string(),
            api,
            browser,
            token: seeded.token.clone(),
            seeded,
            open_ids,
            smtp,
        })
    }
}

/// Runs scenario `name` against `t`.
pub async fn run(
    name: &str,
    t: Arc<Target>,
    mode: Mode,
    duration: Duration,
) -> anyhow::Result<Stats> {
    let (lo, hi) = (
        t.seeded.min_conversation_id,
        t.seeded
            .max_conversation_id
            .max(t.seeded.min_conversation_id),
    );
    let stats = match name {
        "create" => {
            load::run(mode, duration, move |i| {
                let t = t.clone();
                async move {
                    let mut rng = rng_for(i);
                    let body = json!({
                        "customer": {"email": format!("load{}@bench.example", rng.random_range(0..10_000)), "name": "Load Test"},
                        "subject": words::sentence(&mut rng, 5),
                        "message": {"body": words::sentence(&mut rng, 30)},
                        "channel": "api"
                    });
                    load::check(t.api.post(format!("{}/api/v1/conversations", t.base)).bearer_auth(&t.token).json(&body).send().await, 201).await
                }
            })
            .await
        }
        "reply" => {
            anyhow::ensure!(!t.open_ids.is_empty(), "no open conversations to reply to");
            load::run(mode, duration, move |i| {
                let t = t.clone();
                async move {
                    let mut rng = rng_for(i);
                    let id = t.open_ids[rng.random_range(0..t.open_ids.len())];
                    let body = json!({"body": words::sentence(&mut rng, 25)});
                    load::check(t.api.post(format!("{}/api/v1/conversations/{id}/messages", t.base)).bearer_auth(&t.token).json(&body).send().await, 201).await
                }
            })
            .await
        }
        "inbox" => {
            load::run(mode, duration, move |i| {
                let t = t.clone();
                async move {
                    let team = t.seeded.team_ids[i as usize % t.seeded.team_ids.len()];
                    let url = format!("{}/api/v1/conversations?status=open&team={team}&limit=50&sort=last_activity", t.base);
                    load::check(t.api.get(url).bearer_auth(&t.token).send().await, 200).await
                }
            })
            .await
        }
        "page" => {
            load::run(mode, duration, move |i| {
                let t = t.clone();
                async move {
                    let id = rng_for(i).random_range(lo..=hi);
                    load::check(t.browser.get(format!("{}/conversations/{id}", t.base)).send().await, 200).await
                }
            })
            .await
        }
        "get" => {
            load::run(mode, duration, move |i| {
                let t = t.clone();
                async move {
                    let id = rng_for(i).random_range(lo..=hi);
                    load::check(t.api.get(format!("{}/api/v1/conversations/{id}", t.base)).bearer_auth(&t.token).send().await, 200).await
                }
            })
            .await
        }
        "report" => {
            // The last 30 days and the 30 before them, over every conversation.
            load::run(mode, duration, move |_| {
                let t = t.clone();
                async move {
                    let url = format!("{}/api/v1/reports/summary", t.base);
                    load::check(t.api.get(url).bearer_auth(&t.token).send().await, 200).await
                }
            })
            .await
        }
        "search" => {
            load::run(mode, duration, move |i| {
                let t = t.clone();
                async move {
                    let q = words::search_word(&mut rng_for(i));
                    load::check(t.api.get(format!("{}/api/v1/search?q={q}&limit=25", t.base)).bearer_auth(&t.token).send().await, 200).await
                }
            })
            .await
        }
        "smtp" => {
            load::run(mode, duration, move |i| {
                let t = t.clone();
                async move {
                    let (from, raw) = crate::smtp::message(&mut rng_for(i), i);
                    crate::smtp::deliver(t.smtp, &from, &raw).await
                }
            })
            .await
        }
        other => anyhow::bail!("unknown scenario '{other}'; choose from {}", ALL.join(", ")),
    };
    Ok(stats)
}
