//! Follow-up tasks: an agent's reminder about a conversation, due at a time or when the
//! conversation is solved (then `due_at` is set at the solve). Done tasks keep `done_at`.

use crate::{Conn, Result};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Task {
    pub id: i64,
    pub conversation_id: i64,
    pub conversation_number: i64,
    pub conversation_subject: String,
    pub user_id: i64,
    pub title: String,
    pub due_at: Option<i64>,
    pub due_on_solve: i64,
    pub done_at: Option<i64>,
    pub notified_at: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

const SELECT: &str = "SELECT t.id, t.conversation_id, c.number AS conversation_number, \
    c.subject AS conversation_subject, t.user_id, t.title, t.due_at, t.due_on_solve, t.done_at, \
    t.notified_at, t.created_by, t.created_at FROM tasks t JOIN conversations c ON c.id = t.conversation_id";

/// A new task.
#[derive(Debug, Clone, Copy)]
pub struct NewTask<'a> {
    pub conversation_id: i64,
    pub user_id: i64,
    pub title: &'a str,
    pub due_at: Option<i64>,
    pub due_on_solve: bool,
    pub created_by: Option<i64>,
}

pub async fn insert(tx: &mut Conn, t: NewTask<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO tasks (conversation_id, user_id, title, due_at, due_on_solve, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(t.conversation_id)
    .bind(t.user_id)
    .bind(t.title.to_string())
    .bind(t.due_at)
    .bind(i64::from(t.due_on_solve))
    .bind(t.created_by)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Task>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE t.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A user's tasks, open ones first by due time (those due on solve last), or done ones, newest
/// first.
pub async fn of_user(conn: &mut Conn, user_id: i64, done: bool, limit: i64) -> Result<Vec<Task>> {
    let sql = if done {
        format!(
            "{SELECT} WHERE t.user_id = $1 AND t.done_at IS NOT NULL ORDER BY t.done_at DESC, t.id DESC LIMIT $2"
        )
    } else {
        format!(
            "{SELECT} WHERE t.user_id = $1 AND t.done_at IS NULL \
             ORDER BY COALESCE(t.due_at, 9223372036854775807), t.id LIMIT $2"
        )
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// The tasks about a conversation, open first.
pub async fn of_conversation(conn: &mut Conn, conversation_id: i64) -> Result<Vec<Task>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE t.conversation_id = $1 ORDER BY (t.done_at IS NOT NULL), t.id"
    )))
    .bind(conversation_id)
    .fetch_all(conn)
    .await?)
}

pub async fn set_done(tx: &mut Conn, id: i64, done_at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE tasks SET done_at = $2 WHERE id = $1")
        .bind(id)
        .bind(done_at)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn set_notified(tx: &mut Conn, id: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE tasks SET notified_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// The conversation was solved: its open tasks waiting for that fall due now. Returns their ids.
pub async fn due_on_solve(tx: &mut Conn, conversation_id: i64, at: i64) -> Result<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM tasks WHERE conversation_id = $1 AND due_on_solve = 1 \
         AND due_at IS NULL AND done_at IS NULL",
    )
    .bind(conversation_id)
    .fetch_all(&mut *tx)
    .await?;
    for id in &ids {
        sqlx::query("UPDATE tasks SET due_at = $2 WHERE id = $1")
            .bind(*id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
    }
    Ok(ids)
}
