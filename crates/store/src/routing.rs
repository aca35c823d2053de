//! Routing settings and the queue: each team's mode (`team_routing`), each agent's
//! availability, capacity and skills (`agent_routing`, JSON the engine checks with
//! `steward_domain::routing`), skill rules, and the queries routing needs: the candidates of a
//! team with their open work, and the team's waiting conversations in queue order.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRouting {
    pub team_id: i64,
    pub mode: String,
    pub return_on_offline: i64,
    pub last_user_id: Option<i64>,
}

pub async fn team(conn: &mut Conn, team_id: i64) -> Result<Option<TeamRouting>> {
    Ok(sqlx::query_as(
        "SELECT team_id, mode, return_on_offline, last_user_id FROM team_routing WHERE team_id = $1",
    )
    .bind(team_id)
    .fetch_optional(conn)
    .await?)
}

/// How conversations of `team_id` that arrived through `inbox` are routed: the inbox's mode
/// when it sets one, else the team's (manual without settings).
pub async fn team_for(
    conn: &mut Conn,
    team_id: i64,
    inbox: Option<&str>,
) -> Result<Option<TeamRouting>> {
    Ok(sqlx::query_as(
        "SELECT t.id AS team_id, COALESCE((SELECT s.routing_mode FROM inbox_settings s          WHERE s.address = $2), r.mode, 'manual') AS mode,          COALESCE(r.return_on_offline, 1) AS return_on_offline, r.last_user_id          FROM teams t LEFT JOIN team_routing r ON r.team_id = t.id WHERE t.id = $1",
    )
    .bind(team_id)
    .bind(inbox.map(str::to_string))
    .fetch_optional(conn)
    .await?)
}

pub async fn set_team(
    tx: &mut Conn,
    team_id: i64,
    mode: &str,
    return_on_offline: bool,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO team_routing (team_id, mode, return_on_offline) VALUES ($1, $2, $3) \
         ON CONFLICT (team_id) DO UPDATE SET mode = excluded.mode, \
         return_on_offline = excluded.return_on_offline",
    )
    .bind(team_id)
    .bind(mode.to_string())
    .bind(i64::from(return_on_offline))
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn set_last_user(tx: &mut Conn, team_id: i64, user_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO team_routing (team_id, last_user_id) VALUES ($1, $2) \
         ON CONFLICT (team_id) DO UPDATE SET last_user_id = excluded.last_user_id",
    )
    .bind(team_id)
    .bind(user_id)
    .execute(tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentRouting {
    pub user_id: i64,
    pub availability: String,
    pub capacity: String,
    pub skills: String,
}

pub async fn agent(conn: &mut Conn, user_id: i64) -> Result<Option<AgentRouting>> {
    Ok(sqlx::query_as(
        "SELECT user_id, availability, capacity, skills FROM agent_routing WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn set_agent(tx: &mut Conn, a: &AgentRouting, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO agent_routing (user_id, availability, capacity, skills, changed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
         availability = excluded.availability, capacity = excluded.capacity, \
         skills = excluded.skills, changed_at = excluded.changed_at",
    )
    .bind(a.user_id)
    .bind(a.availability.clone())
    .bind(a.capacity.clone())
    .bind(a.skills.clone())
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// A team member with their routing settings (defaults when none) and open work.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateRow {
    pub user_id: i64,
    pub availability: Option<String>,
    pub capacity: Option<String>,
    pub skills: Option<String>,
    pub open: i64,
    pub open_on_channel: i64,
}

/// The active members of `team_id`, with their open (new or open) assigned conversations in
/// all channels and on `channel`.
pub async fn candidates(conn: &mut Conn, team_id: i64, channel: &str) -> Result<Vec<CandidateRow>> {
    Ok(sqlx::query_as(
        "SELECT u.id AS user_id, r.availability, r.capacity, r.skills, \
         (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = u.id \
            AND c.status IN ('new', 'open') AND c.merged_into IS NULL) AS open, \
         (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = u.id \
            AND c.status IN ('new', 'open') AND c.merged_into IS NULL AND c.channel = $2) AS open_on_channel \
         FROM team_members m JOIN users u ON u.id = m.user_id \
         LEFT JOIN agent_routing r ON r.user_id = u.id \
         WHERE m.team_id = $1 AND u.active = 1 ORDER BY u.id",
    )
    .bind(team_id)
    .bind(channel.to_string())
    .fetch_all(conn)
    .await?)
}

/// A team's waiting conversations (active, unassigned) in queue order: most urgent first,
/// then the soonest SLA due time, then the oldest.
pub async fn queue(conn: &mut Conn, team_id: i64, limit: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM conversations WHERE team_id = $1 AND assignee_id IS NULL \
         AND merged_into IS NULL AND status IN ('new', 'open') \
         ORDER BY (CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END) DESC, \
         COALESCE(sla_due_at, 9223372036854775807), created_at, id LIMIT $2",
    )
    .bind(team_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The chats (live conversations) assigned to `user_id` that are still open, with their team
/// and inbox.
pub async fn open_chats(
    conn: &mut Conn,
    user_id: i64,
) -> Result<Vec<(i64, Option<i64>, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT id, team_id, inbox FROM conversations WHERE assignee_id = $1 AND channel = 'chat' \
         AND status IN ('new', 'open') AND merged_into IS NULL",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SkillRuleRow {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub conditions: String,
    pub skills: String,
}

pub async fn skill_rules(conn: &mut Conn) -> Result<Vec<SkillRuleRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, position, conditions, skills FROM skill_rules ORDER BY position, id",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn insert_skill_rule(
    tx: &mut Conn,
    name: &str,
    conditions: &str,
    skills: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO skill_rules (name, position, conditions, skills, created_at) VALUES \
         ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM skill_rules), $2, $3, $4) RETURNING id",
    )
    .bind(name.to_string())
    .bind(conditions.to_string())
    .bind(skills.to_string())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

/// Changes a rule's name, conditions and skills; false when there is no such rule.
pub async fn update_skill_rule(
    tx: &mut Conn,
    id: i64,
    name: &str,
    conditions: &str,
    skills: &str,
) -> Result<bool> {
    Ok(
        sqlx::query("UPDATE skill_rules SET name = $2, conditions = $3, skills = $4 WHERE id = $1")
            .bind(id)
            .bind(name.to_string())
            .bind(conditions.to_string())
            .bind(skills.to_string())
            .execute(tx)
            .await?
            .rows_affected()
            > 0,
    )
}

pub async fn delete_skill_rule(tx: &mut Conn, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM skill_rules WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?
        .rows_affected()
        > 0)
}

/// The teams of `user_id` routed automatically (not `manual`); all of them while an inbox
/// routes automatically, since its conversations may be in any team.
pub async fn routed_teams_of(conn: &mut Conn, user_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT m.team_id FROM team_members m LEFT JOIN team_routing r ON r.team_id = m.team_id \
         WHERE m.user_id = $1 AND (COALESCE(r.mode, 'manual') <> 'manual' OR EXISTS \
         (SELECT 1 FROM inbox_settings s WHERE COALESCE(s.routing_mode, 'manual') <> 'manual')) \
         ORDER BY m.team_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}
