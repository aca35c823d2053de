//! The append-only event log: who changed what, when, with before and after. Written only
//! inside the transaction of the change it records; never updated or deleted.

use crate::models::Event;
use crate::{Conn, Result};

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doer {
    User(i64),
    Customer(i64),
    System,
}

impl Doer {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Doer::User(id) => ("user", Some(id)),
            Doer::Customer(id) => ("customer", Some(id)),
            Doer::System => ("system", None),
        }
    }
}

pub struct NewEvent<'a> {
    pub doer: Doer,
    pub subject_type: &'a str,
    pub subject_id: i64,
    pub conversation_id: Option<i64>,
    pub kind: &'a str,
    /// JSON: typically `{"before": …, "after": …}`.
    pub data: serde_json::Value,
    pub at: i64,
}

pub async fn append(tx: &mut Conn, e: NewEvent<'_>) -> Result<i64> {
    let (actor_kind, actor_id) = e.doer.parts();
    Ok(sqlx::query_scalar(
        "INSERT INTO events (at, actor_kind, actor_id, subject_type, subject_id, conversation_id, kind, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(e.at)
    .bind(actor_kind)
    .bind(actor_id)
    .bind(e.subject_type.to_string())
    .bind(e.subject_id)
    .bind(e.conversation_id)
    .bind(e.kind.to_string())
    .bind(e.data.to_string())
    .fetch_one(tx)
    .await?)
}

pub async fn for_conversation(conn: &mut Conn, conversation_id: i64) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.at, e.actor_kind, e.actor_id, \
         CASE e.actor_kind WHEN 'user' THEN u.name WHEN 'customer' THEN cu.name ELSE NULL END AS actor_name, \
         e.subject_type, e.subject_id, e.conversation_id, e.kind, e.data \
         FROM events e LEFT JOIN users u ON u.id = e.actor_id LEFT JOIN customers cu ON cu.id = e.actor_id \
         WHERE e.conversation_id = $1 ORDER BY e.id",
    )
    .bind(conversation_id)
    .fetch_all(conn)
    .await?)
}
