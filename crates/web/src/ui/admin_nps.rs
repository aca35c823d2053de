//! The NPS admin page: campaigns with what they sent and their score, a form to create or
//! change one (who is asked, how often, the question, following up detractors), and the
//! latest answers. Admins change campaigns; supervisors see the page read-only.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_domain::nps::{Audience, Campaign, Group};

/// A campaign as its form shows it.
pub struct CampaignForm {
    /// 0 for the new-campaign form.
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub question: String,
    pub interval_days: i64,
    pub contacted_within_days: i64,
    pub min_conversations: i64,
    pub email_domains: String,
    pub follow_up: bool,
    pub teams: Vec<Choice>,
    pub inboxes: Vec<Choice>,
    pub sent: i64,
    pub answered: i64,
    pub score: String,
    pub groups: String,
    /// Organizations picked over the API (the page keeps them).
    pub organizations: String,
}

pub struct AnswerLine {
    pub customer_id: i64,
    pub customer: String,
    pub campaign: String,
    pub score: i64,
    pub group: &'static str,
    pub reason: String,
    pub answered: String,
    pub follow_up: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin_nps.html")]
struct NpsAdminPage {
    layout: Layout,
    tab: &'static str,
    campaigns: Vec<CampaignForm>,
    blank: CampaignForm,
    answers: Vec<AnswerLine>,
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    let teams = s.engine.teams().await?;
    let inboxes = s.engine.email.all_inboxes();
    let form = |id: i64,
                c: &Campaign,
                sent: i64,
                answered: i64,
                f: Option<&steward_domain::nps::Figures>| {
        let mut team_choices = vec![Choice::new(
            "",
            "routing decides",
            c.follow_up_team_id.is_none(),
        )];
        team_choices.extend(
            teams
                .iter()
                .map(|t| Choice::new(t.id, &t.name, c.follow_up_team_id == Some(t.id))),
        );
        let mut inbox_choices = vec![Choice::new("", "the first inbox", c.inbox.is_none())];
        inbox_choices.extend(inboxes.iter().map(|i| {
            let picked = c
                .inbox
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(&i.address));
            Choice::new(&i.address, &i.address, picked)
        }));
        CampaignForm {
            id,
            name: c.name.clone(),
            active: c.active,
            question: c.question.clone(),
            interval_days: c.interval_days,
            contacted_within_days: c.audience.contacted_within_days,
            min_conversations: c.audience.min_conversations,
            email_domains: c.audience.email_domains.join(", "),
            follow_up: c.follow_up_detractors,
            teams: team_choices,
            inboxes: inbox_choices,
            sent,
            answered,
            score: f
                .and_then(|f| f.nps)
                .map(|n| format!("{n:+.0}"))
                .unwrap_or_else(|| "—".into()),
            groups: f.map_or_else(String::new, |f| {
                format!(
                    "{} promoters · {} passives · {} detractors",
                    f.promoters, f.passives, f.detractors
                )
            }),
            organizations: c
                .audience
                .organization_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    };
    let mut campaigns = Vec::new();
    for v in s.engine.nps_campaigns(&agent.actor).await? {
        let f = s
            .engine
            .nps_figures(&agent.actor, Some(v.id), 0, i64::MAX)
            .await?;
        campaigns.push(form(v.id, &v.campaign, v.sent, v.answered, Some(&f)));
    }
    let answers = s
        .engine
        .nps_responses(
            &agent.actor,
            &steward_store::nps::ResponseFilter {
                answered_only: true,
                ..Default::default()
            },
            50,
        )
        .await?
        .into_iter()
        .filter_map(|r| {
            let score = r.score?;
            Some(AnswerLine {
                customer_id: r.customer_id,
                customer: r.customer_name,
                campaign: r.campaign_name,
                score,
                group: Group::of(score).as_str(),
                reason: r.reason.unwrap_or_default(),
                answered: r.answered_at.map(crate::fmt::datetime).unwrap_or_default(),
                follow_up: r.follow_up_conversation_id,
            })
        })
        .collect();
    Ok(render(&NpsAdminPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "nps",
        campaigns,
        blank: form(0, &Campaign::default(), 0, 0, None),
        answers,
    }))
}

fn number(form: &FormData, name: &str) -> Result<i64, PageError> {
    let v = form.get(name).trim();
    if v.is_empty() {
        return Ok(0);
    }
    v.parse()
        .map_err(|_| PageError(Problem::invalid(name, "must be a whole number")))
}

/// Creates (no `id`) or changes a campaign from its form.
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let organization_ids = form
        .get("organization_ids")
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                PageError(Problem::invalid(
                    "organization_ids",
                    "must be organization numbers",
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let c =
        Campaign {
            name: form.get("name").to_string(),
            active: form.opt("active").is_some(),
            question: form.get("question").to_string(),
            interval_days: number(&form, "interval_days")?,
            audience: Audience {
                contacted_within_days: number(&form, "contacted_within_days")?,
                min_conversations: number(&form, "min_conversations")?,
                email_domains: form
                    .get("email_domains")
                    .split([',', ' ', '\n'])
                    .map(str::to_string)
                    .collect(),
                organization_ids,
            },
            follow_up_detractors: form.opt("follow_up_detractors").is_some(),
            follow_up_team_id: match form.get("follow_up_team_id").trim() {
                "" => None,
                v => Some(v.parse().map_err(|_| {
                    PageError(Problem::invalid("follow_up_team_id", "must be a team"))
                })?),
            },
            inbox: form.opt("inbox").map(str::to_string),
        };
    match number(&form, "id")? {
        0 => s.engine.create_nps_campaign(&agent.actor, c).await?,
        id => s.engine.update_nps_campaign(&agent.actor, id, c).await?,
    };
    Ok(Redirect::to("/admin/nps").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .delete_nps_campaign(&agent.actor, number(&form, "id")?)
        .await?;
    Ok(Redirect::to("/admin/nps").into_response())
}
