//! `steward-bench`: seeds a database at scale, starts Steward on it as a separate process, and
//! measures the scenarios, the reference ceilings, start-up time and memory.
//!
//! ```sh
//! cargo build --release -p steward -p steward-bench
//! target/release/steward-bench all --data /tmp/steward-bench --conversations 1000000
//! ```

mod ceiling;
mod chat;
mod help;
mod imap;
mod load;
mod report;
mod scenarios;
mod seed;
mod server;
mod smtp;
mod timers;
mod words;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use load::Mode;
use report::{Report, ScenarioResult};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "steward-bench",
    about = "Load and measurement tool for Steward"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Args, Clone)]
struct Db {
    /// The data folder (SQLite database, attachments, and bench.json with what was seeded).
    #[arg(long, default_value = "/tmp/steward-bench")]
    data: PathBuf,
    /// PostgreSQL instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Args, Clone)]
struct SeedArgs {
    /// How many conversations to add (messages are about five times as many).
    #[arg(long, default_value_t = 10_000)]
    conversations: u64,
    /// Conversations per transaction.
    #[arg(long, default_value_t = 2_000)]
    batch: u64,
}

#[derive(Args, Clone)]
struct RunArgs {
    /// Comma-separated scenarios: create, reply, inbox, page, get, search, smtp, report.
    #[arg(long, default_value = "create,reply,inbox,page,get,search,smtp,report")]
    scenarios: String,
    /// Closed loop: this many requests in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Open loop at this many requests per second (instead of closed loop).
    #[arg(long)]
    rate: Option<u64>,
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// The steward binary [default: next to this one].
    #[arg(long)]
    steward: Option<PathBuf>,
    /// Write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Print the change against an earlier JSON result.
    #[arg(long)]
    compare: Option<PathBuf>,
    /// Skip the reference ceilings.
    #[arg(long)]
    no_ceilings: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fill a database with realistic data.
    Seed {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        seed: SeedArgs,
    },
    /// Run scenarios against Steward on a seeded database.
    Run {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Seed (unless already seeded) and run.
    All {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        seed: SeedArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// IMAP intake: many mailboxes on one Dovecot (started here), the time from a new message
    /// to its conversation. Seeds a small database first if the folder has none.
    Imap {
        #[command(flatten)]
        db: Db,
        /// Mailboxes, each read by Steward over its own IMAP session.
        #[arg(long, default_value_t = 200)]
        mailboxes: usize,
        /// Messages to deliver, one at a time, each to a random mailbox.
        #[arg(long, default_value_t = 50)]
        messages: u64,
        /// The steward binary [default: next to this one].
        #[arg(long)]
        steward: Option<PathBuf>,
    },
    /// SLA cost per conversation change (no policy vs. 200), and the scheduler draining many
    /// pending timers; in-process on a fresh database in `--data`.
    Sla {
        #[command(flatten)]
        db: Db,
        #[arg(long, default_value_t = 2_000)]
        conversations: u64,
        /// Timed changes with and without policies.
        #[arg(long, default_value_t = 2_000)]
        changes: u64,
        /// Pending scheduler timers.
        #[arg(long, default_value_t = 100_000)]
        timers: u64,
        /// Seconds the timers fall due over (after 10,000 due at once).
        #[arg(long, default_value_t = 900)]
        spread: u64,
        /// Seconds to watch the worker run them.
        #[arg(long, default_value_t = 60)]
        watch: u64,
    },
    /// Live chat: many visitor sockets on one node (memory), then visitor-to-agent delivery
    /// at a total message rate. Seeds a small database first if the folder has none.
    Chat {
        #[command(flatten)]
        db: Db,
        /// Visitor sockets held open.
        #[arg(long, default_value_t = 10_000)]
        visitors: usize,
        /// Of those, how many chat during the timed part.
        #[arg(long, default_value_t = 200)]
        active: usize,
        /// Messages per second from all active visitors together.
        #[arg(long, default_value_t = 2_000)]
        rate: u64,
        /// Agent answers per second through the API, timed to the visitor's socket (0: none).
        #[arg(long, default_value_t = 0)]
        replies: u64,
        /// Seconds of chatting.
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        /// The steward binary [default: next to this one].
        #[arg(long)]
        steward: Option<PathBuf>,
    },
    /// The public help center: N articles in a fresh database, then search and article pages
    /// in closed loop.
    HelpCenter {
        /// A folder for the fresh database (emptied first).
        #[arg(long, default_value = "/tmp/steward-bench-help")]
        data: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        articles: u64,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Seconds per part.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        #[arg(long)]
        steward: Option<PathBuf>,
    },
    /// An empty HTTP server, the reference ceiling (started by `run`).
    #[command(hide = true)]
    EmptyServer {
        #[arg(long)]
        bind: String,
    },
}

fn database_url(db: &Db) -> String {
    db.database_url
        .clone()
        .unwrap_or_else(|| steward_store::sqlite_url(&db.data))
}

fn seeded_file(db: &Db) -> PathBuf {
    db.data.join("bench.json")
}

async fn do_seed(db: &Db, s: &SeedArgs) -> anyhow::Result<seed::Seeded> {
    let store = steward_store::Store::open(&database_url(db), &db.data).await?;
    let seeded = seed::seed(
        &store,
        &seed::Options {
            conversations: s.conversations,
            batch: s.batch.max(1),
        },
    )
    .await?;
    std::fs::write(seeded_file(db), serde_json::to_vec_pretty(&seeded)?)?;
    store.close().await;
    Ok(seeded)
}

async fn do_run(db: &Db, r: &RunArgs) -> anyhow::Result<()> {
    let seeded: seed::Seeded = serde_json::from_slice(
        &std::fs::read(seeded_file(db))
            .context("no bench.json in the data folder: run `steward-bench seed` first")?,
    )?;
    let bin = r.steward.clone().unwrap_or_else(server::sibling_binary);
    let server = server::Server::start(
        &bin,
        &db.data,
        db.database_url.as_deref(),
        server::free_port()?,
        "",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_rss_mb, idle_mapped_mb) = server::rss_mb(server.pid());
    let mut report = Report {
        backend: if db.database_url.is_some() {
            "postgres".into()
        } else {
            "sqlite".into()
        },
        conversations: seeded.conversations,
        messages: seeded.messages,
        ready_ms: server.ready_ms,
        idle_rss_mb,
        idle_mapped_mb,
        ..Report::default()
    };
    let duration = Duration::from_secs_f64(r.duration.max(0.1));
    let mode = match r.rate {
        Some(rate) => Mode::Open { rate },
        None => Mode::Closed {
            concurrency: r.concurrency,
        },
    };
    let target = Arc::new(scenarios::Target::new(&server.base, server.smtp, seeded).await?);
    for name in r
        .scenarios
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        eprintln!("running {name} for {:.0} s…", duration.as_secs_f64());
        let cpu0 = server::cpu_seconds(server.pid());
        let t0 = Instant::now();
        let stats = scenarios::run(name, target.clone(), mode, duration).await?;
        let cpu = 100.0 * (server::cpu_seconds(server.pid()) - cpu0) / t0.elapsed().as_secs_f64();
        let (rss, mapped) = server::rss_mb(server.pid());
        report.scenarios.insert(
            name.to_string(),
            ScenarioResult {
                stats,
                mode: format!("{mode:?}"),
                server_rss_mb: rss,
                server_mapped_mb: mapped,
                server_cpu_pct: cpu,
            },
        );
    }
    drop(server);
    if !r.no_ceilings {
        eprintln!("measuring the reference ceilings…");
        report.http_ceiling = Some(ceiling::http_ceiling(r.concurrency, duration).await?);
        report.sqlite_tx_per_s =
            Some(ceiling::sqlite_ceiling(&db.data, Duration::from_secs(2).min(duration)).await?);
    }
    report.print();
    if let Some(path) = &r.compare {
        let base: Report = serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
        )?;
        report.compare(&base);
    }
    if let Some(path) = &r.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// What the folder was seeded with, after seeding 1,000 conversations if it was empty.
async fn small_seed(db: &Db) -> anyhow::Result<seed::Seeded> {
    if !seeded_file(db).exists() {
        do_seed(
            db,
            &SeedArgs {
                conversations: 1_000,
                batch: 1_000,
            },
        )
        .await?;
    }
    Ok(serde_json::from_slice(&std::fs::read(seeded_file(db))?)?)
}

async fn do_imap(
    db: &Db,
    mailboxes: usize,
    messages: u64,
    steward: Option<PathBuf>,
) -> anyhow::Result<()> {
    let seeded = small_seed(db).await?;
    let bin = steward.unwrap_or_else(server::sibling_binary);
    eprintln!("starting Dovecot with {mailboxes} mailboxes and Steward reading them all…");
    let r = imap::run(&bin, &db.data, &seeded.token, mailboxes, messages).await?;
    println!(
        "IMAP: {} mailboxes on one Dovecot, all connected {:.0} ms after start; {} messages, \
         new message to conversation p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms; \
         server RSS {:.1} MB",
        r.mailboxes,
        r.all_connected_ms,
        r.messages,
        r.p50_ms,
        r.p90_ms,
        r.p99_ms,
        r.max_ms,
        r.server_rss_mb
    );
    Ok(())
}

async fn do_chat(
    db: &Db,
    visitors: usize,
    active: usize,
    rate: u64,
    replies: u64,
    duration: f64,
    steward: Option<PathBuf>,
) -> anyhow::Result<()> {
    let seeded = small_seed(db).await?;
    let bin = steward.unwrap_or_else(server::sibling_binary);
    let r = chat::run(chat::Options {
        bin: &bin,
        data: &db.data,
        database_url: db.database_url.as_deref(),
        token: &seeded.token,
        visitors,
        active,
        rate,
        replies,
        duration: Duration::from_secs_f64(duration.max(1.0)),
    })
    .await?;
    println!(
        "Chat: {} visitor sockets connected in {:.1} s; server RSS {:.1} MB idle, {:.1} MB with them all, {:.1} MB while chatting. {} messages sent at {:.0}/s, {} reached the agent's page: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; the server used {:.0} µs of CPU per message",
        r.visitors,
        r.connect_s,
        r.idle_rss_mb,
        r.connected_rss_mb,
        r.busy_rss_mb,
        r.sent,
        r.achieved_rate,
        r.delivered,
        r.latency.p50_ms,
        r.latency.p90_ms,
        r.latency.p99_ms,
        r.latency.max_ms,
        r.cpu_us_per_message
    );
    if let Some(a) = r.replies {
        println!(
            "  Agent answers: {} sent, {} reached the visitor: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            a.sent,
            a.delivered,
            a.latency.p50_ms,
            a.latency.p90_ms,
            a.latency.p99_ms,
            a.latency.max_ms
        );
    }
    if let Some(w) = r.writer {
        println!(
            "  SQLite's writer was held {:.0} % of the time: {:.0} µs by each transaction, {:.0} µs by each commit of {:.1} transactions",
            w.busy_pct, w.held_us, w.commit_us, w.per_commit
        );
    }
    Ok(())
}

async fn do_help(
    data: &std::path::Path,
    articles: u64,
    concurrency: usize,
    duration: f64,
    steward: Option<PathBuf>,
) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data)?;
    let bin = steward.unwrap_or_else(server::sibling_binary);
    let r = help::run(
        &bin,
        data,
        articles,
        concurrency.max(1),
        Duration::from_secs_f64(duration.max(1.0)),
    )
    .await?;
    for (name, s) in [("search", &r.search), ("article page", &r.page)] {
        println!(
            "Help center, {} articles (seeded in {:.1} s), {name}: {:.0} requests/s, p50 {:.2} ms, \
             p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, errors {:?}",
            r.articles, r.seed_s, s.throughput, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms, s.errors
        );
    }
    println!("server RSS {:.1} MB", r.rss_mb);
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Seed { db, seed } => do_seed(&db, &seed).await.map(|_| ()),
        Cmd::Run { db, run } => do_run(&db, &run).await,
        Cmd::All { db, seed, run } => {
            let seeded = if seeded_file(&db).exists() {
                Ok(())
            } else {
                do_seed(&db, &seed).await.map(|_| ())
            };
            match seeded {
                Ok(()) => do_run(&db, &run).await,
                Err(e) => Err(e),
            }
        }
        Cmd::Imap {
            db,
            mailboxes,
            messages,
            steward,
        } => do_imap(&db, mailboxes, messages, steward).await,
        Cmd::Sla {
            db,
            conversations,
            changes,
            timers,
            spread,
            watch,
        } => {
            // A fresh SQLite database each run (PostgreSQL: pass an empty database).
            let dir = db.data.join(format!("sla-{}", std::process::id()));
            let result = timers::run(timers::Options {
                data: &dir,
                database_url: db.database_url.as_deref(),
                conversations,
                changes,
                timers,
                spread: Duration::from_secs(spread),
                watch: Duration::from_secs(watch),
            })
            .await;
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
        Cmd::Chat {
            db,
            visitors,
            active,
            rate,
            replies,
            duration,
            steward,
        } => do_chat(&db, visitors, active, rate, replies, duration, steward).await,
        Cmd::HelpCenter {
            data,
            articles,
            concurrency,
            duration,
            steward,
        } => do_help(&data, articles, concurrency, duration, steward).await,
        Cmd::EmptyServer { bind } => ceiling::empty_server(&bind).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
