//! Ending a chat, by the visitor or by an agent (who also solves it): the chat is marked
//! ended with a `chat.ended` event, and when the customer's email address is known the
//! transcript is mailed to them, in the same commit.

use crate::conversation::{Patch, record};
use crate::email::automatic::AutomaticMail;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::{Actor, Status};
use steward_store::chat::{self, ChatInbox};
use steward_store::events::Doer;
use steward_store::models::Message;
use steward_store::{Conn, customers, messages, now_ms};

/// Who ends a chat.
pub enum Ender<'a> {
    /// The visitor with this id (only their own chat).
    Visitor(i64),
    Agent(&'a Actor),
}

/// A chat's public messages as plain lines: time (UTC), who, what.
fn transcript(inbox: &ChatInbox, rows: &[Message]) -> String {
    let mut out = format!("Your chat with {}\n\n", inbox.name);
    for m in rows {
        let when = jiff::Timestamp::from_millisecond(m.created_at)
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let who = super::visitor::author_name(m, inbox);
        out.push_str(&format!("[{when}] {who}: {}\n", m.body_text));
    }
    out
}

impl Engine {
    /// Ends chat `id`; `false` when it had ended already. An agent's end also solves it.
    pub async fn end_chat(&self, by: Ender<'_>, id: i64) -> Result<bool> {
        let mut conn = self.store.pool().acquire().await?;
        let row = chat::chat(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat"))?;
        drop(conn);
        let doer = match by {
            Ender::Visitor(v) if v != row.visitor_id => {
                return Err(EngineError::not_found("chat"));
            }
            Ender::Visitor(_) => None,
            Ender::Agent(actor) => {
                let c = self.conversation(actor, id).await?;
                if !matches!(c.status, Status::Solved | Status::Closed) {
                    let patch = Patch {
                        status: Some(Status::Solved),
                        ..Default::default()
                    };
                    self.update_conversation(actor, id, patch).await?;
                }
                Some(actor.user_id)
            }
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if !chat::end_chat(&mut tx, id, at).await? {
            return Ok(false);
        }
        let c = steward_store::conversations::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat"))?;
        let mailed = self.queue_transcript(&mut tx, &row, &c, at).await?;
        self.offer_chat_survey(&mut tx, &c, at).await?;
        let event_doer = doer.map_or(Doer::Customer(c.customer_id), Doer::User);
        record(
            &mut tx,
            event_doer,
            id,
            "chat.ended",
            json!({"after": {"by": if doer.is_some() { "agent" } else { "visitor" },
                             "transcript_mailed": mailed}}),
            at,
        )
        .await?;
        tx.commit().await?;
        self.announce(&c, None, "chat_ended", doer).await;
        Ok(true)
    }

    /// Mails the transcript to the customer's address, if known; whether it was queued.
    async fn queue_transcript(
        &self,
        tx: &mut Conn,
        row: &chat::Chat,
        c: &steward_store::models::Conversation,
        at: i64,
    ) -> Result<bool> {
        let Some(email) = customers::identities(tx, c.customer_id)
            .await?
            .into_iter()
            .find(|i| i.kind == "email")
            .map(|i| i.value)
        else {
            return Ok(false);
        };
        let inbox = chat::inbox(tx, row.chat_inbox_id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat inbox"))?;
        let rows = messages::list(tx, c.id, false).await?;
        let to = [email];
        self.queue_automatic_mail(
            tx,
            AutomaticMail {
                inbox: inbox.email_inbox.as_deref(),
                from_suffix: "",
                to: &to,
                to_name: Some(&c.customer_name),
                conversation_id: Some(c.id),
                subject: format!("Your chat with {} (#{})", inbox.name, c.number),
                text: transcript(&inbox, &rows),
                html: None,
                attachments: Vec::new(),
                kind: "transcript",
                what: format!("transcript.{}", c.id),
            },
            at,
        )
        .await
    }
}
