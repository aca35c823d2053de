//! `steward-bench sla`: what SLAs cost a conversation change, and whether the scheduler keeps
//! up with a large number of pending timers. Runs in-process on the engine (no HTTP), so the
//! figures are the engine's own: the change with its transaction and commit.
//!
//! 1. Opens a fresh database, adds `conversations` customer conversations, and times
//!    `update_conversation` (a priority change) with no SLA policy.
//! 2. Adds 200 policies — 199 whose conditions never match and, last, one that matches
//!    everything and counts in a business-hours calendar with holidays (the worst case: every
//!    change tries all 200 and runs three clocks through the calendar) — and times the same
//!    change again.
//! 3. Adds 200 automation rules on updates (199 never matching, one matching and evaluated on
//!    every change) and times the change once more.
//! 4. Adds `timers` scheduler jobs due over `spread` seconds (plus one backlog of 10,000 due
//!    at once), starts a worker, and samples the due-but-not-run backlog until all have run.

use hdrhistogram::Histogram;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use steward_domain::sla::{Conditions, Targets};
use steward_domain::{Actor, Channel, Priority, Role};
use steward_engine::calendars::{CalendarInput, HolidayInput};
use steward_engine::conversation::{NewConversationCmd, Patch};
use steward_engine::intake::CustomerRef;
use steward_engine::sla::PolicyInput;
use steward_engine::{Engine, Limits};
use steward_store::Store;
use tokio_util::sync::CancellationToken;

pub struct Options<'a> {
    pub data: &'a Path,
    pub database_url: Option<&'a str>,
    pub conversations: u64,
    pub changes: u64,
    pub timers: u64,
    pub spread: Duration,
    /// How long to watch the worker (the rest stay pending).
    pub watch: Duration,
}

fn quantiles(h: &Histogram<u64>) -> String {
    format!(
        "p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0
    )
}

async fn time_changes(
    engine: &Engine,
    admin: &Actor,
    ids: &[i64],
    n: u64,
) -> anyhow::Result<Histogram<u64>> {
    let mut h = Histogram::<u64>::new(3)?;
    for i in 0..n {
        let id = ids[(i as usize * 7919) % ids.len()];
        let priority = if i % 2 == 0 {
            Priority::High
        } else {
            Priority::Normal
        };
        let t = Instant::now();
        engine
            .update_conversation(
                admin,
                id,
                Patch {
                    priority: Some(priority),
                    ..Default::default()
                },
            )
            .await?;
        h.record(t.elapsed().as_micros() as u64)?;
    }
    Ok(h)
}

pub async fn run(o: Options<'_>) -> anyhow::Result<()> {
    std::fs::create_dir_all(o.data)?;
    let url = o
        .database_url
        .map(str::to_string)
        .unwrap_or_else(|| steward_store::sqlite_url(o.data));
    let store = Store::open(&url, o.data).await?;
    store.migrate().await?;
    let engine = Engine::new(store, Limits::default());
    let user = engine
        .create_user(
            steward_engine::accounts::NewUser {
                email: "sla-bench@bench.example",
                name: "SLA Bench",
                role: Role::Admin,
                password: None,
                team_ids: &[],
            },
            None,
        )
        .await?;
    let admin = engine
        .actor(user.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no admin"))?;
    eprintln!("adding {} conversations…", o.conversations);
    let mut ids = Vec::new();
    for i in 0..o.conversations {
        let cmd = NewConversationCmd::from_customer(
            CustomerRef {
                id: None,
                email: Some(format!("sla{}@bench.example", i % 500)),
                phone: None,
                name: None,
            },
            "Where is my order?",
            "It has been a week and nothing arrived.",
            Channel::Email,
        );
        ids.push(engine.create_conversation(None, cmd).await?.id);
    }
    // The scheduler runs throughout, as it does in `serve`: it re-applies changed policies to
    // the open conversations in the background.
    let stop = CancellationToken::new();
    let worker = tokio::spawn(steward_engine::scheduler::run_scheduler(
        engine.clone(),
        stop.clone(),
    ));
    time_changes(&engine, &admin, &ids, o.changes / 10).await?; // warm up
    let without = time_changes(&engine, &admin, &ids, o.changes).await?;

    let hours: steward_engine::calendars::Hours = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| {
            (
                d.to_string(),
                vec![
                    ("09:00".into(), "12:30".into()),
                    ("13:30".into(), "17:00".into()),
                ],
            )
        })
        .collect();
    let calendar = engine
        .save_calendar(
            &admin,
            None,
            &CalendarInput {
                name: "Office".into(),
                time_zone: "Europe/Berlin".into(),
                hours,
                holidays: (1..=28)
                    .map(|d| HolidayInput {
                        date: format!("2027-02-{d:02}"),
                        name: "Closed".into(),
                    })
                    .collect(),
            },
        )
        .await?;
    for i in 0..200 {
        let matches_all = i == 199;
        let input = PolicyInput {
            name: format!("Policy {i}"),
            conditions: Conditions {
                tags: if matches_all {
                    vec![]
                } else {
                    vec![format!("never-{i}")]
                },
                ..Default::default()
            },
            targets: Targets {
                first_response: Some(60 + i),
                next_response: Some(120),
                resolution: Some(2880),
            },
            calendar_id: matches_all.then_some(calendar.id),
            warn_minutes: 15,
            ..Default::default()
        };
        engine.save_sla_policy(&admin, None, input).await?;
    }
    let reapplied = until_reapplied(&engine).await?;
    time_changes(&engine, &admin, &ids, o.changes / 10).await?; // warm up
    let with = time_changes(&engine, &admin, &ids, o.changes).await?;
    println!(
        "conversation change (priority), {} changes each, {} conversations:",
        o.changes, o.conversations
    );
    println!("  no SLA policy        {}", quantiles(&without));
    println!(
        "  re-applying the policies to {} open conversations took {reapplied:.1} s in the background",
        o.conversations
    );
    println!("  200 policies         {}", quantiles(&with));
    println!(
        "  added by SLAs        p50 {:+.3} ms  p99 {:+.3} ms",
        (with.value_at_quantile(0.5) as f64 - without.value_at_quantile(0.5) as f64) / 1000.0,
        (with.value_at_quantile(0.99) as f64 - without.value_at_quantile(0.99) as f64) / 1000.0
    );

    // 200 automation rules on updates, every one looked at on every change: 199 on tags no
    // conversation has (with a text condition too), and one on a priority the timed changes
    // never set. None acts, so the figure is the cost of evaluating them.
    for i in 0..200 {
        let matches_all = i == 199;
        let conditions = if matches_all {
            json!({"priorities": ["low"]})
        } else {
            json!({"tags": [format!("never-{i}")], "text": ["refund"]})
        };
        let actions = if matches_all {
            json!([{"type": "set_priority", "priority": "normal"}])
        } else {
            json!([{"type": "remove_tags", "tags": [format!("never-{i}")]}, {"type": "note", "body": "seen"}])
        };
        let input = steward_engine::automations::RuleInput {
            name: format!("Rule {i}"),
            active: true,
            trigger: steward_domain::automation::Trigger::Updated,
            conditions: serde_json::from_value(conditions)?,
            actions: serde_json::from_value(actions)?,
        };
        engine.save_automation(&admin, None, input).await?;
    }
    time_changes(&engine, &admin, &ids, o.changes / 10).await?; // warm up
    let rules = time_changes(&engine, &admin, &ids, o.changes).await?;
    println!("  200 policies + 200 rules {}", quantiles(&rules));
    println!(
        "  added by SLAs and rules p50 {:+.3} ms  p99 {:+.3} ms",
        (rules.value_at_quantile(0.5) as f64 - without.value_at_quantile(0.5) as f64) / 1000.0,
        (rules.value_at_quantile(0.99) as f64 - without.value_at_quantile(0.99) as f64) / 1000.0
    );

    stop.cancel();
    let _ = worker.await;
    scheduler(&engine, &o).await
}

