//! The business-hours admin page: each calendar with its time zone, weekly hours, holidays
//! and whether it is open now; forms to add and change calendars (hours written like
//! `09:00-12:30, 13:30-17:00`, holidays one per line like `2026-12-25 Christmas`), to import
//! holidays from an iCalendar file, and to choose the calendar each team works by.

use super::form::FormData;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::calendar::WEEKDAYS;
use steward_engine::calendars::{CalendarInput, HolidayInput, Hours};

pub struct DayLine {
    pub day: &'static str,
    pub spans: String,
}

pub struct CalendarLine {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub days: Vec<DayLine>,
    pub holidays: String,
    pub holiday_count: usize,
    pub teams: String,
    pub open_now: bool,
    pub next_open: String,
}

pub struct TeamLine {
    pub id: i64,
    pub name: String,
    pub calendar_id: i64,
}

#[derive(Template)]
#[template(path = "admin_calendars.html")]
struct CalendarsPage {
    layout: Layout,
    tab: &'static str,
    calendars: Vec<CalendarLine>,
    teams: Vec<TeamLine>,
    blank_days: Vec<DayLine>,
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent
        .actor
        .may_administer()
        .map_err(steward_engine::EngineError::from)?;
    let now = steward_store::now_ms();
    let calendars = s
        .engine
        .calendars()
        .await?
        .into_iter()
        .map(|c| CalendarLine {
            open_now: c.calendar.is_open(now),
            next_open: c
                .calendar
                .next_open(now)
                .map(crate::fmt::datetime)
                .unwrap_or_else(|| "never".into()),
            days: c
                .hours
                .iter()
                .map(|(day, spans)| DayLine {
                    day,
                    spans: spans
                        .iter()
                        .map(|(a, b)| format!("{a}-{b}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            holiday_count: c.holidays.len(),
            holidays: c
                .holidays
                .iter()
                .map(|h| format!("{} {}", h.date, h.name).trim().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            teams: c.teams.join(", "),
            id: c.id,
            name: c.name,
            time_zone: c.time_zone,
        })
        .collect();
    let teams = s
        .engine
        .teams()
        .await?
        .into_iter()
        .map(|t| TeamLine {
            id: t.id,
            name: t.name,
            calendar_id: t.calendar_id.unwrap_or(0),
        })
        .collect();
    Ok(render(&CalendarsPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "calendars",
        calendars,
        teams,
        blank_days: WEEKDAYS
            .iter()
            .enumerate()
            .map(|(i, day)| DayLine {
                day,
                spans: if i < 5 {
                    "09:00-17:00".into()
                } else {
                    String::new()
                },
            })
            .collect(),
    }))
}

fn bad(msg: String) -> PageError {
    PageError(Problem::invalid("hours", msg))
}

/// `09:00-12:30, 13:30-17:00` for each weekday field.
fn hours(form: &FormData) -> Result<Hours, PageError> {
    let mut out = Hours::new();
    for day in WEEKDAYS {
        let mut spans = Vec::new();
        for part in form
            .get(day)
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (a, b) = part
                .split_once('-')
                .ok_or_else(|| bad(format!("{day}: write hours like 09:00-17:00, not {part:?}")))?;
            spans.push((a.trim().to_string(), b.trim().to_string()));
        }
        out.insert(day.to_string(), spans);
    }
    Ok(out)
}

/// One holiday per line: a date, then its name.
fn holidays(text: &str) -> Vec<HolidayInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (date, name) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            HolidayInput {
                date: date.to_string(),
                name: name.trim().to_string(),
            }
        })
        .collect()
}

/// Adds a calendar, or changes one (with `id`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let input = CalendarInput {
        name: form.get("name").to_string(),
        time_zone: form.get("time_zone").to_string(),
        hours: hours(&form)?,
        holidays: holidays(form.get("holidays")),
    };
    s.engine
        .save_calendar(&agent.actor, form.id("id")?, &input)
        .await?;
    Ok(Redirect::to("/admin/calendars").into_response())
}

pub async fn import(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let calendar = form.required_id("id")?;
    s.engine
        .import_holidays(&agent.actor, calendar, form.get("ics"))
        .await?;
    Ok(Redirect::to("/admin/calendars").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let calendar = form.required_id("id")?;
    s.engine.delete_calendar(&agent.actor, calendar).await?;
    Ok(Redirect::to("/admin/calendars").into_response())
}

/// Sets the calendar a team works by (`calendar` 0 or empty: none).
pub async fn team(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let team = form.required_id("team")?;
    s.engine
        .set_team_calendar(&agent.actor, team, form.id("calendar")?)
        .await?;
    Ok(Redirect::to("/admin/calendars").into_response())
}
