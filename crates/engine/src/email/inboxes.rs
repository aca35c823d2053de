//! Inboxes that admins add, change and remove in the workspace or API, each with an optional
//! IMAP mailbox. They live in the database next to the config file's inboxes (which stay as
//! the file says); every change reloads them and tells the IMAP supervisor, which starts and
//! stops the mailbox readers to match.

use super::{ImapMailbox, Inbox, Managed, Security};
use crate::directory::log;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use std::time::Duration;
use steward_channels::email::imap::ImapAccount;
use steward_domain::{Actor, validate};
use steward_store::inboxes::{self, InboxRow};
use steward_store::now_ms;
use tokio_util::sync::CancellationToken;

/// An IMAP mailbox as an admin enters it. A missing password on a change keeps the old one.
#[derive(Debug, Clone, Default)]
pub struct ImapInput {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: Option<String>,
    pub folder: String,
    pub poll_seconds: u64,
}

/// An inbox as an admin enters it.
#[derive(Debug, Clone, Default)]
pub struct InboxInput {
    pub address: String,
    pub name: String,
    pub team: Option<String>,
    pub acknowledge: bool,
    pub acknowledgement: Option<String>,
    pub imap: Option<ImapInput>,
}

fn security_word(s: Security) -> &'static str {
    match s {
        Security::None => "none",
        Security::StartTls => "starttls",
        Security::Tls => "tls",
    }
}

fn security_of(s: Option<&str>) -> Security {
    match s {
        Some("none") => Security::None,
        Some("starttls") => Security::StartTls,
        _ => Security::Tls,
    }
}

fn from_row(r: &InboxRow) -> (Inbox, Option<ImapMailbox>) {
    let inbox = Inbox {
        address: r.address.clone(),
        name: r.name.clone(),
        team: r.team.clone(),
        acknowledge: r.acknowledge != 0,
        acknowledgement: r.acknowledgement.clone(),
    };
    let imap = r.imap_host.as_ref().map(|host| ImapMailbox {
        inbox: r.address.clone(),
        account: ImapAccount {
            host: host.clone(),
            port: r.imap_port.unwrap_or(993) as u16,
            security: security_of(r.imap_security.as_deref()),
            username: r.imap_username.clone().unwrap_or_default(),
            password: r.imap_password.clone().unwrap_or_default(),
            folder: r.imap_folder.clone().unwrap_or_else(|| "INBOX".into()),
            ca_certificate: None,
        },
        poll: Duration::from_secs(r.imap_poll_seconds.unwrap_or(60).max(1) as u64),
    });
    (inbox, imap)
}

impl Engine {
    /// Loads the admins' inboxes from the database and tells the IMAP supervisor.
    pub async fn load_managed_inboxes(&self) -> Result<()> {
        let rows = {
            let mut conn = self.store.pool().acquire().await?;
            inboxes::list(&mut conn).await?
        };
        let mut managed = Managed::default();
        for r in &rows {
            let (inbox, imap) = from_row(r);
            managed.inboxes.push(inbox);
            managed.imap.extend(imap);
        }
        *self
            .email
            .managed
            .write()
            .unwrap_or_else(|e| e.into_inner()) = managed;
        self.email.imap_changed.notify_one();
        Ok(())
    }

    /// Adds an inbox (admin only).
    pub async fn create_inbox(&self, by: &Actor, input: InboxInput) -> Result<Inbox> {
        self.save_inbox(by, input, false).await
    }

    /// Changes an inbox an admin added (admin only); the address stays.
    pub async fn update_inbox(
        &self,
        by: &Actor,
        address: &str,
        mut input: InboxInput,
    ) -> Result<Inbox> {
        input.address = address.to_string();
        self.save_inbox(by, input, true).await
    }

