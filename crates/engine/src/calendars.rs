//! Business-hours calendars: admins keep them (a time zone, weekly hours, holidays entered by
//! hand or imported from an iCalendar file) and give each team one. They are checked by
//! `steward_domain::calendar` when saved, so a calendar with no open hours, overlapping hours
//! or an unknown time zone is refused with the reason; SLAs count business time by them.

use crate::directory::log;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use std::collections::BTreeMap;
use steward_domain::calendar::{Calendar, Span, WEEKDAYS};
use steward_domain::{Actor, ics, validate};
use steward_store::calendars::{self, CalendarRow};
use steward_store::{Conn, now_ms, users};

const MAX_HOLIDAYS: usize = 2000;

/// Weekly hours as people write them: weekday (`mon` … `sun`) to spans like
/// `("09:00", "17:00")`.
pub type Hours = BTreeMap<String, Vec<(String, String)>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct CalendarInput {
    pub name: String,
    /// An IANA name such as `Europe/Berlin`.
    pub time_zone: String,
    pub hours: Hours,
    pub holidays: Vec<HolidayInput>,
}

/// A saved calendar, checked, with the teams that work by it.
#[derive(Debug, Clone)]
pub struct CalendarView {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    /// Monday first, each with its spans.
    pub hours: Vec<(&'static str, Vec<(String, String)>)>,
    pub holidays: Vec<HolidayInput>,
    pub teams: Vec<String>,
    pub updated_at: i64,
    pub calendar: Calendar,
}

fn time_zone(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name.trim()).map_err(|_| {
        EngineError::invalid(
            "time_zone",
            format!(
                "{name:?} is not a time zone; use a name like Europe/Berlin or America/New_York"
            ),
        )
    })
}

fn date(s: &str) -> Result<jiff::civil::Date> {
    s.trim().parse().map_err(|_| {
        EngineError::invalid("holidays", format!("{s:?} is not a date like 2026-12-25"))
    })
}

/// Checks `input` and builds its calendar. Returns the canonical hours and holidays too.
fn check(input: &CalendarInput) -> Result<(Calendar, Hours, Vec<HolidayInput>)> {
    let tz = time_zone(&input.time_zone)?;
    let mut week: [Vec<Span>; 7] = Default::default();
    for (day, spans) in &input.hours {
        let i = WEEKDAYS
            .iter()
            .position(|w| w.eq_ignore_ascii_case(day.trim()))
            .ok_or_else(|| {
                EngineError::invalid("hours", format!("{day:?} is not a weekday (mon … sun)"))
            })?;
        for (start, end) in spans {
            week[i].push(Span::parse(start, end)?);
        }
    }
    if input.holidays.len() > MAX_HOLIDAYS {
        return Err(EngineError::invalid(
            "holidays",
            format!("at most {MAX_HOLIDAYS} holidays"),
        ));
    }
    let mut holidays: Vec<HolidayInput> = Vec::new();
    for h in &input.holidays {
        let d = date(&h.date)?;
        let name = validate::bounded("holidays.name", &h.name, 200)?;
        if !holidays.iter().any(|x| x.date == d.to_string()) {
            holidays.push(HolidayInput {
                date: d.to_string(),
                name,
            });
        }
    }
    holidays.sort_by(|a, b| a.date.cmp(&b.date));
    let dates: Vec<jiff::civil::Date> = holidays
        .iter()
        .filter_map(|h| h.date.parse().ok())
        .collect();
    let calendar = Calendar::new(tz, week.clone(), dates)?;
    let hours: Hours = WEEKDAYS
        .iter()
        .zip(week.iter())
        .map(|(d, spans)| {
            let mut spans = spans.clone();
            spans.sort();
            (d.to_string(), spans.into_iter().map(Span::format).collect())
        })
        .collect();
    Ok((calendar, hours, holidays))
}

async fn view(conn: &mut Conn, row: CalendarRow) -> Result<CalendarView> {
    let input = parse_row(&row);
    let (calendar, hours, holidays) = check(&input)?;
    Ok(CalendarView {
        teams: calendars::teams_using(conn, row.id).await?,
        hours: WEEKDAYS
            .iter()
            .map(|d| (*d, hours.get(*d).cloned().unwrap_or_default()))
            .collect(),
        id: row.id,
        name: row.name,
        time_zone: row.time_zone,
        holidays,
        updated_at: row.updated_at,
        calendar,
    })
}

/// The checked calendar `id`, for counting business time.
pub(crate) async fn working_calendar(conn: &mut Conn, id: i64) -> Result<Calendar> {
    let row = calendars::get(conn, id)
        .await?
        .ok_or_else(|| EngineError::not_found("calendar"))?;
    Ok(check(&parse_row(&row))?.0)
}

