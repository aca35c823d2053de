//! NPS campaigns. Admins define who is asked (`steward_domain::nps::Audience`) and how often
//! any customer may be asked. While a campaign is active its `nps.run` job sends the question
//! by email to the customers its rules pick (who have an address, did not opt out of surveys
//! and were not asked within the interval by any campaign), in batches, and looks again daily
//! for customers who have come to match. The customer answers 0–10 and why on a public page
//! found by the token in the link (only its SHA-256 is stored); they may change the answer.
//! A detractor's answer can open a follow-up conversation with the customer. Each answer is a
//! `nps.answered` event on the customer (and webhook).

use crate::directory::log;
use crate::email::{AutomaticMail, html_escape};
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::json;
use steward_domain::nps::{self, Campaign, Group};
use steward_domain::{Actor, Channel, placeholder};
use steward_store::jobs::Job;
use steward_store::nps::{self as store, AudienceQuery, CampaignRow, Response, ResponseFilter};
use steward_store::{Conn, customers, now_ms};

const DAY_MS: i64 = 24 * 3_600_000;
/// Customers asked per run of a campaign's job; the next batch follows a minute later.
const BATCH: i64 = 200;
/// How long after answering a customer may change the answer, in days.
const CHANGEABLE_DAYS: i64 = 30;

