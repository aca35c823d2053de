//! Opening a conversation: from a customer on any channel, or by an agent on a customer's
//! behalf. The customer is found or created, the first message stored and indexed, and the
//! conversation gets the next number, all in one transaction.

use super::attachments::{self, Upload};
use super::message::prepare_body;
use super::record;
use super::update::{check_custom_fields, check_tags, resolve_assignment};
use crate::intake::{CustomerRef, identify};
use crate::{Engine, EngineError, Result};
use serde_json::{Map, Value, json};
use steward_domain::automation::Trigger;
use steward_domain::{Actor, AuthorKind, Channel, Priority, Status, Visibility, validate};
use steward_store::conversations::{self, NewConversation};
use steward_store::events::Doer;
use steward_store::messages::{self, NewMessage};
use steward_store::models::Conversation;
use steward_store::search::{self, DocKind};
use steward_store::{now_ms, tags};

#[derive(Debug, Clone)]
pub struct NewConversationCmd {
    pub customer: CustomerRef,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub channel: Channel,
    pub priority: Option<Priority>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub tags: Vec<String>,
    pub custom_fields: Map<String, Value>,
    /// Who wrote the first message: the customer (an inbound request) or the agent (an
    /// outbound conversation).
    pub author: AuthorKind,
    pub attachments: Vec<Upload>,
    /// When it happened, for imports and sample data; now when `None`.
    pub at: Option<i64>,
    /// The mail the first message arrived as (channels only).
    pub email: Option<steward_store::email::EmailRecord>,
    /// The inbox it arrives through; the mail's inbox when `None`.
    pub inbox: Option<String>,
    /// What the sending client called the first message, so a resend is a duplicate.
    pub client_key: Option<String>,
    /// The chat this conversation is, written in the same transaction.
    pub chat: Option<ChatLink>,
}

/// A chat's row, written with its conversation, and the visitor joined to its customer.
#[derive(Debug, Clone)]
pub struct ChatLink {
    pub visitor_id: i64,
    pub chat_inbox_id: i64,
    pub topic: Option<String>,
}

impl NewConversationCmd {
    /// A customer's request with just the essentials.
    pub fn from_customer(
        customer: CustomerRef,
        subject: &str,
        body: &str,
        channel: Channel,
    ) -> Self {
        NewConversationCmd {
            customer,
            subject: subject.to_string(),
            body: body.to_string(),
            html: None,
            channel,
            priority: None,
            team_id: None,
            assignee_id: None,
            tags: Vec::new(),
            custom_fields: Map::new(),
            author: AuthorKind::Customer,
            attachments: Vec::new(),
            at: None,
            email: None,
            inbox: None,
            client_key: None,
            chat: None,
        }
    }
}

