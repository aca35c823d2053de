//! Carrying rules out. On a change, the rules of its trigger run in order, each at most once;
//! if they changed the conversation, the update rules run on that (at most `CASCADE` more
//! rounds). Every action is an event with the reason `automation: <rule>`, and each rule that
//! acted leaves an `automation.applied` event, so the conversation shows which rule did what.
//! Time rules run from the `automation.sweep` job once a minute.

use super::{RuleView, SWEEP_MS};
use crate::conversation::record;
use crate::{Engine, Result, scheduler};
use serde_json::{Value, json};
use steward_domain::automation::{Action, RuleConditions, Subject, Trigger};
use steward_domain::sla::Facts;
use steward_domain::{AuthorKind, Channel, Status, Visibility, placeholder};
use steward_store::conversations::{self, Changes};
use steward_store::events::Doer;
use steward_store::jobs::Job;
use steward_store::messages::{self, NewMessage};
use steward_store::models::Conversation;
use steward_store::search::{self, DocKind};
use steward_store::sla::ConversationFacts;
use steward_store::{Conn, Tx, automations as store, now_ms, tags, users};

/// Rounds of update rules after the first, on changes rules made.
const CASCADE: usize = 3;
/// Conversations a sweep looks at per time rule.
const SWEEP_BATCH: i64 = 500;

const HOUR: i64 = 3_600_000;

impl Engine {
    async fn subject_matches(
        &self,
        conn: &mut Conn,
        c: &Conversation,
        facts: &ConversationFacts,
        trigger: Trigger,
        conditions: &RuleConditions,
        now: i64,
    ) -> Result<bool> {
        if trigger == Trigger::Pending && c.status != Status::Pending {
            return Ok(false);
        }
        let tags = facts.tag_names();
        // Parsed only for rules that look at custom fields (this runs per rule and change).
        let fields = if conditions.fields.is_empty() {
            serde_json::Map::new()
        } else {
            c.custom_fields_json()
        };
        let since = match trigger {
            Trigger::Idle => c.updated_at,
            // Pending since it last became pending; notes added meanwhile do not reset it.
            Trigger::Pending => store::pending_since(conn, c.id)
                .await?
                .unwrap_or(c.updated_at),
            _ => now,
        };
        // Business hours by the team's or inbox's calendar; around the clock without one.
        let in_business_hours = match (conditions.business_hours, facts.calendar_id) {
            (Some(_), Some(id)) => self
                .sla_cache
                .calendar(conn, facts.version, id)
                .await?
                .is_open(now),
            _ => true,
        };
        let mut s = Subject {
            facts: Facts {
                priority: c.priority,
                channel: c.channel,
                tags: &tags,
                organization_id: facts.organization_id,
                customer_tier: facts.tier.as_deref(),
            },
            status: c.status,
            assigned: c.assignee_id.is_some(),
            text: "",
            hours_since: (now - since).max(0) / HOUR,
            inbox: c.inbox.as_deref(),
            team_id: c.team_id,
            assignee_id: c.assignee_id,
            customer_email: c.customer_email.as_deref(),
            fields: &fields,
            in_business_hours,
        };
        // Everything but the text first: reading the latest message is the costly part.
        let without_text = RuleConditions {
            text: Vec::new(),
            ..conditions.clone()
        };
        if !without_text.matches(&s) {
            return Ok(false);
        }
        if conditions.text.is_empty() {
            return Ok(true);
        }
        let text =
            format!("{}\n{}", c.subject, store::latest_text(conn, c.id).await?).to_lowercase();
        s.text = &text;
        Ok(conditions.matches(&s))
    }

    /// Whether `c` matches `conditions` for `trigger` now (dry runs).
    pub(super) async fn rule_matches(
        &self,
        conn: &mut Conn,
        c: &Conversation,
        trigger: Trigger,
        conditions: &RuleConditions,
        now: i64,
    ) -> Result<bool> {
        match steward_store::sla::facts(conn, self.store.backend(), c.id).await? {
            Some(f) => {
                self.subject_matches(conn, c, &f, trigger, conditions, now)
                    .await
            }
            None => Ok(false),
        }
    }
}

fn fill(template: &str, c: &Conversation, customer: &str) -> String {
    let fields = c.custom_fields_json();
    placeholder::fill(template, |name| match name {
        "customer.name" => Some(customer.to_string()),
        "customer.email" => c.customer_email.clone(),
        "conversation.number" => Some(c.number.to_string()),
        "conversation.subject" => Some(c.subject.clone()),
        "agent.name" => c.assignee_name.clone(),
        other => other.strip_prefix("cf.").and_then(|k| match fields.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(v) => Some(v.to_string()),
        }),
    })
}