/// A campaign with what it sent and the answers so far.
#[derive(Debug, Clone)]
pub struct CampaignView {
    pub id: i64,
    pub campaign: Campaign,
    pub sent: i64,
    pub answered: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

fn view(r: CampaignRow) -> CampaignView {
    let mut campaign: Campaign = serde_json::from_str(&r.definition).unwrap_or_default();
    campaign.name = r.name;
    campaign.active = r.active != 0;
    CampaignView {
        id: r.id,
        campaign,
        sent: r.sent,
        answered: r.answered,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

fn job_key(id: i64) -> String {
    format!("nps:{id}")
}

/// The NPS question page, as the customer sees it.
#[derive(Debug, Clone)]
pub struct NpsPage {
    pub response: Response,
    pub question: String,
    /// Whether the answer may still be given or changed.
    pub open: bool,
    pub opted_out: bool,
}

fn fill(question: &str, customer: &str, company: &str) -> String {
    placeholder::fill(question, |name| match name {
        "customer.name" => Some(customer.to_string()),
        "company" => Some(company.to_string()),
        _ => None,
    })
}

impl Engine {
    /// The name the `{{company}}` placeholder stands for: the sending inbox's name.
    fn company(&self, inbox: Option<&str>) -> String {
        inbox
            .and_then(|a| self.email.inbox_for(a))
            .or_else(|| self.email.all_inboxes().into_iter().next())
            .map(|i| i.name)
            .unwrap_or_else(|| "us".into())
    }

    pub async fn nps_campaigns(&self, by: &Actor) -> Result<Vec<CampaignView>> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(store::campaigns(&mut conn)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    pub async fn nps_campaign(&self, by: &Actor, id: i64) -> Result<CampaignView> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        store::campaign(&mut conn, id)
            .await?
            .map(view)
            .ok_or_else(|| EngineError::not_found("NPS campaign"))
    }

    async fn check_campaign(&self, conn: &mut Conn, c: Campaign) -> Result<Campaign> {
        let c = c.check()?;
        if let Some(team) = c.follow_up_team_id
            && steward_store::users::team(conn, team).await?.is_none()
        {
            return Err(EngineError::invalid(
                "follow_up_team_id",
                format!("must be a team; there is no team {team}"),
            ));
        }
        if let Some(inbox) = &c.inbox
            && self.email.inbox_for(inbox).is_none()
        {
            return Err(EngineError::invalid(
                "inbox",
                format!("must be one of the inboxes; there is no inbox {inbox}"),
            ));
        }
        Ok(c)
    }

    /// Creates a campaign (admin); an active one starts sending at once.
    pub async fn create_nps_campaign(&self, by: &Actor, c: Campaign) -> Result<CampaignView> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let c = self.check_campaign(&mut tx, c).await?;
        let id =
            store::insert_campaign(&mut tx, &c.name, &json!(c).to_string(), c.active, at).await?;
        self.after_save(&mut tx, id, &c, at).await?;
        log(
            &mut tx,
            Some(by),
            "nps_campaign",
            id,
            "nps_campaign.created",
            json!({"after": c}),
            at,
        )
        .await?;
        let saved = store::campaign(&mut tx, id).await?.map(view);
        tx.commit().await?;
        self.scheduler.wake();
        saved.ok_or_else(|| EngineError::not_found("NPS campaign"))
    }

    /// Changes a campaign (admin): its rules, its question, or pauses and resumes it.
    pub async fn update_nps_campaign(
        &self,
        by: &Actor,
        id: i64,
        c: Campaign,
    ) -> Result<CampaignView> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = store::campaign(&mut tx, id)
            .await?
            .map(view)
            .ok_or_else(|| EngineError::not_found("NPS campaign"))?;
        let c = self.check_campaign(&mut tx, c).await?;
        store::update_campaign(&mut tx, id, &c.name, &json!(c).to_string(), c.active, at).await?;
        self.after_save(&mut tx, id, &c, at).await?;
        log(
            &mut tx,
            Some(by),
            "nps_campaign",
            id,
            "nps_campaign.updated",
            json!({"before": before.campaign, "after": c}),
            at,
        )
        .await?;
        let saved = store::campaign(&mut tx, id).await?.map(view);
        tx.commit().await?;
        self.scheduler.wake();
        saved.ok_or_else(|| EngineError::not_found("NPS campaign"))
    }

    /// Removes a campaign that never sent anything (admin); one that did can be paused.
    pub async fn delete_nps_campaign(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let c = store::campaign(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("NPS campaign"))?;
        if c.sent > 0 {
            return Err(EngineError::conflict(
                "this campaign has sent questions; pause it instead, so its answers stay",
            ));
        }
        steward_store::jobs::cancel(&mut tx, &job_key(id)).await?;
        store::delete_campaign(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "nps_campaign",
            id,
            "nps_campaign.deleted",
            json!({}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An active campaign's job runs now; a paused one has none.
    async fn after_save(&self, tx: &mut Conn, id: i64, c: &Campaign, at: i64) -> Result<()> {
        if c.active {
            scheduler::schedule(
                tx,
                "nps.run",
                Some(&job_key(id)),
                &json!({"campaign_id": id}),
                at,
            )
            .await
        } else {
            steward_store::jobs::cancel(tx, &job_key(id)).await?;
            Ok(())
        }
    }

    /// The `nps.run` job: asks the next batch of customers a campaign picks, then comes back
    /// in a minute if there may be more, else tomorrow.
    pub(crate) async fn run_nps(&self, job: &Job) -> Result<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let id = payload["campaign_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no campaign_id"))?;
        let at = now_ms();
        // Who to ask is worked out on a read connection, so the search never holds the writer.
        let (v, recipients) = {
            let mut conn = self.store.pool().acquire().await?;
            let v = store::campaign(&mut conn, id).await?.map(view);
            let recipients = match &v {
                Some(v) if v.campaign.active && self.email.has_inboxes() => {
                    store::audience(&mut conn, &audience_query(&v.campaign, at), BATCH).await?
                }
                _ => Vec::new(),
            };
            (v, recipients)
        };
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        let Some(v) = v else {
            tx.commit().await?;
            return Ok(());
        };
        if !v.campaign.active || !self.email.has_inboxes() {
            // Paused, or nothing to send from: look again tomorrow.
            if v.campaign.active {
                self.nps_again(&mut tx, id, at + DAY_MS).await?;
            }
            tx.commit().await?;
            return Ok(());
        }
        let c = &v.campaign;
        let company = self.company(c.inbox.as_deref());
        let since = at - c.interval_days * DAY_MS;
        let mut asked = 0;
        for r in &recipients {
            // Another campaign may have asked them since the search.
            if store::asked_since(&mut tx, r.id, since).await? {
                continue;
            }
            asked += 1;
            let token = crate::accounts::new_secret("n_");
            let response_id = store::insert_response(
                &mut tx,
                &store::NewResponse {
                    campaign_id: id,
                    customer_id: r.id,
                    token_sha256: &crate::accounts::digest(&token),
                    sent_to: &r.email,
                    at,
                },
            )
            .await?;
            let link = format!("{}/nps/{token}", self.email.workspace_url);
            let question = fill(&c.question, &r.name, &company);
            let (text, html) = nps_mail(&question, &link);
            let mail = AutomaticMail {
                inbox: c.inbox.as_deref(),
                from_suffix: "",
                to: std::slice::from_ref(&r.email),
                to_name: None,
                conversation_id: None,
                subject: question.chars().take(120).collect(),
                text,
                html: Some(html),
                attachments: Vec::new(),
                kind: "nps",
                what: format!("nps.{response_id}"),
            };
            self.queue_automatic_mail(&mut tx, mail, at).await?;
        }
        let next = if recipients.len() as i64 == BATCH {
            at + 60_000
        } else {
            at + DAY_MS
        };
        self.nps_again(&mut tx, id, next).await?;
        tx.commit().await?;
        if asked > 0 {
            tracing::info!(campaign = id, sent = asked, "NPS questions queued");
            self.email.outbox_wake.notify_one();
        }
        Ok(())
    }

    async fn nps_again(&self, tx: &mut Conn, id: i64, at: i64) -> Result<()> {
        scheduler::schedule(
            tx,
            "nps.run",
            Some(&job_key(id)),
            &json!({"campaign_id": id}),
            at,
        )
        .await
    }

    async fn nps_page(&self, conn: &mut Conn, token: &str) -> Result<NpsPage> {
        let response = store::by_token(conn, &crate::accounts::digest(token.trim()))
            .await?
            .ok_or_else(|| EngineError::not_found("question"))?;
        let campaign = store::campaign(conn, response.campaign_id)
            .await?
            .map(view)
            .ok_or_else(|| EngineError::not_found("question"))?;
        let opted_out = customers::get(conn, response.customer_id)
            .await?
            .is_some_and(|cu| cu.surveys_opt_out != 0);
        let company = self.company(campaign.campaign.inbox.as_deref());
        Ok(NpsPage {
            question: fill(
                &campaign.campaign.question,
                &response.customer_name,
                &company,
            ),
            open: response
                .answered_at
                .is_none_or(|a| now_ms() < a + CHANGEABLE_DAYS * DAY_MS),
            opted_out,
            response,
        })
    }

    /// The question behind a link's token (public: the token is the credential).
    pub async fn nps_by_token(&self, token: &str) -> Result<NpsPage> {
        let mut conn = self.store.pool().acquire().await?;
        self.nps_page(&mut conn, token).await
    }

    /// The customer answers (or changes the answer). A detractor's first low answer opens a
    /// follow-up conversation when the campaign asks for one.
    pub async fn answer_nps(
        &self,
        token: &str,
        score: i64,
        reason: Option<&str>,
    ) -> Result<NpsPage> {
        let score = nps::check_score(score)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 5000) {
            return Err(EngineError::invalid(
                "reason",
                "must be at most 5000 characters",
            ));
        }
        let at = now_ms();
        let page = {
            let mut tx = self.store.write().await?;
            let page = self.nps_page(&mut tx, token).await?;
            if !page.open {
                return Err(EngineError::conflict(
                    "this question was answered a while ago and can no longer be changed",
                ));
            }
            store::answer(&mut tx, page.response.id, score, reason, at).await?;
            let group = Group::of(score);
            log(
                &mut tx,
                None,
                "customer",
                page.response.customer_id,
                "nps.answered",
                json!({
                    "response_id": page.response.id,
                    "campaign_id": page.response.campaign_id,
                    "campaign": page.response.campaign_name,
                    "score": score,
                    "group": group.as_str(),
                    "reason": reason,
                    "changed": page.response.answered_at.is_some(),
                }),
                at,
            )
            .await?;
            tx.commit().await?;
            page
        };
        if Group::of(score) == Group::Detractor && page.response.follow_up_conversation_id.is_none()
        {
            self.nps_follow_up(&page, score, reason).await?;
        }
        self.nps_by_token(token).await
    }

    /// Opens the conversation that follows a detractor's answer up, if the campaign wants one.
    async fn nps_follow_up(&self, page: &NpsPage, score: i64, reason: Option<&str>) -> Result<()> {
        let campaign = {
            let mut conn = self.store.pool().acquire().await?;
            store::campaign(&mut conn, page.response.campaign_id)
                .await?
                .map(view)
        };
        let Some(campaign) = campaign.filter(|c| c.campaign.follow_up_detractors) else {
            return Ok(());
        };
        let body = format!(
            "{} answered {score} of 10 to the NPS question \"{}\" (campaign \"{}\").\n\nWhy: {}\n",
            page.response.customer_name,
            page.question,
            campaign.campaign.name,
            reason.unwrap_or("(no reason given)"),
        );
        let mut cmd = crate::conversation::NewConversationCmd::from_customer(
            crate::intake::CustomerRef {
                id: Some(page.response.customer_id),
                ..Default::default()
            },
            &format!(
                "NPS follow-up: {} scored {score}",
                page.response.customer_name
            ),
            &body,
            Channel::Web,
        );
        cmd.team_id = campaign.campaign.follow_up_team_id;
        cmd.tags = vec!["nps-detractor".into()];
        cmd.inbox = campaign.campaign.inbox.clone();
        let c = self.create_conversation(None, cmd).await?;
        let mut tx = self.store.write().await?;
        store::set_follow_up(&mut tx, page.response.id, c.id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Responses, newest first (supervisors).
    pub async fn nps_responses(
        &self,
        by: &Actor,
        f: &ResponseFilter,
        limit: i64,
    ) -> Result<Vec<Response>> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(store::responses(&mut conn, f, limit.clamp(1, 1000)).await?)
    }

    /// A customer's NPS answers, newest first (anyone who may see the customer).
    pub async fn customer_nps(&self, customer_id: i64) -> Result<Vec<Response>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(store::responses(
            &mut conn,
            &ResponseFilter {
                customer_id: Some(customer_id),
                answered_only: true,
                ..Default::default()
            },
            50,
        )
        .await?)
    }

    /// The NPS of the answers given in `[from, to)`, of one campaign or all.
    pub async fn nps_figures(
        &self,
        by: &Actor,
        campaign_id: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<nps::Figures> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(nps::figures(
            store::scores_between(&mut conn, campaign_id, from, to).await?,
        ))
    }

    /// The customer asks not to be asked again (by NPS or CSAT surveys).
    pub async fn opt_out_of_nps(&self, token: &str) -> Result<NpsPage> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let page = self.nps_page(&mut tx, token).await?;
        customers::set_surveys_opt_out(&mut tx, page.response.customer_id, true, at).await?;
        log(
            &mut tx,
            None,
            "customer",
            page.response.customer_id,
            "customer.updated",
            json!({"after": {"surveys_opt_out": true}, "reason": "opted out from an NPS question"}),
            at,
        )
        .await?;
        let page = self.nps_page(&mut tx, token).await?;
        tx.commit().await?;
        Ok(page)
    }
}

