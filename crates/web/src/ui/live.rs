//! Live updates for open workspace pages, as server-sent events: "conversation N changed" and
//! "these agents are viewing or replying to N". Pages then fetch what changed through the
//! normal authorized routes, so the stream itself carries no customer data.

use super::form::FormData;
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use crate::presence::Viewer;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use std::convert::Infallible;
use steward_engine::live::LiveEvent;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

pub async fn stream(
    State(s): State<AppState>,
    agent: Agent,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stopping = s.stopping.clone();
    let actor = agent.actor;
    // While this page is open its agent counts as present: a sign now and then keeps an
    // online agent online; when every page is closed the signs stop and they go offline.
    let present = tokio_util::sync::CancellationToken::new();
    let gone = present.clone().drop_guard();
    let (engine, user_id) = (s.engine.clone(), actor.user_id);
    let every =
        std::time::Duration::from_millis((engine.limits.offline_after_ms / 4).max(250) as u64);
    tokio::spawn(async move {
        loop {
            if let Err(e) = engine.agent_seen(user_id).await {
                tracing::warn!(error = %e, user_id, "presence not recorded");
            }
            tokio::select! {
                _ = present.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
    });
    let events = BroadcastStream::new(s.engine.bus.subscribe()).filter_map(move |item| {
        let _held_while_open = &gone;
        match item {
            // Only what this agent may see: other teams' conversations stay silent.
            Ok(e) if e.visible_to(&actor) => Some(Ok(Event::default()
                .event(e.topic.clone())
                .data(serde_json::to_string(&e).unwrap_or_default()))),
            Ok(_) => None,
            // Missed events: tell the page to refresh everything it shows.
            Err(_) => Some(Ok(Event::default().event("resync").data("{}"))),
        }
    });
    // The stream ends when the server stops, so shutdown never waits on an open page.
    let events =
        futures_util::StreamExt::take_until(
            events,
            async move { stopping.cancelled_owned().await },
        );
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// A page reports that its agent is viewing, replying to, or leaving a conversation.
pub async fn report_presence(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<StatusCode, PageError> {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(form.get("_csrf"));
    agent.check_csrf(token)?;
    let state = match form.get("state") {
        s @ ("viewing" | "replying" | "left") => s.to_string(),
        _ => {
            return Err(PageError(Problem::bad_request(
                "state must be viewing, replying or left",
            )));
        }
    };
    let c = s.engine.conversation(&agent.actor, id).await?;
    let viewer = Viewer {
        user_id: agent.actor.user_id,
        name: agent.actor.name.clone(),
        state: state.clone(),
    };
    if let Some(now) = s.presence.report(id, viewer, state == "left") {
        s.engine.bus.publish(LiveEvent {
            topic: "presence".into(),
            conversation_id: id,
            kind: "presence".into(),
            user_id: Some(agent.actor.user_id),
            detail: serde_json::to_value(now).unwrap_or_default(),
            audience: vec![(c.team_id, c.assignee_id)],
            // Presence goes to those who see the conversation by its team or assignee.
            followers: Vec::new(),
        });
    }
    // An agent with a chat open has seen what the visitor wrote: the visitor sees "Seen".
    if state != "left" && c.channel == steward_domain::Channel::Chat {
        s.engine.chat_seen_by_agent(id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// An agent ends a chat: solved, the visitor told, the transcript mailed.
pub async fn end_chat(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<axum::response::Redirect, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .end_chat(steward_engine::chat::Ender::Agent(&agent.actor), id)
        .await?;
    Ok(axum::response::Redirect::to(&format!(
        "/conversations/{id}"
    )))
}
