//! Customer satisfaction surveys. Admins set them up (`settings` row `csat`, checked by
//! `steward_domain::csat`). Solving a conversation on a surveyed channel schedules a
//! `csat.send` job after the delay; the job sends one survey per conversation by email, unless
//! the conversation was reopened meanwhile, the customer opted out, has no email address or
//! was asked recently. The customer answers on a public page found by the token in the mail's
//! links (only its SHA-256 digest is stored); they may change the answer for a set time, and
//! opt out of surveys there. Answers are events on the conversation (`csat.sent`,
//! `csat.rated`) and a `csat.rated` webhook.

use crate::conversation::{authorize, record};
use crate::directory::log;
use crate::email::SurveyMail;
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::json;
use steward_domain::csat::{Scale, Settings};
use steward_domain::{Actor, Status, placeholder};
use steward_store::events::Doer;
use steward_store::jobs::Job;
use steward_store::models::Conversation;
use steward_store::surveys::{self, NewSurvey, Survey};
use steward_store::{Conn, conversations, customers, now_ms, settings};

const SETTINGS: &str = "csat";
const DAY_MS: i64 = 24 * 3_600_000;

/// The workspace's survey settings (the defaults, off, until an admin saves some).
pub(crate) async fn settings_of(conn: &mut Conn) -> Result<Settings> {
    Ok(settings::get(conn, SETTINGS)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

fn job_key(conversation_id: i64) -> String {
    format!("csat:{conversation_id}")
}

/// `c` was just solved: its survey goes out after the delay, if surveys are on for its
/// channel.
pub(crate) async fn queue_on_solve(tx: &mut Conn, c: &Conversation, at: i64) -> Result<()> {
    let s = settings_of(tx).await?;
    if !s.enabled || !s.channels.contains(&c.channel) || c.merged_into.is_some() {
        return Ok(());
    }
    scheduler::schedule(
        tx,
        "csat.send",
        Some(&job_key(c.id)),
        &json!({"conversation_id": c.id}),
        at + s.delay_minutes * 60_000,
    )
    .await
}

/// A survey as the customer's page shows it.
#[derive(Debug, Clone)]
pub struct SurveyPage {
    pub survey: Survey,
    pub scale: Scale,
    pub question: String,
    pub number: i64,
    pub subject: String,
    /// Whether the answer may still be given or changed.
    pub open: bool,
    pub opted_out: bool,
}

fn scale_of(s: &Survey) -> Scale {
    Scale::parse(&s.scale).unwrap_or(Scale::GoodBad)
}

fn fill_question(question: &str, c: &Conversation) -> String {
    placeholder::fill(question, |name| match name {
        "customer.name" => Some(c.customer_name.clone()),
        "conversation.number" => Some(c.number.to_string()),
        "conversation.subject" => Some(c.subject.clone()),
        "agent.name" => c.assignee_name.clone(),
        _ => None,
    })
}

impl Engine {
    pub async fn csat_settings(&self) -> Result<Settings> {
        let mut conn = self.store.pool().acquire().await?;
        settings_of(&mut conn).await
    }

    /// Saves the survey settings (admin).
    pub async fn set_csat_settings(&self, by: &Actor, s: Settings) -> Result<Settings> {
        by.may_administer()?;
        s.check()?;
        placeholder::check(&s.question)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = settings_of(&mut tx).await?;
        settings::set(&mut tx, SETTINGS, &json!(s).to_string(), at).await?;
        log(
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
        Ok(s)
    }

    /// The `csat.send` job: sends conversation N's survey if it still should go.
    pub(crate) async fn run_csat_send(&self, job: &Job) -> Result<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let id = payload["conversation_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no conversation_id"))?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        let s = settings_of(&mut tx).await?;
        let Some(c) = conversations::get(&mut tx, id).await? else {
            tx.commit().await?;
            return Ok(());
        };
        let skip = if !s.enabled || !s.channels.contains(&c.channel) {
            Some("surveys are off for this channel")
        } else if !matches!(c.status, Status::Solved | Status::Closed) {
            Some("reopened")
        } else if surveys::of_conversation(&mut tx, id).await?.is_some() {
            Some("already surveyed")
        } else if !self.email.has_inboxes() {
            Some("no inbox to send from")
        } else {
            None
        };
        let customer = customers::get(&mut tx, c.customer_id).await?;
        let skip = skip.or(match &customer {
            None => Some("no customer"),
            Some(cu) if cu.surveys_opt_out != 0 => Some("the customer opted out"),
            Some(cu) if cu.email.is_none() => Some("no email address"),
            Some(_)
                if s.ask_again_after_days > 0
                    && surveys::asked_since(
                        &mut tx,
                        c.customer_id,
                        at - s.ask_again_after_days * DAY_MS,
                    )
                    .await? =>
            {
                Some("asked recently")
            }
            Some(_) => None,
        });
        if let Some(reason) = skip {
            tracing::debug!(conversation_id = id, reason, "no survey");
            tx.commit().await?;
            return Ok(());
        }
        let to = customer.and_then(|cu| cu.email).unwrap_or_default();
        let token = crate::accounts::new_secret("s_");
        let survey_id = surveys::insert(
            &mut tx,
            &NewSurvey {
                conversation_id: id,
                customer_id: c.customer_id,
                token_sha256: &crate::accounts::digest(&token),
                scale: s.scale.as_str(),
                channel: "email",
                team_id: c.team_id,
                assignee_id: c.assignee_id,
                at,
            },
        )
        .await?;
        let link = format!("{}/survey/{token}", self.email.workspace_url);
        let question = fill_question(&s.question, &c);
        let mail = SurveyMail {
            to: &to,
            question: &question,
            scale: s.scale,
            link: &link,
        };
        if !self.queue_survey_mail(&mut tx, &c, &mail, at).await? {
            // The inboxes went away meanwhile: finish the job, send nothing.
            drop(tx);
            let mut tx = self.store.write().await?;
            self.finish_job(&mut tx, job).await?;
            tx.commit().await?;
            return Ok(());
        }
        record(
            &mut tx,
            Doer::System,
            id,
            "csat.sent",
            json!({"survey_id": survey_id, "to": to, "scale": s.scale}),
            at,
        )
        .await?;
        tx.commit().await?;
        self.email.outbox_wake.notify_one();
        Ok(())
    }

    async fn survey_page(&self, conn: &mut Conn, token: &str) -> Result<SurveyPage> {
        let survey = surveys::by_token(conn, &crate::accounts::digest(token.trim()))
            .await?
            .ok_or_else(|| EngineError::not_found("survey"))?;
        page_of(conn, survey).await
    }
}

/// What the customer is shown of `survey`.
pub(crate) async fn page_of(conn: &mut Conn, survey: Survey) -> Result<SurveyPage> {
    let s = settings_of(conn).await?;
    let c = conversations::get(conn, survey.conversation_id)
        .await?
        .ok_or_else(|| EngineError::not_found("survey"))?;
    let opted_out = customers::get(conn, survey.customer_id)
        .await?
        .is_some_and(|cu| cu.surveys_opt_out != 0);
    let open = survey
        .first_rated_at
        .is_none_or(|first| now_ms() < first + s.changeable_days * DAY_MS);
    Ok(SurveyPage {
        scale: scale_of(&survey),
        question: fill_question(&s.question, &c),
        number: c.number,
        subject: c.subject,
        open,
        opted_out,
        survey,
    })
}

impl Engine {
    /// The survey behind a link's token (public: the token is the credential).
    pub async fn survey_by_token(&self, token: &str) -> Result<SurveyPage> {
        let mut conn = self.store.pool().acquire().await?;
        self.survey_page(&mut conn, token).await
    }

    /// The customer answers (or changes their answer while it may be changed).
    pub async fn answer_survey(
        &self,
        token: &str,
        rating: i64,
        comment: Option<&str>,
    ) -> Result<SurveyPage> {
        let mut tx = self.store.write().await?;
        let page = self.survey_page(&mut tx, token).await?;
        self.record_answer(tx, page, rating, comment).await
    }

    /// Records the answer to `page`'s survey in `tx` and commits; returns the page after.
    pub(crate) async fn record_answer(
        &self,
        mut tx: steward_store::Tx,
        page: SurveyPage,
        rating: i64,
        comment: Option<&str>,
    ) -> Result<SurveyPage> {
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > 5000) {
            return Err(EngineError::invalid(
                "comment",
                "must be at most 5000 characters",
            ));
        }
        let at = now_ms();
        let rating = page.scale.check(rating)?;
        if !page.open {
            return Err(EngineError::conflict(
                "this survey was answered a while ago and can no longer be changed",
            ));
        }
        surveys::answer(&mut tx, page.survey.id, rating, comment, at).await?;
        let data = json!({
            "survey_id": page.survey.id,
            "rating": rating,
            "scale": page.scale,
            "satisfied": page.scale.satisfied(rating),
            "comment": comment,
            "changed": page.survey.rated_at.is_some(),
        });
        record(
            &mut tx,
            Doer::Customer(page.survey.customer_id),
            page.survey.conversation_id,
            "csat.rated",
            data,
            at,
        )
        .await?;
        let survey = surveys::of_conversation(&mut tx, page.survey.conversation_id)
            .await?
            .ok_or_else(|| EngineError::not_found("survey"))?;
        let page = page_of(&mut tx, survey).await?;
        tx.commit().await?;
        if let Some(c) = self.conversation_row(page.survey.conversation_id).await? {
            self.announce(&c, None, "updated", None).await;
        }
        Ok(page)
    }

    /// The customer asks not to be surveyed again.
    pub async fn opt_out_of_surveys(&self, token: &str) -> Result<SurveyPage> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let page = self.survey_page(&mut tx, token).await?;
        customers::set_surveys_opt_out(&mut tx, page.survey.customer_id, true, at).await?;
        record(
            &mut tx,
            Doer::Customer(page.survey.customer_id),
            page.survey.conversation_id,
            "csat.opted_out",
            json!({}),
            at,
        )
        .await?;
        let page = self.survey_page(&mut tx, token).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn conversation_row(&self, id: i64) -> Result<Option<Conversation>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(conversations::get(&mut conn, id).await?)
    }

    /// The survey of a conversation the actor may see, if one was sent.
    pub async fn conversation_survey(&self, by: &Actor, id: i64) -> Result<Option<Survey>> {
        let mut conn = self.store.pool().acquire().await?;
        let c = conversations::get(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        authorize(&mut conn, by, &c).await?;
        Ok(surveys::of_conversation(&mut conn, id).await?)
    }

    /// A customer's latest surveys, newest first.
    pub async fn customer_surveys(&self, customer_id: i64) -> Result<Vec<Survey>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(surveys::of_customer(&mut conn, customer_id, 50).await?)
    }

    /// Sets whether a customer gets surveys (an agent, for a customer who asked).
    pub async fn set_surveys_opt_out(&self, by: &Actor, customer_id: i64, out: bool) -> Result<()> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = customers::get(&mut tx, customer_id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        if (before.surveys_opt_out != 0) == out {
            return Ok(());
        }
        customers::set_surveys_opt_out(&mut tx, customer_id, out, at).await?;
        log(
            &mut tx,
            Some(by),
            "customer",
            customer_id,
            "customer.updated",
            json!({"after": {"surveys_opt_out": out}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A survey's answer in words ("good", "4 of 5"), if answered.
pub fn answer_word(s: &Survey) -> Option<String> {
    s.rating.map(|r| scale_of(s).word(r))
}

/// Whether an answered survey is satisfied.
pub fn satisfied(s: &Survey) -> Option<bool> {
    s.rating.map(|r| scale_of(s).satisfied(r))
}
