//! Seeding at scale: customers with several conversations, 1 to 20 messages each (about 5 on
//! average), a mix of channels, statuses, priorities and tags, text from a real vocabulary.
//!
//! It writes rows directly with multi-row INSERTs in large transactions (the engine's
//! one-command-per-transaction path is far too slow for millions of rows), but keeps every
//! invariant the application relies on: numbers, counters, message counts, service times,
//! search documents and a `conversation.created` event per conversation. Per-message events
//! are not written, so event-log figures on seeded data count conversations only.

use crate::words;
use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::time::Instant;
use steward_domain::Role;
use steward_engine::accounts::NewUser;
use steward_engine::{Engine, Limits};
use steward_store::sql::{Arg, Sql};
use steward_store::{Backend, Store, Tx};

pub const BENCH_EMAIL: &str = "bench@steward.test";
pub const BENCH_PASSWORD: &str = "bench-password";

pub struct Options {
    pub conversations: u64,
    pub batch: u64,
}

/// What a seeded database holds, for the scenarios.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Seeded {
    pub conversations: i64,
    pub messages: i64,
    pub team_ids: Vec<i64>,
    pub token: String,
    pub min_conversation_id: i64,
    pub max_conversation_id: i64,
}

const STATUSES: &[(&str, u32)] = &[
    ("closed", 45),
    ("solved", 20),
    ("open", 12),
    ("pending", 10),
    ("new", 8),
    ("on_hold", 5),
];
const CHANNELS: &[&str] = &[
    "email", "email", "email", "chat", "chat", "web", "phone", "api", "sms", "social",
];
const TAGS: &[&str] = &[
    "billing",
    "refund",
    "shipping",
    "bug",
    "account",
    "presales",
    "vip",
    "complaint",
    "exchange",
    "cancellation",
];

fn weighted<'a>(rng: &mut StdRng, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut n = rng.random_range(0..total);
    for (item, w) in items {
        if n < *w {
            return item;
        }
        n -= w;
    }
    items[0].0
}

/// 1 to 20 messages, about 5 on average.
fn message_count(rng: &mut StdRng) -> i64 {
    let mut n = 1;
    while n < 20 && rng.random_range(0..100) < 80 {
        n += 1;
    }
    n
}