/// The store's form of a campaign's rules, as they stand at `at`.
fn audience_query(c: &Campaign, at: i64) -> AudienceQuery {
    let a = &c.audience;
    AudienceQuery {
        contacted_since: (a.contacted_within_days > 0)
            .then(|| at - a.contacted_within_days * DAY_MS),
        min_conversations: a.min_conversations,
        email_domains: a.email_domains.clone(),
        organization_ids: a.organization_ids.clone(),
        not_asked_since: at - c.interval_days * DAY_MS,
    }
}

/// The question as mail: 0 to 10 as links (each opens the page with that score chosen), and
/// the opt-out.
fn nps_mail(question: &str, link: &str) -> (String, String) {
    let mut text = format!("{question}\n\n0 = not at all likely, 10 = extremely likely\n");
    let mut html = format!("<p>{}</p><p>", html_escape(question));
    for score in 0..=10 {
        let url = format!("{link}?score={score}");
        text.push_str(&format!("  {score}: {url}\n"));
        html.push_str(&format!(
            "<a href=\"{}\" style=\"display:inline-block;min-width:1.6em;margin:0 .2em .4em 0;padding:.4em;border:1px solid #888;border-radius:4px;text-align:center;text-decoration:none\">{score}</a>",
            html_escape(&url)
        ));
    }
    let opt_out = format!("{link}/opt-out");
    text.push_str(&format!("\nNo more of these questions: {opt_out}\n"));
    html.push_str(&format!(
        "</p><p style=\"color:#888\">0 = not at all likely, 10 = extremely likely<br><a href=\"{}\">No more of these questions</a></p>",
        html_escape(&opt_out)
    ));
    (text, html)
}
