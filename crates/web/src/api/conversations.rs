//! Conversation endpoints: list, create, read, change, messages, events, merge, attachments
//! and search.

use super::dto::*;
use super::{ApiResult, decode_attachments};
use crate::AppState;
use crate::authz::ApiActor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use steward_domain::{AuthorKind, Channel, Priority, Status, Visibility};
use steward_engine::conversation::{NewConversationCmd, NewMessageCmd, Patch};
use steward_engine::intake::CustomerRef;
use steward_store::conversations::{AssigneeFilter, Filter, Sort};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `open,pending`.
    pub status: Option<String>,
    /// An agent id, `me` or `none`.
    pub assignee: Option<String>,
    pub team: Option<i64>,
    pub customer: Option<i64>,
    pub tag: Option<String>,
    pub channel: Option<String>,
    pub priority: Option<String>,
    /// RFC 3339 time or epoch milliseconds.
    pub updated_since: Option<String>,
    /// last_activity (default), newest, oldest, updated or priority.
    pub sort: Option<String>,
    /// 1 to 100; 50 by default.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub(crate) fn parse_statuses(s: &str) -> ApiResult<Vec<Status>> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| Status::parse(x).map_err(Problem::from))
        .collect()
}

pub(crate) fn encode_cursor(key: i64, id: i64) -> String {
    format!("{key}_{id}")
}

pub(crate) fn decode_cursor(s: &str) -> ApiResult<(i64, i64)> {
    s.split_once('_')
        .and_then(|(k, i)| Some((k.parse().ok()?, i.parse().ok()?)))
        .ok_or_else(|| Problem::bad_request("cursor is not one this API gave out"))
}

impl ListQuery {
    fn filter(&self, me: i64) -> ApiResult<Filter> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(Problem::invalid("limit", "limit must be between 1 and 100"));
        }
        Ok(Filter {
            statuses: self
                .status
                .as_deref()
                .map(parse_statuses)
                .transpose()?
                .unwrap_or_default(),
            assignee: match self.assignee.as_deref() {
                None | Some("") => None,
                Some("me") => Some(AssigneeFilter::User(me)),
                Some("none") => Some(AssigneeFilter::Nobody),
                Some(id) => Some(AssigneeFilter::User(id.parse().map_err(|_| {
                    Problem::invalid("assignee", "assignee must be an agent id, me or none")
                })?)),
            },
            team_id: self.team,
            team_ids: None,
            customer_id: self.customer,
            tag: self.tag.clone().map(|t| t.to_lowercase()),
            channel: self.channel.as_deref().map(Channel::parse).transpose()?,
            priority: self.priority.as_deref().map(Priority::parse).transpose()?,
            updated_since: self
                .updated_since
                .as_deref()
                .map(|s| {
                    crate::fmt::parse_time(s).ok_or_else(|| {
                        Problem::invalid(
                            "updated_since",
                            "updated_since must be an RFC 3339 time or epoch milliseconds",
                        )
                    })
                })
                .transpose()?,
            include_merged: false,
            sort: match self.sort.as_deref() {
                None => Sort::LastActivity,
                Some(s) => Sort::parse(s).ok_or_else(|| {
                    Problem::invalid(
                        "sort",
                        "sort must be last_activity, newest, oldest, updated, priority or sla_due",
                    )
                })?,
            },
            after: self.cursor.as_deref().map(decode_cursor).transpose()?,
            limit,
        })
    }
}

/// List conversations the caller may see.
#[utoipa::path(get, path = "/api/v1/conversations", params(ListQuery), tag = "conversations",
    responses((status = 200, body = Page<ConversationOut>), (status = 400), (status = 401)))]
