//! The chat scenario: many visitors' WebSockets held open on one node (its memory with them
//! all connected), then some of them chatting at a set total rate while an agent's workspace
//! page listens to the live stream, and the time from a visitor sending a message to the
//! agent's page hearing of it (visitor-to-agent delivery). Optionally the agent also answers
//! through the API at a set rate, timed from the request to the visitor's socket showing the
//! answer (agent-to-visitor delivery).

use crate::server::{self, Server};
use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub struct Options<'a> {
    pub bin: &'a Path,
    pub data: &'a Path,
    pub database_url: Option<&'a str>,
    pub token: &'a str,
    pub visitors: usize,
    /// Visitors who chat during the timed part.
    pub active: usize,
    /// Messages per second, all active visitors together.
    pub rate: u64,
    /// Agent answers per second during the timed part (0: none).
    pub replies: u64,
    pub duration: Duration,
}

/// Delivery times in milliseconds.
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(h: &Mutex<Histogram<u64>>) -> anyhow::Result<Latency> {
        let h = h
            .lock()
            .map(|h| h.clone())
            .map_err(|_| anyhow::anyhow!("histogram lock"))?;
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Ok(Latency {
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            max_ms: h.max() as f64 / 1000.0,
        })
    }
}

/// The agent's answers: how many were sent and reached the visitor, and how fast.
pub struct Replies {
    pub sent: u64,
    pub delivered: u64,
    pub latency: Latency,
}

fn record(h: &Mutex<Histogram<u64>>, since: Instant) {
    let us = since.elapsed().as_micros() as u64;
    if let Ok(mut h) = h.lock() {
        let _ = h.record(us.max(1));
    }
}

/// The number in an agent answer's frame (`… "text":"agent reply #N" …`).
fn reply_number(frame: &str) -> Option<u64> {
    let rest = frame.split("agent reply #").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

pub struct ChatResult {
    pub visitors: usize,
    pub connect_s: f64,
    pub idle_rss_mb: f64,
    pub connected_rss_mb: f64,
    pub sent: u64,
    pub delivered: u64,
    pub achieved_rate: f64,
    pub latency: Latency,
    pub busy_rss_mb: f64,
    /// The server's CPU time (user and system) over the timed part, per message sent.
    pub cpu_us_per_message: f64,
    /// SQLite's writer over the timed part: the share of time it was held (by transactions
    /// and by commits), and transactions per commit. `None` on PostgreSQL.
    pub writer: Option<WriterLoad>,
    /// With `Options::replies`.
    pub replies: Option<Replies>,
}

pub struct WriterLoad {
    pub busy_pct: f64,
    pub per_commit: f64,
    /// Microseconds a transaction held the writer, and a commit did, on average.
    pub held_us: f64,
    pub commit_us: f64,
}

/// The SQLite writer's counters from `/metrics`: transactions, commits and seconds held.
async fn writer_counters(api: &reqwest::Client, base: &str) -> Option<[f64; 4]> {
    let text = api
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    };
    Some([
        value("steward_sqlite_write_transactions")?,
        value("steward_sqlite_commits")?,
        value("steward_sqlite_writer_held_seconds")?,
        value("steward_sqlite_committing_seconds")?,
    ])
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn hello(url: &str) -> anyhow::Result<Ws> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    ws.send(Message::Text(
        json!({"type": "hello", "inbox": "bench"})
            .to_string()
            .into(),
    ))
    .await?;
    while let Some(m) = ws.next().await {
        if let Message::Text(t) = m?
            && t.contains("\"welcome\"")
        {
            return Ok(ws);
        }
    }
    bail!("no welcome")
}

/// When each chat's messages were sent, oldest first, for matching the agent's events.
type Pending = Arc<Mutex<HashMap<i64, VecDeque<Instant>>>>;

