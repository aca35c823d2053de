//! The inboxes admin page: each inbox, its IMAP mailboxes with their status and last error,
//! the SMTP listener and the relay, a "Test connection" button that connects now, and forms
//! to add, change and remove inboxes (those not set in the config file).

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::routing::Mode;
use steward_engine::email::{ConnectionCheck, ImapInput, InboxInput, Security};
use steward_engine::routing::InboxOperations;

pub struct MailboxLine {
    pub name: String,
    pub security: &'static str,
    pub status: String,
    pub checked: String,
    pub error: String,
    pub received: i64,
}

pub struct InboxLine {
    /// Added here (changeable), not set in the config file.
    pub managed: bool,
    pub acknowledgement: String,
    /// The IMAP mailbox's settings, for the change form (empty without one).
    pub imap_host: String,
    pub imap_port: String,
    pub imap_security: &'static str,
    pub imap_username: String,
    pub imap_folder: String,
    pub address: String,
    pub name: String,
    pub team: String,
    pub acknowledge: bool,
    pub mailboxes: Vec<MailboxLine>,
    /// The calendar its conversations count business hours by, and its routing mode.
    pub calendars: Vec<Choice>,
    pub routing: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_inboxes.html")]
struct InboxesPage {
    layout: Layout,
    tab: &'static str,
    inboxes: Vec<InboxLine>,
    smtp_listener: String,
    relay: String,
    /// The inbox whose connections were just tested, and how it went.
    checked: String,
    checks: Vec<ConnectionCheck>,
    teams: Vec<String>,
}

async fn show(
    s: &AppState,
    agent: &Agent,
    checked: String,
    checks: Vec<ConnectionCheck>,
) -> Result<Response, PageError> {
    let o = s.engine.email_overview(&agent.actor).await?;
    let ops = s.engine.inbox_operations().await?;
    let calendars: Vec<(i64, String)> = s
        .engine
        .calendars()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let settings_of = |address: &str| {
        let o = ops
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(address))
            .map(|(_, o)| o.clone())
            .unwrap_or_default();
        let mut cal = vec![Choice::new(
            "",
            "the team's, or none",
            o.calendar_id.is_none(),
        )];
        cal.extend(
            calendars
                .iter()
                .map(|(id, n)| Choice::new(id, n, o.calendar_id == Some(*id))),
        );
        let mut routing = vec![Choice::new("", "as its team routes", o.routing.is_none())];
        routing.extend(
            Mode::ALL
                .iter()
                .map(|m| Choice::new(m, m.as_str().replace('_', " "), o.routing == Some(*m))),
        );
        (cal, routing)
    };
    let now = steward_store::now_ms();
    let security = |s: Security| match s {
        Security::None => "plain",
        Security::StartTls => "STARTTLS",
        Security::Tls => "TLS",
    };
    Ok(render(&InboxesPage {
        layout: Layout::new(agent, &s.brand, "admin"),
        tab: "inboxes",
        inboxes: o
            .inboxes
            .into_iter()
            .map(|i| {
                let (calendars, routing) = settings_of(&i.inbox.address);
                InboxLine {
                    calendars,
                    routing,
                    managed: i.managed,
                    acknowledgement: i.inbox.acknowledgement.clone().unwrap_or_default(),
                    imap_host: i
                        .mailboxes
                        .first()
                        .map(|m| m.mailbox.account.host.clone())
                        .unwrap_or_default(),
                    imap_port: i
                        .mailboxes
                        .first()
                        .map(|m| m.mailbox.account.port.to_string())
                        .unwrap_or_else(|| "993".into()),
                    imap_security: match i.mailboxes.first().map(|m| m.mailbox.account.security) {
                        Some(Security::None) => "none",
                        Some(Security::StartTls) => "starttls",
                        _ => "tls",
                    },
                    imap_username: i
                        .mailboxes
                        .first()
                        .map(|m| m.mailbox.account.username.clone())
                        .unwrap_or_default(),
                    imap_folder: i
                        .mailboxes
                        .first()
                        .map(|m| m.mailbox.account.folder.clone())
                        .unwrap_or_else(|| "INBOX".into()),
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
                }
            })
            .collect(),
        smtp_listener: o.smtp_listener.unwrap_or_default(),
        relay: o
            .relay
            .map(|r| format!("{}:{} ({})", r.host, r.port, security(r.security)))
            .unwrap_or_default(),
        checked,
        checks,
        teams: s
            .engine
            .teams()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
    }))
}

/// The inbox the add or change form describes.
fn input(form: &FormData) -> Result<InboxInput, PageError> {
    let host = form.get("imap_host").trim();
    let imap = if host.is_empty() {
        None
    } else {
        Some(ImapInput {
            host: host.to_string(),
            port: form.get("imap_port").trim().parse().map_err(|_| {
                PageError(crate::error::Problem::invalid(
                    "imap_port",
                    "the IMAP port is a number, like 993",
                ))
            })?,
            security: match form.get("imap_security") {
                "none" => Security::None,
                "starttls" => Security::StartTls,
                _ => Security::Tls,
            },
            username: form.get("imap_username").to_string(),
            password: Some(form.get("imap_password").to_string()).filter(|p| !p.is_empty()),
            folder: form.get("imap_folder").to_string(),
            poll_seconds: 60,
        })
    };
    Ok(InboxInput {
        address: form.get("address").to_string(),
        name: form.get("name").to_string(),
        team: Some(form.get("team").to_string()).filter(|t| !t.is_empty()),
        acknowledge: form.get("acknowledge") == "on",
        acknowledgement: Some(form.get("acknowledgement").to_string()),
        imap,
    })
}

/// Adds an inbox, or changes one (`action=update`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let inbox = input(&form)?;
    if form.get("action") == "update" {
        let address = inbox.address.clone();
        s.engine.update_inbox(&agent.actor, &address, inbox).await?;
    } else {
        s.engine.create_inbox(&agent.actor, inbox).await?;
    }
    Ok(Redirect::to("/admin/inboxes").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .delete_inbox(&agent.actor, form.get("address"))
        .await?;
    Ok(Redirect::to("/admin/inboxes").into_response())
}

/// Sets an inbox's calendar and routing mode (config-file inboxes too).
pub async fn settings(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let ops = InboxOperations {
        calendar_id: form.id("calendar")?,
        routing: form
            .opt("routing")
            .filter(|m| !m.is_empty())
            .map(Mode::parse)
            .transpose()?,
    };
    s.engine
        .set_inbox_operations(&agent.actor, form.get("address"), ops)
        .await?;
    Ok(Redirect::to("/admin/inboxes").into_response())
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
