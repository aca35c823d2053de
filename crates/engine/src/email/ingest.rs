//! Inbound mail into conversations. Threading, in order of trust: (1) the Message-IDs the
//! mail answers; (2) the reply token in the plus-address it was sent to; (3) the conversation
//! number in the subject, only when the sender already takes part in that conversation.
//! Anything else starts a new conversation: mail from unrelated senders that share a subject
//! is never merged. A Message-ID seen before in the same inbox is stored once.

use super::{AuthFailure, Inbox};
use crate::conversation::{NewConversationCmd, NewMessageCmd, Upload};
use crate::intake::CustomerRef;
use crate::{Engine, EngineError, Result};
use sha2::{Digest, Sha256};
use steward_channels::email::auth::AuthResults;
use steward_channels::email::parse::{InboundEmail, parse};
use steward_channels::email::{quote, thread};
use steward_domain::{AuthorKind, Channel, Visibility};
use steward_store::email::{self, EmailRecord};
use steward_store::{Conn, conversations, customers};

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    Created {
        conversation_id: i64,
    },
    Added {
        conversation_id: i64,
    },
    /// Already stored (a client retried, or the mail came twice).
    Duplicate {
        conversation_id: i64,
    },
    /// A bounce: the outbound mail it reports on was marked failed.
    Bounce,
    /// The sender is on the blocklist: nothing was stored.
    Refused,
}

impl Ingested {
    pub fn conversation_id(&self) -> Option<i64> {
        match self {
            Ingested::Created { conversation_id }
            | Ingested::Added { conversation_id }
            | Ingested::Duplicate { conversation_id } => Some(*conversation_id),
            Ingested::Bounce | Ingested::Refused => None,
        }
    }
}

/// Placeholder address for mail without a readable sender, so it is still kept.
const UNKNOWN_SENDER: &str = "unknown-sender@steward.invalid";

impl Engine {
    /// Stores `raw`, delivered to `inbox` (`recipients` as the SMTP envelope or IMAP folder
    /// named them). Returns once the message is committed.
    pub async fn ingest_email(
        &self,
        inbox: &Inbox,
        recipients: &[String],
        raw: &[u8],
    ) -> Result<Ingested> {
        self.ingest_checked_email(inbox, recipients, raw, None)
            .await
    }

    /// Like `ingest_email`, recording how the sender's authentication (SPF, DKIM, DMARC)
    /// went, and flagging the message when it failed and the rule says so.
    pub async fn ingest_checked_email(
        &self,
        inbox: &Inbox,
        recipients: &[String],
        raw: &[u8],
        auth: Option<AuthResults>,
    ) -> Result<Ingested> {
        let mail = parse(raw);
        let rfc_id = mail
            .message_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .unwrap_or_else(|| {
                // No Message-ID: the content stands in for one, so a retry is still a duplicate.
                let digest = hex::encode(Sha256::digest(raw));
                format!("{}@no-message-id.steward.invalid", &digest[..32])
            });
        {
            let mut conn = self.store.pool().acquire().await?;
            if let Some((_, conversation_id)) =
                email::find(&mut conn, &inbox.address, &rfc_id).await?
            {
                return Ok(Ingested::Duplicate { conversation_id });
            }
        }
        if !mail.bounce_of.is_empty() {
            let reason = format!(
                "the mail bounced: {}",
                mail.text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("no reason given")
                    .trim()
            );
            let mut tx = self.store.write().await?;
            let n = email::bounce(&mut tx, &mail.bounce_of, &reason).await?;
            tx.commit().await?;
            if n > 0 {
                return Ok(Ingested::Bounce);
            }
        }
        let sender = mail.from.clone().or_else(|| mail.reply_to.clone());
        if let Some(s) = &sender
            && self.email.is_blocked(&s.address)
        {
            tracing::info!(inbox = %inbox.address, "mail from a blocked sender refused");
            return Ok(Ingested::Refused);
        }
        let raw_sha = self.store.blobs.put(raw).await?;
        let sender_address = sender
            .as_ref()
            .map_or_else(|| UNKNOWN_SENDER.to_string(), |s| s.address.clone());
        let customer = CustomerRef {
            email: Some(sender_address.clone()),
            name: sender.as_ref().and_then(|s| s.name.clone()),
            ..CustomerRef::default()
        };
        let (visible, quoted) = quote::split_reply(&mail.text);
        let (uploads, inline, mut notes) = self.keep_parts(&mail);
        let mut body = if visible.trim().is_empty() && mail.parts.is_empty() {
            "(empty message)".to_string()
        } else {
            visible
        };
        if mail.malformed {
            notes.push("This message could not be read as email; it is shown as received.".into());
        }
        if !notes.is_empty() {
            body.push_str("\n\n");
            body.push_str(&notes.join("\n"));
        }
        let record = EmailRecord {
            inbox: inbox.address.clone(),
            rfc_message_id: rfc_id,
            direction: "in",
            from_address: sender_address.clone(),
            to_addresses: mail.to.iter().map(|m| m.address.clone()).collect(),
            cc_addresses: mail.cc.iter().map(|m| m.address.clone()).collect(),
            raw_sha256: Some(raw_sha),
            quoted_text: quoted,
            authentication: auth.as_ref().map(AuthResults::summary),
            auth_failed: auth
                .as_ref()
                .is_some_and(|a| a.failed() && self.email.on_auth_failure == AuthFailure::Flag),
        };
        // Only the visible part is HTML-rendered when no quote was folded; otherwise the text.
        let html = if record.quoted_text.is_none() {
            mail.html.as_deref().map(|h| link_inline_images(h, &inline))
        } else {
            None
        };
        let existing = {
            let mut conn = self.store.pool().acquire().await?;
            find_conversation(&mut conn, inbox, recipients, &mail, &sender_address).await?
        };
        let outcome = match existing {
            Some(conversation_id) => {
                let cmd = NewMessageCmd {
                    body,
                    html,
                    visibility: Visibility::Public,
                    channel: Some(Channel::Email),
                    status: None,
                    author: AuthorKind::Customer,
                    attachments: uploads,
                    at: None,
                    email: Some(record.clone()),
                    client_key: None,
                };
                self.receive_message(conversation_id, &customer, cmd)
                    .await
                    .map(|(c, _)| Ingested::Added {
                        conversation_id: c.id,
                    })
            }
            None => {
                let team_id = match &inbox.team {
                    Some(name) => self.team_id_by_name(name).await?,
                    None => None,
                };
                let cmd = NewConversationCmd {
                    team_id,
                    html,
                    attachments: uploads,
                    email: Some(record.clone()),
                    ..NewConversationCmd::from_customer(
                        customer,
                        &thread::clean_subject(&mail.subject),
                        &body,
                        Channel::Email,
                    )
                };
                self.create_conversation(None, cmd)
                    .await
                    .map(|c| Ingested::Created {
                        conversation_id: c.id,
                    })
            }
        };
        let outcome = match outcome {
            // The same mail arrived twice at once: the other copy was stored.
            Err(EngineError::Store(e)) if e.is_unique_violation() => {
                let mut conn = self.store.pool().acquire().await?;
                match email::find(&mut conn, &inbox.address, &record.rfc_message_id).await? {
                    Some((_, conversation_id)) => Ingested::Duplicate { conversation_id },
                    None => return Err(EngineError::Store(e)),
                }
            }
            other => other?,
        };
        if let Ingested::Created { conversation_id } = outcome
            && inbox.acknowledge
            && !mail.automated
            && sender.is_some()
            && let Err(e) = self
                .queue_acknowledgement(
                    inbox,
                    conversation_id,
                    &sender_address,
                    &record.rfc_message_id,
                )
                .await
        {
            tracing::warn!(error = %e, conversation_id, "acknowledgement not queued");
        }
        Ok(outcome)
    }

