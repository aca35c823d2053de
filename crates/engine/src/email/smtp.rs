//! The SMTP listener's sink: accepts mail for the configured inboxes, checks the sender's
//! authentication when that is set up (refusing failures when the rule says so), and
//! ingests it, once per inbox the envelope names, before the listener may answer `250`.

use super::AuthFailure;
use crate::Engine;
use steward_channels::email::smtp_server::{Envelope, Refusal, Sink};

pub struct SmtpIntake {
    pub engine: Engine,
}

impl Sink for SmtpIntake {
    fn accepts(&self, address: &str) -> bool {
        self.engine.email.inbox_for(address).is_some()
    }

    fn accepts_sender(&self, address: &str) -> bool {
        !self.engine.email.is_blocked(address)
    }

    async fn deliver(&self, envelope: Envelope, raw: Vec<u8>) -> Result<String, Refusal> {
        let email = &self.engine.email;
        let auth = match &email.authenticator {
            Some(a) => Some(
                a.check(
                    &raw,
                    envelope.peer.ip(),
                    &envelope.helo,
                    &envelope.mail_from,
                    &email.hostname,
                )
                .await,
            ),
            None => None,
        };
        if let Some(a) = &auth
            && a.failed()
            && email.on_auth_failure == AuthFailure::Refuse
        {
            return Err(Refusal::Never(format!(
                "The sender could not be verified ({})",
                a.summary()
            )));
        }
        let mut done: Vec<String> = Vec::new();
        let mut refs = Vec::new();
        for rcpt in &envelope.rcpt_to {
            let Some(inbox) = self.engine.email.inbox_for(rcpt) else {
                continue;
            };
            if done.contains(&inbox.address) {
                continue;
            }
            done.push(inbox.address.clone());
            let outcome = self
                .engine
                .ingest_checked_email(&inbox, &envelope.rcpt_to, &raw, auth.clone())
                .await
                .map_err(|e| Refusal::Later(e.to_string()))?;
            if let Some(id) = outcome.conversation_id() {
                refs.push(format!("conversation {id}"));
            }
        }
        Ok(if refs.is_empty() {
            "ok".into()
        } else {
            refs.join(", ")
        })
    }
}
