//! Macros (canned replies): shared ones that supervisors and admins keep for everyone, and
//! personal ones each agent keeps for themself. A body's placeholders are checked when it is
//! saved and filled from the conversation, its customer and the agent when it is used.

use crate::directory::log;
use crate::{Engine, EngineError, Result};
use serde_json::{Value, json};
use steward_domain::{Actor, placeholder, validate};
use steward_store::macros::{self, Macro};
use steward_store::{Conn, customers, now_ms};

const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 20_000;

fn check(title: &str, body: &str) -> Result<(String, String)> {
    let title = validate::required("title", title, MAX_TITLE)?;
    let body = validate::required("body", body, MAX_BODY)?;
    placeholder::check(&body)?;
    Ok((title, body))
}

/// The macro as just written, for the answer.
async fn saved(tx: &mut Conn, id: i64) -> Result<Macro> {
    macros::get(tx, id)
        .await?
        .ok_or_else(|| EngineError::not_found("macro"))
}

impl Engine {
    /// The shared macros and `by`'s own.
    pub async fn macros(&self, by: &Actor) -> Result<Vec<Macro>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(macros::visible_to(&mut conn, by.user_id).await?)
    }

    /// A macro `by` may use; others answer as not found.
    async fn visible_macro(&self, conn: &mut Conn, by: &Actor, id: i64) -> Result<Macro> {
        macros::get(conn, id)
            .await?
            .filter(|m| m.owner_id.is_none_or(|o| o == by.user_id))
            .ok_or_else(|| EngineError::not_found("macro"))
    }

    /// Adds a macro: personal, or shared (supervisors and admins only).
    pub async fn create_macro(
        &self,
        by: &Actor,
        title: &str,
        body: &str,
        shared: bool,
    ) -> Result<Macro> {
        if shared {
            by.may_supervise()?;
        }
        let (title, body) = check(title, body)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let owner = (!shared).then_some(by.user_id);
        let id = macros::insert(&mut tx, &title, &body, owner, by.user_id, at).await?;
        log(
            &mut tx,
            Some(by),
            "macro",
            id,
            "macro.created",
            json!({"after": {"title": title, "shared": shared}}),
            at,
        )
        .await?;
        let m = saved(&mut tx, id).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Changes a macro: one's own, or a shared one (supervisors and admins).
    pub async fn update_macro(
        &self,
        by: &Actor,
        id: i64,
        title: &str,
        body: &str,
    ) -> Result<Macro> {
        let (title, body) = check(title, body)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = self.visible_macro(&mut tx, by, id).await?;
        if before.owner_id.is_none() {
            by.may_supervise()?;
        }
        macros::update(&mut tx, id, &title, &body, at).await?;
        log(
            &mut tx,
            Some(by),
            "macro",
            id,
            "macro.updated",
            json!({"before": {"title": before.title}, "after": {"title": title}}),
            at,
        )
        .await?;
        let m = saved(&mut tx, id).await?;
        tx.commit().await?;
        Ok(m)
    }

    pub async fn delete_macro(&self, by: &Actor, id: i64) -> Result<()> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = self.visible_macro(&mut tx, by, id).await?;
        if before.owner_id.is_none() {
            by.may_supervise()?;
        }
        macros::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "macro",
            id,
            "macro.deleted",
            json!({"before": {"title": before.title}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The macro's body filled in for conversation `conversation_id`, as `by` would send it.
    pub async fn render_macro(&self, by: &Actor, id: i64, conversation_id: i64) -> Result<String> {
        let c = self.conversation(by, conversation_id).await?;
        let mut conn = self.store.pool().acquire().await?;
        let m = self.visible_macro(&mut conn, by, id).await?;
        let customer = customers::get(&mut conn, c.customer_id).await?;
        let fields = c.custom_fields_json();
        Ok(placeholder::fill(&m.body, |name| match name {
            "customer.name" => customer.as_ref().map(|c| c.name.clone()),
            "customer.email" => customer.as_ref().and_then(|c| c.email.clone()),
            "conversation.number" => Some(c.number.to_string()),
            "conversation.subject" => Some(c.subject.clone()),
            "agent.name" => Some(by.name.clone()),
            other => other.strip_prefix("cf.").and_then(|k| match fields.get(k) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => None,
                Some(v) => Some(v.to_string()),
            }),
        }))
    }
}
