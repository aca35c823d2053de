//! Reading IMAP mailboxes into inboxes: one task per mailbox keeps a session open, takes
//! every message above the last UID it stored (every unread one on a first visit), stores
//! it like mail that came by SMTP, records the new position, and only then flags it `\Seen`.
//! It waits with IDLE where the server has it and polls otherwise. A failure (server down,
//! wrong password) is recorded for the inbox page and retried with backoff, from the saved
//! position, so nothing is skipped or lost.

use super::Inbox;
use crate::{Engine, Result};
use std::time::Duration;
use steward_channels::email::imap::{self, Folder, ImapAccount};
use steward_store::now_ms;
use tokio_util::sync::CancellationToken;

/// An IMAP mailbox whose mail goes to an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapMailbox {
    /// The inbox address the mail is delivered to.
    pub inbox: String,
    pub account: ImapAccount,
    /// How often to look for mail when the server has no IDLE.
    pub poll: Duration,
}

/// Backoff after the n-th failure in a row: 2 s doubling up to 5 minutes.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs((2u64 << failures.min(8)).min(300))
}

/// Why a session ended.
enum Ended {
    Stopped,
    Failed(String),
}

impl Engine {
    /// One session: open, take what is pending, wait, repeat; returns when `stop` fires or
    /// something fails.
    async fn imap_session(
        &self,
        mailbox: &ImapMailbox,
        inbox: &Inbox,
        stop: &CancellationToken,
    ) -> Ended {
        let key = mailbox.account.key();
        let mut folder = match imap::open(&mailbox.account).await {
            Ok(f) => f,
            Err(e) => return Ended::Failed(e.0),
        };
        loop {
            if let Err(e) = self.take_pending(&key, &mut folder, inbox).await {
                folder.logout().await;
                return Ended::Failed(e);
            }
            if stop.is_cancelled() {
                folder.logout().await;
                return Ended::Stopped;
            }
            folder = match folder.wait(mailbox.poll, stop.cancelled()).await {
                Ok(f) => f,
                Err(e) => return Ended::Failed(e.0),
            };
        }
    }

    /// Stores every pending message of `folder`, in UID order, recording the position after
    /// each one and flagging it read only after that.
    async fn take_pending(
        &self,
        key: &str,
        folder: &mut Folder,
        inbox: &Inbox,
    ) -> std::result::Result<(), String> {
        let store_err = |e: crate::EngineError| format!("storing mail failed: {e}");
        let state = {
            let mut conn = self
                .store
                .pool()
                .acquire()
                .await
                .map_err(|e| store_err(e.into()))?;
            steward_store::imap::get(&mut conn, key)
                .await
                .map_err(|e| store_err(e.into()))?
        };
        let validity = i64::from(folder.uid_validity);
        let after = match state {
            Some(s) if s.uid_validity == Some(validity) => s.last_uid.map(|u| u as u32),
            Some(s) if s.uid_validity.is_some() => {
                // Renumbered: look at everything again; stored Message-IDs stop duplicates.
                tracing::warn!(
                    mailbox = key,
                    "UIDVALIDITY changed; reading the folder again"
                );
                let mut tx = self.store.write().await.map_err(|e| store_err(e.into()))?;
                steward_store::imap::restart(&mut tx, key, validity, now_ms())
                    .await
                    .map_err(|e| store_err(e.into()))?;
                tx.commit().await.map_err(|e| store_err(e.into()))?;
                Some(0)
            }
            _ => None,
        };
        let uids = folder.pending(after).await.map_err(|e| e.0)?;
        for uid in uids {
            if let Some(raw) = folder.fetch(uid).await.map_err(|e| e.0)? {
                self.ingest_email(inbox, std::slice::from_ref(&inbox.address), &raw)
                    .await
                    .map_err(store_err)?;
            }
            let mut tx = self.store.write().await.map_err(|e| store_err(e.into()))?;
            steward_store::imap::advance(&mut tx, key, validity, i64::from(uid), now_ms())
                .await
                .map_err(|e| store_err(e.into()))?;
            tx.commit().await.map_err(|e| store_err(e.into()))?;
            folder.mark_seen(uid).await.map_err(|e| e.0)?;
        }
        let mut tx = self.store.write().await.map_err(|e| store_err(e.into()))?;
        steward_store::imap::checked(&mut tx, key, now_ms())
            .await
            .map_err(|e| store_err(e.into()))?;
        tx.commit().await.map_err(|e| store_err(e.into()))?;
        Ok(())
    }

    async fn record_imap_failure(&self, key: &str, error: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        steward_store::imap::failed(&mut tx, key, error, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Reads `mailbox` until `stop` fires, reconnecting with backoff after failures.
pub async fn run_imap(engine: Engine, mailbox: ImapMailbox, stop: CancellationToken) {
    let Some(inbox) = engine.email.inbox_for(&mailbox.inbox) else {
        tracing::error!(inbox = %mailbox.inbox, "IMAP mailbox for an unknown inbox; not read");
        return;
    };
    let key = mailbox.account.key();
    let mut failures = 0u32;
    loop {
        match engine.imap_session(&mailbox, &inbox, &stop).await {
            Ended::Stopped => break,
            Ended::Failed(error) => {
                tracing::warn!(mailbox = %key, %error, "IMAP mailbox failed; retrying");
                if let Err(e) = engine.record_imap_failure(&key, &error).await {
                    tracing::warn!(error = %e, "IMAP status not recorded");
                }
                failures += 1;
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(backoff(failures)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_from_two_seconds_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(4));
        assert_eq!(backoff(0), Duration::from_secs(2));
        assert_eq!(backoff(20), Duration::from_secs(300));
    }
}
