//! Reading conversations as an actor may see them. A conversation outside the actor's scope
//! answers as not found.

use crate::{Engine, EngineError, Result};
use steward_domain::Actor;
use steward_store::conversations::{self, Filter};
use steward_store::models::{Attachment, Conversation, Event, Message};
use steward_store::{events, messages};

/// Everything the conversation page shows.
#[derive(Debug, Clone)]
pub struct Detail {
    pub conversation: Conversation,
    pub tags: Vec<String>,
    pub followers: Vec<i64>,
    /// Addresses copied on the conversation's mail.
    pub cc: Vec<String>,
    pub messages: Vec<Message>,
    pub attachments: Vec<Attachment>,
    pub events: Vec<Event>,
    /// The mail behind messages that travelled by email, by message id.
    pub mail: MailByMessage,
}

/// The mail behind messages that travelled by email, by message id.
pub type MailByMessage = std::collections::HashMap<i64, steward_store::email::MessageMail>;

impl Engine {
    pub async fn conversation(&self, by: &Actor, id: i64) -> Result<Conversation> {
        let mut conn = self.store.pool().acquire().await?;
        let c = conversations::get(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        super::authorize(&mut conn, by, &c).await?;
        Ok(c)
    }

    pub async fn conversation_by_number(&self, by: &Actor, number: i64) -> Result<Conversation> {
        let mut conn = self.store.pool().acquire().await?;
        let c = conversations::get_by_number(&mut conn, number)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        super::authorize(&mut conn, by, &c).await?;
        Ok(c)
    }

    /// The tag names of a conversation, for answers about a change the caller just made.
    pub async fn conversation_tags(&self, id: i64) -> Result<Vec<String>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(conversations::tags_of(&mut conn, &[id])
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect())
    }

