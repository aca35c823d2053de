//! Adding a message: an agent's public reply or internal note, or a customer's reply. A
//! customer reply follows the lifecycle rules (reopen, or a follow-up for a closed
//! conversation); an agent's first public reply records the first response time.

use super::attachments::{self, Upload};
use super::record;
use crate::intake::{CustomerRef, identify};
use crate::sanitize::{clean_html, html_to_text};
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::automation::Trigger;
use steward_domain::lifecycle::{self, CustomerReply};
use steward_domain::{Actor, AuthorKind, Channel, Status, Visibility, validate};
use steward_store::conversations::{self, Changes, NewConversation};
use steward_store::email::EmailRecord;
use steward_store::events::Doer;
use steward_store::messages::{self, NewMessage};
use steward_store::models::{Conversation, Message};
use steward_store::search::{self, DocKind};
use steward_store::{Conn, Tx, now_ms};

#[derive(Debug, Clone)]
pub struct NewMessageCmd {
    pub body: String,
    pub html: Option<String>,
    pub visibility: Visibility,
    /// The channel it goes out on; the conversation's own channel when `None`.
    pub channel: Option<Channel>,
    /// The status to leave the conversation in (agent replies only).
    pub status: Option<Status>,
    pub author: AuthorKind,
    pub attachments: Vec<Upload>,
    pub at: Option<i64>,
    /// The mail this message arrived as (channels only).
    pub email: Option<EmailRecord>,
    /// What the sending client called it, so a resend is a duplicate (chat).
    pub client_key: Option<String>,
}

impl NewMessageCmd {
    pub fn reply(body: &str) -> NewMessageCmd {
        NewMessageCmd {
            body: body.to_string(),
            html: None,
            visibility: Visibility::Public,
            channel: None,
            status: None,
            author: AuthorKind::Agent,
            attachments: Vec::new(),
            at: None,
            email: None,
            client_key: None,
        }
    }
}

/// A message added: the conversation it landed in, the message, and the id of that
/// conversation's message before it (see `messages::Appended`).
pub(crate) struct Inserted {
    pub conversation: Conversation,
    pub message: Message,
    pub previous: i64,
}

impl Inserted {
    fn pair(self) -> (Conversation, Message) {
        (self.conversation, self.message)
    }
}

/// Cleans HTML and derives text from it when no text was given; checks the size.
pub(crate) fn prepare_body(text: &str, html: Option<&str>) -> Result<(String, Option<String>)> {
    let html = html
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(clean_html);
    let text = match (&html, text.trim()) {
        (Some(h), "") => html_to_text(h),
        (_, t) => t.to_string(),
    };
    if text.len() > validate::MAX_BODY
        || html
            .as_ref()
            .is_some_and(|h| h.len() > 4 * validate::MAX_BODY)
    {
        return Err(EngineError::invalid(
            "body",
            format!("must be at most {} characters", validate::MAX_BODY),
        ));
    }
    Ok((text, html))
}

impl Engine {
    /// Adds a message to conversation `id` as `by` sees it. Returns the conversation the
    /// message landed in (a follow-up when the original was closed) and the message.
    pub async fn add_message(
        &self,
        by: &Actor,
        id: i64,
        cmd: NewMessageCmd,
    ) -> Result<(Conversation, Message)> {
        self.insert_message(Some(by), None, id, cmd)
            .await
            .map(Inserted::pair)
    }

    /// Adds a message a channel received from `sender` (found or created as a customer inside
    /// the transaction; it may be someone other than the conversation's customer, such as a
    /// colleague in Cc).
    pub async fn receive_message(
        &self,
        id: i64,
        sender: &CustomerRef,
        cmd: NewMessageCmd,
    ) -> Result<(Conversation, Message)> {
        self.receive_message_after(id, sender, cmd)
            .await
            .map(Inserted::pair)
    }

