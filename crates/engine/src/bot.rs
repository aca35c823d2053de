//! The answer bot: answers from published public articles when it is sure enough, always as a
//! bot, and hands over to a person on request, when unsure, when the customer is upset, or
//! after a few answers. In chat it is the responder used unless another is installed
//! (`chat/responder.rs`); by email it answers new conversations of the inboxes an admin chose,
//! through a `bot.email` job, and the conversation stays in the queue for a person. Everything
//! it says is a message of the conversation, so the agent who takes over sees it all. The rules
//! (confidence, asking for a person, sentiment) are `steward_domain::bot`'s.

use crate::chat::BotReply;
use crate::sanitize::html_to_text;
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::json;
use steward_domain::bot::{self as rules, Settings};
use steward_domain::{Actor, AuthorKind, Channel};
use steward_store::jobs::Job;
use steward_store::kb::Article;
use steward_store::models::Conversation;
use steward_store::{Conn, conversations, messages, now_ms, settings};

const SETTINGS: &str = "answer_bot";

/// What the bot says when it hands over, by reason.
const ASKED: &str =
    "Of course. I am passing you to a person now; they will see everything we wrote here.";
const UPSET: &str = "I am sorry this has been frustrating. I am bringing in a person right away; they will see everything we wrote here.";
const UNSURE: &str = "I am not sure I have the right answer to that, so I am passing you to a person. They will see everything we wrote here.";
const ENOUGH: &str =
    "Let me bring in a person to help you further. They will see everything we wrote here.";

