//! Satisfaction over the API: the survey settings (`/settings/satisfaction`, admins change
//! them), a conversation's survey and answer (`/conversations/{id}/satisfaction`), and a
//! customer's (`/customers/{id}/satisfaction`).

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use steward_domain::csat::Settings;
use steward_store::surveys::Survey;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SurveyOut {
    pub id: i64,
    pub conversation_id: i64,
    pub customer_id: i64,
    /// good_bad (1 good, 0 bad) or five_point (1 to 5).
    pub scale: String,
    pub channel: String,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub sent_at: String,
    pub rating: Option<i64>,
    /// The rating in words: good, bad, or "4 of 5".
    pub answer: Option<String>,
    pub satisfied: Option<bool>,
    pub comment: Option<String>,
    pub rated_at: Option<String>,
}

pub fn survey_out(s: Survey) -> SurveyOut {
    SurveyOut {
        answer: steward_engine::csat::answer_word(&s),
        satisfied: steward_engine::csat::satisfied(&s),
        id: s.id,
        conversation_id: s.conversation_id,
        customer_id: s.customer_id,
        scale: s.scale,
        channel: s.channel,
        team_id: s.team_id,
        assignee_id: s.assignee_id,
        sent_at: rfc3339(s.sent_at),
        rating: s.rating,
        comment: s.comment,
        rated_at: s.rated_at.map(rfc3339),
    }
}

/// The survey settings: whether surveys go out, the scale, the delay after solving, the
/// channels, how often a customer may be asked, how long an answer may change, the question.
#[utoipa::path(get, path = "/api/v1/settings/satisfaction", tag = "satisfaction",
    responses((status = 200, body = Object)))]
pub async fn get_settings(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Settings>> {
    Ok(Json(s.engine.csat_settings().await?))
}

/// Saves the survey settings (admin); fields left out keep their defaults.
#[utoipa::path(put, path = "/api/v1/settings/satisfaction", request_body = Object, tag = "satisfaction",
    responses((status = 200, body = Object), (status = 403), (status = 422)))]
pub async fn put_settings(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<Value>,
) -> ApiResult<Json<Settings>> {
    // The words first, so a wrong one is named with its field.
    if let Some(scale) = b["scale"].as_str() {
        steward_domain::csat::Scale::parse(scale)?;
    }
    for ch in b["channels"].as_array().into_iter().flatten() {
        steward_domain::Channel::parse(ch.as_str().unwrap_or_default())
            .map_err(|e| Problem::invalid("channels", e.to_string()))?;
    }
    let settings: Settings =
        serde_json::from_value(b).map_err(|e| Problem::invalid("settings", e.to_string()))?;
    Ok(Json(s.engine.set_csat_settings(&actor, settings).await?))
}

/// The survey sent for a conversation, with the customer's answer once given.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/satisfaction", tag = "satisfaction",
    responses((status = 200, body = SurveyOut), (status = 404)))]
pub async fn conversation_survey(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SurveyOut>> {
    let survey = s
        .engine
        .conversation_survey(&actor, id)
        .await?
        .ok_or_else(|| Problem::not_found("a survey of this conversation"))?;
    Ok(Json(survey_out(survey)))
}

/// A customer's surveys, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/satisfaction", tag = "satisfaction",
    responses((status = 200, body = Vec<SurveyOut>)))]
pub async fn customer_surveys(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<SurveyOut>>> {
    s.engine.customer(id).await?;
    Ok(Json(
        s.engine
            .customer_surveys(id)
            .await?
            .into_iter()
            .map(survey_out)
            .collect(),
    ))
}