pub async fn run(o: Options<'_>) -> anyhow::Result<ChatResult> {
    let server = Server::start(o.bin, o.data, o.database_url, server::free_port()?, "").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle_rss_mb, _) = server::rss_mb(server.pid());
    let api = reqwest::Client::new();
    let res = api
        .post(format!("{}/api/v1/chat/inboxes", server.base))
        .bearer_auth(o.token)
        .json(&json!({"key": "bench", "name": "Bench", "colour": "#336699", "prechat": "none"}))
        .send()
        .await?;
    if !res.status().is_success() && res.status() != reqwest::StatusCode::CONFLICT {
        bail!("chat inbox not made: {}", res.text().await?);
    }
    let url = format!("{}/chat/ws", server.base.replace("http://", "ws://"));

    // Every visitor connects and says hello, 200 at a time.
    let t0 = Instant::now();
    let mut sockets: Vec<Ws> = Vec::with_capacity(o.visitors);
    while sockets.len() < o.visitors {
        let n = (o.visitors - sockets.len()).min(200);
        let batch = futures_util::future::join_all((0..n).map(|_| hello(&url))).await;
        for s in batch {
            sockets.push(s.context("a visitor could not connect")?);
        }
    }
    let connect_s = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (connected_rss_mb, _) = server::rss_mb(server.pid());
    eprintln!(
        "{} visitors connected in {connect_s:.1} s; server RSS {connected_rss_mb:.1} MB",
        sockets.len()
    );

    // The agent's page: signed in, listening to the live stream.
    let agent = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = agent
        .get(format!("{}/login", server.base))
        .send()
        .await?
        .text()
        .await?;
    let csrf = login
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string();
    agent
        .post(format!("{}/login", server.base))
        .form(&[
            ("email", crate::seed::BENCH_EMAIL),
            ("password", crate::seed::BENCH_PASSWORD),
            ("next", "/inbox"),
            ("_csrf", csrf.as_str()),
        ])
        .send()
        .await?;
    let mut live = agent
        .get(format!("{}/live", server.base))
        .send()
        .await?
        .bytes_stream();

    // The active visitors start their chats (untimed).
    let active = o.active.min(sockets.len()).max(1);
    let mut chats: Vec<(i64, Ws)> = Vec::with_capacity(active);
    for (i, mut ws) in sockets.drain(..active).enumerate() {
        ws.send(Message::Text(
            json!({"type": "message", "cseq": 1, "text": format!("hello from visitor {i}")})
                .to_string()
                .into(),
        ))
        .await?;
        let chat = loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t)?;
                    if v["type"] == "ack" {
                        break v["chat"].as_i64().unwrap_or(0);
                    }
                    if v["type"] == "error" {
                        bail!("refused: {v}");
                    }
                }
                Some(Ok(_)) => {}
                other => bail!("socket ended: {other:?}"),
            }
        };
        chats.push((chat, ws));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Listen: each "message" event for a chat matches the oldest message sent to it.
    let pending: Pending = Arc::default();
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let delivered = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let listener = {
        let (pending, hist, delivered) = (pending.clone(), hist.clone(), delivered.clone());
        tokio::spawn(async move {
            let mut buf = String::new();
            while let Some(Ok(chunk)) = live.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let event: String = buf.drain(..end + 2).collect();
                    let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) else {
                        continue;
                    };
                    let Ok(v) = serde_json::from_str::<Value>(data.trim()) else {
                        continue;
                    };
                    if v["kind"] != "message" || v["topic"] != "conversation" {
                        continue;
                    }
                    let id = v["conversation_id"].as_i64().unwrap_or(0);
                    let sent = pending
                        .lock()
                        .ok()
                        .and_then(|mut p| p.get_mut(&id).and_then(VecDeque::pop_front));
                    if let Some(at) = sent {
                        record(&hist, at);
                        delivered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        })
    };

    // Open loop: the next visitor sends at each tick; each socket's frames are read by its
    // own task (timing the agent's answers) so the server never waits on us.
    let answers: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let answer_hist = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let answered = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let chat_ids: Vec<i64> = chats.iter().map(|(c, _)| *c).collect();
    let mut senders = Vec::with_capacity(chats.len());
    for (chat, ws) in chats {
        let (mut tx, mut rx) = ws.split();
        let (answers, answer_hist, answered) =
            (answers.clone(), answer_hist.clone(), answered.clone());
        tokio::spawn(async move {
            while let Some(Ok(m)) = rx.next().await {
                let Message::Text(t) = m else { continue };
                let Some(n) = reply_number(&t) else { continue };
                let sent = answers.lock().ok().and_then(|mut a| a.remove(&n));
                if let Some(at) = sent {
                    record(&answer_hist, at);
                    answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        let (send_tx, mut send_rx) = tokio::sync::mpsc::unbounded_channel::<i64>();
        let pending = pending.clone();
        tokio::spawn(async move {
            while let Some(cseq) = send_rx.recv().await {
                if let Ok(mut p) = pending.lock() {
                    p.entry(chat).or_default().push_back(Instant::now());
                }
                let frame =
                    json!({"type": "message", "cseq": cseq, "text": "a message for the agent"});
                if tx
                    .send(Message::Text(frame.to_string().into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        senders.push(send_tx);
    }
    let (busy_rss_mb, sent, elapsed, cpu_before, writer, replies_sent) = {
        let every = Duration::from_secs_f64(1.0 / o.rate.max(1) as f64);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let start = Instant::now();
        let cpu_before = server::cpu_seconds(server.pid());
        let writer_before = writer_counters(&api, &server.base).await;
        let replier = (o.replies > 0).then(|| {
            let every = Duration::from_secs_f64(1.0 / o.replies as f64);
            let (api, base, token) = (api.clone(), server.base.clone(), o.token.to_string());
            let (answers, chat_ids, duration) = (answers.clone(), chat_ids.clone(), o.duration);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut n = 0u64;
                while start.elapsed() < duration {
                    tick.tick().await;
                    n += 1;
                    let chat = chat_ids[n as usize % chat_ids.len()];
                    if let Ok(mut a) = answers.lock() {
                        a.insert(n, Instant::now());
                    }
                    let post = api
                        .post(format!("{base}/api/v1/conversations/{chat}/messages"))
                        .bearer_auth(&token)
                        .json(&json!({"body": format!("agent reply #{n}")}));
                    tokio::spawn(async move {
                        match post.send().await {
                            Ok(r) if r.status().is_success() => {}
                            Ok(r) => eprintln!("an answer was refused: {}", r.status()),
                            Err(e) => eprintln!("an answer failed: {e}"),
                        }
                    });
                }
                n
            })
        });
        let mut sent = 0u64;
        let mut cseqs = vec![1i64; senders.len()];
        while start.elapsed() < o.duration {
            tick.tick().await;
            let i = (sent as usize) % senders.len();
            cseqs[i] += 1;
            let _ = senders[i].send(cseqs[i]);
            sent += 1;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let rss = server::rss_mb(server.pid()).0;
        let writer = match (writer_before, writer_counters(&api, &server.base).await) {
            // PostgreSQL exports the counters too, always 0.
            (Some(a), Some(b)) if b[0] > a[0] => Some(WriterLoad {
                busy_pct: (b[2] - a[2] + b[3] - a[3]) / elapsed * 100.0,
                per_commit: (b[0] - a[0]) / (b[1] - a[1]).max(1.0),
                held_us: (b[2] - a[2]) * 1e6 / (b[0] - a[0]).max(1.0),
                commit_us: (b[3] - a[3]) * 1e6 / (b[1] - a[1]).max(1.0),
            }),
            _ => None,
        };
        let replies_sent = match replier {
            Some(r) => r.await.unwrap_or(0),
            None => 0,
        };
        (rss, sent, elapsed, cpu_before, writer, replies_sent)
    };
    // Let the last deliveries arrive; the CPU they take counts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let cpu = server::cpu_seconds(server.pid()) - cpu_before;
    listener.abort();
    drop(sockets);
    let replies = match replies_sent {
        0 => None,
        sent => Some(Replies {
            sent,
            delivered: answered.load(std::sync::atomic::Ordering::Relaxed),
            latency: Latency::of(&answer_hist)?,
        }),
    };
    Ok(ChatResult {
        visitors: o.visitors,
        connect_s,
        idle_rss_mb,
        connected_rss_mb,
        sent,
        delivered: delivered.load(std::sync::atomic::Ordering::Relaxed),
        achieved_rate: sent as f64 / elapsed,
        latency: Latency::of(&hist)?,
        busy_rss_mb,
        cpu_us_per_message: cpu * 1e6 / sent.max(1) as f64,
        writer,
        replies,
    })
}
