//! Steward's use cases. Every change a person or a channel asks for comes through here:
//! validated by the domain's rules, authorized by the domain's policy, written with its events
//! in one transaction, then announced on the live bus.
//!
//! It must not render HTML or JSON for people: the web crate does that.

pub mod accounts;
pub mod automations;
pub mod bot;
pub mod branding;
pub mod calendars;
pub mod chat;
pub mod conversation;
pub mod csat;
pub mod deflection;
pub mod directory;
pub mod email;
pub mod error;
pub mod export;
pub mod feedback;
pub mod forms;
pub mod intake;
pub mod kb;
pub mod kb_files;
pub mod kb_history;
pub mod kb_review;
pub mod kb_translations;
pub mod live;
pub mod macros;
pub mod nps;
pub mod portal;
pub mod report_schedules;
pub mod reports;
pub mod routing;
pub mod sanitize;
pub mod scheduler;
pub mod sla;
pub mod tasks;
pub mod webhooks;

pub use error::{EngineError, Result};
use steward_store::Store;

/// Limits that protect the server and the disk.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_attachment_bytes: usize,
    pub max_attachments_per_message: usize,
    /// An online or away agent unseen for this long (no workspace page open) goes offline.
    pub offline_after_ms: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_attachment_bytes: 10 * 1024 * 1024,
            max_attachments_per_message: 20,
            offline_after_ms: 120_000,
        }
    }
}

/// Views per article waiting to be written, and when views were last written.
type KbViews = (
    std::collections::HashMap<i64, i64>,
    Option<std::time::Instant>,
);

/// The engine: the store, the live bus and the limits, shared by every request.
#[derive(Debug, Clone)]
pub struct Engine {
    pub store: Store,
    pub bus: live::Bus,
    pub limits: Limits,
    /// Inboxes and the relay; empty when email is not set up.
    pub email: std::sync::Arc<email::EmailSettings>,
    /// This node's job worker: its name and its wake-up bell.
    pub scheduler: scheduler::Scheduler,
    pub webhook_settings: std::sync::Arc<webhooks::WebhookSettings>,
    webhook_client: reqwest::Client,
    /// Parsed SLA policies and calendars, while their version stands.
    sla_cache: std::sync::Arc<sla::Cache>,
    /// Help-center views not yet written, and when they last were.
    kb_views: std::sync::Arc<std::sync::Mutex<KbViews>>,
    /// Whether the answer bot answers chats, and when that was read (checked per message).
    bot_chat_cache: std::sync::Arc<std::sync::Mutex<Option<(std::time::Instant, bool)>>>,
    /// This node's copy of the branding, and when it was read.
    branding_cache: std::sync::Arc<branding::Cached>,
    /// The automated chat responder, once installed.
    chat_responder: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<dyn chat::ChatResponder>>>,
}

impl Engine {
    pub fn new(store: Store, limits: Limits) -> Engine {
        Engine {
            store,
            bus: live::Bus::new(),
            limits,
            email: Default::default(),
            scheduler: Default::default(),
            webhook_client: webhooks::client(&webhooks::WebhookSettings::default()),
            webhook_settings: Default::default(),
            sla_cache: Default::default(),
            chat_responder: Default::default(),
            kb_views: Default::default(),
            branding_cache: Default::default(),
            bot_chat_cache: Default::default(),
        }
    }

    /// The same engine with these webhook settings.
    pub fn with_webhooks(mut self, settings: webhooks::WebhookSettings) -> Engine {
        self.webhook_client = webhooks::client(&settings);
        self.webhook_settings = std::sync::Arc::new(settings);
        self
    }

    /// The same engine with email set up.
    pub fn with_email(mut self, settings: email::EmailSettings) -> Engine {
        self.email = std::sync::Arc::new(settings);
        self
    }
}
