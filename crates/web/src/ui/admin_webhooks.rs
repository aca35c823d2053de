//! The webhooks admin page: each webhook with its events, its signing secret and its latest
//! deliveries (status, attempts, the receiver's answer), with forms to add, change, pause,
//! remove, ping and redeliver.

use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_engine::webhooks::{EVENTS, WebhookChange};

pub struct DeliveryLine {
    pub id: i64,
    pub when: String,
    pub event: String,
    pub status: String,
    pub attempts: i64,
    pub answer: String,
}

pub struct EventChoice {
    pub name: &'static str,
    pub checked: bool,
}

pub struct WebhookLine {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub active: bool,
    pub all_events: bool,
    pub events: Vec<EventChoice>,
    pub secret: String,
    pub deliveries: Vec<DeliveryLine>,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    tab: &'static str,
    webhooks: Vec<WebhookLine>,
    events: Vec<EventChoice>,
}

fn choices(selected: &[String]) -> Vec<EventChoice> {
    EVENTS
        .iter()
        .map(|name| EventChoice {
            name,
            checked: selected.iter().any(|s| s == name),
        })
        .collect()
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    let now = steward_store::now_ms();
    let mut webhooks = Vec::new();
    for w in s.engine.webhooks(&agent.actor).await? {
        let selected = w.event_list();
        let deliveries = s
            .engine
            .webhook_deliveries(&agent.actor, w.id, None, 10)
            .await?
            .into_iter()
            .map(|d| DeliveryLine {
                id: d.id,
                when: crate::fmt::ago(d.updated_at, now),
                event: d.event,
                status: d.status,
                attempts: d.attempts,
                answer: match (d.response_status, d.last_error) {
                    (_, Some(e)) => e,
                    (Some(code), None) => code.to_string(),
                    (None, None) => String::new(),
                },
            })
            .collect();
        webhooks.push(WebhookLine {
            all_events: selected.iter().any(|e| e == "*"),
            events: choices(&selected),
            active: w.is_active(),
            id: w.id,
            url: w.url,
            description: w.description,
            secret: w.secret,
            deliveries,
        });
    }
    Ok(render(&WebhooksPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "webhooks",
        webhooks,
        events: choices(&[]),
    }))
}

/// Adds a webhook, or changes one (with `id`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let mut events: Vec<String> = form.all("events").into_iter().map(str::to_string).collect();
    if form.get("all_events") == "on" {
        events = vec!["*".into()];
    }
    let change = WebhookChange {
        url: form.get("url").to_string(),
        description: form.get("description").to_string(),
        events,
        active: form.get("active") != "off",
    };
    match form.id("id")? {
        Some(id) => {
            s.engine.update_webhook(&agent.actor, id, &change).await?;
        }
        None => {
            s.engine.create_webhook(&agent.actor, &change).await?;
        }
    }
    Ok(Redirect::to("/admin/webhooks").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .delete_webhook(&agent.actor, form.required_id("id")?)
        .await?;
    Ok(Redirect::to("/admin/webhooks").into_response())
}

pub async fn ping(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .ping_webhook(&agent.actor, form.required_id("id")?)
        .await?;
    Ok(Redirect::to("/admin/webhooks").into_response())
}

pub async fn redeliver(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .redeliver(
            &agent.actor,
            form.required_id("id")?,
            form.required_id("delivery")?,
        )
        .await?;
    Ok(Redirect::to("/admin/webhooks").into_response())
}
