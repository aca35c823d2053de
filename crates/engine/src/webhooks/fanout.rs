//! Fan-out: the event log, read in order from a cursor, becomes one delivery per event and
//! webhook that wants it. The deliveries, their jobs and the moved cursor commit together, so
//! an event is fanned out once even across a crash; on PostgreSQL the cursor row is locked
//! (skipping when another node holds it), so nodes take turns rather than doubling up.
//!
//! Event ids are taken when a transaction inserts, not when it commits, so a later id can
//! become visible before an earlier one. A hole in the ids is waited for (up to
//! `GAP_WAIT`) before it is passed over as a rolled-back transaction.

use super::EVENTS;
use crate::{Engine, Result, scheduler};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use steward_store::models::Event;
use steward_store::webhooks::{self, Webhook};
use steward_store::{Conn, conversations, customers, messages, now_ms};
use tokio_util::sync::CancellationToken;

const BATCH: i64 = 500;
const GAP_WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(200);

pub(crate) fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Holes in the event ids, and when each was first seen.
#[derive(Default)]
struct Gaps(HashMap<i64, Instant>);

impl Gaps {
    /// Whether the hole starting at `id` has waited long enough to be passed over.
    fn may_pass(&mut self, id: i64) -> bool {
        let seen = *self.0.entry(id).or_insert_with(Instant::now);
        seen.elapsed() >= GAP_WAIT
    }

    fn forget_before(&mut self, id: i64) {
        self.0.retain(|k, _| *k > id);
    }
}

/// What a webhook receives for `e`.
async fn payload(conn: &mut Conn, e: &Event) -> Result<Value> {
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let mut out = json!({
        "event": e.kind,
        "event_id": e.id,
        "occurred_at": rfc3339(e.at),
        "actor": {"kind": e.actor_kind, "id": e.actor_id},
        "data": data,
    });
    if let Some(id) = e.conversation_id {
        out["conversation"] = json!(conversations::get(conn, id).await?);
    }
    if e.kind == "message.created"
        && let Some(id) = data["after"]["message_id"].as_i64()
    {
        out["message"] = json!(messages::get(conn, id).await?);
    }
    if e.subject_type == "customer" {
        out["customer"] = json!(customers::get(conn, e.subject_id).await?);
    }
    Ok(out)
}

/// Each active webhook's id and the events it wants (read once per pass).
fn subscriptions(hooks: &[Webhook]) -> Vec<(i64, Vec<String>)> {
    hooks.iter().map(|h| (h.id, h.event_list())).collect()
}

fn wanted(e: &Event, subs: &[(i64, Vec<String>)]) -> Vec<i64> {
    if !EVENTS.contains(&e.kind.as_str()) {
        return Vec::new();
    }
    subs.iter()
        .filter(|(_, events)| events.iter().any(|x| x == "*" || *x == e.kind))
        .map(|(id, _)| *id)
        .collect()
}

impl Engine {
    /// One pass: fans out what the log holds past the cursor. True when the cursor moved
    /// (there may be more).
    async fn fan_out(&self, gaps: &mut Gaps) -> Result<bool> {
        {
            let mut conn = self.store.pool().acquire().await?;
            let cursor = webhooks::read_cursor(&mut conn).await?;
            if webhooks::last_event_id(&mut conn).await? <= cursor {
                return Ok(false);
            }
        }
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let Some(cursor) = webhooks::lock_cursor(&mut tx, self.store.backend()).await? else {
            return Ok(false);
        };
        let hooks = webhooks::active(&mut tx).await?;
        if hooks.is_empty() {
            let last = webhooks::last_event_id(&mut tx).await?;
            webhooks::set_cursor(&mut tx, last).await?;
            tx.commit().await?;
            return Ok(false);
        }
        let subs = subscriptions(&hooks);
        let mut next = cursor;
        let mut made = 0;
        for e in webhooks::events_after(&mut tx, cursor, BATCH).await? {
            if e.id != next + 1 && !gaps.may_pass(next + 1) {
                break;
            }
            next = e.id;
            let targets = wanted(&e, &subs);
            if targets.is_empty() {
                continue;
            }
            let body = payload(&mut tx, &e).await?.to_string();
            for webhook_id in targets {
                let d =
                    webhooks::insert_delivery(&mut tx, webhook_id, Some(e.id), &e.kind, &body, at)
                        .await?;
                scheduler::schedule(
                    &mut tx,
                    "webhook.deliver",
                    Some(&format!("webhook.delivery:{d}")),
                    &json!({"delivery": d}),
                    at,
                )
                .await?;
                made += 1;
            }
        }
        if next != cursor {
            webhooks::set_cursor(&mut tx, next).await?;
        }
        tx.commit().await?;
        gaps.forget_before(next);
        if made > 0 {
            self.scheduler.wake();
        }
        Ok(next != cursor)
    }
}

/// This node's fan-out loop, until `stop`.
pub async fn run_webhook_fanout(engine: Engine, stop: CancellationToken) {
    let mut gaps = Gaps::default();
    while !stop.is_cancelled() {
        match engine.fan_out(&mut gaps).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!("cannot fan out events to webhooks: {e}"),
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
