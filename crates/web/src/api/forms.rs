//! Web forms over the API: the forms customers open requests with in the portal. Admins write;
//! any agent reads.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_engine::forms::{FormFieldInput, FormInput, WebForm};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct FormFieldOut {
    /// The conversation custom field it fills in.
    pub key: String,
    pub label: String,
    /// text, number, date, dropdown or checkbox.
    pub kind: String,
    pub options: Vec<String>,
    pub required: bool,
}

#[derive(Serialize, ToSchema)]
pub struct FormOut {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The team its requests go to.
    pub team_id: Option<i64>,
    /// Tags its requests get.
    pub tags: Vec<String>,
    pub fields: Vec<FormFieldOut>,
    pub position: i64,
    pub active: bool,
    /// Where a signed-in customer fills it in.
    pub url: String,
    pub created_at: String,
    pub updated_at: String,
}

fn form_out(f: WebForm) -> FormOut {
    FormOut {
        url: format!("/portal/new/{}", f.id),
        created_at: rfc3339(f.created_at),
        updated_at: rfc3339(f.updated_at),
        fields: f
            .fields
            .into_iter()
            .map(|x| FormFieldOut {
                key: x.key,
                label: x.label,
                kind: x.kind,
                options: x.options,
                required: x.required,
            })
            .collect(),
        id: f.id,
        slug: f.slug,
        name: f.name,
        description: f.description,
        team_id: f.team_id,
        tags: f.tags,
        position: f.position,
        active: f.active,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormFieldIn {
    /// A conversation custom field's key.
    pub key: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormIn {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Made from the name when absent.
    pub slug: Option<String>,
    pub team_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: Vec<FormFieldIn>,
    #[serde(default)]
    pub position: i64,
    /// true by default.
    pub active: Option<bool>,
}

fn form_input(b: FormIn) -> FormInput {
    FormInput {
        name: b.name,
        description: b.description,
        slug: b.slug,
        team_id: b.team_id,
        tags: b.tags,
        fields: b
            .fields
            .into_iter()
            .map(|f| FormFieldInput {
                key: f.key,
                required: f.required,
            })
            .collect(),
        position: b.position,
        active: b.active,
    }
}

/// Lists the web forms, inactive ones too.
#[utoipa::path(get, path = "/api/v1/forms", tag = "forms",
    responses((status = 200, body = [FormOut])))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Vec<FormOut>>> {
    Ok(Json(
        s.engine
            .web_forms(false)
            .await?
            .into_iter()
            .map(form_out)
            .collect(),
    ))
}

/// One web form.
#[utoipa::path(get, path = "/api/v1/forms/{id}", tag = "forms",
    responses((status = 200, body = FormOut), (status = 404)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<FormOut>> {
    Ok(Json(form_out(s.engine.web_form(id, false).await?)))
}

/// Creates a web form. Admins.
#[utoipa::path(post, path = "/api/v1/forms", request_body = FormIn, tag = "forms",
    responses((status = 201, body = FormOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<FormIn>,
) -> ApiResult<(StatusCode, Json<FormOut>)> {
    let f = s.engine.save_web_form(&actor, None, &form_input(b)).await?;
    Ok((StatusCode::CREATED, Json(form_out(f))))
}

/// Changes a web form. Admins.
#[utoipa::path(put, path = "/api/v1/forms/{id}", request_body = FormIn, tag = "forms",
    responses((status = 200, body = FormOut), (status = 403), (status = 404), (status = 422)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FormIn>,
) -> ApiResult<Json<FormOut>> {
    let f = s
        .engine
        .save_web_form(&actor, Some(id), &form_input(b))
        .await?;
    Ok(Json(form_out(f)))
}

/// Deletes a web form. Admins. Requests opened through it keep their fields.
#[utoipa::path(delete, path = "/api/v1/forms/{id}", tag = "forms",
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_web_form(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
