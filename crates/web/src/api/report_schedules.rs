//! Report schedules over the API (supervisors and admins): `/reports/schedules` to list and
//! create, `/reports/schedules/{id}` to read, replace and remove, and
//! `/reports/schedules/{id}/send` to mail the report now.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use steward_domain::report_schedule::Schedule;
use steward_engine::report_schedules::ScheduleView;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ScheduleOut {
    pub id: i64,
    /// name, active, frequency (daily, weekly, monthly), weekday (1 Monday – 7 Sunday),
    /// day_of_month (1–28), hour (0–23), tz, recipients, format (xlsx or csv), filter
    /// (team_id, agent_id, channel, priority, tag, inbox).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub schedule: Schedule,
    pub created_by: i64,
    pub last_sent_at: Option<String>,
    pub next_run_at: Option<String>,
}

fn out(v: ScheduleView) -> ScheduleOut {
    ScheduleOut {
        id: v.id,
        schedule: v.schedule,
        created_by: v.created_by,
        last_sent_at: v.last_sent_at.map(rfc3339),
        next_run_at: v.next_run_at.map(rfc3339),
    }
}

fn schedule_of(b: Value) -> Result<Schedule, Problem> {
    // The words first, so a wrong one is named with its field.
    if let Some(f) = b["frequency"].as_str() {
        steward_domain::report_schedule::Frequency::parse(f)?;
    }
    if let Some(c) = b["filter"]["channel"].as_str() {
        steward_domain::Channel::parse(c)
            .map_err(|e| Problem::invalid("filter.channel", e.to_string()))?;
    }
    if let Some(p) = b["filter"]["priority"].as_str() {
        steward_domain::Priority::parse(p)
            .map_err(|e| Problem::invalid("filter.priority", e.to_string()))?;
    }
    serde_json::from_value(b).map_err(|e| Problem::invalid("schedule", e.to_string()))
}

#[utoipa::path(get, path = "/api/v1/reports/schedules", tag = "reports",
    responses((status = 200, body = Vec<ScheduleOut>), (status = 403)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<ScheduleOut>>> {
    Ok(Json(
        s.engine
            .report_schedules(&actor)
            .await?
            .into_iter()
            .map(out)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/reports/schedules/{id}", tag = "reports",
    responses((status = 200, body = ScheduleOut), (status = 403), (status = 404)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ScheduleOut>> {
    Ok(Json(out(s.engine.report_schedule(&actor, id).await?)))
}

/// Saves a schedule; its report is worked out as the caller sees reports.
#[utoipa::path(post, path = "/api/v1/reports/schedules", request_body = Object, tag = "reports",
    responses((status = 201, body = ScheduleOut), (status = 403), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ScheduleOut>)> {
    let v = s
        .engine
        .create_report_schedule(&actor, schedule_of(b)?)
        .await?;
    Ok((StatusCode::CREATED, Json(out(v))))
}

#[utoipa::path(put, path = "/api/v1/reports/schedules/{id}", request_body = Object, tag = "reports",
    responses((status = 200, body = ScheduleOut), (status = 403), (status = 404), (status = 422)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Value>,
) -> ApiResult<Json<ScheduleOut>> {
    let v = s
        .engine
        .update_report_schedule(&actor, id, schedule_of(b)?)
        .await?;
    Ok(Json(out(v)))
}

#[utoipa::path(delete, path = "/api/v1/reports/schedules/{id}", tag = "reports",
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_report_schedule(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails the report now, for the days its next mail would cover (202: it goes out in the
/// background).
#[utoipa::path(post, path = "/api/v1/reports/schedules/{id}/send", tag = "reports",
    responses((status = 202), (status = 403), (status = 404)))]
pub async fn send_now(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.send_report_now(&actor, id).await?;
    Ok(StatusCode::ACCEPTED)
}
