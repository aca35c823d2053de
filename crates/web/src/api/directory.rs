//! Directory endpoints: customers and their identities, organizations, agents, teams, tags
//! and custom field definitions.

use super::ApiResult;
use super::conversations::{conversation_page, decode_cursor};
use super::dto::*;
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use steward_domain::Role;
use steward_engine::accounts::{NewUser, UserChange};
use steward_engine::directory::CustomerPatch;
use steward_engine::intake::CustomerRef;
use steward_store::conversations::Filter;
use utoipa::IntoParams;

type J<T> = axum::Json<T>;

fn created<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Part of a name, email or phone number.
    pub q: Option<String>,
    pub organization: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<i64>,
}

/// Customers, by id.
#[utoipa::path(get, path = "/api/v1/customers", params(CustomerQuery), tag = "customers", responses((status = 200, body = Page<CustomerOut>)))]
pub async fn list_customers(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<J<Page<CustomerOut>>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 100);
    let rows = s
        .engine
        .list_customers(q.q.as_deref(), q.organization, q.cursor, limit)
        .await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|c| c.id.to_string()))
        .flatten();
    let mut data = Vec::with_capacity(rows.len());
    for c in rows {
        let (c, ids) = s.engine.customer(c.id).await?;
        data.push(CustomerOut::from(c, ids));
    }
    Ok(axum::Json(Page { data, next_cursor }))
}

/// Create a customer with an email or phone number.
#[utoipa::path(post, path = "/api/v1/customers", request_body = CreateCustomerIn, tag = "customers", responses((status = 201, body = CustomerOut), (status = 409), (status = 422)))]
pub async fn create_customer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateCustomerIn>,
) -> ApiResult<Response> {
    let c = s
        .engine
        .create_customer(
            &actor,
            CustomerRef {
                id: None,
                email: b.email,
                phone: b.phone,
                name: b.name,
            },
            b.organization_id,
        )
        .await?;
    let (c, ids) = s.engine.customer(c.id).await?;
    Ok(created(CustomerOut::from(c, ids)))
}

/// One customer with every identity.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", responses((status = 200, body = CustomerOut), (status = 404)))]
pub async fn get_customer(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<J<CustomerOut>> {
    let (c, ids) = s.engine.customer(id).await?;
    Ok(axum::Json(CustomerOut::from(c, ids)))
}

/// Change a customer's name, organization, notes or tier.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", request_body = PatchCustomerIn, tag = "customers", responses((status = 200, body = CustomerOut), (status = 404), (status = 422)))]
pub async fn update_customer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PatchCustomerIn>,
) -> ApiResult<J<CustomerOut>> {
    s.engine
        .update_customer(
            &actor,
            id,
            CustomerPatch {
                name: b.name.as_deref(),
                organization_id: b.organization_id,
                notes: b.notes.as_deref(),
                tier: b.tier.as_ref().map(Option::as_deref),
            },
        )
        .await?;
    if let Some(out) = b.surveys_opt_out {
        s.engine.set_surveys_opt_out(&actor, id, out).await?;
    }
    let (c, ids) = s.engine.customer(id).await?;
    Ok(axum::Json(CustomerOut::from(c, ids)))
}

/// Add an email, phone, chat visitor id or social handle to a customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/identities", request_body = IdentityOut, tag = "customers", responses((status = 201, body = IdentityOut), (status = 409), (status = 422)))]
pub async fn add_identity(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<IdentityOut>,
) -> ApiResult<Response> {
    let i = s.engine.add_identity(&actor, id, &b.kind, &b.value).await?;
    Ok(created(IdentityOut {
        kind: i.kind,
        value: i.value,
    }))
}