    async fn save_inbox(&self, by: &Actor, input: InboxInput, existing: bool) -> Result<Inbox> {
        by.may_administer()?;
        let address = validate::email("address", &input.address)?;
        if address.split('@').next().is_some_and(|l| l.contains('+')) {
            return Err(EngineError::invalid(
                "address",
                "an inbox address has no +part (Steward adds one for replies)",
            ));
        }
        if self.email.inboxes.iter().any(|i| i.address == address) {
            return Err(EngineError::conflict(
                "this inbox is set in the config file; change it there",
            ));
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(EngineError::invalid(
                "name",
                "give a name of 1 to 200 characters",
            ));
        }
        let team = input
            .team
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if let Some(t) = &team
            && self.team_id_by_name(t).await?.is_none()
        {
            return Err(EngineError::invalid(
                "team",
                format!("there is no team {t}"),
            ));
        }
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = inboxes::get(&mut tx, &address).await?;
        match (&before, existing) {
            (Some(_), false) => {
                return Err(EngineError::conflict(format!(
                    "there is already an inbox {address}"
                )));
            }
            (None, true) => return Err(EngineError::not_found("inbox")),
            _ => {}
        }
        let mut row = InboxRow {
            address: address.clone(),
            name: name.to_string(),
            team,
            acknowledge: i64::from(input.acknowledge),
            acknowledgement: input
                .acknowledgement
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty()),
            ..InboxRow::default()
        };
        if let Some(m) = input.imap {
            if m.host.trim().is_empty() || m.username.trim().is_empty() {
                return Err(EngineError::invalid(
                    "imap",
                    "an IMAP mailbox needs a host and a user name",
                ));
            }
            let password = match m.password.filter(|p| !p.is_empty()) {
                Some(p) => p,
                None => before
                    .as_ref()
                    .and_then(|b| b.imap_password.clone())
                    .ok_or_else(|| {
                        EngineError::invalid("imap.password", "give the mailbox's password")
                    })?,
            };
            row.imap_host = Some(m.host.trim().to_string());
            row.imap_port = Some(i64::from(if m.port == 0 { 993 } else { m.port }));
            row.imap_security = Some(security_word(m.security).to_string());
            row.imap_username = Some(m.username.trim().to_string());
            row.imap_password = Some(password);
            row.imap_folder = Some(if m.folder.trim().is_empty() {
                "INBOX".into()
            } else {
                m.folder.trim().to_string()
            });
            row.imap_poll_seconds = Some(m.poll_seconds.clamp(1, 86_400) as i64);
        }
        let id = inboxes::save(&mut tx, &row, at).await?;
        let summary = |r: &InboxRow| {
            json!({"address": r.address, "name": r.name, "team": r.team, "acknowledge": r.acknowledge != 0,
                   "imap": r.imap_host.as_ref().map(|h| format!("{}@{h}:{}", r.imap_username.clone().unwrap_or_default(), r.imap_port.unwrap_or(0)))})
        };
        log(
            &mut tx,
            Some(by),
            "inbox",
            id,
            if existing {
                "inbox.updated"
            } else {
                "inbox.created"
            },
            json!({"before": before.as_ref().map(summary), "after": summary(&row)}),
            at,
        )
        .await?;
        tx.commit().await?;
        self.load_managed_inboxes().await?;
        Ok(from_row(&row).0)
    }

    /// Removes an inbox an admin added (admin only). Its conversations stay.
    pub async fn delete_inbox(&self, by: &Actor, address: &str) -> Result<()> {
        by.may_administer()?;
        let address = address.trim().to_lowercase();
        if self.email.inboxes.iter().any(|i| i.address == address) {
            return Err(EngineError::conflict(
                "this inbox is set in the config file; remove it there",
            ));
        }
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let Some(before) = inboxes::get(&mut tx, &address).await? else {
            return Err(EngineError::not_found("inbox"));
        };
        inboxes::delete(&mut tx, &address).await?;
        log(
            &mut tx,
            Some(by),
            "inbox",
            before.id,
            "inbox.deleted",
            json!({"before": {"address": before.address}}),
            at,
        )
        .await?;
        tx.commit().await?;
        self.load_managed_inboxes().await
    }
}

/// Keeps one reader running for every IMAP mailbox (the config file's and the admins'),
/// starting and stopping readers when the admins' change, until `stop` fires.
pub async fn run_imap_supervisor(engine: Engine, stop: CancellationToken) {
    let mut running: Vec<(ImapMailbox, CancellationToken)> = Vec::new();
    loop {
        let wanted = engine.email.all_imap();
        running.retain(|(m, token)| {
            let keep = wanted.contains(m);
            if !keep {
                token.cancel();
            }
            keep
        });
        for w in wanted {
            if !running.iter().any(|(m, _)| *m == w) {
                let token = stop.child_token();
                tokio::spawn(super::run_imap(engine.clone(), w.clone(), token.clone()));
                running.push((w, token));
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = engine.email.imap_changed.notified() => {}
        }
    }
}
