//! `/api/v1/inboxes`: the email inboxes with their settings and each IMAP mailbox's status,
//! adding, changing and removing inboxes (those not set in the config file), and a
//! connection test (admin only). Passwords are never part of an answer.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_engine::email::{
    ConnectionCheck, EmailOverview, ImapInput, Inbox, InboxInput, Security,
};
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
    /// `config` (set in the config file, read-only here) or `workspace` (added by an admin).
    pub source: String,
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
                    source: if i.managed { "workspace" } else { "config" }.into(),
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

/// An IMAP mailbox to read into an inbox.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImapIn {
    pub host: String,
    /// 993 when absent.
    pub port: Option<u16>,
    /// tls (default), starttls or none.
    pub security: Option<String>,
    pub username: String,
    /// Required when adding; when changing, absent keeps the stored one.
    pub password: Option<String>,
    /// INBOX when absent.
    pub folder: Option<String>,
    /// Seconds between checks when the server has no IDLE; 60 when absent.
    pub poll_seconds: Option<u64>,
}

/// An inbox to add or change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxIn {
    /// Ignored when changing (the path names the inbox).
    pub address: Option<String>,
    pub name: String,
    /// New conversations go to this team (by name).
    pub team: Option<String>,
    /// Tell senders their request's number (default true).
    pub acknowledge: Option<bool>,
    /// The acknowledgement; `{number}`, `{subject}` and `{inbox}` are filled in.
    pub acknowledgement: Option<String>,
    pub imap: Option<ImapIn>,
}

fn parse_security(s: Option<&str>) -> Result<Security, crate::error::Problem> {
    match s.unwrap_or("tls") {
        "tls" => Ok(Security::Tls),
        "starttls" => Ok(Security::StartTls),
        "none" => Ok(Security::None),
        _ => Err(crate::error::Problem::invalid(
            "imap.security",
            "must be tls, starttls or none",
        )),
    }
}

impl InboxIn {
    pub fn into_input(self) -> Result<InboxInput, crate::error::Problem> {
        let imap = match self.imap {
            Some(m) => Some(ImapInput {
                security: parse_security(m.security.as_deref())?,
                host: m.host,
                port: m.port.unwrap_or(993),
                username: m.username,
                password: m.password,
                folder: m.folder.unwrap_or_else(|| "INBOX".into()),
                poll_seconds: m.poll_seconds.unwrap_or(60),
            }),
            None => None,
        };
        Ok(InboxInput {
            address: self.address.unwrap_or_default(),
            name: self.name,
            team: self.team,
            acknowledge: self.acknowledge.unwrap_or(true),
            acknowledgement: self.acknowledgement,
            imap,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct SavedInboxOut {
    pub address: String,
    pub name: String,
    pub team: Option<String>,
    pub acknowledge: bool,
}

fn saved(i: Inbox) -> SavedInboxOut {
    SavedInboxOut {
        address: i.address,
        name: i.name,
        team: i.team,
        acknowledge: i.acknowledge,
    }
}

/// Adds an inbox, optionally with an IMAP mailbox to read (admin only).
#[utoipa::path(post, path = "/api/v1/inboxes", request_body = InboxIn, tag = "email",
    responses((status = 201, body = SavedInboxOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create_inbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<InboxIn>,
) -> ApiResult<Response> {
    let inbox = s.engine.create_inbox(&actor, body.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(saved(inbox))).into_response())
}

/// Changes an inbox that was added here (admin only); config-file inboxes answer 409.
#[utoipa::path(put, path = "/api/v1/inboxes/{address}", request_body = InboxIn, tag = "email",
    params(("address" = String, Path, description = "The inbox address")),
    responses((status = 200, body = SavedInboxOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update_inbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(address): ApiPath<String>,
    ApiJson(body): ApiJson<InboxIn>,
) -> ApiResult<Json<SavedInboxOut>> {
    let inbox = s
        .engine
        .update_inbox(&actor, &address, body.into_input()?)
        .await?;
    Ok(Json(saved(inbox)))
}

/// Removes an inbox that was added here (admin only); its conversations stay.
#[utoipa::path(delete, path = "/api/v1/inboxes/{address}", tag = "email",
    params(("address" = String, Path, description = "The inbox address")),
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub async fn delete_inbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(address): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.engine.delete_inbox(&actor, &address).await?;
    Ok(StatusCode::NO_CONTENT)
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
