//! Agents (users with a role) and teams, with team membership.

use crate::models::{Credentials, Team, User};
use crate::{Conn, Result};
use steward_domain::Role;

const SELECT_USER: &str = "SELECT id, email, name, role, active, created_at FROM users";

pub async fn insert(
    tx: &mut Conn,
    email: &str,
    name: &str,
    role: Role,
    password_hash: Option<&str>,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email.to_string())
    .bind(name.to_string())
    .bind(role.as_str())
    .bind(password_hash.map(str::to_string))
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<User>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_USER} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Whether the agent wants email when a conversation is assigned to them, and when someone
/// mentions them.
pub async fn notification_prefs(conn: &mut Conn, id: i64) -> Result<(bool, bool)> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT notify_assigned, notify_mentioned FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map_or((false, false), |(a, m)| (a != 0, m != 0)))
}

pub async fn set_notification_prefs(
    tx: &mut Conn,
    id: i64,
    assigned: bool,
    mentioned: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET notify_assigned = $2, notify_mentioned = $3 WHERE id = $1")
        .bind(id)
        .bind(i64::from(assigned))
        .bind(i64::from(mentioned))
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn by_email(conn: &mut Conn, email: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_USER} WHERE email = $1"
    )))
    .bind(email.to_string())
    .fetch_optional(conn)
    .await?)
}

pub async fn list(conn: &mut Conn) -> Result<Vec<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_USER} ORDER BY name, id"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn credentials(conn: &mut Conn, email: &str) -> Result<Option<Credentials>> {
    Ok(
        sqlx::query_as("SELECT id, password_hash, active FROM users WHERE email = $1")
            .bind(email.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set_password(tx: &mut Conn, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash.to_string())
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn update(tx: &mut Conn, id: i64, name: &str, role: Role, active: bool) -> Result<()> {
    sqlx::query("UPDATE users SET name = $1, role = $2, active = $3 WHERE id = $4")
        .bind(name.to_string())
        .bind(role.as_str())
        .bind(i64::from(active))
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn team_ids(conn: &mut Conn, user_id: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id")
            .bind(user_id)
            .fetch_all(conn)
            .await?,
    )
}

const SELECT_TEAM: &str = "SELECT t.id, t.name, t.description, \
    (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id) AS member_count, t.created_at, t.calendar_id FROM teams t";

pub async fn teams(conn: &mut Conn) -> Result<Vec<Team>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_TEAM} ORDER BY t.name"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn team(conn: &mut Conn, id: i64) -> Result<Option<Team>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_TEAM} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn insert_team(tx: &mut Conn, name: &str, description: &str, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO teams (name, description, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name.to_string())
    .bind(description.to_string())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update_team(tx: &mut Conn, id: i64, name: &str, description: &str) -> Result<()> {
    sqlx::query("UPDATE teams SET name = $1, description = $2 WHERE id = $3")
        .bind(name.to_string())
        .bind(description.to_string())
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn members(conn: &mut Conn, team_id: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id")
            .bind(team_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Replaces a team's members; a repeated id counts once.
pub async fn set_members(tx: &mut Conn, team_id: i64, users: &[i64]) -> Result<()> {
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    sqlx::query("DELETE FROM team_members WHERE team_id = $1")
        .bind(team_id)
        .execute(&mut *tx)
        .await?;
    for u in &users {
        sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
            .bind(team_id)
            .bind(*u)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

pub async fn set_team_calendar(
    tx: &mut Conn,
    team_id: i64,
    calendar_id: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE teams SET calendar_id = $2 WHERE id = $1")
        .bind(team_id)
        .bind(calendar_id)
        .execute(tx)
        .await?;
    Ok(())
}
