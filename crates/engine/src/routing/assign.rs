//! Handing out work. A conversation that becomes eligible (new or open, unassigned, in a team
//! that routes automatically) is given to an agent in the transaction of the change that made
//! it so. When an agent can take more (they come online, a conversation of theirs is solved
//! or moves away, their skills or capacity change) their teams' queues are handed out by a
//! `routing.drain` job, due at once. An agent who goes offline gives their open chats back to
//! the queue when the team says so.

use super::SkillRule;
use crate::conversation::record;
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::{Value, json};
use steward_domain::Status;
use steward_domain::automation::Trigger;
use steward_domain::routing::{self, Candidate, Mode};
use steward_domain::sla::Facts;
use steward_store::conversations::{self, Changes};
use steward_store::events::Doer;
use steward_store::jobs::Job;
use steward_store::models::Conversation;
use steward_store::routing as store;
use steward_store::sla::ConversationFacts;
use steward_store::{Conn, Tx, now_ms};

/// Conversations handed out per drain job (another job follows while some were).
const DRAIN_BATCH: i64 = 50;

pub(crate) async fn load_rules(conn: &mut Conn) -> Result<Vec<SkillRule>> {
    Ok(store::skill_rules(conn)
        .await?
        .into_iter()
        .map(|r| SkillRule {
            id: r.id,
            name: r.name,
            conditions: serde_json::from_str(&r.conditions).unwrap_or_default(),
            skills: serde_json::from_str(&r.skills).unwrap_or_default(),
        })
        .collect())
}

/// Asks for team `team_id`'s queue to be handed out now.
pub(crate) async fn queue_drain(tx: &mut Conn, team_id: i64) -> Result<()> {
    scheduler::schedule(
        tx,
        "routing.drain",
        Some(&format!("routing:{team_id}")),
        &json!({"team_id": team_id}),
        now_ms(),
    )
    .await
}

/// Agent `user_id` may be able to take more: hand out the queues of their routed teams.
pub(crate) async fn queue_drains_for(tx: &mut Conn, user_id: i64) -> Result<()> {
    for team in store::routed_teams_of(tx, user_id).await? {
        queue_drain(tx, team).await?;
    }
    Ok(())
}

/// Gives `user_id`'s open chats back to their teams' queues (where the team says so).
pub(super) async fn return_chats(
    tx: &mut Conn,
    user_id: i64,
    at: i64,
) -> Result<Vec<Conversation>> {
    let mut returned = Vec::new();
    for (id, team, inbox) in store::open_chats(tx, user_id).await? {
        let Some(team) = team else { continue };
        let Some(settings) = store::team_for(tx, team, inbox.as_deref()).await? else {
            continue;
        };
        if settings.return_on_offline == 0 || settings.mode == Mode::Manual.as_str() {
            continue;
        }
        let changes = Changes {
            assignee_id: Some(None),
            ..Default::default()
        };
        conversations::update(tx, id, &changes, at, false, 0).await?;
        record(tx, Doer::System, id, "assignee.changed",
            json!({"before": user_id, "after": null, "reason": "the agent went offline; back in the queue"}), at).await?;
        queue_drain(tx, team).await?;
        if let Some(c) = conversations::get(tx, id).await? {
            returned.push(c);
        }
    }
    Ok(returned)
}

