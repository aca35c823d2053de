//! The signed-in agent's own settings: which emails they get about their work.

use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use steward_engine::email::NotificationPrefs;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    email: String,
    handle: String,
    assigned: bool,
    mentioned: bool,
    saved: bool,
}

async fn show(s: &AppState, agent: &Agent, saved: bool) -> Result<Response, PageError> {
    let prefs = s.engine.notification_prefs(&agent.actor).await?;
    let (me, _) = s.engine.agent(agent.actor.user_id).await?;
    Ok(render(&SettingsPage {
        layout: Layout::new(agent, &s.brand, "settings"),
        handle: me.email.split('@').next().unwrap_or_default().to_string(),
        email: me.email,
        assigned: prefs.assigned,
        mentioned: prefs.mentioned,
        saved,
    }))
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    show(&s, &agent, false).await
}

pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let prefs = NotificationPrefs {
        assigned: form.get("notify_assigned") == "on",
        mentioned: form.get("notify_mentioned") == "on",
    };
    s.engine.set_notification_prefs(&agent.actor, prefs).await?;
    show(&s, &agent, true).await
}
