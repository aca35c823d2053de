//! Webhooks: admins subscribe a URL to events; each event in the log is fanned out to the
//! webhooks that want it (`fanout`), and each delivery is a scheduler job that signs the
//! payload and posts it, retrying with backoff and logging every attempt (`deliver`). URLs
//! that point inside (loopback, private, link-local) are refused at save time and again when
//! sending, unless the operator allows them (`target`).

mod deliver;
mod fanout;
mod target;

use crate::directory::log;
use crate::{Engine, EngineError, Result, scheduler};
use base64::Engine as _;
pub use deliver::sign;
pub(crate) use fanout::rfc3339;
pub use fanout::run_webhook_fanout;
use serde_json::json;
use std::time::Duration;
use steward_domain::{Actor, validate};
use steward_store::webhooks::{self, Delivery, Webhook, WebhookInput};
use steward_store::{Conn, now_ms};
pub(crate) use target::client;

/// The events a webhook may subscribe to (or `*` for all of them).
pub const EVENTS: &[&str] = &[
    "conversation.created",
    "message.created",
    "status.changed",
    "priority.changed",
    "assignee.changed",
    "team.changed",
    "tags.changed",
    "subject.changed",
    "custom_fields.changed",
    "followers.changed",
    "conversation.merged",
    "conversation.transferred",
    "customer.created",
    "customer.updated",
    "sla.warning",
    "sla.breached",
    "sla.escalated",
    "automation.applied",
    "csat.rated",
    "nps.answered",
];

/// How webhooks are sent on this server.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow URLs on loopback and private networks (off by default).
    pub allow_internal: bool,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i64,
    /// The wait before the first retry; it doubles for each one after, up to an hour.
    pub first_retry_ms: i64,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            allow_internal: false,
            max_attempts: 8,
            first_retry_ms: 30_000,
            timeout: Duration::from_secs(10),
        }
    }
}

/// What an admin sets on a webhook.
#[derive(Debug, Clone)]
pub struct WebhookChange {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub active: bool,
}

fn new_secret() -> String {
    let key: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

fn check_events(events: &[String]) -> Result<String> {
    if events.is_empty() {
        return Err(EngineError::invalid(
            "events",
            "choose at least one event, or * for all",
        ));
    }
    let mut out: Vec<&str> = Vec::new();
    for e in events {
        let e = e.trim();
        if e != "*" && !EVENTS.contains(&e) {
            return Err(EngineError::invalid(
                "events",
                format!(
                    "{e:?} is not an event; the events are {}",
                    EVENTS.join(", ")
                ),
            ));
        }
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(json!(out).to_string())
}

async fn saved(conn: &mut Conn, id: i64) -> Result<Webhook> {
    webhooks::get(conn, id)
        .await?
        .ok_or_else(|| EngineError::not_found("webhook"))
}

impl Engine {
    async fn check_webhook(&self, w: &WebhookChange) -> Result<(String, String, String)> {
        let url = self.check_target(w.url.trim()).await?;
        let description = validate::bounded("description", &w.description, 500)?;
        Ok((url, description, check_events(&w.events)?))
    }

    pub async fn webhooks(&self, by: &Actor) -> Result<Vec<Webhook>> {
        by.may_administer()?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(webhooks::list(&mut conn).await?)
    }

    pub async fn webhook(&self, by: &Actor, id: i64) -> Result<Webhook> {
        by.may_administer()?;
        let mut conn = self.store.pool().acquire().await?;
        saved(&mut conn, id).await
    }

    /// Adds a webhook with a new signing secret.
    pub async fn create_webhook(&self, by: &Actor, w: &WebhookChange) -> Result<Webhook> {
        by.may_administer()?;
        let (url, description, events) = self.check_webhook(w).await?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let input = WebhookInput {
            url: &url,
            description: &description,
            events: &events,
            active: w.active,
        };
        let id = webhooks::insert(&mut tx, &input, &new_secret(), by.user_id, at).await?;
        log(
            &mut tx,
            Some(by),
            "webhook",
            id,
            "webhook.created",
            json!({"after": {"url": url, "events": w.events, "active": w.active}}),
            at,
        )
        .await?;
        let hook = saved(&mut tx, id).await?;
        tx.commit().await?;
        Ok(hook)
    }

    pub async fn update_webhook(&self, by: &Actor, id: i64, w: &WebhookChange) -> Result<Webhook> {
        by.may_administer()?;
        let (url, description, events) = self.check_webhook(w).await?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = saved(&mut tx, id).await?;
        let input = WebhookInput {
            url: &url,
            description: &description,
            events: &events,
            active: w.active,
        };
        webhooks::update(&mut tx, id, &input, at).await?;
        log(
            &mut tx,
            Some(by),
            "webhook",
            id,
            "webhook.updated",
            json!({"before": {"url": before.url, "events": before.event_list(), "active": before.is_active()},
                   "after": {"url": url, "events": w.events, "active": w.active}}),
            at,
        )
        .await?;
        let hook = saved(&mut tx, id).await?;
        tx.commit().await?;
        Ok(hook)
    }

    /// Removes a webhook and its delivery log; deliveries not yet made are dropped.
    pub async fn delete_webhook(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = saved(&mut tx, id).await?;
        webhooks::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "webhook",
            id,
            "webhook.deleted",
            json!({"before": {"url": before.url}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A webhook's delivery log, newest first.
    pub async fn webhook_deliveries(
        &self,
        by: &Actor,
        id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        by.may_administer()?;
        let mut conn = self.store.pool().acquire().await?;
        saved(&mut conn, id).await?;
        Ok(webhooks::deliveries(&mut conn, id, before, limit.clamp(1, 200)).await?)
    }

    /// Queues a delivery to be sent now.
    async fn queue_delivery(&self, tx: &mut Conn, delivery_id: i64) -> Result<()> {
        scheduler::schedule(
            tx,
            "webhook.deliver",
            Some(&format!("webhook.delivery:{delivery_id}")),
            &json!({"delivery": delivery_id}),
            now_ms(),
        )
        .await
    }

    /// Sends a delivery again (the same payload and id, so the receiver can tell).
    pub async fn redeliver(
        &self,
        by: &Actor,
        webhook_id: i64,
        delivery_id: i64,
    ) -> Result<Delivery> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let d = webhooks::delivery(&mut tx, delivery_id)
            .await?
            .filter(|d| d.webhook_id == webhook_id)
            .ok_or_else(|| EngineError::not_found("delivery"))?;
        webhooks::reset_delivery(&mut tx, d.id, at).await?;
        self.queue_delivery(&mut tx, d.id).await?;
        let d = webhooks::delivery(&mut tx, d.id)
            .await?
            .ok_or_else(|| EngineError::not_found("delivery"))?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(d)
    }

    /// Sends a `ping` event to check that the receiver answers.
    pub async fn ping_webhook(&self, by: &Actor, id: i64) -> Result<Delivery> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        saved(&mut tx, id).await?;
        let payload = json!({
            "event": "ping",
            "occurred_at": fanout::rfc3339(at),
            "webhook_id": id,
        });
        let d =
            webhooks::insert_delivery(&mut tx, id, None, "ping", &payload.to_string(), at).await?;
        self.queue_delivery(&mut tx, d).await?;
        let d = webhooks::delivery(&mut tx, d)
            .await?
            .ok_or_else(|| EngineError::not_found("delivery"))?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(d)
    }
}
