//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a docs page that
//! renders it with a little local JavaScript (no CDN, works offline).

use super::automations as au;
use super::bot;
use super::calendars as cal;
use super::chat as ch;
use super::conversations as c;
use super::directory as d;
use super::dto::*;
use super::exports as ex;
use super::feedback as fb;
use super::forms as frm;
use super::inboxes as i;
use super::kb;
use super::macros as m;
use super::notifications as n;
use super::nps;
use super::report_schedules as sch;
use super::reports as rep;
use super::routing as r;
use super::satisfaction as sat;
use super::sla;
use super::tasks as t;
use super::webhooks as w;
use axum::response::{Html, IntoResponse};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Steward API", version = "1", description = "Customer service conversations, customers, agents and teams. Authenticate with `Authorization: Bearer <token>` (create one with `steward token create`). Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    paths(
        c::list_conversations, c::create_conversation, c::get_conversation, c::update_conversation,
        c::list_messages, c::create_message, c::list_events, c::merge_conversation, c::get_attachment, c::get_original_mail, c::retry_mail, c::search,
        d::list_customers, d::create_customer, d::get_customer, d::update_customer, d::add_identity, d::customer_conversations,
        d::list_organizations, d::create_organization, d::get_organization,
        d::list_agents, d::create_agent, d::get_agent, d::update_agent, d::me,
        d::list_teams, d::create_team, d::get_team, d::update_team,
        d::list_tags, d::create_tag, d::update_tag, d::delete_tag,
        d::list_custom_fields, d::create_custom_field, d::update_custom_field, d::delete_custom_field,
        m::list_macros, m::create_macro, m::update_macro, m::delete_macro, m::fill_macro,
        i::list_inboxes, i::create_inbox, i::update_inbox, i::delete_inbox, i::check_inbox, n::get_notifications, n::put_notifications,
        w::list_events, w::list_webhooks, w::create_webhook, w::get_webhook, w::update_webhook, w::delete_webhook,
        w::list_deliveries, w::redeliver, w::ping_webhook,
        cal::list_calendars, cal::create_calendar, cal::get_calendar, cal::update_calendar, cal::delete_calendar, cal::import_holidays,
        sla::list_policies, sla::create_policy, sla::get_policy, sla::update_policy, sla::delete_policy,
        sla::reorder_policies, sla::conversation_sla,
        t::transfer, t::conversation_tasks, t::add_task, t::my_tasks, t::update_task,
        r::get_team_routing, r::put_team_routing, r::team_queue, r::get_agent_routing, r::put_agent_routing,
        r::put_availability, r::list_skill_rules, r::create_skill_rule, r::update_skill_rule, r::delete_skill_rule, r::get_inbox_settings, r::put_inbox_settings, sat::get_settings, sat::put_settings, sat::conversation_survey, sat::customer_surveys, rep::summary, rep::summary_csv, rep::summary_xlsx, ex::export, rep::live, fb::create, fb::list, fb::update, ch::list_inboxes, ch::create_inbox, ch::update_inbox, ch::delete_inbox, ch::waiting, kb::list_categories, kb::create_category, kb::update_category, kb::delete_category, kb::list_articles, kb::create_article, kb::get_article, kb::update_article, kb::delete_article, kb::list_versions, kb::restore_version, kb::mark_reviewed, frm::list, frm::get, frm::create, frm::update, frm::delete, bot::get_settings, bot::put_settings,
        sch::list, sch::get_one, sch::create, sch::update, sch::delete, sch::send_now,
        nps::list, nps::get_one, nps::create, nps::update, nps::delete, nps::responses, nps::customer, rep::get_costs, rep::put_costs,
        au::list, au::create, au::update, au::delete, au::dry_run, au::reorder,
    ),
    components(schemas(ConversationOut, CustomerBrief, CreateConversationIn, CustomerIn, FirstMessageIn, AttachmentIn,
        CreatedConversation, PatchConversationIn, MessageIn, MessageOut, MessageMailOut, AttachmentOut, EventOut, MergeIn,
        CustomerOut, IdentityOut, CreateCustomerIn, PatchCustomerIn, OrganizationOut, CreateOrganizationIn,
        AgentOut, CreateAgentIn, PatchAgentIn, TeamOut, TeamIn, TagOut, TagIn, CustomFieldOut,
        CreateCustomFieldIn, PatchCustomFieldIn, SearchOut, SearchHitOut,
        i::EmailSetupOut, i::InboxOut, i::MailboxOut, i::RelayOut, i::ConnectionCheckOut, m::MacroOut, m::MacroIn, m::MacroPatch, m::FilledMacroOut, i::InboxIn, i::ImapIn, i::SavedInboxOut, n::NotificationsInOut,
        w::WebhookOut, w::WebhookIn, w::WebhookPatch, w::DeliveryOut,
        cal::CalendarOut, cal::CalendarIn, cal::HolidayIo, cal::IcsImportIn, cal::IcsImportOut,
        sla::SlaPolicyIn, sla::SlaPolicyOut, sla::ConditionsIo, sla::TargetsIo, sla::EscalationIo,
        sla::ReorderIn, sla::SlaClockOut, sla::ConversationSlaOut, SlaBrief,
        t::TransferIn, t::TaskIn, t::TaskPatch, t::TaskOut,
        r::TeamRoutingIo, r::AgentRoutingOut, r::AgentRoutingIn, r::AvailabilityIn, r::QueueEntryOut, r::SkillRuleIo, r::InboxSettingsIo, sat::SurveyOut, rep::ReportOut, rep::LiveOut, nps::CampaignOut, nps::ResponseOut, sch::ScheduleOut, fb::FeedbackOut, fb::FeedbackIn, fb::FeedbackPatch, ch::ChatInboxOut, ch::ChatInboxIn, ch::WaitingChatOut, ch::WaitingOut, kb::CategoryOut, kb::CategoryIn, kb::ArticleOut, kb::ArticleIn, kb::VersionOut, frm::FormOut, frm::FormFieldOut, frm::FormIn, frm::FormFieldIn,
        au::AutomationIn, au::AutomationOut, au::DryRunIn))
)]
pub struct ApiDoc;

pub async fn openapi_json() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

pub async fn docs_page() -> impl IntoResponse {
    Html(include_str!("../../static/api-docs.html"))
}
