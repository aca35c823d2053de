//! Email as a channel, on the engine's side: inboxes and their settings, turning inbound mail
//! into conversations and messages (`ingest`), the SMTP listener's sink (`smtp`), and the
//! durable outbox that sends agents' replies and acknowledgements through the relay
//! (`outbox`). Parsing, threading clues and SMTP itself live in `steward_channels`.

mod copies;
mod imap;
mod ingest;
mod notify;
mod outbox;
mod overview;
mod smtp;

pub use imap::{ImapMailbox, run_imap};
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
    pub inboxes: Vec<Inbox>,
    pub relay: Option<Relay>,
    /// IMAP mailboxes read into inboxes.
    pub imap: Vec<ImapMailbox>,
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

    /// The inbox `address` is for: the inbox itself or its plus-address.
    pub fn inbox_for(&self, address: &str) -> Option<&Inbox> {
        self.inboxes
            .iter()
            .find(|i| steward_channels::email::thread::is_inbox_address(address, &i.address))
    }
}

/// The default acknowledgement.
pub const DEFAULT_ACKNOWLEDGEMENT: &str = "Thank you for writing to {inbox}.\n\n\
Your request \"{subject}\" has number #{number}. We will answer as soon as we can; to add \
anything, simply reply to this email.";
