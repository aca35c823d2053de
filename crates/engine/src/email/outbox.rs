//! The outbox: mail is composed once, in the transaction that creates the reply (so a reply
//! and its mail commit together), stored with its bytes, and sent by a worker through the
//! relay with retries and backoff. A row is claimed (`sending`) in its own commit before it is
//! handed to the relay; a row found still `sending` after a crash is marked failed with the
//! reason and never resent on its own, because the relay may already have taken it: an agent
//! retries it by hand. Every retry sends the same bytes with the same Message-ID.

use super::{DEFAULT_ACKNOWLEDGEMENT, Inbox};
use crate::{Engine, EngineError, Result};
use std::time::Duration;
use steward_channels::email::outbound::{OutboundEmail, compose};
use steward_channels::email::parse::{Mailbox, Part};
use steward_channels::email::quote::REPLY_ABOVE;
use steward_channels::email::thread;
use steward_domain::Channel;
use steward_store::email::{self, EmailRecord, NewOutbound};
use steward_store::{Tx, conversations, customers, messages, now_ms};
use tokio_util::sync::CancellationToken;

/// Attempts before a message is marked failed.
const MAX_ATTEMPTS: i64 = 8;
/// How long a row may stay `sending` before it counts as abandoned by a stopped node.
const ABANDONED_AFTER_MS: i64 = 5 * 60 * 1000;

/// A mail from `inbox`, answered to the conversation's token address.
pub(super) fn from_inbox(inbox: &Inbox, token: &str) -> OutboundEmail {
    OutboundEmail {
        from: Some(Mailbox {
            name: Some(inbox.name.clone()),
            address: inbox.address.clone(),
        }),
        reply_to: Some(thread::reply_address(&inbox.address, token)),
        ..OutboundEmail::default()
    }
}

impl Engine {
    pub(super) fn message_id(&self, what: &str) -> String {
        format!(
            "{what}.{}@{}",
            thread::new_token(),
            if self.email.hostname.is_empty() {
                "steward.local"
            } else {
                &self.email.hostname
            }
        )
    }

    /// The reply token of a conversation, made on first use.
    pub(super) async fn token(
        &self,
        tx: &mut Tx,
        conversation_id: i64,
        inbox: &str,
        at: i64,
    ) -> Result<String> {
        if let Some(t) = email::token_of(tx, conversation_id).await? {
            return Ok(t);
        }
        let token = thread::new_token();
        email::insert_token(tx, &token, conversation_id, inbox, at).await?;
        Ok(token)
    }