    /// The mail's files that fit the limits, the `(Content-ID, digest)` of the inline ones
    /// among them, and a note for each one left out (the raw message, which has them all,
    /// stays downloadable).
    fn keep_parts(&self, mail: &InboundEmail) -> (Vec<Upload>, Vec<(String, String)>, Vec<String>) {
        let mut kept = Vec::new();
        let mut inline = Vec::new();
        let mut notes = Vec::new();
        for p in &mail.parts {
            if p.bytes.len() > self.limits.max_attachment_bytes
                || kept.len() >= self.limits.max_attachments_per_message
            {
                notes.push(format!(
                    "[The attachment {} ({} bytes) is over the limits; it is in the original message.]",
                    p.filename,
                    p.bytes.len()
                ));
                continue;
            }
            if let Some(cid) = p.content_id.as_deref().filter(|c| !c.is_empty()) {
                inline.push((cid.to_string(), hex::encode(Sha256::digest(&p.bytes))));
            }
            kept.push(Upload {
                filename: p.filename.clone(),
                content_type: p.content_type.clone(),
                bytes: p.bytes.clone(),
            });
        }
        (kept, inline, notes)
    }

    pub(crate) async fn team_id_by_name(&self, name: &str) -> Result<Option<i64>> {
        let mut conn = self.store.pool().acquire().await?;
        let teams = steward_store::users::teams(&mut conn).await?;
        Ok(teams
            .into_iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| t.id))
    }
}

/// Points the HTML's `cid:` references at the kept parts they name, by digest
/// (`/attachments/inline/<sha256>`), so inline images show in the workspace. References to
/// parts that were not kept stay as they are and show nothing.
fn link_inline_images(html: &str, inline: &[(String, String)]) -> String {
    let mut out = html.to_string();
    for (cid, digest) in inline {
        out = out.replace(
            &format!("cid:{cid}"),
            &format!("/attachments/inline/{digest}"),
        );
    }
    out
}

/// The conversation `mail` belongs to, if any (following merges).
async fn find_conversation(
    conn: &mut Conn,
    inbox: &Inbox,
    recipients: &[String],
    mail: &InboundEmail,
    sender: &str,
) -> Result<Option<i64>> {
    let mut found = email::conversation_by_rfc_ids(conn, &mail.thread_ids()).await?;
    if found.is_none() {
        let addresses = recipients
            .iter()
            .map(String::as_str)
            .chain(mail.to.iter().map(|m| m.address.as_str()))
            .chain(mail.cc.iter().map(|m| m.address.as_str()));
        for a in addresses {
            if let Some(token) = thread::reply_token(a, &inbox.address)
                && let Some(id) = email::conversation_by_token(conn, token).await?
            {
                found = Some(id);
                break;
            }
        }
    }
    if found.is_none()
        && let Some(number) = thread::subject_number(&mail.subject)
        && let Some(c) = conversations::get_by_number(conn, number).await?
    {
        let is_customer =
            customers::find_by_identity(conn, "email", sender).await? == Some(c.customer_id);
        if is_customer || email::is_participant(conn, c.id, sender).await? {
            found = Some(c.id);
        }
    }
    // A merged conversation's mail goes where it was merged.
    let mut hops = 0;
    while let Some(id) = found
        && hops < 10
    {
        match conversations::get(conn, id)
            .await?
            .and_then(|c| c.merged_into)
        {
            Some(next) => found = Some(next),
            None => break,
        }
        hops += 1;
    }
    Ok(found)
}