    /// The attachments of a message, for the answer to the request that just added it.
    pub async fn message_attachments(&self, message_id: i64) -> Result<Vec<Attachment>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(messages::attachments_of(&mut conn, &[message_id]).await?)
    }

    /// A message, for the answer to the request that just changed it (the caller was
    /// authorized by that change).
    pub async fn message_after_change(&self, message_id: i64) -> Result<Message> {
        let mut conn = self.store.pool().acquire().await?;
        messages::get(&mut conn, message_id)
            .await?
            .ok_or_else(|| EngineError::not_found("message"))
    }

    /// The mail behind a message, for the answer to the request that just added it.
    pub async fn message_mail(&self, message_id: i64) -> Result<MailByMessage> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(steward_store::email::for_messages(&mut conn, &[message_id]).await?)
    }

    pub async fn conversation_detail(&self, by: &Actor, id: i64) -> Result<Detail> {
        let conversation = self.conversation(by, id).await?;
        let mut conn = self.store.pool().acquire().await?;
        let tags = conversations::tags_of(&mut conn, &[id])
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        let followers = conversations::followers(&mut conn, id).await?;
        let messages = messages::list(&mut conn, id, true).await?;
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let attachments = messages::attachments_of(&mut conn, &ids).await?;
        let events = events::for_conversation(&mut conn, id).await?;
        let mail = steward_store::email::for_messages(&mut conn, &ids).await?;
        let cc = steward_store::email::cc_of(&mut conn, id).await?;
        Ok(Detail {
            mail,
            cc,
            conversation,
            tags,
            followers,
            messages,
            attachments,
            events,
        })
    }

    /// A page of conversations for `by`, with each one's tags.
    pub async fn list_conversations(
        &self,
        by: &Actor,
        filter: &Filter,
    ) -> Result<Vec<(Conversation, Vec<String>)>> {
        let mut conn = self.store.pool().acquire().await?;
        let rows = conversations::list(&mut conn, filter, &by.scope()).await?;
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let tags = conversations::tags_of(&mut conn, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|c| {
                let t = tags
                    .iter()
                    .filter(|(id, _)| *id == c.id)
                    .map(|(_, n)| n.clone())
                    .collect();
                (c, t)
            })
            .collect())
    }

    pub async fn count_conversations(&self, by: &Actor, filter: &Filter) -> Result<i64> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(conversations::count(&mut conn, filter, &by.scope()).await?)
    }

    /// An attachment and its bytes, if `by` may see its conversation.
    pub async fn attachment(&self, by: &Actor, id: i64) -> Result<(Attachment, Vec<u8>)> {
        let a = {
            let mut conn = self.store.pool().acquire().await?;
            let a = messages::attachment(&mut conn, id)
                .await?
                .ok_or_else(|| EngineError::not_found("attachment"))?;
            let m = messages::get(&mut conn, a.message_id)
                .await?
                .ok_or_else(|| EngineError::not_found("attachment"))?;
            let c = conversations::get(&mut conn, m.conversation_id)
                .await?
                .ok_or_else(|| EngineError::not_found("attachment"))?;
            super::authorize(&mut conn, by, &c)
                .await
                .map_err(|_| EngineError::not_found("attachment"))?;
            a
        };
        let bytes = self.store.blobs.get(&a.sha256).await?;
        Ok((a, bytes))
    }

    pub async fn conversation_events(&self, by: &Actor, id: i64) -> Result<Vec<Event>> {
        self.conversation(by, id).await?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(events::for_conversation(&mut conn, id).await?)
    }

    /// An attachment by its digest (how an email's inline images are linked), if `by` may see
    /// a conversation that has it.
    pub async fn inline_attachment(
        &self,
        by: &Actor,
        sha256: &str,
    ) -> Result<(Attachment, Vec<u8>)> {
        let not_found = || EngineError::not_found("attachment");
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let mut found = None;
        {
            let mut conn = self.store.pool().acquire().await?;
            for a in messages::attachments_by_sha256(&mut conn, sha256).await? {
                let Some(m) = messages::get(&mut conn, a.message_id).await? else {
                    continue;
                };
                if let Some(c) = conversations::get(&mut conn, m.conversation_id).await?
                    && super::authorize(&mut conn, by, &c).await.is_ok()
                {
                    found = Some(a);
                    break;
                }
            }
        }
        let a = found.ok_or_else(not_found)?;
        let bytes = self.store.blobs.get(&a.sha256).await?;
        Ok((a, bytes))
    }

    /// A conversation's messages, their attachments and mail, if `by` may see it.
    pub async fn conversation_messages(
        &self,
        by: &Actor,
        id: i64,
    ) -> Result<(Vec<Message>, Vec<Attachment>, MailByMessage)> {
        self.conversation(by, id).await?;
        let mut conn = self.store.pool().acquire().await?;
        let msgs = messages::list(&mut conn, id, true).await?;
        let ids: Vec<i64> = msgs.iter().map(|m| m.id).collect();
        let atts = messages::attachments_of(&mut conn, &ids).await?;
        let mail = steward_store::email::for_messages(&mut conn, &ids).await?;
        Ok((msgs, atts, mail))
    }

    /// The message as it travelled by mail (the raw bytes as received or as sent), if `by`
    /// may see its conversation.
    pub async fn original_mail(&self, by: &Actor, message_id: i64) -> Result<Vec<u8>> {
        let not_found = || EngineError::not_found("mail for this message");
        let mut conn = self.store.pool().acquire().await?;
        let m = messages::get(&mut conn, message_id)
            .await?
            .ok_or_else(not_found)?;
        let c = conversations::get(&mut conn, m.conversation_id)
            .await?
            .ok_or_else(not_found)?;
        super::authorize(&mut conn, by, &c)
            .await
            .map_err(|_| not_found())?;
        let mail = steward_store::email::for_messages(&mut conn, &[message_id]).await?;
        let mail = mail.get(&message_id).ok_or_else(not_found)?;
        match &mail.raw_sha256 {
            // Received mail is kept as a blob; sent mail is the outbox's bytes.
            Some(sha) => {
                drop(conn);
                Ok(self.store.blobs.get(sha).await?)
            }
            None => steward_store::email::sent_raw(&mut conn, message_id)
                .await?
                .ok_or_else(not_found),
        }
    }
}