    /// Composes an agent's public reply as mail to the conversation's customer and queues it,
    /// inside the reply's transaction. Does nothing when no inbox is set up or the customer
    /// has no email address.
    pub(crate) async fn queue_reply_mail(
        &self,
        tx: &mut Tx,
        conversation_id: i64,
        message_id: i64,
        text: &str,
        html: Option<&str>,
        at: i64,
    ) -> Result<()> {
        let inboxes = self.email.all_inboxes();
        let Some(default_inbox) = inboxes.first() else {
            return Ok(());
        };
        let inbox_address = email::inbox_of(tx, conversation_id)
            .await?
            .unwrap_or_else(|| default_inbox.address.clone());
        let inbox = inboxes
            .iter()
            .find(|i| i.address == inbox_address)
            .unwrap_or(default_inbox);
        let c = conversations::get(tx, conversation_id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        let customer = customers::get(tx, c.customer_id).await?;
        let Some(to) = customers::identities(tx, c.customer_id)
            .await?
            .into_iter()
            .find(|i| i.kind == "email")
            .map(|i| i.value)
        else {
            return Ok(());
        };
        let token = self.token(tx, conversation_id, &inbox.address, at).await?;
        let references = email::thread_ids(tx, conversation_id).await?;
        let mut parts = Vec::new();
        for a in messages::attachments_of(tx, &[message_id]).await? {
            parts.push(Part {
                bytes: self.store.blobs.get(&a.sha256).await?,
                filename: a.filename,
                content_type: a.content_type,
                content_id: None,
            });
        }
        let rfc_id = self.message_id(&format!("reply.{message_id}"));
        // Requests from the web form can be followed in the portal.
        let portal = (c.channel == Channel::Web).then(|| {
            format!(
                "{}/portal/requests/{}",
                self.email.workspace_url.trim_end_matches('/'),
                c.number
            )
        });
        let cc: Vec<String> = email::cc_of(tx, conversation_id)
            .await?
            .into_iter()
            .filter(|a| *a != to)
            .collect();
        let mail = OutboundEmail {
            to: vec![Mailbox {
                name: customer.map(|c| c.name),
                address: to.clone(),
            }],
            cc: cc
                .iter()
                .map(|a| Mailbox {
                    name: None,
                    address: a.clone(),
                })
                .collect(),
            subject: format!("Re: [#{}] {}", c.number, c.subject),
            message_id: rfc_id.clone(),
            in_reply_to: references.last().cloned(),
            references,
            text: format!("{REPLY_ABOVE}\n\n{text}{}", portal.as_ref().map_or(String::new(), |l| format!("\n\n--\nFollow this request online: {l}\n"))),
            html: html.map(|h| {
                format!(
                    "<p style=\"color:#888\">{REPLY_ABOVE}</p>{h}{}",
                    portal.as_ref().map_or(String::new(), |l| format!(
                        "<p style=\"color:#888\">Follow this request online: <a href=\"{l}\">{l}</a></p>"
                    ))
                )
            }),
            attachments: parts,
            ..from_inbox(inbox, &token)
        };
        let raw = compose(&mail).map_err(|e| EngineError::invalid("email", e.to_string()))?;
        email::insert(
            tx,
            message_id,
            &EmailRecord {
                inbox: inbox.address.clone(),
                rfc_message_id: rfc_id.clone(),
                direction: "out",
                from_address: inbox.address.clone(),
                to_addresses: vec![to.clone()],
                cc_addresses: cc.clone(),
                raw_sha256: None,
                quoted_text: None,
                authentication: None,
                auth_failed: false,
            },
            at,
        )
        .await?;
        email::enqueue(
            tx,
            &NewOutbound {
                kind: "reply",
                conversation_id: Some(conversation_id),
                message_id: Some(message_id),
                rfc_message_id: &rfc_id,
                sender: &inbox.address,
                recipients: &std::iter::once(to).chain(cc).collect::<Vec<_>>(),
                raw: &raw,
            },
            at,
        )
        .await?;
        Ok(())
    }

    /// Queues the acknowledgement of a new conversation, unless `to` already got the hourly
    /// maximum of automatic mail (a loop with another auto-responder ends there).
    pub(crate) async fn queue_acknowledgement(
        &self,
        inbox: &Inbox,
        conversation_id: i64,
        to: &str,
        in_reply_to: &str,
    ) -> Result<()> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let sent = email::automatic_sent_to(&mut tx, to, at - 3_600_000).await?;
        if sent >= self.email.max_auto_replies_per_hour.max(1) {
            return Ok(());
        }
        let c = conversations::get(&mut tx, conversation_id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        let token = self
            .token(&mut tx, conversation_id, &inbox.address, at)
            .await?;
        let text = inbox
            .acknowledgement
            .as_deref()
            .unwrap_or(DEFAULT_ACKNOWLEDGEMENT)
            .replace("{number}", &c.number.to_string())
            .replace("{subject}", &c.subject)
            .replace("{inbox}", &inbox.name);
        let rfc_id = self.message_id(&format!("ack.{conversation_id}"));
        let mail = OutboundEmail {
            to: vec![Mailbox {
                name: None,
                address: to.to_string(),
            }],
            subject: format!("[#{}] {}", c.number, c.subject),
            message_id: rfc_id.clone(),
            in_reply_to: Some(in_reply_to.to_string()),
            references: vec![in_reply_to.to_string()],
            text,
            automatic: true,
            ..from_inbox(inbox, &token)
        };
        let raw = compose(&mail).map_err(|e| EngineError::invalid("email", e.to_string()))?;
        email::enqueue(
            &mut tx,
            &NewOutbound {
                kind: "acknowledgement",
                conversation_id: Some(conversation_id),
                message_id: None,
                rfc_message_id: &rfc_id,
                sender: &inbox.address,
                recipients: &[to.to_string()],
                raw: &raw,
            },
            at,
        )
        .await?;
        tx.commit().await?;
        self.email.outbox_wake.notify_one();
        Ok(())
    }

    /// Puts a message's failed mail back in the queue (the "retry" button).
    /// Returns the conversation's id.
    pub async fn retry_mail(&self, by: &steward_domain::Actor, message_id: i64) -> Result<i64> {
        let mut tx = self.store.write().await?;
        let m = messages::get(&mut tx, message_id)
            .await?
            .ok_or_else(|| EngineError::not_found("message"))?;
        let c = conversations::get(&mut tx, m.conversation_id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        crate::conversation::authorize(&mut tx, by, &c).await?;
        let Some((outbox_id, status)) = email::outbox_for_message(&mut tx, message_id).await?
        else {
            return Err(EngineError::not_found("mail for this message"));
        };
        if status != "failed" {
            return Err(EngineError::conflict(format!(
                "this mail is {status}; only failed mail can be retried"
            )));
        }
        let now = now_ms();
        email::retry(&mut tx, outbox_id, now).await?;
        crate::conversation::record(
            &mut tx,
            steward_store::events::Doer::User(by.user_id),
            c.id,
            "mail.retried",
            serde_json::json!({"message_id": message_id}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.email.outbox_wake.notify_one();
        Ok(c.id)
    }

    /// Sends what is due; returns how many rows it handled.
    async fn deliver_due(&self) -> Result<usize> {
        let Some(relay) = self.email.relay.clone() else {
            return Ok(0);
        };
        let now = now_ms();
        {
            let mut tx = self.store.write().await?;
            let n = email::fail_abandoned(&mut tx, now - ABANDONED_AFTER_MS).await?;
            tx.commit().await?;
            if n > 0 {
                tracing::warn!(
                    count = n,
                    "mail left half-sent by a stopped server marked failed"
                );
            }
        }
        let due = {
            let mut conn = self.store.pool().acquire().await?;
            email::due(&mut conn, now, 20).await?
        };
        let mut handled = 0;
        for id in due {
            let row = {
                let mut tx = self.store.write().await?;
                let row = email::claim(&mut tx, id, now_ms()).await?;
                tx.commit().await?;
                row
            };
            let Some(row) = row else { continue };
            let result = relay
                .send(&row.sender, &row.recipient_list(), &row.raw)
                .await;
            let mut tx = self.store.write().await?;
            match &result {
                Ok(()) => email::mark_sent(&mut tx, row.id, now_ms()).await?,
                Err(e) => {
                    let next = (!e.permanent && row.attempts < MAX_ATTEMPTS)
                        .then(|| now_ms() + crate::scheduler::backoff_ms(30_000, row.attempts));
                    tracing::warn!(outbox = row.id, error = %e, retry = next.is_some(), "mail not sent");
                    email::mark_unsent(&mut tx, row.id, &e.message, next).await?;
                }
            }
            tx.commit().await?;
            handled += 1;
            if let Some(cid) = row.conversation_id {
                let mut conn = self.store.pool().acquire().await?;
                if let Some(c) = conversations::get(&mut conn, cid).await? {
                    self.announce(&c, None, "delivery", None).await;
                }
            }
        }
        Ok(handled)
    }
}

/// The outbox worker: sends due mail when woken by a new reply, or every second for retries,
/// until `stop`.
pub async fn run_outbox(engine: Engine, stop: CancellationToken) {
    loop {
        match engine.deliver_due().await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox pass failed"),
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = engine.email.outbox_wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
