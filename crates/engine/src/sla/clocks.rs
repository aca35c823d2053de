//! Working a conversation's SLA out: pick the first policy whose conditions match, read the
//! conversation's timeline from the event log, let `steward_domain::sla` run the clocks, and
//! write the result where the inbox sorts on it. Run in the transaction of every change to a
//! conversation, and by `sla.check` jobs when a warning or a target falls due: those record
//! `sla.warning` and `sla.breached` events (once per clock), escalate, and set the next timer.

use super::PolicyView;
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::{Value, json};
use steward_domain::calendar::Calendar;
use steward_domain::sla::{self, Clock, Facts, Mark, Metric, Rules, Summary};
use steward_domain::{Actor, Status};
use steward_store::events::Doer;
use steward_store::jobs::{self, Job};
use steward_store::models::Conversation;
use steward_store::sla::{Glance, TimelineRow};
use steward_store::{Conn, conversations, now_ms};

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

/// The calendar a policy counts in for this conversation: around the clock, or business
/// hours by the team's calendar when it has one, else the policy's.
async fn calendar_for(
    conn: &mut Conn,
    policy: &PolicyView,
    team_calendar: Option<i64>,
) -> Result<Calendar> {
    match policy.input.calendar_id {
        None => Ok(Calendar::always()),
        Some(own) => crate::calendars::working_calendar(conn, team_calendar.unwrap_or(own)).await,
    }
}

async fn evaluate(conn: &mut Conn, c: &Conversation, now: i64) -> Result<Option<Evaluation>> {
    if c.merged_into.is_some() {
        return Ok(None);
    }
    let policies = steward_store::sla::list(conn).await?;
    if policies.is_empty() {
        return Ok(None);
    }
    let tags: Vec<String> = conversations::tags_of(conn, &[c.id])
        .await?
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    let Some(facts) = steward_store::sla::facts(conn, c.id).await? else {
        return Ok(None);
    };
    let conversation = Facts {
        priority: c.priority,
        channel: c.channel,
        tags: &tags,
        organization_id: facts.organization_id,
        customer_tier: facts.tier.as_deref(),
    };
    let Some(policy) = policies
        .iter()
        .map(PolicyView::from_row)
        .find(|p| p.input.conditions.matches(&conversation))
    else {
        return Ok(None);
    };
    let calendar = calendar_for(conn, &policy, facts.team_calendar_id).await?;
    let (marks, recorded) = read_timeline(&steward_store::sla::timeline(conn, c.id).await?);
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

impl Engine {
    /// A conversation's SLA now, as `by` may see it; `None` when no policy applies.
    pub async fn conversation_sla(&self, by: &Actor, id: i64) -> Result<Option<SlaView>> {
        let c = self.conversation(by, id).await?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(evaluate(&mut conn, &c, now_ms()).await?.map(|e| e.view))
    }

    /// Works conversation `id`'s SLA out inside the caller's transaction: records warnings
    /// and breaches that fell due, escalates breaches, writes the inbox columns and sets the
    /// next timer. Returns whether escalation changed the conversation.
    pub(crate) async fn refresh_sla(&self, tx: &mut Conn, id: i64) -> Result<bool> {
        let now = now_ms();
        let Some(c) = conversations::get(tx, id).await? else {
            return Ok(false);
        };
        let Some(eval) = evaluate(tx, &c, now).await? else {
            if c.sla_policy_id.is_some() || c.sla_state.is_some() {
                steward_store::sla::set_glance(tx, id, Glance::default()).await?;
            }
            jobs::cancel(tx, &timer_key(id)).await?;
            return Ok(false);
        };
        let mut breached = Vec::new();
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
            crate::conversation::record(tx, Doer::System, id, event, data, now).await?;
        }
        let escalated =
            !breached.is_empty() && self.escalate(tx, &c, &eval.policy, &breached, now).await?;
        // Escalation may change what selects the policy; work it out once more, without
        // escalating again (the breaches are recorded now).
        let eval = if escalated {
            let c = conversations::get(tx, id)
                .await?
                .ok_or_else(|| EngineError::not_found("conversation"))?;
            evaluate(tx, &c, now).await?
        } else {
            Some(eval)
        };
        let Some(eval) = eval else {
            steward_store::sla::set_glance(tx, id, Glance::default()).await?;
            jobs::cancel(tx, &timer_key(id)).await?;
            return Ok(escalated);
        };
        let s = eval.view.summary;
        let glance = Glance {
            policy_id: Some(eval.policy.id),
            due_at: s.due_at,
            breached_at: s.breached_at,
            state: s.state.map(|s| s.as_str()),
        };
        steward_store::sla::set_glance(tx, id, glance).await?;
        match eval.next_timer() {
            Some(at) => {
                let payload = json!({"conversation_id": id});
                scheduler::schedule(tx, "sla.check", Some(&timer_key(id)), &payload, at).await?;
            }
            None => {
                jobs::cancel(tx, &timer_key(id)).await?;
            }
        }
        Ok(escalated)
    }

    /// The `sla.check` job: a warning or a target of one conversation fell due.
    pub(crate) async fn run_sla_check(&self, job: &Job) -> Result<()> {
        let payload: Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let id = payload["conversation_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no conversation_id"))?;
        let mut tx = self.store.write().await?;
        let before = conversations::get(&mut tx, id).await?;
        // Finished first: working the SLA out schedules the next timer under the same key.
        self.finish_job(&mut tx, job).await?;
        self.refresh_sla(&mut tx, id).await?;
        let after = conversations::get(&mut tx, id).await?;
        tx.commit().await?;
        if let (Some(after), Some(before)) = (after, before)
            && (after.sla_state != before.sla_state || after.updated_at != before.updated_at)
        {
            self.bus
                .conversation_changed(&after, Some(&before), "updated", None);
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
            self.refresh_sla(&mut tx, *id).await?;
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
