//! NPS over the API: campaigns (`/nps/campaigns`, supervisors read, admins change), the
//! answers (`/nps/responses`), and a customer's answers (`/customers/{id}/nps`).

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward_domain::nps::{Campaign, Figures, Group};
use steward_engine::nps::CampaignView;
use steward_store::nps::{Response, ResponseFilter};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct CampaignOut {
    pub id: i64,
    /// name, active, question, audience (contacted_within_days, min_conversations,
    /// email_domains, organization_ids), interval_days, follow_up_detractors,
    /// follow_up_team_id, inbox.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub campaign: Campaign,
    pub sent: i64,
    pub answered: i64,
    /// Promoters, passives, detractors and the score over every answer so far.
    #[schema(value_type = Object)]
    pub figures: Figures,
    pub created_at: String,
    pub updated_at: String,
}

async fn out(
    s: &AppState,
    actor: &steward_domain::Actor,
    v: CampaignView,
) -> Result<CampaignOut, Problem> {
    let figures = s.engine.nps_figures(actor, Some(v.id), 0, i64::MAX).await?;
    Ok(CampaignOut {
        id: v.id,
        campaign: v.campaign,
        sent: v.sent,
        answered: v.answered,
        figures,
        created_at: rfc3339(v.created_at),
        updated_at: rfc3339(v.updated_at),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ResponseOut {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign: String,
    pub customer_id: i64,
    pub customer: String,
    pub sent_to: String,
    pub sent_at: String,
    pub score: Option<i64>,
    /// detractor (0–6), passive (7–8) or promoter (9–10), once answered.
    pub group: Option<String>,
    pub reason: Option<String>,
    pub answered_at: Option<String>,
    /// The conversation a detractor's answer opened.
    pub follow_up_conversation_id: Option<i64>,
}

pub fn response_out(r: Response) -> ResponseOut {
    ResponseOut {
        id: r.id,
        campaign_id: r.campaign_id,
        campaign: r.campaign_name,
        customer_id: r.customer_id,
        customer: r.customer_name,
        sent_to: r.sent_to,
        sent_at: rfc3339(r.sent_at),
        group: r.score.map(|s| Group::of(s).as_str().to_string()),
        score: r.score,
        reason: r.reason,
        answered_at: r.answered_at.map(rfc3339),
        follow_up_conversation_id: r.follow_up_conversation_id,
    }
}

fn campaign_of(b: Value) -> Result<Campaign, Problem> {
    serde_json::from_value(b).map_err(|e| Problem::invalid("campaign", e.to_string()))
}

/// Every campaign with what it sent and its score so far (supervisors).
#[utoipa::path(get, path = "/api/v1/nps/campaigns", tag = "nps",
    responses((status = 200, body = Vec<CampaignOut>), (status = 403)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<CampaignOut>>> {
    let mut all = Vec::new();
    for v in s.engine.nps_campaigns(&actor).await? {
        all.push(out(&s, &actor, v).await?);
    }
    Ok(Json(all))
}

#[utoipa::path(get, path = "/api/v1/nps/campaigns/{id}", tag = "nps",
    responses((status = 200, body = CampaignOut), (status = 403), (status = 404)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CampaignOut>> {
    let v = s.engine.nps_campaign(&actor, id).await?;
    Ok(Json(out(&s, &actor, v).await?))
}

/// Creates a campaign (admin). An active one starts asking at once.
#[utoipa::path(post, path = "/api/v1/nps/campaigns", request_body = Object, tag = "nps",
    responses((status = 201, body = CampaignOut), (status = 403), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<CampaignOut>)> {
    let v = s
        .engine
        .create_nps_campaign(&actor, campaign_of(b)?)
        .await?;
    Ok((StatusCode::CREATED, Json(out(&s, &actor, v).await?)))
}

/// Replaces a campaign's settings (admin): `active: false` pauses it.
#[utoipa::path(put, path = "/api/v1/nps/campaigns/{id}", request_body = Object, tag = "nps",
    responses((status = 200, body = CampaignOut), (status = 403), (status = 404), (status = 422)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Value>,
) -> ApiResult<Json<CampaignOut>> {
    let v = s
        .engine
        .update_nps_campaign(&actor, id, campaign_of(b)?)
        .await?;
    Ok(Json(out(&s, &actor, v).await?))
}

/// Removes a campaign that has sent nothing (admin); 409 for one that has.
#[utoipa::path(delete, path = "/api/v1/nps/campaigns/{id}", tag = "nps",
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub async fn delete(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_nps_campaign(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ResponsesQuery {
    pub campaign_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Only answered questions.
    pub answered: Option<bool>,
    /// At most this many, newest first (default 100, up to 1000).
    pub limit: Option<i64>,
}

/// The questions sent and their answers, newest first (supervisors).
#[utoipa::path(get, path = "/api/v1/nps/responses", tag = "nps", params(ResponsesQuery),
    responses((status = 200, body = Vec<ResponseOut>), (status = 403)))]
pub async fn responses(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ResponsesQuery>,
) -> ApiResult<Json<Vec<ResponseOut>>> {
    let f = ResponseFilter {
        campaign_id: q.campaign_id,
        customer_id: q.customer_id,
        answered_only: q.answered.unwrap_or(false),
    };
    let rows = s
        .engine
        .nps_responses(&actor, &f, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(rows.into_iter().map(response_out).collect()))
}

/// A customer's NPS answers, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/nps", tag = "nps",
    responses((status = 200, body = Vec<ResponseOut>), (status = 404)))]
pub async fn customer(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ResponseOut>>> {
    s.engine.customer(id).await?;
    Ok(Json(
        s.engine
            .customer_nps(id)
            .await?
            .into_iter()
            .map(response_out)
            .collect(),
    ))
}