pub async fn list_conversations(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<Page<ConversationOut>>> {
    let filter = q.filter(actor.user_id)?;
    let rows = s.engine.list_conversations(&actor, &filter).await?;
    Ok(axum::Json(conversation_page(rows, &filter)))
}

/// A page of conversations in `filter`'s order, with the cursor for the next one.
pub(crate) fn conversation_page(
    rows: Vec<(steward_store::models::Conversation, Vec<String>)>,
    filter: &Filter,
) -> Page<ConversationOut> {
    let next_cursor = (rows.len() as i64 == filter.limit)
        .then(|| {
            rows.last()
                .map(|(c, _)| encode_cursor(filter.sort.key_of(c), c.id))
        })
        .flatten();
    Page {
        data: rows
            .into_iter()
            .map(|(c, t)| ConversationOut::from(c, t))
            .collect(),
        next_cursor,
    }
}

/// Open a conversation. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/conversations", request_body = CreateConversationIn, tag = "conversations",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = CreatedConversation), (status = 400), (status = 401), (status = 413), (status = 422)))]
pub async fn create_conversation(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<CreateConversationIn>,
) -> ApiResult<Response> {
    let author = match body.message.author.as_deref() {
        None => AuthorKind::Customer,
        Some(a) => AuthorKind::parse(a).map_err(|_| {
            Problem::invalid("message.author", "message.author must be customer or agent")
        })?,
    };
    let attachments = decode_attachments(
        body.message.attachments,
        s.engine.limits.max_attachment_bytes,
    )?;
    let cmd = NewConversationCmd {
        customer: CustomerRef {
            id: body.customer.id,
            email: body.customer.email,
            phone: body.customer.phone,
            name: body.customer.name,
        },
        subject: body.subject,
        body: body.message.body,
        html: body.message.html,
        channel: body
            .channel
            .as_deref()
            .map(Channel::parse)
            .transpose()?
            .unwrap_or(Channel::Api),
        priority: body.priority.as_deref().map(Priority::parse).transpose()?,
        team_id: body.team_id,
        assignee_id: body.assignee_id,
        tags: body.tags,
        custom_fields: body.custom_fields,
        author,
        attachments,
        at: None,
        email: None,
        inbox: body.inbox,
        client_key: None,
        chat: None,
    };
    let c = s.engine.create_conversation(Some(&actor), cmd).await?;
    let tags = s.engine.conversation_tags(c.id).await?;
    let out = CreatedConversation {
        id: c.id,
        number: c.number,
        conversation: ConversationOut::from(c, tags),
    };
    let location = format!("/api/v1/conversations/{}", out.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(out),
    )
        .into_response())
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    responses((status = 200, body = ConversationOut), (status = 404)))]
pub async fn get_conversation(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<ConversationOut>> {
    let c = s.engine.conversation(&actor, id).await?;
    let tags = s.engine.conversation_tags(id).await?;
    Ok(axum::Json(ConversationOut::from(c, tags)))
}

/// Change status, priority, assignee, team, tags, custom fields, subject or followers.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", request_body = PatchConversationIn, tag = "conversations",
    responses((status = 200, body = ConversationOut), (status = 404), (status = 409), (status = 422)))]
pub async fn update_conversation(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PatchConversationIn>,
) -> ApiResult<axum::Json<ConversationOut>> {
    let patch = Patch {
        subject: body.subject,
        status: body.status.as_deref().map(Status::parse).transpose()?,
        priority: body.priority.as_deref().map(Priority::parse).transpose()?,
        assignee_id: body.assignee_id,
        team_id: body.team_id,
        tags: body.tags,
        custom_fields: body.custom_fields,
        followers: body.followers,
        at: None,
    };
    // Answer with what was saved, even when a transfer took it out of the caller's sight.
    let c = s.engine.update_conversation(&actor, id, patch).await?;
    let tags = s.engine.conversation_tags(c.id).await?;
    Ok(axum::Json(ConversationOut::from(c, tags)))
}

/// The messages and internal notes, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    responses((status = 200, body = Vec<MessageOut>), (status = 404)))]
pub async fn list_messages(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<Vec<MessageOut>>> {
    let (msgs, atts, mail) = s.engine.conversation_messages(&actor, id).await?;
    Ok(axum::Json(
        msgs.into_iter()
            .map(|m| MessageOut::from(m, &atts, &mail))
            .collect(),
    ))
}

/// Reply, add an internal note, or record a customer's message. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", request_body = MessageIn, tag = "conversations",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 201, body = MessageOut), (status = 404), (status = 409), (status = 413), (status = 422)))]
pub async fn create_message(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MessageIn>,
) -> ApiResult<Response> {
    let cmd = NewMessageCmd {
        body: body.body,
        html: body.html,
        visibility: body
            .visibility
            .as_deref()
            .map(Visibility::parse)
            .transpose()?
            .unwrap_or(Visibility::Public),
        channel: body.channel.as_deref().map(Channel::parse).transpose()?,
        status: body.status.as_deref().map(Status::parse).transpose()?,
        author: body
            .author
            .as_deref()
            .map(AuthorKind::parse)
            .transpose()?
            .unwrap_or(AuthorKind::Agent),
        attachments: decode_attachments(body.attachments, s.engine.limits.max_attachment_bytes)?,
        at: None,
        email: None,
        client_key: None,
    };
    let (_, m) = s.engine.add_message(&actor, id, cmd).await?;
    let atts = s.engine.message_attachments(m.id).await?;
    let mail = s.engine.message_mail(m.id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(MessageOut::from(m, &atts, &mail)),
    )
        .into_response())
}