/// Every conversation of a customer the caller may see, on every channel.
#[utoipa::path(get, path = "/api/v1/customers/{id}/conversations", params(PageQuery), tag = "customers", responses((status = 200, body = Page<ConversationOut>)))]
pub async fn customer_conversations(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<J<Page<ConversationOut>>> {
    s.engine.customer(id).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 100);
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = Filter {
        customer_id: Some(id),
        limit,
        after,
        ..Default::default()
    };
    let rows = s.engine.list_conversations(&actor, &filter).await?;
    Ok(axum::Json(conversation_page(rows, &filter)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Organizations with their customer counts.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "customers", responses((status = 200, body = Vec<OrganizationOut>)))]
pub async fn list_organizations(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<J<Vec<OrganizationOut>>> {
    Ok(axum::Json(
        s.engine
            .organizations()
            .await?
            .into_iter()
            .map(OrganizationOut::from)
            .collect(),
    ))
}

/// Create an organization.
#[utoipa::path(post, path = "/api/v1/organizations", request_body = CreateOrganizationIn, tag = "customers", responses((status = 201, body = OrganizationOut), (status = 409)))]
pub async fn create_organization(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateOrganizationIn>,
) -> ApiResult<Response> {
    let o = s
        .engine
        .create_organization(Some(&actor), &b.name, b.domain.as_deref())
        .await?;
    Ok(created(OrganizationOut::from(o)))
}

/// One organization.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "customers", responses((status = 200, body = OrganizationOut), (status = 404)))]
pub async fn get_organization(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<J<OrganizationOut>> {
    Ok(axum::Json(OrganizationOut::from(
        s.engine.organization(id).await?,
    )))
}

/// Agents with their roles and teams.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", responses((status = 200, body = Vec<AgentOut>)))]
pub async fn list_agents(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<J<Vec<AgentOut>>> {
    let mut out = Vec::new();
    for u in s.engine.agents().await? {
        let (u, teams) = s.engine.agent(u.id).await?;
        out.push(AgentOut::from(u, teams));
    }
    Ok(axum::Json(out))
}

/// Create an agent (admin only).
#[utoipa::path(post, path = "/api/v1/agents", request_body = CreateAgentIn, tag = "agents", responses((status = 201, body = AgentOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create_agent(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateAgentIn>,
) -> ApiResult<Response> {
    actor.may_administer()?;
    let role = Role::parse(&b.role)?;
    let u = s
        .engine
        .create_user(
            NewUser {
                email: &b.email,
                name: &b.name,
                role,
                password: b.password.as_deref(),
                team_ids: &b.team_ids,
            },
            Some(&actor),
        )
        .await?;
    let (u, teams) = s.engine.agent(u.id).await?;
    Ok(created(AgentOut::from(u, teams)))
}

/// One agent.
#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents", responses((status = 200, body = AgentOut), (status = 404)))]
pub async fn get_agent(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<J<AgentOut>> {
    let (u, teams) = s.engine.agent(id).await?;
    Ok(axum::Json(AgentOut::from(u, teams)))
}

/// Change an agent (admin only).
#[utoipa::path(patch, path = "/api/v1/agents/{id}", request_body = PatchAgentIn, tag = "agents", responses((status = 200, body = AgentOut), (status = 403), (status = 404), (status = 422)))]
pub async fn update_agent(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PatchAgentIn>,
) -> ApiResult<J<AgentOut>> {
    actor.may_administer()?;
    let role = b.role.as_deref().map(Role::parse).transpose()?;
    s.engine
        .update_user(
            &actor,
            id,
            UserChange {
                name: b.name.as_deref(),
                role,
                active: b.active,
                team_ids: b.team_ids.as_deref(),
                password: b.password.as_deref(),
            },
        )
        .await?;
    let (u, teams) = s.engine.agent(id).await?;
    Ok(axum::Json(AgentOut::from(u, teams)))
}

/// The agent the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "agents", responses((status = 200, body = AgentOut), (status = 401)))]
pub async fn me(State(s): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<J<AgentOut>> {
    let (u, teams) = s.engine.agent(actor.user_id).await?;
    Ok(axum::Json(AgentOut::from(u, teams)))
}

async fn team_out(s: &AppState, id: i64) -> ApiResult<TeamOut> {
    let (t, members) = s.engine.team(id).await?;
    Ok(TeamOut {
        id: t.id,
        name: t.name,
        description: t.description,
        member_ids: members,
        calendar_id: t.calendar_id,
        created_at: crate::fmt::rfc3339(t.created_at),
    })
}

/// Teams with their members.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", responses((status = 200, body = Vec<TeamOut>)))]
pub async fn list_teams(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<J<Vec<TeamOut>>> {
    let mut out = Vec::new();
    for t in s.engine.teams().await? {
        out.push(team_out(&s, t.id).await?);
    }
    Ok(axum::Json(out))
}

/// Create a team (admin only).
#[utoipa::path(post, path = "/api/v1/teams", request_body = TeamIn, tag = "teams", responses((status = 201, body = TeamOut), (status = 403), (status = 409)))]
pub async fn create_team(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<TeamIn>,
) -> ApiResult<Response> {
    actor.may_administer()?;
    let name = b
        .name
        .ok_or_else(|| Problem::invalid("name", "name is required"))?;
    if let Some(Some(c)) = b.calendar_id {
        s.engine.calendar(c).await?;
    }
    let t = s
        .engine
        .save_team(
            Some(&actor),
            None,
            &name,
            b.description.as_deref().unwrap_or(""),
            b.member_ids.as_deref(),
        )
        .await?;
    if let Some(c) = b.calendar_id {
        s.engine.set_team_calendar(&actor, t.id, c).await?;
    }
    Ok(created(team_out(&s, t.id).await?))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", responses((status = 200, body = TeamOut), (status = 404)))]
pub async fn get_team(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<J<TeamOut>> {
    Ok(axum::Json(team_out(&s, id).await?))
}

/// Change a team (admin only).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", request_body = TeamIn, tag = "teams", responses((status = 200, body = TeamOut), (status = 403), (status = 404)))]
pub async fn update_team(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TeamIn>,
) -> ApiResult<J<TeamOut>> {
    actor.may_administer()?;
    let (t, _) = s.engine.team(id).await?;
    if let Some(Some(c)) = b.calendar_id {
        s.engine.calendar(c).await?;
    }
    s.engine
        .save_team(
            Some(&actor),
            Some(id),
            b.name.as_deref().unwrap_or(&t.name),
            b.description.as_deref().unwrap_or(&t.description),
            b.member_ids.as_deref(),
        )
        .await?;
    if let Some(c) = b.calendar_id {
        s.engine.set_team_calendar(&actor, id, c).await?;
    }
    Ok(axum::Json(team_out(&s, id).await?))
}

/// Tags with how many conversations carry each.
#[utoipa::path(get, path = "/api/v1/tags", tag = "tags", responses((status = 200, body = Vec<TagOut>)))]
pub async fn list_tags(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<J<Vec<TagOut>>> {
    Ok(axum::Json(
        s.engine
            .tags()
            .await?
            .into_iter()
            .map(TagOut::from)
            .collect(),
    ))
}

/// Create a tag (admin only).
#[utoipa::path(post, path = "/api/v1/tags", request_body = TagIn, tag = "tags", responses((status = 201, body = TagOut), (status = 403), (status = 409)))]
pub async fn create_tag(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<TagIn>,
) -> ApiResult<Response> {
    let name = b
        .name
        .ok_or_else(|| Problem::invalid("name", "name is required"))?;
    let t = s
        .engine
        .save_tag(&actor, None, &name, b.color.as_deref().unwrap_or("#64748b"))
        .await?;
    Ok(created(TagOut::from(t)))
}

/// Rename or recolour a tag (admin only).
#[utoipa::path(patch, path = "/api/v1/tags/{id}", request_body = TagIn, tag = "tags", responses((status = 200, body = TagOut), (status = 403), (status = 404)))]
pub async fn update_tag(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TagIn>,
) -> ApiResult<J<TagOut>> {
    let current = s
        .engine
        .tags()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| Problem::not_found("tag"))?;
    let t = s
        .engine
        .save_tag(
            &actor,
            Some(id),
            b.name.as_deref().unwrap_or(&current.name),
            b.color.as_deref().unwrap_or(&current.color),
        )
        .await?;
    Ok(axum::Json(TagOut::from(t)))
}

/// Delete a tag from every conversation (admin only).
#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "tags", responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_tag(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_tag(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Custom field definitions, in order.
#[utoipa::path(get, path = "/api/v1/custom_fields", tag = "custom fields", responses((status = 200, body = Vec<CustomFieldOut>)))]
pub async fn list_custom_fields(
    State(s): State<AppState>,
    ApiActor(_): ApiActor,
) -> ApiResult<J<Vec<CustomFieldOut>>> {
    Ok(axum::Json(
        s.engine
            .custom_fields()
            .await?
            .into_iter()
            .map(CustomFieldOut::from)
            .collect(),
    ))
}

/// Define a custom field (admin only).
#[utoipa::path(post, path = "/api/v1/custom_fields", request_body = CreateCustomFieldIn, tag = "custom fields", responses((status = 201, body = CustomFieldOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create_custom_field(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateCustomFieldIn>,
) -> ApiResult<Response> {
    let f = s
        .engine
        .create_custom_field(&actor, &b.key, &b.label, &b.kind, &b.options)
        .await?;
    Ok(created(CustomFieldOut::from(f)))
}

/// Change a custom field's label, options or position (admin only).
#[utoipa::path(patch, path = "/api/v1/custom_fields/{id}", request_body = PatchCustomFieldIn, tag = "custom fields", responses((status = 200, body = CustomFieldOut), (status = 403), (status = 404)))]
pub async fn update_custom_field(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PatchCustomFieldIn>,
) -> ApiResult<J<CustomFieldOut>> {
    let f = s
        .engine
        .update_custom_field(
            &actor,
            id,
            b.label.as_deref(),
            b.options.as_deref(),
            b.position,
        )
        .await?;
    Ok(axum::Json(CustomFieldOut::from(f)))
}

/// Delete a custom field definition (admin only). Values already stored stay in the history.
#[utoipa::path(delete, path = "/api/v1/custom_fields/{id}", tag = "custom fields", responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_custom_field(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_custom_field(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