impl Engine {
    /// Runs the rules of `trigger` on `c` in the caller's transaction (then update rules on
    /// their changes). `c` is brought up to date. Returns whether any rule changed it.
    pub(crate) async fn run_automations(
        &self,
        tx: &mut Tx,
        c: &mut Conversation,
        trigger: Trigger,
        facts: &ConversationFacts,
    ) -> Result<bool> {
        let rules = self.sla_cache.automations(tx, facts.version).await?;
        if !rules.iter().any(|r| r.input.active) || c.merged_into.is_some() {
            return Ok(false);
        }
        let now = now_ms();
        let mut fired: Vec<i64> = Vec::new();
        let mut changed_any = false;
        let mut trigger = trigger;
        let mut facts = facts.clone();
        for _ in 0..=CASCADE {
            let mut changed = false;
            for rule in rules
                .iter()
                .filter(|r| r.input.active && r.input.trigger == trigger)
            {
                if fired.contains(&rule.id)
                    || !self
                        .subject_matches(tx, c, &facts, trigger, &rule.input.conditions, now)
                        .await?
                {
                    continue;
                }
                fired.push(rule.id);
                changed |= self.apply(tx, c, rule, trigger, now).await?;
                if let Some(f) = steward_store::sla::facts(tx, self.store.backend(), c.id).await? {
                    facts = f;
                }
            }
            changed_any |= changed;
            if !changed {
                break;
            }
            trigger = Trigger::Updated;
        }
        Ok(changed_any)
    }

    /// Carries out one rule's actions on `c`; returns whether its fields or tags changed.
    async fn apply(
        &self,
        tx: &mut Tx,
        c: &mut Conversation,
        rule: &RuleView,
        trigger: Trigger,
        at: i64,
    ) -> Result<bool> {
        let reason = format!("automation: {}", rule.input.name);
        let mut changes = Changes::default();
        let mut changed = false;
        let mut done = Vec::new();
        for action in &rule.input.actions {
            match action {
                Action::SetPriority { priority } if *priority != c.priority => {
                    changes.priority = Some(*priority);
                    record(
                        tx,
                        Doer::System,
                        c.id,
                        "priority.changed",
                        json!({"before": c.priority, "after": priority, "reason": reason}),
                        at,
                    )
                    .await?;
                }
                Action::SetStatus { status }
                    if *status != c.status && c.status.can_become(*status) =>
                {
                    let mut s = Changes::default();
                    crate::conversation::status_changes(c, *status, at, &mut s);
                    crate::conversation::record_status(tx, Doer::System, c, &s, at).await?;
                    changes.status = s.status;
                    changes.solved_at = s.solved_at.or(changes.solved_at);
                    changes.closed_at = s.closed_at.or(changes.closed_at);
                }
                Action::AssignTeam { team_id } if Some(*team_id) != c.team_id => {
                    changes.team_id = Some(Some(*team_id));
                    record(
                        tx,
                        Doer::System,
                        c.id,
                        "team.changed",
                        json!({"before": c.team_id, "after": team_id, "reason": reason}),
                        at,
                    )
                    .await?;
                }
                Action::AssignAgent { user_id } if Some(*user_id) != c.assignee_id => {
                    changes.assignee_id = Some(Some(*user_id));
                    record(
                        tx,
                        Doer::System,
                        c.id,
                        "assignee.changed",
                        json!({"before": c.assignee_id, "after": user_id, "reason": reason}),
                        at,
                    )
                    .await?;
                }
                Action::AddTags { tags: t } | Action::RemoveTags { tags: t } => {
                    let before: Vec<String> = conversations::tags_of(tx, &[c.id])
                        .await?
                        .into_iter()
                        .map(|(_, n)| n)
                        .collect();
                    let mut after: Vec<String> = match action {
                        Action::AddTags { .. } => before.iter().chain(t.iter()).cloned().collect(),
                        _ => before.iter().filter(|x| !t.contains(x)).cloned().collect(),
                    };
                    after.sort();
                    after.dedup();
                    if after != before {
                        let mut ids = Vec::new();
                        for n in &after {
                            ids.push(tags::ensure(tx, n, at).await?);
                        }
                        conversations::set_tags(tx, c.id, &ids).await?;
                        record(
                            tx,
                            Doer::System,
                            c.id,
                            "tags.changed",
                            json!({"before": before, "after": after, "reason": reason}),
                            at,
                        )
                        .await?;
                        changed = true;
                    }
                }
                Action::Note { body } | Action::Reply { body } => {
                    let public = matches!(action, Action::Reply { .. });
                    if public && c.status == Status::Closed {
                        continue;
                    }
                    let text = fill(body, c, &c.customer_name);
                    let visibility = if public {
                        Visibility::Public
                    } else {
                        Visibility::Internal
                    };
                    let message_id = messages::insert(
                        tx,
                        &NewMessage {
                            conversation_id: c.id,
                            author_kind: AuthorKind::System,
                            author_user_id: None,
                            author_customer_id: None,
                            visibility,
                            channel: c.channel,
                            body_text: &text,
                            body_html: None,
                            at,
                            client_key: None,
                        },
                    )
                    .await?;
                    conversations::update(tx, c.id, &Changes::default(), at, true, 1).await?;
                    let kind = if public {
                        DocKind::Message
                    } else {
                        DocKind::Internal
                    };
                    search::index(tx, kind, c.id, Some(message_id), &text).await?;
                    record(tx, Doer::System, c.id, "message.created", json!({"after": {
                        "message_id": message_id, "author_kind": "system", "visibility": visibility,
                        "channel": c.channel, "attachments": 0, "reason": reason,
                    }}), at).await?;
                    if public && c.channel == Channel::Email {
                        self.queue_reply_mail(tx, c.id, message_id, &text, None, at)
                            .await?;
                    }
                }
                Action::Notify { user_ids, message } => {
                    let text = fill(message, c, &c.customer_name);
                    for u in user_ids {
                        if let Some(agent) = users::get(tx, *u).await?.filter(|u| u.active != 0) {
                            self.notify_automation(tx, c, &agent, &rule.input.name, &text, at)
                                .await?;
                        }
                    }
                }
                Action::CallWebhook { webhook_id } => {
                    let body = json!({
                        "type": "automation.applied", "timestamp": crate::webhooks::rfc3339(at),
                        "data": {"rule": {"id": rule.id, "name": rule.input.name}, "trigger": trigger,
                                 "conversation": {"id": c.id, "number": c.number, "subject": c.subject,
                                                  "status": c.status, "priority": c.priority}},
                    }).to_string();
                    let d = steward_store::webhooks::insert_delivery(
                        tx,
                        *webhook_id,
                        None,
                        "automation.applied",
                        &body,
                        at,
                    )
                    .await?;
                    scheduler::schedule(
                        tx,
                        "webhook.deliver",
                        Some(&format!("webhook.delivery:{d}")),
                        &json!({"delivery": d}),
                        at,
                    )
                    .await?;
                }
                _ => continue,
            }
            done.push(json!(action));
        }
        let fields_changed = changes.priority.is_some()
            || changes.status.is_some()
            || changes.team_id.is_some()
            || changes.assignee_id.is_some();
        if fields_changed {
            conversations::update(tx, c.id, &changes, at, false, 0).await?;
        }
        if !done.is_empty() {
            record(tx, Doer::System, c.id, "automation.applied",
                json!({"rule_id": rule.id, "rule": rule.input.name, "trigger": trigger, "actions": done}), at).await?;
            if let Some(fresh) = conversations::get(tx, c.id).await? {
                *c = fresh;
            }
        }
        Ok(changed || fields_changed)
    }

