//! The customer portal's accounts: a customer signs in with a one-time link sent to their email
//! address (no password), and holds a portal session of their own, apart from agents'. Links
//! and sessions are stored only as SHA-256 digests. A link is used once, by one conditional
//! update, and expires after `LINK_TTL_MS`; at most `LINKS_PER_HOUR` go to one address an hour.
//! An address new to us becomes a customer when its link is used, so anyone can open a request.
//!
//! What a signed-in customer may see is decided in `requests.rs` and `profile.rs`: only their
//! own customer record, its conversations' public messages and their attachments.

mod password;
mod profile;
mod requests;
mod solve;
mod survey;

pub use requests::{NewRequest, RequestView};

use crate::accounts::{digest, new_secret};
use crate::email::AutomaticMail;
use crate::intake::{CustomerRef, identify};
use crate::{Engine, EngineError, Result};
use steward_domain::validate;
use steward_store::events::Doer;
use steward_store::portal::{self, Link, NewLink, SIGN_IN};
use steward_store::{customers, now_ms};

/// How long an emailed link works.
pub const LINK_TTL_MS: i64 = 30 * 60 * 1000;
/// How long a portal session lasts.
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// Links one address may be sent in an hour, of each kind.
pub const LINKS_PER_HOUR: i64 = 5;

/// The customer behind a portal request.
#[derive(Debug, Clone)]
pub struct PortalCustomer {
    pub customer_id: i64,
    pub name: String,
    pub email: Option<String>,
}

/// What an emailed link is, when it can still be used.
#[derive(Debug, Clone)]
pub struct LinkInfo {
    pub purpose: String,
    pub email: String,
}

/// A new portal session for the customer; returns its secret (the cookie's value).
pub(super) async fn new_session(
    tx: &mut steward_store::Conn,
    customer_id: i64,
    at: i64,
) -> Result<String> {
    let secret = new_secret("ps_");
    portal::create_session(
        tx,
        &digest(&secret),
        customer_id,
        &new_secret("c_"),
        at,
        at + SESSION_TTL_MS,
    )
    .await?;
    Ok(secret)
}

/// Why a link cannot be used.
fn link_problem(l: Option<&Link>, at: i64) -> Option<EngineError> {
    match l {
        None => Some(EngineError::not_found("sign-in link")),
        Some(l) if l.used_at.is_some() => Some(EngineError::conflict(
            "this link was already used; ask for a new one",
        )),
        Some(l) if l.expires_at <= at => Some(EngineError::conflict(
            "this link has expired; ask for a new one",
        )),
        Some(_) => None,
    }
}

/// Only a portal path on this site may be where a sign-in returns to.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    next.map(str::trim)
        .filter(|n| n.starts_with("/portal") && !n.starts_with("//") && !n.contains('\\'))
        .filter(|n| n.len() <= 300)
        .map(str::to_string)
}

impl Engine {
    /// Mails a sign-in link to `email`. Says nothing about whether the address is known; over
    /// the hourly limit nothing more is sent (the page reads the same). Returns the link's path
    /// when one was queued, for the demo, whose mail never leaves the machine, to show.
    pub async fn portal_send_sign_in(
        &self,
        email: &str,
        next: Option<&str>,
    ) -> Result<Option<String>> {
        let email = validate::email("email", email)?;
        let next = safe_next(next);
        self.send_portal_link(SIGN_IN, &email, None, next.as_deref())
            .await
    }

