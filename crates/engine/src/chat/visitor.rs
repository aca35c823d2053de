//! What a visitor's connection does: who the visitor is (a random token their browser keeps;
//! only its SHA-256 is stored, and only once they write), sending a message (a new chat or the
//! one going on; resends are duplicates by the browser's sequence number), their history after
//! a sequence number, where their chat stands (queue place and estimated wait), typing, read
//! marks and asking for a person.

use crate::conversation::{ChatLink, NewConversationCmd, NewMessageCmd, Upload};
use crate::intake::{self, CustomerRef};
use crate::live::LiveEvent;
use crate::{Engine, EngineError, Result};
use sha2::{Digest, Sha256};
use steward_domain::chat::{self as rules, MessageFrame, Profile, ServerFrame};
use steward_domain::{AuthorKind, Channel, Status, validate};
use steward_store::chat::{self, ChatInbox, Reader, Visitor};
use steward_store::events::Doer;
use steward_store::models::Message;
use steward_store::{customers, now_ms};

/// A visitor as their connection knows them.
#[derive(Debug, Clone)]
pub struct VisitorSession {
    pub inbox: ChatInbox,
    /// The token the browser keeps (sent back in the welcome).
    pub token: String,
    token_sha256: String,
    /// The stored visitor, once they have written.
    pub visitor: Option<Visitor>,
}

/// A message taken: its sequence number and chat, and whether it was a resend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub seq: i64,
    pub chat: i64,
    pub duplicate: bool,
    /// The message as its frame, when its chat's message before it is known: a connection
    /// that has sent everything up to `Echo::previous` may send it without reading it back.
    pub echo: Option<Echo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    pub frame: MessageFrame,
    /// The id of the chat's message before this one (0 when none): no message of the chat
    /// has an id between the two.
    pub previous: i64,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let bytes: [u8; 24] = rand::random();
    hex::encode(bytes)
}

