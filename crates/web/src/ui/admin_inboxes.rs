//! The inboxes admin page: each inbox, its IMAP mailboxes with their status and last error,
//! the SMTP listener and the relay, and a "Test connection" button that connects now.

use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use steward_engine::email::{ConnectionCheck, Security};

pub struct MailboxLine {
    pub name: String,
    pub security: &'static str,
    pub status: String,
    pub checked: String,
    pub error: String,
    pub received: i64,
}

pub struct InboxLine {
    pub address: String,
    pub name: String,
    pub team: String,
    pub acknowledge: bool,
    pub mailboxes: Vec<MailboxLine>,
}

#[derive(Template)]
#[template(path = "admin_inboxes.html")]
struct InboxesPage {
    layout: Layout,
    inboxes: Vec<InboxLine>,
    smtp_listener: String,
    relay: String,
    /// The inbox whose connections were just tested, and how it went.
    checked: String,
    checks: Vec<ConnectionCheck>,
}

async fn show(
    s: &AppState,
    agent: &Agent,
    checked: String,
    checks: Vec<ConnectionCheck>,
) -> Result<Response, PageError> {
    let o = s.engine.email_overview(&agent.actor).await?;
    let now = steward_store::now_ms();
    let security = |s: Security| match s {
        Security::None => "plain",
        Security::StartTls => "STARTTLS",
        Security::Tls => "TLS",
    };
    Ok(render(&InboxesPage {
        layout: Layout::new(agent, &s.brand, "admin"),
        inboxes: o
            .inboxes
            .into_iter()
            .map(|i| InboxLine {
                address: i.inbox.address,
                name: i.inbox.name,
                team: i.inbox.team.unwrap_or_default(),
                acknowledge: i.inbox.acknowledge,
                mailboxes: i
                    .mailboxes
                    .into_iter()
                    .map(|m| MailboxLine {
                        name: m.mailbox.account.key(),
                        security: security(m.mailbox.account.security),
                        status: m
                            .state
                            .as_ref()
                            .map_or_else(|| "not checked yet".into(), |s| s.status.clone()),
                        checked: m
                            .state
                            .as_ref()
                            .map(|s| crate::fmt::ago(s.checked_at, now))
                            .unwrap_or_default(),
                        error: m
                            .state
                            .as_ref()
                            .and_then(|s| s.last_error.clone())
                            .unwrap_or_default(),
                        received: m.state.as_ref().map_or(0, |s| s.received),
                    })
                    .collect(),
            })
            .collect(),
        smtp_listener: o.smtp_listener.unwrap_or_default(),
        relay: o
            .relay
            .map(|r| format!("{}:{} ({})", r.host, r.port, security(r.security)))
            .unwrap_or_default(),
        checked,
        checks,
    }))
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    show(&s, &agent, String::new(), Vec::new()).await
}

pub async fn check(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let address = form.get("address").to_string();
    let checks = s
        .engine
        .check_inbox_connections(&agent.actor, &address)
        .await?;
    show(&s, &agent, address.to_lowercase(), checks).await
}