impl Engine {
    /// Gives `c` to an agent if it waits in a team that routes automatically and someone can
    /// take it; `c` is brought up to date. Returns whether it was assigned.
    pub(crate) async fn route(
        &self,
        tx: &mut Conn,
        c: &mut Conversation,
        known: Option<&ConversationFacts>,
    ) -> Result<bool> {
        if c.assignee_id.is_some()
            || c.merged_into.is_some()
            || !matches!(c.status, Status::New | Status::Open)
        {
            return Ok(false);
        }
        let Some(team) = c.team_id else {
            return Ok(false);
        };
        let Some(settings) = store::team_for(tx, team, c.inbox.as_deref()).await? else {
            return Ok(false);
        };
        let mode = Mode::parse(&settings.mode).unwrap_or(Mode::Manual);
        if mode == Mode::Manual {
            return Ok(false);
        }
        let rules = load_rules(tx).await?;
        let mut skills: Vec<String> = Vec::new();
        let read;
        let facts = match known {
            Some(f) => Some(f),
            None if rules.is_empty() => None,
            None => {
                read = steward_store::sla::facts(tx, self.store.backend(), c.id).await?;
                read.as_ref()
            }
        };
        if !rules.is_empty()
            && let Some(facts) = facts
        {
            let tags = facts.tag_names();
            let f = Facts {
                priority: c.priority,
                channel: c.channel,
                tags: &tags,
                organization_id: facts.organization_id,
                customer_tier: facts.tier.as_deref(),
            };
            for rule in rules.iter().filter(|r| r.conditions.matches(&f)) {
                for s in &rule.skills {
                    if !skills.contains(s) {
                        skills.push(s.clone());
                    }
                }
            }
        }
        let mut candidates = Vec::new();
        for row in store::candidates(tx, team, c.channel.as_str()).await? {
            candidates.push(Candidate {
                user_id: row.user_id,
                availability: row
                    .availability
                    .as_deref()
                    .and_then(|a| routing::Availability::parse(a).ok())
                    .unwrap_or(routing::Availability::Offline),
                skills: row
                    .skills
                    .as_deref()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or_default(),
                capacity: row
                    .capacity
                    .as_deref()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or_default(),
                open: row.open,
                open_on_channel: row.open_on_channel,
            });
        }
        let Some(agent) =
            routing::choose(mode, c.channel, &skills, &candidates, settings.last_user_id)
        else {
            return Ok(false);
        };
        let at = now_ms();
        let changes = Changes {
            assignee_id: Some(Some(agent)),
            ..Default::default()
        };
        conversations::update(tx, c.id, &changes, at, false, 0).await?;
        store::set_last_user(tx, team, agent).await?;
        let reason = match mode {
            Mode::RoundRobin => "routed: round robin",
            _ => "routed: fewest open conversations",
        };
        record(
            tx,
            Doer::System,
            c.id,
            "assignee.changed",
            json!({"before": null, "after": agent, "reason": reason, "skills": skills}),
            at,
        )
        .await?;
        *c = conversations::get(tx, c.id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        Ok(true)
    }

    /// What every change to a conversation ends with, in its transaction: the automations of
    /// `trigger`, then routing (if it waits), then its SLA.
    pub(crate) async fn settle(
        &self,
        tx: &mut Tx,
        c: &mut Conversation,
        trigger: Trigger,
    ) -> Result<()> {
        let backend = self.store.backend();
        let Some(known) = steward_store::sla::facts(tx, backend, c.id).await? else {
            return Ok(());
        };
        self.settle_with(tx, c, trigger, known).await
    }

    /// [`Engine::settle`] with the conversation's facts already read in this transaction
    /// (and still true).
    pub(crate) async fn settle_with(
        &self,
        tx: &mut Tx,
        c: &mut Conversation,
        trigger: Trigger,
        known: ConversationFacts,
    ) -> Result<()> {
        let changed = self.run_automations(tx, c, trigger, &known).await?;
        // The facts read above still hold unless a rule changed the conversation.
        self.route(tx, c, (!changed).then_some(&known)).await?;
        self.work_out_sla(tx, c, false, (!changed).then_some(known))
            .await
    }

    /// The `routing.drain` job: hands out a team's queue in order while agents can take it.
    pub(crate) async fn run_routing_drain(&self, job: &Job) -> Result<()> {
        let payload: Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let team = payload["team_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no team_id"))?;
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        let mut assigned = Vec::new();
        let waiting = store::queue(&mut tx, team, DRAIN_BATCH).await?;
        for id in &waiting {
            if let Some(mut c) = conversations::get(&mut tx, *id).await?
                && self.route(&mut tx, &mut c, None).await?
            {
                assigned.push(c);
            }
        }
        if assigned.len() as i64 == DRAIN_BATCH {
            queue_drain(&mut tx, team).await?;
        }
        tx.commit().await?;
        for c in &assigned {
            self.announce(c, None, "updated", None).await;
        }
        Ok(())
    }
}
