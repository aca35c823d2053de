//! The satisfaction admin page: whether CSAT surveys go out, their scale, question and delay,
//! the channels surveyed, how often a customer may be asked and how long an answer may change.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::Channel;
use steward_domain::csat::{Scale, Settings};

#[derive(Template)]
#[template(path = "admin_satisfaction.html")]
struct SatisfactionPage {
    layout: Layout,
    tab: &'static str,
    enabled: bool,
    scales: Vec<Choice>,
    channels: Vec<Choice>,
    delay: i64,
    ask_again: i64,
    changeable: i64,
    question: String,
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.require_admin()?;
    let c = s.engine.csat_settings().await?;
    Ok(render(&SatisfactionPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "satisfaction",
        enabled: c.enabled,
        scales: [
            (Scale::GoodBad, "Good or bad"),
            (Scale::FivePoint, "1 to 5"),
        ]
        .iter()
        .map(|(v, label)| Choice::new(v, label, *v == c.scale))
        .collect(),
        channels: Channel::ALL
            .iter()
            .map(|ch| Choice::new(ch, ch, c.channels.contains(ch)))
            .collect(),
        delay: c.delay_minutes,
        ask_again: c.ask_again_after_days,
        changeable: c.changeable_days,
        question: c.question,
    }))
}

fn number(form: &FormData, name: &str) -> Result<i64, PageError> {
    form.get(name)
        .trim()
        .parse()
        .map_err(|_| PageError(Problem::invalid(name, "must be a whole number")))
}

pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let settings = Settings {
        enabled: form.opt("enabled").is_some(),
        scale: Scale::parse(form.get("scale"))?,
        delay_minutes: number(&form, "delay_minutes")?,
        channels: form
            .all("channel")
            .into_iter()
            .map(Channel::parse)
            .collect::<Result<_, _>>()?,
        ask_again_after_days: number(&form, "ask_again_after_days")?,
        changeable_days: number(&form, "changeable_days")?,
        question: form.get("question").to_string(),
    };
    s.engine.set_csat_settings(&agent.actor, settings).await?;
    Ok(Redirect::to("/admin/satisfaction").into_response())
}
