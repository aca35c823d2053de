//! Satisfaction in chat: when a chat ends and surveys are on for the chat channel, the
//! visitor is asked in the widget (a `csat` survey of channel `chat`, so the emailed survey
//! for the same conversation is not sent too). Customers who opted out or were asked
//! recently are not asked. The answer is recorded as the emailed survey's is: a `csat.rated`
//! event, changeable for the same time.

use crate::conversation::record;
use crate::csat::{SurveyPage, page_of, settings_of};
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::Channel;
use steward_domain::chat::ServerFrame;
use steward_store::events::Doer;
use steward_store::models::Conversation;
use steward_store::surveys::{self, NewSurvey};
use steward_store::{Conn, customers};

const DAY_MS: i64 = 24 * 3_600_000;

impl Engine {
    /// Opens the chat survey of the ended chat `c`, in the end's transaction, when it should
    /// be asked.
    pub(crate) async fn offer_chat_survey(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        at: i64,
    ) -> Result<()> {
        let s = settings_of(tx).await?;
        if !s.enabled || !s.channels.contains(&Channel::Chat) {
            return Ok(());
        }
        if surveys::of_conversation(tx, c.id).await?.is_some() {
            return Ok(());
        }
        let opted_out = customers::get(tx, c.customer_id)
            .await?
            .is_none_or(|cu| cu.surveys_opt_out != 0);
        let recent = s.ask_again_after_days > 0
            && surveys::asked_since(tx, c.customer_id, at - s.ask_again_after_days * DAY_MS)
                .await?;
        if opted_out || recent {
            return Ok(());
        }
        // The widget answers as the visitor; the token is never handed out.
        let token = crate::accounts::new_secret("s_");
        let survey_id = surveys::insert(
            tx,
            &NewSurvey {
                conversation_id: c.id,
                customer_id: c.customer_id,
                token_sha256: &crate::accounts::digest(&token),
                scale: s.scale.as_str(),
                channel: "chat",
                team_id: c.team_id,
                assignee_id: c.assignee_id,
                at,
            },
        )
        .await?;
        record(
            tx,
            Doer::System,
            c.id,
            "csat.sent",
            json!({"survey_id": survey_id, "channel": "chat", "scale": s.scale}),
            at,
        )
        .await
    }

    /// The chat survey of chat `chat_id`, as the widget shows it, if one was opened.
    pub async fn chat_survey(&self, chat_id: i64) -> Result<Option<ServerFrame>> {
        let mut conn = self.store.pool().acquire().await?;
        let Some(survey) = surveys::of_conversation(&mut conn, chat_id)
            .await?
            .filter(|s| s.channel == "chat")
        else {
            return Ok(None);
        };
        let page = page_of(&mut conn, survey).await?;
        Ok(Some(frame(chat_id, &page)))
    }

    /// The visitor rates their ended chat.
    pub async fn chat_rate(
        &self,
        s: &super::VisitorSession,
        chat_id: i64,
        rating: i64,
        comment: Option<&str>,
    ) -> Result<ServerFrame> {
        self.visitor_chat(s, chat_id).await?;
        let mut tx = self.store.write().await?;
        let survey = surveys::of_conversation(&mut tx, chat_id)
            .await?
            .filter(|s| s.channel == "chat")
            .ok_or_else(|| EngineError::not_found("survey"))?;
        let page = page_of(&mut tx, survey).await?;
        let page = self.record_answer(tx, page, rating, comment).await?;
        Ok(frame(chat_id, &page))
    }
}

fn frame(chat_id: i64, page: &SurveyPage) -> ServerFrame {
    ServerFrame::Survey {
        chat: chat_id,
        question: page.question.clone(),
        choices: page
            .scale
            .ratings()
            .iter()
            .map(|(v, l)| (*v, l.to_string()))
            .collect(),
        rating: page.survey.rating,
        open: page.open && !page.opted_out,
    }
}
