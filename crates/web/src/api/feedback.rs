//! Feedback over the API: integrators send items for customers (`POST /feedback`), agents
//! list them (`GET /feedback`) and tag them or move them along (`PATCH /feedback/{id}`).

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_domain::feedback::{Kind, Source, State as Status};
use steward_engine::feedback::{FeedbackItem, NewFeedback};
use steward_store::feedback::Filter;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct FeedbackOut {
    pub id: i64,
    /// The customer, when an email address was given.
    pub customer_id: Option<i64>,
    pub name: String,
    pub email: Option<String>,
    /// suggestion, problem, praise or other.
    pub kind: String,
    pub body: String,
    /// web, portal, widget or api.
    pub source: String,
    /// new, reviewed, planned, done or declined.
    pub status: String,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn out(f: FeedbackItem) -> FeedbackOut {
    let i = f.item;
    FeedbackOut {
        id: i.id,
        customer_id: i.customer_id,
        name: i.name,
        email: i.email,
        kind: i.kind,
        body: i.body,
        source: i.source,
        status: i.status,
        tags: f.tags,
        created_at: rfc3339(i.created_at),
        updated_at: rfc3339(i.updated_at),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackIn {
    pub body: String,
    /// suggestion (default), problem, praise or other.
    pub kind: Option<String>,
    pub name: Option<String>,
    /// The customer's address: the item joins their history.
    pub email: Option<String>,
    /// Where it was given (default api).
    pub source: Option<String>,
}

/// Sends an item on a customer's behalf.
#[utoipa::path(post, path = "/api/v1/feedback", request_body = FeedbackIn, tag = "feedback",
    responses((status = 201, body = FeedbackOut), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiJson(b): ApiJson<FeedbackIn>,
) -> ApiResult<(StatusCode, Json<FeedbackOut>)> {
    let item = s
        .engine
        .submit_feedback(NewFeedback {
            customer_id: None,
            name: b.name.unwrap_or_default(),
            email: b.email,
            kind: Kind::parse(b.kind.as_deref().unwrap_or("suggestion"))?,
            body: b.body,
            source: Source::parse(b.source.as_deref().unwrap_or("api"))?,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(out(item))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedbackQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub tag: Option<String>,
    pub customer_id: Option<i64>,
    /// Items older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// At most this many (default 50, up to 200).
    pub limit: Option<i64>,
}

/// Items, newest first.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(FeedbackQuery),
    responses((status = 200, body = Vec<FeedbackOut>), (status = 422)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<FeedbackQuery>,
) -> ApiResult<Json<Vec<FeedbackOut>>> {
    let f = Filter {
        kind: q
            .kind
            .as_deref()
            .map(Kind::parse)
            .transpose()?
            .map(|k| k.as_str().into()),
        status: q
            .status
            .as_deref()
            .map(Status::parse)
            .transpose()?
            .map(|k| k.as_str().into()),
        tag: q.tag.filter(|t| !t.is_empty()),
        customer_id: q.customer_id,
    };
    let items = s
        .engine
        .feedback_items(&actor, &f, q.before, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(items.into_iter().map(out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackPatch {
    pub status: Option<String>,
    /// The item's tags (replacing those it has).
    pub tags: Option<Vec<String>>,
}

/// Tags an item or moves it along.
#[utoipa::path(patch, path = "/api/v1/feedback/{id}", request_body = FeedbackPatch, tag = "feedback",
    responses((status = 200, body = FeedbackOut), (status = 404), (status = 422)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FeedbackPatch>,
) -> ApiResult<Json<FeedbackOut>> {
    let status = b.status.as_deref().map(Status::parse).transpose()?;
    let item = s.engine.update_feedback(&actor, id, status, b.tags).await?;
    Ok(Json(out(item)))
}
