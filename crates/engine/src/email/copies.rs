//! The mail record of a message, and the people an inbound mail copied: agents among them
//! follow the conversation, anyone else is copied on its public replies from then on.
//! Inbox addresses, the sender and the conversation's customer are never copied.

use crate::{Engine, Result};
use serde_json::json;
use steward_store::email::{self, EmailRecord};
use steward_store::events::Doer;
use steward_store::{Conn, conversations, customers, users};

/// At most this many people are copied from one mail, so a mail to a large list does not copy
/// every member on every reply.
const MAX_COPIED_PER_MAIL: usize = 20;

impl Engine {
    /// Stores the mail behind `message_id` and, for inbound mail, who it copied.
    pub(crate) async fn store_mail(
        &self,
        tx: &mut Conn,
        conversation_id: i64,
        message_id: i64,
        mail: &EmailRecord,
        at: i64,
    ) -> Result<()> {
        email::insert(tx, message_id, mail, at).await?;
        if mail.direction != "in" {
            return Ok(());
        }
        // Most mail copies nobody: only then are the customer and followers looked up.
        let candidates: Vec<String> = mail
            .to_addresses
            .iter()
            .chain(&mail.cc_addresses)
            .map(|a| a.trim().to_lowercase())
            .filter(|a| a.contains('@') && *a != mail.from_address)
            .filter(|a| self.email.inbox_for(a).is_none())
            .take(MAX_COPIED_PER_MAIL)
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let customer: Vec<String> = match conversations::get(tx, conversation_id).await? {
            Some(c) => customers::identities(tx, c.customer_id)
                .await?
                .into_iter()
                .filter(|i| i.kind == "email")
                .map(|i| i.value)
                .collect(),
            None => Vec::new(),
        };
        let copied = candidates.into_iter().filter(|a| !customer.contains(a));
        let before = conversations::followers(tx, conversation_id).await?;
        let mut added = false;
        for address in copied {
            match users::by_email(tx, &address).await? {
                Some(agent) if agent.active != 0 => {
                    added |= conversations::add_follower(tx, conversation_id, agent.id).await?;
                }
                _ => {
                    email::add_cc(tx, conversation_id, &address, at).await?;
                }
            }
        }
        if added {
            let after = conversations::followers(tx, conversation_id).await?;
            crate::conversation::record(
                tx,
                Doer::System,
                conversation_id,
                "followers.changed",
                json!({"before": before, "after": after, "reason": "copied on mail"}),
                at,
            )
            .await?;
        }
        Ok(())
    }
}
