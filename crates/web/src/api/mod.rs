//! `/api/v1`: JSON over HTTP for integrators and scripts. Bearer tokens, problem+json errors,
//! cursor pagination, `Idempotency-Key` on POSTs, and an OpenAPI 3.1 document.

pub mod automations;
pub mod bot;
pub mod calendars;
pub mod chat;
pub mod conversations;
pub mod directory;
pub mod docs;
pub mod dto;
pub mod exports;
pub mod feedback;
pub mod forms;
pub mod inboxes;
pub mod kb;
pub mod macros;
pub mod notifications;
pub mod nps;
pub mod report_schedules;
pub mod reports;
pub mod routing;
pub mod satisfaction;
pub mod sla;
pub mod tasks;
pub mod webhooks;

use crate::AppState;
use crate::error::Problem;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};
use base64::Engine as _;
use steward_engine::conversation::Upload;

pub type ApiResult<T> = Result<T, Problem>;

pub fn routes(state: &AppState, body_limit: usize) -> Router<AppState> {
    let v1 = Router::new()
        .route(
            "/conversations",
            get(conversations::list_conversations).post(conversations::create_conversation),
        )
        .route(
            "/conversations/{id}",
            get(conversations::get_conversation).patch(conversations::update_conversation),
        )
        .route(
            "/conversations/{id}/messages",
            get(conversations::list_messages).post(conversations::create_message),
        )
        .route(
            "/conversations/{id}/events",
            get(conversations::list_events),
        )
        .route(
            "/conversations/{id}/merge",
            post(conversations::merge_conversation),
        )
        .route("/attachments/{id}", get(conversations::get_attachment))
        .route(
            "/messages/{id}/original",
            get(conversations::get_original_mail),
        )
        .route("/messages/{id}/retry", post(conversations::retry_mail))
        .route("/search", get(conversations::search))
        .route(
            "/customers",
            get(directory::list_customers).post(directory::create_customer),
        )
        .route(
            "/customers/{id}",
            get(directory::get_customer).patch(directory::update_customer),
        )
        .route("/customers/{id}/identities", post(directory::add_identity))
        .route(
            "/customers/{id}/conversations",
            get(directory::customer_conversations),
        )
        .route(
            "/organizations",
            get(directory::list_organizations).post(directory::create_organization),
        )
        .route("/organizations/{id}", get(directory::get_organization))
        .route(
            "/agents",
            get(directory::list_agents).post(directory::create_agent),
        )
        .route(
            "/agents/{id}",
            get(directory::get_agent).patch(directory::update_agent),
        )
        .route("/me", get(directory::me))
        .route(
            "/me/notifications",
            get(notifications::get_notifications).put(notifications::put_notifications),
        )
        .route(
            "/teams",
            get(directory::list_teams).post(directory::create_team),
        )
        .route(
            "/teams/{id}",
            get(directory::get_team).patch(directory::update_team),
        )
        .route(
            "/tags",
            get(directory::list_tags).post(directory::create_tag),
        )
        .route(
            "/tags/{id}",
            patch(directory::update_tag).delete(directory::delete_tag),
        )
        .route(
            "/custom_fields",
            get(directory::list_custom_fields).post(directory::create_custom_field),
        )
        .route(
            "/custom_fields/{id}",
            patch(directory::update_custom_field).delete(directory::delete_custom_field),
        )
        .route(
            "/inboxes",
            get(inboxes::list_inboxes).post(inboxes::create_inbox),
        )
        .route(
            "/inboxes/{address}",
            axum::routing::put(inboxes::update_inbox).delete(inboxes::delete_inbox),
        )
        .route("/inboxes/{address}/check", post(inboxes::check_inbox))
        .route(
            "/inboxes/{address}/settings",
            get(routing::get_inbox_settings).put(routing::put_inbox_settings),
        )
        .route(
            "/macros",
            get(macros::list_macros).post(macros::create_macro),
        )
        .route(
            "/macros/{id}",
            patch(macros::update_macro).delete(macros::delete_macro),
        )
        .route(
            "/conversations/{id}/macros/{macro_id}",
            get(macros::fill_macro),
        )
        .route(
            "/calendars",
            get(calendars::list_calendars).post(calendars::create_calendar),
        )
        .route(
            "/calendars/{id}",
            get(calendars::get_calendar)
                .put(calendars::update_calendar)
                .delete(calendars::delete_calendar),
        )
        .route(
            "/calendars/{id}/holidays/import",
            post(calendars::import_holidays),
        )
        .route(
            "/sla-policies",
            get(sla::list_policies).post(sla::create_policy),
        )
        .route(
            "/sla-policies/order",
            axum::routing::put(sla::reorder_policies),
        )
        .route(
            "/sla-policies/{id}",
            get(sla::get_policy)
                .put(sla::update_policy)
                .delete(sla::delete_policy),
        )
        .route("/conversations/{id}/sla", get(sla::conversation_sla))
        .route("/conversations/{id}/transfer", post(tasks::transfer))
        .route(
            "/conversations/{id}/tasks",
            get(tasks::conversation_tasks).post(tasks::add_task),
        )
        .route("/tasks", get(tasks::my_tasks))
        .route(
            "/automations",
            get(automations::list).post(automations::create),
        )
        .route("/automations/dry-run", post(automations::dry_run))
        .route(
            "/automations/order",
            axum::routing::put(automations::reorder),
        )
        .route(
            "/automations/{id}",
            axum::routing::put(automations::update).delete(automations::delete),
        )
        .route(
            "/teams/{id}/routing",
            get(routing::get_team_routing).put(routing::put_team_routing),
        )
        .route("/teams/{id}/queue", get(routing::team_queue))
        .route("/reports/summary", get(reports::summary))
        .route("/reports/summary.csv", get(reports::summary_csv))
        .route("/reports/summary.xlsx", get(reports::summary_xlsx))
        .route("/exports/{file}", get(exports::export))
        .route("/feedback", get(feedback::list).post(feedback::create))
        .route(
            "/chat/inboxes",
            get(chat::list_inboxes).post(chat::create_inbox),
        )
        .route(
            "/chat/inboxes/{id}",
            axum::routing::put(chat::update_inbox).delete(chat::delete_inbox),
        )
        .route("/chat/waiting", get(chat::waiting))
        .route(
            "/kb/categories",
            get(kb::list_categories).post(kb::create_category),
        )
        .route(
            "/kb/categories/{id}",
            axum::routing::put(kb::update_category).delete(kb::delete_category),
        )
        .route(
            "/kb/articles",
            get(kb::list_articles).post(kb::create_article),
        )
        .route("/kb/articles/{id}/versions", get(kb::list_versions))
        .route(
            "/kb/articles/{id}/versions/{version_id}/restore",
            post(kb::restore_version),
        )
        .route("/kb/articles/{id}/reviewed", post(kb::mark_reviewed))
        .route(
            "/kb/articles/{id}",
            get(kb::get_article)
                .put(kb::update_article)
                .delete(kb::delete_article),
        )
        .route("/forms", get(forms::list).post(forms::create))
        .route(
            "/forms/{id}",
            get(forms::get).put(forms::update).delete(forms::delete),
        )
        .route("/feedback/{id}", patch(feedback::update))
        .route(
            "/reports/schedules",
            get(report_schedules::list).post(report_schedules::create),
        )
        .route(
            "/reports/schedules/{id}",
            get(report_schedules::get_one)
                .put(report_schedules::update)
                .delete(report_schedules::delete),
        )
        .route(
            "/reports/schedules/{id}/send",
            post(report_schedules::send_now),
        )
        .route("/nps/campaigns", get(nps::list).post(nps::create))
        .route(
            "/nps/campaigns/{id}",
            get(nps::get_one).put(nps::update).delete(nps::delete),
        )
        .route("/nps/responses", get(nps::responses))
        .route("/customers/{id}/nps", get(nps::customer))
        .route("/reports/live", get(reports::live))
        .route(
            "/settings/costs",
            get(reports::get_costs).put(reports::put_costs),
        )
        .route(
            "/settings/answer-bot",
            get(bot::get_settings).put(bot::put_settings),
        )
        .route(
            "/settings/satisfaction",
            get(satisfaction::get_settings).put(satisfaction::put_settings),
        )
        .route(
            "/conversations/{id}/satisfaction",
            get(satisfaction::conversation_survey),
        )
        .route(
            "/customers/{id}/satisfaction",
            get(satisfaction::customer_surveys),
        )
        .route(
            "/agents/{id}/routing",
            get(routing::get_agent_routing).put(routing::put_agent_routing),
        )
        .route(
            "/me/availability",
            axum::routing::put(routing::put_availability),
        )
        .route(
            "/routing/skill-rules",
            get(routing::list_skill_rules).post(routing::create_skill_rule),
        )
        .route(
            "/routing/skill-rules/{id}",
            axum::routing::put(routing::update_skill_rule).delete(routing::delete_skill_rule),
        )
        .route("/tasks/{id}", patch(tasks::update_task))
        .route("/webhooks/events", get(webhooks::list_events))
        .route(
            "/webhooks",
            get(webhooks::list_webhooks).post(webhooks::create_webhook),
        )
        .route(
            "/webhooks/{id}",
            get(webhooks::get_webhook)
                .patch(webhooks::update_webhook)
                .delete(webhooks::delete_webhook),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::list_deliveries))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/webhooks/{id}/ping", post(webhooks::ping_webhook))
        .route("/openapi.json", get(docs::openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::idempotency::idempotent,
        ))
        .layer(DefaultBodyLimit::max(body_limit));
    Router::new()
        .nest("/api/v1", v1)
        .route("/api/docs", get(docs::docs_page))
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "bad-request",
        "Method not allowed",
        "this route does not take that method; see /api/docs",
    )
}

async fn not_found() -> Problem {
    Problem::not_found("API route")
}

/// Decodes uploaded files, refusing any over the limit before decoding it.
pub fn decode_attachments(
    items: Vec<dto::AttachmentIn>,
    max_bytes: usize,
) -> ApiResult<Vec<Upload>> {
    let mut out = Vec::with_capacity(items.len());
    for (i, a) in items.into_iter().enumerate() {
        if a.content_base64.len() / 4 * 3 > max_bytes + 3 {
            return Err(Problem::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Too large",
                format!(
                    "attachment {} is over the limit of {max_bytes} bytes",
                    a.filename
                ),
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(a.content_base64.trim())
            .map_err(|e| {
                Problem::invalid(
                    &format!("attachments[{i}].content_base64"),
                    format!("is not base64: {e}"),
                )
            })?;
        out.push(Upload {
            filename: a.filename,
            content_type: a.content_type,
            bytes,
        });
    }
    Ok(out)
}