/// Inserts `rows` into `table` with as few statements as the parameter limit allows.
async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> anyhow::Result<()> {
    // sqlx binds numbered parameters in time that grows with their count squared: keep
    // statements small.
    let per_statement = (1_000 / columns.len()).max(1);
    let timer = Instant::now();
    let count = rows.len();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut q = Sql::new(&format!(
            "INSERT INTO {table} ({}) VALUES ",
            columns.join(", ")
        ));
        for (i, row) in rows.by_ref().take(per_statement).enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            for (j, v) in row.into_iter().enumerate() {
                if j > 0 {
                    q.push(", ");
                }
                q.bind(v);
            }
            q.push(")");
        }
        q.query()
            .execute(&mut **tx)
            .await
            .with_context(|| format!("inserting into {table}"))?;
    }
    if std::env::var_os("STEWARD_BENCH_TRACE").is_some() {
        eprintln!(
            "{table}: {count} rows in {:.0} ms",
            timer.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

async fn scalar(store: &Store, sql: &'static str) -> anyhow::Result<i64> {
    let (v,): (Option<i64>,) = Sql::new(sql).query_as().fetch_one(store.pool()).await?;
    Ok(v.unwrap_or(0))
}

fn progress(done: u64, total: u64, started: Instant) {
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let bar: String = (0..40)
        .map(|i| if i < pct * 40 / 100 { '#' } else { '.' })
        .collect();
    let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
    eprint!("\r[{bar}] {pct:>3}% {done}/{total} conversations, {rate:.0}/s   ");
    let _ = std::io::stderr().flush();
}

/// Makes the teams, agents and the bench user if missing; returns (team ids, agent ids, token).
async fn ensure_people(engine: &Engine) -> anyhow::Result<(Vec<i64>, Vec<i64>, String)> {
    let e = |e: steward_engine::EngineError| anyhow::anyhow!("{e}");
    let mut teams = engine
        .teams()
        .await
        .map_err(e)?
        .into_iter()
        .map(|t| t.id)
        .collect::<Vec<_>>();
    for name in ["Support", "Billing", "Technical"].iter().skip(teams.len()) {
        teams.push(
            engine
                .save_team(None, None, name, "", None)
                .await
                .map_err(e)?
                .id,
        );
    }
    let mut agents: Vec<i64> = engine
        .agents()
        .await
        .map_err(e)?
        .iter()
        .filter(|u| u.role == Role::Agent)
        .map(|u| u.id)
        .collect();
    for i in agents.len()..6 {
        let email = format!("agent{i}@steward.test");
        let team = [teams[i % teams.len()]];
        agents.push(
            engine
                .create_user(
                    NewUser {
                        email: &email,
                        name: &format!("Agent {i}"),
                        role: Role::Agent,
                        password: None,
                        team_ids: &team,
                    },
                    None,
                )
                .await
                .map_err(e)?
                .id,
        );
    }
    if !engine
        .agents()
        .await
        .map_err(e)?
        .iter()
        .any(|u| u.email == BENCH_EMAIL)
    {
        engine
            .create_user(
                NewUser {
                    email: BENCH_EMAIL,
                    name: "Bench Admin",
                    role: Role::Admin,
                    password: Some(BENCH_PASSWORD),
                    team_ids: &teams,
                },
                None,
            )
            .await
            .map_err(e)?;
    }
    let token = engine
        .create_token(BENCH_EMAIL, "steward-bench", None)
        .await
        .map_err(e)?;
    Ok((teams, agents, token))
}

pub async fn seed(store: &Store, opts: &Options) -> anyhow::Result<Seeded> {
    store.migrate().await?;
    let engine = Engine::new(store.clone(), Limits::default());
    let (team_ids, agent_ids, token) = ensure_people(&engine).await?;
    let mut rng = StdRng::seed_from_u64(opts.conversations ^ 0x5eed);
    let now = steward_store::now_ms();
    let year = 365 * 86_400_000i64;

    let mut tag_ids = Vec::new();
    {
        let mut tx = store.write().await?;
        for t in TAGS {
            tag_ids.push(steward_store::tags::ensure(&mut tx, t, now).await?);
        }
        tx.commit().await?;
    }
    let customers_wanted = (opts.conversations / 4).max(1) as i64;
    let first_customer = scalar(store, "SELECT MAX(id) FROM customers").await? + 1;
    let started = Instant::now();
    eprintln!("seeding {customers_wanted} customers…");
    let mut c = 0;
    while c < customers_wanted {
        let n = (customers_wanted - c).min(5_000);
        let mut tx = store.write().await?;
        let (mut cust, mut ident, mut docs) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..n {
            let id = first_customer + c + k;
            let name = format!(
                "{} {}",
                words::COMMON[rng.random_range(0..words::COMMON.len())],
                words::RARE[rng.random_range(0..words::RARE.len())]
            );
            let email = format!("customer{id}@bench.example");
            cust.push(vec![
                Arg::Int(id),
                Arg::Text(name.clone()),
                Arg::Int(now - year),
                Arg::Int(now - year),
            ]);
            ident.push(vec![
                Arg::Int(id),
                Arg::Text("email".into()),
                Arg::Text(email.clone()),
                Arg::Int(now - year),
            ]);
            docs.push(vec![Arg::Int(id), Arg::Text(format!("{name} {email}"))]);
        }
        insert_rows(
            &mut tx,
            "customers",
            &["id", "name", "created_at", "updated_at"],
            cust,
        )
        .await?;
        insert_rows(
            &mut tx,
            "customer_identities",
            &["customer_id", "kind", "value", "created_at"],
            ident,
        )
        .await?;
        insert_rows(&mut tx, "people_docs", &["rowid", "body"], docs).await?;
        tx.commit().await?;
        c += n;
    }

    let first_conv = scalar(store, "SELECT MAX(id) FROM conversations").await? + 1;
    let first_number = scalar(store, "SELECT MAX(number) FROM conversations").await? + 1;
    let mut next_message = scalar(store, "SELECT MAX(id) FROM messages").await? + 1;
    let mut next_doc = scalar(store, "SELECT MAX(id) FROM search_rows").await? + 1;
    let mut total_messages = 0i64;
    let mut done = 0u64;
    progress(0, opts.conversations, started);
    while done < opts.conversations {
        let n = (opts.conversations - done).min(opts.batch);
        let mut tx = store.write().await?;
        let (mut convs, mut msgs, mut docs, mut tags, mut events) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut rows = Vec::new();
        for k in 0..n as i64 {
            let id = first_conv + done as i64 + k;
            // Some customers write much more than others.
            let skew: f64 = rng.random::<f64>().powi(2);
            let customer = first_customer
                + ((skew * customers_wanted as f64) as i64).min(customers_wanted - 1);
            let status = weighted(&mut rng, STATUSES);
            let created = now - rng.random_range(0..year);
            let count = message_count(&mut rng);
            let mut t = created;
            let mut first_response = None;
            let team_ix = rng.random_range(0..team_ids.len());
            let assignee =
                (status != "new").then(|| agent_ids[rng.random_range(0..agent_ids.len())]);
            let subject_words = rng.random_range(3..8);
            let subject = words::sentence(&mut rng, subject_words);
            for m in 0..count {
                let agent = m % 2 == 1;
                if m > 0 {
                    t += rng.random_range(60_000..86_400_000);
                }
                if agent && first_response.is_none() {
                    first_response = Some(t);
                }
                let body_words = rng.random_range(10..60);
                let body = words::sentence(&mut rng, body_words);
                msgs.push(vec![
                    Arg::Int(next_message),
                    Arg::Int(id),
                    Arg::Text(if agent { "agent" } else { "customer" }.into()),
                    if agent {
                        Arg::Int(assignee.unwrap_or(agent_ids[0]))
                    } else {
                        Arg::NullInt
                    },
                    if agent {
                        Arg::NullInt
                    } else {
                        Arg::Int(customer)
                    },
                    Arg::Text("public".into()),
                    Arg::Text("email".into()),
                    Arg::Text(body.clone()),
                    Arg::Int(t),
                ]);
                rows.push(vec![
                    Arg::Int(next_doc),
                    Arg::Text("message".into()),
                    Arg::Int(id),
                    Arg::Int(next_message),
                ]);
                docs.push(vec![Arg::Int(next_doc), Arg::Text(body)]);
                next_doc += 1;
                next_message += 1;
            }
            total_messages += count;
            let solved = matches!(status, "solved" | "closed").then_some(t);
            convs.push(vec![
                Arg::Int(id),
                Arg::Int(first_number + done as i64 + k),
                Arg::Text(subject.clone()),
                Arg::Text(status.into()),
                Arg::Text(
                    ["low", "normal", "normal", "normal", "high", "urgent"][rng.random_range(0..6)]
                        .into(),
                ),
                Arg::Text(CHANNELS[rng.random_range(0..CHANNELS.len())].into()),
                Arg::Int(customer),
                Arg::from(assignee),
                Arg::Int(team_ids[team_ix]),
                Arg::Int(count),
                Arg::Int(created),
                Arg::Int(t),
                Arg::Int(t),
                Arg::from(first_response),
                Arg::from(solved),
                Arg::from((status == "closed").then_some(t)),
                // Every second message is an agent's public reply.
                Arg::Int(count / 2),
            ]);
            rows.push(vec![
                Arg::Int(next_doc),
                Arg::Text("subject".into()),
                Arg::Int(id),
                Arg::NullInt,
            ]);
            docs.push(vec![Arg::Int(next_doc), Arg::Text(subject)]);
            next_doc += 1;
            for tag in 0..rng.random_range(0..3) {
                tags.push(vec![
                    Arg::Int(id),
                    Arg::Int(tag_ids[(id as usize + tag * 3) % tag_ids.len()]),
                ]);
            }
            events.push(vec![
                Arg::Int(created),
                Arg::Text("system".into()),
                Arg::Text("conversation".into()),
                Arg::Int(id),
                Arg::Int(id),
                Arg::Text("conversation.created".into()),
                Arg::Text(format!(
                    "{{\"after\":{{\"status\":\"{status}\",\"seeded\":true}}}}"
                )),
            ]);
        }
        insert_rows(
            &mut tx,
            "conversations",
            &[
                "id",
                "number",
                "subject",
                "status",
                "priority",
                "channel",
                "customer_id",
                "assignee_id",
                "team_id",
                "message_count",
                "created_at",
                "updated_at",
                "last_activity_at",
                "first_response_at",
                "solved_at",
                "closed_at",
                "agent_replies",
            ],
            convs,
        )
        .await?;
        insert_rows(
            &mut tx,
            "messages",
            &[
                "id",
                "conversation_id",
                "author_kind",
                "author_user_id",
                "author_customer_id",
                "visibility",
                "channel",
                "body_text",
                "created_at",
            ],
            msgs,
        )
        .await?;
        insert_rows(
            &mut tx,
            "search_rows",
            &["id", "kind", "conversation_id", "message_id"],
            rows,
        )
        .await?;
        insert_rows(&mut tx, "search_docs", &["rowid", "body"], docs).await?;
        insert_rows(
            &mut tx,
            "conversation_tags",
            &["conversation_id", "tag_id"],
            tags,
        )
        .await?;
        insert_rows(
            &mut tx,
            "events",
            &[
                "at",
                "actor_kind",
                "subject_type",
                "subject_id",
                "conversation_id",
                "kind",
                "data",
            ],
            events,
        )
        .await?;
        tx.commit().await?;
        done += n;
        progress(done, opts.conversations, started);
    }
    eprintln!();
    finish(store).await?;
    let seeded = Seeded {
        conversations: scalar(store, "SELECT COUNT(*) FROM conversations").await?,
        messages: scalar(store, "SELECT COUNT(*) FROM messages").await?,
        team_ids,
        token,
        min_conversation_id: scalar(store, "SELECT MIN(id) FROM conversations").await?,
        max_conversation_id: scalar(store, "SELECT MAX(id) FROM conversations").await?,
    };
    eprintln!(
        "seeded {} conversations and {} messages in {:.1} s ({} messages this run)",
        seeded.conversations,
        seeded.messages,
        started.elapsed().as_secs_f64(),
        total_messages
    );
    Ok(seeded)
}

/// Brings counters and PostgreSQL identity sequences past the explicit ids just written.
async fn finish(store: &Store) -> anyhow::Result<()> {
    let mut tx = store.write().await?;
    Sql::new("UPDATE counters SET value = (SELECT COALESCE(MAX(number), 0) FROM conversations) WHERE name = 'conversation_number'")
        .query()
        .execute(&mut *tx)
        .await?;
    if store.backend() == Backend::Postgres {
        for table in [
            "customers",
            "customer_identities",
            "conversations",
            "messages",
            "events",
            "search_rows",
        ] {
            Sql::new(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))
                .query()
                .execute(&mut *tx)
                .await?;
        }
    }
    // Conversations tagged `complaint` say so on their row, as tagging them would.
    Sql::new(
        "UPDATE conversations SET complaint = 1 WHERE id IN (SELECT ct.conversation_id \
         FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = 'complaint')",
    )
    .query()
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // Fresh statistics, so the planner knows the tables are large.
    Sql::new("ANALYZE").query().execute(store.pool()).await?;
    Ok(())
}
