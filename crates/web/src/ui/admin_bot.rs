//! The answer bot's admin page: on or off in chat, which inboxes' new mail it answers, how
//! sure it must be, and how many answers it gives in a chat before handing over.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::bot::Settings;

#[derive(Template)]
#[template(path = "admin_bot.html")]
struct BotPage {
    layout: Layout,
    tab: &'static str,
    settings: Settings,
    inboxes: Vec<Choice>,
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.require_admin()?;
    let settings = s.engine.bot_settings().await?;
    let inboxes = s
        .engine
        .email
        .all_inboxes()
        .into_iter()
        .map(|i| {
            let on = settings
                .email_inboxes
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&i.address));
            Choice::new(&i.address, format!("{} <{}>", i.name, i.address), on)
        })
        .collect();
    Ok(render(&BotPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "bot",
        settings,
        inboxes,
    }))
}

pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let number = |name: &str, default: u8| form.get(name).trim().parse().unwrap_or(default);
    let settings = Settings {
        chat: form.get("chat") == "on",
        email_inboxes: form
            .all("email_inbox")
            .into_iter()
            .map(str::to_string)
            .collect(),
        confidence: number("confidence", 0),
        max_answers: number("max_answers", 0),
    };
    s.engine.set_bot_settings(&agent.actor, settings).await?;
    Ok(Redirect::to("/admin/bot").into_response())
}
