//! `/api/v1/calendars`: business-hours calendars (time zone, weekly hours, holidays), an
//! iCalendar holiday import, and whether each is open now. Agents read; admins change.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use steward_engine::calendars::{CalendarInput, CalendarView, HolidayInput};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct HolidayIo {
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarOut {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    /// Weekday (`mon` … `sun`) to open spans, like `[["09:00", "12:30"], ["13:30", "17:00"]]`.
    pub hours: BTreeMap<String, Vec<[String; 2]>>,
    pub holidays: Vec<HolidayIo>,
    /// The teams that work by this calendar.
    pub teams: Vec<String>,
    pub open_now: bool,
    /// When it next opens (now, when open).
    pub next_open_at: Option<String>,
    pub updated_at: String,
}

pub fn out(v: CalendarView) -> CalendarOut {
    let now = steward_store::now_ms();
    CalendarOut {
        open_now: v.calendar.is_open(now),
        next_open_at: v.calendar.next_open(now).map(crate::fmt::rfc3339),
        hours: v
            .hours
            .into_iter()
            .map(|(d, spans)| {
                (
                    d.to_string(),
                    spans.into_iter().map(|(a, b)| [a, b]).collect(),
                )
            })
            .collect(),
        holidays: v
            .holidays
            .into_iter()
            .map(|h| HolidayIo {
                date: h.date,
                name: h.name,
            })
            .collect(),
        id: v.id,
        name: v.name,
        time_zone: v.time_zone,
        teams: v.teams,
        updated_at: crate::fmt::rfc3339(v.updated_at),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarIn {
    pub name: String,
    /// An IANA time zone such as `Europe/Berlin`.
    pub time_zone: String,
    /// Weekday (`mon` … `sun`) to open spans; days left out are closed.
    pub hours: BTreeMap<String, Vec<[String; 2]>>,
    #[serde(default)]
    pub holidays: Vec<HolidayIo>,
}

impl From<CalendarIn> for CalendarInput {
    fn from(c: CalendarIn) -> CalendarInput {
        CalendarInput {
            name: c.name,
            time_zone: c.time_zone,
            hours: c
                .hours
                .into_iter()
                .map(|(d, spans)| (d, spans.into_iter().map(|[a, b]| (a, b)).collect()))
                .collect(),
            holidays: c
                .holidays
                .into_iter()
                .map(|h| HolidayInput {
                    date: h.date,
                    name: h.name,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IcsImportIn {
    /// The text of an iCalendar (`.ics`) file of holidays.
    pub ics: String,
}

#[derive(Serialize, ToSchema)]
pub struct IcsImportOut {
    /// Holidays that were not in the calendar yet.
    pub added: usize,
    pub calendar: CalendarOut,
}

#[utoipa::path(get, path = "/api/v1/calendars", tag = "calendars", responses((status = 200, body = Vec<CalendarOut>)))]
pub async fn list_calendars(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Vec<CalendarOut>>> {
    Ok(Json(
        s.engine.calendars().await?.into_iter().map(out).collect(),
    ))
}

/// Adds a calendar; one with no open hours, overlapping hours or an unknown time zone is
/// refused (422).
#[utoipa::path(post, path = "/api/v1/calendars", request_body = CalendarIn, tag = "calendars",
    responses((status = 201, body = CalendarOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create_calendar(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<CalendarIn>,
) -> ApiResult<Response> {
    let v = s.engine.save_calendar(&actor, None, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(out(v))).into_response())
}

#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "calendars", responses((status = 200, body = CalendarOut), (status = 404)))]
pub async fn get_calendar(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CalendarOut>> {
    Ok(Json(out(s.engine.calendar(id).await?)))
}

/// Replaces a calendar's name, time zone, hours and holidays.
#[utoipa::path(put, path = "/api/v1/calendars/{id}", request_body = CalendarIn, tag = "calendars",
    responses((status = 200, body = CalendarOut), (status = 404), (status = 422)))]
pub async fn update_calendar(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CalendarIn>,
) -> ApiResult<Json<CalendarOut>> {
    Ok(Json(out(s
        .engine
        .save_calendar(&actor, Some(id), &body.into())
        .await?)))
}

/// Removes a calendar no team works by (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/calendars/{id}", tag = "calendars",
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete_calendar(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_calendar(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds the holidays of an iCalendar file (yearly repeats are expanded).
#[utoipa::path(post, path = "/api/v1/calendars/{id}/holidays/import", request_body = IcsImportIn, tag = "calendars",
    responses((status = 200, body = IcsImportOut), (status = 404), (status = 422)))]
pub async fn import_holidays(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IcsImportIn>,
) -> ApiResult<Json<IcsImportOut>> {
    let (v, added) = s.engine.import_holidays(&actor, id, &body.ics).await?;
    Ok(Json(IcsImportOut {
        added,
        calendar: out(v),
    }))
}
