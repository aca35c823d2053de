//! The `[email]` section of the config file: the inboxes, the inbound SMTP listener and the
//! outbound relay.

use serde::Deserialize;
use steward_engine::email::{
    AuthFailure, Authenticator, EmailSettings, ImapAccount, ImapMailbox, Inbox, Relay, Security,
};

#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// The domain in Steward's Message-IDs and SMTP greeting.
    #[serde(default = "default_hostname")]
    pub hostname: String,
    #[serde(default)]
    pub inboxes: Vec<InboxConfig>,
    pub smtp: Option<SmtpConfig>,
    pub relay: Option<RelayConfig>,
    /// IMAP mailboxes read into inboxes.
    #[serde(default)]
    pub imap: Vec<ImapConfig>,
    /// The address agents open Steward at, for links in their notifications
    /// (default: http:// and the bind address).
    #[serde(default)]
    pub workspace_url: Option<String>,
    /// Senders whose mail is refused: addresses (`spam@example.net`) or domains
    /// (`example.net`, with its subdomains).
    #[serde(default)]
    pub blocklist: Vec<String>,
    /// Check SPF, DKIM and DMARC of mail received by SMTP (off without this section).
    pub authentication: Option<AuthConfig>,
    /// Automatic mails (acknowledgements) to one address per hour, at most.
    #[serde(default = "default_auto_replies")]
    pub max_auto_replies_per_hour: i64,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct InboxConfig {
    pub address: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default = "yes")]
    pub acknowledge: bool,
    #[serde(default)]
    pub acknowledgement: Option<String>,
}

/// The inbound SMTP listener.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub bind: String,
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
    /// A PEM certificate chain; with `private_key`, the listener offers STARTTLS.
    #[serde(default)]
    pub certificate: Option<std::path::PathBuf>,
    /// The certificate's PEM private key.
    #[serde(default)]
    pub private_key: Option<std::path::PathBuf>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    pub host: String,
    #[serde(default = "default_relay_port")]
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    #[serde(default = "default_security")]
    pub security: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// `[email.authentication]`: sender checks over DNS.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// A DNS server as IP:PORT; the system's resolver when absent.
    #[serde(default)]
    pub nameserver: Option<String>,
    /// What to do with mail whose sender fails: `flag` (default), `refuse` or `accept`.
    #[serde(default = "default_on_failure")]
    pub on_failure: String,
}

fn default_on_failure() -> String {
    "flag".into()
}

fn auth_failure(s: &str) -> anyhow::Result<AuthFailure> {
    Ok(match s {
        "flag" => AuthFailure::Flag,
        "refuse" => AuthFailure::Refuse,
        "accept" => AuthFailure::Accept,
        other => anyhow::bail!(
            "email.authentication.on_failure '{other}' must be flag, refuse or accept"
        ),
    })
}

/// An IMAP mailbox whose mail goes to one of the inboxes.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    /// The inbox (one of `[[email.inboxes]]`) this mailbox's mail is delivered to.
    pub inbox: String,
    pub host: String,
    #[serde(default = "default_imap_port")]
    pub port: u16,
    /// `tls` (port 993), `starttls` or `none`.
    #[serde(default = "default_imap_security")]
    pub security: String,
    pub username: String,
    pub password: String,
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Seconds between checks when the server has no IDLE.
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
    /// A PEM certificate to trust besides the public roots (private CA or self-signed).
    #[serde(default)]
    pub ca_certificate: Option<std::path::PathBuf>,
}

