//! Working a conversation's SLA out: pick the first policy whose conditions match, read the
//! conversation's timeline from the event log, let `steward_domain::sla` run the clocks, and
//! write the result where the inbox sorts on it. Run in the transaction of every change to a
//! conversation, and by `sla.check` jobs when a warning or a target falls due: those record
//! `sla.warning` and `sla.breached` events (once per clock), escalate, and set the next timer.

use super::{Cache, PolicyView};
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::{Value, json};
use std::sync::Arc;
use steward_domain::automation::Trigger;
use steward_domain::calendar::Calendar;
use steward_domain::sla::{self, Clock, Facts, Mark, Metric, Rules, Summary};
use steward_domain::{Actor, Status};
use steward_store::events::Doer;
use steward_store::jobs::{self, Job};
use steward_store::models::Conversation;
use steward_store::sla::ConversationFacts;
use steward_store::sla::{Glance, TimelineRow};
use steward_store::{Backend, Conn, Tx, conversations, now_ms};

/// Conversations worked out again per `sla.reapply` job.
const REAPPLY_BATCH: i64 = 200;

/// A conversation's SLA as shown beside it.
#[derive(Debug, Clone)]
pub struct SlaView {
    pub policy_id: i64,
    pub policy_name: String,
    /// Counted in business hours (else around the clock).
    pub business_hours: bool,
    pub clocks: Vec<Clock>,
    pub summary: Summary,
}

/// A conversation's facts as the transaction has them, when the caller read them already.
pub(crate) type Known = ConversationFacts;

/// A warning or breach recorded in the event log: its kind, the clock's metric and start.
type Recorded = (String, Metric, i64);

/// A conversation's SLA worked out, with the warnings and breaches already recorded.
struct Evaluation {
    policy: PolicyView,
    view: SlaView,
    recorded: Vec<Recorded>,
}

fn timer_key(id: i64) -> String {
    format!("sla:{id}")
}

/// The clock marks in the event log, and the warnings and breaches recorded there.
fn read_timeline(rows: &[TimelineRow]) -> (Vec<(i64, Mark)>, Vec<Recorded>) {
    let mut marks = Vec::new();
    let mut recorded = Vec::new();
    for row in rows {
        let data: Value = serde_json::from_str(&row.data).unwrap_or_default();
        let after = &data["after"];
        match row.kind.as_str() {
            "conversation.created" => {
                let status = after["status"]
                    .as_str()
                    .and_then(|s| Status::parse(s).ok())
                    .unwrap_or(Status::New);
                marks.push((row.at, Mark::Opened(status)));
            }
            "message.created" if after["visibility"] == "public" => {
                match after["author_kind"].as_str() {
                    Some("customer") => marks.push((row.at, Mark::CustomerMessage)),
                    Some("agent") => marks.push((row.at, Mark::AgentReply)),
                    _ => {}
                }
            }
            "status.changed" => {
                if let Some(s) = after.as_str().and_then(|s| Status::parse(s).ok()) {
                    marks.push((row.at, Mark::Status(s)));
                }
            }
            "sla.warning" | "sla.breached" => {
                if let (Some(m), Some(started)) = (
                    data["metric"].as_str().and_then(|m| Metric::parse(m).ok()),
                    data["started_at"].as_i64(),
                ) {
                    recorded.push((row.kind.clone(), m, started));
                }
            }
            _ => {}
        }
    }
    (marks, recorded)
}

