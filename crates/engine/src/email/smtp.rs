//! The SMTP listener's sink: accepts mail for the configured inboxes and ingests it, once per
//! inbox the envelope names, before the listener may answer `250`.

use crate::Engine;
use steward_channels::email::smtp_server::{Envelope, Sink};

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

    async fn deliver(&self, envelope: Envelope, raw: Vec<u8>) -> Result<String, String> {
        let mut done: Vec<&str> = Vec::new();
        let mut refs = Vec::new();
        for rcpt in &envelope.rcpt_to {
            let Some(inbox) = self.engine.email.inbox_for(rcpt) else {
                continue;
            };
            if done.contains(&inbox.address.as_str()) {
                continue;
            }
            done.push(&inbox.address);
            let outcome = self
                .engine
                .ingest_email(inbox, &envelope.rcpt_to, &raw)
                .await
                .map_err(|e| e.to_string())?;
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