impl Engine {
    /// Opens a conversation. `by` is the agent or integrator doing it; `None` for a channel
    /// acting for the customer.
    pub async fn create_conversation(
        &self,
        by: Option<&Actor>,
        cmd: NewConversationCmd,
    ) -> Result<Conversation> {
        let subject = validate::required("subject", &cmd.subject, validate::MAX_SUBJECT)?;
        let (text, html) = prepare_body(&cmd.body, cmd.html.as_deref())?;
        if text.is_empty() && cmd.attachments.is_empty() {
            return Err(EngineError::invalid("message.body", "must not be empty"));
        }
        if !matches!(cmd.author, AuthorKind::Customer | AuthorKind::Agent) {
            return Err(EngineError::invalid(
                "message.author",
                "must be customer or agent",
            ));
        }
        if cmd.author == AuthorKind::Agent && by.is_none() {
            return Err(EngineError::invalid(
                "message.author",
                "an agent message needs a signed-in agent",
            ));
        }
        let tag_names = check_tags(&cmd.tags)?;
        // A named inbox must exist; its team takes the conversation unless one is given.
        let (inbox, inbox_team) = match cmd.inbox.as_deref() {
            None => (cmd.email.as_ref().map(|e| e.inbox.to_lowercase()), None),
            Some(a) => {
                let found = self
                    .email
                    .all_inboxes()
                    .into_iter()
                    .find(|i| i.address.eq_ignore_ascii_case(a.trim()))
                    .ok_or_else(|| {
                        EngineError::invalid(
                            "inbox",
                            format!("must be one of the inboxes; there is none at {a:?}"),
                        )
                    })?;
                let team = match (&found.team, cmd.team_id) {
                    (Some(name), None) => self.team_id_by_name(name).await?,
                    _ => None,
                };
                (Some(found.address.to_lowercase()), team)
            }
        };
        let files = self.store_uploads(cmd.attachments).await?;
        let at = cmd.at.unwrap_or_else(now_ms);
        let doer = by.map_or(Doer::System, |a| Doer::User(a.user_id));

        let mut tx = self.store.write().await?;
        let fields = check_custom_fields(&mut tx, &cmd.custom_fields, Map::new()).await?;
        let customer_id = identify(&mut tx, &cmd.customer, doer, at).await?;
        // An agent who opens a conversation without a team files it under their first team, so
        // it stays in their sight.
        let team_id = match (cmd.team_id.or(inbox_team), by) {
            (None, Some(a))
                if a.role == steward_domain::Role::Agent && cmd.assignee_id.is_none() =>
            {
                a.team_ids.first().copied()
            }
            (t, _) => t,
        };
        resolve_assignment(&mut tx, team_id, cmd.assignee_id).await?;
        let number = conversations::next_number(&mut tx).await?;
        let status = match cmd.author {
            AuthorKind::Agent => Status::Open,
            _ => Status::New,
        };
        let priority = cmd.priority.unwrap_or(Priority::Normal);
        let fields_json = Value::Object(fields.clone()).to_string();
        let id = conversations::insert(
            &mut tx,
            &NewConversation {
                number,
                subject: &subject,
                status,
                priority,
                channel: cmd.channel,
                customer_id,
                assignee_id: cmd.assignee_id,
                team_id,
                custom_fields: &fields_json,
                follow_up_of: None,
                inbox: inbox.as_deref(),
                at,
            },
        )
        .await?;
        let mut tag_ids = Vec::new();
        for t in &tag_names {
            tag_ids.push(tags::ensure(&mut tx, t, at).await?);
        }
        conversations::set_tags(&mut tx, id, &tag_ids).await?;
        let (author_user, author_customer) = match cmd.author {
            AuthorKind::Agent => (by.map(|a| a.user_id), None),
            _ => (None, Some(customer_id)),
        };
        let message_id = messages::insert(
            &mut tx,
            &NewMessage {
                conversation_id: id,
                author_kind: cmd.author,
                author_user_id: author_user,
                author_customer_id: author_customer,
                visibility: Visibility::Public,
                channel: cmd.channel,
                body_text: &text,
                body_html: html.as_deref(),
                at,
                client_key: cmd.client_key.as_deref(),
            },
        )
        .await?;
        attachments::link(&mut tx, message_id, &files, at).await?;
        if let Some(link) = &cmd.chat {
            steward_store::chat::insert_chat(
                &mut tx,
                id,
                link.visitor_id,
                link.chat_inbox_id,
                link.topic.as_deref(),
                at,
            )
            .await?;
            steward_store::chat::set_visitor_customer(&mut tx, link.visitor_id, customer_id)
                .await?;
        }
        if let Some(mail) = &cmd.email {
            self.store_mail(&mut tx, id, message_id, mail, at).await?;
        }
        conversations::update(&mut tx, id, &Default::default(), at, true, 1).await?;
        search::index(&mut tx, DocKind::Subject, id, None, &subject).await?;
        search::index(&mut tx, DocKind::Message, id, Some(message_id), &text).await?;
        record(
            &mut tx,
            doer,
            id,
            "conversation.created",
            json!({"after": {
                "number": number, "subject": subject, "status": status, "priority": priority,
                "channel": cmd.channel, "customer_id": customer_id, "team_id": team_id,
                "assignee_id": cmd.assignee_id, "tags": tag_names, "custom_fields": fields,
            }}),
            at,
        )
        .await?;
        record(
            &mut tx,
            doer,
            id,
            "message.created",
            json!({"after": {
                "message_id": message_id, "author_kind": cmd.author, "visibility": "public",
                "attachments": files.len(),
            }}),
            at,
        )
        .await?;
        let mut conversation = conversations::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        self.settle(&mut tx, &mut conversation, Trigger::Created)
            .await?;
        if cmd.author == AuthorKind::Customer {
            self.queue_bot_email(&mut tx, &conversation, at).await?;
        }
        if let (Some(by), Some(assignee)) = (by, cmd.assignee_id) {
            self.notify_assigned(&mut tx, &conversation, assignee, by, at)
                .await?;
        }
        tx.commit().await?;
        self.announce(&conversation, None, "created", by.map(|a| a.user_id))
            .await;
        Ok(conversation)
    }
}