async fn evaluate(
    cache: &Cache,
    conn: &mut Conn,
    backend: Backend,
    c: &Conversation,
    now: i64,
    known: Option<Known>,
) -> Result<Option<Evaluation>> {
    if c.merged_into.is_some() {
        return Ok(None);
    }
    let facts = match known {
        Some(k) => k,
        None => match steward_store::sla::facts(conn, backend, c.id).await? {
            Some(k) => k,
            None => return Ok(None),
        },
    };
    let version = facts.version;
    let policies = cache.policies(conn, version).await?;
    if policies.is_empty() {
        return Ok(None);
    }
    let tags = facts.tag_names();
    let conversation = Facts {
        priority: c.priority,
        channel: c.channel,
        tags: &tags,
        organization_id: facts.organization_id,
        customer_tier: facts.tier.as_deref(),
    };
    let Some(policy) = policies
        .iter()
        .find(|p| p.input.conditions.matches(&conversation))
        .cloned()
    else {
        return Ok(None);
    };
    // Business hours by the team's calendar when it has one, else the inbox's, else the policy's; or around
    // the clock.
    let calendar = match policy.input.calendar_id {
        None => Arc::new(Calendar::always()),
        Some(own) => {
            let id = facts.calendar_id.unwrap_or(own);
            cache.calendar(conn, version, id).await?
        }
    };
    let timeline = steward_store::sla::timeline(conn, c.id).await?;
    let (marks, recorded) = read_timeline(&timeline);
    let rules = Rules {
        targets: policy.input.targets,
        calendar: &calendar,
        pauses: policy.input.pauses,
        warn_minutes: policy.input.warn_minutes,
    };
    let clocks = sla::clocks(&marks, &rules, now);
    let summary = sla::summarize(&clocks, now);
    Ok(Some(Evaluation {
        view: SlaView {
            policy_id: policy.id,
            policy_name: policy.input.name.clone(),
            business_hours: policy.input.calendar_id.is_some(),
            clocks,
            summary,
        },
        policy,
        recorded,
    }))
}

impl Evaluation {
    fn has(&self, kind: &str, clock: &Clock) -> bool {
        self.recorded
            .iter()
            .any(|(k, m, s)| k == kind && *m == clock.metric && *s == clock.started_at)
    }

    /// When this conversation must be looked at again: the next warning or target still to
    /// be recorded.
    fn next_timer(&self) -> Option<i64> {
        self.view
            .clocks
            .iter()
            .filter(|c| c.is_open() && !c.paused)
            .flat_map(|c| {
                let warn = c
                    .warn_at
                    .filter(|_| c.breached_at.is_none() && !self.has("sla.warning", c));
                let due = c.due_at.filter(|_| c.breached_at.is_none());
                [warn, due]
            })
            .flatten()
            .min()
    }
}

/// Writes what changed of conversation `c`'s SLA columns and timer (a change that moves
/// nothing writes nothing).
async fn write_glance(
    tx: &mut Conn,
    c: &mut Conversation,
    g: Glance<'_>,
    timer_gone: bool,
) -> Result<()> {
    let check_before = c.sla_check_at;
    if g != Glance::of(c) {
        steward_store::sla::set_glance(tx, c.id, g).await?;
        c.sla_policy_id = g.policy_id;
        c.sla_due_at = g.due_at;
        c.sla_breached_at = g.breached_at;
        c.sla_state = g.state.map(str::to_string);
        c.sla_check_at = g.check_at;
    }
    if g.check_at != check_before || timer_gone {
        match g.check_at {
            Some(at) => {
                let payload = json!({"conversation_id": c.id});
                scheduler::schedule(tx, "sla.check", Some(&timer_key(c.id)), &payload, at).await?;
            }
            None => {
                jobs::cancel(tx, &timer_key(c.id)).await?;
            }
        }
    }
    Ok(())
}

impl Engine {
    /// A conversation's SLA now, as `by` may see it; `None` when no policy applies.
    pub async fn conversation_sla(&self, by: &Actor, id: i64) -> Result<Option<SlaView>> {
        let c = self.conversation(by, id).await?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(evaluate(
            &self.sla_cache,
            &mut conn,
            self.store.backend(),
            &c,
            now_ms(),
            None,
        )
        .await?
        .map(|e| e.view))
    }

    /// Works conversation `id`'s SLA out inside the caller's transaction (see `refresh_sla_of`).
    pub(crate) async fn refresh_sla(&self, tx: &mut Tx, id: i64) -> Result<()> {
        if let Some(mut c) = conversations::get(tx, id).await? {
            self.work_out_sla(tx, &mut c, false, None).await?;
        }
        Ok(())
    }

    /// Works conversation `c`'s SLA out inside the caller's transaction: records warnings
    /// and breaches that fell due, escalates breaches, writes the inbox columns and sets the
    /// next timer. `c` must be as the transaction has it; it is brought up to date.
    pub(crate) async fn refresh_sla_of(&self, tx: &mut Tx, c: &mut Conversation) -> Result<()> {
        self.work_out_sla(tx, c, false, None).await
    }

