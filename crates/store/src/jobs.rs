//! The durable scheduler's table: work due at a time (SLA timers, follow-ups, webhook
//! deliveries, time-based rules). A job is leased by one worker at a time: claiming sets a
//! fresh lease token and an expiry, and only the holder of that token may finish or
//! reschedule it, so a job whose node died is taken again after the lease runs out, and a
//! late finisher cannot touch a job someone else now holds. On PostgreSQL the claim skips
//! rows other nodes are claiming (`FOR UPDATE SKIP LOCKED`); on SQLite writes are serial.

use crate::{Backend, Conn, Result};

/// A claimed job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub key: Option<String>,
    pub payload: String,
    /// Including this one.
    pub attempts: i64,
    pub lease: String,
}

/// Adds a job. With a `key`, a pending job of that key is replaced (its time and payload),
/// so a timer that moves is one row.
pub async fn schedule(
    tx: &mut Conn,
    kind: &str,
    key: Option<&str>,
    payload: &str,
    run_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, key, payload, run_at, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, \
         run_at = excluded.run_at, attempts = 0, lease = NULL, lease_until = NULL, last_error = NULL",
    )
    .bind(kind.to_string())
    .bind(key.map(str::to_string))
    .bind(payload.to_string())
    .bind(run_at)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Adds a job with `key` unless one is pending already (a recurring job seeded on use).
pub async fn schedule_if_absent(
    tx: &mut Conn,
    kind: &str,
    key: &str,
    payload: &str,
    run_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, key, payload, run_at, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(kind.to_string())
    .bind(key.to_string())
    .bind(payload.to_string())
    .bind(run_at)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Removes the job with `key`, if any (a timer no longer needed).
pub async fn cancel(tx: &mut Conn, key: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM jobs WHERE key = $1")
        .bind(key.to_string())
        .execute(tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Leases up to `limit` due jobs for `lease_ms`, oldest due first, under the token `lease`.
pub async fn claim(
    tx: &mut Conn,
    backend: Backend,
    lease: &str,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Job>> {
    let skip = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET lease = $1, lease_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs WHERE run_at <= $3 \
           AND (lease_until IS NULL OR lease_until < $3) ORDER BY run_at, id LIMIT $4{skip}) \
         RETURNING id, kind, key, payload, attempts, lease"
    )))
    .bind(lease.to_string())
    .bind(now + lease_ms)
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await?)
}

/// Finishes a job still held under `lease`. False when the lease was lost (it ran out and
/// another worker took the job, or the job was rescheduled meanwhile): the caller's
/// transaction must then roll back.
pub async fn finish(tx: &mut Conn, id: i64, lease: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND lease = $2")
        .bind(id)
        .bind(lease.to_string())
        .execute(tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Puts a job held under `lease` back for `run_at`, with the reason it failed.
pub async fn retry_later(
    tx: &mut Conn,
    id: i64,
    lease: &str,
    run_at: i64,
    error: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET run_at = $3, lease = NULL, lease_until = NULL, last_error = $4 \
         WHERE id = $1 AND lease = $2",
    )
    .bind(id)
    .bind(lease.to_string())
    .bind(run_at)
    .bind(error.to_string())
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// When the next job after `now` falls due, if any (jobs already due are claimed, not
/// waited for).
pub async fn next_due(conn: &mut Conn, now: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE run_at > $1")
            .bind(now)
            .fetch_one(conn)
            .await?,
    )
}

/// How many jobs wait, and how many of them are due by `now`.
/// Like `counts`, for the jobs whose key starts with `prefix`.
pub async fn counts_with_prefix(conn: &mut Conn, prefix: &str, now: i64) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END), 0) FROM jobs \
         WHERE key LIKE $2",
    )
    .bind(now)
    .bind(format!("{prefix}%"))
    .fetch_one(conn)
    .await?)
}

pub async fn counts(conn: &mut Conn, now: i64) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END), 0) FROM jobs",
    )
    .bind(now)
    .fetch_one(conn)
    .await?)
}
