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
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::routing::{Availability, Capacity, Mode};
use steward_domain::sla::Conditions;
use steward_domain::{Actor, validate};
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
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let mut s = agent_settings(&mut tx, by.user_id).await?;
        let before = s.availability;
        s.availability = availability;
        save_agent(&mut tx, by.user_id, &s, at).await?;
        let mut returned = Vec::new();
        if availability == Availability::Offline && before != Availability::Offline {
            returned = assign::return_chats(&mut tx, by.user_id, at).await?;
        }
        if before != availability {
            log(
                &mut tx,
                Some(by),
                "user",
                by.user_id,
                "user.availability_changed",
                json!({"before": before, "after": availability}),
                at,
            )
            .await?;
        }
        queue_drains_for(&mut tx, by.user_id).await?;
        tx.commit().await?;
        self.scheduler.wake();
        for c in &returned {
            self.announce(c, None, "updated", Some(by.user_id)).await;
        }
        Ok(returned)
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
