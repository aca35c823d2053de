//! What the inbox admin page and API show: each inbox with its settings and the status of
//! its IMAP mailboxes, the SMTP listener and the relay (never a password), and the "test
//! connection" check that logs in to each of them now.

use super::{ImapMailbox, Inbox};
use crate::{Engine, Result};
use std::time::Duration;
use steward_channels::email::imap;
use steward_channels::email::outbound::Relay;
use steward_domain::Actor;
use steward_store::imap::MailboxState;

/// An IMAP mailbox with how its last check went (`None`: not checked yet).
#[derive(Debug, Clone)]
pub struct MailboxOverview {
    pub mailbox: ImapMailbox,
    pub state: Option<MailboxState>,
}

#[derive(Debug, Clone)]
pub struct InboxOverview {
    pub inbox: Inbox,
    /// Added by an admin (changeable in the workspace), not set in the config file.
    pub managed: bool,
    pub mailboxes: Vec<MailboxOverview>,
}

#[derive(Debug, Clone)]
pub struct EmailOverview {
    pub inboxes: Vec<InboxOverview>,
    /// Where the inbound SMTP listener listens, when it is on.
    pub smtp_listener: Option<String>,
    pub relay: Option<Relay>,
}

/// The outcome of connecting to one server.
#[derive(Debug, Clone)]
pub struct ConnectionCheck {
    /// "relay smtp.example.com:587" or "IMAP user@imap.example.com:993/INBOX".
    pub what: String,
    pub ok: bool,
    /// "connected" or the reason it failed.
    pub detail: String,
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(20);

impl Engine {
    pub async fn email_overview(&self, by: &Actor) -> Result<EmailOverview> {
        by.may_administer()?;
        let states = {
            let mut conn = self.store.pool().acquire().await?;
            steward_store::imap::all(&mut conn).await?
        };
        let imap = self.email.all_imap();
        let inboxes = self
            .email
            .all_inboxes()
            .into_iter()
            .map(|inbox| InboxOverview {
                managed: self.email.is_managed(&inbox.address),
                inbox: inbox.clone(),
                mailboxes: imap
                    .iter()
                    .filter(|m| m.inbox == inbox.address)
                    .map(|m| MailboxOverview {
                        state: states
                            .iter()
                            .find(|s| s.mailbox == m.account.key())
                            .cloned(),
                        mailbox: m.clone(),
                    })
                    .collect(),
            })
            .collect();
        Ok(EmailOverview {
            inboxes,
            smtp_listener: self.email.smtp_listener.clone(),
            relay: self.email.relay.clone(),
        })
    }

    /// Connects to the relay and to every IMAP mailbox of inbox `address` now.
    pub async fn check_inbox_connections(
        &self,
        by: &Actor,
        address: &str,
    ) -> Result<Vec<ConnectionCheck>> {
        by.may_administer()?;
        let inbox = self
            .email
            .all_inboxes()
            .into_iter()
            .find(|i| i.address.eq_ignore_ascii_case(address.trim()))
            .ok_or_else(|| crate::EngineError::not_found("inbox"))?;
        let mut checks = Vec::new();
        match &self.email.relay {
            Some(relay) => {
                let outcome = tokio::time::timeout(CHECK_TIMEOUT, relay.check()).await;
                checks.push(ConnectionCheck {
                    what: format!("relay {}:{}", relay.host, relay.port),
                    ok: matches!(outcome, Ok(Ok(()))),
                    detail: match outcome {
                        Ok(Ok(())) => "connected".into(),
                        Ok(Err(e)) => e.to_string(),
                        Err(_) => "no answer within 20 s".into(),
                    },
                });
            }
            None => checks.push(ConnectionCheck {
                what: "relay".into(),
                ok: false,
                detail: "no relay is configured, so replies stay queued".into(),
            }),
        }
        for m in self
            .email
            .all_imap()
            .iter()
            .filter(|m| m.inbox == inbox.address)
        {
            let outcome = tokio::time::timeout(CHECK_TIMEOUT, imap::open(&m.account)).await;
            let (ok, detail) = match outcome {
                Ok(Ok(folder)) => {
                    folder.logout().await;
                    (true, "connected".to_string())
                }
                Ok(Err(e)) => (false, e.0),
                Err(_) => (false, "no answer within 20 s".into()),
            };
            checks.push(ConnectionCheck {
                what: format!("IMAP {}", m.account.key()),
                ok,
                detail,
            });
        }
        Ok(checks)
    }
}