/// A stored calendar's fields as input (hours and holidays from their JSON).
fn parse_row(row: &CalendarRow) -> CalendarInput {
    let hours: Hours = serde_json::from_str(&row.hours).unwrap_or_default();
    let holidays: Vec<HolidayInput> = serde_json::from_str::<Vec<serde_json::Value>>(&row.holidays)
        .unwrap_or_default()
        .into_iter()
        .map(|h| HolidayInput {
            date: h["date"].as_str().unwrap_or_default().to_string(),
            name: h["name"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    CalendarInput {
        name: row.name.clone(),
        time_zone: row.time_zone.clone(),
        hours,
        holidays,
    }
}

async fn load(conn: &mut Conn, id: i64) -> Result<CalendarView> {
    let row = calendars::get(conn, id)
        .await?
        .ok_or_else(|| EngineError::not_found("calendar"))?;
    view(conn, row).await
}

fn holidays_json(holidays: &[HolidayInput]) -> String {
    json!(
        holidays
            .iter()
            .map(|h| json!({"date": h.date, "name": h.name}))
            .collect::<Vec<_>>()
    )
    .to_string()
}

impl Engine {
    pub async fn calendars(&self) -> Result<Vec<CalendarView>> {
        let mut conn = self.store.pool().acquire().await?;
        let mut out = Vec::new();
        for row in calendars::list(&mut conn).await? {
            out.push(view(&mut conn, row).await?);
        }
        Ok(out)
    }

    pub async fn calendar(&self, id: i64) -> Result<CalendarView> {
        let mut conn = self.store.pool().acquire().await?;
        load(&mut conn, id).await
    }

    /// Adds (`id` `None`) or replaces a calendar (admin).
    pub async fn save_calendar(
        &self,
        by: &Actor,
        id: Option<i64>,
        input: &CalendarInput,
    ) -> Result<CalendarView> {
        by.may_administer()?;
        let name = validate::required("name", &input.name, validate::MAX_NAME)?;
        let (_, hours, holidays) = check(input)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if let Some(id) = id {
            load(&mut tx, id).await?;
        }
        let saved = calendars::save(
            &mut tx,
            id,
            &name,
            input.time_zone.trim(),
            &json!(hours).to_string(),
            &holidays_json(&holidays),
            at,
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                EngineError::conflict(format!("a calendar called {name} exists"))
            } else {
                e.into()
            }
        })?;
        log(
            &mut tx,
            Some(by),
            "calendar",
            saved,
            if id.is_some() {
                "calendar.updated"
            } else {
                "calendar.created"
            },
            json!({"after": {"name": name, "time_zone": input.time_zone.trim(), "hours": hours,
                             "holidays": holidays.len()}}),
            at,
        )
        .await?;
        if id.is_some() {
            crate::sla::queue_reapply(&mut tx).await?;
        }
        let v = load(&mut tx, saved).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Adds the holidays of an iCalendar file to a calendar; returns it and how many were new.
    pub async fn import_holidays(
        &self,
        by: &Actor,
        id: i64,
        ics_text: &str,
    ) -> Result<(CalendarView, usize)> {
        by.may_administer()?;
        let found = ics::holidays(ics_text)?;
        let current = self.calendar(id).await?;
        let mut holidays = current.holidays.clone();
        let mut added = 0;
        for h in found {
            let date = h.date.to_string();
            if !holidays.iter().any(|x| x.date == date) {
                holidays.push(HolidayInput { date, name: h.name });
                added += 1;
            }
        }
        let input = CalendarInput {
            name: current.name,
            time_zone: current.time_zone,
            hours: current
                .hours
                .into_iter()
                .map(|(d, s)| (d.to_string(), s))
                .collect(),
            holidays,
        };
        Ok((self.save_calendar(by, Some(id), &input).await?, added))
    }

    /// Removes a calendar no team works by.
    pub async fn delete_calendar(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = load(&mut tx, id).await?;
        if !before.teams.is_empty() {
            return Err(EngineError::conflict(format!(
                "the team(s) {} work by this calendar; give them another first",
                before.teams.join(", ")
            )));
        }
        let policies = steward_store::sla::using_calendar(&mut tx, id).await?;
        if !policies.is_empty() {
            return Err(EngineError::conflict(format!(
                "the SLA policies {} count in this calendar; change them first",
                policies.join(", ")
            )));
        }
        let inboxes = steward_store::inboxes::using_calendar(&mut tx, id).await?;
        if !inboxes.is_empty() {
            return Err(EngineError::conflict(format!(
                "the inboxes {} count business hours by this calendar; change them first",
                inboxes.join(", ")
            )));
        }
        calendars::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "calendar",
            id,
            "calendar.deleted",
            json!({"before": {"name": before.name}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (or with `None` clears) the calendar a team works by (admin).
    pub async fn set_team_calendar(
        &self,
        by: &Actor,
        team_id: i64,
        calendar_id: Option<i64>,
    ) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let team = users::team(&mut tx, team_id)
            .await?
            .ok_or_else(|| EngineError::not_found("team"))?;
        if let Some(c) = calendar_id {
            load(&mut tx, c).await?;
        }
        users::set_team_calendar(&mut tx, team_id, calendar_id).await?;
        crate::sla::queue_reapply(&mut tx).await?;
        log(
            &mut tx,
            Some(by),
            "team",
            team_id,
            "team.calendar_changed",
            json!({"before": team.calendar_id, "after": calendar_id}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