/// A token a browser may present: 48 hex digits.
fn plausible(token: &str) -> bool {
    token.len() == 48 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The name shown for a message's author: the bot and the system speak as the inbox.
pub(super) fn author_name(m: &Message, inbox: &ChatInbox) -> String {
    match m.author_kind {
        AuthorKind::Bot => format!("{} bot", inbox.name),
        AuthorKind::System => inbox.name.clone(),
        _ => m.author_name.clone().unwrap_or_default(),
    }
}

/// Message `m` as the visitor's widget shows it.
fn message_frame(
    m: &Message,
    inbox: &ChatInbox,
    files: Vec<rules::FileRef>,
    cseq: Option<i64>,
) -> MessageFrame {
    MessageFrame {
        seq: m.id,
        chat: m.conversation_id,
        author: m.author_kind.to_string(),
        name: author_name(m, inbox),
        text: m.body_text.clone(),
        at: m.created_at,
        files,
        cseq,
    }
}

impl Engine {
    /// The visitor presenting `token` (a new one when absent or unknown-looking).
    pub async fn chat_session(
        &self,
        inbox: ChatInbox,
        token: Option<&str>,
    ) -> Result<VisitorSession> {
        let token = match token.map(str::trim).filter(|t| plausible(t)) {
            Some(t) => t.to_ascii_lowercase(),
            None => new_token(),
        };
        let token_sha256 = digest(&token);
        let mut conn = self.store.pool().acquire().await?;
        let visitor = chat::visitor_by_token(&mut conn, &token_sha256).await?;
        Ok(VisitorSession {
            inbox,
            token,
            token_sha256,
            visitor,
        })
    }

    /// Takes the visitor's message numbered `cseq`: into the chat going on, or a new chat (an
    /// email conversation outside business hours, which needs an address). A message sent
    /// before under the same number is not taken twice.
    pub async fn chat_send(
        &self,
        s: &mut VisitorSession,
        cseq: i64,
        text: &str,
        profile: Option<&Profile>,
        files: Vec<Upload>,
    ) -> Result<Sent> {
        let text = text.trim();
        if text.chars().count() > rules::MAX_TEXT {
            return Err(EngineError::invalid(
                "text",
                format!("must be at most {} characters", rules::MAX_TEXT),
            ));
        }
        if text.is_empty() && files.is_empty() {
            return Err(EngineError::invalid("text", "must not be empty"));
        }
        if cseq < 1 {
            return Err(EngineError::invalid("cseq", "must be 1 or more"));
        }
        let visitor = self.ensure_visitor(s).await?;
        // A resend fails on the unique client key and is then found below: no read first.
        let key = format!("v{}:{cseq}", visitor.id);
        let mut echo = None;
        // A message with files is read back with them.
        let plain = files.is_empty();
        let mut conn = self.store.pool().acquire().await?;
        let current = chat::current_chat(&mut conn, visitor.id).await?;
        drop(conn);
        let result = match current {
            Some(c) => {
                let customer = CustomerRef {
                    id: visitor.customer_id,
                    ..Default::default()
                };
                let cmd = NewMessageCmd {
                    author: AuthorKind::Customer,
                    attachments: files,
                    client_key: Some(key.clone()),
                    ..NewMessageCmd::reply(text)
                };
                // On the writer's own thread: the hot path's trips to the database do not
                // wait behind socket tasks while it holds the one writer (see the store's
                // `writer`).
                let engine = self.clone();
                let id = c.conversation_id;
                let added = self
                    .store
                    .on_writer_lane(async move {
                        engine.receive_message_after(id, &customer, cmd).await
                    })
                    .await;
                added.map(|a| {
                    echo = plain.then(|| Echo {
                        frame: message_frame(&a.message, &s.inbox, Vec::new(), Some(cseq)),
                        previous: a.previous,
                    });
                    (a.conversation.id, a.message.id)
                })
            }
            None => {
                let started = self
                    .start_chat(s, &visitor, &key, text, profile, files)
                    .await;
                if let Ok((chat, _)) = started {
                    // Agents' pages pop up a notice for a new chat.
                    let _ = self
                        .chat_signal(chat, "chat", "started", serde_json::json!({"text": text}))
                        .await;
                }
                started
            }
        };
        match result {
            Ok((chat, seq)) => {
                self.after_visitor_message(chat, text).await;
                Ok(Sent {
                    seq,
                    chat,
                    duplicate: false,
                    echo,
                })
            }
            // Two connections of one visitor sent the same message at once: one won.
            Err(e) => match self.sent_before(&key).await? {
                Some(sent) => Ok(sent),
                None => Err(e),
            },
        }
    }

    async fn sent_before(&self, key: &str) -> Result<Option<Sent>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(chat::by_client_key(&mut conn, key)
            .await?
            .map(|(seq, chat)| Sent {
                seq,
                chat,
                duplicate: true,
                echo: None,
            }))
    }

    async fn ensure_visitor(&self, s: &mut VisitorSession) -> Result<Visitor> {
        if let Some(v) = &s.visitor {
            return Ok(v.clone());
        }
        let mut tx = self.store.write().await?;
        let v = chat::ensure_visitor(&mut tx, &s.token_sha256, s.inbox.id, now_ms()).await?;
        tx.commit().await?;
        s.visitor = Some(v.clone());
        Ok(v)
    }

    async fn start_chat(
        &self,
        s: &mut VisitorSession,
        visitor: &Visitor,
        key: &str,
        text: &str,
        profile: Option<&Profile>,
        files: Vec<Upload>,
    ) -> Result<(i64, i64)> {
        let p = profile.cloned().unwrap_or_default();
        let name = p
            .name
            .as_deref()
            .map(|n| validate::bounded("name", n, validate::MAX_NAME))
            .transpose()?
            .filter(|n| !n.is_empty());
        let email = p
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| validate::email("email", e))
            .transpose()?;
        let topic = p.topic.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let topics = super::topics(&s.inbox);
        if let Some(t) = topic
            && !topics.iter().any(|x| x == t)
        {
            return Err(EngineError::invalid(
                "topic",
                format!("must be one of: {}", topics.join(", ")),
            ));
        }
        let at = now_ms();
        let mut conn = self.store.pool().acquire().await?;
        let open = self.chat_open(&mut conn, &s.inbox, at).await?;
        let known_email = match visitor.customer_id {
            Some(id) => customers::identities(&mut conn, id)
                .await?
                .into_iter()
                .find(|i| i.kind == "email")
                .map(|i| i.value),
            None => None,
        };
        drop(conn);
        if s.inbox.prechat == "required" && email.is_none() && known_email.is_none() {
            return Err(EngineError::invalid(
                "email",
                "please give your email address to start a chat",
            ));
        }
        if !open && email.is_none() && known_email.is_none() {
            return Err(EngineError::invalid(
                "email",
                "we are away now; leave your email address and we will answer by email",
            ));
        }
        let customer = self
            .visitor_customer(visitor, name.as_deref(), email.as_deref(), at)
            .await?;
        let first_words: String = text.chars().take(60).collect();
        let subject = match (topic, first_words.is_empty()) {
            (Some(t), _) => format!("Chat: {t}"),
            (None, false) => format!("Chat: {first_words}"),
            (None, true) => "Chat".to_string(),
        };
        let cmd = NewConversationCmd {
            team_id: s.inbox.team_id,
            inbox: s.inbox.email_inbox.clone(),
            attachments: files,
            client_key: Some(key.to_string()),
            chat: Some(ChatLink {
                visitor_id: visitor.id,
                chat_inbox_id: s.inbox.id,
                topic: topic.map(str::to_string),
            }),
            ..NewConversationCmd::from_customer(
                customer,
                &subject,
                text,
                if open { Channel::Chat } else { Channel::Email },
            )
        };
        let c = self.create_conversation(None, cmd).await?;
        let mut conn = self.store.pool().acquire().await?;
        s.visitor = chat::visitor(&mut conn, visitor.id).await?;
        let (seq, _) = chat::by_client_key(&mut conn, key)
            .await?
            .ok_or_else(|| EngineError::not_found("message"))?;
        Ok((c.id, seq))
    }

    /// Who a new chat belongs to: the customer with the email given (an address new to us
    /// joins the visitor's earlier, anonymous customer), else the visitor's customer, else a
    /// new anonymous customer.
    async fn visitor_customer(
        &self,
        visitor: &Visitor,
        name: Option<&str>,
        email: Option<&str>,
        at: i64,
    ) -> Result<CustomerRef> {
        let mut tx = self.store.write().await?;
        let r = match (email, visitor.customer_id) {
            (Some(e), Some(id)) => {
                customers::lock_identity(&mut tx, "email", e).await?;
                if customers::find_by_identity(&mut tx, "email", e)
                    .await?
                    .is_none()
                {
                    customers::add_identity(&mut tx, id, "email", e, at).await?;
                    let text = intake::search_text(&mut tx, id).await?;
                    steward_store::search::reindex_customer(&mut tx, id, &text).await?;
                }
                CustomerRef {
                    email: Some(e.to_string()),
                    name: name.map(str::to_string),
                    ..Default::default()
                }
            }
            (Some(e), None) => CustomerRef {
                email: Some(e.to_string()),
                name: name.map(str::to_string),
                ..Default::default()
            },
            (None, Some(id)) => CustomerRef {
                id: Some(id),
                ..Default::default()
            },
            (None, None) => {
                let fallback = format!("Visitor {}", visitor.id);
                let id = intake::create(
                    &mut tx,
                    name.unwrap_or(&fallback),
                    None,
                    None,
                    Doer::System,
                    at,
                )
                .await?;
                chat::set_visitor_customer(&mut tx, visitor.id, id).await?;
                CustomerRef {
                    id: Some(id),
                    ..Default::default()
                }
            }
        };
        tx.commit().await?;
        Ok(r)
    }

    /// The visitor's messages after `after` (their latest when `None`), as frames.
    pub async fn chat_messages(
        &self,
        s: &VisitorSession,
        after: Option<i64>,
    ) -> Result<Vec<MessageFrame>> {
        let Some(v) = &s.visitor else {
            return Ok(Vec::new());
        };
        let mut conn = self.store.pool().acquire().await?;
        let rows = match after {
            Some(a) => chat::messages_after(&mut conn, v.id, a, rules::HISTORY).await?,
            None => chat::last_messages(&mut conn, v.id, rules::HISTORY).await?,
        };
        // Files are read only for the messages that have some.
        let with_files: Vec<i64> = rows
            .iter()
            .filter(|r| r.files > 0)
            .map(|r| r.message.id)
            .collect();
        let files = if with_files.is_empty() {
            Vec::new()
        } else {
            steward_store::messages::attachments_of(&mut conn, &with_files).await?
        };
        // A key is `v{visitor}:{cseq}`; only this visitor's own keys name their numbers.
        let prefix = format!("v{}:", v.id);
        Ok(rows
            .iter()
            .map(|r| {
                let m = &r.message;
                let refs = files
                    .iter()
                    .filter(|a| a.message_id == m.id)
                    .map(|a| rules::FileRef {
                        name: a.filename.clone(),
                        url: format!("/chat/files/{}", a.id),
                        content_type: a.content_type.clone(),
                        size: a.size,
                    })
                    .collect();
                let cseq = r
                    .client_key
                    .as_deref()
                    .and_then(|k| k.strip_prefix(&prefix))
                    .and_then(|n| n.parse().ok());
                message_frame(m, &s.inbox, refs, cseq)
            })
            .collect())
    }

    /// The visitor's chat going on, if any.
    pub async fn chat_current(&self, s: &VisitorSession) -> Result<Option<i64>> {
        let Some(v) = &s.visitor else {
            return Ok(None);
        };
        let mut conn = self.store.pool().acquire().await?;
        Ok(chat::current_chat(&mut conn, v.id)
            .await?
            .map(|c| c.conversation_id))
    }

    /// Whether the visitor gave an email address before.
    pub async fn chat_known(&self, s: &VisitorSession) -> Result<bool> {
        let Some(id) = s.visitor.as_ref().and_then(|v| v.customer_id) else {
            return Ok(false);
        };
        let mut conn = self.store.pool().acquire().await?;
        Ok(customers::identities(&mut conn, id)
            .await?
            .iter()
            .any(|i| i.kind == "email"))
    }

    /// Where chat `chat_id` stands for its visitor: waiting (place and estimated wait),
    /// assigned (to whom), offline (taken by email) or ended.
    pub async fn chat_status(&self, chat_id: i64) -> Result<ServerFrame> {
        let mut conn = self.store.pool().acquire().await?;
        let row = chat::chat(&mut conn, chat_id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat"))?;
        let c = steward_store::conversations::get(&mut conn, chat_id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat"))?;
        let status = |state: &str| ServerFrame::Status {
            state: state.into(),
            agent: None,
            position: None,
            wait_seconds: None,
        };
        if row.ended_at.is_some()
            || matches!(c.status, Status::Solved | Status::Closed)
            || c.merged_into.is_some()
        {
            return Ok(status("ended"));
        }
        if c.channel == Channel::Email {
            return Ok(status("offline"));
        }
        if c.assignee_id.is_some() {
            return Ok(ServerFrame::Status {
                state: "assigned".into(),
                agent: c.assignee_name,
                position: None,
                wait_seconds: None,
            });
        }
        let ahead = chat::ahead_of(&mut conn, c.team_id, row.started_at, chat_id).await?;
        let since = now_ms() - 24 * 3600 * 1000;
        let waits = chat::recent_waits(&mut conn, c.team_id, since, 20).await?;
        Ok(ServerFrame::Status {
            state: "waiting".into(),
            agent: None,
            position: Some(ahead + 1),
            wait_seconds: rules::estimated_wait(ahead + 1, &waits),
        })
    }

    /// The chat `chat_id` if it is this visitor's.
    pub(crate) async fn visitor_chat(
        &self,
        s: &VisitorSession,
        chat_id: i64,
    ) -> Result<chat::Chat> {
        let mut conn = self.store.pool().acquire().await?;
        chat::chat(&mut conn, chat_id)
            .await?
            .filter(|c| s.visitor.as_ref().is_some_and(|v| v.id == c.visitor_id))
            .ok_or_else(|| EngineError::not_found("chat"))
    }

    /// The visitor has seen their chat up to `seq`; agents hear of it.
    pub async fn chat_visitor_read(
        &self,
        s: &VisitorSession,
        chat_id: i64,
        seq: i64,
    ) -> Result<()> {
        self.visitor_chat(s, chat_id).await?;
        let mut conn = self.store.pool().acquire().await?;
        if chat::mark_read(&mut conn, chat_id, Reader::Visitor, seq).await? {
            self.chat_signal(
                chat_id,
                "chat",
                "visitor_read",
                serde_json::json!({"seq": seq}),
            )
            .await?;
        }
        Ok(())
    }

    /// The visitor started or stopped typing; agents who may see the chat hear of it.
    pub async fn chat_visitor_typing(
        &self,
        s: &VisitorSession,
        chat_id: i64,
        on: bool,
    ) -> Result<()> {
        self.visitor_chat(s, chat_id).await?;
        self.chat_signal(chat_id, "typing", "visitor", serde_json::json!({"on": on}))
            .await
    }

    /// The visitor asks for a person: the bot stays quiet and the chat waits for an agent.
    pub async fn chat_handoff(&self, s: &VisitorSession, chat_id: i64) -> Result<()> {
        self.visitor_chat(s, chat_id).await?;
        let mut tx = self.store.write().await?;
        chat::set_bot_off(&mut tx, chat_id).await?;
        tx.commit().await?;
        self.chat_signal(chat_id, "chat", "handoff", serde_json::Value::Null)
            .await
    }

    /// An agent has the chat open: the visitor's messages so far count as read. Returns the
    /// new read mark when it moved.
    pub async fn chat_seen_by_agent(&self, conversation_id: i64) -> Result<Option<i64>> {
        let mut conn = self.store.pool().acquire().await?;
        if chat::chat(&mut conn, conversation_id).await?.is_none() {
            return Ok(None);
        }
        let last = chat::last_public_message(&mut conn, conversation_id).await?;
        if !chat::mark_read(&mut conn, conversation_id, Reader::Agent, last).await? {
            return Ok(None);
        }
        self.chat_signal(
            conversation_id,
            "chat",
            "agent_read",
            serde_json::json!({"seq": last}),
        )
        .await?;
        Ok(Some(last))
    }

    /// Announces a chat signal (typing, read marks) to whoever may see the conversation, and
    /// to the visitor's connections.
    pub(crate) async fn chat_signal(
        &self,
        conversation_id: i64,
        topic: &str,
        kind: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let mut conn = self.store.pool().acquire().await?;
        let c = steward_store::conversations::get(&mut conn, conversation_id)
            .await?
            .ok_or_else(|| EngineError::not_found("chat"))?;
        self.bus.publish(LiveEvent {
            topic: topic.into(),
            conversation_id,
            kind: kind.into(),
            user_id: None,
            detail,
            audience: vec![(c.team_id, c.assignee_id)],
            followers: Vec::new(),
        });
        Ok(())
    }
}

impl Engine {
    /// A file of one of the visitor's chats, with its bytes; not found for anyone else's.
    pub async fn chat_file(
        &self,
        s: &VisitorSession,
        attachment_id: i64,
    ) -> Result<(steward_store::models::Attachment, Vec<u8>)> {
        let Some(v) = &s.visitor else {
            return Err(EngineError::not_found("file"));
        };
        let mut conn = self.store.pool().acquire().await?;
        let a = steward_store::messages::attachment(&mut conn, attachment_id)
            .await?
            .ok_or_else(|| EngineError::not_found("file"))?;
        let m = steward_store::messages::get(&mut conn, a.message_id)
            .await?
            .filter(|m| m.visibility == steward_domain::Visibility::Public)
            .ok_or_else(|| EngineError::not_found("file"))?;
        chat::chat(&mut conn, m.conversation_id)
            .await?
            .filter(|c| c.visitor_id == v.id)
            .ok_or_else(|| EngineError::not_found("file"))?;
        drop(conn);
        let bytes = self.store.blobs.get(&a.sha256).await?;
        Ok((a, bytes))
    }
}
