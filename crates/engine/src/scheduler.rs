//! The durable scheduler: work that must happen later or again (webhook deliveries and their
//! retries, SLA timers and SLA re-evaluation, follow-up tasks; time-based rules as they arrive) is a row in `jobs`,
//! written in the transaction of the change that needs it, so it survives a crash or a
//! restart. Every node runs one worker. A worker leases a batch of due jobs (on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`, so two nodes never take the same job), runs them a few at a
//! time, and finishes each in the transaction of its effect, checking it still holds the
//! lease: a job's database effect happens exactly once. A job whose node died is taken again
//! when its lease runs out; a job that fails is retried with backoff.

use crate::{Engine, EngineError, Result};
use futures_util::StreamExt;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use steward_store::jobs::{self, Job};
use steward_store::{Conn, now_ms};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long a claimed job is ours before another node may take it.
const LEASE_MS: i64 = 60_000;
/// Jobs claimed and run at once. Claiming no more than can run keeps the rest free for
/// other nodes.
const BATCH: i64 = 16;
/// The longest a worker sleeps without looking (other nodes' new jobs are found this way).
const POLL_MS: i64 = 500;

/// This node's scheduler: its name (in leases and delivery logs) and the bell that wakes its
/// worker when this node adds a job that is due now.
#[derive(Debug, Clone)]
pub struct Scheduler {
    pub node: Arc<str>,
    wake: Arc<Notify>,
}

impl Default for Scheduler {
    fn default() -> Scheduler {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
        Scheduler {
            node: format!(
                "{host}-{}-{:04x}",
                std::process::id(),
                rand::random::<u16>()
            )
            .into(),
            wake: Arc::new(Notify::new()),
        }
    }
}

impl Scheduler {
    /// Wakes the worker; call after committing a job that is due now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Backoff after the `attempts`th failure: 30 s doubling up to an hour, scaled by `base_ms`.
pub fn backoff_ms(base_ms: i64, attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 12) - 1;
    base_ms.saturating_mul(1i64 << exp).min(3_600_000)
}

/// Adds a job inside the caller's transaction (see `jobs::schedule` for keys).
pub(crate) async fn schedule(
    tx: &mut Conn,
    kind: &str,
    key: Option<&str>,
    payload: &Value,
    run_at: i64,
) -> Result<()> {
    jobs::schedule(tx, kind, key, &payload.to_string(), run_at, now_ms()).await?;
    Ok(())
}

impl Engine {
    /// Leases the due jobs (at most one batch).
    async fn claim_jobs(&self) -> Result<Vec<Job>> {
        let lease = format!("{}:{:016x}", self.scheduler.node, rand::random::<u64>());
        let mut tx = self.store.write().await?;
        let claimed = jobs::claim(
            &mut tx,
            self.store.backend(),
            &lease,
            now_ms(),
            LEASE_MS,
            BATCH,
        )
        .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Runs one job; an error puts it back with backoff.
    async fn run_job(&self, job: Job) {
        let outcome = match job.kind.as_str() {
            "webhook.deliver" => self.deliver_webhook(&job).await,
            "sla.check" => self.run_sla_check(&job).await,
            "sla.reapply" => self.run_sla_reapply(&job).await,
            "task.due" => self.run_task_due(&job).await,
            "routing.drain" => self.run_routing_drain(&job).await,
            "automation.sweep" => self.run_automation_sweep(&job).await,
            "presence.lapse" => self.run_presence_lapse(&job).await,
            "csat.send" => self.run_csat_send(&job).await,
            "bot.email" => self.run_bot_email(&job).await,
            "kb.review" => self.run_kb_review(&job).await,
            "nps.run" => self.run_nps(&job).await,
            "report.send" => self.run_report_send(&job).await,
            other => Err(EngineError::invalid(
                "job",
                format!("unknown job kind {other}"),
            )),
        };
        if let Err(e) = outcome {
            tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, "job failed: {e}");
            let again = now_ms() + backoff_ms(30_000, job.attempts);
            let put_back = async {
                let mut tx = self.store.write().await?;
                jobs::retry_later(&mut tx, job.id, &job.lease, again, &e.to_string()).await?;
                tx.commit().await?;
                Ok::<_, EngineError>(())
            };
            if let Err(e) = put_back.await {
                // The lease runs out and the job is taken again.
                tracing::warn!(job = job.id, "cannot put a failed job back: {e}");
            }
        }
    }

    /// Finishes `job` in `tx`, the transaction of its effect. Fails (so the caller rolls
    /// back) when the lease was lost and someone else now holds the job.
    pub(crate) async fn finish_job(&self, tx: &mut Conn, job: &Job) -> Result<()> {
        if jobs::finish(tx, job.id, &job.lease).await? {
            Ok(())
        } else {
            Err(EngineError::conflict(format!(
                "job {} was taken over after its lease ran out",
                job.id
            )))
        }
    }

    /// When to look again: the next job's time, at most `POLL_MS` away.
    async fn idle_for(&self) -> Duration {
        let now = now_ms();
        let next = match self.store.pool().acquire().await {
            Ok(mut conn) => jobs::next_due(&mut conn, now).await.ok().flatten(),
            Err(_) => None,
        };
        let ms = next.map_or(POLL_MS, |t| (t - now).clamp(10, POLL_MS));
        Duration::from_millis(ms as u64)
    }
}

/// This node's worker: claims due jobs and runs them until `stop`.
pub async fn run_scheduler(engine: Engine, stop: CancellationToken) {
    let wake = engine.scheduler.wake.clone();
    while !stop.is_cancelled() {
        match engine.claim_jobs().await {
            Ok(batch) if !batch.is_empty() => {
                futures_util::stream::iter(batch)
                    .for_each_concurrent(BATCH as usize, |job| engine.run_job(job))
                    .await;
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot claim jobs: {e}"),
        }
        let idle = engine.idle_for().await;
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(idle) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_from_the_base_up_to_an_hour() {
        assert_eq!(backoff_ms(30_000, 1), 30_000);
        assert_eq!(backoff_ms(30_000, 2), 60_000);
        assert_eq!(backoff_ms(30_000, 4), 240_000);
        assert_eq!(backoff_ms(30_000, 50), 3_600_000);
        assert_eq!(backoff_ms(100, 3), 400);
    }
}
