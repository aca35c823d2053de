//! Email as a channel, on the engine's side: inboxes and their settings, turning inbound mail
//! into conversations and messages (`ingest`), the SMTP listener's sink (`smtp`), and the
//! durable outbox that sends agents' replies and acknowledgements through the relay
//! (`outbox`). Parsing, threading clues and SMTP itself live in `steward_channels`.

pub(crate) mod automatic;
mod copies;
mod imap;
mod inboxes;
mod ingest;
mod notify;
mod outbox;
mod overview;
mod smtp;
mod survey;

pub(crate) use automatic::AutomaticMail;
pub(crate) use survey::{SurveyMail, html_escape};

pub use imap::{ImapMailbox, run_imap};
pub use inboxes::{ImapInput, InboxInput, run_imap_supervisor};
pub use ingest::Ingested;
pub use notify::NotificationPrefs;
pub use outbox::run_outbox;
pub use overview::{ConnectionCheck, EmailOverview, InboxOverview, MailboxOverview};
pub use smtp::SmtpIntake;
pub use steward_channels::email::auth::{AuthResults, Authenticator};
pub use steward_channels::email::imap::ImapAccount;
pub use steward_channels::email::outbound::{Relay, Security};

/// A support address. Mail to it (or to it with a `+token`) becomes conversations.
#[derive(Debug, Clone)]
pub struct Inbox {
    /// Lower case.
    pub address: String,
    /// The name mail from this inbox is sent under.
    pub name: String,
    /// The team new conversations go to, by name.
    pub team: Option<String>,
    /// Whether a new conversation's sender gets an acknowledgement with its number.
    pub acknowledge: bool,
    /// The acknowledgement's text; `{number}`, `{subject}` and `{inbox}` are filled in.
    pub acknowledgement: Option<String>,
}

/// What happens to mail whose sender fails authentication (DMARC, or SPF without DMARC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthFailure {
    /// Stored as any other mail; the results are still recorded.
    Accept,
    /// Stored, and marked in the workspace as possibly forged.
    #[default]
    Flag,
    /// Refused at the end of DATA (550), never stored.
    Refuse,
}

/// Email settings; empty (no inboxes) when email is not set up.
#[derive(Debug, Default)]
pub struct EmailSettings {
    /// The domain of Steward's own Message-IDs.
    pub hostname: String,
    /// Inboxes from the config file.
    pub inboxes: Vec<Inbox>,
    pub relay: Option<Relay>,
    /// IMAP mailboxes from the config file.
    pub imap: Vec<ImapMailbox>,
    /// Inboxes (and their IMAP mailboxes) that admins added in the workspace or API, as
    /// last loaded from the database.
    pub managed: std::sync::RwLock<Managed>,
    /// Wakes the IMAP supervisor when the mailboxes to read change.
    pub imap_changed: tokio::sync::Notify,
    /// Where the inbound SMTP listener is configured to listen, if anywhere.
    pub smtp_listener: Option<String>,
    /// The workspace's address, for links in agents' notifications (no trailing slash).
    pub workspace_url: String,
    /// Senders whose mail is refused: whole addresses, or domains (with their subdomains).
    /// Lower case.
    pub blocklist: Vec<String>,
    /// Checks SPF, DKIM and DMARC of mail received by SMTP, when set.
    pub authenticator: Option<std::sync::Arc<Authenticator>>,
    /// What happens to mail whose sender could not be verified.
    pub on_auth_failure: AuthFailure,
    /// At most this many automatic mails (acknowledgements) to one address an hour.
    pub max_auto_replies_per_hour: i64,
    /// Wakes the outbox worker when a reply is queued.
    pub outbox_wake: tokio::sync::Notify,
}

impl EmailSettings {
    /// Whether mail from `address` is refused by the blocklist.
    pub fn is_blocked(&self, address: &str) -> bool {
        let address = address.trim().to_lowercase();
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
        self.blocklist.iter().any(|entry| {
            if entry.contains('@') {
                *entry == address
            } else {
                domain == entry || domain.ends_with(&format!(".{entry}"))
            }
        })
    }

    fn read_managed(&self) -> std::sync::RwLockReadGuard<'_, Managed> {
        self.managed.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Every inbox: the config file's, then those added by admins.
    pub fn all_inboxes(&self) -> Vec<Inbox> {
        let mut all = self.inboxes.clone();
        all.extend(self.read_managed().inboxes.iter().cloned());
        all
    }

    /// The address of every inbox, lower case.
    pub fn addresses(&self) -> Vec<String> {
        self.all_inboxes()
            .into_iter()
            .map(|i| i.address.to_lowercase())
            .collect()
    }

    pub fn has_inboxes(&self) -> bool {
        !self.inboxes.is_empty() || !self.read_managed().inboxes.is_empty()
    }

    /// Every IMAP mailbox to read: the config file's, then those added by admins.
    pub fn all_imap(&self) -> Vec<ImapMailbox> {
        let mut all = self.imap.clone();
        all.extend(self.read_managed().imap.iter().cloned());
        all
    }

    /// Whether inbox `address` was added by an admin (and so may be changed there).
    pub fn is_managed(&self, address: &str) -> bool {
        self.read_managed()
            .inboxes
            .iter()
            .any(|i| i.address.eq_ignore_ascii_case(address))
    }

    /// The inbox `address` is for: the inbox itself or its plus-address.
    pub fn inbox_for(&self, address: &str) -> Option<Inbox> {
        let is_for =
            |i: &&Inbox| steward_channels::email::thread::is_inbox_address(address, &i.address);
        if let Some(i) = self.inboxes.iter().find(is_for) {
            return Some(i.clone());
        }
        self.read_managed().inboxes.iter().find(is_for).cloned()
    }
}

/// The inboxes and IMAP mailboxes admins added, loaded from the database.
#[derive(Debug, Default, Clone)]
pub struct Managed {
    pub inboxes: Vec<Inbox>,
    pub imap: Vec<ImapMailbox>,
}

/// The default acknowledgement.
pub const DEFAULT_ACKNOWLEDGEMENT: &str = "Thank you for writing to {inbox}.\n\n\
Your request \"{subject}\" has number #{number}. We will answer as soon as we can; to add \
anything, simply reply to this email.";