/// Waits for the background re-application of changed SLA policies to finish; its seconds.
async fn until_reapplied(engine: &Engine) -> anyhow::Result<f64> {
    let t0 = Instant::now();
    loop {
        let mut conn = engine.store.pool().acquire().await?;
        let (pending, _) = steward_store::jobs::counts_with_prefix(
            &mut conn,
            "sla:reapply",
            steward_store::now_ms(),
        )
        .await?;
        if pending == 0 {
            return Ok(t0.elapsed().as_secs_f64());
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Fills the jobs table with timers and watches one worker drain them.
async fn scheduler(engine: &Engine, o: &Options<'_>) -> anyhow::Result<()> {
    let start = steward_store::now_ms() + 2_000;
    let spread_ms = o.spread.as_millis() as i64;
    eprintln!("adding {} timers…", o.timers);
    let mut tx = engine.store.write().await?;
    for i in 0..o.timers {
        // Timers of conversations that are gone: each run claims, finds nothing, finishes.
        let at = if i < 10_000 {
            start
        } else {
            start
                + ((i - 10_000) as i64 * spread_ms)
                    / (o.timers.saturating_sub(10_000).max(1)) as i64
        };
        steward_store::jobs::schedule(
            &mut tx,
            "sla.check",
            Some(&format!("sla:bench:{i}")),
            &json!({"conversation_id": -(i as i64) - 1}).to_string(),
            at,
            start,
        )
        .await?;
    }
    tx.commit().await?;
    let stop = CancellationToken::new();
    let worker = tokio::spawn(steward_engine::scheduler::run_scheduler(
        engine.clone(),
        stop.clone(),
    ));
    // After the burst: the most timers that were due but not yet run.
    let mut worst_after_burst = 0;
    let mut burst_drained: Option<f64> = None;
    let t0 = Instant::now();
    let pending = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut conn = engine.store.pool().acquire().await?;
        let now = steward_store::now_ms();
        let (pending, due) =
            steward_store::jobs::counts_with_prefix(&mut conn, "sla:bench:", now).await?;
        match burst_drained {
            None if now > start && due < 20 => {
                burst_drained = Some((now - start) as f64 / 1000.0);
            }
            Some(_) => worst_after_burst = worst_after_burst.max(due),
            None => {}
        }
        if pending == 0 || t0.elapsed() > o.watch {
            break pending;
        }
    };
    stop.cancel();
    let _ = worker.await;
    let burst = 10_000.min(o.timers);
    let rate = (o.timers - burst) as f64 / o.spread.as_secs_f64();
    println!(
        "scheduler: {} timers pending ({burst} due at once, the rest over {} s, {rate:.0}/s); watched {:.0} s, {pending} still pending",
        o.timers,
        o.spread.as_secs(),
        t0.elapsed().as_secs_f64(),
    );
    match burst_drained {
        Some(s) => println!(
            "  the {burst} due at once ran in {s:.1} s ({:.0} jobs/s); afterwards at most {worst_after_burst} were due and not yet run",
            burst as f64 / s.max(0.001)
        ),
        None => println!("  the {burst} due at once were not all run within the watch"),
    }
    Ok(())
}