    pub(super) async fn send_portal_link(
        &self,
        purpose: &str,
        email: &str,
        customer_id: Option<i64>,
        next: Option<&str>,
    ) -> Result<Option<String>> {
        if !self.email.has_inboxes() {
            return Err(EngineError::conflict(
                "no email inbox is set up, so no link can be sent; ask the company to add one",
            ));
        }
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if portal::links_sent(&mut tx, email, purpose, at - 3600 * 1000).await? >= LINKS_PER_HOUR {
            tracing::warn!(
                purpose,
                "portal link not sent: hourly limit for the address"
            );
            return Ok(None);
        }
        let token = new_secret("p_");
        let id = portal::insert_link(
            &mut tx,
            &NewLink {
                token_sha256: &digest(&token),
                purpose,
                email,
                customer_id,
                next_path: next,
                at,
                expires_at: at + LINK_TTL_MS,
            },
        )
        .await?;
        let base = self.email.workspace_url.trim_end_matches('/');
        let (subject, path, intro) = if purpose == SIGN_IN {
            (
                "Your sign-in link",
                "link",
                "Use this link to sign in and follow your requests.",
            )
        } else {
            (
                "Confirm your new email address",
                "email",
                "Use this link to confirm this address for your account.",
            )
        };
        let link_path = format!("/portal/{path}/{token}");
        let link = format!("{base}{link_path}");
        let text = format!(
            "{intro}\n\n{link}\n\nThe link works once, for {} minutes. If you did not ask for it, ignore this mail.\n",
            LINK_TTL_MS / 60_000
        );
        let html = format!(
            "<p>{intro}</p><p><a href=\"{link}\">{subject}</a></p><p style=\"color:#666\">The link works once, for {} minutes. If you did not ask for it, ignore this mail.</p>",
            LINK_TTL_MS / 60_000
        );
        let to = [email.to_string()];
        let mail = AutomaticMail {
            inbox: None,
            from_suffix: "",
            to: &to,
            to_name: None,
            conversation_id: None,
            subject: subject.to_string(),
            text,
            html: Some(html),
            attachments: Vec::new(),
            kind: "portal",
            what: format!("portal.{id}"),
        };
        self.queue_automatic_mail(&mut tx, mail, at).await?;
        tx.commit().await?;
        self.email.outbox_wake.notify_one();
        Ok(Some(link_path))
    }

    /// What link `token` is, if it can still be used (shown before the customer confirms, so
    /// a mail scanner that opens links uses nothing up).
    pub async fn portal_link(&self, token: &str) -> Result<LinkInfo> {
        let mut conn = self.store.pool().acquire().await?;
        let l = portal::link(&mut conn, &digest(token)).await?;
        if let Some(e) = link_problem(l.as_ref(), now_ms()) {
            return Err(e);
        }
        let l = l.ok_or_else(|| EngineError::not_found("sign-in link"))?;
        Ok(LinkInfo {
            purpose: l.purpose,
            email: l.email,
        })
    }

    /// Uses sign-in link `token`: the customer with its address (created if new) gets a new
    /// session. Returns the session's secret and where to go next.
    pub async fn portal_sign_in(&self, token: &str) -> Result<(String, Option<String>)> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let l = portal::link(&mut tx, &digest(token)).await?;
        if let Some(e) = link_problem(l.as_ref(), at) {
            return Err(e);
        }
        let l = l.ok_or_else(|| EngineError::not_found("sign-in link"))?;
        if l.purpose != SIGN_IN || !portal::use_link(&mut tx, l.id, at).await? {
            return Err(EngineError::conflict(
                "this link cannot sign you in; ask for a new one",
            ));
        }
        let customer_ref = CustomerRef {
            email: Some(l.email.clone()),
            ..CustomerRef::default()
        };
        let customer_id = identify(&mut tx, &customer_ref, Doer::System, at).await?;
        let secret = new_session(&mut tx, customer_id, at).await?;
        tx.commit().await?;
        Ok((secret, l.next_path))
    }

    /// The customer and CSRF token of portal session `secret`, while it lasts.
    pub async fn portal_session(&self, secret: &str) -> Result<Option<(PortalCustomer, String)>> {
        let mut conn = self.store.pool().acquire().await?;
        let Some(s) = portal::session(&mut conn, &digest(secret)).await? else {
            return Ok(None);
        };
        if s.expires_at <= now_ms() {
            return Ok(None);
        }
        let Some(c) = customers::get(&mut conn, s.customer_id).await? else {
            return Ok(None);
        };
        Ok(Some((
            PortalCustomer {
                customer_id: c.id,
                name: c.name,
                email: c.email,
            },
            s.csrf,
        )))
    }

    pub async fn portal_sign_out(&self, secret: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        portal::delete_session(&mut tx, &digest(secret)).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn a_sign_in_returns_only_to_a_portal_path() {
        assert_eq!(
            safe_next(Some("/portal/requests/4")).as_deref(),
            Some("/portal/requests/4")
        );
        assert_eq!(safe_next(Some("https://evil.test/portal")), None);
        assert_eq!(safe_next(Some("//evil.test/portal")), None);
        assert_eq!(safe_next(Some("/inbox")), None);
        assert_eq!(safe_next(None), None);
    }
}