pub(crate) async fn settings_of(conn: &mut Conn) -> Result<Settings> {
    Ok(settings::get(conn, SETTINGS)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// An article's first sentences, for an answer.
fn summary(a: &Article) -> String {
    let text = html_to_text(&a.body_html);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 280 {
        return flat;
    }
    let cut: String = flat.chars().take(280).collect();
    match cut.rfind(". ") {
        Some(i) if i > 80 => cut[..=i].to_string(),
        _ => format!("{}…", cut.trim_end()),
    }
}

impl Engine {
    /// Whether the bot answers chats: read at most every 5 s per node, since every visitor
    /// message asks.
    pub(crate) async fn bot_answers_chats(&self) -> Result<bool> {
        if let Ok(g) = self.bot_chat_cache.lock()
            && let Some((at, on)) = *g
            && at.elapsed() < std::time::Duration::from_secs(5)
        {
            return Ok(on);
        }
        let on = self.bot_settings().await?.chat;
        if let Ok(mut g) = self.bot_chat_cache.lock() {
            *g = Some((std::time::Instant::now(), on));
        }
        Ok(on)
    }

    pub async fn bot_settings(&self) -> Result<Settings> {
        let mut conn = self.store.pool().acquire().await?;
        settings_of(&mut conn).await
    }

    /// Changes the bot's settings (admins). Email inboxes must be inboxes of this workspace.
    pub async fn set_bot_settings(&self, by: &Actor, mut s: Settings) -> Result<Settings> {
        by.may_administer()?;
        s.check()?;
        let known = self.email.all_inboxes();
        for (i, a) in s.email_inboxes.iter_mut().enumerate() {
            *a = a.trim().to_lowercase();
            if !known.iter().any(|k| k.address.eq_ignore_ascii_case(a)) {
                return Err(EngineError::invalid(
                    &format!("email_inboxes[{i}]"),
                    format!("there is no inbox {a}"),
                ));
            }
        }
        s.email_inboxes.dedup();
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = settings_of(&mut tx).await?;
        settings::set(&mut tx, SETTINGS, &json!(s).to_string(), at).await?;
        crate::directory::log(
            &mut tx,
            Some(by),
            "settings",
            0,
            "settings.changed",
            json!({"name": SETTINGS, "before": before, "after": s}),
            at,
        )
        .await?;
        tx.commit().await?;
        if let Ok(mut g) = self.bot_chat_cache.lock() {
            *g = Some((std::time::Instant::now(), s.chat));
        }
        Ok(s)
    }

    /// The published public article that best answers `question`, with how sure the bot is.
    pub async fn bot_answer(&self, question: &str) -> Result<Option<(Article, u8)>> {
        let found = self.kb_match(None, question, 3).await?;
        Ok(found
            .into_iter()
            .map(|a| {
                let sure = rules::confidence(question, &a.title, &html_to_text(&a.body_html));
                (a, sure)
            })
            .max_by_key(|(_, sure)| *sure))
    }

    fn article_url(&self, a: &Article) -> String {
        format!(
            "{}/help/articles/{}-{}",
            self.email.workspace_url.trim_end_matches('/'),
            a.id,
            a.slug
        )
    }

    /// The bot's turn in chat `chat_id` after the visitor wrote `text` (nothing when the bot
    /// is off for chat).
    pub(crate) async fn bot_chat_reply(
        &self,
        chat_id: i64,
        text: &str,
    ) -> Result<Option<BotReply>> {
        let s = self.bot_settings().await?;
        if !s.chat {
            return Ok(None);
        }
        let hand_over = |text: &str| {
            Ok(Some(BotReply {
                text: text.to_string(),
                handoff: true,
            }))
        };
        if rules::wants_person(text) {
            return hand_over(ASKED);
        }
        if rules::upset(text) {
            return hand_over(UPSET);
        }
        let mut conn = self.store.pool().acquire().await?;
        let answered = messages::list(&mut conn, chat_id, false)
            .await?
            .iter()
            .filter(|m| m.author_kind == AuthorKind::Bot)
            .count();
        drop(conn);
        if answered >= usize::from(s.max_answers) {
            return hand_over(ENOUGH);
        }
        match self.bot_answer(text).await? {
            Some((a, sure)) if sure >= s.confidence => Ok(Some(BotReply {
                text: format!(
                    "This article may answer your question: “{}”\n\n{}\n\nRead it all: {}\n\nDid that help? If not, choose “Talk to a person” and someone from the team will take over.",
                    a.title,
                    summary(&a),
                    self.article_url(&a)
                ),
                handoff: false,
            })),
            _ => hand_over(UNSURE),
        }
    }

    /// A new email conversation `c` from a customer: the bot answers it by mail if its inbox is
    /// one the bot answers for.
    pub(crate) async fn queue_bot_email(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        at: i64,
    ) -> Result<()> {
        if c.channel != Channel::Email {
            return Ok(());
        }
        let Some(inbox) = c.inbox.as_deref() else {
            return Ok(());
        };
        let s = settings_of(tx).await?;
        if !s
            .email_inboxes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(inbox))
        {
            return Ok(());
        }
        scheduler::schedule(
            tx,
            "bot.email",
            Some(&format!("bot:{}", c.id)),
            &json!({"conversation_id": c.id}),
            at,
        )
        .await
    }

    /// The `bot.email` job: answers the conversation's first message by mail when sure, unless
    /// a person answered first.
    pub(crate) async fn run_bot_email(&self, job: &Job) -> Result<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let id = payload["conversation_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no conversation_id"))?;
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        tx.commit().await?;
        let mut conn = self.store.pool().acquire().await?;
        let Some(c) = conversations::get(&mut conn, id).await? else {
            return Ok(());
        };
        let first = messages::list(&mut conn, id, false)
            .await?
            .into_iter()
            .next();
        drop(conn);
        let Some(first) = first else {
            return Ok(());
        };
        if c.first_response_at.is_some() || c.merged_into.is_some() {
            return Ok(());
        }
        let s = self.bot_settings().await?;
        let question = format!("{}\n{}", c.subject, first.body_text);
        if rules::upset(&question) || rules::wants_person(&question) {
            return Ok(());
        }
        let Some((a, sure)) = self.bot_answer(&question).await? else {
            return Ok(());
        };
        if sure < s.confidence {
            tracing::debug!(
                conversation = id,
                sure,
                "answer bot not sure enough to mail"
            );
            return Ok(());
        }
        let text = format!(
            "This is an automatic answer from our help center (a bot, not a person). This article may answer your question:\n\n{}\n{}\n{}\n\nIf it does, you can mark your request solved here: {}/portal/requests/{}\nIf not, a person from our team will answer you; you can add details by replying to this mail.",
            a.title,
            summary(&a),
            self.article_url(&a),
            self.email.workspace_url.trim_end_matches('/'),
            c.number
        );
        self.automated_message(id, AuthorKind::Bot, &text).await?;
        Ok(())
    }
}
