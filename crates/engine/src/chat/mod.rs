//! Live chat. `mod.rs` keeps the chat inboxes admins set up (a widget names one by its key:
//! name, colour, greeting, team, business hours, pre-chat form, topics); `visitor.rs` is
//! what a visitor's socket does (send, history, status, queue); `end.rs` ends a chat and mails
//! the transcript; `survey.rs` asks the visitor to rate an ended chat; `responder.rs` is the step where an automated responder may answer before a
//! person.

mod end;
mod responder;
mod survey;
mod visitor;

pub use end::Ender;
pub use responder::{BotReply, ChatResponder};
pub use visitor::{Echo, Sent, VisitorSession};

use crate::{Engine, EngineError, Result};
use serde::Deserialize;
use steward_domain::Actor;
use steward_domain::chat::{InboxInfo, InboxSettings};
use steward_store::chat::{self, ChatInbox, InboxFields};
use steward_store::{Conn, now_ms};

/// What an admin sends to create or change a chat inbox.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatInboxInput {
    /// What the widget's `data-inbox` names: letters, digits, `-` and `_`.
    pub key: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    #[serde(default)]
    pub greeting: String,
    #[serde(default)]
    pub team_id: Option<i64>,
    /// The email inbox transcripts and out-of-hours conversations use.
    #[serde(default)]
    pub email_inbox: Option<String>,
    /// Business hours; the team's calendar, or always open, when none.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// `none`, `optional` or `required`: ask name and email before the chat.
    #[serde(default = "optional")]
    pub prechat: String,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn optional() -> String {
    "optional".into()
}
fn yes() -> bool {
    true
}

/// The topics of an inbox row (JSON kept by `save_chat_inbox`).
pub fn topics(inbox: &ChatInbox) -> Vec<String> {
    serde_json::from_str(&inbox.topics).unwrap_or_default()
}

impl Engine {
    pub async fn chat_inboxes(&self) -> Result<Vec<ChatInbox>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(chat::inboxes(&mut conn).await?)
    }

    pub async fn chat_inbox(&self, id: i64) -> Result<ChatInbox> {
        let mut conn = self.store.pool().acquire().await?;
        chat::inbox(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat inbox"))
    }

    /// Creates (`id` none) or changes a chat inbox. Admins only.
    pub async fn save_chat_inbox(
        &self,
        by: &Actor,
        id: Option<i64>,
        input: &ChatInboxInput,
    ) -> Result<ChatInbox> {
        by.may_administer()?;
        let s = InboxSettings::check(
            &input.key,
            &input.name,
            &input.colour,
            &input.greeting,
            &input.prechat,
            &input.topics,
        )?;
        let email_inbox = match input.email_inbox.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => Some(
                self.email
                    .inbox_for(a)
                    .ok_or_else(|| {
                        EngineError::invalid("email_inbox", format!("there is no inbox at {a:?}"))
                    })?
                    .address
                    .to_lowercase(),
            ),
        };
        let topics = serde_json::to_string(&s.topics).unwrap_or_else(|_| "[]".into());
        let fields = InboxFields {
            key: &s.key,
            name: &s.name,
            colour: &s.colour,
            greeting: &s.greeting,
            team_id: input.team_id,
            email_inbox: email_inbox.as_deref(),
            calendar_id: input.calendar_id,
            prechat: &s.prechat,
            topics: &topics,
            enabled: input.enabled,
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if let Some(t) = input.team_id {
            steward_store::users::team(&mut tx, t)
                .await?
                .ok_or_else(|| {
                    EngineError::invalid("team_id", format!("team {t} does not exist"))
                })?;
        }
        if let Some(c) = input.calendar_id {
            steward_store::calendars::get(&mut tx, c)
                .await?
                .ok_or_else(|| {
                    EngineError::invalid("calendar_id", format!("calendar {c} does not exist"))
                })?;
        }
        let saved = match id {
            None => chat::insert_inbox(&mut tx, &fields, at).await,
            Some(id) => match chat::update_inbox(&mut tx, id, &fields, at).await {
                Ok(true) => Ok(id),
                Ok(false) => return Err(EngineError::not_found("chat inbox")),
                Err(e) => Err(e),
            },
        };
        let id = match saved {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(EngineError::conflict(format!(
                    "another chat inbox has the key {:?}",
                    s.key
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let row = chat::inbox(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat inbox"))?;
        tx.commit().await?;
        Ok(row)
    }

    /// Deletes a chat inbox no visitor has used yet; one with chats can only be disabled.
    pub async fn delete_chat_inbox(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let mut tx = self.store.write().await?;
        chat::inbox(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat inbox"))?;
        if !chat::delete_unused_inbox(&mut tx, id).await? {
            return Err(EngineError::conflict(
                "visitors have used this chat inbox; disable it instead",
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The enabled chat inbox a widget names, and what the widget shows of it now.
    pub async fn chat_inbox_for_widget(&self, key: &str) -> Result<(ChatInbox, InboxInfo)> {
        let mut conn = self.store.pool().acquire().await?;
        let inbox = chat::inbox_by_key(&mut conn, &key.trim().to_lowercase())
            .await?
            .filter(|i| i.enabled == 1)
            .ok_or_else(|| EngineError::not_found("chat inbox"))?;
        let open = self.chat_open(&mut conn, &inbox, now_ms()).await?;
        let info = InboxInfo {
            name: inbox.name.clone(),
            colour: inbox.colour.clone(),
            greeting: inbox.greeting.clone(),
            open,
            prechat: inbox.prechat.clone(),
            topics: topics(&inbox),
        };
        Ok((inbox, info))
    }

    /// Whether the inbox is within business hours at `at`: its calendar, else its team's,
    /// else always.
    async fn chat_open(&self, conn: &mut Conn, inbox: &ChatInbox, at: i64) -> Result<bool> {
        let calendar_id = match (inbox.calendar_id, inbox.team_id) {
            (Some(c), _) => Some(c),
            (None, Some(t)) => steward_store::users::team(conn, t)
                .await?
                .and_then(|t| t.calendar_id),
            (None, None) => None,
        };
        Ok(match calendar_id {
            Some(id) => crate::calendars::working_calendar(conn, id)
                .await?
                .is_open(at),
            None => true,
        })
    }
}

impl Engine {
    /// The chats waiting for an agent, longest first: all of them for supervisors and
    /// admins, those of their teams for agents.
    pub async fn waiting_chats(&self, by: &Actor) -> Result<Vec<chat::Waiting>> {
        let mut conn = self.store.pool().acquire().await?;
        let all = chat::waiting(&mut conn).await?;
        if by.may_supervise().is_ok() {
            return Ok(all);
        }
        Ok(all
            .into_iter()
            .filter(|w| w.team_id.is_some_and(|t| by.team_ids.contains(&t)))
            .collect())
    }
}