/// The event log of a conversation: who changed what, when, before and after.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/events", tag = "conversations",
    responses((status = 200, body = Vec<EventOut>), (status = 404)))]
pub async fn list_events(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<Vec<EventOut>>> {
    let events = s.engine.conversation_events(&actor, id).await?;
    Ok(axum::Json(events.into_iter().map(EventOut::from).collect()))
}

/// Merge this conversation into another; its messages move and it points to the survivor.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/merge", request_body = MergeIn, tag = "conversations",
    responses((status = 200, body = ConversationOut), (status = 404), (status = 409), (status = 422)))]
pub async fn merge_conversation(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MergeIn>,
) -> ApiResult<axum::Json<ConversationOut>> {
    let target = s.engine.merge_conversations(&actor, id, body.into).await?;
    let tags = s.engine.conversation_tags(target.id).await?;
    Ok(axum::Json(ConversationOut::from(target, tags)))
}

/// Download an attachment.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "conversations",
    responses((status = 200, description = "The file"), (status = 404)))]
pub async fn get_attachment(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (a, bytes) = s.engine.attachment(&actor, id).await?;
    Ok(crate::ui::download(&a, bytes))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: String,
    pub status: Option<String>,
    pub limit: Option<i64>,
}

/// The original email behind a message, as received or as sent (`message/rfc822`).
#[utoipa::path(get, path = "/api/v1/messages/{id}/original", tag = "conversations",
    responses((status = 200, content_type = "message/rfc822"), (status = 404)))]
pub async fn get_original_mail(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let bytes = s.engine.original_mail(&actor, id).await?;
    Ok(crate::ui::download_mail(id, bytes))
}

/// Sends a reply whose mail failed again: it goes back in the outbox, due now.
#[utoipa::path(post, path = "/api/v1/messages/{id}/retry", tag = "conversations",
    responses((status = 200, body = MessageOut), (status = 404), (status = 409)))]
pub async fn retry_mail(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<MessageOut>> {
    s.engine.retry_mail(&actor, id).await?;
    let m = s.engine.message_after_change(id).await?;
    let atts = s.engine.message_attachments(id).await?;
    let mail = s.engine.message_mail(id).await?;
    Ok(axum::Json(MessageOut::from(m, &atts, &mail)))
}

/// Full-text search over subjects, messages and customers, ranked, within the caller's scope.
#[utoipa::path(get, path = "/api/v1/search", params(SearchQuery), tag = "search",
    responses((status = 200, body = SearchOut), (status = 400)))]
pub async fn search(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<axum::Json<SearchOut>> {
    let status = q.status.as_deref().map(Status::parse).transpose()?;
    let limit = q.limit.unwrap_or(25).clamp(1, 100);
    let (hits, people) = s
        .engine
        .search(&actor, &q.q, status.map(|s| s.as_str()), limit)
        .await?;
    let ids: Vec<i64> = hits.iter().map(|h| h.conversation.id).collect();
    let mut conn = s
        .engine
        .store
        .pool()
        .acquire()
        .await
        .map_err(|e| Problem::from(steward_engine::EngineError::from(e)))?;
    let tags = steward_store::conversations::tags_of(&mut conn, &ids)
        .await
        .map_err(|e| Problem::from(steward_engine::EngineError::from(e)))?;
    Ok(axum::Json(SearchOut {
        conversations: hits
            .into_iter()
            .map(|h| {
                let t = tags
                    .iter()
                    .filter(|(id, _)| *id == h.conversation.id)
                    .map(|(_, n)| n.clone())
                    .collect();
                SearchHitOut {
                    conversation: ConversationOut::from(h.conversation, t),
                    snippet: h.snippet,
                }
            })
            .collect(),
        customers: people
            .into_iter()
            .map(|c| CustomerBrief {
                id: c.id,
                name: c.name,
                email: c.email,
            })
            .collect(),
    }))
}
