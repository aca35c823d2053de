//! The step in the chat pipeline where an automated responder may answer before a person.
//! After each visitor message, while the visitor has not asked for a person and no agent has
//! the chat, the engine asks the responder installed with `Engine::set_chat_responder`, or
//! else the answer bot (`bot.rs`), which stays quiet unless an admin turned it on for chat. Its answer is posted as a `bot` message, so the
//! widget shows plainly that a bot is speaking; asking to hand over keeps it quiet from then
//! on and leaves the chat waiting for an agent.

use crate::Engine;
use std::future::Future;
use std::pin::Pin;
use steward_domain::AuthorKind;
use steward_store::chat;

/// What the responder says, and whether it hands the chat to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotReply {
    /// Nothing is posted when empty.
    pub text: String,
    pub handoff: bool,
}

/// An automated responder for chats.
pub trait ChatResponder: Send + Sync + std::fmt::Debug {
    /// The answer to `text`, the visitor's latest message in chat `chat_id`; `None` to stay
    /// quiet.
    fn respond<'a>(
        &'a self,
        engine: &'a Engine,
        chat_id: i64,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = Option<BotReply>> + Send + 'a>>;
}

impl Engine {
    /// Installs the chat responder (once; later calls are ignored and return false).
    pub fn set_chat_responder(&self, r: std::sync::Arc<dyn ChatResponder>) -> bool {
        self.chat_responder.set(r).is_ok()
    }

    /// Runs the responder on a visitor's message, if one is installed and the chat is still
    /// the bot's to answer. Failures are logged: the message itself is already taken.
    pub(crate) async fn after_visitor_message(&self, chat_id: i64, text: &str) {
        let responder = self.chat_responder.get();
        // Nothing to read for a chat no responder will answer.
        if responder.is_none() && !self.bot_answers_chats().await.unwrap_or(false) {
            return;
        }
        let turn = async {
            let mut conn = self.store.pool().acquire().await?;
            let row = chat::chat(&mut conn, chat_id).await?;
            let c = steward_store::conversations::get(&mut conn, chat_id).await?;
            drop(conn);
            let (Some(row), Some(c)) = (row, c) else {
                return Ok(());
            };
            if row.bot_off == 1 || c.assignee_id.is_some() {
                return Ok(());
            }
            // An installed responder, else the answer bot (which stays quiet while off).
            let reply = match responder {
                Some(r) => r.respond(self, chat_id, text).await,
                None => self.bot_chat_reply(chat_id, text).await?,
            };
            let Some(reply) = reply else {
                return Ok(());
            };
            if !reply.text.trim().is_empty() {
                self.automated_message(chat_id, AuthorKind::Bot, &reply.text)
                    .await?;
            }
            if reply.handoff {
                let mut tx = self.store.write().await?;
                chat::set_bot_off(&mut tx, chat_id).await?;
                tx.commit().await?;
            }
            Ok::<(), crate::EngineError>(())
        };
        if let Err(e) = turn.await {
            tracing::warn!(error = %e, chat_id, "chat responder failed");
        }
    }
}
