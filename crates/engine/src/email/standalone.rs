//! Mail that belongs to no conversation (an NPS question, a scheduled report): sent from a
//! chosen inbox, or the first one, through the outbox like any automatic mail.

use crate::{Engine, EngineError, Result};
use steward_channels::email::outbound::{OutboundEmail, compose};
use steward_channels::email::parse::{Mailbox, Part};
use steward_store::Conn;
use steward_store::email::{self, NewOutbound};

/// What to send, to whom.
pub(crate) struct StandaloneMail<'a> {
    /// The inbox address to send from; the first inbox when `None` or not found.
    pub inbox: Option<&'a str>,
    pub to: &'a [String],
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
    pub(crate) async fn queue_standalone_mail(
        &self,
        tx: &mut Conn,
        m: StandaloneMail<'_>,
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
                name: Some(inbox.name.clone()),
                address: inbox.address.clone(),
            }),
            to: m
                .to
                .iter()
                .map(|a| Mailbox {
                    name: None,
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
                conversation_id: None,
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
