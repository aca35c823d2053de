//! The JSON shapes of the API, with their OpenAPI schemas. Times are RFC 3339 strings in UTC.

use crate::fmt::{rfc3339, rfc3339_opt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use steward_engine::conversation::MailByMessage;
use steward_store::email::MessageMail;
use steward_store::models;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CustomerBrief {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationOut {
    pub id: i64,
    /// The number people quote (`#1234`).
    pub number: i64,
    pub subject: String,
    /// new, open, pending, on_hold, solved or closed.
    pub status: String,
    /// low, normal, high or urgent.
    pub priority: String,
    /// email, chat, web, phone, sms, social or api.
    pub channel: String,
    pub customer: CustomerBrief,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    /// The inbox it arrived through, if any.
    pub inbox: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    pub merged_into: Option<i64>,
    pub follow_up_of: Option<i64>,
    pub message_count: i64,
    pub created_at: String,
    pub updated_at: String,
    pub last_activity_at: String,
    pub first_response_at: Option<String>,
    pub solved_at: Option<String>,
    pub closed_at: Option<String>,
    /// Milliseconds from creation to the first public agent reply.
    pub first_response_ms: Option<i64>,
    /// Milliseconds from creation to the latest solve.
    pub resolution_ms: Option<i64>,
    /// The SLA at a glance; absent when no policy applies (details at `/sla`).
    pub sla: Option<SlaBrief>,
}

#[derive(Serialize, ToSchema)]
pub struct SlaBrief {
    pub policy_id: i64,
    /// ok, warning, breached, paused or met.
    pub state: Option<String>,
    /// When the soonest running clock runs out.
    pub due_at: Option<String>,
    /// When a target was first missed.
    pub breached_at: Option<String>,
}

impl ConversationOut {
    pub fn from(c: models::Conversation, tags: Vec<String>) -> ConversationOut {
        let custom_fields = c.custom_fields_json();
        ConversationOut {
            id: c.id,
            number: c.number,
            status: c.status.to_string(),
            priority: c.priority.to_string(),
            channel: c.channel.to_string(),
            inbox: c.inbox.clone(),
            customer: CustomerBrief {
                id: c.customer_id,
                name: c.customer_name,
                email: c.customer_email,
            },
            assignee_id: c.assignee_id,
            assignee_name: c.assignee_name,
            team_id: c.team_id,
            team_name: c.team_name,
            tags,
            custom_fields,
            merged_into: c.merged_into,
            follow_up_of: c.follow_up_of,
            message_count: c.message_count,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            last_activity_at: rfc3339(c.last_activity_at),
            first_response_at: rfc3339_opt(c.first_response_at),
            solved_at: rfc3339_opt(c.solved_at),
            closed_at: rfc3339_opt(c.closed_at),
            first_response_ms: c.first_response_at.map(|t| (t - c.created_at).max(0)),
            resolution_ms: c.solved_at.map(|t| (t - c.created_at).max(0)),
            sla: c.sla_policy_id.map(|policy_id| SlaBrief {
                policy_id,
                state: c.sla_state,
                due_at: rfc3339_opt(c.sla_due_at),
                breached_at: rfc3339_opt(c.sla_breached_at),
            }),
            subject: c.subject,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    pub id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentIn {
    pub filename: String,
    #[serde(default = "octet_stream")]
    pub content_type: String,
    /// The file's bytes, base64-encoded.
    pub content_base64: String,
}

fn octet_stream() -> String {
    "application/octet-stream".into()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstMessageIn {
    #[serde(default)]
    pub body: String,
    /// HTML body; sanitized. The text is derived from it when `body` is empty.
    pub html: Option<String>,
    /// customer (default) or agent.
    pub author: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentIn>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConversationIn {
    pub customer: CustomerIn,
    pub subject: String,
    pub message: FirstMessageIn,
    /// Defaults to api.
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// The inbox it arrives through (an inbox's address); its team takes the conversation
    /// unless `team_id` is given.
    pub inbox: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedConversation {
    pub id: i64,
    pub number: i64,
    pub conversation: ConversationOut,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PatchConversationIn {
    pub subject: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    /// An agent id, or null to unassign.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// A team id, or null for no team.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Merged into the current values; null clears a field.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// Replaces the followers (agent ids).
    pub followers: Option<Vec<i64>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    #[serde(default)]
    pub body: String,
    pub html: Option<String>,
    /// public (default) or internal.
    pub visibility: Option<String>,
    /// agent (default) or customer.
    pub author: Option<String>,
    /// The status to leave the conversation in.
    pub status: Option<String>,
    pub channel: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentIn>,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
}

impl From<&models::Attachment> for AttachmentOut {
    fn from(a: &models::Attachment) -> AttachmentOut {
        AttachmentOut {
            id: a.id,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            url: format!("/api/v1/attachments/{}", a.id),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    pub conversation_id: i64,
    /// customer, agent, bot or system.
    pub author_kind: String,
    pub author_user_id: Option<i64>,
    pub author_customer_id: Option<i64>,
    pub author_name: Option<String>,
    /// public or internal.
    pub visibility: String,
    pub channel: String,
    pub body: String,
    pub html: Option<String>,
    pub attachments: Vec<AttachmentOut>,
    /// How the message travelled by mail, when it did.
    pub email: Option<MessageMailOut>,
    pub created_at: String,
}

/// The mail behind a message.
#[derive(Serialize, ToSchema)]
pub struct MessageMailOut {
    /// `in` (received) or `out` (sent by Steward).
    pub direction: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// For mail Steward sends: queued, sending, sent or failed.
    pub delivery_status: Option<String>,
    /// Why the last attempt failed.
    pub delivery_error: Option<String>,
    pub delivery_attempts: Option<i64>,
    /// The original email (`message/rfc822`).
    pub original_url: String,
    /// POST here to send failed mail again.
    pub retry_url: Option<String>,
    /// `spf=… dkim=… dmarc=…` for inbound mail whose sender was checked.
    pub authentication: Option<String>,
    /// The sender could not be verified and the mail is flagged as possibly forged.
    pub sender_unverified: bool,
}

fn address_list(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

impl From<&MessageMail> for MessageMailOut {
    fn from(e: &MessageMail) -> MessageMailOut {
        MessageMailOut {
            direction: e.direction.clone(),
            from: e.from_address.clone(),
            to: address_list(&e.to_addresses),
            cc: address_list(&e.cc_addresses),
            retry_url: (e.delivery_status.as_deref() == Some("failed"))
                .then(|| format!("/api/v1/messages/{}/retry", e.message_id)),
            delivery_status: e.delivery_status.clone(),
            delivery_error: e.delivery_error.clone(),
            delivery_attempts: e.delivery_attempts,
            original_url: format!("/api/v1/messages/{}/original", e.message_id),
            authentication: e.authentication.clone(),
            sender_unverified: e.auth_failed != 0,
        }
    }
}

impl MessageOut {
    pub fn from(
        m: models::Message,
        attachments: &[models::Attachment],
        mail: &MailByMessage,
    ) -> MessageOut {
        MessageOut {
            email: mail.get(&m.id).map(MessageMailOut::from),
            id: m.id,
            conversation_id: m.conversation_id,
            author_kind: m.author_kind.to_string(),
            author_user_id: m.author_user_id,
            author_customer_id: m.author_customer_id,
            author_name: m.author_name,
            visibility: m.visibility.to_string(),
            channel: m.channel.to_string(),
            body: m.body_text,
            html: m.body_html,
            attachments: attachments
                .iter()
                .filter(|a| a.message_id == m.id)
                .map(AttachmentOut::from)
                .collect(),
            created_at: rfc3339(m.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub id: i64,
    pub at: String,
    /// user, customer or system.
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub kind: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<models::Event> for EventOut {
    fn from(e: models::Event) -> EventOut {
        EventOut {
            id: e.id,
            at: rfc3339(e.at),
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            kind: e.kind,
            data: serde_json::from_str(&e.data).unwrap_or(Value::Null),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIn {
    /// The conversation that survives; this one's messages move there.
    pub into: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerOut {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub notes: String,
    pub tier: Option<String>,
    /// The customer asked not to get satisfaction surveys.
    pub surveys_opt_out: bool,
    pub identities: Vec<IdentityOut>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityOut {
    /// email, phone, chat or social.
    pub kind: String,
    pub value: String,
}

impl CustomerOut {
    pub fn from(c: models::Customer, ids: Vec<models::Identity>) -> CustomerOut {
        CustomerOut {
            id: c.id,
            name: c.name,
            email: c.email,
            organization_id: c.organization_id,
            organization_name: c.organization_name,
            notes: c.notes,
            tier: c.tier,
            surveys_opt_out: c.surveys_opt_out != 0,
            identities: ids
                .into_iter()
                .map(|i| IdentityOut {
                    kind: i.kind,
                    value: i.value,
                })
                .collect(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerIn {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCustomerIn {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    pub notes: Option<String>,
    /// A service tier such as "vip"; `null` or "" clears it.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub tier: Option<Option<String>>,
    /// The customer asked not to get satisfaction surveys (or asks again).
    pub surveys_opt_out: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    pub notes: String,
    pub customer_count: i64,
    pub created_at: String,
}

impl From<models::Organization> for OrganizationOut {
    fn from(o: models::Organization) -> OrganizationOut {
        OrganizationOut {
            id: o.id,
            name: o.name,
            domain: o.domain,
            notes: o.notes,
            customer_count: o.customer_count,
            created_at: rfc3339(o.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationIn {
    pub name: String,
    pub domain: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AgentOut {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// admin, supervisor or agent.
    pub role: String,
    pub active: bool,
    pub team_ids: Vec<i64>,
    pub created_at: String,
}

impl AgentOut {
    pub fn from(u: models::User, team_ids: Vec<i64>) -> AgentOut {
        AgentOut {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role.to_string(),
            active: u.active != 0,
            team_ids,
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentIn {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: Option<String>,
    #[serde(default)]
    pub team_ids: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchAgentIn {
    pub name: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub team_ids: Option<Vec<i64>>,
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_ids: Vec<i64>,
    /// The business-hours calendar the team works by.
    pub calendar_id: Option<i64>,
    pub created_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    pub name: Option<String>,
    pub description: Option<String>,
    pub member_ids: Option<Vec<i64>>,
    /// A calendar id, or `null` for none.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<i64>)]
    pub calendar_id: Option<Option<i64>>,
}

#[derive(Serialize, ToSchema)]
pub struct TagOut {
    pub id: i64,
    pub name: String,
    pub color: String,
    /// How many conversations carry it.
    pub usage: i64,
}

impl From<models::Tag> for TagOut {
    fn from(t: models::Tag) -> TagOut {
        TagOut {
            id: t.id,
            name: t.name,
            color: t.color,
            usage: t.usage,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagIn {
    pub name: Option<String>,
    pub color: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomFieldOut {
    pub id: i64,
    pub key: String,
    pub label: String,
    /// text, number, date, dropdown or checkbox.
    pub kind: String,
    pub options: Vec<String>,
    pub position: i64,
}

impl From<models::FieldDefRow> for CustomFieldOut {
    fn from(f: models::FieldDefRow) -> CustomFieldOut {
        CustomFieldOut {
            options: f.options_list(),
            id: f.id,
            key: f.key,
            label: f.label,
            kind: f.kind,
            position: f.position,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomFieldIn {
    pub key: String,
    pub label: String,
    pub kind: String,
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCustomFieldIn {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub position: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHitOut {
    pub conversation: ConversationOut,
    /// A piece of the matching text.
    pub snippet: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchOut {
    pub conversations: Vec<SearchHitOut>,
    pub customers: Vec<CustomerBrief>,
}
