//! Routing settings: how each team hands out waiting conversations (admin), each agent's
//! skills and capacity (admin) and availability (the agent), and skill rules that give
//! conversations required skills by their priority, channel, tags, organization or customer
//! tier (admin). `inbox` keeps what an inbox adds (its calendar and a routing mode over its
//! team's). `assign` does the handing out.

mod assign;
mod inbox;

pub(crate) use assign::queue_drains_for;
pub use inbox::InboxOperations;

use crate::directory::log;
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::json;
use steward_domain::routing::{Availability, Capacity, Mode};
use steward_domain::sla::Conditions;
use steward_domain::{Actor, validate};
use steward_store::jobs::Job;
use steward_store::models::Conversation;
use steward_store::routing::{self, AgentRouting};
use steward_store::{Conn, conversations, now_ms, users};

/// An agent's routing settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSettings {
    pub availability: Availability,
    pub capacity: Capacity,
    pub skills: Vec<String>,
}

/// A skill rule: conversations matching `conditions` need `skills`.
#[derive(Debug, Clone)]
pub struct SkillRule {
    pub id: i64,
    pub name: String,
    pub conditions: Conditions,
    pub skills: Vec<String>,
}

pub(crate) async fn agent_settings(conn: &mut Conn, user_id: i64) -> Result<AgentSettings> {
    Ok(match routing::agent(conn, user_id).await? {
        Some(r) => AgentSettings {
            availability: Availability::parse(&r.availability).unwrap_or(Availability::Offline),
            capacity: serde_json::from_str(&r.capacity).unwrap_or_default(),
            skills: serde_json::from_str(&r.skills).unwrap_or_default(),
        },
        None => AgentSettings {
            availability: Availability::Offline,
            capacity: Capacity::default(),
            skills: Vec::new(),
        },
    })
}

fn lapse_key(user_id: i64) -> String {
    format!("presence:{user_id}")
}

/// Sets `user_id`'s availability (by themselves, or by the system when `by` is `None`: their
/// workspace was closed). Going offline gives chats back and ends the lapse timer; whoever can
/// take more gets the queue. Returns the conversations given back.
async fn change_availability(
    tx: &mut Conn,
    user_id: i64,
    by: Option<&Actor>,
    availability: Availability,
) -> Result<Vec<Conversation>> {
    let at = now_ms();
    let mut s = agent_settings(tx, user_id).await?;
    let before = s.availability;
    if before == availability && by.is_none() {
        return Ok(Vec::new());
    }
    s.availability = availability;
    save_agent(tx, user_id, &s, at).await?;
    let mut returned = Vec::new();
    if availability == Availability::Offline {
        steward_store::jobs::cancel(tx, &lapse_key(user_id)).await?;
        if before != Availability::Offline {
            returned = assign::return_chats(tx, user_id, at).await?;
        }
    }
    if before != availability {
        let reason = by.map_or("no workspace page open", |_| "set by the agent");
        log(
            tx,
            by,
            "user",
            user_id,
            "user.availability_changed",
            json!({"before": before, "after": availability, "reason": reason}),
            at,
        )
        .await?;
    }
    queue_drains_for(tx, user_id).await?;
    Ok(returned)
}

async fn save_agent(conn: &mut Conn, user_id: i64, s: &AgentSettings, at: i64) -> Result<()> {
    let row = AgentRouting {
        user_id,
        availability: s.availability.as_str().to_string(),
        capacity: json!(s.capacity).to_string(),
        skills: json!(s.skills).to_string(),
    };
    Ok(routing::set_agent(conn, &row, at).await?)
}

