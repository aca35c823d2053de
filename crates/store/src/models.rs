//! The rows the repositories return. Words stored as text (status, priority, …) are parsed
//! into the domain's types on the way out, so a corrupt value is an error, not a guess.

use serde::Serialize;
use sqlx::FromRow;
use steward_domain::{AuthorKind, Channel, Priority, Role, Status, Visibility};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub number: i64,
    pub subject: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    /// JSON object of custom field values.
    pub custom_fields: String,
    pub merged_into: Option<i64>,
    pub follow_up_of: Option<i64>,
    pub message_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_activity_at: i64,
    pub first_response_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// The SLA policy the conversation falls under, if any.
    pub sla_policy_id: Option<i64>,
    /// When the soonest running SLA clock runs out (sorts the inbox).
    pub sla_due_at: Option<i64>,
    /// When an SLA target was first missed.
    pub sla_breached_at: Option<i64>,
    /// ok, warning, breached, paused or met; `None` without a policy.
    pub sla_state: Option<String>,
    /// When the SLA timer (`sla.check` job) is set for.
    pub sla_check_at: Option<i64>,
    /// The inbox it arrived through (lower case), if it came by an inbox.
    pub inbox: Option<String>,
    /// Public agent replies (reports count first-contact resolution by it).
    pub agent_replies: i64,
}

impl Conversation {
    pub fn access(&self) -> steward_domain::policy::ConversationAccess {
        steward_domain::policy::ConversationAccess {
            team_id: self.team_id,
            assignee_id: self.assignee_id,
            followed: false,
        }
    }

    pub fn custom_fields_json(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.custom_fields).unwrap_or_default()
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    #[sqlx(try_from = "String")]
    pub author_kind: AuthorKind,
    pub author_user_id: Option<i64>,
    pub author_customer_id: Option<i64>,
    pub author_name: Option<String>,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub body_text: String,
    pub body_html: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub message_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub subject_type: String,
    pub subject_id: i64,
    pub conversation_id: Option<i64>,
    pub kind: String,
    pub data: String,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub notes: String,
    pub email: Option<String>,
    /// A service tier such as "vip" or "enterprise"; SLA policies may select on it.
    pub tier: Option<String>,
    /// 1 when the customer asked not to get satisfaction surveys.
    pub surveys_opt_out: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Identity {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    pub notes: String,
    pub customer_count: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub active: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: Option<String>,
    pub active: i64,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub created_at: i64,
    /// The business-hours calendar the team works by.
    pub calendar_id: Option<i64>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub usage: i64,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct FieldDefRow {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub kind: String,
    /// JSON array of the dropdown's choices.
    pub options: String,
    pub position: i64,
}

impl FieldDefRow {
    pub fn options_list(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }
}
