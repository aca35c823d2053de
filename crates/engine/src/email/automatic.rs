//! Automatic mail that is not a reply in a conversation's thread: agents' notifications, NPS
//! questions, scheduled reports. Sent from a chosen inbox, or the first one, through the
//! outbox.

use crate::{Engine, EngineError, Result};
use steward_channels::email::outbound::{OutboundEmail, compose};
use steward_channels::email::parse::{Mailbox, Part};
use steward_store::Conn;
use steward_store::email::{self, NewOutbound};

/// What to send, to whom.
pub(crate) struct AutomaticMail<'a> {
    /// The inbox address to send from; the first inbox when `None` or not found.
    pub inbox: Option<&'a str>,
    /// Shown as the sender's name after the inbox's own (" (Steward)" on notifications).
    pub from_suffix: &'static str,
    pub to: &'a [String],
    /// The recipient's name, with one recipient.
    pub to_name: Option<&'a str>,
    /// The conversation it is about, if any.
    pub conversation_id: Option<i64>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Part>,
    /// The outbox kind (`nps`, `report`).
    pub kind: &'static str,
    /// Names the Message-ID (`nps.12`).
    pub what: String,
}

impl Engine {
    /// Queues `m`; false when no inbox is set up to send it from.
    pub(crate) async fn queue_automatic_mail(
        &self,
        tx: &mut Conn,
        m: AutomaticMail<'_>,
        at: i64,
    ) -> Result<bool> {
        let inbox = m
            .inbox
            .and_then(|a| self.email.inbox_for(a))
            .or_else(|| self.email.all_inboxes().into_iter().next());
        let Some(inbox) = inbox else {
            return Ok(false);
        };
        let rfc_id = self.message_id(&m.what);
        let mail = OutboundEmail {
            from: Some(Mailbox {
                name: Some(format!("{}{}", inbox.name, m.from_suffix)),
                address: inbox.address.clone(),
            }),
            to: m
                .to
                .iter()
                .map(|a| Mailbox {
                    name: m.to_name.map(str::to_string),
                    address: a.clone(),
                })
                .collect(),
            subject: m.subject,
            message_id: rfc_id.clone(),
            text: m.text,
            html: m.html,
            attachments: m.attachments,
            automatic: true,
            ..OutboundEmail::default()
        };
        let raw = compose(&mail).map_err(|e| EngineError::invalid("email", e.to_string()))?;
        email::enqueue(
            tx,
            &NewOutbound {
                kind: m.kind,
                conversation_id: m.conversation_id,
                message_id: None,
                rfc_message_id: &rfc_id,
                sender: &inbox.address,
                recipients: m.to,
                raw: &raw,
            },
            at,
        )
        .await?;
        Ok(true)
    }
}