fn default_imap_port() -> u16 {
    993
}
fn default_imap_security() -> String {
    "tls".into()
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_poll() -> u64 {
    60
}

fn default_hostname() -> String {
    "steward.local".into()
}
fn default_auto_replies() -> i64 {
    5
}
fn yes() -> bool {
    true
}
fn default_max_message() -> usize {
    25 * 1024 * 1024
}
fn default_relay_port() -> u16 {
    25
}
fn default_security() -> String {
    "starttls".into()
}

impl EmailConfig {
    /// Checks what the types cannot, in words a person can act on.
    pub fn check(&self) -> anyhow::Result<()> {
        for i in &self.inboxes {
            let a = i.address.trim();
            if a.split_once('@')
                .is_none_or(|(l, d)| l.is_empty() || d.is_empty() || l.contains('+'))
            {
                anyhow::bail!(
                    "email inbox address '{a}' is not an address like support@example.com (without a +part)"
                );
            }
        }
        if let Some(s) = &self.smtp
            && s.bind.parse::<std::net::SocketAddr>().is_err()
        {
            anyhow::bail!(
                "email.smtp.bind '{}' is not HOST:PORT, like 127.0.0.1:2525",
                s.bind
            );
        }
        if let Some(s) = &self.smtp
            && s.certificate.is_some() != s.private_key.is_some()
        {
            anyhow::bail!(
                "email.smtp needs both certificate and private_key for STARTTLS, or neither"
            );
        }
        if let Some(r) = &self.relay {
            security(&r.security, "email.relay.security")?;
        }
        if let Some(a) = &self.authentication {
            auth_failure(&a.on_failure)?;
            if let Some(ns) = &a.nameserver
                && ns.parse::<std::net::SocketAddr>().is_err()
            {
                anyhow::bail!(
                    "email.authentication.nameserver '{ns}' is not IP:PORT, like 127.0.0.1:53"
                );
            }
        }
        for m in &self.imap {
            security(&m.security, "email.imap.security")?;
            if !self
                .inboxes
                .iter()
                .any(|i| i.address.trim().eq_ignore_ascii_case(m.inbox.trim()))
            {
                anyhow::bail!(
                    "email.imap inbox '{}' is not one of the [[email.inboxes]] addresses",
                    m.inbox
                );
            }
        }
        Ok(())
    }

    pub fn settings(&self) -> anyhow::Result<EmailSettings> {
        let relay = match &self.relay {
            Some(r) => Some(Relay {
                host: r.host.clone(),
                port: r.port,
                security: security(&r.security, "email.relay.security")?,
                username: r.username.clone(),
                password: r.password.clone(),
            }),
            None => None,
        };
        Ok(EmailSettings {
            hostname: self.hostname.clone(),
            inboxes: self
                .inboxes
                .iter()
                .map(|i| Inbox {
                    address: i.address.trim().to_lowercase(),
                    name: i.name.clone().unwrap_or_else(|| i.address.clone()),
                    team: i.team.clone(),
                    acknowledge: i.acknowledge,
                    acknowledgement: i.acknowledgement.clone(),
                })
                .collect(),
            relay,
            smtp_listener: self.smtp.as_ref().map(|s| s.bind.clone()),
            authenticator: match &self.authentication {
                Some(a) => Some(std::sync::Arc::new(
                    match a
                        .nameserver
                        .as_deref()
                        .map(str::parse::<std::net::SocketAddr>)
                    {
                        Some(Ok(addr)) => Authenticator::with_nameserver(addr),
                        Some(Err(_)) => Err(format!(
                            "email.authentication.nameserver {:?} is not IP:PORT",
                            a.nameserver
                        )),
                        None => Authenticator::system(),
                    }
                    .map_err(|e| anyhow::anyhow!("email.authentication: {e}"))?,
                )),
                None => None,
            },
            on_auth_failure: match &self.authentication {
                Some(a) => auth_failure(&a.on_failure)?,
                None => AuthFailure::default(),
            },
            blocklist: self
                .blocklist
                .iter()
                .map(|b| b.trim().trim_start_matches('@').to_lowercase())
                .filter(|b| !b.is_empty())
                .collect(),
            workspace_url: self
                .workspace_url
                .clone()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
            imap: self
                .imap
                .iter()
                .map(|m| {
                    Ok(ImapMailbox {
                        inbox: m.inbox.trim().to_lowercase(),
                        account: ImapAccount {
                            host: m.host.clone(),
                            port: m.port,
                            security: security(&m.security, "email.imap.security")?,
                            username: m.username.clone(),
                            password: m.password.clone(),
                            folder: m.folder.clone(),
                            ca_certificate: m.ca_certificate.clone(),
                        },
                        poll: std::time::Duration::from_secs(m.poll_seconds.max(1)),
                    })
                })
                .collect::<anyhow::Result<_>>()?,
            max_auto_replies_per_hour: self.max_auto_replies_per_hour,
            ..EmailSettings::default()
        })
    }
}

fn security(s: &str, key: &str) -> anyhow::Result<Security> {
    Ok(match s {
        "none" => Security::None,
        "starttls" => Security::StartTls,
        "tls" => Security::Tls,
        other => anyhow::bail!("{key} '{other}' must be none, starttls or tls"),
    })
}