    /// The `automation.sweep` job: runs the time rules on the conversations that have waited
    /// long enough, then comes back in a minute.
    pub(crate) async fn run_automation_sweep(&self, job: &Job) -> Result<()> {
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        let now = now_ms();
        let rules: Vec<RuleView> = store::list(&mut tx)
            .await?
            .iter()
            .filter_map(RuleView::from_row)
            .filter(|r| r.input.active && r.input.trigger.is_timed())
            .collect();
        let mut touched = Vec::new();
        for rule in &rules {
            let hours = rule.input.conditions.hours.unwrap_or(1);
            let pending = rule.input.trigger == Trigger::Pending;
            for id in store::idle_since(&mut tx, now - hours * HOUR, pending, SWEEP_BATCH).await? {
                let Some(mut c) = conversations::get(&mut tx, id).await? else {
                    continue;
                };
                let Some(facts) =
                    steward_store::sla::facts(&mut tx, self.store.backend(), id).await?
                else {
                    continue;
                };
                if !self
                    .subject_matches(
                        &mut tx,
                        &c,
                        &facts,
                        rule.input.trigger,
                        &rule.input.conditions,
                        now,
                    )
                    .await?
                {
                    continue;
                }
                self.apply(&mut tx, &mut c, rule, rule.input.trigger, now)
                    .await?;
                self.refresh_sla_of(&mut tx, &mut c).await?;
                touched.push(c);
            }
        }
        if !rules.is_empty() {
            scheduler::schedule(
                &mut tx,
                "automation.sweep",
                Some("automation:sweep"),
                &json!({}),
                now + SWEEP_MS,
            )
            .await?;
        }
        tx.commit().await?;
        for c in &touched {
            self.announce(c, None, "updated", None).await;
        }
        Ok(())
    }
}