    /// As [`Engine::receive_message`], with the id of the conversation's message before it.
    pub(crate) async fn receive_message_after(
        &self,
        id: i64,
        sender: &CustomerRef,
        cmd: NewMessageCmd,
    ) -> Result<Inserted> {
        if cmd.author != AuthorKind::Customer || cmd.visibility != Visibility::Public {
            return Err(EngineError::invalid(
                "author",
                "a channel delivers public customer messages",
            ));
        }
        self.insert_message(None, Some(sender), id, cmd).await
    }

    /// Adds a public message of the bot or the system to conversation `id` (chat answers).
    pub(crate) async fn automated_message(
        &self,
        id: i64,
        author: AuthorKind,
        text: &str,
    ) -> Result<(Conversation, Message)> {
        let cmd = NewMessageCmd {
            author,
            ..NewMessageCmd::reply(text)
        };
        self.insert_message(None, None, id, cmd)
            .await
            .map(Inserted::pair)
    }

    async fn insert_message(
        &self,
        by: Option<&Actor>,
        sender: Option<&CustomerRef>,
        id: i64,
        cmd: NewMessageCmd,
    ) -> Result<Inserted> {
        let (text, html) = prepare_body(&cmd.body, cmd.html.as_deref())?;
        if text.is_empty() && cmd.attachments.is_empty() {
            return Err(EngineError::invalid("body", "must not be empty"));
        }
        let automated = matches!(cmd.author, AuthorKind::Bot | AuthorKind::System);
        if automated && (by.is_some() || sender.is_some() || cmd.visibility != Visibility::Public) {
            return Err(EngineError::invalid(
                "author",
                "only the engine writes public bot and system messages",
            ));
        }
        if cmd.author == AuthorKind::Customer && cmd.visibility == Visibility::Internal {
            return Err(EngineError::invalid(
                "visibility",
                "a customer cannot write internal notes",
            ));
        }
        if let Some(by) = by {
            let mut conn = self.store.pool().acquire().await?;
            let c = conversations::get(&mut conn, id)
                .await?
                .ok_or_else(|| EngineError::not_found("conversation"))?;
            super::authorize(&mut conn, by, &c).await?;
        }
        let files = self.store_uploads(cmd.attachments).await?;
        let at = cmd.at.unwrap_or_else(now_ms);
        let mut tx = self.store.write().await?;
        let conversations::Locked {
            conversation: c,
            followers,
            facts,
        } = conversations::get_for_update_in_full(&mut tx, self.store.backend(), id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        // Checked again on the locked row: a transfer may have landed since the first look.
        if let Some(by) = by {
            super::authorize(&mut tx, by, &c).await?;
        }
        if let Some(target) = c.merged_into {
            return Err(EngineError::conflict(format!(
                "this conversation was merged into conversation {target}; add messages there"
            )));
        }
        let channel = cmd.channel.unwrap_or(c.channel);
        let (target, author_user, author_customer, doer) = match cmd.author {
            AuthorKind::Customer => {
                let target = customer_target(&mut tx, &c, at).await?;
                match (by, sender) {
                    (Some(by), _) => (target, None, Some(c.customer_id), Doer::User(by.user_id)),
                    // The conversation's own customer by id (a chat visitor) exists: the
                    // row just read joins it.
                    (None, Some(sender)) if sender.id == Some(c.customer_id) => (
                        target,
                        None,
                        Some(c.customer_id),
                        Doer::Customer(c.customer_id),
                    ),
                    (None, Some(sender)) => {
                        let customer = identify(&mut tx, sender, Doer::System, at).await?;
                        (target, None, Some(customer), Doer::Customer(customer))
                    }
                    (None, None) => (
                        target,
                        None,
                        Some(c.customer_id),
                        Doer::Customer(c.customer_id),
                    ),
                }
            }
            // An automated answer changes nothing about the conversation's status.
            AuthorKind::Bot | AuthorKind::System => (c.id, None, None, Doer::System),
            AuthorKind::Agent => {
                let Some(by) = by else {
                    return Err(EngineError::invalid(
                        "author",
                        "an agent message needs an agent",
                    ));
                };
                let mut changes = Changes::default();
                if cmd.visibility == Visibility::Public {
                    if c.status == Status::Closed {
                        return Err(EngineError::conflict(
                            "this conversation is closed; a reply needs a new conversation",
                        ));
                    }
                    let next = match cmd.status {
                        Some(s) => c.status.transition(s)?,
                        None => lifecycle::on_agent_reply(c.status),
                    };
                    if c.first_response_at.is_none() {
                        changes.first_response_at = Some(at);
                    }
                    status_changes(&c, next, at, &mut changes);
                } else if let Some(s) = cmd.status {
                    let next = c.status.transition(s)?;
                    status_changes(&c, next, at, &mut changes);
                }
                conversations::update(&mut tx, c.id, &changes, at, true, 0).await?;
                record_status(&mut tx, Doer::User(by.user_id), &c, &changes, at).await?;
                (c.id, Some(by.user_id), None, Doer::User(by.user_id))
            }
        };
        // Appended as it is, only the conversation's counts and times change: the row and its
        // facts read under the lock stay true, with nothing more to read.
        let unchanged = match cmd.author {
            AuthorKind::Customer => matches!(
                lifecycle::on_customer_reply(c.status),
                CustomerReply::Append
            ),
            AuthorKind::Bot | AuthorKind::System => true,
            AuthorKind::Agent => false,
        };
        let kind = match cmd.visibility {
            Visibility::Public => DocKind::Message,
            Visibility::Internal => DocKind::Internal,
        };
        let agent_replies =
            i64::from(cmd.author == AuthorKind::Agent && cmd.visibility == Visibility::Public);
        let messages::Appended { message, previous } = messages::append(
            &mut tx,
            &NewMessage {
                conversation_id: target,
                author_kind: cmd.author,
                author_user_id: author_user,
                author_customer_id: author_customer,
                visibility: cmd.visibility,
                channel,
                body_text: &text,
                body_html: html.as_deref(),
                at,
                client_key: cmd.client_key.as_deref(),
            },
            agent_replies,
            kind,
        )
        .await?;
        let message_id = message.id;
        attachments::link(&mut tx, message_id, &files, at).await?;
        if let Some(mail) = &cmd.email {
            self.store_mail(&mut tx, target, message_id, mail, at)
                .await?;
        } else if matches!(cmd.author, AuthorKind::Agent | AuthorKind::Bot)
            && cmd.visibility == Visibility::Public
            && matches!(channel, Channel::Email | Channel::Web)
        {
            // A request from the web form or portal gets its replies by mail too, with a
            // link to follow it in the portal.
            self.queue_reply_mail(&mut tx, target, message_id, &text, html.as_deref(), at)
                .await?;
        }
        record(
            &mut tx,
            doer,
            target,
            "message.created",
            json!({"after": {
                "message_id": message_id, "author_kind": cmd.author, "visibility": cmd.visibility,
                "channel": channel, "attachments": files.len(),
            }}),
            at,
        )
        .await?;
        if target != c.id {
            self.refresh_sla(&mut tx, c.id).await?;
        }
        let mut conversation = if unchanged {
            conversations::touched(&c, at, 1)
        } else {
            conversations::get(&mut tx, target)
                .await?
                .ok_or_else(|| EngineError::not_found("conversation"))?
        };
        let trigger = match cmd.author {
            AuthorKind::Customer if target != c.id => Trigger::Created,
            AuthorKind::Customer => Trigger::CustomerMessage,
            _ => Trigger::Updated,
        };
        if unchanged {
            self.settle_with(&mut tx, &mut conversation, trigger, facts)
                .await?;
        } else {
            self.settle(&mut tx, &mut conversation, trigger).await?;
        }
        if let Some(by) = by
            && cmd.author == AuthorKind::Agent
        {
            self.notify_mentions(&mut tx, &conversation, &text, by, at)
                .await?;
        }
        tx.commit().await?;
        let by_user = by.map(|b| b.user_id);
        if target == c.id {
            // Its followers were read with the locked row.
            self.bus
                .message_added(&conversation, message_id, by_user, followers);
        } else {
            self.announce(&conversation, None, "message", by_user).await;
            self.announce(&c, None, "follow_up", by_user).await;
        }
        if self.email.has_inboxes() {
            self.email.outbox_wake.notify_one();
        }
        Ok(Inserted {
            conversation,
            message,
            previous,
        })
    }
}

/// Where a customer's new message goes, applying the lifecycle rule to `c`.
async fn customer_target(tx: &mut Tx, c: &Conversation, at: i64) -> Result<i64> {
    match lifecycle::on_customer_reply(c.status) {
        CustomerReply::Append => Ok(c.id),
        CustomerReply::AppendAndSet(next) => {
            let mut changes = Changes::default();
            status_changes(c, next, at, &mut changes);
            conversations::update(tx, c.id, &changes, at, true, 0).await?;
            record(
                tx,
                Doer::Customer(c.customer_id),
                c.id,
                "status.changed",
                json!({
                    "before": c.status, "after": next, "reason": "customer replied",
                }),
                at,
            )
            .await?;
            Ok(c.id)
        }
        CustomerReply::StartFollowUp => {
            let number = conversations::next_number(tx).await?;
            let subject = c.subject.clone();
            let id = conversations::insert(
                tx,
                &NewConversation {
                    number,
                    subject: &subject,
                    status: Status::New,
                    priority: c.priority,
                    channel: c.channel,
                    customer_id: c.customer_id,
                    assignee_id: c.assignee_id,
                    team_id: c.team_id,
                    custom_fields: &c.custom_fields,
                    follow_up_of: Some(c.id),
                    inbox: c.inbox.as_deref(),
                    at,
                },
            )
            .await?;
            search::index(tx, DocKind::Subject, id, None, &subject).await?;
            record(
                tx,
                Doer::Customer(c.customer_id),
                id,
                "conversation.created",
                json!({"after": {
                    "number": number, "subject": subject, "follow_up_of": c.id,
                    "reason": "customer replied to a closed conversation",
                }}),
                at,
            )
            .await?;
            record(
                tx,
                Doer::Customer(c.customer_id),
                c.id,
                "follow_up.created",
                json!({
                    "after": {"conversation_id": id, "number": number},
                }),
                at,
            )
            .await?;
            Ok(id)
        }
    }
}

/// Fills the status columns for a move from `c.status` to `next`: solving records the
/// resolution time, closing the close time.
pub(crate) fn status_changes(c: &Conversation, next: Status, at: i64, changes: &mut Changes) {
    if next == c.status {
        return;
    }
    changes.status = Some(next);
    match next {
        Status::Solved => changes.solved_at = Some(at),
        Status::Closed => changes.closed_at = Some(at),
        _ => {}
    }
}

/// Records the status change (and resolution time) that `changes` makes to `c`.
pub(crate) async fn record_status(
    tx: &mut Conn,
    doer: Doer,
    c: &Conversation,
    changes: &Changes,
    at: i64,
) -> Result<()> {
    if let Some(next) = changes.status {
        // An agent whose conversation stops being open work can take another.
        if let Some(owner) = c.assignee_id
            && matches!(c.status, Status::New | Status::Open)
            && !matches!(next, Status::New | Status::Open)
        {
            crate::routing::queue_drains_for(tx, owner).await?;
        }
        let mut data = json!({"before": c.status, "after": next});
        if next == Status::Solved {
            data["resolution_ms"] = json!(lifecycle::elapsed(c.created_at, at));
            crate::tasks::fall_due_on_solve(tx, c.id, at).await?;
            crate::csat::queue_on_solve(tx, c, at).await?;
        }
        record(tx, doer, c.id, "status.changed", data, at).await?;
    }
    if let Some(first) = changes.first_response_at {
        record(
            tx,
            doer,
            c.id,
            "first_response",
            json!({
                "after": {"first_response_ms": lifecycle::elapsed(c.created_at, first)},
            }),
            at,
        )
        .await?;
    }
    Ok(())
}