fn check_skills(skills: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in skills {
        let s = validate::tag(s).map_err(|_| {
            EngineError::invalid(
                "skills",
                format!("{s:?} is not a skill: use a short word like german or billing"),
            )
        })?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

impl Engine {
    /// A team's routing mode and whether an agent's chats return to the queue when they go
    /// offline.
    pub async fn team_routing(&self, team_id: i64) -> Result<(Mode, bool)> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(match routing::team(&mut conn, team_id).await? {
            Some(r) => (
                Mode::parse(&r.mode).unwrap_or(Mode::Manual),
                r.return_on_offline != 0,
            ),
            None => (Mode::Manual, true),
        })
    }

    /// Sets how a team routes (admin); its queue is handed out at once.
    pub async fn set_team_routing(
        &self,
        by: &Actor,
        team_id: i64,
        mode: Mode,
        return_on_offline: bool,
    ) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        users::team(&mut tx, team_id)
            .await?
            .ok_or_else(|| EngineError::not_found("team"))?;
        routing::set_team(&mut tx, team_id, mode.as_str(), return_on_offline).await?;
        log(
            &mut tx,
            Some(by),
            "team",
            team_id,
            "team.routing_changed",
            json!({"after": {"mode": mode, "return_on_offline": return_on_offline}}),
            at,
        )
        .await?;
        assign::queue_drain(&mut tx, team_id).await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(())
    }

    pub async fn agent_routing(&self, user_id: i64) -> Result<AgentSettings> {
        let mut conn = self.store.pool().acquire().await?;
        agent_settings(&mut conn, user_id).await
    }

    /// Sets an agent's skills and capacity (admin).
    pub async fn set_agent_skills(
        &self,
        by: &Actor,
        user_id: i64,
        skills: Option<&[String]>,
        capacity: Option<Capacity>,
    ) -> Result<AgentSettings> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        users::get(&mut tx, user_id)
            .await?
            .ok_or_else(|| EngineError::not_found("agent"))?;
        let mut s = agent_settings(&mut tx, user_id).await?;
        if let Some(skills) = skills {
            s.skills = check_skills(skills)?;
        }
        if let Some(c) = capacity {
            s.capacity = c.check()?;
        }
        save_agent(&mut tx, user_id, &s, at).await?;
        log(
            &mut tx,
            Some(by),
            "user",
            user_id,
            "user.routing_changed",
            json!({"after": {"skills": s.skills, "capacity": s.capacity}}),
            at,
        )
        .await?;
        queue_drains_for(&mut tx, user_id).await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(s)
    }

    /// The signed-in agent goes online, away or offline. Online hands them waiting work at
    /// once; offline returns their open chats to the queue where the team says so.
    pub async fn set_availability(
        &self,
        by: &Actor,
        availability: Availability,
    ) -> Result<Vec<Conversation>> {
        let mut tx = self.store.write().await?;
        let returned = change_availability(&mut tx, by.user_id, Some(by), availability).await?;
        tx.commit().await?;
        self.scheduler.wake();
        for c in &returned {
            self.announce(c, None, "updated", Some(by.user_id)).await;
        }
        Ok(returned)
    }

    /// A workspace page of `user_id` is open now. While they are online or away they go
    /// offline `limits.offline_after_ms` after the last such sign, by a `presence.lapse` job
    /// that each sign moves on (so it works across nodes). A read, and a write only while
    /// they are online or away.
    pub async fn agent_seen(&self, user_id: i64) -> Result<()> {
        let settings = {
            let mut conn = self.store.pool().acquire().await?;
            agent_settings(&mut conn, user_id).await?
        };
        if settings.availability == Availability::Offline {
            return Ok(());
        }
        let mut tx = self.store.write().await?;
        scheduler::schedule(
            &mut tx,
            "presence.lapse",
            Some(&lapse_key(user_id)),
            &json!({"user_id": user_id}),
            now_ms() + self.limits.offline_after_ms,
        )
        .await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(())
    }

    /// The `presence.lapse` job: the agent has had no workspace page open for a while.
    pub(crate) async fn run_presence_lapse(&self, job: &Job) -> Result<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let user_id = payload["user_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no user_id"))?;
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        let returned = change_availability(&mut tx, user_id, None, Availability::Offline).await?;
        tx.commit().await?;
        for c in &returned {
            self.announce(c, None, "updated", None).await;
        }
        Ok(())
    }

    pub async fn skill_rules(&self) -> Result<Vec<SkillRule>> {
        let mut conn = self.store.pool().acquire().await?;
        assign::load_rules(&mut conn).await
    }

    /// Adds a skill rule (admin), tried after the others; every matching rule adds its skills.
    /// Adds a skill rule (`id` `None`) or changes one (admin). Waiting conversations are
    /// handed out again by the new skills.
    pub async fn save_skill_rule(
        &self,
        by: &Actor,
        id: Option<i64>,
        name: &str,
        conditions: Conditions,
        skills: &[String],
    ) -> Result<SkillRule> {
        by.may_administer()?;
        let name = validate::required("name", name, 100)?;
        let skills = check_skills(skills)?;
        if skills.is_empty() {
            return Err(EngineError::invalid(
                "skills",
                "must name at least one skill",
            ));
        }
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let (conditions_json, skills_json) =
            (json!(conditions).to_string(), json!(skills).to_string());
        let (id, kind) = match id {
            None => (
                routing::insert_skill_rule(&mut tx, &name, &conditions_json, &skills_json, at)
                    .await?,
                "skill_rule.created",
            ),
            Some(id) => {
                if !routing::update_skill_rule(&mut tx, id, &name, &conditions_json, &skills_json)
                    .await?
                {
                    return Err(EngineError::not_found("skill rule"));
                }
                for team in users::teams(&mut tx).await? {
                    assign::queue_drain(&mut tx, team.id).await?;
                }
                (id, "skill_rule.updated")
            }
        };
        log(
            &mut tx,
            Some(by),
            "skill_rule",
            id,
            kind,
            json!({"after": {"name": name, "skills": skills}}),
            at,
        )
        .await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(SkillRule {
            id,
            name,
            conditions,
            skills,
        })
    }

    pub async fn delete_skill_rule(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let mut tx = self.store.write().await?;
        if !routing::delete_skill_rule(&mut tx, id).await? {
            return Err(EngineError::not_found("skill rule"));
        }
        log(
            &mut tx,
            Some(by),
            "skill_rule",
            id,
            "skill_rule.deleted",
            json!({}),
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A team's waiting conversations in the order they will be handed out, with how long
    /// each has waited; for members of the team, supervisors and admins.
    pub async fn routing_queue(&self, by: &Actor, team_id: i64) -> Result<Vec<Conversation>> {
        if !by.team_ids.contains(&team_id) {
            by.may_supervise()?;
        }
        let mut conn = self.store.pool().acquire().await?;
        let mut out = Vec::new();
        for id in routing::queue(&mut conn, team_id, 200).await? {
            if let Some(c) = conversations::get(&mut conn, id).await? {
                out.push(c);
            }
        }
        Ok(out)
    }
}
