//! The chat admin page: each chat inbox with the snippet to paste into a site, and a form to
//! add or change one (key, name, colour, greeting, team, email inbox for transcripts and
//! away-hours mail, business hours, pre-chat form, topics, on or off).

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_engine::chat::ChatInboxInput;
use steward_store::chat::ChatInbox;

/// One inbox's form, filled (or empty for a new one).
pub struct InboxForm {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub colour: String,
    pub greeting: String,
    pub topics: String,
    pub enabled: bool,
    pub teams: Vec<Choice>,
    pub email_inboxes: Vec<Choice>,
    pub calendars: Vec<Choice>,
    pub prechat: Vec<Choice>,
    pub snippet: String,
}

#[derive(Template)]
#[template(path = "admin_chat.html")]
struct ChatPage {
    layout: Layout,
    tab: &'static str,
    inboxes: Vec<InboxForm>,
    new: InboxForm,
}

async fn form_of(s: &AppState, i: Option<&ChatInbox>) -> Result<InboxForm, PageError> {
    let team = i.and_then(|i| i.team_id);
    let calendar = i.and_then(|i| i.calendar_id);
    let email = i.and_then(|i| i.email_inbox.clone());
    let prechat = i.map_or("optional", |i| i.prechat.as_str());
    let mut teams = vec![Choice::new(0, "No team", team.is_none())];
    teams.extend(
        s.engine
            .teams()
            .await?
            .into_iter()
            .map(|t| Choice::new(t.id, t.name, Some(t.id) == team)),
    );
    let mut email_inboxes = vec![Choice::new("", "The first inbox", email.is_none())];
    email_inboxes.extend(s.engine.email.all_inboxes().into_iter().map(|b| {
        let selected = email.as_deref() == Some(b.address.to_lowercase().as_str());
        Choice::new(&b.address, format!("{} <{}>", b.name, b.address), selected)
    }));
    let mut calendars = vec![Choice::new(
        0,
        "The team's, or always open",
        calendar.is_none(),
    )];
    calendars.extend(
        s.engine
            .calendars()
            .await?
            .into_iter()
            .map(|c| Choice::new(c.id, c.name, Some(c.id) == calendar)),
    );
    let prechat = [
        ("none", "Do not ask"),
        ("optional", "Ask name and email; both optional"),
        ("required", "Ask name and email; email required"),
    ]
    .into_iter()
    .map(|(v, l)| Choice::new(v, l, v == prechat))
    .collect();
    Ok(InboxForm {
        id: i.map_or(0, |i| i.id),
        key: i.map(|i| i.key.clone()).unwrap_or_default(),
        name: i.map(|i| i.name.clone()).unwrap_or_default(),
        colour: i.map_or("#1f6feb".into(), |i| i.colour.clone()),
        greeting: i.map(|i| i.greeting.clone()).unwrap_or_default(),
        topics: i
            .map(|i| steward_engine::chat::topics(i).join(", "))
            .unwrap_or_default(),
        enabled: i.is_none_or(|i| i.enabled == 1),
        teams,
        email_inboxes,
        calendars,
        prechat,
        snippet: i.map_or(String::new(), |i| {
            format!(
                "<script src=\"/widget.js\" data-inbox=\"{}\" async></script>",
                i.key
            )
        }),
    })
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.actor.may_administer()?;
    let mut inboxes = Vec::new();
    for i in s.engine.chat_inboxes().await? {
        inboxes.push(form_of(&s, Some(&i)).await?);
    }
    Ok(render(&ChatPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "chat",
        inboxes,
        new: form_of(&s, None).await?,
    }))
}

/// Adds a chat inbox, or changes one (with `id`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let input = ChatInboxInput {
        key: form.get("key").to_string(),
        name: form.get("name").to_string(),
        colour: form.get("colour").to_string(),
        greeting: form.get("greeting").to_string(),
        team_id: form.id("team_id")?,
        email_inbox: form.opt("email_inbox").map(str::to_string),
        calendar_id: form.id("calendar_id")?,
        prechat: form.get("prechat").to_string(),
        topics: form
            .get("topics")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        enabled: form.get("enabled") == "on",
    };
    s.engine
        .save_chat_inbox(&agent.actor, form.id("id")?, &input)
        .await?;
    Ok(Redirect::to("/admin/chat").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .delete_chat_inbox(&agent.actor, form.required_id("id")?)
        .await?;
    Ok(Redirect::to("/admin/chat").into_response())
}