    /// `refresh_sla_of`; with `timer_gone` (the timer job just ran, or may be missing) the
    /// next timer is written even when its time did not move. `known`, when the caller read
    /// it in this state, saves reading it again.
    pub(crate) async fn work_out_sla(
        &self,
        tx: &mut Tx,
        c: &mut Conversation,
        timer_gone: bool,
        known: Option<Known>,
    ) -> Result<()> {
        let now = now_ms();
        let backend = self.store.backend();
        let Some(eval) = evaluate(&self.sla_cache, tx, backend, c, now, known).await? else {
            return write_glance(tx, c, Glance::default(), timer_gone).await;
        };
        let mut breached = Vec::new();
        let mut triggers = Vec::new();
        for clock in &eval.view.clocks {
            let event = match (clock.breached_at, clock.warn_at) {
                (Some(b), _) if b <= now && !eval.has("sla.breached", clock) => {
                    breached.push(clock.metric);
                    "sla.breached"
                }
                (None, Some(w))
                    if w <= now && clock.is_open() && !eval.has("sla.warning", clock) =>
                {
                    "sla.warning"
                }
                _ => continue,
            };
            let data = json!({
                "metric": clock.metric, "started_at": clock.started_at,
                "due_at": clock.breached_at.or(clock.due_at),
                "policy_id": eval.policy.id, "policy": eval.policy.input.name,
            });
            crate::conversation::record(tx, Doer::System, c.id, event, data, now).await?;
            let trigger = if event == "sla.breached" {
                Trigger::SlaBreached
            } else {
                Trigger::SlaWarning
            };
            if !triggers.contains(&trigger) {
                triggers.push(trigger);
            }
        }
        let mut escalated =
            !breached.is_empty() && self.escalate(tx, c, &eval.policy, &breached, now).await?;
        // Automations on SLA warnings and breaches.
        for trigger in triggers {
            if let Some(facts) = steward_store::sla::facts(tx, backend, c.id).await? {
                escalated |= self.run_automations(tx, c, trigger, &facts).await?;
            }
        }
        // Escalation may change what selects the policy; work it out once more, without
        // escalating again (the breaches are recorded now).
        let eval = if escalated {
            *c = conversations::get(tx, c.id)
                .await?
                .ok_or_else(|| EngineError::not_found("conversation"))?;
            evaluate(&self.sla_cache, tx, backend, c, now, None).await?
        } else {
            Some(eval)
        };
        let glance = match &eval {
            Some(eval) => Glance {
                policy_id: Some(eval.policy.id),
                due_at: eval.view.summary.due_at,
                breached_at: eval.view.summary.breached_at,
                state: eval.view.summary.state.map(|s| s.as_str()),
                check_at: eval.next_timer(),
            },
            None => Glance::default(),
        };
        write_glance(tx, c, glance, timer_gone).await
    }

    /// The `sla.check` job: a warning or a target of one conversation fell due.
    pub(crate) async fn run_sla_check(&self, job: &Job) -> Result<()> {
        let payload: Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let id = payload["conversation_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no conversation_id"))?;
        let mut tx = self.store.write().await?;
        // Finished first: working the SLA out schedules the next timer under the same key.
        self.finish_job(&mut tx, job).await?;
        let Some(before) = conversations::get(&mut tx, id).await? else {
            tx.commit().await?;
            return Ok(());
        };
        let mut after = before.clone();
        self.work_out_sla(&mut tx, &mut after, true, None).await?;
        tx.commit().await?;
        if after.sla_state != before.sla_state || after.updated_at != before.updated_at {
            self.announce(&after, Some(&before), "updated", None).await;
        }
        Ok(())
    }

    /// The `sla.reapply` job: works out the SLAs of the next batch of open conversations
    /// after the policies changed, and queues the batch after it.
    pub(crate) async fn run_sla_reapply(&self, job: &Job) -> Result<()> {
        let payload: Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let after = payload["after"].as_i64().unwrap_or(0);
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        let ids = steward_store::sla::active_after(&mut tx, after, REAPPLY_BATCH).await?;
        for id in &ids {
            if let Some(mut c) = conversations::get(&mut tx, *id).await? {
                self.work_out_sla(&mut tx, &mut c, true, None).await?;
            }
        }
        if let (Some(last), true) = (ids.last(), ids.len() as i64 == REAPPLY_BATCH) {
            scheduler::schedule(
                &mut tx,
                "sla.reapply",
                Some("sla:reapply"),
                &json!({"after": last}),
                now_ms(),
            )
            .await?;
        }
        tx.commit().await?;
        if ids.len() as i64 == REAPPLY_BATCH {
            self.scheduler.wake();
        }
        Ok(())
    }
}
