//! `/api/v1/inboxes`: the email inboxes with their settings and each IMAP mailbox's status,
//! and a connection test (admin only). Passwords are never part of an answer.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use steward_engine::email::{ConnectionCheck, EmailOverview, Security};
use utoipa::ToSchema;

fn security(s: Security) -> String {
    match s {
        Security::None => "none",
        Security::StartTls => "starttls",
        Security::Tls => "tls",
    }
    .into()
}

#[derive(Serialize, ToSchema)]
pub struct MailboxOut {
    pub host: String,
    pub port: u16,
    /// tls, starttls or none.
    pub security: String,
    pub username: String,
    pub folder: String,
    /// ok, error, or null before the first check.
    pub status: Option<String>,
    pub last_error: Option<String>,
    pub checked_at: Option<String>,
    /// Messages taken from this mailbox so far.
    pub received: i64,
}

#[derive(Serialize, ToSchema)]
pub struct InboxOut {
    pub address: String,
    pub name: String,
    pub team: Option<String>,
    pub acknowledge: bool,
    pub imap: Vec<MailboxOut>,
}

#[derive(Serialize, ToSchema)]
pub struct RelayOut {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EmailSetupOut {
    pub inboxes: Vec<InboxOut>,
    /// Where the inbound SMTP listener listens, when it is on.
    pub smtp_listener: Option<String>,
    pub relay: Option<RelayOut>,
}

impl From<EmailOverview> for EmailSetupOut {
    fn from(o: EmailOverview) -> EmailSetupOut {
        EmailSetupOut {
            inboxes: o
                .inboxes
                .into_iter()
                .map(|i| InboxOut {
                    address: i.inbox.address,
                    name: i.inbox.name,
                    team: i.inbox.team,
                    acknowledge: i.inbox.acknowledge,
                    imap: i
                        .mailboxes
                        .into_iter()
                        .map(|m| {
                            let a = m.mailbox.account;
                            MailboxOut {
                                host: a.host,
                                port: a.port,
                                security: security(a.security),
                                username: a.username,
                                folder: a.folder,
                                status: m.state.as_ref().map(|s| s.status.clone()),
                                last_error: m.state.as_ref().and_then(|s| s.last_error.clone()),
                                checked_at: m
                                    .state
                                    .as_ref()
                                    .map(|s| crate::fmt::rfc3339(s.checked_at)),
                                received: m.state.as_ref().map_or(0, |s| s.received),
                            }
                        })
                        .collect(),
                })
                .collect(),
            smtp_listener: o.smtp_listener,
            relay: o.relay.map(|r| RelayOut {
                host: r.host,
                port: r.port,
                security: security(r.security),
                username: r.username,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConnectionCheckOut {
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

impl From<ConnectionCheck> for ConnectionCheckOut {
    fn from(c: ConnectionCheck) -> ConnectionCheckOut {
        ConnectionCheckOut {
            what: c.what,
            ok: c.ok,
            detail: c.detail,
        }
    }
}

/// The email setup: inboxes, their IMAP mailboxes with status, the listener and the relay
/// (admin only).
#[utoipa::path(get, path = "/api/v1/inboxes", tag = "email",
    responses((status = 200, body = EmailSetupOut), (status = 403)))]
pub async fn list_inboxes(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<EmailSetupOut>> {
    Ok(Json(s.engine.email_overview(&actor).await?.into()))
}

/// Connects to the relay and to each IMAP mailbox of an inbox now, and says how it went
/// (admin only).
#[utoipa::path(post, path = "/api/v1/inboxes/{address}/check", tag = "email",
    params(("address" = String, Path, description = "The inbox address")),
    responses((status = 200, body = Vec<ConnectionCheckOut>), (status = 403), (status = 404)))]
pub async fn check_inbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(address): ApiPath<String>,
) -> ApiResult<Json<Vec<ConnectionCheckOut>>> {
    let checks = s.engine.check_inbox_connections(&actor, &address).await?;
    Ok(Json(checks.into_iter().map(Into::into).collect()))
}
