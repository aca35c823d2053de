//! The agent workspace: server-rendered pages with a little hand-written JavaScript for live
//! updates and presence. Every page works without JavaScript; nothing loads from a CDN.

pub mod admin;
pub mod admin_automations;
pub mod admin_bot;
pub mod admin_branding;
pub mod admin_calendars;
pub mod admin_chat;
pub mod admin_forms;
pub mod admin_inboxes;
pub mod admin_nps;
pub mod admin_routing;
pub mod admin_satisfaction;
pub mod admin_sla;
pub mod admin_webhooks;
pub mod assets;
pub mod auth;
pub mod automation_form;
pub mod brand;
pub mod conditions_form;
pub mod conversation;
pub mod customers;
pub mod feedback;
pub mod form;
pub mod help;
pub mod help_lang;
pub mod inbox;
pub mod kb;
pub mod kb_files;
pub mod kb_history;
pub mod kb_suggest;
pub mod live;
pub mod macros;
pub mod mail;
pub mod nps_survey;
pub mod portal;
pub mod reports;
pub mod search;
pub mod settings;
pub mod survey;
pub mod timeline;
pub mod transfer;
pub mod view;

use crate::AppState;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use steward_store::models::Attachment;

pub fn routes(body_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route("/login", get(auth::login_page).post(auth::sign_in))
        .route("/logout", post(auth::sign_out))
        // Public: the survey's token is the credential.
        .route("/survey/{token}", get(survey::page).post(survey::answer))
        .route("/survey/{token}/opt-out", post(survey::opt_out))
        .route(
            "/nps/{token}",
            get(nps_survey::page).post(nps_survey::answer),
        )
        .route("/nps/{token}/opt-out", post(nps_survey::opt_out))
        .route("/help/feedback", get(feedback::form).post(feedback::send))
        .route("/kb", get(kb::list).post(kb::save))
        .route("/kb/new", get(kb::new))
        .route("/kb/{id}", get(kb::view))
        .route("/kb/{id}/edit", get(kb::edit))
        .route("/kb/files", post(kb_files::upload))
        .route("/help/files/{id}/{name}", get(kb_files::file))
        .route("/kb/{id}/history", get(kb_history::history))
        .route("/kb/{id}/restore", post(kb_history::restore))
        .route("/kb/{id}/reviewed", post(kb_history::reviewed))
        .route("/help", get(help::home))
        .route("/help/search", get(help::search))
        .route("/help/suggest", get(help::suggest))
        .route("/help/lang/{code}", get(help_lang::choose))
        .route("/help/deflections", post(help::deflected))
        .route("/help/categories/{slug}", get(help::category))
        .route("/help/articles/{id_slug}", get(help::article))
        .route("/help/articles/{id}/helpful", post(help::helpful))
        .route("/sitemap.xml", get(help::sitemap))
        .route("/feedback", get(feedback::list).post(feedback::save))
        .route("/inbox", get(inbox::inbox))
        .route(
            "/conversations/new",
            get(conversation::new_page).post(conversation::create),
        )
        .route("/conversations/{id}", get(conversation::page))
        .route(
            "/conversations/{id}/timeline",
            get(conversation::timeline_fragment),
        )
        .route("/conversations/{id}/reply", post(conversation::reply))
        .route("/conversations/{id}/update", post(conversation::update))
        .route("/conversations/{id}/merge", post(conversation::merge))
        .route("/conversations/{id}/chat/end", post(live::end_chat))
        .route("/conversations/{id}/transfer", post(transfer::transfer))
        .route("/conversations/{id}/tasks", post(transfer::add_task))
        .route("/tasks/{id}/done", post(transfer::done))
        .route("/availability", post(inbox::set_availability))
        .route("/conversations/{id}/presence", post(live::report_presence))
        .route("/attachments/{id}", get(conversation::attachment))
        .route(
            "/attachments/inline/{sha256}",
            get(conversation::inline_attachment),
        )
        .route("/messages/{id}/original", get(mail::original))
        .route("/messages/{id}/retry", post(mail::retry))
        .route("/customers", get(customers::list))
        .route(
            "/customers/{id}",
            get(customers::page).post(customers::update),
        )
        .route("/search", get(search::page))
        .route("/reports", get(reports::page))
        .route("/reports/live", get(reports::wall))
        .route("/reports/costs", post(reports::save_costs))
        .route("/reports/schedules", post(reports::save_schedule))
        .route("/reports/schedules/action", post(reports::schedule_action))
        .route("/settings", get(settings::page).post(settings::save))
        .route("/macros", get(macros::page).post(macros::save))
        .route("/macros/delete", post(macros::delete))
        .route("/live", get(live::stream))
        .route("/admin", get(|| async { Redirect::to("/admin/agents") }))
        .route("/admin/agents", get(admin::agents).post(admin::save_agent))
        .route("/admin/teams", get(admin::teams).post(admin::save_team))
        .route("/admin/tags", get(admin::tags).post(admin::save_tag))
        .route("/admin/fields", get(admin::fields).post(admin::save_field))
        .route(
            "/admin/inboxes",
            get(admin_inboxes::page).post(admin_inboxes::save),
        )
        .route("/admin/inboxes/delete", post(admin_inboxes::delete))
        .route("/admin/inboxes/settings", post(admin_inboxes::settings))
        .route("/admin/inboxes/check", post(admin_inboxes::check))
        .route(
            "/admin/calendars",
            get(admin_calendars::page).post(admin_calendars::save),
        )
        .route("/admin/calendars/import", post(admin_calendars::import))
        .route("/admin/calendars/delete", post(admin_calendars::delete))
        .route("/admin/calendars/team", post(admin_calendars::team))
        .route("/admin/sla", get(admin_sla::page).post(admin_sla::save))
        .route("/admin/routing", get(admin_routing::page))
        .route(
            "/admin/automations",
            get(admin_automations::page).post(admin_automations::save),
        )
        .route(
            "/admin/satisfaction",
            get(admin_satisfaction::page).post(admin_satisfaction::save),
        )
        .route("/admin/nps", get(admin_nps::page).post(admin_nps::save))
        .route("/admin/nps/delete", post(admin_nps::delete))
        .route("/admin/automations/delete", post(admin_automations::delete))
        .route(
            "/admin/automations/dry-run",
            post(admin_automations::dry_run),
        )
        .route("/admin/automations/raise", post(admin_automations::raise))
        .route("/admin/routing/rules", post(admin_routing::add_rule))
        .route(
            "/admin/routing/rules/delete",
            post(admin_routing::delete_rule),
        )
        .route("/admin/sla/delete", post(admin_sla::delete))
        .route("/admin/sla/raise", post(admin_sla::raise))
        .route(
            "/admin/webhooks",
            get(admin_webhooks::page).post(admin_webhooks::save),
        )
        .route("/admin/webhooks/delete", post(admin_webhooks::delete))
        .route("/admin/chat", get(admin_chat::page).post(admin_chat::save))
        .route("/admin/chat/delete", post(admin_chat::delete))
        .route(
            "/admin/forms",
            get(admin_forms::page).post(admin_forms::save),
        )
        .route("/admin/forms/delete", post(admin_forms::delete))
        .route("/admin/bot", get(admin_bot::page).post(admin_bot::save))
        .route(
            "/admin/branding",
            get(admin_branding::page).post(admin_branding::save),
        )
        .route("/admin/webhooks/ping", post(admin_webhooks::ping))
        .route("/admin/webhooks/redeliver", post(admin_webhooks::redeliver))
        .route("/static/{file}", get(assets::asset))
        .route("/brand/logo", get(brand::logo))
        .merge(portal::routes())
        .layer(DefaultBodyLimit::max(body_limit))
}

/// Renders a template into a page, or an error page if rendering fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            PageError(Problem::internal()).into_response()
        }
    }
}

/// A stored file as a download. Anything that a browser could run is sent as an attachment.
pub fn download(a: &Attachment, bytes: Vec<u8>) -> Response {
    send_file(&a.filename, &a.content_type, bytes)
}

/// A message's original mail as an `.eml` file.
pub fn download_mail(message_id: i64, bytes: Vec<u8>) -> Response {
    send_file(
        &format!("message-{message_id}.eml"),
        "message/rfc822",
        bytes,
    )
}

/// A file for download, shown inline only when its type is harmless to show.
pub(crate) fn send_file(filename: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let inline = content_type.starts_with("image/") && content_type != "image/svg+xml"
        || content_type == "application/pdf"
        || content_type == "text/plain";
    let ct = if inline || content_type == "message/rfc822" {
        content_type
    } else {
        "application/octet-stream"
    };
    let name: String = filename
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\' || *c == ' ')
        .collect();
    let disposition = format!(
        "{}; filename=\"{}\"",
        if inline { "inline" } else { "attachment" },
        name
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        ),
    );
    res
}
