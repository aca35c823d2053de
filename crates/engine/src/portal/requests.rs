//! A signed-in customer's requests: their conversations from every channel, each with its
//! public messages and files (never internal notes), a reply to one, and a new request through
//! a web form. Every read and write first checks that the conversation is the customer's own;
//! anyone else's answers as absent, so numbers leak nothing.

use super::PortalCustomer;
use crate::conversation::{NewConversationCmd, NewMessageCmd, Upload};
use crate::forms::answers;
use crate::intake::CustomerRef;
use crate::{Engine, EngineError, Result};
use steward_domain::policy::ConversationScope;
use steward_domain::{AuthorKind, Channel, Visibility};
use steward_store::conversations::{self, Filter, Sort};
use steward_store::messages;
use steward_store::models::{Attachment, Conversation, Message};

/// One request as its customer sees it.
pub struct RequestView {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    pub attachments: Vec<Attachment>,
    /// Its satisfaction survey, once one was sent.
    pub survey: Option<crate::csat::SurveyPage>,
}

/// A new request from a web form.
pub struct NewRequest {
    pub form_id: i64,
    pub subject: String,
    pub body: String,
    /// The form's answers as sent: (custom field key, text).
    pub answers: Vec<(String, String)>,
    pub attachments: Vec<Upload>,
}

/// Requests per page of the portal's list.
pub const PAGE: i64 = 50;

fn not_found() -> EngineError {
    EngineError::not_found("request")
}

impl Engine {
    /// A page of the customer's requests, newest activity first, continuing after `after`
    /// (last activity, id) when given; with where the next page starts, if there is one.
    /// Merged ones are shown through what they were merged into.
    pub async fn portal_requests(
        &self,
        c: &PortalCustomer,
        after: Option<(i64, i64)>,
    ) -> Result<(Vec<Conversation>, Option<(i64, i64)>)> {
        let mut conn = self.store.pool().acquire().await?;
        let filter = Filter {
            customer_id: Some(c.customer_id),
            sort: Sort::LastActivity,
            limit: PAGE + 1,
            after,
            ..Filter::default()
        };
        let mut list = conversations::list(&mut conn, &filter, &ConversationScope::All).await?;
        let more = list.len() as i64 > PAGE;
        list.truncate(PAGE as usize);
        let next = more
            .then(|| list.last().map(|l| (l.last_activity_at, l.id)))
            .flatten();
        Ok((list, next))
    }

    /// The customer's conversation numbered `number`, or not found.
    pub(super) async fn own_conversation(
        &self,
        c: &PortalCustomer,
        number: i64,
    ) -> Result<Conversation> {
        let mut conn = self.store.pool().acquire().await?;
        conversations::get_by_number(&mut conn, number)
            .await?
            .filter(|conv| conv.customer_id == c.customer_id)
            .ok_or_else(not_found)
    }

    /// Request `number` with its public messages, their files and its survey.
    pub async fn portal_request(&self, c: &PortalCustomer, number: i64) -> Result<RequestView> {
        let conversation = self.own_conversation(c, number).await?;
        let mut conn = self.store.pool().acquire().await?;
        let messages = messages::list(&mut conn, conversation.id, false).await?;
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let attachments = messages::attachments_of(&mut conn, &ids).await?;
        let survey =
            match steward_store::surveys::of_conversation(&mut conn, conversation.id).await? {
                Some(s) => Some(crate::csat::page_of(&mut conn, s).await?),
                None => None,
            };
        Ok(RequestView {
            conversation,
            messages,
            attachments,
            survey,
        })
    }

    /// Where request `number` lives now: itself, or what it was merged into when that is the
    /// customer's too.
    pub async fn portal_request_target(&self, c: &PortalCustomer, number: i64) -> Result<i64> {
        let conv = self.own_conversation(c, number).await?;
        let Some(into) = conv.merged_into else {
            return Ok(conv.number);
        };
        let mut conn = self.store.pool().acquire().await?;
        conversations::get(&mut conn, into)
            .await?
            .filter(|t| t.customer_id == c.customer_id)
            .map(|t| t.number)
            .ok_or_else(not_found)
    }

    /// The customer's reply to request `number`. A closed request starts a follow-up; the
    /// returned conversation is where the reply landed.
    pub async fn portal_reply(
        &self,
        c: &PortalCustomer,
        number: i64,
        body: &str,
        attachments: Vec<Upload>,
    ) -> Result<Conversation> {
        let conv = self.own_conversation(c, number).await?;
        let cmd = NewMessageCmd {
            author: AuthorKind::Customer,
            channel: Some(Channel::Web),
            attachments,
            ..NewMessageCmd::reply(body)
        };
        let sender = CustomerRef {
            id: Some(c.customer_id),
            ..CustomerRef::default()
        };
        let (landed, _) = self.receive_message(conv.id, &sender, cmd).await?;
        Ok(landed)
    }

    /// A file of one of the customer's own requests, on a public message.
    pub async fn portal_attachment(
        &self,
        c: &PortalCustomer,
        id: i64,
    ) -> Result<(Attachment, Vec<u8>)> {
        let mut conn = self.store.pool().acquire().await?;
        let a = messages::attachment(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("file"))?;
        let m = messages::get(&mut conn, a.message_id)
            .await?
            .filter(|m| m.visibility == Visibility::Public)
            .ok_or_else(|| EngineError::not_found("file"))?;
        conversations::get(&mut conn, m.conversation_id)
            .await?
            .filter(|conv| conv.customer_id == c.customer_id)
            .ok_or_else(|| EngineError::not_found("file"))?;
        drop(conn);
        let bytes = self.store.blobs.get(&a.sha256).await?;
        Ok((a, bytes))
    }

    /// Opens a request through a web form: the form's team and tags, its answers as custom
    /// fields, on the web channel.
    pub async fn portal_submit(&self, c: &PortalCustomer, r: NewRequest) -> Result<Conversation> {
        let form = self.web_form(r.form_id, true).await?;
        let custom_fields = answers(&form, &r.answers)?;
        let customer = CustomerRef {
            id: Some(c.customer_id),
            ..CustomerRef::default()
        };
        let cmd = NewConversationCmd {
            team_id: form.team_id,
            tags: form.tags.clone(),
            custom_fields,
            attachments: r.attachments,
            ..NewConversationCmd::from_customer(customer, &r.subject, &r.body, Channel::Web)
        };
        self.create_conversation(None, cmd).await
    }
}
